"""Plain data of the job system: statuses, the claimed job, backoff policy, stats. No I/O."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

QUEUED: Final = "queued"  # waiting for its run_at
RUNNING: Final = "running"  # claimed by a worker holding a lease (locked_by, locked_until)
DONE: Final = "done"  # handler and completion committed together
FAILED: Final = "failed"  # last attempt raised; retried at run_at (backoff) — still claimable
DEAD: Final = "dead"  # out of attempts (or PermanentFailure); only retry_dead revives it

STATUSES: Final = (QUEUED, RUNNING, DONE, FAILED, DEAD)
CLAIMABLE: Final = (QUEUED, FAILED)


@dataclass(frozen=True)
class Job:
    """A job row as a worker sees it after claiming it."""

    id: int
    kind: str
    payload: dict[str, Any]
    status: str
    priority: int
    attempts: int
    max_attempts: int
    run_at: datetime
    locked_by: str | None
    locked_until: datetime | None
    idempotency_key: str | None
    last_error: str | None
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    result: Any = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Job:
        return cls(**{name: row[name] for name in cls.__dataclass_fields__})

    @property
    def attempts_left(self) -> int:
        return max(self.max_attempts - self.attempts, 0)


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff: ``base * 2**(attempt-1)`` seconds, capped, minus up to ``jitter``.

    With ``jitter=0.25`` a delay is uniformly spread over ``[0.75 d, d]`` so retries of a burst
    of jobs that failed together (an outage) do not come back together.
    """

    base_seconds: float = 10.0
    cap_seconds: float = 3600.0
    jitter: float = 0.25

    def __post_init__(self) -> None:
        if self.base_seconds < 0 or self.cap_seconds < 0 or not 0 <= self.jitter <= 1:
            raise ValueError("Backoff needs base >= 0, cap >= 0 and 0 <= jitter <= 1")

    def ceiling(self, attempt: int) -> float:
        """The delay before jitter after the ``attempt``-th failure (1-based)."""
        exponent = min(max(attempt, 1) - 1, 62)  # 2**62 seconds is far past any cap
        return min(self.cap_seconds, self.base_seconds * 2**exponent)

    def delay(self, attempt: int, rng: random.Random | None = None) -> timedelta:
        d = self.ceiling(attempt)
        r = (rng or random).random()
        return timedelta(seconds=d * (1 - self.jitter * r))


DEFAULT_BACKOFF: Final = Backoff()


class PermanentFailure(Exception):
    """Raise from a handler when retrying cannot help (bad payload): the job goes to ``dead``."""


@dataclass(frozen=True)
class QueueStats:
    """Counts by status plus the two numbers an operator alerts on."""

    by_status: dict[str, int] = field(default_factory=dict)
    # queued jobs whose run_at has passed (the backlog), and the age of the oldest one
    ready: int = 0
    oldest_ready_age_seconds: float | None = None
    # running jobs whose lease has expired (their worker died or is stuck); reclaimed on the
    # next claim
    expired_leases: int = 0

    def count(self, status: str) -> int:
        return self.by_status.get(status, 0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "by_status": dict(self.by_status),
            "ready": self.ready,
            "oldest_ready_age_seconds": self.oldest_ready_age_seconds,
            "expired_leases": self.expired_leases,
        }
