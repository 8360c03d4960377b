"""Periodic schedules: each tick enqueues the schedule's job, exactly once across processes.

Every ``accord serve`` process may run a scheduler; they coordinate only through the database.
A tick is run inside one transaction that

1. re-reads the schedule row ``FOR UPDATE SKIP LOCKED`` (PostgreSQL; SQLite's ``BEGIN
   IMMEDIATE`` serializes writers) and checks it is still due,
2. inserts ``(schedule_name, tick_at)`` into ``scheduler_ticks`` with ``ON CONFLICT DO NOTHING``
   — the primary key is the lock: only the transaction whose insert lands owns the tick,
3. enqueues the job with the idempotency key ``"<name>:<tick ISO>"`` and moves ``next_run_at``.

Any one of these would prevent a double run; together they also survive a schedule being
edited, and the tick row records who ran what. Missed ticks (every scheduler down) coalesce
into one run of the latest tick. Time comes from ``runtime.clock``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, select, update

from accord.core.context import Runtime
from accord.db.dialect import upsert_insert
from accord.db.engine import unit_of_work
from accord.jobs import queue
from accord.jobs.every import Every, tick_key
from accord.jobs.registry import check_kind
from accord.jobs.tables import job_schedules, scheduler_ticks
from accord.jobs.worker import default_worker_id

log = logging.getLogger("accord.jobs.scheduler")


@dataclass(frozen=True)
class Schedule:
    """A periodic job: enqueue ``kind`` with ``payload`` at every tick of ``every``."""

    name: str
    kind: str
    every: Every
    payload: Mapping[str, Any] = field(default_factory=dict)
    enabled: bool = True

    def __post_init__(self) -> None:
        if not self.name or len(self.name) > 100:
            raise ValueError("schedule name must be 1–100 characters")
        check_kind(self.kind)


@dataclass(frozen=True)
class Tick:
    """One tick run by this scheduler."""

    schedule_name: str
    tick_at: datetime
    job_id: int


# --- repository (SQL only, never commits) ------------------------------------------------


def save_schedule(conn: Connection, s: Schedule, now: datetime, *, source: str = "db") -> bool:
    """Create or update a schedule; ``next_run_at`` moves only when the cadence changed.
    Returns True when something changed."""
    values = {
        "kind": s.kind,
        "payload": dict(s.payload),
        "every": str(s.every),
        "timezone": s.every.timezone,
        "enabled": s.enabled,
        "source": source,
    }
    inserted = conn.execute(
        upsert_insert(conn, job_schedules)
        .values(
            name=s.name,
            next_run_at=s.every.next_tick(now),
            created_at=now,
            updated_at=now,
            **values,
        )
        .on_conflict_do_nothing(index_elements=[job_schedules.c.name])
        .returning(job_schedules.c.name)
    ).first()
    if inserted is not None:
        return True
    row = (
        conn.execute(select(job_schedules).where(job_schedules.c.name == s.name).with_for_update())
        .mappings()
        .one()
    )
    if all(row[k] == v for k, v in values.items()):
        return False
    if (row["every"], row["timezone"]) != (values["every"], values["timezone"]):
        values["next_run_at"] = s.every.next_tick(now)
    conn.execute(
        update(job_schedules).where(job_schedules.c.name == s.name).values(updated_at=now, **values)
    )
    return True


def delete_schedule(conn: Connection, name: str) -> bool:
    return (
        conn.execute(delete(job_schedules).where(job_schedules.c.name == name)).rowcount or 0
    ) > 0


def list_schedules(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(select(job_schedules).order_by(job_schedules.c.name)).mappings()
    return [dict(r) for r in rows]


def due_names(conn: Connection, now: datetime) -> list[str]:
    stmt = (
        select(job_schedules.c.name)
        .where(job_schedules.c.enabled.is_(True), job_schedules.c.next_run_at <= now)
        .order_by(job_schedules.c.next_run_at)
    )
    return list(conn.execute(stmt).scalars())


def claim_tick(
    conn: Connection, name: str, tick_at: datetime, scheduler_id: str, now: datetime
) -> bool:
    """Insert the tick's row; True only for the one transaction that lands it."""
    stmt = (
        upsert_insert(conn, scheduler_ticks)
        .values(schedule_name=name, tick_at=tick_at, claimed_by=scheduler_id, claimed_at=now)
        .on_conflict_do_nothing(
            index_elements=[scheduler_ticks.c.schedule_name, scheduler_ticks.c.tick_at]
        )
        .returning(scheduler_ticks.c.schedule_name)
    )
    return conn.execute(stmt).first() is not None


def run_tick(conn: Connection, name: str, scheduler_id: str, now: datetime) -> Tick | None:
    """Run the schedule's due tick if this transaction wins it (see the module docstring)."""
    row = (
        conn.execute(
            select(job_schedules)
            .where(
                job_schedules.c.name == name,
                job_schedules.c.enabled.is_(True),
                job_schedules.c.next_run_at <= now,
            )
            .with_for_update(skip_locked=True)
        )
        .mappings()
        .first()
    )
    if row is None:  # another scheduler holds it or has just run it
        return None
    every = Every.parse(row["every"], row["timezone"])
    tick_at = every.latest_tick(now)
    values: dict[str, Any] = {"next_run_at": every.next_tick(now)}
    tick: Tick | None = None
    fresh = row["last_run_at"] is None or tick_at > row["last_run_at"]
    if fresh and claim_tick(conn, name, tick_at, scheduler_id, now):
        job_id = queue.enqueue(
            conn, row["kind"], row["payload"], now=now, idempotency_key=tick_key(name, tick_at)
        )
        conn.execute(
            update(scheduler_ticks)
            .where(
                and_(scheduler_ticks.c.schedule_name == name, scheduler_ticks.c.tick_at == tick_at)
            )
            .values(job_id=job_id)
        )
        values.update(last_run_at=tick_at, last_job_id=job_id)
        tick = Tick(name, tick_at, job_id)
    conn.execute(update(job_schedules).where(job_schedules.c.name == name).values(values))
    return tick


def purge_ticks(conn: Connection, before: datetime) -> int:
    stmt = delete(scheduler_ticks).where(scheduler_ticks.c.tick_at < before)
    return conn.execute(stmt).rowcount or 0


# --- the scheduler loop --------------------------------------------------------------------


class Scheduler:
    """Runs due ticks of every enabled schedule in ``job_schedules``.

    ``schedules`` declared in code are written to the table by ``sync()`` (at start of ``run``),
    so code and administrator-made schedules run the same way. ``run_pending()`` is one pass
    (tests call it with a ``FixedClock``); ``run()`` loops until ``stop()``/``stop_event``.
    """

    def __init__(
        self,
        runtime: Runtime,
        schedules: Iterable[Schedule] = (),
        *,
        poll_interval: float = 1.0,
        scheduler_id: str | None = None,
        stop_event: threading.Event | None = None,
    ) -> None:
        self.runtime = runtime
        self.schedules = tuple(schedules)
        self.poll_interval = poll_interval
        self.id = scheduler_id or default_worker_id()
        self._stop = stop_event or threading.Event()

    def stop(self) -> None:
        self._stop.set()

    def sync(self) -> None:
        now = self.runtime.clock.now()
        with unit_of_work(self.runtime.engine) as conn:
            for s in self.schedules:
                if save_schedule(conn, s, now, source="code"):
                    log.info("schedule %s saved (%s, every %s)", s.name, s.kind, s.every)

    def run_pending(self) -> list[Tick]:
        """One pass: run every due tick this scheduler wins."""
        now = self.runtime.clock.now()
        with unit_of_work(self.runtime.engine, readonly=True) as conn:
            names = due_names(conn, now)
        ticks: list[Tick] = []
        for name in names:
            try:
                with unit_of_work(self.runtime.engine) as conn:
                    tick = run_tick(conn, name, self.id, now)
            except Exception:
                log.exception("schedule %s: tick failed", name)
                continue
            if tick is not None:
                log.info(
                    "schedule %s ticked at %s: job %s",
                    name,
                    tick.tick_at.isoformat(),
                    tick.job_id,
                    extra={"schedule": name, "job_id": tick.job_id},
                )
                ticks.append(tick)
        return ticks

    def run(self) -> None:
        log.info("scheduler %s started", self.id)
        synced = False
        while not self._stop.is_set():
            try:
                if not synced:
                    self.sync()
                    synced = True
                self.run_pending()
            except Exception:
                log.exception("scheduler loop error; retrying in %ss", self.poll_interval)
            self._stop.wait(self.poll_interval)
        log.info("scheduler %s stopped", self.id)
