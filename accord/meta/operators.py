"""Filter operators, grouped by the kind of value a field holds.

Field types declare a ``kind``; the filter language (``accord.query``) accepts for a field exactly
the operators of its kind (a type may narrow the set).
"""

from __future__ import annotations

from typing import Literal

Kind = Literal[
    "text",
    "integer",
    "decimal",
    "date",
    "datetime",
    "time",
    "boolean",
    "ref",
    "array",
    "link",
    "json",
]

NULL_OPS = frozenset({"is_null", "is_not_null"})
EQUALITY_OPS = frozenset({"eq", "ne", "in", "not_in"})
ORDER_OPS = frozenset({"gt", "gte", "lt", "lte", "between"})
TEXT_OPS = frozenset({"contains", "not_contains", "starts_with", "ends_with"})
# Relative dates, evaluated in the acting user's time zone. Operands: none, or a day count ``n``.
RELATIVE_DATE_OPS = frozenset(
    {
        "today",
        "yesterday",
        "tomorrow",
        "this_week",
        "last_week",
        "next_week",
        "this_month",
        "last_month",
        "next_month",
        "this_quarter",
        "last_quarter",
        "next_quarter",
        "this_year",
        "last_year",
        "next_year",
        "in_last",  # within the last n days up to now (n required)
        "next_n_days",  # from now to n days ahead (n required); alias "in_next"
        "in_next",
        "older_than",  # before n days ago (n required)
    }
)
RELATIVE_DATE_OPS_WITH_N = frozenset({"in_last", "next_n_days", "in_next", "older_than"})
ARRAY_OPS = frozenset({"has_any", "has_all", "has_none"})

OPERATORS_BY_KIND: dict[str, frozenset[str]] = {
    "text": NULL_OPS | EQUALITY_OPS | TEXT_OPS | ORDER_OPS,
    "integer": NULL_OPS | EQUALITY_OPS | ORDER_OPS,
    "decimal": NULL_OPS | EQUALITY_OPS | ORDER_OPS,
    "date": NULL_OPS | EQUALITY_OPS | ORDER_OPS | RELATIVE_DATE_OPS,
    "datetime": NULL_OPS | EQUALITY_OPS | ORDER_OPS | RELATIVE_DATE_OPS,
    "time": NULL_OPS | EQUALITY_OPS | ORDER_OPS,
    "boolean": NULL_OPS | frozenset({"eq", "ne"}),
    "ref": NULL_OPS | EQUALITY_OPS,
    "array": NULL_OPS | ARRAY_OPS,
    "link": NULL_OPS | ARRAY_OPS,
    "json": NULL_OPS,
}

ALL_OPERATORS = frozenset().union(*OPERATORS_BY_KIND.values())
