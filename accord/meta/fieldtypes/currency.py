"""Currency: an exact amount plus an ISO 4217 code, in two columns.

Columns ``<name>`` (``ExactDecimal(18, scale)``, subfield ``amount``, kind decimal; option
``scale``, default 2) and ``<name>_currency`` (String 3, subfield ``currency``, kind text). The
value is ``{"amount": Decimal, "currency": "CNY"}``; JSON ``{"amount": "12.50", "currency":
"CNY"}`` (the amount as a string).

Input: ``{"amount": "12.5", "currency": "usd"}`` (the code is upper-cased and must be an active
ISO 4217 code; ``RMB`` means CNY) or a bare number/string. A bare amount (or a mapping without
``currency``) takes option ``default_currency``; when that is unset the currency stays **None and
the record service fills in the company currency** before writing. Import cells accept a code or
a symbol (``¥1,234.50`` → CNY, ``$3`` → USD, ``12.5 EUR``).

| check id  | problem                                                                |
|-----------|------------------------------------------------------------------------|
| meta.E110 | ``scale`` not 0..10                                                    |
| meta.E112 | ``validation.min``/``max`` not numbers, or min > max                   |
| meta.E113 | ``default_currency`` is not an active ISO 4217 code                    |
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from sqlalchemy import String

from accord.db.types import ExactDecimal
from accord.meta.fieldtypes.base import ColumnSpec, Problem
from accord.meta.fieldtypes.common import DECIMAL_SCHEMA, BaseType, option_problem
from accord.meta.fieldtypes.numbers import (
    bound_problems,
    clean_number_text,
    precision_problems,
    to_decimal,
)
from accord.meta.fieldtypes.registry import register
from accord.meta.fieldtypes.validation import INVALID_CURRENCY, check_number, fail, type_error
from accord.meta.model import FieldDef, ObjectDef

# Active ISO 4217 codes (funds, precious metals and testing codes left out).
_ACTIVE_CODES = """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP
    BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP
    GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR
    KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK
    MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR
    SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS
    UAH UGX USD UYU UZS VES VED VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
"""
CURRENCY_CODES = frozenset(_ACTIVE_CODES.split())
_SYMBOLS = {"¥": "CNY", "$": "USD", "€": "EUR", "£": "GBP", "₩": "KRW", "₹": "INR", "₽": "RUB"}
_ALIASES = {"RMB": "CNY"}


def currency_code(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise type_error("a currency code", value)
    code = value.strip().upper()
    code = _ALIASES.get(code, code)
    if code not in CURRENCY_CODES:
        raise fail(INVALID_CURRENCY, f"{value[:10]!r} is not an active ISO 4217 currency code")
    return code


@register
class CurrencyType(BaseType):
    name = "currency"
    label = {"en": "Currency", "zh": "金额"}
    kind = "decimal"
    widget = "money-input"

    def check(
        self, field: FieldDef, obj: ObjectDef, objects: Mapping[str, ObjectDef]
    ) -> list[Problem]:
        out = precision_problems(field, obj, 2, with_precision=False) + bound_problems(field, obj)
        dc = field.options.get("default_currency")
        if dc is not None and (not isinstance(dc, str) or dc not in CURRENCY_CODES):
            msg = f"default_currency {dc!r} is not an active ISO 4217 code"
            out.append(option_problem(field, obj, "meta.E113", msg))
        return out

    def columns(self, field: FieldDef) -> list[ColumnSpec]:
        return [
            ColumnSpec(
                field.name, ExactDecimal(18, field.options.get("scale", 2)), "amount", "decimal"
            ),
            ColumnSpec(f"{field.name}_currency", String(3), "currency", "text"),
        ]

    def coerce(self, value: Any, field: FieldDef) -> Any:
        if value is None:
            return None
        opts = field.options
        if isinstance(value, Mapping):
            amount = value.get("amount")
            cur = value["currency"] if "currency" in value else opts.get("default_currency")
        else:
            amount, cur = value, opts.get("default_currency")
        if amount is None or (type(amount) is str and not amount.strip()):
            return None
        d = to_decimal(amount, 18, opts.get("scale", 2))
        if field.validation:
            check_number(d, field)
        if cur is not None and (type(cur) is not str or cur not in CURRENCY_CODES):
            cur = currency_code(cur)
        return {"amount": d, "currency": cur}

    def parse_text(self, text: str, field: FieldDef) -> Any:
        s = unicodedata.normalize("NFKC", text).strip()
        if not s:
            return None
        code = None
        m = re.search(r"[A-Za-z]{3}", s)
        if m:
            code = currency_code(m.group(0))
            s = (s[: m.start()] + s[m.end() :]).strip()
        else:
            sym = s.lstrip("+-(")[:1]
            code = _SYMBOLS.get(sym)
        num = clean_number_text(s)
        if code is None:
            return self.coerce(num, field)
        return self.coerce({"amount": num, "currency": code}, field)

    def to_columns(self, value: Any, field: FieldDef) -> dict[str, Any]:
        if value is None:
            return {field.name: None, f"{field.name}_currency": None}
        return {field.name: value["amount"], f"{field.name}_currency": value["currency"]}

    def from_columns(self, row: Mapping[str, Any], field: FieldDef) -> Any:
        amount = row[field.name]
        if amount is None:
            return None
        return {"amount": amount, "currency": row[f"{field.name}_currency"]}

    def to_json(self, value: Any, field: FieldDef) -> Any:
        if value is None:
            return None
        return {"amount": format(value["amount"], "f"), "currency": value["currency"]}

    def value_schema(self, field: FieldDef) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {
                "amount": dict(DECIMAL_SCHEMA),
                "currency": {"type": ["string", "null"], "pattern": "^[A-Z]{3}$"},
            },
            "required": ["amount"],
        }
