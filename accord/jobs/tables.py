"""System tables of the job system, on the shared ``accord.db.tables.metadata``.

- ``jobs``: the durable queue (one row per job, kept after it is done until purged).
- ``job_schedules``: periodic schedules (synced from code or created by an administrator).
- ``scheduler_ticks``: one row per (schedule, tick) ever run; its primary key is the lock that
  makes two schedulers never run the same tick.
- ``job_workers``: heartbeats of live workers, for operations (``accord jobs status``).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from accord.db.tables import metadata
from accord.db.types import JSONType, UTCDateTime

_BigId = BigInteger().with_variant(Integer, "sqlite")

jobs = Table(
    "jobs",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("kind", String(100), nullable=False),
    Column("payload", JSONType, nullable=False),
    Column("status", String(16), nullable=False),
    Column("priority", Integer, nullable=False, default=0),  # higher runs first
    Column("attempts", Integer, nullable=False, default=0),  # claims so far, this one included
    Column("max_attempts", Integer, nullable=False, default=5),
    Column("run_at", UTCDateTime, nullable=False),  # not before; the next retry when failed
    Column("locked_by", String(200), nullable=True),  # worker id holding the lease
    Column("locked_until", UTCDateTime, nullable=True),  # lease end; reclaimable after
    # NULLs never conflict, so only jobs enqueued with a key are deduplicated.
    Column("idempotency_key", String(255), nullable=True, unique=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("started_at", UTCDateTime, nullable=True),
    Column("finished_at", UTCDateTime, nullable=True),
    Column("result", JSONType, nullable=True),
    CheckConstraint(
        "status in ('queued', 'running', 'done', 'failed', 'dead')", name="ck_jobs_status"
    ),
    # claim: status in (queued, failed) and run_at <= now; recovery: status = running and
    # locked_until < now; purge: status = done and finished_at < cutoff.
    Index("ix_jobs_status_run_at", "status", "run_at"),
    Index("ix_jobs_status_locked_until", "status", "locked_until"),
    # ids are never reused on SQLite either, even after purging the newest jobs
    sqlite_autoincrement=True,
)

job_schedules = Table(
    "job_schedules",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("kind", String(100), nullable=False),
    Column("payload", JSONType, nullable=False),
    # "30s" | "5m" | "2h" | "1d" (aligned to the Unix epoch) or "daily 09:30" (in ``timezone``)
    Column("every", String(32), nullable=False),
    Column("timezone", String(64), nullable=False, default="UTC"),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("next_run_at", UTCDateTime, nullable=False),
    Column("last_run_at", UTCDateTime, nullable=True),  # the last tick run (not wall time)
    Column("last_job_id", BigInteger, nullable=True),
    Column("source", String(16), nullable=False, default="db"),  # code | db
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_job_schedules_enabled_next", "enabled", "next_run_at"),
)

scheduler_ticks = Table(
    "scheduler_ticks",
    metadata,
    Column("schedule_name", String(100), primary_key=True),
    Column("tick_at", UTCDateTime, primary_key=True),
    Column("claimed_by", String(200), nullable=False),
    Column("claimed_at", UTCDateTime, nullable=False),
    Column("job_id", BigInteger, nullable=True),
)

job_workers = Table(
    "job_workers",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("hostname", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("kinds", JSONType, nullable=False),
    Column("concurrency", Integer, nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("seen_at", UTCDateTime, nullable=False),
)

JOB_TABLES = (jobs, job_schedules, scheduler_ticks, job_workers)
