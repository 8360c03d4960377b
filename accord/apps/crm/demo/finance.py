"""What follows a deal: quotes with lines, contracts, payment plans with payments, invoices
(fapiao) and orders pushed to the ERP."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from accord.apps.crm.demo import text as T
from accord.apps.crm.demo.base import GeneratorBase, add_months, dec, iso, money, q2
from accord.apps.crm.demo.sales import QUOTED_STAGES, Opp


class Finance(GeneratorBase):
    # --- quotes, contracts, payments, invoices, orders ----------------------------------------

    def build_deals(self) -> None:
        r = self.r
        for o in self.opps:
            quoted = o.stage in QUOTED_STAGES or (o.stage == "lost" and r.random() < 0.5)
            if not quoted:
                continue
            cust = o.cust
            end = o.closed_at or self.now
            quote_at = self.dt_between(o.created, min(end, o.created + timedelta(days=60)))
            quote_date = quote_at.date()
            valid_until = quote_date + timedelta(days=30)
            status = {
                "proposal": self.pick({"draft": 30, "in_approval": 20, "approved": 15, "sent": 35}),
                "negotiation": "sent",
                "contract_review": "accepted",
                "won": "accepted",
                "lost": self.pick({"rejected": 70, "expired": 30}),
            }[o.stage]
            if status in ("draft", "in_approval", "approved", "sent") and valid_until < self.today:
                valid_until = self.today + timedelta(days=r.randint(3, 20))
            book_id, _ = self.price_books["USD" if cust.currency == "USD" else "CNY"]
            quote = self.base("quote", quote_at, o.row["owner_id"])
            quote.update(
                name=f"{o.row['name']} – Quote" if cust.en else f"{o.row['name']}报价单",
                customer=cust.id,
                opportunity=o.row["id"],
                price_book=book_id,
                status=status,
                quote_date=quote_date.isoformat(),
                valid_until=valid_until.isoformat(),
                discount_rate=dec(o.discount_rate),
                tax_rate=dec(o.tax_rate),
                payment_terms="Net 30 after acceptance"
                if cust.en
                else "合同签订后 7 个工作日内支付 30%，上线验收后支付 60%，质保期满支付 10%",
                delivery_terms="Within 30 days of signing" if cust.en else "合同签订后 30 天内交付",
            )
            if o.contact:
                quote["contact"] = o.contact["id"]
            self.add("quote", quote)
            lines = []
            for spec in o.lines:
                line = self.base("quote_line", quote_at)
                line.update(
                    {k: v for k, v in spec.items() if not k.startswith("_")}, quote=quote["id"]
                )
                self.add("quote_line", line)
                lines.append(line)
            if o.stage == "won":
                self.contract(o, quote, lines, signed=True)
            elif o.stage == "contract_review" and r.random() < 0.4:
                self.contract(o, quote, lines, signed=False)

    def contract(
        self, o: Opp, quote: dict[str, Any], lines: list[dict[str, Any]], *, signed: bool
    ) -> None:
        r = self.r
        cust = o.cust
        project = o.row["name"]
        if signed:
            assert o.closed_at is not None
            sign = o.closed_at.date()
            created = max(o.created, o.closed_at - timedelta(days=r.randint(3, 10)))
            start = sign + timedelta(days=r.randint(0, 10))
            years = r.choices((1, 2, 3), weights=(70, 20, 10))[0]
            end = add_months(start, 12 * years) - timedelta(days=1)
            if end < self.today:
                status = "expired" if r.random() < 0.2 else "completed"
            elif start <= self.today:
                status = "executing"
            else:
                status = "signed"
        else:
            created = self.dt_between(o.created, self.now)
            status = r.choice(("draft", "in_approval"))
            sign = start = end = None
        ctype = {"renewal": "renewal", "upsell": "supplementary"}.get(o.row["type"], "new")
        if ctype == "new" and r.random() < 0.05:
            ctype = "framework"
        row = self.base("contract", created, o.row["owner_id"])
        row.update(
            name=f"{project} Agreement" if cust.en else f"{project}合同",
            customer=cust.id,
            opportunity=o.row["id"],
            quote=quote["id"],
            amount=money(o.amount, cust.currency),
            type=ctype,
            status=status,
            our_signatory=o.row["owner_id"] if r.random() < 0.7 else self.owner(),
            payment_terms=quote["payment_terms"],
            is_standard=not (o.amount > 500_000 and r.random() < 0.4) and r.random() < 0.92,
        )
        if ctype == "supplementary" and cust.last_contract:
            row["parent_contract"] = cust.last_contract
        if o.contact:
            row["signed_by_customer"] = o.contact["name"]
        if sign is not None:
            row.update(
                sign_date=sign.isoformat(), start_date=start.isoformat(), end_date=end.isoformat()
            )
        self.add("contract", row)
        if signed:
            cust.last_contract = row["id"]
            cust.first_sign = min(cust.first_sign or sign, sign)
            cust.products += [ln["product"] for ln in lines]
            self.payment_plans(row, o, sign)
            if (
                any(self.product_info[ln["product"]][2] in ("hardware", "solution") for ln in lines)
                or r.random() < 0.2
            ):
                self.order(row, o, lines, sign)

    def payment_plans(self, contract: dict[str, Any], o: Opp, sign: date) -> None:
        r = self.r
        cust = o.cust
        amount = o.amount
        if amount < 50_000:
            scheme = [(100, "全款", "Full payment")]
        elif amount < 300_000:
            scheme = r.choice(
                (
                    [(50, "首付款", "Down payment"), (50, "验收款", "Acceptance payment")],
                    [(30, "首付款", "Down payment"), (70, "上线款", "Go-live payment")],
                )
            )
        else:
            scheme = r.choice(
                (
                    [
                        (30, "首付款", "Down payment"),
                        (60, "验收款", "Acceptance"),
                        (10, "质保金", "Retention"),
                    ],
                    [
                        (30, "首付款", "Down payment"),
                        (40, "到货款", "On delivery"),
                        (30, "验收款", "Acceptance"),
                    ],
                    [
                        (40, "首付款", "Down payment"),
                        (40, "上线款", "Go-live"),
                        (20, "尾款", "Final payment"),
                    ],
                )
            )
        planned = sign + timedelta(days=r.randint(7, 20))
        remaining = amount
        old_contract = contract["status"] in ("completed", "expired")
        for i, (pct, zh, en) in enumerate(scheme, start=1):
            share = remaining if i == len(scheme) else q2(amount * pct / 100)
            remaining -= share
            plan_created = max(datetime.fromisoformat(contract["created_at"]), self.at_day(sign))
            plan = self.base("payment_plan", min(plan_created, self.now))
            plan.update(
                {
                    "contract": contract["id"],
                    "customer": cust.id,
                    "name": f"Instalment {i}: {en} {pct} %" if cust.en else f"第{i}期 {zh} {pct}%",
                    "installment": i,
                    "planned_date": planned.isoformat(),
                    "planned_amount": money(share, cust.currency),
                }
            )
            received = Decimal(0)
            payments: list[tuple[date, Decimal]] = []
            if planned <= self.today:
                roll = r.random()
                paid_p = 0.88 if old_contract else 0.68
                if roll < paid_p:
                    payments.append((planned + timedelta(days=r.randint(-5, 25)), share))
                elif roll < paid_p + 0.12:
                    payments.append(
                        (
                            planned + timedelta(days=r.randint(0, 20)),
                            q2(share * Decimal(r.randint(30, 80)) / 100),
                        )
                    )
            elif r.random() < 0.06:
                payments.append((planned - timedelta(days=r.randint(1, 10)), share))
            for day, value in payments:
                day = min(max(day, sign), self.today - timedelta(days=1))
                received += value
                self.payment(contract, plan, o, day, value)
            if received >= share:
                plan["status"] = "paid"
            elif received > 0:
                plan["status"] = "partially_paid"
            elif planned < self.today:
                plan["status"] = "overdue"
                plan["remarks"] = (
                    "Payment overdue; reminder sent" if cust.en else "已逾期，已发催款函"
                )
            else:
                plan["status"] = "pending"
            self.add("payment_plan", plan)
            self.invoice(contract, plan, o, received, payments, share)
            planned = planned + timedelta(days=r.randint(30, 120))

    def payment(
        self, contract: dict[str, Any], plan: dict[str, Any], o: Opp, day: date, value: Decimal
    ) -> None:
        r = self.r
        cust = o.cust
        row = self.base("payment", self.at_day(day), contract["owner_id"])
        row.update(
            customer=cust.id,
            contract=contract["id"],
            payment_plan=plan["id"],
            amount=money(value, cust.currency),
            received_date=day.isoformat(),
            method="bank_transfer"
            if cust.en
            else self.pick(
                {
                    "bank_transfer": 78,
                    "acceptance_bill": 15,
                    "alipay": 3,
                    "wechat_pay": 2,
                    "other": 2,
                }
            ),
            payer_name=cust.row["name"],
            bank_reference=f"{day:%Y%m%d}{r.randint(10**11, 10**12 - 1)}",
            confirmed=(self.today - day).days > 3 or r.random() < 0.5,
        )
        self.add("payment", row)

    def invoice(
        self,
        contract: dict[str, Any],
        plan: dict[str, Any],
        o: Opp,
        received: Decimal,
        payments: list[tuple[date, Decimal]],
        share: Decimal,
    ) -> None:
        r = self.r
        cust = o.cust
        planned = date.fromisoformat(plan["planned_date"])
        sign = date.fromisoformat(contract["sign_date"])
        if received > 0:
            first = min(d for d, _ in payments)
            issue = max(sign, min(first, planned) - timedelta(days=r.randint(0, 10)))
            issue = min(issue, self.today - timedelta(days=1))
            status = "sent" if (self.today - issue).days > 7 else "issued"
        elif self.today <= planned <= self.today + timedelta(days=30) and r.random() < 0.5:
            issue = None
            status = "requested"
        else:
            return
        ctype = cust.row["type"]
        if cust.currency == "USD":
            kind = "overseas"
        elif ctype in ("government", "public_institution", "individual"):
            kind = r.choice(("vat_normal", "electronic"))
        else:
            kind = "vat_special" if r.random() < 0.6 else "electronic"
        rate = Decimal(0) if kind == "overseas" else Decimal(o.tax_rate)
        requested_at = (
            self.at_day(issue - timedelta(days=r.randint(0, 3)))
            if issue
            else self.dt_between(self.now - timedelta(days=5), self.now)
        )
        requested_at = max(requested_at, datetime.fromisoformat(contract["created_at"]))
        row = self.base("invoice", min(requested_at, self.now), contract["owner_id"])
        row.update(
            customer=cust.id,
            contract=contract["id"],
            type=kind,
            status=status,
            amount=money(share, cust.currency),
            tax_rate=dec(rate),
            tax_amount=money(q2(share * rate / (100 + rate)), cust.currency),
            title=cust.row["name"],
        )
        if cust.row.get("unified_social_credit_code"):
            row["tax_number"] = cust.row["unified_social_credit_code"]
        if kind in ("vat_special", "vat_normal"):
            bank = r.choice(T.BANKS)
            row["address_phone"] = f"{self.address_text(cust.row['address'])} {cust.row['phone']}"
            row["bank_account"] = (
                f"{bank}{cust.place.city_short}分行 {r.randint(10**15, 10**16 - 1)}"
            )
        if kind == "electronic" and cust.contacts and cust.contacts[0].get("email"):
            row["email"] = cust.contacts[0]["email"]
        if issue is not None:
            seq = self.next_seq("invoice")
            if kind == "electronic":
                area = cust.place.province.code if cust.place.province else "31"
                number = f"{issue.year % 100:02d}{area}2{seq:015d}"
            elif kind == "overseas":
                number = f"INV-{issue.year}-{seq:05d}"
            else:
                number = f"{seq + 10_000_000:08d}"
            row.update(invoice_no=number, issue_date=issue.isoformat())
        self.add("invoice", row)

    def order(
        self, contract: dict[str, Any], o: Opp, lines: list[dict[str, Any]], sign: date
    ) -> None:
        r = self.r
        cust = o.cust
        order_date = min(sign + timedelta(days=r.randint(1, 10)), self.today)
        delivery = order_date + timedelta(days=r.randint(7, 45))
        if r.random() < 0.03:
            status = "cancelled"
        elif delivery < self.today - timedelta(days=10):
            status = "completed" if r.random() < 0.85 else "delivered"
        elif delivery < self.today:
            status = "delivered"
        elif (self.today - order_date).days > 3:
            status = r.choice(("confirmed", "shipping"))
        else:
            status = "pending"
        erp_status = {
            "completed": "invoiced",
            "delivered": "shipped",
            "shipping": "shipped",
            "confirmed": r.choice(("synced", "in_production")),
            "pending": "not_synced",
            "cancelled": "synced",
        }[status]
        if erp_status != "not_synced" and r.random() < 0.02:
            erp_status = "failed"
        created = max(self.at_day(order_date), datetime.fromisoformat(contract["created_at"]))
        row = self.base("order", min(created, self.now), contract["owner_id"])
        row.update(
            customer=cust.id,
            contract=contract["id"],
            status=status,
            order_date=order_date.isoformat(),
            delivery_date=delivery.isoformat(),
            shipping_address=dict(cust.row["address"]),
            erp_status=erp_status,
        )
        if o.contact:
            row["receiver_name"] = o.contact["name"]
            row["receiver_phone"] = o.contact["mobile"]
        if erp_status != "not_synced":
            row["erp_ref"] = f"XSDD{order_date:%Y%m}{self.next_seq('erp'):05d}"
            row["erp_synced_at"] = iso(self.dt_between(created, self.now))
        self.add("order", row)
        for spec in lines:
            line = self.base("order_line", created)
            qty = Decimal(spec["quantity"])
            delivered = (
                qty
                if status in ("delivered", "completed")
                else q2(qty * Decimal(r.randint(0, 9)) / 10)
                if status == "shipping"
                else Decimal(0)
            )
            line.update(
                sales_order=row["id"],
                product=spec["product"],
                description=spec.get("description"),
                quantity=spec["quantity"],
                unit_price=spec["unit_price"],
                discount=spec["discount"],
                delivered_quantity=f"{delivered:.2f}",
            )
            self.add("order_line", line)
