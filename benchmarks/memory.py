"""Memory: peak RSS of the Accord server process serving the 1,000,000-row database.

Read from ``/proc/<pid>/status`` (``VmHWM``, the high-water mark, so "stays under" holds for the
whole run) after the list-query and GET-by-id workloads have run on that server; when this
benchmark runs alone it drives a short version of both first. Value: the server's peak RSS in
MB; baseline (for context): the bare Starlette app's peak RSS on the same database; ratio =
value / 300 MB, goal ≤ 1.

    python -m benchmarks.memory [--quick] [--db sqlite|postgresql|both]
"""

from __future__ import annotations

from benchmarks.common import (
    CONTACT,
    Options,
    Result,
    Session,
    each_db,
    main_for,
    run_wrk,
    wrk_path,
)

LIMIT_MB = 300.0
GOAL = 1.0


def _exercise(opts: Options, session: Session, kind: str) -> None:
    """A short list + GET workload when the full benchmarks did not run on this server."""
    import httpx

    from benchmarks import list_query

    ds = session.dataset(kind)
    accord, bare = session.server(kind, "accord"), session.server(kind, "bare")
    if ("list_query", kind) not in session.exercised:
        short = Options(quick=opts.quick, dbs=(kind,), rows=opts.rows, requests=40)
        list_query.bench_db(short, session, kind)
    if ("api_get", kind) not in session.exercised:
        if wrk_path() is not None:
            run_wrk(accord.base, f"/api/v1/records/{CONTACT}/", ds.sample_ids, 2, ds.token)
            run_wrk(bare.base, "/r/", ds.sample_ids, 2)
        else:
            headers = {"Authorization": f"Bearer {ds.token}"}
            with httpx.Client(headers=headers, timeout=30) as client:
                for rid in ds.sample_ids[:500]:
                    client.get(f"{accord.base}/api/v1/records/{CONTACT}/{rid}")
                    client.get(f"{bare.base}/r/{rid}")


def bench_db(opts: Options, session: Session, kind: str) -> Result:
    _exercise(opts, session, kind)
    ds = session.dataset(kind)
    rss, peak = session.server(kind, "accord").memory_mb()
    _, bare_peak = session.server(kind, "bare").memory_mb()
    return Result(
        f"memory.{kind}",
        peak,
        "MB",
        bare_peak,
        peak / LIMIT_MB,
        GOAL,
        "<=",
        extra={
            "limit_mb": LIMIT_MB,
            "rss_now_mb": round(rss, 1),
            "rows": ds.n,
            "baseline_is": "bare Starlette app peak RSS",
        },
    ).judge()


def run(opts: Options, session: Session) -> list[Result]:
    return each_db(opts, session, "memory", "MB", GOAL, "<=", lambda o, s, k: [bench_db(o, s, k)])


if __name__ == "__main__":
    main_for(run, __doc__ or "")
