"""When a periodic schedule ticks. Pure functions of time, so every scheduler process computes
the same tick instants independently (that is what lets the database dedupe them).

Two forms, written as short text (stored in ``job_schedules.every``):

- ``"30s"``, ``"5m"``, ``"2h"``, ``"1d"``: every N units, aligned to the Unix epoch in UTC
  (``"5m"`` ticks at :00, :05, :10 …; ``"1d"`` at 00:00 UTC);
- ``"daily HH:MM"`` in an IANA time zone (``Every.parse("daily 09:30", "Asia/Shanghai")``).
  A wall time that does not exist on a DST change day resolves the way ``zoneinfo`` does (the
  earlier offset), identically in every process.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_INTERVAL = re.compile(r"^\s*(\d{1,7})\s*([smhd])\s*$")
_DAILY = re.compile(r"^\s*daily\s+([01]\d|2[0-3]):([0-5]\d)\s*$")


@dataclass(frozen=True)
class Every:
    """A schedule's cadence: ``interval_seconds`` or ``daily_at`` (in ``timezone``)."""

    interval_seconds: int | None = None
    daily_at: time | None = None
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        if (self.interval_seconds is None) == (self.daily_at is None):
            raise ValueError("give exactly one of interval_seconds and daily_at")
        if self.interval_seconds is not None and self.interval_seconds < 1:
            raise ValueError("interval must be at least one second")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {self.timezone!r}") from exc

    @classmethod
    def parse(cls, text: str, timezone: str = "UTC") -> Every:
        """``"30s"`` / ``"5m"`` / ``"2h"`` / ``"1d"`` / ``"daily 09:30"``; ValueError otherwise."""
        if not isinstance(text, str):
            raise ValueError("schedule cadence must be text")
        m = _INTERVAL.match(text)
        if m:
            return cls(interval_seconds=int(m.group(1)) * _UNITS[m.group(2)], timezone=timezone)
        m = _DAILY.match(text)
        if m:
            return cls(daily_at=time(int(m.group(1)), int(m.group(2))), timezone=timezone)
        raise ValueError(
            f"cannot read schedule cadence {text!r}: use 30s, 5m, 2h, 1d or daily HH:MM"
        )

    @classmethod
    def seconds(cls, n: int) -> Every:
        return cls(interval_seconds=n)

    @classmethod
    def daily(cls, at: str, timezone: str = "UTC") -> Every:
        return cls.parse(f"daily {at}", timezone)

    def __str__(self) -> str:
        if self.daily_at is not None:
            return f"daily {self.daily_at:%H:%M}"
        n = self.interval_seconds or 0
        for unit in ("d", "h", "m"):
            if n % _UNITS[unit] == 0:
                return f"{n // _UNITS[unit]}{unit}"
        return f"{n}s"

    # --- tick arithmetic -----------------------------------------------------------------

    def _daily_on(self, day_offset: int, now: datetime) -> datetime:
        tz = ZoneInfo(self.timezone)
        local_day = now.astimezone(tz).date() + timedelta(days=day_offset)
        assert self.daily_at is not None
        return datetime.combine(local_day, self.daily_at, tzinfo=tz).astimezone(UTC)

    def latest_tick(self, now: datetime) -> datetime:
        """The last tick at or before ``now``."""
        now = now.astimezone(UTC)
        if self.interval_seconds is not None:
            delta = now - _EPOCH  # whole seconds only: integer arithmetic, no float rounding
            whole = delta.days * 86400 + delta.seconds
            return _EPOCH + timedelta(seconds=whole - whole % self.interval_seconds)
        for offset in (1, 0, -1, -2):
            tick = self._daily_on(offset, now)
            if tick <= now:
                return tick
        raise AssertionError("unreachable: a daily tick exists within two days")

    def next_tick(self, after: datetime) -> datetime:
        """The first tick strictly after ``after``."""
        after = after.astimezone(UTC)
        if self.interval_seconds is not None:
            return self.latest_tick(after) + timedelta(seconds=self.interval_seconds)
        for offset in (-1, 0, 1, 2):
            tick = self._daily_on(offset, after)
            if tick > after:
                return tick
        raise AssertionError("unreachable: a daily tick exists within two days")


def tick_key(schedule_name: str, tick: datetime) -> str:
    """The idempotency key of the job a tick enqueues: ``"<name>:<tick in ISO UTC>"``."""
    return f"{schedule_name}:{tick.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"
