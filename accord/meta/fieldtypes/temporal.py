"""Temporal family: date, datetime, time.

- date: ``datetime.date``; input ISO ``2026-01-31`` or ``2026/1/31``, ``2026.1.31``,
  ``2026年1月31日``; a ``datetime`` input keeps its date.
- datetime: always an aware UTC ``datetime``. Input ISO 8601 with an offset (``Z``, ``+08:00``)
  or the lenient date forms followed by a time. **Naive input is interpreted as UTC**: callers that
  know the user's time zone (importer, UI) attach it before coercing. A bare date means midnight
  UTC. JSON output is ISO 8601 ending in ``Z``.
- time: ``datetime.time`` without time zone or microseconds; input ``HH:MM[:SS]``.

No type-specific option checks.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Date, Time

from accord.db.types import UTCDateTime
from accord.meta.fieldtypes.base import ColumnSpec
from accord.meta.fieldtypes.common import BaseType
from accord.meta.fieldtypes.registry import register
from accord.meta.fieldtypes.validation import INVALID_DATE, fail, type_error
from accord.meta.model import FieldDef

_DATE = r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?"
_TIME = r"(\d{1,2})\s*[:：时]\s*(\d{1,2})(?:\s*[:：分]\s*(\d{1,2})(?:[.,](\d{1,6}))?)?\s*秒?"
_DATE_RE = re.compile(_DATE)
_TIME_RE = re.compile(_TIME)
_DATETIME_RE = re.compile(rf"{_DATE}(?:(?:\s+|T){_TIME})?\s*(Z|[+-]\d{{2}}:?\d{{2}})?", re.I)


def _bad(value: Any, what: str) -> Exception:
    return fail(INVALID_DATE, f"{str(value)[:40]!r} is not a {what}")


def parse_date(s: str) -> date:
    try:
        return date.fromisoformat(s)
    except ValueError:
        pass
    m = _DATE_RE.fullmatch(s)
    if m is None:
        raise _bad(s, "date (YYYY-MM-DD)")
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise _bad(s, "date") from None


def parse_datetime(s: str) -> datetime:
    try:
        dt = datetime.fromisoformat(s)
    except ValueError:
        m = _DATETIME_RE.fullmatch(s)
        if m is None:
            raise _bad(s, "date-time (ISO 8601)") from None
        y, mo, d, h, mi, sec, frac, tz = m.groups()
        iso = f"{int(y):04d}-{int(mo):02d}-{int(d):02d}T{int(h or 0):02d}:{int(mi or 0):02d}"
        iso += f":{int(sec or 0):02d}" + (f".{frac.ljust(6, '0')}" if frac else "")
        iso += "+00:00" if tz in ("Z", "z") else (tz or "")
        try:
            dt = datetime.fromisoformat(iso)
        except ValueError:
            raise _bad(s, "date-time") from None
    return utc(dt)


def utc(dt: datetime) -> datetime:
    tz = dt.tzinfo
    if tz is UTC:
        return dt
    if tz is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


@register
class DateType(BaseType):
    name = "date"
    label = {"en": "Date", "zh": "日期"}
    kind = "date"
    widget = "date-picker"

    def columns(self, field: FieldDef) -> list[ColumnSpec]:
        return [ColumnSpec(field.name, Date())]

    def coerce(self, value: Any, field: FieldDef) -> Any:
        t = type(value)
        if t is date or value is None:
            return value
        if t is str:
            s = value.strip()
            return parse_date(s) if s else None
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return date(value.year, value.month, value.day)
        raise type_error("a date", value)

    def to_json(self, value: Any, field: FieldDef) -> Any:
        return None if value is None else value.isoformat()

    def value_schema(self, field: FieldDef) -> dict[str, Any]:
        return {"type": "string", "format": "date"}


@register
class DateTimeType(BaseType):
    name = "datetime"
    label = {"en": "Date & time", "zh": "日期时间"}
    kind = "datetime"
    widget = "datetime-picker"
    converts_from = frozenset({"date"})

    def columns(self, field: FieldDef) -> list[ColumnSpec]:
        return [ColumnSpec(field.name, UTCDateTime())]

    def coerce(self, value: Any, field: FieldDef) -> Any:
        t = type(value)
        if t is datetime:
            return utc(value)
        if value is None:
            return None
        if t is str:
            s = value.strip()
            return parse_datetime(s) if s else None
        if isinstance(value, datetime):
            return utc(value)
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day, tzinfo=UTC)
        raise type_error("a date-time", value)

    def to_json(self, value: Any, field: FieldDef) -> Any:
        if value is None:
            return None
        return utc(value).isoformat().replace("+00:00", "Z")

    def value_schema(self, field: FieldDef) -> dict[str, Any]:
        return {"type": "string", "format": "date-time"}


@register
class TimeType(BaseType):
    name = "time"
    label = {"en": "Time", "zh": "时间"}
    kind = "time"
    widget = "time-picker"

    def columns(self, field: FieldDef) -> list[ColumnSpec]:
        return [ColumnSpec(field.name, Time())]

    def coerce(self, value: Any, field: FieldDef) -> Any:
        if value is None:
            return None
        if isinstance(value, time):
            if value.microsecond or value.tzinfo is not None:
                return value.replace(microsecond=0, tzinfo=None)
            return value
        if type(value) is not str:
            raise type_error("a time (HH:MM[:SS])", value)
        s = value.strip()
        if not s:
            return None
        m = _TIME_RE.fullmatch(s)
        if m is None:
            raise _bad(s, "time (HH:MM[:SS])")
        try:
            return time(int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))
        except ValueError:
            raise _bad(s, "time") from None

    def to_json(self, value: Any, field: FieldDef) -> Any:
        return None if value is None else value.isoformat()

    def value_schema(self, field: FieldDef) -> dict[str, Any]:
        return {"type": "string", "format": "time", "pattern": r"^\d{2}:\d{2}(:\d{2})?$"}
