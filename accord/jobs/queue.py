"""The queue's SQL (repository): every function takes an open connection and never commits.

Lifecycle of a row::

    enqueue ──► queued ──claim──► running ──complete──► done
                  ▲                 │  │
                  │   fail (left)   │  └─fail (none left) / PermanentFailure──► dead
               failed ◄─────────────┘                                          │
                  ▲   lease expired (recover_expired; dead when out of attempts)│
                  └────────────────────────── retry_dead ◄─────────────────────┘

Ownership of a running job is fenced by ``(locked_by, attempts)``: ``start``, ``complete``,
``fail`` and ``release`` only touch the row while it still belongs to that claim, so a worker
whose lease was taken over cannot complete (or fail) someone else's attempt.

Claiming: PostgreSQL selects ``FOR UPDATE SKIP LOCKED`` in a materialized CTE and updates the
picked rows in the same statement; SQLite runs the same ``UPDATE … RETURNING`` inside the
``BEGIN IMMEDIATE`` transaction the engine opens for writers, which serializes claimers.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Insert,
    and_,
    bindparam,
    case,
    delete,
    func,
    literal,
    null,
    select,
    update,
)

from accord.db.dialect import upsert_insert
from accord.jobs.model import (
    CLAIMABLE,
    DEAD,
    DONE,
    FAILED,
    QUEUED,
    RUNNING,
    Backoff,
    Job,
    QueueStats,
)
from accord.jobs.tables import job_workers, jobs

MAX_ERROR_CHARS = 8000


def _row(
    kind: str,
    payload: Mapping[str, Any] | None,
    now: datetime,
    run_at: datetime | None,
    priority: int,
    max_attempts: int,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    return {
        "kind": kind,
        "payload": dict(payload or {}),
        "status": QUEUED,
        "priority": priority,
        "attempts": 0,
        "max_attempts": max_attempts,
        "run_at": run_at or now,
        "idempotency_key": idempotency_key,
        "created_at": now,
    }


def enqueue(
    conn: Connection,
    kind: str,
    payload: Mapping[str, Any] | None,
    *,
    now: datetime,
    run_at: datetime | None = None,
    idempotency_key: str | None = None,
    priority: int = 0,
    max_attempts: int = 5,
) -> int:
    """Insert a job in the caller's transaction and return its id.

    With ``idempotency_key``, a second enqueue of the same key returns the first job's id and
    inserts nothing (``INSERT … ON CONFLICT DO NOTHING``; a concurrent inserter of the same key
    waits for the first transaction and then sees its row).
    """
    values = _row(kind, payload, now, run_at, priority, max_attempts, idempotency_key)
    if idempotency_key is None:
        return int(conn.execute(jobs.insert().values(values).returning(jobs.c.id)).scalar_one())
    stmt: Insert = (
        upsert_insert(conn, jobs)
        .values(values)
        .on_conflict_do_nothing(index_elements=[jobs.c.idempotency_key])
        .returning(jobs.c.id)
    )
    new_id = conn.execute(stmt).scalar()
    if new_id is not None:
        return int(new_id)
    existing = conn.execute(
        select(jobs.c.id).where(jobs.c.idempotency_key == idempotency_key)
    ).scalar_one()
    return int(existing)


def enqueue_many(
    conn: Connection,
    kind: str,
    payloads: Iterable[Mapping[str, Any]],
    *,
    now: datetime,
    run_at: datetime | None = None,
    priority: int = 0,
    max_attempts: int = 5,
) -> int:
    """Bulk insert (no idempotency keys, no ids back); returns the number of jobs."""
    rows = [_row(kind, p, now, run_at, priority, max_attempts) for p in payloads]
    if rows:
        conn.execute(jobs.insert(), rows)
    return len(rows)


def get(conn: Connection, job_id: int) -> Job | None:
    row = conn.execute(select(jobs).where(jobs.c.id == job_id)).mappings().first()
    return None if row is None else Job.from_row(row)


def _picked(
    conn: Connection, where: ColumnElement[bool], order: Sequence[Any], limit: int
) -> ColumnElement[bool]:
    """The UPDATE's condition selecting at most ``limit`` rows matching ``where``.

    PostgreSQL: the ids come from a ``MATERIALIZED`` CTE (run exactly once) that locks them
    ``FOR UPDATE SKIP LOCKED``, so concurrent claimers take disjoint rows without waiting.
    SQLite: a plain ``IN (subquery)``; the ``BEGIN IMMEDIATE`` write lock serializes claimers
    (and pysqlite only reports rowcounts of statements that start with UPDATE).
    """
    ids = select(jobs.c.id).where(where).order_by(*order).limit(limit)
    if conn.dialect.name != "postgresql":
        return jobs.c.id.in_(ids)
    picked = (
        ids.with_for_update(skip_locked=True)
        .cte("picked")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    return jobs.c.id == picked.c.id


def claim(
    conn: Connection,
    worker_id: str,
    limit: int,
    lease_seconds: float,
    now: datetime,
    kinds: Sequence[str] | None = None,
) -> list[Job]:
    """Lease up to ``limit`` ready jobs to ``worker_id``, highest priority and oldest first.

    ``kinds`` limits the claim to jobs this worker has handlers for (None: any kind).
    """
    if limit < 1 or kinds == []:
        return []
    where = and_(jobs.c.status.in_(CLAIMABLE), jobs.c.run_at <= now)
    if kinds is not None:
        where = and_(where, jobs.c.kind.in_(list(kinds)))
    order = (jobs.c.priority.desc(), jobs.c.run_at, jobs.c.id)
    stmt = (
        update(jobs)
        .where(_picked(conn, where, order, limit))
        .values(
            status=RUNNING,
            locked_by=worker_id,
            locked_until=now + timedelta(seconds=lease_seconds),
            attempts=jobs.c.attempts + 1,
            started_at=now,
        )
        .returning(*jobs.c)
    )
    claimed = [Job.from_row(r) for r in conn.execute(stmt).mappings()]
    claimed.sort(key=lambda j: (-j.priority, j.run_at, j.id))
    return claimed


def recover_expired(conn: Connection, now: datetime, limit: int = 1000) -> int:
    """Give back jobs whose lease expired: their worker died (SIGKILL, crash, lost machine).

    The attempt counts as failed: the job becomes ``failed`` and immediately claimable, or
    ``dead`` when it has no attempts left (a job that kills its worker every time must not loop
    forever). On PostgreSQL a job whose handler transaction is still open holds its row lock and
    is skipped, so a slow but live worker is never robbed.
    """
    expired = and_(jobs.c.status == RUNNING, jobs.c.locked_until < now)
    out_of_attempts = jobs.c.attempts >= jobs.c.max_attempts
    stmt = (
        update(jobs)
        .where(_picked(conn, expired, (jobs.c.locked_until,), limit))
        .values(
            status=case((out_of_attempts, DEAD), else_=FAILED),
            finished_at=case((out_of_attempts, now), else_=None),
            run_at=now,
            locked_by=None,
            locked_until=None,
            last_error=literal("lease expired: worker ")
            + func.coalesce(jobs.c.locked_by, "?")
            + literal(" stopped without finishing the job"),
        )
    )
    return conn.execute(stmt).rowcount or 0


def _owned(job: Job, worker_id: str) -> ColumnElement[bool]:
    return and_(
        jobs.c.id == job.id,
        jobs.c.status == RUNNING,
        jobs.c.locked_by == worker_id,
        jobs.c.attempts == job.attempts,
    )


# The two statements of every job's unit of work are built once (bound parameters), which
# takes SQLAlchemy's per-statement construction and cache-key cost off the hot path.
_OWNED_PARAMS = and_(
    jobs.c.id == bindparam("o_id"),
    jobs.c.status == RUNNING,
    jobs.c.locked_by == bindparam("o_worker"),
    jobs.c.attempts == bindparam("o_attempts"),
)
_START = update(jobs).where(_OWNED_PARAMS).values(locked_until=bindparam("o_until"))
_DONE_VALUES: dict[str, Any] = {
    "status": DONE,
    "finished_at": bindparam("o_now"),
    "locked_by": None,
    "locked_until": None,
    "last_error": None,
}
_COMPLETE = update(jobs).where(_OWNED_PARAMS).values(**_DONE_VALUES, result=bindparam("o_result"))
# SQL NULL, not JSON null, when the handler returned nothing
_COMPLETE_NO_RESULT = update(jobs).where(_OWNED_PARAMS).values(**_DONE_VALUES, result=null())


def _owner_params(job: Job, worker_id: str) -> dict[str, Any]:
    return {"o_id": job.id, "o_worker": worker_id, "o_attempts": job.attempts}


def start(conn: Connection, job: Job, worker_id: str, now: datetime, lease_seconds: float) -> bool:
    """First statement of the job's unit of work: check the claim still holds, renew the lease
    and (PostgreSQL) lock the row until the unit of work ends. False: the lease was lost."""
    params = _owner_params(job, worker_id)
    params["o_until"] = now + timedelta(seconds=lease_seconds)
    return conn.execute(_START, params).rowcount == 1


def complete(
    conn: Connection, job: Job, worker_id: str, result: Mapping[str, Any] | None, now: datetime
) -> bool:
    """Mark done in the handler's transaction. False: the lease was lost (caller rolls back)."""
    params = _owner_params(job, worker_id)
    params["o_now"] = now
    if result is None:
        return conn.execute(_COMPLETE_NO_RESULT, params).rowcount == 1
    params["o_result"] = dict(result)
    return conn.execute(_COMPLETE, params).rowcount == 1


def fail(
    conn: Connection,
    job: Job,
    worker_id: str,
    error: str,
    now: datetime,
    backoff: Backoff,
    *,
    permanent: bool = False,
    rng: random.Random | None = None,
) -> str | None:
    """Record a failed attempt: ``failed`` with ``run_at`` pushed out by the backoff, or
    ``dead`` when out of attempts (or ``permanent``). Returns the new status, None when the
    lease was lost meanwhile (someone else owns the job now)."""
    dead = permanent or job.attempts >= job.max_attempts
    values: dict[str, Any] = {
        "status": DEAD if dead else FAILED,
        "locked_by": None,
        "locked_until": None,
        "last_error": error[:MAX_ERROR_CHARS],
    }
    if dead:
        values["finished_at"] = now
    else:
        values["run_at"] = now + backoff.delay(job.attempts, rng)
    done = conn.execute(update(jobs).where(_owned(job, worker_id)).values(values)).rowcount
    return values["status"] if done == 1 else None


def release(conn: Connection, job: Job, worker_id: str) -> bool:
    """Give back a claimed job that was never started (graceful shutdown): the claim does not
    count as an attempt."""
    stmt = (
        update(jobs)
        .where(_owned(job, worker_id))
        .values(
            status=case((jobs.c.attempts > 1, FAILED), else_=QUEUED),
            attempts=jobs.c.attempts - 1,
            locked_by=None,
            locked_until=None,
            started_at=None,
        )
    )
    return conn.execute(stmt).rowcount == 1


def retry_dead(conn: Connection, job_id: int, now: datetime) -> bool:
    """Revive a dead job with a fresh set of attempts. False when it is not dead."""
    stmt = (
        update(jobs)
        .where(jobs.c.id == job_id, jobs.c.status == DEAD)
        .values(status=QUEUED, attempts=0, run_at=now, finished_at=None)
    )
    return conn.execute(stmt).rowcount == 1


def purge(conn: Connection, finished_before: datetime, statuses: Sequence[str] = (DONE,)) -> int:
    """Delete finished jobs (and so free their idempotency keys) older than a cutoff."""
    stmt = delete(jobs).where(
        jobs.c.status.in_(list(statuses)), jobs.c.finished_at < finished_before
    )
    return conn.execute(stmt).rowcount or 0


def stats(conn: Connection, now: datetime) -> QueueStats:
    by_status = {
        status: int(n)
        for status, n in conn.execute(
            select(jobs.c.status, func.count()).group_by(jobs.c.status)
        ).all()
    }
    ready, oldest = conn.execute(
        select(func.count(), func.min(jobs.c.run_at)).where(
            jobs.c.status.in_(CLAIMABLE), jobs.c.run_at <= now
        )
    ).one()
    if isinstance(oldest, str):  # SQLite's MIN() bypasses the column type
        oldest = datetime.fromisoformat(oldest.replace("Z", "+00:00"))
    expired = conn.execute(
        select(func.count()).where(jobs.c.status == RUNNING, jobs.c.locked_until < now)
    ).scalar_one()
    return QueueStats(
        by_status=by_status,
        ready=int(ready),
        oldest_ready_age_seconds=None if oldest is None else (now - oldest).total_seconds(),
        expired_leases=int(expired),
    )


# --- worker heartbeats -------------------------------------------------------------------


def register_worker(
    conn: Connection,
    worker_id: str,
    *,
    hostname: str,
    pid: int,
    kinds: Sequence[str],
    concurrency: int,
    now: datetime,
) -> None:
    conn.execute(delete(job_workers).where(job_workers.c.id == worker_id))
    conn.execute(
        job_workers.insert().values(
            id=worker_id,
            hostname=hostname,
            pid=pid,
            kinds=list(kinds),
            concurrency=concurrency,
            started_at=now,
            seen_at=now,
        )
    )


def heartbeat(conn: Connection, worker_id: str, now: datetime) -> None:
    conn.execute(update(job_workers).where(job_workers.c.id == worker_id).values(seen_at=now))


def unregister_worker(conn: Connection, worker_id: str) -> None:
    conn.execute(delete(job_workers).where(job_workers.c.id == worker_id))


def forget_stale_workers(conn: Connection, seen_before: datetime) -> int:
    return conn.execute(delete(job_workers).where(job_workers.c.seen_at < seen_before)).rowcount
