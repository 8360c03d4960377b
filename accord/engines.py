"""The process engines wired together: every package's job handlers and schedules, and the
outbox dispatcher that hands record events to the rule engine and to outbound webhooks.

Entry points (``accord serve``, ``accord worker``, tests) build workers from here, so a new
package's ``tasks`` module is registered in one place.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

from accord.automation import consumer as automation_consumer
from accord.automation import tasks as automation_tasks
from accord.core.context import SYSTEM_ACTOR, Context, Runtime
from accord.db.engine import unit_of_work
from accord.jobs.registry import HandlerRegistry
from accord.jobs.scheduler import Schedule
from accord.jobs.service import builtin_registry, run_embedded, run_worker
from accord.jobs.worker import Worker
from accord.notifications import tasks as notification_tasks
from accord.records import outbox
from accord.records.outbox import Event
from accord.webhooks import consumer as webhook_consumer
from accord.webhooks import tasks as webhook_tasks
from accord.workflow import tasks as workflow_tasks

log = logging.getLogger("accord.engines")

Consumer = Callable[[Context, Sequence[Event]], None]

# Rules first: their writes become new events of the same batch's successors, and a
# webhook subscriber sees the record as the rules left it when its delivery runs.
CONSUMERS: tuple[tuple[str, Consumer], ...] = (
    ("automation", automation_consumer.consume),
    ("webhooks", webhook_consumer.consume),
)
DISPATCH_BATCH = 500


def job_registry() -> HandlerRegistry:
    """Every package's job handlers."""
    return builtin_registry().include(
        automation_tasks, notification_tasks, webhook_tasks, workflow_tasks
    )


def schedules() -> tuple[Schedule, ...]:
    """Every package's periodic schedules (the job system's own are added by the runners)."""
    found: list[Schedule] = []
    for module in (automation_tasks, notification_tasks, webhook_tasks, workflow_tasks):
        found += getattr(module, "SCHEDULES", ())
    return tuple(found)


def dispatch_events(runtime: Runtime, limit: int = DISPATCH_BATCH) -> int:
    """Claim one batch of outbox events and hand it to every consumer, all in one transaction
    (the events are marked dispatched only if every consumer's writes commit). Returns how
    many events were dispatched."""
    with unit_of_work(runtime.engine) as conn:
        events = outbox.claim(conn, limit, runtime.clock.now())
        if not events:
            return 0
        ctx = Context(runtime=runtime, conn=conn, actor=SYSTEM_ACTOR)
        for _name, consume in CONSUMERS:
            consume(ctx, events)
    return len(events)


def pollers(runtime: Runtime) -> list[Callable[[], int]]:
    return [lambda: dispatch_events(runtime)]


def worker(runtime: Runtime, **options: Any) -> Worker:
    """A worker with every handler and the outbox dispatcher (tests: ``run_until_idle``)."""
    return Worker(runtime, job_registry(), pollers=pollers(runtime), **options)


def drain(runtime: Runtime, max_rounds: int = 1000) -> int:
    """Dispatch every pending event and run every job that is due now, until nothing is left
    (tests and ``accord jobs drain``). Returns the work done."""
    return worker(runtime, poll_interval=0).run_until_idle(max_rounds)


def serve_worker(runtime: Runtime, **options: Any) -> None:
    """``accord worker``: block until SIGTERM/SIGINT."""
    run_worker(runtime, job_registry(), pollers=pollers(runtime), schedules=schedules(), **options)


def start_embedded(runtime: Runtime, stop_event: threading.Event) -> Any:
    """``accord serve``: one worker thread and the scheduler inside the web process."""
    return run_embedded(runtime, stop_event, job_registry(), schedules(), pollers=pollers(runtime))
