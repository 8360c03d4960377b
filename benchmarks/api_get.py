"""API throughput: GET one record by id under wrk, vs. a bare Starlette endpoint.

Product: ``GET /api/v1/records/bench_contact/{id}`` (bearer token, the full FastAPI app) on the
1,000,000-row dataset. Baseline: ``benchmarks/bare_app.py`` — one Starlette route running
``SELECT * FROM obj_bench_contact WHERE id = ?`` on the same database with a connection per
thread, returning the row as JSON — under the same uvicorn settings (one worker). Both are
driven by ``wrk -t2 -c16`` for 10 s (``--quick``: 3 s), rotating over 2,000 ids with a Lua
script, one server at a time. Goal: Accord ≥ 40 % of the bare endpoint's requests/s.

    python -m benchmarks.api_get [--quick] [--db sqlite|postgresql|both] [--seconds S]
"""

from __future__ import annotations

from benchmarks.common import (
    CONTACT,
    Options,
    Result,
    Session,
    each_db,
    failed,
    main_for,
    measured,
    run_wrk,
    wrk_path,
)

GOAL = 0.40
FULL_SECONDS = 10.0
QUICK_SECONDS = 3.0


def seconds_for(opts: Options) -> float:
    if opts.seconds is not None:
        return opts.seconds
    return QUICK_SECONDS if opts.quick else FULL_SECONDS


def bench_db(opts: Options, session: Session, kind: str) -> Result:
    import httpx

    name = f"api_get.{kind}"
    ds = session.dataset(kind)
    secs = seconds_for(opts)
    accord = session.server(kind, "accord")
    bare = session.server(kind, "bare")
    rid = ds.sample_ids[0]
    # Both answer the same record before they are measured.
    a = httpx.get(
        f"{accord.base}/api/v1/records/{CONTACT}/{rid}",
        headers={"Authorization": f"Bearer {ds.token}"},
        timeout=30,
    )
    b = httpx.get(f"{bare.base}/r/{rid}", timeout=30)
    if a.status_code != 200 or b.status_code != 200 or a.json()["id"] != str(b.json()["id"]):
        return failed(name, "req/s", GOAL, f"warm-up failed: {a.status_code} {b.status_code}")
    # Warm both (threadpool, connection pools, caches), then measure one at a time.
    warm = max(1.0, secs / 5)
    run_wrk(bare.base, "/r/", ds.sample_ids, warm)
    run_wrk(accord.base, f"/api/v1/records/{CONTACT}/", ds.sample_ids, warm, ds.token)
    base = run_wrk(bare.base, "/r/", ds.sample_ids, secs)
    prod = run_wrk(accord.base, f"/api/v1/records/{CONTACT}/", ds.sample_ids, secs, ds.token)
    session.exercised.add(("api_get", kind))
    bad = prod.non_2xx + prod.errors + base.non_2xx + base.errors
    if bad:
        return failed(
            name,
            "req/s",
            GOAL,
            f"{bad} failed requests (non-2xx or socket errors)",
            accord_non_2xx=prod.non_2xx,
            bare_non_2xx=base.non_2xx,
        )
    return measured(
        name,
        prod.requests_per_s,
        base.requests_per_s,
        "req/s",
        GOAL,
        rows=ds.n,
        seconds=secs,
        wrk="-t2 -c16",
        ids=len(ds.sample_ids),
        accord_latency=prod.latency,
        bare_latency=base.latency,
    )


def run(opts: Options, session: Session) -> list[Result]:
    if wrk_path() is None:
        msg = "wrk is not installed (apt-get install -y wrk)"
        return [failed(f"api_get.{k}", "req/s", GOAL, msg) for k in opts.dbs]
    return each_db(
        opts, session, "api_get", "req/s", GOAL, ">=", lambda o, s, k: [bench_db(o, s, k)]
    )


if __name__ == "__main__":
    main_for(run, __doc__ or "")
