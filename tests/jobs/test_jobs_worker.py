"""The worker: a job's effects and its completion commit together; failures retry; stop is
graceful; concurrent workers run each job's effect once."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from accord.core.clock import SystemClock
from accord.core.context import Context
from accord.db.engine import unit_of_work
from accord.jobs import (
    DEAD,
    DONE,
    FAILED,
    QUEUED,
    Backoff,
    HandlerRegistry,
    PermanentFailure,
    Worker,
    enqueue,
    enqueue_many,
    get_job,
)
from accord.jobs.tables import job_workers

pytestmark = pytest.mark.pg

NO_JITTER = Backoff(base_seconds=5, cap_seconds=60, jitter=0)


def _effects(engine, table) -> list[int]:
    with engine.connect() as conn:
        return sorted(conn.execute(select(table.c.n)).scalars())


def _status(uow, job_id: int):
    with uow() as ctx:
        return get_job(ctx, job_id)


@pytest.fixture
def effect_registry(jobs_effects):
    """``test.effect``: writes its payload's ``n`` to job_effects; ``fail_first`` makes the
    first N attempts raise *after* writing, to prove the write is rolled back."""
    registry = HandlerRegistry()
    calls: list[int] = []

    @registry.handler("test.effect")
    def effect(ctx, payload):
        calls.append(payload["n"])
        ctx.conn.execute(jobs_effects.insert().values(n=payload["n"], note="effect"))
        if payload.get("fail_first", 0) >= len(calls):
            raise RuntimeError(f"flaky failure {len(calls)}")
        return {"n": payload["n"]}

    registry.calls = calls  # type: ignore[attr-defined]
    return registry


def test_run_until_idle_runs_every_ready_job_once(
    jobs_runtime, jobs_uow, jobs_effects, effect_registry
):
    with jobs_uow() as ctx:
        ids = [enqueue(ctx, "test.effect", {"n": i}) for i in range(7)]
    worker = Worker(jobs_runtime, effect_registry, batch=3)
    assert worker.run_until_idle() == 7
    assert _effects(jobs_runtime.engine, jobs_effects) == list(range(7))
    for i, job_id in enumerate(ids):
        job = _status(jobs_uow, job_id)
        assert (job.status, job.result, job.attempts) == (DONE, {"n": i}, 1)
    assert worker.run_until_idle() == 0


def test_failed_handler_rolls_back_its_effects_is_logged_and_retried_with_backoff(
    jobs_runtime, jobs_uow, jobs_effects, effect_registry, jobs_clock, caplog
):
    with jobs_uow() as ctx:
        job_id = enqueue(ctx, "test.effect", {"n": 1, "fail_first": 2})
    worker = Worker(jobs_runtime, effect_registry, backoff=NO_JITTER)

    with caplog.at_level(logging.WARNING, logger="accord.jobs"):
        assert worker.run_until_idle() == 1
    job = _status(jobs_uow, job_id)
    assert job.status == FAILED
    assert job.last_error.startswith("RuntimeError: flaky failure 1")
    assert "Traceback" in job.last_error
    assert (job.run_at - jobs_clock.now()).total_seconds() == 5
    assert _effects(jobs_runtime.engine, jobs_effects) == []  # the insert was rolled back
    [record] = [r for r in caplog.records if getattr(r, "job_id", None) == job_id]
    assert (record.levelno, record.kind, record.attempt) == (logging.WARNING, "test.effect", 1)
    assert record.exc_info is not None and isinstance(record.duration_ms, int)

    assert worker.run_until_idle() == 0  # backoff: not yet
    jobs_clock.advance(seconds=5)
    assert worker.run_until_idle() == 1
    assert (_status(jobs_uow, job_id).run_at - jobs_clock.now()).total_seconds() == 10
    jobs_clock.advance(seconds=10)
    assert worker.run_until_idle() == 1

    job = _status(jobs_uow, job_id)
    assert (job.status, job.attempts, job.last_error) == (DONE, 3, None)
    assert effect_registry.calls == [1, 1, 1]
    assert _effects(jobs_runtime.engine, jobs_effects) == [1]  # exactly one effect survived


def test_job_goes_dead_after_max_attempts_and_is_logged_as_error(
    jobs_runtime, jobs_uow, jobs_effects, effect_registry, jobs_clock, caplog
):
    with jobs_uow() as ctx:
        job_id = enqueue(ctx, "test.effect", {"n": 1, "fail_first": 99}, max_attempts=3)
    worker = Worker(jobs_runtime, effect_registry, backoff=NO_JITTER)
    with caplog.at_level(logging.WARNING, logger="accord.jobs"):
        for _ in range(5):
            worker.run_until_idle()
            jobs_clock.advance(minutes=5)
    job = _status(jobs_uow, job_id)
    assert (job.status, job.attempts) == (DEAD, 3)
    assert [r.levelno for r in caplog.records if getattr(r, "job_id", None) == job_id] == [
        logging.WARNING,
        logging.WARNING,
        logging.ERROR,
    ]
    assert _effects(jobs_runtime.engine, jobs_effects) == []


def test_permanent_failure_and_bad_results_dead_letter_at_once(jobs_runtime, jobs_uow):
    registry = HandlerRegistry()

    @registry.handler("test.bad_payload")
    def bad_payload(ctx, payload):
        raise PermanentFailure("no customer id in payload")

    @registry.handler("test.bad_result")
    def bad_result(ctx, payload):
        return ["not", "a", "dict"]

    with jobs_uow() as ctx:
        a = enqueue(ctx, "test.bad_payload", {})
        b = enqueue(ctx, "test.bad_result", {}, max_attempts=1)
    Worker(jobs_runtime, registry).run_until_idle()
    job_a, job_b = _status(jobs_uow, a), _status(jobs_uow, b)
    assert (job_a.status, job_a.attempts) == (DEAD, 1)
    assert job_a.last_error.startswith("PermanentFailure: no customer id")
    assert (job_b.status, job_b.last_error.split(":")[0]) == (DEAD, "TypeError")


def test_worker_only_claims_kinds_it_has_handlers_for(jobs_runtime, jobs_uow, effect_registry):
    with jobs_uow() as ctx:
        other = enqueue(ctx, "test.someone_else", {})
        mine = enqueue(ctx, "test.effect", {"n": 1})
    assert Worker(jobs_runtime, effect_registry).run_until_idle() == 1
    assert _status(jobs_uow, mine).status == DONE
    assert _status(jobs_uow, other).status == QUEUED


def test_stop_finishes_the_job_in_hand_and_releases_the_rest_of_the_batch(
    jobs_runtime, jobs_uow, jobs_effects
):
    registry = HandlerRegistry()
    worker: Worker

    @registry.handler("test.stopper")
    def stopper(ctx, payload):
        ctx.conn.execute(jobs_effects.insert().values(n=payload["n"]))
        worker.stop()  # as SIGTERM would, while this job runs

    with jobs_uow() as ctx:
        ids = [enqueue(ctx, "test.stopper", {"n": i}) for i in range(4)]
    worker = Worker(jobs_runtime, registry, batch=4)
    assert worker.run_once() == 1
    assert _effects(jobs_runtime.engine, jobs_effects) == [0]
    statuses = [(_status(jobs_uow, i).status, _status(jobs_uow, i).attempts) for i in ids]
    assert statuses == [(DONE, 1), (QUEUED, 0), (QUEUED, 0), (QUEUED, 0)]


def test_run_in_threads_until_stop_with_heartbeat_row(
    jobs_runtime, jobs_uow, jobs_effects, effect_registry
):
    rt = replace(jobs_runtime, clock=SystemClock())
    with unit_of_work(rt.engine) as conn:
        enqueue_many(Context(rt, conn), "test.effect", ({"n": i} for i in range(40)))
    worker = Worker(rt, effect_registry, concurrency=2, batch=5, poll_interval=0.05)
    thread = threading.Thread(target=worker.run)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while len(_effects(rt.engine, jobs_effects)) < 40 and time.monotonic() < deadline:
            time.sleep(0.05)
        with rt.engine.connect() as conn:
            assert conn.execute(select(job_workers.c.id)).scalars().all() == [worker.id]
    finally:
        worker.stop()
        thread.join(30)
    assert not thread.is_alive()
    assert _effects(rt.engine, jobs_effects) == list(range(40))
    with rt.engine.connect() as conn:  # unregistered on a graceful stop
        assert conn.execute(select(func.count()).select_from(job_workers)).scalar_one() == 0


def test_concurrent_workers_on_separate_engines_run_each_effect_once(
    jobs_runtime, jobs_engine_factory, jobs_uow, jobs_effects, effect_registry
):
    """Four workers as if in four processes (own engines, own pools) race for 200 jobs."""
    with jobs_uow() as ctx:
        enqueue_many(ctx, "test.effect", ({"n": i} for i in range(200)))
    workers = [
        Worker(replace(jobs_runtime, engine=jobs_engine_factory()), effect_registry, batch=4)
        for _ in range(4)
    ]
    counts = [0] * 4
    start = threading.Barrier(4)

    def run(i: int) -> None:
        start.wait()
        counts[i] = workers[i].run_until_idle()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(counts) == 200
    assert _effects(jobs_runtime.engine, jobs_effects) == list(range(200))


def test_a_slow_live_job_is_not_taken_over_when_its_lease_runs_out(
    jobs_runtime, jobs_engine_factory, jobs_uow, jobs_effects
):
    """While a handler's transaction is open its job row is protected (PostgreSQL: row lock,
    skipped by recovery; SQLite: the write lock), so an expired lease alone never causes a
    second run of a live job."""
    rt = replace(jobs_runtime, clock=SystemClock())
    registry = HandlerRegistry()
    started = threading.Event()

    @registry.handler("test.slow")
    def slow(ctx, payload):
        ctx.conn.execute(jobs_effects.insert().values(n=1))
        started.set()
        time.sleep(1.5)

    with unit_of_work(rt.engine) as conn:
        job_id = enqueue(Context(rt, conn), "test.slow", {})
    slow_worker = Worker(rt, registry, lease_seconds=0.3)
    thief = Worker(replace(rt, engine=jobs_engine_factory()), registry, lease_seconds=0.3)
    t = threading.Thread(target=slow_worker.run_until_idle)
    t.start()
    assert started.wait(10)
    time.sleep(0.6)  # the lease has expired while the handler still runs
    stolen = thief.run_until_idle()
    t.join(10)
    assert stolen == 0
    assert _effects(rt.engine, jobs_effects) == [1]
    job = _status(jobs_uow, job_id)
    assert (job.status, job.attempts) == (DONE, 1)
