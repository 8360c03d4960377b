"""``python -m accord.jobs``: a standalone worker process (what ``accord worker`` wraps).

    python -m accord.jobs --url postgresql+psycopg://… --handlers myapp.tasks --concurrency 2

``--handlers`` imports modules and registers their ``@handler`` functions (the job system's own
handlers are always included); ``--kinds`` restricts the worker to some kinds.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from accord.core.clock import SystemClock
from accord.core.context import Runtime
from accord.core.settings import load_settings
from accord.db.engine import make_engine
from accord.jobs.service import builtin_registry, run_worker


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m accord.jobs", description=__doc__.split("\n")[0])
    p.add_argument("--url", help="database URL (default: ACCORD_DATABASE_URL or the data dir)")
    p.add_argument("--handlers", nargs="*", default=[], help="modules with @handler functions")
    p.add_argument("--kinds", nargs="*", default=None, help="only these job kinds")
    p.add_argument("--concurrency", type=int, default=1)
    p.add_argument("--batch", type=int, default=None, help="jobs claimed per round trip")
    p.add_argument("--lease", type=float, default=300.0, help="lease seconds")
    p.add_argument("--poll", type=float, default=1.0, help="idle poll interval, seconds")
    p.add_argument("--log-level", default=None)
    args = p.parse_args(argv)

    settings = load_settings(database_url=args.url) if args.url else load_settings()
    logging.basicConfig(
        level=(args.log_level or settings.log_level).upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        stream=sys.stderr,
    )
    registry = builtin_registry().include(*(importlib.import_module(m) for m in args.handlers))
    if args.kinds:
        registry = registry.only(args.kinds)
    engine = make_engine(settings.resolved_database_url)
    runtime = Runtime(settings=settings, engine=engine, clock=SystemClock())
    try:
        run_worker(
            runtime,
            registry,
            concurrency=args.concurrency,
            poll_interval=args.poll,
            lease_seconds=args.lease,
            batch=args.batch,
            with_scheduler=False,
        )
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
