"""The filter language's checking, its query-string form, relative dates, sorts and cursors,
without a database: every problem is reported with its code and location."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from accord.core.errors import Invalid
from accord.meta.model import FieldDef, ObjectDef
from accord.meta.registry import Registry
from accord.query import (
    And,
    Leaf,
    Not,
    decode_cursor,
    encode_cursor,
    parse_filter,
    parse_query_filter,
    parse_query_pairs,
    parse_sort,
    relative_bounds,
)


def _f(name: str, type_: str, **options: Any) -> FieldDef:
    return FieldDef(name=name, type=type_, label={"en": name}, options=options)


ACCOUNT = ObjectDef(
    "account",
    {"en": "Account"},
    {"en": "Accounts"},
    fields=(_f("name", "text"), _f("industry", "text")),
)
DEAL = ObjectDef(
    "deal",
    {"en": "Deal"},
    {"en": "Deals"},
    fields=(
        _f("name", "text"),
        _f("amount", "currency"),
        _f("qty", "integer"),
        _f("close_date", "date"),
        _f("seen_at", "datetime"),
        _f("stage", "select", choices=[{"value": "new"}, {"value": "won"}]),
        _f("tags", "tags"),
        _f("meta", "json"),
        _f("account", "lookup", target="account"),
    ),
)


@pytest.fixture(scope="module")
def reg() -> Registry:
    return Registry(version=1, objects={"account": ACCOUNT, "deal": DEAL})


def problems(exc: pytest.ExceptionInfo[Invalid]) -> list[tuple[str | None, str]]:
    return [(e.field, e.code) for e in exc.value.errors]


# --- the JSON tree -----------------------------------------------------------------------------


def test_a_valid_tree_is_checked_into_typed_leaves(reg: Registry) -> None:
    checked = parse_filter(
        {
            "and": [
                {"field": "amount", "op": "gte", "value": "500000.50"},
                {"not": {"field": "account.industry", "op": "eq", "value": "IT"}},
            ]
        },
        reg,
        "deal",
    )
    assert isinstance(checked.node, And)
    first, second = checked.node.items
    assert isinstance(first, Leaf) and first.value == Decimal("500000.50")
    assert isinstance(second, Not)


@pytest.mark.parametrize("empty", [None, {}, "{}", b"null"])
def test_an_empty_filter_matches_everything(reg: Registry, empty: Any) -> None:
    assert parse_filter(empty, reg, "deal").node is None


def test_every_problem_is_reported_at_its_location(reg: Registry) -> None:
    with pytest.raises(Invalid) as exc:
        parse_filter(
            {
                "and": [
                    {"field": "nope", "op": "eq", "value": 1},
                    {"field": "qty", "op": "contains", "value": "1"},
                    {"field": "qty", "op": "frobnicate", "value": 1},
                    {"field": "qty", "op": "gt", "value": "many"},
                    {"field": "qty", "op": "gt"},
                ]
            },
            reg,
            "deal",
        )
    assert exc.value.code == "INVALID_FILTER"
    found = problems(exc)
    assert ("filter.and[0].field", "UNKNOWN_FIELD") in found
    assert ("filter.and[1].op", "OPERATOR_NOT_ALLOWED") in found
    assert ("filter.and[2].op", "UNKNOWN_OPERATOR") in found
    assert any(
        loc and loc.startswith("filter.and[3]") and code == "INVALID_VALUE" for loc, code in found
    )
    assert any(
        loc and loc.startswith("filter.and[4]") and code == "MISSING_VALUE" for loc, code in found
    )


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("{not json", "MALFORMED"),
        (b"\xff\xfe", "MALFORMED"),
        ({"and": [], "or": []}, "MALFORMED"),
        ({"field": "qty", "op": "eq", "value": 1, "extra": 2}, "MALFORMED"),
        ({"field": "qty", "op": "eq", "value": None}, "MISSING_VALUE"),
        ({"field": "qty", "op": "in", "value": []}, "MISSING_VALUE"),
        ({"field": "qty", "op": "between", "value": [1]}, "INVALID_VALUE"),
        ({"field": "qty", "op": "is_null", "value": 3}, "INVALID_VALUE"),
        ({"field": "qty", "op": "eq", "value": 10**30}, "INVALID_VALUE"),
        ({"field": "close_date", "op": "in_last", "value": 0}, "INVALID_VALUE"),
        ({"field": "close_date", "op": "eq", "value": "2026-02-30"}, "INVALID_VALUE"),
        ({"field": "stage", "op": "eq", "value": "lost"}, "INVALID_VALUE"),
        ({"field": "meta", "op": "eq", "value": "x"}, "OPERATOR_NOT_ALLOWED"),
        ({"field": "Stage; DROP TABLE x", "op": "eq", "value": 1}, "UNKNOWN_FIELD"),
        ({"field": "account.nope", "op": "eq", "value": 1}, "UNKNOWN_FIELD"),
    ],
)
def test_bad_filters_name_the_problem(reg: Registry, raw: Any, code: str) -> None:
    with pytest.raises(Invalid) as exc:
        parse_filter(raw, reg, "deal")
    assert exc.value.code == "INVALID_FILTER"
    assert code in [c for _, c in problems(exc)], problems(exc)


def test_nesting_and_size_are_bounded(reg: Registry) -> None:
    deep: Any = {"field": "qty", "op": "eq", "value": 1}
    for _ in range(50):
        deep = {"not": deep}
    with pytest.raises(Invalid) as exc:
        parse_filter(deep, reg, "deal")
    assert "TOO_COMPLEX" in [c for _, c in problems(exc)]
    wide = {"or": [{"field": "qty", "op": "eq", "value": i} for i in range(500)]}
    with pytest.raises(Invalid) as exc:
        parse_filter(wide, reg, "deal")
    assert "TOO_COMPLEX" in [c for _, c in problems(exc)]


# --- the query-string form ---------------------------------------------------------------------


def test_query_pairs_become_a_tree() -> None:
    tree = parse_query_pairs(
        [
            ("stage", "won"),
            ("amount__gte", "500000"),
            ("tags__has_any", "vip,key"),
            ("close_date__this_month", ""),
            ("qty__between", "1,5"),
            ("account__is_null", "false"),
        ]
    )
    assert tree == {
        "and": [
            {"field": "stage", "op": "eq", "value": "won"},
            {"field": "amount", "op": "gte", "value": "500000"},
            {"field": "tags", "op": "has_any", "value": ["vip", "key"]},
            {"field": "close_date", "op": "this_month"},
            {"field": "qty", "op": "between", "value": ["1", "5"]},
            {"field": "account", "op": "is_not_null"},
        ]
    }


def test_query_pair_problems_are_reported_at_the_parameter(reg: Registry) -> None:
    with pytest.raises(Invalid) as exc:
        parse_query_filter([("qty__gt", "lots"), ("nope", "1")], reg, "deal")
    locations = [loc or "" for loc, _ in problems(exc)]
    assert any("qty__gt" in loc for loc in locations), locations
    assert any("nope" in loc for loc in locations), locations


# --- relative dates ----------------------------------------------------------------------------

# Sunday 2026-03-01 23:30 UTC is Monday 2026-03-02 07:30 in Shanghai.
NOW = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)


def test_relative_dates_use_the_users_time_zone() -> None:
    assert relative_bounds("today", None, "date", now=NOW, tz="Asia/Shanghai").lo == date(
        2026, 3, 2
    )
    assert relative_bounds("today", None, "date", now=NOW, tz="UTC").lo == date(2026, 3, 1)


def test_weeks_start_on_monday_and_ranges_are_half_open() -> None:
    week = relative_bounds("this_week", None, "date", now=NOW, tz="Asia/Shanghai")
    assert (week.lo, week.hi) == (date(2026, 3, 2), date(2026, 3, 9))
    assert week.contains(date(2026, 3, 8)) and not week.contains(date(2026, 3, 9))
    last = relative_bounds("last_week", None, "date", now=NOW, tz="UTC")
    assert (last.lo, last.hi) == (date(2026, 2, 16), date(2026, 2, 23))


def test_months_quarters_and_years() -> None:
    month = relative_bounds("last_month", None, "date", now=NOW, tz="Asia/Shanghai")
    assert (month.lo, month.hi) == (date(2026, 2, 1), date(2026, 3, 1))
    quarter = relative_bounds("next_quarter", None, "date", now=NOW, tz="Asia/Shanghai")
    assert (quarter.lo, quarter.hi) == (date(2026, 4, 1), date(2026, 7, 1))
    year = relative_bounds("this_year", None, "date", now=NOW, tz="UTC")
    assert (year.lo, year.hi) == (date(2026, 1, 1), date(2027, 1, 1))


def test_in_last_on_a_date_includes_today_and_on_a_datetime_counts_hours() -> None:
    # Today and the 7 days before it (Salesforce's LAST_N_DAYS), in the user's calendar.
    days = relative_bounds("in_last", 7, "date", now=NOW, tz="UTC")
    assert days.contains(date(2026, 3, 1)) and days.contains(date(2026, 2, 22))
    assert not days.contains(date(2026, 2, 21)) and not days.contains(date(2026, 3, 2))
    hours = relative_bounds("in_last", 1, "datetime", now=NOW, tz="UTC")
    assert hours.contains(datetime(2026, 2, 28, 23, 30, tzinfo=UTC))
    assert not hours.contains(datetime(2026, 2, 28, 23, 29, tzinfo=UTC))


def test_older_than_and_next_n_days() -> None:
    older = relative_bounds("older_than", 30, "date", now=NOW, tz="UTC")
    assert older.lo is None and older.contains(date(2025, 1, 1))
    assert not older.contains(date(2026, 2, 28))
    ahead = relative_bounds("next_n_days", 3, "date", now=NOW, tz="UTC")
    assert ahead.contains(date(2026, 3, 3)) and not ahead.contains(date(2026, 2, 28))


# --- sorting and cursors -----------------------------------------------------------------------


def test_sort_appends_id_and_rejects_what_cannot_be_sorted(reg: Registry) -> None:
    sort = parse_sort("-close_date,name", reg, "deal")
    assert [(k.column, k.descending) for k in sort.keys][-1][0] == "id"
    assert sort.keys[0].descending
    for bad in ("nope", "tags", "account.industry", "a,b,c,d,e,f"):
        with pytest.raises(Invalid) as exc:
            parse_sort(bad, reg, "deal")
        assert exc.value.code == "INVALID_SORT", bad


def test_a_cursor_round_trips_and_refuses_tampering_or_another_sort(reg: Registry) -> None:
    sort = parse_sort("-seen_at", reg, "deal")
    values = (datetime(2026, 3, 1, 8, 0, tzinfo=UTC), "0190a000-0000-7000-8000-000000000001")
    token = encode_cursor(sort, values)
    assert decode_cursor(token, sort) == values
    other = parse_sort("name", reg, "deal")
    tampered = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    for bad_token, bad_sort in ((token, other), (tampered, sort), ("%%%", sort), (123, sort)):
        with pytest.raises(Invalid) as exc:
            decode_cursor(bad_token, bad_sort)
        assert exc.value.code == "INVALID_CURSOR"
