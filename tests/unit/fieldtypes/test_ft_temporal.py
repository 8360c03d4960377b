"""Temporal family: date, datetime, time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Date, Time

from accord.db.types import UTCDateTime
from accord.meta.fieldtypes import get_type
from accord.meta.fieldtypes.base import FieldValueError
from accord.meta.model import FieldDef


def fd(type_: str) -> FieldDef:
    return FieldDef(name="when", type=type_, label={"en": "When"})


def coerce(type_: str, value):
    return get_type(type_).coerce(value, fd(type_))


def code_of(type_: str, value) -> str:
    with pytest.raises(FieldValueError) as exc:
        coerce(type_, value)
    return exc.value.code


# --- date -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "2026-01-31",
        "2026/1/31",
        "2026/01/31",
        "2026.1.31",
        "2026-1-31",
        "2026年1月31日",
        "2026年01月31号",
        " 2026 年 1 月 31 日 ",
        date(2026, 1, 31),
        datetime(2026, 1, 31, 23, 59),
    ],
)
def test_date_good(raw):
    assert coerce("date", raw) == date(2026, 1, 31)
    assert type(coerce("date", raw)) is date


@pytest.mark.parametrize("raw", ["2026-02-30", "31/01/2026", "tomorrow", "2026-13-01", "2026"])
def test_date_bad(raw):
    assert code_of("date", raw) == "INVALID_DATE"


def test_date_types_and_empty():
    assert code_of("date", 20260131) == "INVALID_TYPE"
    assert coerce("date", "") is None and coerce("date", None) is None


def test_date_import_json_and_column():
    t, f = get_type("date"), fd("date")
    assert t.parse_text("2026年1月31日", f) == date(2026, 1, 31)
    assert t.parse_text("", f) is None
    assert t.to_json(date(2026, 1, 31), f) == "2026-01-31"
    assert t.coerce(t.to_json(date(2026, 1, 31), f), f) == date(2026, 1, 31)
    assert isinstance(t.columns(f)[0].type, Date)
    assert t.json_schema(f)["format"] == "date"


# --- datetime ---------------------------------------------------------------------------------

NOON_UTC = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "raw",
    [
        "2026-01-31T12:00:00Z",
        "2026-01-31T12:00:00+00:00",
        "2026-01-31T20:00:00+08:00",
        "2026-01-31 20:00+08:00",
        "2026-01-31T12:00",  # naive → UTC
        "2026/1/31 12:00",
        "2026/1/31 12:00:00Z",
        "2026年1月31日 20:00:00 +08:00",
        datetime(2026, 1, 31, 12, 0),  # naive → UTC
        datetime(2026, 1, 31, 20, 0, tzinfo=ZoneInfo("Asia/Shanghai")),
        datetime(2026, 1, 31, 7, 0, tzinfo=timezone(timedelta(hours=-5))),
        NOON_UTC,
    ],
)
def test_datetime_good(raw):
    v = coerce("datetime", raw)
    assert v == NOON_UTC and v.utcoffset() == timedelta(0)


def test_datetime_from_a_date_is_midnight_utc():
    assert coerce("datetime", date(2026, 1, 31)) == datetime(2026, 1, 31, tzinfo=UTC)
    assert coerce("datetime", "2026-01-31") == datetime(2026, 1, 31, tzinfo=UTC)


@pytest.mark.parametrize("raw", ["2026-01-31T25:00", "yesterday", "2026-01-31T12:00+25:00"])
def test_datetime_bad(raw):
    assert code_of("datetime", raw) == "INVALID_DATE"


def test_datetime_refuses_numbers():
    assert code_of("datetime", 1767225600) == "INVALID_TYPE"


def test_datetime_json_ends_with_z_and_round_trips():
    t, f = get_type("datetime"), fd("datetime")
    assert t.to_json(NOON_UTC, f) == "2026-01-31T12:00:00Z"
    with_us = datetime(2026, 1, 31, 12, 0, 0, 123456, tzinfo=UTC)
    assert t.to_json(with_us, f) == "2026-01-31T12:00:00.123456Z"
    assert t.coerce(t.to_json(with_us, f), f) == with_us
    assert isinstance(t.columns(f)[0].type, UTCDateTime)
    assert t.json_schema(f)["format"] == "date-time"


# --- time -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("09:05", time(9, 5)),
        ("9:05", time(9, 5)),
        ("14:30:15", time(14, 30, 15)),
        ("14：30", time(14, 30)),
        ("23:59:59.999", time(23, 59, 59)),
        (time(8, 0, 0, 500), time(8, 0)),
        (time(8, 0, tzinfo=UTC), time(8, 0)),
    ],
)
def test_time_good(raw, value):
    assert coerce("time", raw) == value


@pytest.mark.parametrize("raw", ["24:00", "12:60", "noon", "1230"])
def test_time_bad(raw):
    assert code_of("time", raw) == "INVALID_DATE"


def test_time_json_and_column():
    t, f = get_type("time"), fd("time")
    assert t.to_json(time(9, 5), f) == "09:05:00"
    assert t.coerce("09:05:00", f) == time(9, 5)
    assert isinstance(t.columns(f)[0].type, Time)
    assert code_of("time", 930) == "INVALID_TYPE"
