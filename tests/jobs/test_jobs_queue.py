"""The queue's SQL: enqueue, claim, complete, fail/backoff, dead letter, leases, stats."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from accord.core.clock import FixedClock
from accord.core.context import Runtime
from accord.db.engine import unit_of_work
from accord.jobs import queue
from accord.jobs.model import DEAD, DONE, FAILED, QUEUED, RUNNING, Backoff
from accord.jobs.service import enqueue
from accord.jobs.tables import jobs

pytestmark = pytest.mark.pg

NO_JITTER = Backoff(base_seconds=10, cap_seconds=100, jitter=0)


def _claim(rt: Runtime, worker: str = "w1", limit: int = 10, lease: float = 60, kinds=None):
    with unit_of_work(rt.engine) as conn:
        queue.recover_expired(conn, rt.clock.now())
        return queue.claim(conn, worker, limit, lease, rt.clock.now(), kinds)


def _job(rt: Runtime, job_id: int):
    with unit_of_work(rt.engine, readonly=True) as conn:
        return queue.get(conn, job_id)


def test_enqueued_job_is_claimed_then_completed(jobs_runtime, jobs_uow):
    with jobs_uow() as ctx:
        job_id = enqueue(ctx, "test.echo", {"x": 1})

    [job] = _claim(jobs_runtime)
    assert (job.id, job.kind, job.payload, job.status, job.attempts) == (
        job_id,
        "test.echo",
        {"x": 1},
        RUNNING,
        1,
    )
    assert job.locked_by == "w1"
    assert job.locked_until == jobs_runtime.clock.now() + timedelta(seconds=60)
    assert _claim(jobs_runtime, "w2") == []  # leased: nobody else gets it

    with unit_of_work(jobs_runtime.engine) as conn:
        assert queue.complete(conn, job, "w1", {"ok": True}, jobs_runtime.clock.now())
    done = _job(jobs_runtime, job_id)
    assert (done.status, done.result, done.locked_by, done.finished_at) == (
        DONE,
        {"ok": True},
        None,
        jobs_runtime.clock.now(),
    )


def test_enqueue_rolls_back_with_the_callers_transaction(jobs_runtime, jobs_uow):
    with pytest.raises(RuntimeError), jobs_uow() as ctx:
        enqueue(ctx, "test.echo", {})
        raise RuntimeError("the service failed after enqueueing")
    assert _claim(jobs_runtime) == []


def test_idempotency_key_returns_the_existing_job_instead_of_inserting(jobs_runtime, jobs_uow):
    with jobs_uow() as ctx:
        first = enqueue(ctx, "test.echo", {"v": 1}, idempotency_key="invoice:42")
        again = enqueue(ctx, "test.echo", {"v": 2}, idempotency_key="invoice:42")
    [job] = _claim(jobs_runtime)
    with jobs_uow() as ctx:  # also across transactions, and once the job is running
        later = enqueue(ctx, "test.echo", {"v": 3}, idempotency_key="invoice:42")
        other = enqueue(ctx, "test.echo", {"v": 4}, idempotency_key="invoice:43")
    assert first == again == later == job.id
    assert other != first
    with jobs_runtime.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(jobs)).scalar_one() == 2
        assert job.payload == {"v": 1}


def test_claim_order_is_priority_then_run_at_and_respects_limit_and_kinds(
    jobs_runtime, jobs_uow, jobs_clock: FixedClock
):
    now = jobs_clock.now()
    with jobs_uow() as ctx:
        low = enqueue(ctx, "test.a", {}, run_at=now - timedelta(minutes=5))
        high = enqueue(ctx, "test.a", {}, priority=10)
        old = enqueue(ctx, "test.a", {}, run_at=now - timedelta(minutes=9))
        other_kind = enqueue(ctx, "test.b", {}, priority=99)
        future = enqueue(ctx, "test.a", {}, run_at=now + timedelta(minutes=1))
    claimed = _claim(jobs_runtime, limit=2, kinds=["test.a"])
    assert [j.id for j in claimed] == [high, old]
    assert [j.id for j in _claim(jobs_runtime, kinds=["test.a"])] == [low]
    assert [j.id for j in _claim(jobs_runtime, kinds=["test.b"])] == [other_kind]
    assert _claim(jobs_runtime) == []
    jobs_clock.advance(minutes=1)
    assert [j.id for j in _claim(jobs_runtime)] == [future]


def test_failure_retries_with_exponential_backoff_then_dead_letters(
    jobs_runtime, jobs_uow, jobs_clock: FixedClock
):
    with jobs_uow() as ctx:
        job_id = enqueue(ctx, "test.flaky", {}, max_attempts=4)

    delays = []
    for attempt in range(1, 5):
        [job] = _claim(jobs_runtime)
        assert job.attempts == attempt
        with unit_of_work(jobs_runtime.engine) as conn:
            status = queue.fail(conn, job, "w1", f"boom {attempt}", jobs_clock.now(), NO_JITTER)
        row = _job(jobs_runtime, job_id)
        assert row.last_error == f"boom {attempt}"
        if attempt < 4:
            assert status == row.status == FAILED
            delays.append((row.run_at - jobs_clock.now()).total_seconds())
            jobs_clock.advance(seconds=delays[-1] - 1)
            assert _claim(jobs_runtime) == []  # not before its run_at
            jobs_clock.advance(seconds=1)
    assert delays == [10, 20, 40]
    assert status == row.status == DEAD
    assert row.finished_at == jobs_clock.now()
    jobs_clock.advance(days=365)
    assert _claim(jobs_runtime) == []  # dead jobs are never claimed


def test_backoff_is_capped_and_jitter_only_shortens_the_delay():
    b = Backoff(base_seconds=10, cap_seconds=300, jitter=0.25)
    assert [b.ceiling(n) for n in (1, 2, 3, 6, 7, 100)] == [10, 20, 40, 300, 300, 300]
    rng = random.Random(7)
    for attempt in (1, 3, 50):
        for _ in range(50):
            d = b.delay(attempt, rng).total_seconds()
            assert 0.75 * b.ceiling(attempt) <= d <= b.ceiling(attempt)


def test_retry_dead_gives_a_fresh_set_of_attempts(jobs_runtime, jobs_uow, jobs_clock):
    with jobs_uow() as ctx:
        job_id = enqueue(ctx, "test.flaky", {}, max_attempts=1)
    [job] = _claim(jobs_runtime)
    with unit_of_work(jobs_runtime.engine) as conn:
        assert queue.fail(conn, job, "w1", "boom", jobs_clock.now(), NO_JITTER) == DEAD
        assert not queue.retry_dead(conn, job_id + 1000, jobs_clock.now())
    with unit_of_work(jobs_runtime.engine) as conn:
        assert queue.retry_dead(conn, job_id, jobs_clock.now())
        assert not queue.retry_dead(conn, job_id, jobs_clock.now())  # only dead ones
    row = _job(jobs_runtime, job_id)
    assert (row.status, row.attempts, row.finished_at, row.last_error) == (QUEUED, 0, None, "boom")
    [again] = _claim(jobs_runtime)
    assert (again.id, again.attempts) == (job_id, 1)


def test_expired_lease_is_reclaimed_and_the_old_owner_cannot_complete(
    jobs_runtime, jobs_uow, jobs_clock
):
    """A worker that died (SIGKILL) leaves a running row; after its lease it is claimable."""
    with jobs_uow() as ctx:
        job_id = enqueue(ctx, "test.echo", {})
    [lost] = _claim(jobs_runtime, "dead-worker", lease=30)
    jobs_clock.advance(seconds=29)
    assert _claim(jobs_runtime, "w2") == []
    jobs_clock.advance(seconds=2)

    [job] = _claim(jobs_runtime, "w2")
    assert (job.id, job.attempts, job.locked_by) == (job_id, 2, "w2")
    assert "dead-worker" in job.last_error

    now = jobs_clock.now()
    with unit_of_work(jobs_runtime.engine) as conn:  # the "dead" worker wakes up: fenced off
        assert not queue.start(conn, lost, "dead-worker", now, 30)
        assert not queue.complete(conn, lost, "dead-worker", None, now)
        assert queue.fail(conn, lost, "dead-worker", "late", now, NO_JITTER) is None
        assert not queue.release(conn, lost, "dead-worker")
        assert queue.complete(conn, job, "w2", None, now)
    assert _job(jobs_runtime, job_id).status == DONE


def test_a_job_that_keeps_losing_its_worker_ends_dead(jobs_runtime, jobs_uow, jobs_clock):
    with jobs_uow() as ctx:
        job_id = enqueue(ctx, "test.poison", {}, max_attempts=2)
    for _ in range(2):
        assert len(_claim(jobs_runtime, lease=5)) == 1
        jobs_clock.advance(seconds=6)
    assert _claim(jobs_runtime) == []
    row = _job(jobs_runtime, job_id)
    assert (row.status, row.attempts) == (DEAD, 2)
    assert row.last_error.startswith("lease expired")


def test_release_gives_back_an_unstarted_claim_without_spending_an_attempt(jobs_runtime, jobs_uow):
    with jobs_uow() as ctx:
        job_id = enqueue(ctx, "test.echo", {})
    [job] = _claim(jobs_runtime)
    with unit_of_work(jobs_runtime.engine) as conn:
        assert queue.release(conn, job, "w1")
    row = _job(jobs_runtime, job_id)
    assert (row.status, row.attempts, row.locked_by) == (QUEUED, 0, None)


def test_stats_count_statuses_backlog_and_expired_leases(jobs_runtime, jobs_uow, jobs_clock):
    with jobs_uow() as ctx:
        for _ in range(3):
            enqueue(ctx, "test.echo", {})
        enqueue(ctx, "test.echo", {}, run_at=jobs_clock.now() + timedelta(hours=1))
    _claim(jobs_runtime, limit=1, lease=10)
    jobs_clock.advance(seconds=30)
    with unit_of_work(jobs_runtime.engine, readonly=True) as conn:
        s = queue.stats(conn, jobs_clock.now())
    assert s.by_status == {QUEUED: 3, RUNNING: 1}
    assert (s.ready, s.oldest_ready_age_seconds, s.expired_leases) == (2, 30.0, 1)


def test_purge_deletes_old_done_jobs_and_frees_their_keys(jobs_runtime, jobs_uow, jobs_clock):
    with jobs_uow() as ctx:
        job_id = enqueue(ctx, "test.echo", {}, idempotency_key="k1")
    [job] = _claim(jobs_runtime)
    with unit_of_work(jobs_runtime.engine) as conn:
        queue.complete(conn, job, "w1", None, jobs_clock.now())
        assert queue.purge(conn, jobs_clock.now()) == 0
    jobs_clock.advance(days=15)
    with unit_of_work(jobs_runtime.engine) as conn:
        assert queue.purge(conn, jobs_clock.now() - timedelta(days=14)) == 1
    with jobs_uow() as ctx:
        assert enqueue(ctx, "test.echo", {}, idempotency_key="k1") != job_id


def test_enqueue_many_inserts_in_bulk(jobs_runtime, jobs_uow):
    from accord.jobs.service import enqueue_many

    with jobs_uow() as ctx:
        assert enqueue_many(ctx, "test.bulk", ({"n": i} for i in range(250))) == 250
    claimed = _claim(jobs_runtime, limit=1000)
    assert sorted(j.payload["n"] for j in claimed) == list(range(250))
