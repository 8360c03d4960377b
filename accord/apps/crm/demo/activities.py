"""Follow-up work: activities (calls, visits, WeChat…) on opportunities, customers and leads
with the last-activity stamps they leave, and tasks by a due date."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from accord.apps.crm.demo import text as T
from accord.apps.crm.demo.base import GeneratorBase, iso
from accord.apps.crm.demo.people import Place
from accord.apps.crm.demo.sales import OPEN_STAGES, STAGE_RANK


class Activities(GeneratorBase):
    # --- activities ---------------------------------------------------------------------------

    def activity(
        self,
        *,
        when: datetime,
        owner: str | None,
        en: bool,
        related: tuple[str, str],
        customer: str | None = None,
        contact: str | None = None,
        opportunity: str | None = None,
        lead: str | None = None,
        place: Place | None = None,
        kinds: dict[str, int] | None = None,
    ) -> dict[str, Any]:
        r = self.r
        kind = self.pick(
            kinds
            or {
                "call": 30,
                "wechat": 20,
                "visit": 15,
                "email": 12,
                "meeting": 10,
                "demo": 6,
                "note": 7,
            }
        )
        subjects_zh, subjects_en = T.ACTIVITY_SUBJECTS[kind]
        row = self.base("activity", when, owner or self.owner())
        row.update(
            subject=r.choice(subjects_en if en else subjects_zh),
            type=kind,
            content=r.choice(T.ACTIVITY_CONTENT_EN if en else T.ACTIVITY_CONTENT_ZH),
            occurred_at=iso(when),
            related_object=related[0],
            related_id=related[1],
        )
        if kind != "note":
            row["outcome"] = self.pick(
                {"positive": 35, "neutral": 40, "negative": 8, "no_response": 17}
            )
        duration = {"call": (2, 40), "visit": (30, 180), "meeting": (30, 120), "demo": (45, 120)}
        if kind in duration:
            row["duration_minutes"] = r.randint(*duration[kind])
        if kind == "visit" and place is not None and place.country == "CN":
            row["location"] = self.address_text(self.address(place))
        for key, value in (
            ("customer", customer),
            ("contact", contact),
            ("opportunity", opportunity),
            ("lead", lead),
        ):
            if value:
                row[key] = value
        return self.add("activity", row)

    def build_activities(self) -> None:
        r = self.r
        last: dict[str, datetime] = {}

        def touch(key: str, when: datetime) -> None:
            if key not in last or when > last[key]:
                last[key] = when

        for o in self.opps:
            end = o.closed_at or self.now
            count = r.randint(1, min(8, 2 + STAGE_RANK[o.stage] if o.stage in OPEN_STAGES else 8))
            moments = sorted(self.dt_between(o.created, end) for _ in range(count))
            for i, when in enumerate(moments):
                contact = r.choice(o.cust.contacts) if o.cust.contacts else None
                row = self.activity(
                    when=when,
                    owner=o.row["owner_id"],
                    en=o.cust.en,
                    related=("opportunity", o.row["id"]),
                    customer=o.cust.id,
                    contact=contact["id"] if contact else None,
                    opportunity=o.row["id"],
                    place=o.cust.place,
                )
                if i == len(moments) - 1 and o.stage in OPEN_STAGES:
                    follow = self.at_day(self.today + timedelta(days=r.randint(-3, 14)))
                    row["next_follow_up_at"] = iso(max(follow, when + timedelta(hours=1)))
                    o.row["next_follow_up"] = row["next_follow_up_at"]
                touch(o.row["id"], when)
                touch(o.cust.id, when)
                if contact:
                    touch(contact["id"], when)
        for cust in self.customers:
            if cust.won or cust.open or cust.lost or r.random() < 0.6:
                continue
            for _ in range(r.randint(1, 2)):
                when = self.dt_between(cust.created, self.now)
                contact = r.choice(cust.contacts) if cust.contacts else None
                self.activity(
                    when=when,
                    owner=cust.owner,
                    en=cust.en,
                    related=("customer", cust.id),
                    customer=cust.id,
                    contact=contact["id"] if contact else None,
                    place=cust.place,
                    kinds={"call": 50, "wechat": 25, "email": 20, "visit": 5},
                )
                touch(cust.id, when)
        for lead, en, place in self.leads:
            if lead["status"] == "new":
                continue
            created = datetime.fromisoformat(lead["created_at"])
            end = (
                datetime.fromisoformat(lead["converted_at"])
                if lead.get("converted_at")
                else datetime.fromisoformat(lead["returned_to_pool_at"])
                if lead.get("returned_to_pool_at")
                else self.now
            )
            for _ in range(r.randint(1, 3)):
                when = self.dt_between(created, end)
                self.activity(
                    when=when,
                    owner=lead["owner_id"],
                    en=en,
                    related=("lead", lead["id"]),
                    lead=lead["id"],
                    place=place,
                    kinds={"call": 60, "wechat": 20, "email": 20},
                )
                touch(lead["id"], when)
            if lead["status"] == "contacting" and r.random() < 0.7:
                lead["next_follow_up_at"] = iso(
                    self.at_day(self.today + timedelta(days=r.randint(-2, 10)))
                )
        # Last-activity stamps on the records the activities belong to.
        for cust in self.customers:
            if cust.id in last:
                cust.row["last_activity_at"] = iso(last[cust.id])
            for contact in cust.contacts:
                if contact["id"] in last:
                    contact["last_activity_at"] = iso(last[contact["id"]])
        for o in self.opps:
            if o.row["id"] in last:
                o.row["last_activity_at"] = iso(last[o.row["id"]])
            follow = o.row.pop("next_follow_up", None)
            if follow and (
                "next_follow_up_at" not in o.cust.row or follow > o.cust.row["next_follow_up_at"]
            ):
                o.cust.row["next_follow_up_at"] = follow
        for lead, _, _ in self.leads:
            if lead["id"] in last:
                lead["last_activity_at"] = iso(last[lead["id"]])

    # --- tasks --------------------------------------------------------------------------------

    def task(
        self,
        *,
        subject: str,
        due: date,
        created: datetime,
        owner: str | None,
        related: tuple[str, str],
        done: bool,
        priority: str = "normal",
        **links: str | None,
    ) -> None:
        r = self.r
        due_at = datetime.combine(due, time(2, 0), UTC)  # 10:00 in Beijing
        created = min(created, self.now)
        row = self.base("task", created, owner or self.owner())
        row.update(
            subject=subject,
            due_date=due.isoformat(),
            due_at=iso(due_at),
            reminder_at=iso(due_at - timedelta(hours=1)),
            priority=priority,
            related_object=related[0],
            related_id=related[1],
        )
        if done:
            row["status"] = "done"
            completed = self.dt_between(created, min(self.now, due_at + timedelta(days=2)))
            row["completed_at"] = iso(completed)
        else:
            row["status"] = r.choices(("not_started", "in_progress", "waiting"), (55, 35, 10))[0]
        row.update({k: v for k, v in links.items() if v})
        self.add("task", row)

    def build_tasks(self) -> None:
        r = self.r
        stage_tasks = {
            "initial_contact": ("安排首次拜访", "Book a first meeting"),
            "needs_analysis": ("整理需求调研纪要", "Write up discovery notes"),
            "proposal": ("售前准备技术方案", "Pre-sales: prepare the solution"),
            "negotiation": ("准备特价审批材料", "Prepare discount approval"),
            "contract_review": ("跟进合同审批进度", "Chase contract approval"),
        }
        for o in self.opps:
            en = o.cust.en
            if o.stage in OPEN_STAGES and r.random() < 0.8:
                zh, en_text = stage_tasks[o.stage]
                due = self.today + timedelta(days=r.randint(-5, 14))
                self.task(
                    subject=en_text if en else zh,
                    due=due,
                    created=self.dt_between(o.created, self.now),
                    owner=o.row.get("presales_owner")
                    if o.stage == "proposal"
                    else o.row["owner_id"],
                    related=("opportunity", o.row["id"]),
                    done=False,
                    priority="high" if o.amount > 500_000 else "normal",
                    opportunity=o.row["id"],
                    customer=o.cust.id,
                    contact=o.contact["id"] if o.contact else None,
                )
            elif o.closed_at is not None and r.random() < 0.3:
                when = self.dt_between(o.created, o.closed_at)
                self.task(
                    subject="Send the proposal" if en else "发送方案与报价",
                    due=when.date() + timedelta(days=2),
                    created=when,
                    owner=o.row["owner_id"],
                    related=("opportunity", o.row["id"]),
                    done=True,
                    opportunity=o.row["id"],
                    customer=o.cust.id,
                )
        for lead, en, _ in self.leads:
            if lead["status"] not in ("new", "contacting") or lead["owner_id"] is None:
                continue
            if r.random() < 0.6:
                created = datetime.fromisoformat(lead["created_at"])
                self.task(
                    subject=f"Contact {lead['name']}" if en else f"首次联系 {lead['name']}",
                    due=created.date() + timedelta(days=1),
                    created=created,
                    owner=lead["owner_id"],
                    related=("lead", lead["id"]),
                    done=lead["status"] == "contacting",
                    priority="high" if lead["rating"] == "hot" else "normal",
                    lead=lead["id"],
                )
        for ticket, cust in self.tickets:
            if (
                ticket["status"] in ("in_progress", "pending_customer", "reopened")
                and r.random() < 0.3
            ):
                created = datetime.fromisoformat(ticket["created_at"])
                self.task(
                    subject="Call back the customer" if cust.en else "回访客户确认问题",
                    due=max(self.today, created.date() + timedelta(days=1)),
                    created=created,
                    owner=ticket["owner_id"],
                    related=("ticket", ticket["id"]),
                    done=False,
                    priority="high" if ticket["priority"] in ("urgent", "high") else "normal",
                    ticket=ticket["id"],
                    customer=cust.id,
                    contact=ticket.get("contact"),
                )
