"""What other packages call: enqueue jobs, manage schedules, run workers.

Services take ``ctx`` and work in its unit of work (a job enqueued by a record service commits
or rolls back with the record). Runners take the process-wide ``Runtime``.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from accord.core.context import Context, Runtime
from accord.core.errors import Conflict, FieldError, Invalid, NotFound
from accord.jobs import queue, scheduler, tasks
from accord.jobs.every import Every
from accord.jobs.model import DEAD, DEFAULT_BACKOFF, Backoff, Job, QueueStats
from accord.jobs.registry import HandlerRegistry, check_kind
from accord.jobs.scheduler import Schedule, Scheduler
from accord.jobs.worker import Worker

log = logging.getLogger("accord.jobs")

MAX_KEY_CHARS = 255


def _invalid(code: str, fld: str, message: str) -> Invalid:
    return Invalid(code, message, errors=[FieldError(fld, code, message)])


def _check_job(
    kind: str, payload: Mapping[str, Any] | None, max_attempts: int, key: str | None = None
) -> None:
    try:
        check_kind(kind)
    except ValueError as exc:
        raise _invalid("JOB_KIND_INVALID", "kind", str(exc)) from None
    if payload is not None and not isinstance(payload, Mapping):
        raise _invalid("JOB_PAYLOAD_INVALID", "payload", "The payload must be a JSON object.")
    try:
        json.dumps(dict(payload or {}), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise _invalid("JOB_PAYLOAD_INVALID", "payload", f"Not JSON: {exc}") from None
    if not isinstance(max_attempts, int) or max_attempts < 1:
        raise _invalid("JOB_MAX_ATTEMPTS_INVALID", "max_attempts", "Must be at least 1.")
    if key is not None and (not isinstance(key, str) or not key or len(key) > MAX_KEY_CHARS):
        raise _invalid(
            "JOB_IDEMPOTENCY_KEY_INVALID", "idempotency_key", "Must be 1–255 characters."
        )


# --- jobs ----------------------------------------------------------------------------------


def enqueue(
    ctx: Context,
    kind: str,
    payload: Mapping[str, Any] | None = None,
    *,
    run_at: datetime | None = None,
    idempotency_key: str | None = None,
    priority: int = 0,
    max_attempts: int = 5,
) -> int:
    """Queue a job in the caller's transaction; returns its id.

    With ``idempotency_key`` the job is enqueued at most once: a repeat returns the first id.
    """
    _check_job(kind, payload, max_attempts, idempotency_key)
    return queue.enqueue(
        ctx.conn,
        kind,
        payload,
        now=ctx.clock.now(),
        run_at=run_at,
        idempotency_key=idempotency_key,
        priority=priority,
        max_attempts=max_attempts,
    )


def enqueue_many(
    ctx: Context,
    kind: str,
    payloads: Iterable[Mapping[str, Any]],
    *,
    run_at: datetime | None = None,
    priority: int = 0,
    max_attempts: int = 5,
) -> int:
    """Queue many jobs of one kind in one statement (fan-out); returns how many."""
    items = list(payloads)
    for p in items or [None]:
        _check_job(kind, p, max_attempts)
    return queue.enqueue_many(
        ctx.conn,
        kind,
        items,
        now=ctx.clock.now(),
        run_at=run_at,
        priority=priority,
        max_attempts=max_attempts,
    )


def get_job(ctx: Context, job_id: int) -> Job:
    job = queue.get(ctx.conn, job_id)
    if job is None:
        raise NotFound("JOB_NOT_FOUND", f"There is no job {job_id}.")
    return job


def retry_dead(ctx: Context, job_id: int) -> Job:
    """Give a dead job a fresh set of attempts, to run now."""
    job = get_job(ctx, job_id)
    if job.status != DEAD or not queue.retry_dead(ctx.conn, job_id, ctx.clock.now()):
        raise Conflict("JOB_NOT_DEAD", f"Job {job_id} is {job.status}, not dead.")
    return get_job(ctx, job_id)


def job_stats(ctx: Context) -> QueueStats:
    return queue.stats(ctx.conn, ctx.clock.now())


# --- schedules -----------------------------------------------------------------------------


def schedule(
    ctx: Context,
    name: str,
    kind: str,
    every: str | Every,
    *,
    payload: Mapping[str, Any] | None = None,
    timezone: str | None = None,
    enabled: bool = True,
) -> None:
    """Create or change a stored periodic schedule (``every``: ``"5m"``, ``"daily 09:30"`` …).

    ``timezone`` (for daily schedules) defaults to the installation's ``default_timezone``.
    """
    _check_job(kind, payload, 1)
    tz = timezone or ctx.settings.default_timezone
    try:
        cadence = every if isinstance(every, Every) else Every.parse(every, tz)
        s = Schedule(name, kind, cadence, dict(payload or {}), enabled)
    except ValueError as exc:
        raise _invalid("JOB_SCHEDULE_INVALID", "every", str(exc)) from None
    scheduler.save_schedule(ctx.conn, s, ctx.clock.now(), source="db")


def unschedule(ctx: Context, name: str) -> None:
    if not scheduler.delete_schedule(ctx.conn, name):
        raise NotFound("JOB_SCHEDULE_NOT_FOUND", f"There is no schedule named {name!r}.")


def list_schedules(ctx: Context) -> list[dict[str, Any]]:
    return scheduler.list_schedules(ctx.conn)


# --- runners -------------------------------------------------------------------------------


def builtin_registry() -> HandlerRegistry:
    """The job system's own handlers; entry points add the domain packages' ``tasks`` modules."""
    return HandlerRegistry().include(tasks)


def run_worker(
    runtime: Runtime,
    registry: HandlerRegistry | None = None,
    *,
    concurrency: int = 1,
    poll_interval: float = 1.0,
    lease_seconds: float = 300.0,
    batch: int | None = None,
    backoff: Backoff = DEFAULT_BACKOFF,
    install_signals: bool = True,
    stop_event: threading.Event | None = None,
    with_scheduler: bool = True,
    pollers: Sequence[Callable[[], int]] = (),
    schedules: Iterable[Schedule] = (),
) -> None:
    """``accord worker``: run jobs until SIGTERM/SIGINT (graceful) or ``stop_event``. The
    scheduler runs alongside by default; its database lock makes one tick run exactly once
    however many workers and servers run a scheduler."""
    registry = registry if registry is not None else builtin_registry()
    stop_event = stop_event or threading.Event()
    worker = Worker(
        runtime,
        registry,
        concurrency=concurrency,
        poll_interval=poll_interval,
        lease_seconds=lease_seconds,
        batch=batch,
        backoff=backoff,
        stop_event=stop_event,
        pollers=pollers,
    )
    if install_signals:
        worker.install_signal_handlers()
    sched_thread = None
    if with_scheduler:
        builtin = tasks.BUILTIN_SCHEDULES if tasks.PURGE_KIND in registry else ()
        sched = Scheduler(
            runtime,
            (*builtin, *schedules),
            poll_interval=poll_interval,
            scheduler_id=worker.id,
            stop_event=stop_event,
        )
        sched_thread = threading.Thread(target=sched.run, name="accord-scheduler", daemon=True)
        sched_thread.start()
    try:
        worker.run()
    finally:
        stop_event.set()
        if sched_thread is not None:
            sched_thread.join(timeout=30)


@dataclass
class EmbeddedJobs:
    """The worker and scheduler threads started by ``run_embedded``."""

    worker: Worker
    scheduler: Scheduler
    threads: list[threading.Thread] = field(default_factory=list)

    def stop(self) -> None:
        self.worker.stop()
        self.scheduler.stop()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for both threads; True when they have ended."""
        for t in self.threads:
            t.join(timeout)
        return not any(t.is_alive() for t in self.threads)


def run_embedded(
    runtime: Runtime,
    stop_event: threading.Event,
    registry: HandlerRegistry | None = None,
    schedules: Iterable[Schedule] = (),
    *,
    poll_interval: float = 1.0,
    lease_seconds: float = 300.0,
    pollers: Sequence[Callable[[], int]] = (),
) -> EmbeddedJobs:
    """``accord serve``: one worker thread and one scheduler thread in this process, both
    stopping when ``stop_event`` is set (the job in hand finishes first). Returns at once."""
    registry = registry if registry is not None else builtin_registry()
    worker = Worker(
        runtime,
        registry,
        poll_interval=poll_interval,
        lease_seconds=lease_seconds,
        stop_event=stop_event,
        pollers=pollers,
    )
    builtin = tasks.BUILTIN_SCHEDULES if tasks.PURGE_KIND in registry else ()
    sched = Scheduler(
        runtime,
        (*builtin, *schedules),
        poll_interval=poll_interval,
        scheduler_id=worker.id,
        stop_event=stop_event,
    )
    handle = EmbeddedJobs(worker, sched)
    for name, target in (("accord-worker", worker.run), ("accord-scheduler", sched.run)):
        t = threading.Thread(target=target, name=name, daemon=True)
        t.start()
        handle.threads.append(t)
    return handle
