"""The audit log is append-only in the database itself: UPDATE and DELETE (and, on PostgreSQL,
TRUNCATE) are refused by triggers, whoever sends them."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError

from accord.auth import audit
from accord.core.context import Context, Runtime
from accord.db import tables as t
from accord.db.engine import unit_of_work


def _entry(runtime: Runtime) -> int:
    with unit_of_work(runtime.engine) as conn:
        audit.record(Context(runtime=runtime, conn=conn), "test.append", "test", "x", {"n": 1})
        return int(conn.execute(select(func.max(t.audit_log.c.id))).scalar_one())


@pytest.mark.parametrize(
    "statement",
    [
        lambda i: update(t.audit_log).where(t.audit_log.c.id == i).values(action="test.forged"),
        lambda i: update(t.audit_log).values(details={}),
        lambda i: delete(t.audit_log).where(t.audit_log.c.id == i),
        lambda i: delete(t.audit_log),
    ],
    ids=["update-one", "update-all", "delete-one", "delete-all"],
)
def test_the_database_refuses_to_change_or_delete_audit_entries(
    runtime: Runtime, statement: object
) -> None:
    entry_id = _entry(runtime)
    with runtime.engine.connect() as conn, conn.begin() as tx:
        with pytest.raises(DBAPIError, match="append-only"):
            conn.execute(statement(entry_id))  # type: ignore[operator]
        tx.rollback()
    with runtime.engine.connect() as conn:
        row = conn.execute(select(t.audit_log).where(t.audit_log.c.id == entry_id)).mappings().one()
    assert row["action"] == "test.append" and row["details"] == {"n": 1}


def test_postgresql_refuses_truncate_too(runtime: Runtime) -> None:
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL's (SQLite has none)")
    _entry(runtime)
    with runtime.engine.connect() as conn, conn.begin() as tx:
        with pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text("TRUNCATE audit_log"))
        tx.rollback()


def test_appending_still_works(runtime: Runtime) -> None:
    first, second = _entry(runtime), _entry(runtime)
    assert second > first
