"""Relative-date operators as concrete ranges, from a ``now`` passed in and a time zone.

A date field is compared with local dates of the acting user's zone; a datetime field with the
UTC instants of local day boundaries (so "today" in Asia/Shanghai is 16:00Z–16:00Z). Weeks start
on Monday. The ``n`` operators count ``n`` days of 24 hours for datetimes, ``n`` calendar days for
dates:

==============  ===============================  ==========================
op              datetime field                   date field (T = local today)
==============  ===============================  ==========================
in_last n       now − n days ≤ v ≤ now           T − n ≤ v ≤ T
next_n_days n   now ≤ v ≤ now + n days           T ≤ v ≤ T + n
in_next n       (alias of next_n_days)
older_than n    v < now − n days                 v < T − n
==============  ===============================  ==========================

Every range is ``lo ≤ v < hi`` (``≤ hi`` when ``hi_inclusive``); ``None`` means unbounded.
Ranges past the representable calendar (year 1 or 9999) are clamped instead of overflowing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

from accord.core.errors import FieldError, Invalid

_MAX_ORD = date.max.toordinal()
_BELOW, _ABOVE = "below", "above"

_PERIOD_OPS = {
    "today": ("day", 0),
    "yesterday": ("day", -1),
    "tomorrow": ("day", 1),
    "this_week": ("week", 0),
    "last_week": ("week", -1),
    "next_week": ("week", 1),
    "this_month": ("month", 0),
    "last_month": ("month", -1),
    "next_month": ("month", 1),
    "this_quarter": ("quarter", 0),
    "last_quarter": ("quarter", -1),
    "next_quarter": ("quarter", 1),
    "this_year": ("year", 0),
    "last_year": ("year", -1),
    "next_year": ("year", 1),
}


@dataclass(frozen=True)
class Bounds:
    lo: date | datetime | None  # inclusive
    hi: date | datetime | None
    hi_inclusive: bool = False
    empty: bool = False

    def contains(self, v: date | datetime) -> bool:
        if self.empty:
            return False
        if self.lo is not None and v < self.lo:  # type: ignore[operator]
            return False
        if self.hi is None:
            return True
        return v <= self.hi if self.hi_inclusive else v < self.hi  # type: ignore[operator]


EMPTY = Bounds(None, None, empty=True)


def zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except Exception:  # ZoneInfoNotFoundError, ValueError for odd names
        raise Invalid(
            "INVALID_FILTER",
            "The time zone is not known.",
            errors=[FieldError("timezone", "INVALID_VALUE", f"unknown time zone {tz!r}")],
        ) from None


def aware(now: datetime) -> datetime:
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now


def local_today(now: datetime, tz: str) -> date:
    return aware(now).astimezone(zone(tz)).date()


def relative_bounds(op: str, n: int | None, kind: str, *, now: datetime, tz: str) -> Bounds:
    """The range ``op`` (with day count ``n``) selects for a field of ``kind`` date/datetime."""
    now = aware(now)
    today = local_today(now, tz).toordinal()
    if op in _PERIOD_OPS:
        unit, shift = _PERIOD_OPS[op]
        lo, hi = _period(unit, shift, today)
        return _ordinal_range(lo, hi, kind, tz)
    if n is None:
        raise ValueError(f"{op} needs a day count")
    if kind == "date":
        if op == "in_last":
            return _ordinal_range(today - n, today + 1, kind, tz)
        if op in ("next_n_days", "in_next"):
            return _ordinal_range(today, today + n + 1, kind, tz)
        if op == "older_than":
            return _ordinal_range(None, today - n, kind, tz)
    else:
        past, future = _shift(now, -n), _shift(now, n)
        if op == "in_last":
            return Bounds(None if past == _BELOW else past, now, hi_inclusive=True)
        if op in ("next_n_days", "in_next"):
            return Bounds(now, None if future == _ABOVE else future, hi_inclusive=True)
        if op == "older_than":
            return EMPTY if past == _BELOW else Bounds(None, past)
    raise ValueError(f"not a relative date operator: {op}")


def _period(unit: str, shift: int, today: int) -> tuple[int, int]:
    """Ordinals ``[lo, hi)`` of the period ``shift`` units away from the one holding today."""
    if unit == "day":
        return today + shift, today + shift + 1
    if unit == "week":
        monday = today - date.fromordinal(today).weekday()
        return monday + 7 * shift, monday + 7 * shift + 7
    d = date.fromordinal(today)
    months = {"month": 1, "quarter": 3, "year": 12}[unit]
    first = d.year * 12 + (d.month - 1) // months * months  # month index of the period start
    start = first + shift * months
    return _month_ordinal(start), _month_ordinal(start + months)


def _month_ordinal(month_index: int) -> int:
    year, month0 = divmod(month_index, 12)
    if year < 1:
        return 0
    if year > 9999:
        return _MAX_ORD + 1
    return date(year, month0 + 1, 1).toordinal()


def _ordinal_range(lo: int | None, hi: int, kind: str, tz: str) -> Bounds:
    """``[lo, hi)`` in day ordinals as a range of ``kind`` values, clamped to the calendar."""
    if hi < 1 or (lo is not None and lo > _MAX_ORD) or (lo is not None and lo >= hi):
        return EMPTY
    lo_d = None if lo is None or lo < 1 else date.fromordinal(lo)
    hi_d = None if hi > _MAX_ORD else date.fromordinal(hi)
    if kind == "date":
        return Bounds(lo_d, hi_d)
    lo_t = None if lo_d is None else _midnight(lo_d, tz)
    hi_t = None if hi_d is None else _midnight(hi_d, tz)
    if lo_t == _ABOVE or hi_t == _BELOW:
        return EMPTY
    return Bounds(
        None if lo_t in (None, _BELOW) else lo_t,  # type: ignore[arg-type]
        None if hi_t in (None, _ABOVE) else hi_t,  # type: ignore[arg-type]
    )


def _midnight(d: date, tz: str) -> datetime | str:
    """The UTC instant the local day ``d`` starts (first instant after a DST gap at midnight)."""
    try:
        return datetime.combine(d, dtime(0), tzinfo=zone(tz)).astimezone(UTC)
    except OverflowError:
        return _BELOW if d.year < 5000 else _ABOVE


def _shift(now: datetime, days: int) -> datetime | str:
    try:
        return now + timedelta(days=days)
    except OverflowError:
        return _BELOW if days < 0 else _ABOVE
