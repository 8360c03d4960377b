"""Record-triggered rules: updates processed with 20 active rules vs. with none, and 4 worker
processes vs. one on PostgreSQL.

Data: a throwaway database per run with ``bench_deal`` (the bench contact shape), 100,000 rows
(``--quick`` 10,000). Each update (through the record service's bulk upsert, 1,000 per call)
sets a random ``score`` (0–399) and ``city`` (one of 10).

Rules (20, all enabled): ten ``field_changed [score]`` rules whose condition is
``score = k`` (k = 0…9) and which set ``title``; ten ``updated`` rules whose condition is
``city = c and score > 390`` and which create a follow-up record. About 2.7 % of the updates
make one rule act; every update is checked against all 20.

- ``automation_triggers.<db>``: throughput (updates/s) of "apply the updates, then one worker
  dispatches every event" with the rules vs. without (the dispatcher still runs and finds no
  rule). Goal: ratio ≥ 0.5.
- ``automation_triggers.workers.postgresql``: events dispatched per second by 4 worker processes
  vs. 1, with the rules (updates applied first, not timed). Goal ≥ 1.5. Every event is checked
  to be dispatched exactly once: no (rule, event) pair in the execution log twice, none pending.

    python -m benchmarks.automation_triggers [--quick] [--db sqlite|postgresql|both]
"""

from __future__ import annotations

import multiprocessing as mp
import random
import time
from pathlib import Path
from typing import Any

from benchmarks.common import (
    Options,
    Result,
    Session,
    contact_definition,
    each_db,
    install,
    main_for,
    make_runtime,
    measured,
    system_ctx,
    throwaway_database,
)

GOAL = 0.5
GOAL_WORKERS = 1.5
OBJ = "bench_deal"
CITIES = [f"city{i}" for i in range(10)]
BATCH = 1000


def _setup(runtime: Any, n: int) -> list[str]:
    from accord.db.engine import unit_of_work
    from accord.meta.service import create_object
    from accord.records import service as records

    with unit_of_work(runtime.engine) as conn:
        create_object(system_ctx(runtime, conn), contact_definition(OBJ))
    ids: list[str] = []
    for start in range(0, n, 5000):
        rows = [
            {"name": f"deal {i}", "score": 0, "city": "city0"}
            for i in range(start, min(n, start + 5000))
        ]
        with unit_of_work(runtime.engine) as conn:
            ids += [r.id for r in records.bulk(system_ctx(runtime, conn), OBJ, rows, trusted=True)]
    _drain_all(runtime)  # the creations' events
    return ids


def _rules(runtime: Any) -> None:
    from accord.automation import service
    from accord.db.engine import unit_of_work

    with unit_of_work(runtime.engine) as conn:
        ctx = system_ctx(runtime, conn)
        for k in range(10):
            service.create_rule(
                ctx,
                {
                    "name": f"score {k}",
                    "object": OBJ,
                    "enabled": True,
                    "trigger": {"type": "field_changed", "fields": ["score"]},
                    "condition": {"field": "score", "op": "eq", "value": k},
                    "actions": [{"type": "update_fields", "values": {"title": "hot"}}],
                },
            )
        for k, city in enumerate(CITIES):
            service.create_rule(
                ctx,
                {
                    "name": f"city {k}",
                    "object": OBJ,
                    "enabled": True,
                    "trigger": {"type": "updated"},
                    "condition": {
                        "and": [
                            {"field": "city", "op": "eq", "value": city},
                            {"field": "score", "op": "gt", "value": 390},
                        ]
                    },
                    "actions": [
                        {
                            "type": "create_record",
                            "object": OBJ,
                            "expressions": {"name": '"follow up " & name', "city": "city"},
                        }
                    ],
                },
            )


def _update(runtime: Any, ids: list[str], seed: int) -> None:
    from accord.db.engine import unit_of_work
    from accord.records import service as records

    rng = random.Random(seed)
    for start in range(0, len(ids), BATCH):
        rows = [
            {"id": rid, "score": rng.randrange(400), "city": rng.choice(CITIES)}
            for rid in ids[start : start + BATCH]
        ]
        with unit_of_work(runtime.engine) as conn:
            res = records.bulk(system_ctx(runtime, conn), OBJ, rows, mode="upsert")
        assert all(r.status == "updated" for r in res), res[:3]


def _drain_all(runtime: Any) -> int:
    from accord.engines import dispatch_events

    total = 0
    while n := dispatch_events(runtime):
        total += n
    return total


def _drain_process(url: str, data_dir: str, start: Any) -> None:
    runtime = make_runtime(url, Path(data_dir))
    start.wait()
    _drain_all(runtime)
    runtime.engine.dispose()


def _parallel_drain(url: str, data_dir: Path, n: int) -> float:
    ctx = mp.get_context("spawn")
    start = ctx.Event()
    procs = [ctx.Process(target=_drain_process, args=(url, str(data_dir), start)) for _ in range(n)]
    for p in procs:
        p.start()
    time.sleep(3)  # let them import and connect
    t = time.perf_counter()
    start.set()
    for p in procs:
        p.join()
    return time.perf_counter() - t


def _check_once(runtime: Any) -> tuple[int, int]:
    from sqlalchemy import text

    with runtime.engine.connect() as conn:
        twice = conn.execute(
            text(
                "SELECT count(*) FROM (SELECT rule_id, event_id FROM automation_runs "
                "GROUP BY rule_id, event_id HAVING count(*) > 1) d"
            )
        ).scalar()
        pending = conn.execute(
            text("SELECT count(*) FROM outbox WHERE dispatched_at IS NULL")
        ).scalar()
    return int(twice or 0), int(pending or 0)


def _bench(opts: Options, session: Session, kind: str) -> list[Result]:
    n = opts.size(100_000) if opts.rows is None else opts.rows
    out: list[Result] = []
    with throwaway_database(kind) as (url, data_dir):
        runtime = make_runtime(url, data_dir)
        install(runtime)
        ids = _setup(runtime, n)

        def timed(seed: int) -> float:
            t = time.perf_counter()
            _update(runtime, ids, seed)
            _drain_all(runtime)
            return time.perf_counter() - t

        bare = timed(1)
        _rules(runtime)
        with_rules = timed(2)
        twice, pending = _check_once(runtime)
        out.append(
            measured(
                f"automation_triggers.{kind}",
                n / with_rules,
                n / bare,
                "updates/s",
                GOAL,
                ">=",
                updates=n,
                rules=20,
                events_twice=twice,
                events_pending=pending,
            )
        )
        if kind == "postgresql":
            _update(runtime, ids, 3)
            t = time.perf_counter()
            one = _drain_all(runtime)
            single = time.perf_counter() - t
            _update(runtime, ids, 4)
            four = _parallel_drain(url, data_dir, 4)
            twice, pending = _check_once(runtime)
            out.append(
                measured(
                    "automation_triggers.workers.postgresql",
                    n / four,
                    one / single,
                    "events/s",
                    GOAL_WORKERS,
                    ">=",
                    workers=4,
                    events_twice=twice,
                    events_pending=pending,
                )
            )
        runtime.engine.dispose()
    return out


def run(opts: Options, session: Session) -> list[Result]:
    return each_db(opts, session, "automation_triggers", "updates/s", GOAL, ">=", _bench)


if __name__ == "__main__":
    main_for(run, __doc__ or "")
