"""The job system's own handlers (housekeeping) and their default schedule."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from accord.core.context import Context
from accord.jobs import queue
from accord.jobs.every import Every
from accord.jobs.model import DEAD, DONE
from accord.jobs.registry import handler
from accord.jobs.scheduler import Schedule, purge_ticks

PURGE_KIND = "jobs.purge"


@handler(PURGE_KIND)
def purge(ctx: Context, payload: dict[str, Any]) -> dict[str, Any]:
    """Delete done jobs after ``keep_days`` (default 14), dead ones after ``keep_dead_days``
    (default 90), old scheduler ticks, and workers not seen for a day."""
    now = ctx.clock.now()
    keep = timedelta(days=float(payload.get("keep_days", 14)))
    keep_dead = timedelta(days=float(payload.get("keep_dead_days", 90)))
    return {
        "done": queue.purge(ctx.conn, now - keep, (DONE,)),
        "dead": queue.purge(ctx.conn, now - keep_dead, (DEAD,)),
        "ticks": purge_ticks(ctx.conn, now - keep),
        "workers": queue.forget_stale_workers(ctx.conn, now - timedelta(days=1)),
    }


BUILTIN_SCHEDULES = (Schedule(PURGE_KIND, PURGE_KIND, Every.daily("03:30")),)
