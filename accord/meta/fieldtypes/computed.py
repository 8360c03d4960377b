"""Computed family: auto_number, formula, rollup. Never written by users (``computed = True``);
the record service computes the value and stores it through ``coerce``.

- auto_number: ``String(64)``; option ``format`` (default ``"{000000}"``) with tokens ``{YYYY}``,
  ``{YY}``, ``{MM}``, ``{DD}`` and one run of zeros giving the counter width, e.g.
  ``"HT-{YYYY}-{000000}"``; option ``reset``: ``never`` | ``yearly`` | ``monthly``. The counter
  lives in the record service (table ``autonumbers``, keyed by :func:`autonumber_period`); this
  module only formats. Unique by nature (``implies_unique``).
- formula: options ``expression`` (checked here only for being text ≤ 4000 characters; the
  expression checks parse it) and ``return_type`` (:data:`FORMULA_RETURN_TYPES`); the column,
  ``value_kind``, coercion and JSON follow the return type (``scale`` for number types,
  ``max_length`` for text). A ``currency`` formula stores the amount only (company currency).
- rollup: options ``child_object``, ``relation_field`` (a lookup/master_detail on the child that
  points at this object), ``aggregate`` (count|sum|min|max|avg), ``child_field`` (unless count;
  numeric, or date/datetime for min/max), optional ``filter`` (a filter tree, validated by the
  query layer), ``scale`` (default 2) and ``result_type`` (integer|decimal|date|datetime; default
  integer for count, else decimal; date/datetime for min/max over dates).

| check id  | type        | problem                                                    |
|-----------|-------------|------------------------------------------------------------|
| meta.E150 | auto_number | ``format`` not text, an unknown token, not exactly one     |
|           |             | counter run, a run over 18 zeros, or over 64 characters    |
| meta.E151 | auto_number | ``reset`` is not never/yearly/monthly                      |
| meta.E152 | auto_number | yearly/monthly reset without {YYYY}/{YY} (and {MM}) in the |
|           |             | format, so numbers would repeat                            |
| meta.E153 | formula     | ``expression`` is not non-empty text ≤ 4000 characters     |
| meta.E154 | formula     | ``return_type`` unknown, or ``scale``/``max_length`` bad   |
| meta.E160 | rollup      | ``child_object`` is not a known object                     |
| meta.E161 | rollup      | ``relation_field`` is not a lookup/master-detail on the    |
|           |             | child pointing at this object                              |
| meta.E162 | rollup      | ``aggregate`` is not count/sum/min/max/avg                 |
| meta.E163 | rollup      | ``child_field`` missing/unknown, or not numeric (or date   |
|           |             | for min/max)                                               |
| meta.E164 | rollup      | ``result_type`` does not fit, or ``scale`` not 0..10       |
| meta.E165 | rollup      | ``filter`` is not a mapping                                |
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import String

from accord.meta.fieldtypes.base import ColumnSpec, FieldType, Problem
from accord.meta.fieldtypes.common import BaseType, field_cache, is_int, option_problem
from accord.meta.fieldtypes.registry import get_type, register
from accord.meta.fieldtypes.validation import TOO_LONG, fail, type_error
from accord.meta.model import FieldDef, ObjectDef
from accord.meta.operators import OPERATORS_BY_KIND, Kind

# --- auto-number ----------------------------------------------------------------------------

AUTONUMBER_MAX = 64
DEFAULT_FORMAT = "{000000}"
RESETS = ("never", "yearly", "monthly")
_TOKEN = re.compile(r"\{([^{}]*)\}")
_DATE_WIDTH = {"YYYY": 4, "YY": 2, "MM": 2, "DD": 2}


def autonumber_period(reset: str, today: date) -> str:
    """The counter period: ``""`` (never), ``"2026"`` (yearly) or ``"202601"`` (monthly)."""
    if reset == "yearly":
        return f"{today.year:04d}"
    if reset == "monthly":
        return f"{today.year:04d}{today.month:02d}"
    return ""


def format_autonumber(fmt: str, n: int, today: date) -> str:
    """``fmt`` with its tokens filled: ``format_autonumber("HT-{YYYY}-{0000}", 7, d)`` →
    ``"HT-2026-0007"``. A counter wider than its run is written in full, never truncated."""

    def fill(m: re.Match[str]) -> str:
        tok = m.group(1)
        if tok == "YYYY":
            return f"{today.year:04d}"
        if tok == "YY":
            return f"{today.year % 100:02d}"
        if tok == "MM":
            return f"{today.month:02d}"
        if tok == "DD":
            return f"{today.day:02d}"
        if tok and tok.strip("0") == "":
            return str(n).zfill(len(tok))
        return m.group(0)

    return _TOKEN.sub(fill, fmt)


def _format_problem(fmt: Any) -> str | None:
    if not isinstance(fmt, str) or not fmt:
        return "format must be non-empty text"
    counters, length = 0, len(_TOKEN.sub("", fmt))
    for tok in _TOKEN.findall(fmt):
        if tok in _DATE_WIDTH:
            length += _DATE_WIDTH[tok]
        elif tok and tok.strip("0") == "":
            counters += 1
            length += len(tok)
            if len(tok) > 18:
                return "the counter run has at most 18 zeros"
        else:
            return f"unknown token {{{tok}}} (use YYYY, YY, MM, DD or a run of zeros)"
    if "{" in _TOKEN.sub("", fmt) or "}" in _TOKEN.sub("", fmt):
        return "unbalanced braces"
    if counters != 1:
        return "the format needs exactly one counter such as {000000}"
    if length > AUTONUMBER_MAX:
        return f"numbers would exceed {AUTONUMBER_MAX} characters"
    return None


@register
class AutoNumberType(BaseType):
    name = "auto_number"
    label = {"en": "Auto number", "zh": "自动编号"}
    kind = "text"
    widget = "auto-number"
    computed = True
    can_be_unique = True
    can_be_searchable = True
    implies_unique = True

    def check(
        self, field: FieldDef, obj: ObjectDef, objects: Mapping[str, ObjectDef]
    ) -> list[Problem]:
        out: list[Problem] = []
        fmt = field.options.get("format", DEFAULT_FORMAT)
        why = _format_problem(fmt)
        if why:
            out.append(option_problem(field, obj, "meta.E150", why))
        reset = field.options.get("reset", "never")
        if reset not in RESETS:
            msg = f"reset must be one of {', '.join(RESETS)}"
            out.append(option_problem(field, obj, "meta.E151", msg))
        elif isinstance(fmt, str) and reset != "never":
            has_year = "{YYYY}" in fmt or "{YY}" in fmt
            if not has_year or (reset == "monthly" and "{MM}" not in fmt):
                need = "{YYYY} (or {YY})" + (" and {MM}" if reset == "monthly" else "")
                msg = f"a {reset} reset needs {need} in the format, or numbers would repeat"
                out.append(option_problem(field, obj, "meta.E152", msg))
        return out

    def columns(self, field: FieldDef) -> list[ColumnSpec]:
        return [ColumnSpec(field.name, String(AUTONUMBER_MAX))]

    def coerce(self, value: Any, field: FieldDef) -> Any:
        if value is None:
            return None
        if type(value) is not str:
            if not is_int(value):
                raise type_error("text", value)
            value = str(value)
        value = value.strip()
        if len(value) > AUTONUMBER_MAX:
            raise fail(TOO_LONG, f"at most {AUTONUMBER_MAX} characters")
        return value or None

    def value_schema(self, field: FieldDef) -> dict[str, Any]:
        return {"type": "string", "maxLength": AUTONUMBER_MAX}


# --- formula and rollup: typed by an inner field ------------------------------------------

FORMULA_RETURN_TYPES = {
    "text": "text",
    "number": "decimal",
    "decimal": "decimal",
    "integer": "integer",
    "currency": "decimal",
    "percent": "percent",
    "date": "date",
    "datetime": "datetime",
    "boolean": "boolean",
}
ROLLUP_RESULT_TYPES = ("integer", "decimal", "date", "datetime")
AGGREGATES = ("count", "sum", "min", "max", "avg")
MAX_EXPRESSION = 4000


def _inner_field(field: FieldDef, type_name: str) -> FieldDef:
    opts = field.options
    options: dict[str, Any] = {}
    if type_name in ("decimal", "percent"):
        options = {"precision": 18, "scale": opts.get("scale", 4 if type_name == "percent" else 2)}
    elif type_name == "text":
        options = {"max_length": opts.get("max_length", 255)}
    return FieldDef(name=field.name, type=type_name, label=field.label, options=options)


def _round_integer(value: Any) -> Any:
    if isinstance(value, Decimal) and value.is_finite():
        return int(value.to_integral_value(ROUND_HALF_UP))
    return value


class TypedByInner(BaseType):
    """A computed type whose values have the type of an inner field built from its options."""

    computed = True

    def inner_type_name(self, field: FieldDef) -> str:
        raise NotImplementedError

    def inner(self, field: FieldDef) -> tuple[FieldType, FieldDef]:
        def build(f: FieldDef) -> tuple[FieldType, FieldDef]:
            name = self.inner_type_name(f)
            return get_type(name), _inner_field(f, name)

        return field_cache(field, "inner", build)

    def value_kind(self, field: FieldDef) -> Kind:
        return self.inner(field)[0].kind

    def operators(self, field: FieldDef) -> frozenset[str]:
        return OPERATORS_BY_KIND[self.value_kind(field)]

    def columns(self, field: FieldDef) -> list[ColumnSpec]:
        t, f = self.inner(field)
        return [ColumnSpec(field.name, t.columns(f)[0].type)]

    def coerce(self, value: Any, field: FieldDef) -> Any:
        t, f = self.inner(field)
        if t.name == "integer":
            value = _round_integer(value)
        return t.coerce(value, f)

    def parse_text(self, text: str, field: FieldDef) -> Any:
        t, f = self.inner(field)
        return t.parse_text(text, f)

    def to_json(self, value: Any, field: FieldDef) -> Any:
        t, f = self.inner(field)
        return t.to_json(value, f)

    def value_schema(self, field: FieldDef) -> dict[str, Any]:
        t, f = self.inner(field)
        schema = t.json_schema(f)
        schema.pop("title", None)
        return schema


@register
class FormulaType(TypedByInner):
    name = "formula"
    label = {"en": "Formula", "zh": "公式"}
    kind = "text"  # nominal: value_kind() follows return_type
    widget = "readonly"

    def inner_type_name(self, field: FieldDef) -> str:
        return FORMULA_RETURN_TYPES.get(field.options.get("return_type", "text"), "text")

    def check(
        self, field: FieldDef, obj: ObjectDef, objects: Mapping[str, ObjectDef]
    ) -> list[Problem]:
        out: list[Problem] = []
        expr = field.options.get("expression")
        if not isinstance(expr, str) or not expr.strip() or len(expr) > MAX_EXPRESSION:
            msg = f"expression must be non-empty text of at most {MAX_EXPRESSION} characters"
            out.append(option_problem(field, obj, "meta.E153", msg))
        rt = field.options.get("return_type", "text")
        if rt not in FORMULA_RETURN_TYPES:
            msg = f"return_type must be one of {', '.join(FORMULA_RETURN_TYPES)}"
            out.append(option_problem(field, obj, "meta.E154", msg))
        scale = field.options.get("scale", 2)
        if not is_int(scale) or not 0 <= scale <= 10:
            out.append(option_problem(field, obj, "meta.E154", "scale must be 0..10"))
        n = field.options.get("max_length", 255)
        if not is_int(n) or not 1 <= n <= 10_000:
            out.append(option_problem(field, obj, "meta.E154", "max_length must be 1..10000"))
        return out


def _child_kind(child: FieldDef) -> Kind | None:
    try:
        return get_type(child.type).value_kind(child)
    except LookupError:
        return None


@register
class RollupType(TypedByInner):
    name = "rollup"
    label = {"en": "Rollup", "zh": "汇总"}
    kind = "decimal"  # nominal: value_kind() follows result_type
    widget = "readonly"

    def inner_type_name(self, field: FieldDef) -> str:
        rt = field.options.get("result_type")
        if rt in ROLLUP_RESULT_TYPES:
            return str(rt)
        return "integer" if field.options.get("aggregate") == "count" else "decimal"

    def check(
        self, field: FieldDef, obj: ObjectDef, objects: Mapping[str, ObjectDef]
    ) -> list[Problem]:
        opts = field.options

        def problem(pid: str, msg: str) -> Problem:
            return option_problem(field, obj, pid, msg)

        out: list[Problem] = []
        agg = opts.get("aggregate")
        if agg not in AGGREGATES:
            out.append(problem("meta.E162", f"aggregate must be one of {', '.join(AGGREGATES)}"))
        rt = opts.get("result_type")
        if rt is not None and rt not in ROLLUP_RESULT_TYPES:
            msg = f"result_type must be one of {', '.join(ROLLUP_RESULT_TYPES)}"
            out.append(problem("meta.E164", msg))
        scale = opts.get("scale", 2)
        if not is_int(scale) or not 0 <= scale <= 10:
            out.append(problem("meta.E164", "scale must be 0..10"))
        if "filter" in opts and not isinstance(opts["filter"], Mapping):
            out.append(problem("meta.E165", "filter must be a filter tree (a mapping)"))
        child_name, rel_name = opts.get("child_object"), opts.get("relation_field")
        child = objects.get(child_name) if isinstance(child_name, str) else None
        if child is None:
            out.append(problem("meta.E160", f"child_object {child_name!r} is unknown"))
            return out
        rel = child.field(rel_name) if isinstance(rel_name, str) else None
        if (
            rel is None
            or rel.type not in ("lookup", "master_detail")
            or rel.options.get("target") != obj.name
        ):
            msg = f"relation_field must be a lookup/master-detail on {child.name} to {obj.name}"
            out.append(problem("meta.E161", msg))
        if agg == "count" or agg not in AGGREGATES:
            if agg == "count" and self.inner_type_name(field) != "integer":
                out.append(problem("meta.E164", "a count is an integer"))
            return out
        cf_name = opts.get("child_field")
        cf = child.field(cf_name) if isinstance(cf_name, str) else None
        kind = _child_kind(cf) if cf is not None else None
        dated = kind in ("date", "datetime")
        if kind not in ("integer", "decimal") and not (dated and agg in ("min", "max")):
            msg = f"child_field must name a numeric field of {child.name}" + (
                " (or a date for min/max)" if agg in ("min", "max") else ""
            )
            out.append(problem("meta.E163", msg))
            return out
        result = self.inner_type_name(field)
        fits = (
            result == kind
            if dated
            else result == "decimal" or (result == "integer" and kind == "integer" and agg != "avg")
        )
        if not fits:
            want = kind if dated else "decimal" + (" or integer" if kind == "integer" else "")
            out.append(problem("meta.E164", f"result_type must be {want} for this rollup"))
        return out
