"""The Accord server as the benchmarks run it: ``create_app`` under uvicorn, one worker, no job
worker, no access log. Reads ``ACCORD_DATABASE_URL`` / ``ACCORD_DATA_DIR`` and ``BENCH_PORT``.

    ACCORD_DATABASE_URL=sqlite:///… BENCH_PORT=8001 python -m benchmarks.serve_app
"""

from __future__ import annotations

import os

import uvicorn

from accord.api.app import create_app
from accord.runtime import build_runtime
from benchmarks.common import UVICORN_SETTINGS


def main() -> None:
    runtime = build_runtime()
    app = create_app(runtime, embedded_worker=False)
    uvicorn.run(app, port=int(os.environ.get("BENCH_PORT", "8000")), **UVICORN_SETTINGS)


if __name__ == "__main__":
    main()
