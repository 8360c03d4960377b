"""Four worker processes, 10,000 jobs, one worker SIGKILLed mid-run: every job's effect happens
exactly once and none is lost.

Each job inserts a row into ``job_mp_effects`` — deliberately without a unique constraint, so
a duplicate effect would show up as a second row instead of being hidden by an error. The
handler's insert and the job's completion commit in one transaction, so the killed worker's
in-flight job is rolled back with the connection, its lease (2 s) expires, and a surviving
worker runs it again.

Runs only when ``ACCORD_TEST_DATABASE_URL`` names a PostgreSQL database; it creates and drops
its own schema there.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import BigInteger, Column, Identity, Integer, MetaData, Table, func, select, text
from sqlalchemy.engine import make_url

import accord
from accord.core.clock import SystemClock
from accord.core.context import Context
from accord.db.engine import make_engine, unit_of_work
from accord.db.tables import metadata
from accord.jobs import handler
from accord.jobs.queue import enqueue_many
from accord.jobs.tables import JOB_TABLES, jobs

TEST_URL = os.environ.get("ACCORD_TEST_DATABASE_URL", "")

pytestmark = [
    pytest.mark.pg,
    pytest.mark.slow,
    pytest.mark.skipif(
        not TEST_URL.startswith("postgresql"),
        reason="needs ACCORD_TEST_DATABASE_URL=postgresql+psycopg://…",
    ),
]

KIND = "test.mp_effect"
N_JOBS = 10_000
N_WORKERS = 4
KILL_AFTER_EFFECTS = 2_000
LEASE_SECONDS = 2
TIMEOUT_SECONDS = 300  # typically ~40 s; generous because CI machines are shared

effects = Table(
    "job_mp_effects",
    MetaData(),
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("n", Integer, nullable=False),  # no unique constraint: duplicates must be countable
    Column("pid", Integer, nullable=False),
)


@handler(KIND)
def mp_effect(ctx: Context, payload: dict[str, Any]) -> None:
    """The job's effect, in the job's own transaction (imported by the worker processes)."""
    ctx.conn.execute(effects.insert().values(n=payload["n"], pid=os.getpid()))


@pytest.fixture
def mp_db_url() -> Iterator[str]:
    schema = f"jobs_mp_{uuid.uuid4().hex[:10]}"
    admin = make_engine(TEST_URL, pool_size=1, max_overflow=0)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(TEST_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _start_worker(url: str) -> subprocess.Popen[bytes]:
    # the handler module (this file) and the accord package must be importable in the child
    paths = [str(Path(__file__).parent), str(Path(accord.__file__).parents[1]), *sys.path]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(paths))
    cmd = [sys.executable, "-m", "accord.jobs", "--url", url, "--kinds", KIND]
    cmd += ["--handlers", Path(__file__).stem, "--lease", str(LEASE_SECONDS)]
    cmd += ["--batch", "10", "--poll", "0.05", "--log-level", "WARNING"]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_four_worker_processes_run_each_effect_exactly_once_despite_a_sigkill(mp_db_url):
    engine = make_engine(mp_db_url)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        # Given 10,000 queued jobs
        metadata.create_all(engine, tables=list(JOB_TABLES))
        effects.create(engine)
        with unit_of_work(engine) as conn:
            enqueue_many(conn, KIND, ({"n": n} for n in range(N_JOBS)), now=SystemClock().now())

        # When four worker processes run them and one is SIGKILLed after ~2,000 effects
        t0 = time.monotonic()
        procs = [_start_worker(mp_db_url) for _ in range(N_WORKERS)]
        victim = procs[0]
        deadline = t0 + TIMEOUT_SECONDS
        killed_at: float | None = None
        orphaned: list[int] = []
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                n_effects = conn.execute(select(func.count()).select_from(effects)).scalar_one()
                if killed_at is None and n_effects >= KILL_AFTER_EFFECTS:
                    # Freeze the victim, and kill it only if it holds claims (it nearly always
                    # does: claim 10 → run them → claim), so the kill provably lands mid-run.
                    victim.send_signal(signal.SIGSTOP)
                    time.sleep(0.2)  # let a COMMIT it sent just before land on the server
                    orphaned = _held_by(conn, victim.pid)
                    if orphaned:
                        victim.send_signal(signal.SIGKILL)
                        victim.wait(10)
                        killed_at = time.monotonic()
                    else:
                        victim.send_signal(signal.SIGCONT)
                left = conn.execute(
                    select(func.count()).select_from(jobs).where(jobs.c.status != "done")
                ).scalar_one()
            if killed_at is not None and left == 0:
                break
            time.sleep(0.05)
        elapsed = time.monotonic() - t0
        assert killed_at is not None, "the victim was never killed"
        assert victim.returncode == -signal.SIGKILL

        # Then the survivors stop gracefully on SIGTERM …
        for p in procs[1:]:
            p.send_signal(signal.SIGTERM)
        for p in procs[1:]:
            out, _ = p.communicate(timeout=30)
            assert p.returncode == 0, out.decode(errors="replace")[-3000:]

        # … and every job is done, with exactly one effect each
        with engine.connect() as conn:
            total, distinct = conn.execute(
                select(func.count(), func.count(effects.c.n.distinct()))
            ).one()
            statuses = dict(
                conn.execute(select(jobs.c.status, func.count()).group_by(jobs.c.status)).all()
            )
            per_pid = dict(
                conn.execute(select(effects.c.pid, func.count()).group_by(effects.c.pid)).all()
            )
            rerun = conn.execute(
                select(jobs.c.id, jobs.c.attempts, jobs.c.status).where(jobs.c.id.in_(orphaned))
            ).all()
            retried = conn.execute(
                select(func.count()).select_from(jobs).where(jobs.c.attempts > 1)
            ).scalar_one()
        assert (total, distinct) == (N_JOBS, N_JOBS)
        assert statuses == {"done": N_JOBS}
        assert per_pid.get(victim.pid, 0) > 0  # the victim did work before it died
        # the jobs the victim held when it died were reclaimed and re-run (once: see above)
        # (≥ 2: under heavy load a slow batch can also lose a lease, which is legal)
        assert orphaned
        assert len(rerun) == len(orphaned)
        assert all(attempts >= 2 and status == "done" for _, attempts, status in rerun)
        assert retried >= len(orphaned)
        print(
            f"\n{N_JOBS} jobs, {N_WORKERS} workers: {elapsed:.1f}s; victim killed at "
            f"{killed_at - t0:.1f}s holding {len(orphaned)} claim(s); effects per pid {per_pid}"
        )
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
            if p.stdout:
                p.stdout.close()
        engine.dispose()


def _held_by(conn: Any, pid: int) -> list[int]:
    stmt = select(jobs.c.id).where(jobs.c.status == "running", jobs.c.locked_by.like(f"%:{pid}:%"))
    return list(conn.execute(stmt).scalars())
