"""People, places, addresses and phone numbers of the demo data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accord.apps.crm.demo import text as T
from accord.apps.crm.demo.base import GeneratorBase
from accord.apps.crm.regions import City, Province

BIG_CITIES = frozenset(
    {"北京市", "上海市", "深圳市", "广州市", "杭州市", "苏州市", "南京市", "成都市", "武汉市"}
)
MOBILE_PREFIXES = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152",
    "153", "155", "156", "157", "158", "159", "166", "173", "175", "176", "177", "178", "180",
    "181", "182", "183", "184", "185", "186", "187", "188", "189", "191", "193", "195", "198",
    "199",
)  # fmt: skip


@dataclass
class Place:
    country: str  # CN or SG
    province: Province | None
    city: City | None
    district: str | None
    region: str

    @property
    def city_short(self) -> str:
        if self.city is None:
            return "新加坡"
        return self.city.name.removesuffix("市")

    @property
    def city_en(self) -> str:
        return self.city.en if self.city else "Singapore"


@dataclass
class Person:
    name: str
    email_local: str
    gender: str
    en: bool


class People(GeneratorBase):
    def person(self, en: bool) -> Person:
        r = self.r
        gender = "male" if r.random() < 0.58 else "female"
        if en:
            first = r.choice(T.EN_FIRST_MALE if gender == "male" else T.EN_FIRST_FEMALE)
            last = r.choice(T.EN_LAST)
            return Person(f"{first} {last}", f"{first}.{last}".lower(), gender, True)
        surnames = T.SURNAMES
        sn, sn_py, _ = r.choices(surnames, weights=[w for _, _, w in surnames])[0]
        pool = T.GIVEN_MALE if gender == "male" else T.GIVEN_FEMALE
        chars = [r.choice(pool) for _ in range(1 if r.random() < 0.35 else 2)]
        given = "".join(c for c, _ in chars)
        given_py = "".join(p for _, p in chars)
        local = r.choice((f"{given_py}.{sn_py}", f"{sn_py}{given_py}", f"{sn_py}.{given_py}"))
        return Person(sn + given, local, gender, False)

    def place_cn(self) -> Place:
        weights = [6 if c.name in BIG_CITIES else 1.5 for _, c in self.cn_places]
        p, c = self.r.choices(self.cn_places, weights=weights)[0]
        return Place("CN", p, c, self.r.choice(c.districts), p.region)

    def place_hk(self) -> Place:
        p, c = self.r.choice(self.hk_places)
        return Place("CN", p, c, self.r.choice(c.districts), "hk_mo_tw")

    def address(self, place: Place, *, street: bool = True) -> dict[str, Any]:
        r = self.r
        if place.country == "SG":
            out = {
                "country": "SG",
                "city": "Singapore",
                "street": f"{r.randint(1, 80)} {r.choice(T.SG_ROADS)}, "
                f"#{r.randint(5, 40):02d}-{r.randint(1, 12):02d}",
                "postcode": f"0{r.choice('4678')}{r.randint(0, 9999):04d}",
            }
            return out
        assert place.province and place.city and place.district
        out = {
            "country": "CN",
            "province": place.province.name,
            "city": place.city.name,
            "district": place.district,
        }
        if street:
            if r.random() < 0.6:
                road, building = r.choice(T.ROADS), r.choice(T.BUILDINGS)
                s = f"{road}{r.randint(1, 999)}号{building}{r.randint(2, 28)}楼"
            else:
                s = f"{r.choice(T.ROADS)}{r.randint(1, 999)}号"
            out["street"] = s
        if place.city.postcode:
            out["postcode"] = place.city.postcode
        return out

    def address_text(self, addr: dict[str, Any]) -> str:
        if addr.get("country") == "SG":
            return f"{addr.get('street', '')}, Singapore {addr.get('postcode', '')}"
        parts = [addr.get("province"), addr.get("city"), addr.get("district"), addr.get("street")]
        seen: list[str] = []
        for p in parts:
            if p and p not in seen:
                seen.append(p)
        return "".join(seen)

    def mobile(self, place: Place | None = None) -> str:
        r = self.r
        if place is not None and place.country == "SG":
            return f"+65{r.choice('89')}{r.randint(1, 8)}{r.randint(0, 999999):06d}"
        if place is not None and place.region == "hk_mo_tw":
            return f"+8526{r.choice('13459')}{r.randint(0, 999999):06d}"
        return f"+86{r.choice(MOBILE_PREFIXES)}{r.randint(0, 99_999_999):08d}"

    def landline(self, place: Place) -> str:
        r = self.r
        if place.country == "SG":
            return f"+656{r.randint(1, 8)}{r.randint(0, 999999):06d}"
        assert place.city is not None
        if place.city.area_code is None:  # Hong Kong
            return f"+8522{r.randint(3, 9)}{r.randint(0, 999999):06d}"
        rest = place.city.landline_digits - 1
        return (
            f"+86{place.city.area_code[1:]}{r.randint(2, 7)}{r.randint(0, 10**rest - 1):0{rest}d}"
        )
