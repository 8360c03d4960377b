"""List query latency through the HTTP API vs. the same SQL run raw plus ``json.dumps``.

Data: 1,000,000 ``bench_contact`` rows (``--quick``: 100,000) owned by 20 users; one owner
holds 52.5 % of them, so page 10,000 of its list exists (``--quick``: page 1,000). The rows are
inserted with the raw path (they only have to exist).

Product: ``GET /api/v1/records/bench_contact?owner_id=<id>&sort=created_at&limit=50`` on the
real server (uvicorn subprocess, sequential requests on one keep-alive ``http.client``
connection: the standard library's client adds ~0.1 ms where httpx adds ~1 ms of its own
Python work to every request, which is client cost, not API latency), at page 1 and
at the deep page, whose cursor is built with ``accord.query.encode_cursor`` from the row at that
position (walking 10,000 pages is not needed; the benchmark checks the cursor's page equals the
OFFSET query's page). Baseline: ``SELECT * … WHERE owner_id = ? AND deleted_at IS NULL
[AND (created_at, id) > (?, ?)] ORDER BY created_at, id LIMIT 51`` on a raw DBAPI connection to
the same database, then ``json.dumps`` of the rows as dicts. Value and baseline are median
latencies in ms; ratio = API / baseline is a slowdown factor, goal ≤ 3.

    python -m benchmarks.list_query [--quick] [--db sqlite|postgresql|both] [--rows N]
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

from benchmarks.common import (
    CONTACT,
    Dataset,
    Options,
    Result,
    Session,
    each_db,
    failed,
    main_for,
    measured,
    median_ms,
)

GOAL = 3.0
FULL_DEEP_PAGE = 10_000
PAGE = 50
REQUESTS = 200
WARMUP = 20


def deep_page(opts: Options, ds: Dataset) -> int:
    """Page 10,000 (scaled with the size), capped at the big owner's last page."""
    wanted = max(2, int(FULL_DEEP_PAGE * ds.n / 1_000_000))
    rows = _count(ds, ds.big_owner)
    return max(1, min(wanted, (rows - 1) // PAGE + 1))


class RawDB:
    """A raw DBAPI connection to the dataset's database (the baseline's side)."""

    def __init__(self, ds: Dataset) -> None:
        self.kind = ds.kind
        if ds.kind == "sqlite":
            import sqlite3

            self.conn = sqlite3.connect(ds.url.removeprefix("sqlite:///"), isolation_level=None)
            for pragma in (
                "journal_mode=WAL",
                "synchronous=NORMAL",
                "cache_size=-65536",
                "temp_store=MEMORY",
            ):
                self.conn.execute(f"PRAGMA {pragma}")
            self.mark = "?"
        else:
            import psycopg

            self.conn = psycopg.connect(
                ds.url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True
            )
            self.mark = "%s"
        self.table = ds.table

    def query(self, sql: str, params: tuple[Any, ...]) -> tuple[list[str], list[tuple[Any, ...]]]:
        cur = self.conn.execute(sql.replace("?", self.mark), params)
        rows = cur.fetchall()
        return [d[0] for d in cur.description], rows

    def close(self) -> None:
        self.conn.close()


def _count(ds: Dataset, owner: str) -> int:
    raw = RawDB(ds)
    try:
        _, rows = raw.query(f'SELECT count(*) FROM "{ds.table}" WHERE owner_id = ?', (owner,))
        return int(rows[0][0])
    finally:
        raw.close()


def page_sql(table: str, keyset: bool) -> str:
    where = "owner_id = ? AND deleted_at IS NULL"
    if keyset:
        where += " AND (created_at, id) > (?, ?)"
    return f'SELECT * FROM "{table}" WHERE {where} ORDER BY created_at, id LIMIT {PAGE + 1}'


def _as_datetime(v: Any) -> datetime:
    if isinstance(v, datetime):
        return v.astimezone(UTC)
    return datetime.fromisoformat(str(v).replace("Z", "+00:00"))


def cursor_position(ds: Dataset, raw: RawDB, page: int) -> tuple[datetime, str] | None:
    """Sort-key values (created_at, id) of the last row before ``page``."""
    if page <= 1:
        return None
    _, rows = raw.query(
        f'SELECT created_at, id FROM "{ds.table}" WHERE owner_id = ? AND deleted_at IS NULL '
        "ORDER BY created_at, id LIMIT 1 OFFSET ?",
        (ds.big_owner, (page - 1) * PAGE - 1),
    )
    return _as_datetime(rows[0][0]), str(rows[0][1])


def api_cursor(ds: Dataset, pos: tuple[datetime, str] | None) -> str | None:
    if pos is None:
        return None
    from accord.db.engine import unit_of_work
    from accord.meta.registry import load
    from accord.query import encode_cursor, parse_sort
    from benchmarks.common import system_ctx

    with unit_of_work(ds.runtime.engine, readonly=True) as conn:
        reg = load(system_ctx(ds.runtime, conn))
        return encode_cursor(parse_sort("created_at", reg, CONTACT), pos)


def baseline_params(ds: Dataset, pos: tuple[datetime, str] | None) -> tuple[Any, ...]:
    if pos is None:
        return (ds.big_owner,)
    ts: Any = pos[0]
    if ds.kind == "sqlite":
        from benchmarks.common import sqlite_ts

        ts = sqlite_ts(pos[0])
    return (ds.big_owner, ts, pos[1])


def baseline_once(raw: RawDB, sql: str, params: tuple[Any, ...]) -> tuple[float, list[str]]:
    """One baseline page: the raw query plus ``json.dumps`` of its rows (seconds, ids)."""
    t0 = time.perf_counter()
    cols, rows = raw.query(sql, params)
    body = json.dumps([dict(zip(cols, r, strict=True)) for r in rows[:PAGE]], default=str)
    elapsed = time.perf_counter() - t0
    assert body
    return elapsed, [str(r[0]) for r in rows[:PAGE]]


class Client:
    """GET requests on one keep-alive HTTP/1.1 connection (``http.client``)."""

    def __init__(self, base: str, headers: dict[str, str]) -> None:
        import http.client
        from urllib.parse import urlsplit

        parts = urlsplit(base)
        host = parts.hostname or "127.0.0.1"
        self.conn = http.client.HTTPConnection(host, parts.port, timeout=60)
        self.headers = headers

    def get(self, path: str) -> tuple[int, bytes]:
        self.conn.request("GET", path, headers=self.headers)
        r = self.conn.getresponse()
        return r.status, r.read()

    def close(self) -> None:
        self.conn.close()


def api_once(client: Client, path: str) -> tuple[float, list[str]]:
    """One page through the HTTP API, body read (seconds, ids; decoded after the clock)."""
    t0 = time.perf_counter()
    status, body = client.get(path)
    elapsed = time.perf_counter() - t0
    if status != 200:
        raise RuntimeError(f"API answered {status}: {body[:300]!r}")
    return elapsed, [x["id"] for x in json.loads(body)["data"]]


def time_pair(
    client: Client,
    path: str,
    raw: RawDB,
    sql: str,
    sql_params: tuple[Any, ...],
    n: int,
) -> tuple[list[float], list[float], list[str], list[str]]:
    """``n`` timed API requests and ``n`` baseline queries, alternating one by one so load
    from elsewhere on the machine hits both sides alike (after a warm-up of both)."""
    api_s: list[float] = []
    base_s: list[float] = []
    api_ids: list[str] = []
    base_ids: list[str] = []
    for k in range(n + WARMUP):
        a, api_ids = api_once(client, path)
        b, base_ids = baseline_once(raw, sql, sql_params)
        if k >= WARMUP:
            api_s.append(a)
            base_s.append(b)
    return api_s, base_s, api_ids, base_ids


def offset_ids(ds: Dataset, raw: RawDB, page: int) -> list[str]:
    """The ids of ``page`` found the slow way (OFFSET), to check the cursor's page."""
    _, rows = raw.query(
        f'SELECT id FROM "{ds.table}" WHERE owner_id = ? AND deleted_at IS NULL '
        f"ORDER BY created_at, id LIMIT {PAGE} OFFSET ?",
        (ds.big_owner, (page - 1) * PAGE),
    )
    return [str(r[0]) for r in rows]


def bench_db(opts: Options, session: Session, kind: str) -> list[Result]:
    from urllib.parse import urlencode

    ds = session.dataset(kind)
    server = session.server(kind)
    n = opts.requests or REQUESTS
    deep = deep_page(opts, ds)
    raw = RawDB(ds)
    out: list[Result] = []
    client = Client(server.base, {"Authorization": f"Bearer {ds.token}"})
    try:
        for label, page in (("page1", 1), ("deep", deep)):
            pos = cursor_position(ds, raw, page)
            params = {"owner_id": ds.big_owner, "sort": "created_at", "limit": str(PAGE)}
            cursor = api_cursor(ds, pos)
            if cursor:
                params["cursor"] = cursor
            sql = page_sql(ds.table, pos is not None)
            path = f"/api/v1/records/{CONTACT}?{urlencode(params)}"
            api_s, base_s, api_ids, base_ids = time_pair(
                client, path, raw, sql, baseline_params(ds, pos), n
            )
            expected = offset_ids(ds, raw, page)
            same = api_ids == expected == base_ids and len(api_ids) == PAGE
            name = f"list_query.{label}.{kind}"
            if not same:
                out.append(
                    failed(
                        name,
                        "ms",
                        GOAL,
                        "the API's page differs from the OFFSET query's page",
                        goal_op="<=",
                        page=page,
                    )
                )
                continue
            out.append(
                measured(
                    name,
                    median_ms(api_s),
                    median_ms(base_s),
                    "ms",
                    GOAL,
                    "<=",
                    page=page,
                    rows=ds.n,
                    owner_rows=_count(ds, ds.big_owner),
                    requests=len(api_s),
                    same_page_as_offset=same,
                )
            )
        session.exercised.add(("list_query", kind))
    finally:
        client.close()
        raw.close()
    return out


def run(opts: Options, session: Session) -> list[Result]:
    return each_db(opts, session, "list_query", "ms", GOAL, "<=", bench_db, ("page1", "deep"))


if __name__ == "__main__":
    main_for(run, __doc__ or "")
