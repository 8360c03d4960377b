"""Campaigns, leads from every channel with their UTM values, and campaign members."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from accord.apps.crm.demo import text as T
from accord.apps.crm.demo.base import (
    INDUSTRY_WEIGHTS,
    LEAD_SOURCES,
    GeneratorBase,
    iso,
    money,
)

# Lead source → campaign types it comes from.
SOURCE_CAMPAIGN_TYPES = {
    "ads": ("ads",),
    "trade_show": ("trade_show",),
    "event": ("seminar", "other"),
    "email": ("email", "sms"),
    "website": ("webinar", "wechat"),
}


class Marketing(GeneratorBase):
    # --- campaigns ----------------------------------------------------------------------------

    def build_campaigns(self) -> None:
        n = self.size.n_campaigns
        span = (self.today - self.start).days + 60
        self.campaigns = []
        self.campaign_info = {}
        templates = list(T.CAMPAIGNS[:n])
        for i, (ctype, channel, name, slug, budget_range) in enumerate(templates):
            start = self.start + timedelta(days=int(span * (i + self.r.random()) / n))
            length = {
                "trade_show": 3,
                "webinar": 1,
                "seminar": 1,
                "ads": self.r.randint(30, 90),
                "email": 14,
                "wechat": 30,
                "sms": 7,
                "other": 2,
            }[ctype]
            end = start + timedelta(days=length - 1)
            if end < self.today:
                status = "completed"
            elif start <= self.today:
                status = "active"
            else:
                status = "planned"
            budget = Decimal(self.r.randrange(*budget_range, 5000))
            created = self.dt_between(
                max(self.t0, self.at_day(start - timedelta(days=45))),
                min(self.now, self.at_day(start)),
            )
            row = self.base("campaign", min(created, self.now), self.owner())
            row.update(
                name=f"{start.year} {name}",
                type=ctype,
                status=status,
                channel=channel,
                utm_campaign=f"{start:%Y%m}_{slug}",
                start_date=start.isoformat(),
                end_date=end.isoformat(),
                budget=money(budget),
                expected_revenue=money(budget * self.r.randint(5, 12)),
                description=f"{name}：获取{'海外' if channel in ('linkedin', 'google') else ''}"
                f"潜在客户线索，提升品牌认知。",
            )
            if status != "planned":
                ratio = Decimal(str(self.r.uniform(0.8, 1.1) if status == "completed" else 0.5))
                row["actual_cost"] = money(budget * ratio)
            self.add("campaign", row)
            self.campaigns.append(row)
            self.campaign_info[row["id"]] = (ctype, channel, start, end)

    def campaign_for(self, source: str, created: datetime | None) -> dict[str, Any] | None:
        types = SOURCE_CAMPAIGN_TYPES.get(source)
        if not types:
            return None
        options = [
            c
            for c in self.campaigns
            if c["type"] in types
            and self.campaign_info[c["id"]][2] <= self.today - timedelta(days=1)
            and (created is None or self.campaign_info[c["id"]][2] <= created.date())
        ]
        return self.r.choice(options) if options else None

    def campaign_window(self, campaign: dict[str, Any]) -> tuple[datetime, datetime]:
        _, _, start, end = self.campaign_info[campaign["id"]]
        lo = max(self.t0, self.at_day(start))
        hi = min(self.now, self.at_day(end + timedelta(days=30)))
        return lo, max(lo, hi)

    # --- leads --------------------------------------------------------------------------------

    def build_leads(self) -> None:
        r = self.r
        self.leads = []
        target = self.size.n_leads
        # Leads that became the customers' opportunities.
        converted = [
            o
            for o in self.opps
            if o.row["type"] == "new"
            and o.row["source"] not in ("manual", "import")
            and o.contact is not None
            and r.random() < 0.6
        ][: target // 3]
        for o in converted:
            cust, contact = o.cust, o.contact
            assert contact is not None
            lo = max(self.t0, o.created - timedelta(days=30))
            created = self.dt_between(lo, o.created)
            row = self.base("lead", created, o.row["owner_id"])
            row.update(
                name=contact["name"],
                company=cust.row["name"],
                title=contact.get("title"),
                mobile=contact["mobile"],
                source=o.row["source"],
                status="qualified",
                rating=r.choice(("hot", "warm")),
                score=r.randint(60, 95),
                industry=cust.row["industry"],
                region=cust.row["region"],
                product_line=o.row["product_line"],
                address=self.address(cust.place, street=False),
                converted_customer=cust.id,
                converted_contact=contact["id"],
                converted_opportunity=o.row["id"],
                converted_at=iso(o.created),
            )
            if contact.get("email"):
                row["email"] = contact["email"]
            if o.row.get("campaign"):
                row["campaign"] = o.row["campaign"]
                self.utm(row, self.campaign_by_id[o.row["campaign"]], cust.en)
            self.add("lead", row)
            self.leads.append((row, cust.en, cust.place))
        for _ in range(target - len(converted)):
            self.one_lead()

    def utm(self, row: dict[str, Any], campaign: dict[str, Any], en: bool) -> None:
        r = self.r
        channel = campaign["channel"]
        medium = {
            "baidu": "cpc",
            "google": "cpc",
            "oceanengine": "feed",
            "linkedin": "social",
            "wechat": "social",
            "email": "email",
            "sms": "sms",
        }.get(channel, "referral")
        if channel == "offline":  # QR codes on booth signs and printed material
            medium = "qrcode"
        row["utm_source"] = {"email": "newsletter", "offline": "event_qr"}.get(channel, channel)
        row["utm_medium"] = medium
        row["utm_campaign"] = campaign["utm_campaign"]
        row["utm_content"] = r.choice(T.UTM_CONTENTS)
        if medium == "cpc":
            row["utm_term"] = r.choice(T.SEARCH_TERMS_EN if en else T.SEARCH_TERMS)

    def one_lead(self) -> None:
        r = self.r
        en = r.random() < 0.15
        source = self.pick(LEAD_SOURCES)
        campaign = self.campaign_for(source, None) if r.random() < 0.8 else None
        if campaign is not None:
            created = self.dt_between(*self.campaign_window(campaign))
        else:
            created = self.dt_recent_bias(self.t0, self.now - timedelta(hours=2), 0.7)
        age = (self.now - created).days
        if age < 7:
            status = self.pick({"new": 70, "contacting": 30})
        elif age < 60:
            status = self.pick({"new": 15, "contacting": 50, "unqualified": 25, "recycled": 10})
        else:
            status = self.pick({"new": 3, "contacting": 12, "unqualified": 60, "recycled": 25})
        place = self.place_hk() if en and r.random() < 0.3 else self.place_cn()
        industry = self.pick(INDUSTRY_WEIGHTS)
        p = self.person(en)
        named = self.company_name(place, industry, en, "enterprise")
        company, domain = (named[0], named[2]) if named else (f"{p.name} Studio", "example.com")
        score = max(0, min(100, int(r.gauss(45, 20))))
        owner = (
            None
            if status == "recycled" or (status == "new" and r.random() < 0.15)
            else self.owner()
        )
        title_zh, title_en, _, _ = r.choice(T.CONTACT_ROLES)
        row = self.base("lead", created, owner)
        row.update(
            name=p.name,
            company=company,
            title=title_en if en else title_zh,
            mobile=self.mobile(place),
            source=source,
            status=status,
            rating="hot" if score >= 70 else "warm" if score >= 40 else "cold",
            score=score,
            industry=industry,
            region=place.region,
            product_line=r.choices(
                ("software", "hardware", "services", "solution"), (55, 20, 15, 10)
            )[0],
            address=self.address(place, street=r.random() < 0.3),
        )
        roll = r.random()
        if roll < 0.55:
            row["email"] = f"{p.email_local}@{domain}"
        elif roll < 0.75 and not en:
            row["email"] = r.choice(
                (
                    f"{r.randint(10_000_000, 3_999_999_999)}@qq.com",
                    f"{p.email_local.replace('.', '')}{r.randint(1, 999)}@163.com",
                    f"{p.email_local.replace('.', '_')}@126.com",
                )
            )
        if not en and r.random() < 0.4:
            row["wechat"] = f"wxid_{r.randint(10**9, 10**10 - 1)}"
        if r.random() < 0.25:
            row["phone"] = self.landline(place)
        if r.random() < 0.2:
            row["website"] = f"https://www.{domain}"
        if campaign is not None:
            row["campaign"] = campaign["id"]
            self.utm(row, campaign, en)
        elif source == "website" and r.random() < 0.5:
            row["utm_source"] = r.choice(("baidu", "bing", "google", "direct"))
            row["utm_medium"] = "organic"
        if status == "unqualified":
            row["unqualified_reason"] = self.pick(
                {
                    "invalid_contact": 25,
                    "no_need": 30,
                    "no_budget": 20,
                    "competitor": 5,
                    "duplicate": 12,
                    "other": 8,
                }
            )
        if status == "recycled":
            row["returned_to_pool_at"] = iso(self.dt_between(created + timedelta(days=7), self.now))
        if r.random() < 0.1:
            row["tags"] = r.sample(T.LEAD_TAGS, r.randint(1, 2))
        if r.random() < 0.2:
            row["description"] = (
                "Asked for pricing and a trial account."
                if en
                else r.choice(
                    (
                        "咨询产品价格，希望申请试用账号。",
                        "希望了解制造业案例。",
                        "展会现场扫码留资。",
                    )
                )
            )
        self.add("lead", row)
        self.leads.append((row, en, place))

    # --- campaign members ---------------------------------------------------------------------

    def build_campaign_members(self) -> None:
        r = self.r
        status_by_type = {
            "trade_show": {"attended": 70, "registered": 30},
            "webinar": {"registered": 45, "attended": 55},
            "seminar": {"attended": 75, "registered": 25},
            "ads": {"clicked": 60, "responded": 40},
            "email": {"clicked": 55, "responded": 45},
            "sms": {"clicked": 70, "responded": 30},
            "wechat": {"responded": 70, "clicked": 30},
            "other": {"attended": 60, "registered": 40},
        }
        for lead, _, _ in self.leads:
            cid = lead.get("campaign")
            if not cid:
                continue
            ctype = self.campaign_info[cid][0]
            row = self.base("campaign_member", datetime.fromisoformat(lead["created_at"]))
            row.update(
                campaign=cid,
                lead=lead["id"],
                status=self.pick(status_by_type[ctype]),
                responded_at=lead["created_at"],
            )
            for key in ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term"):
                if lead.get(key):
                    row[key] = lead[key]
            self.add("campaign_member", row)
        contacts = [(c, k) for k in self.customers for c in k.contacts if not c["do_not_contact"]]
        for campaign in self.campaigns:
            ctype, _, start, _ = self.campaign_info[campaign["id"]]
            if ctype not in ("email", "sms", "webinar", "wechat") or start >= self.today:
                continue
            when = self.at_day(start)
            eligible = [c for c, _ in contacts if datetime.fromisoformat(c["created_at"]) < when]
            if not eligible:
                continue
            count = min(len(eligible), max(5, int(r.randint(80, 200) * self.size.scale)))
            for contact in r.sample(eligible, count):
                status = self.pick(
                    {"sent": 45, "opened": 30, "clicked": 15, "responded": 6, "unsubscribed": 4}
                )
                row = self.base("campaign_member", when)
                row.update(
                    campaign=campaign["id"],
                    contact=contact["id"],
                    status=status,
                    utm_source="newsletter" if ctype == "email" else ctype,
                    utm_medium=ctype,
                    utm_campaign=campaign["utm_campaign"],
                )
                if status in ("clicked", "responded"):
                    row["responded_at"] = iso(
                        self.dt_between(when, min(self.now, when + timedelta(days=5)))
                    )
                self.add("campaign_member", row)
