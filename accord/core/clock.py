"""Time comes from a clock in the context, never from ``datetime.now()`` in domain code."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class FixedClock:
    """A clock for tests: fixed until moved with ``advance``."""

    current: datetime = field(default_factory=lambda: datetime(2026, 1, 15, 9, 0, tzinfo=UTC))

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current = self.current + timedelta(**delta)


def local_today(clock: Clock, tz: str) -> date:
    """Today's date in the user's time zone (what "today" means to a person)."""
    return clock.now().astimezone(ZoneInfo(tz)).date()
