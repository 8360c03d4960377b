"""A periodic rule's scan ("not updated for 3 days") vs. the bare SQL that finds the same rows.

Data: the shared dataset (1,000,000 ``bench_contact`` rows, ``--quick`` 100,000; it stands in for
opportunities: what the scan touches is ``updated_at`` and the id, the same on any object).
``updated_at`` is spread evenly over the dataset's time span; the rule's clock is set so that
~10 % of the rows have not been updated for 3 days.

Product: ``automation.scan.scan`` for the enabled rule — the set-based re-arm ``DELETE``, the
``INSERT … SELECT … WHERE cond AND NOT EXISTS (remembered) RETURNING id`` and the enqueueing of
the action jobs (one per 200 records) — rolled back after each timing so every run is a first
scan of 100,000 new matches. Baseline: ``SELECT id FROM <table> WHERE deleted_at IS NULL AND
updated_at < :cutoff`` fetched in full on the same connection. Median of 3 each; ratio = scan /
SELECT, goal ≤ 2. Also reported: the steady-state scan (everything already remembered).

    python -m benchmarks.automation_scan [--quick] [--db sqlite|postgresql|both]
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import replace
from datetime import timedelta
from typing import Any

from benchmarks.common import (
    T0,
    Options,
    Result,
    Session,
    each_db,
    main_for,
    measured,
    sqlite_ts,
    system_ctx,
)

GOAL = 2.0
RUNS = 3
SHARE = 0.10


def _rule(runtime: Any) -> Any:
    from accord.automation import service
    from accord.db.engine import unit_of_work

    with unit_of_work(runtime.engine) as conn:
        ctx = system_ctx(runtime, conn)
        name = "bench: not updated for 3 days"
        with contextlib.suppress(Exception):  # a rule left by an earlier run
            service.delete_rule(ctx, name)
        return service.create_rule(
            ctx,
            {
                "name": name,
                "object": "bench_contact",
                "enabled": True,
                "trigger": {"type": "periodic", "every": "1h"},
                "condition": {"field": "updated_at", "op": "older_than", "value": 3},
                "actions": [{"type": "update_fields", "values": {"title": "stale"}}],
            },
        )


def _bench(opts: Options, session: Session, kind: str) -> list[Result]:
    from sqlalchemy import text

    from accord.automation import scan
    from accord.core.clock import FixedClock
    from accord.meta.service import registry

    ds = session.dataset(kind)
    cutoff = T0 + timedelta(seconds=30 * int(ds.n * SHARE))
    runtime = replace(ds.runtime, clock=FixedClock(cutoff + timedelta(days=3)))
    rule = _rule(runtime)
    bare = text(
        f'SELECT id FROM "{ds.table}" WHERE deleted_at IS NULL AND updated_at < :cutoff'
    ).bindparams(cutoff=cutoff if kind == "postgresql" else sqlite_ts(cutoff))

    def timed_bare() -> tuple[float, int]:
        with runtime.engine.connect() as conn:
            t = time.perf_counter()
            n = len(conn.execute(bare).fetchall())
            return time.perf_counter() - t, n

    def timed_scan(keep: bool) -> tuple[float, int]:
        conn = runtime.engine.connect()
        tx = conn.begin()
        try:
            ctx = system_ctx(runtime, conn)
            reg = registry(ctx)
            t = time.perf_counter()
            found = scan.scan(ctx, reg, rule)
            took = time.perf_counter() - t
            (tx.commit if keep else tx.rollback)()
            return took, len(found)
        finally:
            conn.close()

    timed_bare()  # warm the cache for both
    bares, scans = [], []
    for _ in range(RUNS):
        bares.append(timed_bare())
        scans.append(timed_scan(keep=False))
    b = sorted(x for x, _ in bares)[RUNS // 2]
    s = sorted(x for x, _ in scans)[RUNS // 2]
    matched = scans[0][1]
    timed_scan(keep=True)
    steady, again = timed_scan(keep=False)
    return [
        measured(
            f"automation_scan.{kind}",
            s * 1000,
            b * 1000,
            "ms",
            GOAL,
            "<=",
            rows=ds.n,
            matched=matched,
            same_rows=matched == bares[0][1],
            steady_state_scan_ms=round(steady * 1000, 1),
            steady_state_new_matches=again,
        )
    ]


def run(opts: Options, session: Session) -> list[Result]:
    return each_db(opts, session, "automation_scan", "ms", GOAL, "<=", _bench)


if __name__ == "__main__":
    main_for(run, __doc__ or "")
