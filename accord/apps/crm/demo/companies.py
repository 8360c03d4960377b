"""Customers (companies, public bodies, individuals) and their contacts, and the customer
statuses derived from their history at the end."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from accord.apps.crm.demo import text as T
from accord.apps.crm.demo.base import (
    INDUSTRY_WEIGHTS,
    LEAD_SOURCES,
    USD_RATE,
    GeneratorBase,
    iso,
    money,
)
from accord.apps.crm.demo.people import Place

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc(rng: random.Random, prefix: str, admin_code: str) -> str:
    """A unified social credit code with valid check characters (GB 32100 / GB 11714)."""
    body = "".join(rng.choice("0123456789") for _ in range(8))
    s = sum(int(c) * w for c, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    c9 = 11 - s % 11
    org_code = body + ("X" if c9 == 10 else "0" if c9 == 11 else str(c9))
    first17 = prefix + admin_code + org_code
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return first17 + USCC_CHARS[(31 - total % 31) % 31]


@dataclass
class Cust:
    id: str
    row: dict[str, Any]
    en: bool
    currency: str
    place: Place
    level: str
    created: datetime
    owner: str | None
    short: str
    domain: str
    contacts: list[dict[str, Any]] = field(default_factory=list)
    won: int = 0
    open: int = 0
    lost: int = 0
    first_sign: date | None = None
    products: list[str] = field(default_factory=list)
    last_contract: str | None = None


class Companies(GeneratorBase):
    def company_name(
        self, place: Place, industry: str, en: bool, kind: str
    ) -> tuple[str, str, str, str] | None:
        """(full name, short name, domain, industry), or None when no unused name is found."""
        r = self.r
        for _ in range(12 if kind in ("government", "public_institution") else 60):
            if en:
                brand = r.choice(T.EN_BRANDS)
                word = r.choice(T.EN_INDUSTRY_WORDS[industry])
                if place.country == "SG":
                    full = f"{brand} {word} Pte. Ltd."
                elif place.region == "hk_mo_tw":
                    full = f"{brand} {word} (Hong Kong) Limited"
                else:
                    full = f"{brand} {word} ({place.city_en}) Co., Ltd."
                short = f"{brand} {word.split()[0]}"
                domain = f"{brand}{word.split()[0]}".lower() + r.choice((".com", ".com", ".net"))
            elif kind == "government":
                body = r.choice(T.GOVERNMENT_BODIES)
                full = f"{place.city.name if place.city else ''}{body}"
                short = f"{place.city_short}{body[:4]}"
                domain = ""
            elif kind == "public_institution":
                body, industry = r.choice(T.PUBLIC_INSTITUTIONS)
                full = f"{place.city.name if place.city else ''}{body}"
                short = f"{place.city_short}{body}"
                domain = ""
            else:
                (c1, p1), (c2, p2) = r.choice(T.BRAND_FIRST), r.choice(T.BRAND_SECOND)
                word, hint = r.choice(T.INDUSTRY_WORDS[industry])
                suffix = r.choices(
                    ("有限公司", "股份有限公司", "集团有限公司", "有限责任公司"),
                    weights=(70, 15, 8, 7),
                )[0]
                prefix = place.city_short if r.random() < 0.8 else ""
                full = f"{prefix}{c1}{c2}{word}{suffix}"
                short = f"{c1}{c2}{word[:2]}"
                domain = f"{p1}{p2}{hint}" + r.choice((".com", ".cn", ".com.cn"))
            if full not in self.seen_names:
                self.seen_names.add(full)
                return full, short, domain, industry
        return None

    def build_customers(self) -> None:
        r = self.r
        self.customers = []
        n = self.size.n_customers
        groups: list[Cust] = []
        for _ in range(n):
            en = r.random() < 0.2
            if en:
                where = r.choices(("cn", "hk", "sg"), weights=(65, 20, 15))[0]
                place = (
                    self.place_cn()
                    if where == "cn"
                    else self.place_hk()
                    if where == "hk"
                    else Place("SG", None, None, None, "overseas")
                )
                ctype = "foreign_invested" if where == "cn" else "enterprise"
                currency = "CNY" if where == "cn" else "USD"
            else:
                place = self.place_cn()
                ctype = self.pick(
                    {
                        "enterprise": 62,
                        "state_owned": 12,
                        "foreign_invested": 2,
                        "government": 8,
                        "public_institution": 9,
                        "individual": 2,
                    }
                )
                currency = "CNY"
            if ctype == "government":
                industry = "government_public"
            elif ctype == "public_institution":
                industry = "healthcare" if r.random() < 0.5 else "education"
            else:
                industry = self.pick(INDUSTRY_WEIGHTS)
            if ctype == "individual":
                p = self.person(False)
                name, short, domain = p.name, p.name, ""
            else:
                named = self.company_name(place, industry, en, ctype)
                if named is None:  # every such body of the city is taken already
                    ctype, industry = "enterprise", self.pick(INDUSTRY_WEIGHTS)
                    named = self.company_name(place, industry, en, ctype)
                    assert named is not None
                name, short, domain, industry = named
            level = self.pick({"a": 8, "b": 22, "c": 40, "d": 30})
            employees = {
                "a": ("size_1000_4999", "size_5000_plus", "size_500_999"),
                "b": ("size_500_999", "size_100_499", "size_1000_4999"),
                "c": ("size_100_499", "size_20_99"),
                "d": ("size_20_99", "size_1_19"),
            }[level]
            created = self.dt_recent_bias(self.t0, self.now - timedelta(days=1))
            in_pool = r.random() < 0.08
            owner = None if in_pool else self.owner()
            row = self.base("customer", created, owner)
            row.update(
                name=name,
                short_name=short,
                type=ctype,
                industry=industry,
                level=level,
                source=self.pick(LEAD_SOURCES),
                region=place.region,
                address=self.address(place),
                phone=self.landline(place),
                pool_status="in_pool" if in_pool else "owned",
            )
            if ctype != "individual":
                emp = r.choice(employees)
                row["employees"] = emp
                revenue_m = {"a": (500, 20000), "b": (100, 2000), "c": (10, 300), "d": (1, 50)}
                lo, hi = revenue_m[level]
                row["annual_revenue"] = money(
                    Decimal(round(math.exp(r.uniform(math.log(lo), math.log(hi))), 1))
                    * 1_000_000
                    / (USD_RATE if currency == "USD" else 1),
                    currency,
                )
            if domain:
                row["website"] = f"https://www.{domain}"
            if place.country == "CN" and place.region != "hk_mo_tw" and ctype != "individual":
                prefix = {"government": "11", "public_institution": "12"}.get(ctype, "91")
                assert place.province is not None
                while True:
                    code = uscc(r, prefix, place.province.code + "0000")
                    if code not in self.seen_uscc:
                        self.seen_uscc.add(code)
                        break
                row["unified_social_credit_code"] = code
            if in_pool:
                row["returned_to_pool_at"] = iso(self.dt_between(created, self.now))
            elif r.random() < 0.3:
                row["claimed_at"] = iso(created)
            if r.random() < 0.25:
                tags = T.CUSTOMER_TAGS_EN if en else T.CUSTOMER_TAGS_ZH
                row["tags"] = r.sample(tags, r.randint(1, 2))
            if r.random() < 0.3:
                row["description"] = (
                    f"{place.city_en}-based {industry.replace('_', ' ')} company."
                    if en
                    else f"位于{place.city_short}，主营{T.INDUSTRY_WORDS[industry][0][0]}相关业务。"
                )
            cust = Cust(
                id=row["id"],
                row=row,
                en=en,
                currency=currency,
                place=place,
                level=level,
                created=created,
                owner=owner,
                short=short,
                domain=domain,
            )
            if name.endswith("集团有限公司") and not en:
                groups.append(cust)
            elif groups and ctype == "enterprise" and r.random() < 0.05:
                parent = r.choice(groups)
                if parent.place.region == place.region:
                    row["parent"] = parent.id
            self.add("customer", row)
            self.customers.append(cust)
            self.build_contacts(cust)

    def build_contacts(self, cust: Cust) -> None:
        r = self.r
        n = r.choices((1, 2, 3, 4), weights=(30, 35, 20, 15))[0]
        public = cust.row["type"] in ("government", "public_institution")
        roles = list(T.PUBLIC_SECTOR_ROLES if public else T.CONTACT_ROLES)
        r.shuffle(roles)
        roles.sort(key=lambda x: x[3] != "decision_maker")
        for i in range(n):
            en = cust.en and (cust.place.country != "CN" or r.random() < 0.7)
            p = self.person(en)
            title_zh, title_en, dept, role = roles[i]
            created = (
                cust.created + timedelta(minutes=5 * i)
                if i == 0
                else self.dt_between(cust.created, self.now)
            )
            row = self.base("contact", min(created, self.now), cust.owner)
            row.update(
                name=p.name,
                customer=cust.id,
                title=title_en if en else title_zh,
                department_name=dept if not en else None,
                decision_role=role,
                mobile=self.mobile(cust.place),
                gender=p.gender,
                is_primary=i == 0,
                do_not_contact=r.random() < 0.03,
            )
            if row["department_name"] is None:
                del row["department_name"]
            if r.random() < 0.6:
                row["phone"] = self.landline(cust.place)
            if cust.domain and r.random() < 0.9:
                row["email"] = f"{p.email_local}@{cust.domain}"
            elif r.random() < 0.5:
                row["email"] = f"{r.randint(10_000_000, 3_999_999_999)}@qq.com"
            if not en and r.random() < 0.7:
                row["wechat"] = f"{p.email_local.replace('.', '_')}{r.randint(1, 99)}"
            if r.random() < 0.35:
                bday = date(r.randint(1966, 1998), r.randint(1, 12), r.randint(1, 28))
                row["birthday"] = bday.isoformat()
            if i > 0 and r.random() < 0.5:
                row["reports_to"] = cust.contacts[0]["id"]
            self.add("contact", row)
            cust.contacts.append(row)

    def finish_customers(self) -> None:
        for cust in self.customers:
            row = cust.row
            last = row.get("last_activity_at")
            stale = last is None or datetime.fromisoformat(last) < self.now - timedelta(days=180)
            if cust.won >= 2:
                status = "repeat_customer"
            elif cust.won == 1:
                status = "dormant" if stale and cust.open == 0 and self.chance(0.3) else "customer"
            elif cust.open:
                status = "interested"
            elif cust.lost:
                status = "churned" if self.chance(0.5) else "prospect"
            else:
                status = (
                    "dormant"
                    if stale and cust.created < self.now - timedelta(days=365)
                    else "prospect"
                )
            row["status"] = status
