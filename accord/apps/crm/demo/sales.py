"""The product catalogue with its price books, and opportunities with their priced lines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from accord.apps.crm import catalog
from accord.apps.crm.demo import text as T
from accord.apps.crm.demo.base import (
    LEAD_SOURCES,
    USD_RATE,
    GeneratorBase,
    dec,
    iso,
    money,
    q2,
)
from accord.apps.crm.demo.companies import Cust

STAGE_WEIGHTS = {
    "initial_contact": 12,
    "needs_analysis": 10,
    "proposal": 8,
    "negotiation": 6,
    "contract_review": 4,
    "won": 25,
    "lost": 30,
    "on_hold": 5,
}
STAGE_RANK = {s: i for i, s in enumerate(STAGE_WEIGHTS)}
QUOTED_STAGES = frozenset({"proposal", "negotiation", "contract_review", "won"})
OPEN_STAGES = frozenset(
    {"initial_contact", "needs_analysis", "proposal", "negotiation", "contract_review"}
)


@dataclass
class Opp:
    row: dict[str, Any]
    cust: Cust
    stage: str
    created: datetime
    closed_at: datetime | None
    lines: list[dict[str, Any]]
    tax_rate: int
    discount_rate: int
    amount: Decimal
    contact: dict[str, Any] | None


class Sales(GeneratorBase):
    def build_catalogue(self) -> None:
        created = self.t0 - timedelta(days=30)
        self.products = []
        self.product_info = {}
        for spec in T.PRODUCTS:
            code, name, line, category, unit, price, cost_ratio, vat, specification = spec
            row = self.base("product", created)
            row.update(
                name=name,
                product_code=code,
                product_line=line,
                category=category,
                unit=unit,
                list_price=money(price),
                cost_price=money(Decimal(price) * Decimal(str(cost_ratio))),
                tax_rate=dec(vat),
                is_active=code != "HW-SCAN-2D",
            )
            if specification:
                row["specification"] = specification
            self.add("product", row)
            self.products.append(row)
            self.product_info[row["id"]] = spec
        books = (
            ("标准价目表", "CNY", True, Decimal(1)),
            ("渠道合作伙伴价目表", "CNY", False, Decimal("0.85")),
            ("International Price List (USD)", "USD", False, 1 / USD_RATE),
        )
        self.price_books = {}
        for name, currency, standard, factor in books:
            book = self.base("price_book", created)
            book.update(
                name=name,
                currency=currency,
                is_standard=standard,
                is_active=True,
                valid_from=self.start.replace(day=1).isoformat(),
                description="对外标准报价" if standard else None,
            )
            if book["description"] is None:
                del book["description"]
            self.add("price_book", book)
            prices: dict[str, Decimal] = {}
            for p in self.products:
                price = Decimal(self.product_info[p["id"]][5]) * factor
                price = price.quantize(Decimal(10) if price > 1000 else Decimal(1), ROUND_HALF_UP)
                prices[p["id"]] = price
                entry = self.base("price_book_entry", created)
                entry.update(
                    price_book=book["id"],
                    product=p["id"],
                    unit_price=money(price, currency),
                    min_quantity="1",
                    is_active=True,
                )
                self.add("price_book_entry", entry)
            self.price_books[currency if standard or currency == "USD" else "channel"] = (
                book["id"],
                prices,
            )

    # --- opportunities, quotes ----------------------------------------------------------------

    def choose_lines(self, cust: Cust, line: str) -> list[tuple[dict[str, Any], Decimal, int]]:
        """(product, quantity, discount %) for a deal of product line ``line``."""
        r = self.r
        by_line = {
            kind: [p for p in self.products if p["product_line"] == kind and p["is_active"]]
            for kind in ("software", "hardware", "services", "solution")
        }
        factor = {"a": 3.0, "b": 2.0, "c": 1.0, "d": 0.6}[cust.level]
        picks: list[dict[str, Any]] = []
        if line == "software":
            main = [p for p in by_line["software"] if p["category"] != "add_on_module"]
            picks.append(r.choice(main))
            picks += r.sample(
                [p for p in by_line["software"] if p["category"] == "add_on_module"],
                r.choice((0, 0, 1, 2)),
            )
            if r.random() < 0.5:
                picks.append(r.choice(by_line["services"][:4]))
        elif line == "hardware":
            picks += r.sample(by_line["hardware"], r.randint(1, 3))
            if r.random() < 0.5:
                picks.append(
                    next(
                        p
                        for p in by_line["services"]
                        if p["category"] == "implementation" and p["unit"] == "session"
                    )
                )
        elif line == "services":
            picks += r.sample(by_line["services"], r.randint(1, 2))
        else:
            picks.append(r.choice(by_line["solution"]))
            picks.append(by_line["services"][0])
            if r.random() < 0.6:
                picks.append(next(p for p in by_line["services"] if p["category"] == "maintenance"))
        out = []
        for p in picks:
            unit = p["unit"]
            if unit == "user_year":
                qty = max(10, int(r.randint(2, 30) * 10 * factor))
            elif unit == "person_day":
                qty = max(5, int(r.randint(5, 40) * factor))
            elif unit == "piece":
                qty = max(5, int(r.randint(5, 80) * factor))
            elif unit == "unit":
                qty = max(1, int(r.randint(1, 8) * factor))
            elif unit in ("month",):
                qty = r.randint(3, 12)
            elif unit == "session":
                qty = r.randint(1, 4)
            else:
                qty = 1 if r.random() < 0.8 else 2
            discount = r.choices((0, 5, 10, 15, 20), weights=(40, 20, 20, 12, 8))[0]
            out.append((p, Decimal(qty), discount))
        return out

    def price_lines(
        self, cust: Cust, picks: list[tuple[dict[str, Any], Decimal, int]]
    ) -> tuple[list[dict[str, Any]], Decimal]:
        _, prices = self.price_books["USD" if cust.currency == "USD" else "CNY"]
        lines = []
        subtotal = Decimal(0)
        for product, qty, discount in picks:
            unit_price = prices[product["id"]]
            amount = q2(qty * unit_price * (1 - Decimal(discount) / 100))
            subtotal += amount
            lines.append(
                {
                    "product": product["id"],
                    "description": product["name"],
                    "quantity": f"{qty:.2f}",
                    "unit_price": money(unit_price, cust.currency),
                    "discount": dec(discount),
                    "_amount": amount,
                }
            )
        return lines, subtotal

    def build_opportunities(self) -> None:
        r = self.r
        self.opps = []
        self.probabilities = catalog.stage_probabilities()
        owned = [c for c in self.customers if c.owner is not None]
        weights = [{"a": 5, "b": 3, "c": 2, "d": 1}[c.level] for c in owned]
        for _ in range(self.size.n_opportunities):
            cust = r.choices(owned, weights=weights)[0]
            stage = self.pick(STAGE_WEIGHTS)
            earliest = max(cust.created, self.t0)
            if stage in ("won", "lost") and earliest > self.now - timedelta(days=25):
                stage = "initial_contact"
            if stage in ("won", "lost"):
                # Closing days spread over the whole history; the cycle runs back from there.
                closed_at = self.dt_between(
                    earliest + timedelta(days=10), self.now - timedelta(days=1)
                )
                cycle = r.randint(20, 180) if stage == "won" else r.randint(10, 150)
                created = max(earliest, closed_at - timedelta(days=cycle, hours=r.randint(0, 8)))
                close = closed_at.date()
            elif stage == "on_hold":
                created = self.dt_between(earliest, self.now - timedelta(days=5))
                close = self.today + timedelta(days=r.randint(30, 180))
                closed_at = None
            else:
                lo = max(earliest, self.now - timedelta(days=40 + 35 * STAGE_RANK[stage]))
                created = self.dt_between(lo, self.now - timedelta(hours=12))
                close = max(
                    created.date() + timedelta(days=7),
                    self.today + timedelta(days=r.randint(-20, 120)),
                )
                closed_at = None
            line = r.choices(("software", "hardware", "services", "solution"), (50, 22, 18, 10))[0]
            lines, subtotal = self.price_lines(cust, self.choose_lines(cust, line))
            discount_rate = r.choices((0, 3, 5), weights=(80, 10, 10))[0]
            tax_rate = max(
                int(self.product_info[ln["product"]][7]) for ln in lines
            )  # goods 13 % dominate
            total = q2(
                subtotal * (1 - Decimal(discount_rate) / 100) * (1 + Decimal(tax_rate) / 100)
            )
            contact = self.pick_contact(cust)
            owner = cust.owner if r.random() < 0.9 else self.owner()
            opp_type = self.pick({"new": 70, "upsell": 18, "renewal": 12})
            project_zh, project_en = r.choice(T.PROJECTS[line])
            if opp_type == "renewal":
                project_zh, project_en = f"{created.year} 年度续费", f"{created.year} renewal"
            source = cust.row["source"] if r.random() < 0.6 else self.pick(LEAD_SOURCES)
            campaign = self.campaign_for(source, created) if r.random() < 0.7 else None
            row = self.base("opportunity", created, owner)
            row.update(
                name=f"{cust.short} – {project_en}" if cust.en else f"{cust.short}{project_zh}",
                customer=cust.id,
                amount=money(total, cust.currency),
                stage=stage,
                probability=dec(self.stage_probability(stage)),
                close_date=close.isoformat(),
                forecast_category={
                    "initial_contact": "pipeline",
                    "needs_analysis": "pipeline",
                    "proposal": "best_case",
                    "negotiation": "commit",
                    "contract_review": "commit",
                    "won": "closed",
                    "lost": "closed",
                    "on_hold": "omitted",
                }[stage],
                type=opp_type,
                source=source,
                product_line=line,
                stage_changed_at=iso(
                    closed_at if closed_at else self.dt_between(created, self.now)
                ),
            )
            if contact:
                row["contact"] = contact["id"]
            if campaign:
                row["campaign"] = campaign["id"]
            if stage == "lost":
                reason = self.pick(
                    {
                        "price": 30,
                        "competitor": 25,
                        "no_budget": 15,
                        "requirement_changed": 10,
                        "delayed": 10,
                        "relationship": 5,
                        "other": 5,
                    }
                )
                row["lost_reason"] = reason
                row["lost_detail"] = (T.LOST_DETAILS_EN if cust.en else T.LOST_DETAILS_ZH)[reason]
            if stage in OPEN_STAGES:
                row["next_step"] = r.choice(T.NEXT_STEPS_EN if cust.en else T.NEXT_STEPS_ZH)
            if STAGE_RANK[stage] >= STAGE_RANK["proposal"] and r.random() < 0.6:
                row["presales_owner"] = self.owner()
            if r.random() < 0.4:
                row["competitor"] = r.choice(T.COMPETITORS_EN if cust.en else T.COMPETITORS_ZH)
            if r.random() < 0.3:
                row["description"] = (
                    f"Customer evaluating {project_en}; {len(lines)} line items."
                    if cust.en
                    else f"客户计划推进{project_zh}，涉及 {len(lines)} 项产品/服务。"
                )
            self.add("opportunity", row)
            if stage == "won":
                cust.won += 1
            elif stage == "lost":
                cust.lost += 1
            else:
                cust.open += 1
            self.opps.append(
                Opp(
                    row,
                    cust,
                    stage,
                    created,
                    closed_at,
                    lines,
                    tax_rate,
                    discount_rate,
                    total,
                    contact,
                )
            )

    def stage_probability(self, stage: str) -> int:
        base = self.probabilities[stage]
        if stage in ("won", "lost", "on_hold") or self.r.random() < 0.7:
            return base
        return max(5, min(95, base + self.r.choice((-10, -5, 5, 10))))

    def pick_contact(self, cust: Cust) -> dict[str, Any] | None:
        if not cust.contacts:
            return None
        return cust.contacts[0] if self.r.random() < 0.5 else self.r.choice(cust.contacts)
