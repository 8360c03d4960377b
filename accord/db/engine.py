"""Engine creation for the two supported databases.

SQLite runs in WAL mode with foreign keys on and a busy timeout, on a pooled connection per thread
(opening a connection per request costs more than the query). PostgreSQL uses psycopg 3.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, make_url
from sqlalchemy.pool import StaticPool


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        memory = url in ("sqlite://", "sqlite:///:memory:")
        if memory:
            kwargs["poolclass"] = StaticPool
        else:
            # Sized to the server's thread pool (anyio: 40), so requests reuse connections
            # instead of opening one (and re-running the PRAGMAs) per request.
            kwargs.setdefault("pool_size", 40)
            kwargs.setdefault("max_overflow", 10)
            # Most recently used first: SQLite's page cache is per connection, so a warm
            # connection answers a list page several times faster than the pool's coldest one.
            kwargs.setdefault("pool_use_lifo", True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    # Most recently used first: psycopg prepares a statement on a connection after a few runs
    # and PostgreSQL caches its plan there, so a warm connection skips the planning.
    kwargs.setdefault("pool_use_lifo", True)
    # Recycling replaces pre-ping (a round trip per checkout) for dropped server connections.
    kwargs.setdefault("pool_recycle", 1800)
    # Generic plans for prepared statements (psycopg prepares a statement after a few runs on a
    # connection): Accord's statements are keyed lookups and list pages whose plan does not
    # depend on the values, and PostgreSQL's default keeps re-planning some of them (a scoped
    # list page: ~1.4 ms of planning per request at 1,000,000 rows). Options already given in
    # the URL are kept.
    given = make_url(url).query.get("options", "")
    options = f"{given} -c plan_cache_mode=force_generic_plan".strip()
    kwargs.setdefault("connect_args", {}).setdefault("options", options)
    return create_engine(url, **kwargs)


def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy, not pysqlite, decide when transactions begin (see SQLAlchemy docs on
    # "Serializable isolation / Savepoints / Transactional DDL" for pysqlite).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA cache_size=-8192")  # 8 MB per connection keeps a full pool in budget
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.close()


def _sqlite_on_begin(conn: Connection) -> None:
    # Writers BEGIN IMMEDIATE so two of them queue on the write lock instead of failing on lock
    # upgrade. Readers stay in autocommit mode: each statement reads its own committed snapshot
    # (what READ COMMITTED gives on PostgreSQL) and a GET saves two round trips into SQLite.
    if not conn.get_execution_options().get("accord_readonly", False):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def unit_of_work(engine: Engine, *, readonly: bool = False) -> Iterator[Connection]:
    """One transaction: committed when the block ends, rolled back on any exception.

    A read-only unit of work runs each statement in its own snapshot instead (ADR 0015): on
    SQLite without BEGIN, on PostgreSQL in autocommit mode — what READ COMMITTED gives a
    transaction anyway, without the BEGIN and COMMIT round trips."""
    with engine.connect() as conn:
        if readonly:
            options: dict[str, Any] = {"accord_readonly": True}
            if conn.dialect.name == "postgresql":
                options["isolation_level"] = "AUTOCOMMIT"
            conn = conn.execution_options(**options)
        with conn.begin():
            yield conn
