"""The public services' contract: error codes, dead-letter handling, embedded and standalone
runners (``accord serve`` threads, ``python -m accord.jobs`` process with SIGTERM)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, func, select

import accord
from accord.core.clock import SystemClock
from accord.core.context import Context
from accord.core.errors import Conflict, Invalid, NotFound
from accord.db.engine import unit_of_work
from accord.jobs import (
    DEAD,
    DONE,
    QUEUED,
    HandlerRegistry,
    PermanentFailure,
    Worker,
    enqueue,
    get_job,
    handler,
    job_stats,
    retry_dead,
    run_embedded,
)
from accord.jobs.tables import jobs

pytestmark = pytest.mark.pg

# A handler module for the subprocess test: ``--handlers test_jobs_service``.
cli_effects = Table("job_cli_effects", MetaData(), Column("n", Integer, nullable=False))


@handler("test.cli_effect")
def cli_effect(ctx: Context, payload: dict[str, Any]) -> None:
    ctx.conn.execute(cli_effects.insert().values(n=payload["n"]))


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"kind": "Not A Kind"}, "JOB_KIND_INVALID"),
        ({"payload": {"when": object()}}, "JOB_PAYLOAD_INVALID"),
        ({"payload": ["not", "an", "object"]}, "JOB_PAYLOAD_INVALID"),
        ({"max_attempts": 0}, "JOB_MAX_ATTEMPTS_INVALID"),
        ({"idempotency_key": "k" * 256}, "JOB_IDEMPOTENCY_KEY_INVALID"),
    ],
)
def test_bad_enqueue_input_is_refused_with_a_code(jobs_uow, kwargs, code):
    args = {"kind": "test.ok", "payload": {}} | kwargs
    with jobs_uow() as ctx, pytest.raises(Invalid) as err:
        enqueue(ctx, args.pop("kind"), args.pop("payload"), **args)
    assert err.value.code == code
    assert err.value.errors[0].code == code


def test_retry_dead_via_the_service_and_its_errors(jobs_runtime, jobs_uow):
    registry = HandlerRegistry()
    fail = {"on": True}

    @registry.handler("test.dlq")
    def dlq(ctx, payload):
        if fail["on"]:
            raise PermanentFailure("not now")

    with jobs_uow() as ctx:
        job_id = enqueue(ctx, "test.dlq", {})
        with pytest.raises(Conflict) as err:
            retry_dead(ctx, job_id)
        assert err.value.code == "JOB_NOT_DEAD"
        with pytest.raises(NotFound) as err:
            get_job(ctx, job_id + 99)
        assert err.value.code == "JOB_NOT_FOUND"
        with pytest.raises(NotFound):
            retry_dead(ctx, job_id + 99)
    worker = Worker(jobs_runtime, registry)
    worker.run_until_idle()
    with jobs_uow() as ctx:
        assert job_stats(ctx).count(DEAD) == 1
        assert retry_dead(ctx, job_id).status == QUEUED
    fail["on"] = False
    assert worker.run_until_idle() == 1
    with jobs_uow() as ctx:
        assert get_job(ctx, job_id).status == DONE
        assert job_stats(ctx).by_status == {DONE: 1}


def test_run_embedded_starts_worker_and_scheduler_threads_that_stop_with_the_event(
    jobs_runtime, jobs_effects
):
    rt = replace(jobs_runtime, clock=SystemClock())
    registry = HandlerRegistry()
    done = threading.Event()

    @registry.handler("test.embedded")
    def embedded(ctx, payload):
        ctx.conn.execute(jobs_effects.insert().values(n=payload["n"]))
        done.set()

    stop = threading.Event()
    handle = run_embedded(rt, stop, registry, poll_interval=0.05)
    try:
        with unit_of_work(rt.engine) as conn:
            enqueue(Context(rt, conn), "test.embedded", {"n": 5})
        assert done.wait(20)
    finally:
        stop.set()
        assert handle.join(20)
    with rt.engine.connect() as conn:
        assert conn.execute(select(jobs_effects.c.n)).scalars().all() == [5]


def test_worker_process_runs_jobs_and_stops_gracefully_on_sigterm(
    jobs_runtime, jobs_db_url, jobs_uow
):
    cli_effects.create(jobs_runtime.engine)
    with jobs_uow() as ctx:
        for n in range(20):
            enqueue(ctx, "test.cli_effect", {"n": n})
    # the handler module (this file) and the accord package must be importable in the child
    paths = [str(Path(__file__).parent), str(Path(accord.__file__).parents[1]), *sys.path]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(paths))
    cmd = [sys.executable, "-m", "accord.jobs", "--url", jobs_db_url, "--poll", "0.05"]
    cmd += ["--handlers", "test_jobs_service", "--kinds", "test.cli_effect", "--batch", "5"]
    proc = subprocess.Popen(
        cmd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            with jobs_runtime.engine.connect() as conn:
                left = conn.execute(
                    select(func.count()).select_from(jobs).where(jobs.c.status != DONE)
                ).scalar_one()
            if left == 0:
                break
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, out.decode()
    assert b"stopped" in out
    with jobs_runtime.engine.connect() as conn:
        assert sorted(conn.execute(select(cli_effects.c.n)).scalars()) == list(range(20))
    cli_effects.drop(jobs_runtime.engine)
