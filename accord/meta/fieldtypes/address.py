"""Location family: address (six columns) and geo (two columns).

address: columns ``<name>_province``, ``_city``, ``_district`` (String 64), ``_street``
(String 255), ``_postcode`` (String 16), ``_country`` (String 2, ISO 3166-1 alpha-2). The value
is a dict of those six keys (missing parts None), or None when every part is empty. When some part
is given and the country is not, option ``default_country`` (default ``"CN"``) fills it. For
Chinese addresses a known province (``广东``, ``广东省``, ``Guangdong``) is normalised to its
official name (:func:`normalize_province`); option ``strict_province: true`` refuses unknown
ones. Import cells are split heuristically (``广东省深圳市南山区科技园路1号``).

geo: columns ``<name>_lat`` and ``<name>_lng`` (Float); value ``{"lat": float, "lng": float}``,
input also ``[lat, lng]`` or ``"lat,lng"``; ranges ±90 / ±180.

| check id  | type    | problem                                                              |
|-----------|---------|----------------------------------------------------------------------|
| meta.E170 | address | ``default_country`` not two letters, ``strict_province`` not boolean |
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import Float, String

from accord.meta.fieldtypes.base import ColumnSpec, Problem
from accord.meta.fieldtypes.common import BaseType, option_problem
from accord.meta.fieldtypes.registry import register
from accord.meta.fieldtypes.validation import (
    INVALID_ADDRESS,
    INVALID_TYPE,
    OUT_OF_RANGE,
    TOO_LONG,
    fail,
    type_error,
)
from accord.meta.model import FieldDef, ObjectDef

# The 34 provincial-level divisions: (official name, short name, English name).
PROVINCES: tuple[tuple[str, str, str], ...] = (
    ("北京市", "北京", "Beijing"),
    ("天津市", "天津", "Tianjin"),
    ("上海市", "上海", "Shanghai"),
    ("重庆市", "重庆", "Chongqing"),
    ("河北省", "河北", "Hebei"),
    ("山西省", "山西", "Shanxi"),
    ("辽宁省", "辽宁", "Liaoning"),
    ("吉林省", "吉林", "Jilin"),
    ("黑龙江省", "黑龙江", "Heilongjiang"),
    ("江苏省", "江苏", "Jiangsu"),
    ("浙江省", "浙江", "Zhejiang"),
    ("安徽省", "安徽", "Anhui"),
    ("福建省", "福建", "Fujian"),
    ("江西省", "江西", "Jiangxi"),
    ("山东省", "山东", "Shandong"),
    ("河南省", "河南", "Henan"),
    ("湖北省", "湖北", "Hubei"),
    ("湖南省", "湖南", "Hunan"),
    ("广东省", "广东", "Guangdong"),
    ("海南省", "海南", "Hainan"),
    ("四川省", "四川", "Sichuan"),
    ("贵州省", "贵州", "Guizhou"),
    ("云南省", "云南", "Yunnan"),
    ("陕西省", "陕西", "Shaanxi"),
    ("甘肃省", "甘肃", "Gansu"),
    ("青海省", "青海", "Qinghai"),
    ("台湾省", "台湾", "Taiwan"),
    ("内蒙古自治区", "内蒙古", "Inner Mongolia"),
    ("广西壮族自治区", "广西", "Guangxi"),
    ("西藏自治区", "西藏", "Xizang"),
    ("宁夏回族自治区", "宁夏", "Ningxia"),
    ("新疆维吾尔自治区", "新疆", "Xinjiang"),
    ("香港特别行政区", "香港", "Hong Kong"),
    ("澳门特别行政区", "澳门", "Macao"),
)
MUNICIPALITIES = frozenset({"北京市", "天津市", "上海市", "重庆市"})
_PROVINCE_BY_NAME: dict[str, str] = {}
for _full, _short, _en in PROVINCES:
    for _alias in (_full, _short, _en.casefold(), _en.replace(" ", "").casefold()):
        _PROVINCE_BY_NAME[_alias] = _full
_PROVINCE_BY_NAME.update({"tibet": "西藏自治区", "macau": "澳门特别行政区"})
_PROVINCE_PREFIX = re.compile(
    "|".join(
        sorted((p[0] for p in PROVINCES), key=len, reverse=True)
        + sorted((p[1] for p in PROVINCES), key=len, reverse=True)
    )
)
_CITY = re.compile(r"(.{1,8}?(?:自治州|地区|盟|市))")
_DISTRICT = re.compile(r"(.{1,8}?(?:新区|区|县|旗|市))")

PARTS: dict[str, int] = {
    "province": 64,
    "city": 64,
    "district": 64,
    "street": 255,
    "postcode": 16,
    "country": 2,
}
_COUNTRY = re.compile(r"[A-Z]{2}")


def normalize_province(name: str) -> str | None:
    """The official name of a Chinese provincial-level division (``广东`` → ``广东省``), or None."""
    s = name.strip()
    return _PROVINCE_BY_NAME.get(s) or _PROVINCE_BY_NAME.get(s.casefold().replace(" ", ""))


def split_cn_address(text: str) -> dict[str, str | None]:
    """Best-effort split of a one-line Chinese address into province/city/district/street."""
    s = re.sub(r"\s+", "", text)
    out: dict[str, str | None] = {"province": None, "city": None, "district": None}
    m = _PROVINCE_PREFIX.match(s)
    if m is None:
        return {**out, "street": text.strip() or None}
    province = normalize_province(m.group(0)) or m.group(0)
    out["province"] = province
    s = s[m.end() :]
    if province in MUNICIPALITIES:
        out["city"] = province
        s = s.removeprefix(province).removeprefix("市")
    else:
        m = _CITY.match(s)
        if m:
            out["city"], s = m.group(1), s[m.end() :]
    m = _DISTRICT.match(s)
    if m:
        out["district"], s = m.group(1), s[m.end() :]
    return {**out, "street": s or None}


@register
class AddressType(BaseType):
    name = "address"
    label = {"en": "Address", "zh": "地址"}
    kind = "json"  # filters address a part: each subfield is text
    widget = "address-picker"
    sortable = False

    def check(
        self, field: FieldDef, obj: ObjectDef, objects: Mapping[str, ObjectDef]
    ) -> list[Problem]:
        dc = field.options.get("default_country", "CN")
        strict = field.options.get("strict_province", False)
        if (dc is not None and (not isinstance(dc, str) or not _COUNTRY.fullmatch(dc))) or (
            not isinstance(strict, bool)
        ):
            msg = "default_country must be two upper-case letters; strict_province a boolean"
            return [option_problem(field, obj, "meta.E170", msg)]
        return []

    def columns(self, field: FieldDef) -> list[ColumnSpec]:
        return [
            ColumnSpec(f"{field.name}_{part}", String(n), part, "text") for part, n in PARTS.items()
        ]

    def coerce(self, value: Any, field: FieldDef) -> Any:
        if value is None:
            return None
        if isinstance(value, str):
            value = split_cn_address(value) if value.strip() else {}
        if not isinstance(value, Mapping):
            raise type_error("an address object", value)
        out: dict[str, str | None] = {}
        empty = True
        for part, limit in PARTS.items():
            v = value.get(part)
            if v is not None:
                if not isinstance(v, str):
                    raise fail(INVALID_TYPE, f"address {part} must be text")
                v = v.strip() or None
                if v is not None:
                    empty = False
                    if len(v) > limit:
                        raise fail(TOO_LONG, f"address {part}: at most {limit} characters")
            out[part] = v
        if empty:
            return None
        country = out["country"]
        if country is None:
            country = out["country"] = field.options.get("default_country", "CN")
        else:
            country = out["country"] = country.upper()
            if not _COUNTRY.fullmatch(country):
                raise fail(INVALID_ADDRESS, "country must be a two-letter ISO 3166-1 code")
        if country == "CN" and out["province"] is not None:
            full = normalize_province(out["province"])
            if full is not None:
                out["province"] = full
            elif field.options.get("strict_province"):
                raise fail(INVALID_ADDRESS, f"{out['province']!r} is not a Chinese province")
        return out

    def to_columns(self, value: Any, field: FieldDef) -> dict[str, Any]:
        v = value or {}
        return {f"{field.name}_{part}": v.get(part) for part in PARTS}

    def from_columns(self, row: Mapping[str, Any], field: FieldDef) -> Any:
        out = {part: row[f"{field.name}_{part}"] for part in PARTS}
        return out if any(v is not None for v in out.values()) else None

    def to_json(self, value: Any, field: FieldDef) -> Any:
        return None if value is None else dict(value)

    def value_schema(self, field: FieldDef) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {
                part: {"type": ["string", "null"], "maxLength": n} for part, n in PARTS.items()
            },
        }


# --- geo ------------------------------------------------------------------------------------


def _coordinate(v: Any, limit: float, what: str) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float | Decimal | str):
        raise type_error(f"a {what}", v)
    try:
        x = float(v)
    except ValueError:
        raise fail(INVALID_TYPE, f"{what} {str(v)[:20]!r} is not a number") from None
    if not math.isfinite(x) or not -limit <= x <= limit:
        raise fail(OUT_OF_RANGE, f"{what} must be within ±{limit:g}")
    return x


@register
class GeoType(BaseType):
    name = "geo"
    label = {"en": "Geo location", "zh": "地理位置"}
    kind = "json"
    widget = "map-picker"
    sortable = False
    can_be_indexed = False

    def columns(self, field: FieldDef) -> list[ColumnSpec]:
        return [
            ColumnSpec(f"{field.name}_lat", Float(), "lat", "decimal"),
            ColumnSpec(f"{field.name}_lng", Float(), "lng", "decimal"),
        ]

    def coerce(self, value: Any, field: FieldDef) -> Any:
        if value is None:
            return None
        if isinstance(value, str):
            if not value.strip():
                return None
            value = re.split(r"\s*[,，\s]\s*", value.strip())
        if isinstance(value, Mapping):
            lat = value.get("lat", value.get("latitude"))
            lng = value.get("lng", value.get("lon", value.get("longitude")))
        elif isinstance(value, list | tuple) and len(value) == 2:
            lat, lng = value
        else:
            raise type_error("{'lat': …, 'lng': …}", value)
        if lat is None and lng is None:
            return None
        if lat is None or lng is None:
            raise fail(INVALID_TYPE, "a location needs both lat and lng")
        return {"lat": _coordinate(lat, 90, "latitude"), "lng": _coordinate(lng, 180, "longitude")}

    def to_columns(self, value: Any, field: FieldDef) -> dict[str, Any]:
        v = value or {}
        return {f"{field.name}_lat": v.get("lat"), f"{field.name}_lng": v.get("lng")}

    def from_columns(self, row: Mapping[str, Any], field: FieldDef) -> Any:
        lat, lng = row[f"{field.name}_lat"], row[f"{field.name}_lng"]
        return None if lat is None or lng is None else {"lat": lat, "lng": lng}

    def to_json(self, value: Any, field: FieldDef) -> Any:
        return None if value is None else dict(value)

    def value_schema(self, field: FieldDef) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {
                "lat": {"type": "number", "minimum": -90, "maximum": 90},
                "lng": {"type": "number", "minimum": -180, "maximum": 180},
            },
            "required": ["lat", "lng"],
        }
