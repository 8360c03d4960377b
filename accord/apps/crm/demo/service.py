"""Service tickets from every channel, with SLA times, resolutions and satisfaction."""

from __future__ import annotations

from datetime import timedelta

from accord.apps.crm.demo import text as T
from accord.apps.crm.demo.base import GeneratorBase, iso


class Service(GeneratorBase):
    # --- service ------------------------------------------------------------------------------

    def build_tickets(self) -> None:
        r = self.r
        buyers = [c for c in self.customers if c.first_sign is not None]
        others = [c for c in self.customers if c.first_sign is None and c.contacts]
        response = {"urgent": (5, 30), "high": (15, 120), "normal": (30, 480), "low": (60, 1440)}
        sla_hours = {"urgent": 4, "high": 8, "normal": 24, "low": 72}
        self.tickets = []
        for _ in range(self.size.n_tickets):
            cust = r.choice(buyers) if buyers and r.random() < 0.8 else r.choice(others or buyers)
            lo = self.at_day(cust.first_sign) if cust.first_sign else cust.created
            lo = max(lo, self.t0)
            created = self.dt_recent_bias(lo, self.now - timedelta(hours=1), 0.9)
            kind = self.pick(
                {
                    "consultation": 35,
                    "fault": 25,
                    "installation": 10,
                    "complaint": 8,
                    "return": 5,
                    "suggestion": 7,
                }
            )
            priority = self.pick({"urgent": 5, "high": 20, "normal": 55, "low": 20})
            if cust.level == "a" and priority in ("normal", "low") and r.random() < 0.4:
                priority = "high"
            product_id = r.choice(cust.products) if cust.products else r.choice(self.products)["id"]
            pname = self.product_info[product_id][1]
            zh_subjects, en_subjects = T.TICKET_SUBJECTS[kind]
            contact = r.choice(cust.contacts) if cust.contacts else None
            row = self.base("ticket", created, self.owner())
            row.update(
                subject=r.choice(en_subjects if cust.en else zh_subjects).format(p=pname),
                customer=cust.id,
                product=product_id,
                channel=self.pick(
                    {
                        "phone": 35,
                        "email": 20,
                        "web": 15,
                        "wechat": 20,
                        "chat": 7,
                        "weibo": 1,
                        "other": 2,
                    }
                ),
                type=kind,
                priority=priority,
                description=(
                    f"Customer reports: {pname} – please investigate."
                    if cust.en
                    else f"客户反馈{pname}相关问题，请尽快处理。"
                ),
                sla_due_at=iso(created + timedelta(hours=sla_hours[priority])),
            )
            if contact:
                row["contact"] = contact["id"]
            age_h = (self.now - created).total_seconds() / 3600
            first = created + timedelta(minutes=r.randint(*response[priority]))
            resolve = created + timedelta(hours=sla_hours[priority] * r.uniform(0.2, 1.6))
            closed = resolve + timedelta(hours=r.uniform(2, 72))
            if first > self.now:
                status = "new"
            elif resolve > self.now:
                status = r.choice(("assigned", "in_progress", "pending_customer"))
            elif closed > self.now or age_h < 24 * 3:
                status = self.pick(
                    {"resolved": 70, "in_progress": 15, "reopened": 5, "pending_customer": 10}
                )
            else:
                status = self.pick({"closed": 85, "resolved": 12, "reopened": 3})
            if status != "new":
                row["first_response_at"] = iso(min(first, self.now))
            if status in ("resolved", "closed", "reopened"):
                row["resolved_at"] = iso(resolve)
                row["resolution"] = r.choice(
                    T.TICKET_RESOLUTIONS_EN if cust.en else T.TICKET_RESOLUTIONS_ZH
                )
            if status == "closed":
                row["closed_at"] = iso(min(closed, self.now))
                if r.random() < 0.7:
                    score = r.choices((5, 4, 3, 2, 1), weights=(50, 30, 12, 5, 3))[0]
                    row["satisfaction"] = score
                    if not cust.en and r.random() < 0.5:
                        row["satisfaction_comment"] = r.choice(T.SATISFACTION_COMMENTS)
            row["status"] = status
            self.add("ticket", row)
            self.tickets.append((row, cust))
