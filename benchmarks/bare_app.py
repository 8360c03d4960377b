"""The physical-limit baseline of the API benchmarks: a bare Starlette app whose one route runs
``SELECT * FROM <table> WHERE id = ?`` on the same database and returns the row as JSON.

Like Accord's engine it keeps one connection per thread (sync endpoint on the threadpool), and it
runs under the same uvicorn settings. Reads ``ACCORD_DATABASE_URL``, ``BENCH_TABLE``,
``BENCH_PORT``.
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from benchmarks.common import UVICORN_SETTINGS

URL = os.environ.get("ACCORD_DATABASE_URL", "")
TABLE = os.environ.get("BENCH_TABLE", "obj_bench_contact")
_local = threading.local()


def _connect() -> Any:
    if URL.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(
            URL.removeprefix("sqlite:///"),
            check_same_thread=False,
            isolation_level=None,
            timeout=30,
        )
        for pragma in (
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "busy_timeout=30000",
            "cache_size=-65536",
            "temp_store=MEMORY",
        ):
            conn.execute(f"PRAGMA {pragma}")
        return conn
    import psycopg

    return psycopg.connect(URL.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)


def _conn() -> Any:
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = _local.conn = _connect()
    return conn


MARK = "?" if URL.startswith("sqlite") else "%s"
SQL = f'SELECT * FROM "{TABLE}" WHERE id = {MARK}'


def get_record(request: Request) -> Response:
    cur = _conn().execute(SQL, (request.path_params["id"],))
    row = cur.fetchone()
    if row is None:
        return PlainTextResponse("not found", 404)
    cols = [d[0] for d in cur.description]
    body = json.dumps(dict(zip(cols, row, strict=True)), default=str, ensure_ascii=False)
    return Response(body, media_type="application/json")


def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


app = Starlette(routes=[Route("/r/{id}", get_record), Route("/healthz", healthz)])


def main() -> None:
    uvicorn.run(app, port=int(os.environ.get("BENCH_PORT", "8000")), **UVICORN_SETTINGS)


if __name__ == "__main__":
    main()
