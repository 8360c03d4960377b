"""Number family: integer, decimal, percent, rating (currency, built on these, has its own
module).

Decimals are exact: ``Decimal`` in Python, ``ExactDecimal`` in the database, strings in JSON
(``"12.50"``). Input may be an int, a ``Decimal``, a numeric string, or a float (converted through
``repr`` so 0.1 stays 0.1); NaN/Infinity are refused; values are quantized to the field's scale
with ROUND_HALF_UP and refused (``OUT_OF_RANGE``) when they exceed its precision.

Import cells accept thousands separators and currency symbols (``1,234.50``, ``¥1,234.50``,
full-width digits), ``(12.00)`` for negatives, ``12.5%`` for percent and ``★★★`` for ratings.

| check id  | type                | problem                                                  |
|-----------|---------------------|----------------------------------------------------------|
| meta.E110 | decimal, percent    | ``precision`` not 1..38, ``scale`` not 0..10, or         |
|           |                     | scale > precision                                        |
| meta.E111 | integer             | ``min``/``max`` options not integers, or min > max       |
| meta.E112 | number types        | ``validation.min``/``max`` not numbers, or min > max     |
| meta.E114 | rating              | ``max`` is not an integer in 1..10                       |
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from sqlalchemy import BigInteger, SmallInteger

from accord.db.types import ExactDecimal
from accord.meta.fieldtypes.base import ColumnSpec, Problem
from accord.meta.fieldtypes.common import DECIMAL_SCHEMA, BaseType, is_int, option_problem
from accord.meta.fieldtypes.registry import register
from accord.meta.fieldtypes.validation import (
    INVALID_NUMBER,
    OUT_OF_RANGE,
    check_number,
    fail,
    number_bound_problem,
    type_error,
)
from accord.meta.model import FieldDef, ObjectDef

BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1
MAX_PRECISION, MAX_SCALE = 38, 10
_CTX = Context(prec=80, rounding=ROUND_HALF_UP)


# --- shared conversions ---------------------------------------------------------------------


@lru_cache(maxsize=256)
def _limits(precision: int, scale: int) -> tuple[Decimal, Decimal]:
    return Decimal(1).scaleb(-scale), Decimal(10) ** (precision - scale)


def to_decimal(value: Any, precision: int = 18, scale: int = 2) -> Decimal:
    """``value`` as a Decimal quantized to ``scale`` within ``precision`` digits."""
    t = type(value)
    if t is Decimal:
        d = value
    elif t is int:
        d = Decimal(value)
    elif t is str:
        try:
            d = Decimal(value.strip())
        except InvalidOperation:
            raise fail(INVALID_NUMBER, f"{value[:40]!r} is not a number") from None
    elif t is float:
        d = Decimal(repr(value))
    elif isinstance(value, Decimal | int) and not isinstance(value, bool):
        d = Decimal(value)
    else:
        raise type_error("a number", value)
    if not d.is_finite():
        raise fail(INVALID_NUMBER, "NaN and Infinity are not numbers")
    quantum, limit = _limits(precision, scale)
    if d and d.adjusted() >= precision - scale:
        raise fail(OUT_OF_RANGE, f"more than {precision - scale} digits before the point")
    q = d.quantize(quantum, ROUND_HALF_UP, _CTX)
    if q >= limit or -q >= limit:
        raise fail(OUT_OF_RANGE, f"more than {precision - scale} digits before the point")
    if not q and q.is_signed():
        q = q.copy_abs()
    return q


def to_int(value: Any) -> int:
    t = type(value)
    if t is int:
        n = value
    elif t is str:
        try:
            n = int(value)
        except ValueError:
            n = _integral(to_decimal_loose(value))
    elif t is Decimal or t is float:
        n = _integral(to_decimal_loose(value))
    elif is_int(value):
        n = int(value)
    else:
        raise type_error("an integer", value)
    if not BIGINT_MIN <= n <= BIGINT_MAX:
        raise fail(OUT_OF_RANGE, "outside the 64-bit integer range")
    return n


def to_decimal_loose(value: Any) -> Decimal:
    """A finite Decimal without quantizing (for integer inputs such as ``"12.0"``)."""
    if isinstance(value, float):
        value = repr(value)
    try:
        d = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise fail(INVALID_NUMBER, f"{str(value)[:40]!r} is not a number") from None
    if not d.is_finite():
        raise fail(INVALID_NUMBER, "NaN and Infinity are not numbers")
    return d


def _integral(d: Decimal) -> int:
    if d != d.to_integral_value():
        raise fail(INVALID_NUMBER, f"{d} is not a whole number")
    if d.adjusted() > 19:
        raise fail(OUT_OF_RANGE, "outside the 64-bit integer range")
    return int(d)


_GROUPED = re.compile(r"\d{1,3}(,\d{3})+(\.\d*)?")


def clean_number_text(text: str) -> str:
    """An import cell without currency symbols/codes, spaces and well-formed thousands
    separators; ``(12.00)`` becomes ``-12.00``. Malformed grouping (``1,5``) is left for the
    number parser to refuse."""
    s = unicodedata.normalize("NFKC", text).strip().replace(" ", "")
    neg = s.startswith("(") and s.endswith(")")
    if neg:
        s = s[1:-1]
    s = s.lstrip("¥$€£₩₹₽").rstrip("元")
    sign = ""
    if s[:1] in "+-" and s:
        sign, s = s[0], s[1:]
        s = s.lstrip("¥$€£₩₹₽")
    if "," in s and _GROUPED.fullmatch(s):
        s = s.replace(",", "")
    if neg:
        sign = "-" if sign != "-" else ""
    return sign + s


def decimal_params(field: FieldDef, default_scale: int = 2) -> tuple[int, int]:
    opts = field.options
    return opts.get("precision", 18), opts.get("scale", default_scale)


def precision_problems(
    field: FieldDef, obj: ObjectDef, default_scale: int, with_precision: bool = True
) -> list[Problem]:
    p, s = decimal_params(field, default_scale)
    if not with_precision:
        p = 18
    if (
        not is_int(p)
        or not is_int(s)
        or not 1 <= p <= MAX_PRECISION
        or not 0 <= s <= MAX_SCALE
        or s > p
    ):
        msg = f"precision must be 1..{MAX_PRECISION} and scale 0..{MAX_SCALE} (≤ precision)"
        return [option_problem(field, obj, "meta.E110", msg)]
    return []


def bound_problems(field: FieldDef, obj: ObjectDef) -> list[Problem]:
    v = field.validation or {}
    lo, hi = v.get("min"), v.get("max")
    if number_bound_problem(lo) or number_bound_problem(hi):
        return [option_problem(field, obj, "meta.E112", "validation min/max must be numbers")]
    if lo is not None and hi is not None and Decimal(str(lo)) > Decimal(str(hi)):
        return [option_problem(field, obj, "meta.E112", "validation min is above max")]
    return []


# --- types ----------------------------------------------------------------------------------


@register
class IntegerType(BaseType):
    name = "integer"
    label = {"en": "Integer", "zh": "整数"}
    kind = "integer"
    widget = "number-input"
    can_be_unique = True
    converts_from = frozenset({"decimal", "rating", "percent", "text"})

    def check(
        self, field: FieldDef, obj: ObjectDef, objects: Mapping[str, ObjectDef]
    ) -> list[Problem]:
        out = bound_problems(field, obj)
        lo, hi = field.options.get("min"), field.options.get("max")
        if (lo is not None and not is_int(lo)) or (hi is not None and not is_int(hi)):
            out.append(option_problem(field, obj, "meta.E111", "min and max must be integers"))
        elif lo is not None and hi is not None and lo > hi:
            out.append(option_problem(field, obj, "meta.E111", "min is above max"))
        return out

    def columns(self, field: FieldDef) -> list[ColumnSpec]:
        return [ColumnSpec(field.name, BigInteger())]

    def coerce(self, value: Any, field: FieldDef) -> Any:
        if value is None:
            return None
        if type(value) is not int:
            if type(value) is str and not value.strip():
                return None
            value = to_int(value)
        elif not BIGINT_MIN <= value <= BIGINT_MAX:
            raise fail(OUT_OF_RANGE, "outside the 64-bit integer range")
        opts = field.options
        if opts:
            lo, hi = opts.get("min"), opts.get("max")
            if lo is not None and value < lo:
                raise fail(OUT_OF_RANGE, f"must be at least {lo}")
            if hi is not None and value > hi:
                raise fail(OUT_OF_RANGE, f"must be at most {hi}")
        return check_number(value, field) if field.validation else value

    def parse_text(self, text: str, field: FieldDef) -> Any:
        s = clean_number_text(text)
        return self.coerce(s, field) if s else None

    def value_schema(self, field: FieldDef) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "integer", "format": "int64"}
        if is_int(field.options.get("min")):
            schema["minimum"] = field.options["min"]
        if is_int(field.options.get("max")):
            schema["maximum"] = field.options["max"]
        return schema


@register
class DecimalType(BaseType):
    name = "decimal"
    label = {"en": "Decimal", "zh": "小数"}
    kind = "decimal"
    widget = "number-input"
    can_be_unique = True
    default_scale = 2
    converts_from = frozenset({"integer", "percent", "currency", "rating", "text"})

    def check(
        self, field: FieldDef, obj: ObjectDef, objects: Mapping[str, ObjectDef]
    ) -> list[Problem]:
        return precision_problems(field, obj, self.default_scale) + bound_problems(field, obj)

    def columns(self, field: FieldDef) -> list[ColumnSpec]:
        p, s = decimal_params(field, self.default_scale)
        return [ColumnSpec(field.name, ExactDecimal(p, s))]

    def coerce(self, value: Any, field: FieldDef) -> Any:
        if value is None or (type(value) is str and not value.strip()):
            return None
        opts = field.options
        d = to_decimal(value, opts.get("precision", 18), opts.get("scale", self.default_scale))
        return check_number(d, field) if field.validation else d

    def parse_text(self, text: str, field: FieldDef) -> Any:
        s = clean_number_text(text)
        return self.coerce(s, field) if s else None

    def to_json(self, value: Any, field: FieldDef) -> Any:
        return None if value is None else format(value, "f")

    def value_schema(self, field: FieldDef) -> dict[str, Any]:
        return dict(DECIMAL_SCHEMA)


@register
class PercentType(DecimalType):
    """A decimal with scale 4 by default; 12.5 means 12.5 % (not 0.125)."""

    name = "percent"
    label = {"en": "Percent", "zh": "百分比"}
    widget = "percent-input"
    can_be_unique = False
    default_scale = 4
    converts_from = frozenset({"decimal", "integer"})

    def parse_text(self, text: str, field: FieldDef) -> Any:
        s = clean_number_text(text).rstrip("%")
        return self.coerce(s, field) if s else None

    def value_schema(self, field: FieldDef) -> dict[str, Any]:
        return {**DECIMAL_SCHEMA, "description": "percent as a decimal string: 12.5 means 12.5 %"}


@register
class RatingType(BaseType):
    name = "rating"
    label = {"en": "Rating", "zh": "评分"}
    kind = "integer"
    widget = "star-rating"
    converts_from = frozenset({"integer"})

    def check(
        self, field: FieldDef, obj: ObjectDef, objects: Mapping[str, ObjectDef]
    ) -> list[Problem]:
        m = field.options.get("max", 5)
        if not is_int(m) or not 1 <= m <= 10:
            return [option_problem(field, obj, "meta.E114", "max must be an integer 1..10")]
        return []

    def columns(self, field: FieldDef) -> list[ColumnSpec]:
        return [ColumnSpec(field.name, SmallInteger())]

    def coerce(self, value: Any, field: FieldDef) -> Any:
        if value is None or (type(value) is str and not value.strip()):
            return None
        n = value if type(value) is int else to_int(value)
        hi = field.options.get("max", 5)
        if not 0 <= n <= hi:
            raise fail(OUT_OF_RANGE, f"a rating is 0..{hi}")
        return n

    def parse_text(self, text: str, field: FieldDef) -> Any:
        s = text.strip()
        if s and set(s) <= {"★", "☆"}:
            return self.coerce(s.count("★"), field)
        s = clean_number_text(s)
        return self.coerce(s, field) if s else None

    def value_schema(self, field: FieldDef) -> dict[str, Any]:
        return {"type": "integer", "minimum": 0, "maximum": field.options.get("max", 5)}
