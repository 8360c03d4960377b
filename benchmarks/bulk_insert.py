"""Bulk insert through the record service vs. the driver's fastest raw path.

Product: ``records.bulk(ctx, "bench_contact", rows, trusted=True)`` with rows as an API client
sends them (phones as typed, dates as ISO text), one unit of work per batch of 5,000 — so
coercion, validation, defaults, reference checks, outbox events and the FTS/trigram index are
all included. Baseline: the same rows already in database form, inserted into an identical empty
table (``bench_contact_raw``, same definition, so same indexes and triggers) with ``executemany``
on SQLite or ``COPY`` on PostgreSQL, one transaction per batch of 5,000. The batches of the two
paths alternate so both tables grow together. Goal: service ≥ 30 % of the baseline's rows/s.

    python -m benchmarks.bulk_insert [--quick] [--db sqlite|postgresql|both] [--rows N]
"""

from __future__ import annotations

import contextlib
from typing import Any

from benchmarks.common import (
    CONTACT,
    CONTACT_RAW,
    FIELD_COLUMNS,
    Options,
    RawRows,
    Result,
    Session,
    Stopwatch,
    available_dbs,
    codec_for,
    contact_api_row,
    create_contact_objects,
    create_owners,
    failed,
    install,
    log,
    main_for,
    make_runtime,
    measured,
    new_ids,
    raw_insert,
    throwaway_database,
)

FULL_ROWS = 1_000_000
BATCH = 5_000
GOAL = 0.30
OWNERS = 20


def bench_one(kind: str, n: int, batch: int = BATCH) -> Result:
    from accord.core.context import SYSTEM_USER_ID, Context
    from accord.db.engine import unit_of_work
    from accord.records import service as records

    name = f"bulk_insert.{kind}"
    with contextlib.ExitStack() as stack:
        url, data_dir = stack.enter_context(throwaway_database(kind))
        runtime = make_runtime(url, data_dir)
        stack.callback(runtime.engine.dispose)
        install(runtime)
        create_contact_objects(runtime, CONTACT, CONTACT_RAW)
        owners = create_owners(runtime, OWNERS)
        raw = RawRows(codec_for(runtime, CONTACT_RAW), kind)
        service_sw, base_sw = Stopwatch(), Stopwatch()
        errors = 0
        for start in range(0, n, batch):
            stop = min(n, start + batch)
            # baseline: rows in database form, generated outside the timed block
            now = runtime.clock.now()
            db_rows = [
                raw.row(i, rid, now, owners[i % OWNERS], SYSTEM_USER_ID)
                for i, rid in zip(range(start, stop), new_ids(stop - start), strict=True)
            ]
            with base_sw:
                raw_insert(runtime, raw, db_rows)
            # product: rows as an API client sends them
            api_rows = [contact_api_row(i, owners[i % OWNERS]) for i in range(start, stop)]
            with service_sw, unit_of_work(runtime.engine) as conn:
                results = records.bulk(
                    Context(runtime=runtime, conn=conn),
                    CONTACT,
                    api_rows,
                    trusted=True,
                    batch_size=batch,
                )
            errors += sum(1 for r in results if r.status != "created")
            if start and start % (batch * 40) == 0:
                log(
                    f"{name}: {start} rows; service {start / service_sw.total:,.0f}/s, "
                    f"baseline {start / base_sw.total:,.0f}/s"
                )
        if errors:
            return failed(name, "rows/s", GOAL, f"{errors} rows were refused", rows=n)
        same = _same_rows(runtime)
    service_rps, base_rps = n / service_sw.total, n / base_sw.total
    baseline = "executemany" if kind == "sqlite" else "COPY"
    return measured(
        name,
        service_rps,
        base_rps,
        "rows/s",
        GOAL,
        rows=n,
        batch=batch,
        baseline_path=baseline,
        same_stored_values=same,
        service_s=round(service_sw.total, 2),
        baseline_s=round(base_sw.total, 2),
    )


def _same_rows(runtime: Any) -> bool:
    """Both paths stored the same field values (checked on a few rows)."""
    from sqlalchemy import text

    cols = ", ".join(FIELD_COLUMNS)
    q = "SELECT {cols} FROM {table} WHERE name IN ('王伟 0000000', '李芳 0000001') ORDER BY name"
    with runtime.engine.connect() as conn:
        a = conn.execute(text(q.format(cols=cols, table="obj_" + CONTACT))).all()
        b = conn.execute(text(q.format(cols=cols, table="obj_" + CONTACT_RAW))).all()
    return len(a) == 2 and [tuple(r) for r in a] == [tuple(r) for r in b]


def run(opts: Options, session: Session) -> list[Result]:
    dbs, skipped = available_dbs(opts)
    out = [failed(f"bulk_insert.{k}", "rows/s", GOAL, f"{k} is not reachable") for k in skipped]
    n = opts.size(FULL_ROWS)
    for kind in dbs:
        log(f"bulk_insert.{kind}: {n} rows")
        try:
            out.append(bench_one(kind, n))
        except Exception as exc:  # report it, keep the other benchmarks running
            out.append(failed(f"bulk_insert.{kind}", "rows/s", GOAL, repr(exc)[:500]))
    return out


if __name__ == "__main__":
    main_for(run, __doc__ or "")
