"""Schedules: tick arithmetic, and each tick enqueued exactly once across schedulers."""

from __future__ import annotations

import itertools
import threading
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, update

from accord.core.clock import FixedClock
from accord.core.errors import Invalid, NotFound
from accord.db.engine import unit_of_work
from accord.jobs import Every, Schedule, Scheduler, Worker, builtin_registry, schedule, unschedule
from accord.jobs.every import tick_key
from accord.jobs.scheduler import claim_tick, list_schedules, run_tick
from accord.jobs.tables import job_schedules, jobs, scheduler_ticks

pytestmark = pytest.mark.pg


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _jobs(engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(select(jobs.c.kind, jobs.c.idempotency_key).order_by(jobs.c.id))
        return [tuple(r) for r in rows]


# --- cadence -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds", "canonical"),
    [("30s", 30, "30s"), ("90s", 90, "90s"), ("120s", 120, "2m"), ("5m", 300, "5m"),
     ("2h", 7200, "2h"), ("1d", 86400, "1d"), (" 15 m ", 900, "15m")],
)  # fmt: skip
def test_interval_cadences_parse_and_print_canonically(text, seconds, canonical):
    every = Every.parse(text)
    assert (every.interval_seconds, str(every)) == (seconds, canonical)


@pytest.mark.parametrize("bad", ["", "5", "5x", "-5m", "0s", "daily 24:00", "daily 9:30", "1w"])
def test_unreadable_cadences_are_refused(bad):
    with pytest.raises(ValueError):
        Every.parse(bad)


def test_unknown_time_zone_is_refused():
    with pytest.raises(ValueError):
        Every.parse("daily 09:30", "Mars/Olympus")


def test_interval_ticks_are_aligned_to_the_epoch():
    every = Every.parse("5m")
    now = utc(2026, 1, 15, 9, 7, 31)
    assert every.latest_tick(now) == utc(2026, 1, 15, 9, 5)
    assert every.next_tick(now) == utc(2026, 1, 15, 9, 10)
    on_tick = utc(2026, 1, 15, 9, 10)
    assert every.latest_tick(on_tick) == on_tick
    assert every.next_tick(on_tick) == utc(2026, 1, 15, 9, 15)


def test_daily_ticks_are_wall_time_in_the_schedules_time_zone():
    every = Every.daily("09:30", "Asia/Shanghai")  # 01:30 UTC
    assert str(every) == "daily 09:30"
    now = utc(2026, 1, 15, 9, 0)  # 17:00 in Shanghai
    assert every.latest_tick(now) == utc(2026, 1, 15, 1, 30)
    assert every.next_tick(now) == utc(2026, 1, 16, 1, 30)
    before = utc(2026, 1, 15, 1, 29)
    assert every.latest_tick(before) == utc(2026, 1, 14, 1, 30)
    assert every.next_tick(before) == utc(2026, 1, 15, 1, 30)


@pytest.mark.parametrize("start", [utc(2026, 3, 5), utc(2026, 10, 29)])
def test_daily_ticks_across_dst_changes_come_once_per_local_day(start):
    every = Every.daily("02:30", "America/New_York")  # 02:30 does not exist on 2026-03-08
    ticks, t = [], start
    for _ in range(8):
        t = every.next_tick(t)
        ticks.append(t)
        assert every.latest_tick(t) == t
    local_days = [x.astimezone(every_tz("America/New_York")).date() for x in ticks]
    assert len(set(local_days)) == 8
    assert all(b > a for a, b in itertools.pairwise(ticks))
    assert tick_key("s", ticks[0]).startswith("s:20")


def every_tz(name: str):
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


# --- the scheduler -------------------------------------------------------------------------


def test_a_code_schedule_ticks_once_per_tick_and_coalesces_missed_ticks(
    jobs_runtime, jobs_clock: FixedClock
):
    jobs_clock.current = utc(2026, 1, 15, 9, 0, 30)
    s = Schedule("report.hourly", "test.report", Every.parse("1m"), {"x": 1})
    sched = Scheduler(jobs_runtime, [s], scheduler_id="s1")
    sched.sync()
    assert sched.run_pending() == []  # first tick is the next one, 09:01

    jobs_clock.advance(seconds=30)
    [tick] = sched.run_pending()
    assert tick.tick_at == utc(2026, 1, 15, 9, 1)
    assert sched.run_pending() == []  # same tick again: nothing

    jobs_clock.advance(minutes=10, seconds=15)  # ten ticks missed (scheduler was down)
    [tick] = sched.run_pending()
    assert tick.tick_at == utc(2026, 1, 15, 9, 11)
    assert _jobs(jobs_runtime.engine) == [
        ("test.report", "report.hourly:2026-01-15T09:01:00Z"),
        ("test.report", "report.hourly:2026-01-15T09:11:00Z"),
    ]
    [row] = [r for r in list_schedules_conn(jobs_runtime) if r["name"] == "report.hourly"]
    assert (row["last_run_at"], row["next_run_at"], row["source"]) == (
        utc(2026, 1, 15, 9, 11),
        utc(2026, 1, 15, 9, 12),
        "code",
    )


def list_schedules_conn(rt):
    with unit_of_work(rt.engine, readonly=True) as conn:
        return list_schedules(conn)


def test_two_schedulers_on_one_database_never_run_the_same_tick(
    jobs_runtime, jobs_engine_factory, jobs_clock: FixedClock
):
    """Two schedulers as in two processes (own engines), racing on every tick."""
    jobs_clock.current = utc(2026, 1, 15, 9, 0, 0, 500)
    schedules = [
        Schedule("every.minute", "test.tick", Every.parse("1m")),
        Schedule("every.two", "test.tick", Every.parse("2m")),
    ]
    a = Scheduler(jobs_runtime, schedules, scheduler_id="a")
    b = Scheduler(replace(jobs_runtime, engine=jobs_engine_factory()), schedules, scheduler_id="b")
    a.sync()
    b.sync()
    steps = 30
    barrier = threading.Barrier(3)
    won: dict[str, list] = {"a": [], "b": []}
    errors: list[BaseException] = []

    def loop(s: Scheduler) -> None:
        try:
            for _ in range(steps):
                barrier.wait(30)  # the clock moved
                won[s.id].extend(s.run_pending())
                barrier.wait(30)  # both passes done
        except BaseException as exc:  # surfaced below
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=loop, args=(s,)) for s in (a, b)]
    for t in threads:
        t.start()
    for _ in range(steps):
        jobs_clock.advance(minutes=1)
        barrier.wait(30)
        barrier.wait(30)
    for t in threads:
        t.join(30)
    assert not errors

    ticks = sorted((t.schedule_name, t.tick_at) for t in won["a"] + won["b"])
    assert len(ticks) == len(set(ticks)) == steps + steps // 2
    keys = [k for _, k in _jobs(jobs_runtime.engine)]
    assert len(keys) == len(set(keys)) == steps + steps // 2
    with jobs_runtime.engine.connect() as conn:
        claimed_by = dict(
            conn.execute(
                select(scheduler_ticks.c.claimed_by, func.count()).group_by(
                    scheduler_ticks.c.claimed_by
                )
            ).all()
        )
    assert sum(claimed_by.values()) == steps + steps // 2


def test_the_tick_row_is_a_lock_even_when_the_schedule_row_says_due_again(
    jobs_runtime, jobs_clock: FixedClock
):
    """A scheduler that acts on a stale view of the schedule (or an edit that reset it) still
    cannot run a tick someone already ran: the (schedule, tick) primary key refuses it."""
    jobs_clock.current = utc(2026, 1, 15, 9, 0, 30)
    sched = Scheduler(jobs_runtime, [Schedule("s", "test.tick", Every.parse("1m"))])
    sched.sync()
    jobs_clock.advance(minutes=1)
    assert len(sched.run_pending()) == 1
    now = jobs_clock.now()
    with unit_of_work(jobs_runtime.engine) as conn:
        conn.execute(update(job_schedules).values(next_run_at=now, last_run_at=None))
        assert not claim_tick(conn, "s", utc(2026, 1, 15, 9, 1), "late", now)
        assert run_tick(conn, "s", "late", now) is None
    assert len(_jobs(jobs_runtime.engine)) == 1


def test_stored_schedules_can_be_created_changed_disabled_and_removed(
    jobs_runtime, jobs_uow, jobs_clock: FixedClock
):
    jobs_clock.current = utc(2026, 1, 15, 9, 0, 30)
    with jobs_uow() as ctx:
        schedule(ctx, "digest", "test.digest", "daily 09:30", timezone="Asia/Shanghai")
    [row] = list_schedules_conn(jobs_runtime)
    assert (row["every"], row["timezone"], row["next_run_at"], row["source"]) == (
        "daily 09:30",
        "Asia/Shanghai",
        utc(2026, 1, 16, 1, 30),
        "db",
    )
    with jobs_uow() as ctx:
        schedule(ctx, "digest", "test.digest", "5m", payload={"v": 2})
    [row] = list_schedules_conn(jobs_runtime)
    assert (row["every"], row["payload"], row["next_run_at"]) == (
        "5m",
        {"v": 2},
        utc(2026, 1, 15, 9, 5),
    )

    sched = Scheduler(jobs_runtime)
    jobs_clock.advance(minutes=5)
    assert len(sched.run_pending()) == 1
    with jobs_uow() as ctx:
        schedule(ctx, "digest", "test.digest", "5m", payload={"v": 2}, enabled=False)
    jobs_clock.advance(minutes=5)
    assert sched.run_pending() == []

    with jobs_uow() as ctx:
        unschedule(ctx, "digest")
        with pytest.raises(NotFound) as err:
            unschedule(ctx, "digest")
    assert err.value.code == "JOB_SCHEDULE_NOT_FOUND"
    with jobs_uow() as ctx, pytest.raises(Invalid) as err:
        schedule(ctx, "x", "test.digest", "every tuesday")
    assert err.value.code == "JOB_SCHEDULE_INVALID"


def test_builtin_purge_schedule_runs_through_a_worker(jobs_runtime, jobs_clock: FixedClock):
    from accord.jobs.tasks import BUILTIN_SCHEDULES

    jobs_clock.current = utc(2026, 1, 15, 3, 0)
    sched = Scheduler(jobs_runtime, BUILTIN_SCHEDULES)
    sched.sync()
    jobs_clock.advance(minutes=30)
    [tick] = sched.run_pending()
    worker = Worker(jobs_runtime, builtin_registry())
    assert worker.run_until_idle() == 1
    with jobs_runtime.engine.connect() as conn:
        status, result = conn.execute(
            select(jobs.c.status, jobs.c.result).where(jobs.c.id == tick.job_id)
        ).one()
    assert (status, result) == ("done", {"done": 0, "dead": 0, "ticks": 0, "workers": 0})
    assert tick.tick_at == utc(2026, 1, 15, 3, 30)
