"""Small helpers where SQLite and PostgreSQL differ; callers stay dialect-agnostic."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert


def upsert_insert(conn: Connection, table: Table) -> Any:
    """The dialect's INSERT construct; both offer ``on_conflict_do_nothing(index_elements=…)``,
    ``on_conflict_do_update`` and ``returning``."""
    return pg_insert(table) if conn.dialect.name == "postgresql" else sqlite_insert(table)


def insert_ignore(
    conn: Connection, table: Table, values: dict[str, Any] | list[dict[str, Any]]
) -> int:
    """INSERT … ON CONFLICT DO NOTHING; returns the number of rows inserted."""
    res = conn.execute(upsert_insert(conn, table).on_conflict_do_nothing(), values)
    return res.rowcount or 0


def is_postgres(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"
