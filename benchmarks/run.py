"""Run the benchmark suite and print one JSON object per line.

    python -m benchmarks.run [--quick] [--only NAME[,NAME]] [--db sqlite|postgresql|both]

Each line: ``{"name", "value", "unit", "baseline", "ratio", "goal", "goal_op", "passed", …}``
with the baseline measured in the same run. ``--quick`` uses one tenth of the sizes. The exit
code is 0 even when a goal is missed (``"passed": false``); a benchmark that cannot run (wrk or
PostgreSQL missing) prints ``"passed": null`` and an ``"error"``.

To add a benchmark: a module ``benchmarks/<name>.py`` with ``run(opts, session) -> list[Result]``
(see ``common.py``), listed in ``BENCHMARKS`` below.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time

from benchmarks.common import Options, Session, add_common_args, emit, log, options_from

# name → module; order matters: the server benchmarks share one dataset and servers per
# database, and memory reads the server's RSS after the list and GET workloads.
BENCHMARKS: dict[str, str] = {
    "bulk_insert": "benchmarks.bulk_insert",
    "list_query": "benchmarks.list_query",
    "api_get": "benchmarks.api_get",
    "scope_list": "benchmarks.scope_list",
    "automation_scan": "benchmarks.automation_scan",
    "automation_triggers": "benchmarks.automation_triggers",
    "memory": "benchmarks.memory",
}


def selected(only: str | None) -> list[str]:
    if not only:
        return list(BENCHMARKS)
    names = [n.strip() for n in only.split(",") if n.strip()]
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        raise SystemExit(
            f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}"
        )
    return [n for n in BENCHMARKS if n in names]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    add_common_args(p)
    p.add_argument(
        "--only", default=None, help=f"comma-separated subset of: {', '.join(BENCHMARKS)}"
    )
    ns = p.parse_args(argv)
    opts = options_from(ns)
    names = selected(ns.only)
    t0 = time.perf_counter()
    # One database at a time, so its dataset and servers are released before the next one.
    for kind in opts.dbs:
        one = Options(
            quick=opts.quick,
            dbs=(kind,),
            rows=opts.rows,
            seconds=opts.seconds,
            requests=opts.requests,
        )
        with Session(one) as session:
            for name in names:
                module = importlib.import_module(BENCHMARKS[name])
                started = time.perf_counter()
                for result in module.run(one, session):
                    result.extra.setdefault("quick", opts.quick)
                    emit(result)
                log(f"{name} on {kind} took {time.perf_counter() - started:.0f}s")
    log(f"all done in {time.perf_counter() - t0:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
