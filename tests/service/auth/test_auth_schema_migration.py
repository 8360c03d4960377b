"""Migration 0003 (sessions, login throttling, two-factor, append-only audit log) upgrades and
downgrades on SQLite and PostgreSQL, and a database upgraded from 0002 refuses audit edits."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Connection, inspect, text
from sqlalchemy.exc import DBAPIError

from accord.core.context import Runtime
from accord.core.ids import new_id
from accord.db.engine import make_engine
from accord.schema import alembic_config

NEW_TABLES = {"sessions", "login_throttle", "user_totp", "recovery_codes"}


@contextmanager
def _scratch(runtime: Runtime, tmp_path: Path) -> Iterator[Connection]:
    """An empty database: an SQLite file, or a PostgreSQL schema rolled back at the end."""
    if runtime.engine.dialect.name != "postgresql":
        engine = make_engine(f"sqlite:///{tmp_path / 'auth-upgrade.db'}")
        with engine.begin() as conn:
            yield conn
        engine.dispose()
        return
    with runtime.engine.connect() as conn:
        tx = conn.begin()
        schema = f"auth_{new_id().replace('-', '')[:12]}"
        conn.execute(text(f"CREATE SCHEMA {schema}"))
        conn.execute(text(f"SET LOCAL search_path TO {schema}"))
        try:
            yield conn
        finally:
            tx.rollback()


def _tables(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names())


def _audit_row(conn: Connection) -> None:
    conn.execute(
        text(
            "INSERT INTO audit_log (at, action, target_type, details) "
            "VALUES (:at, 'x.y', 'test', '{}')"
        ),
        {"at": "2026-01-15T09:00:00.000000Z"},
    )


def test_0003_upgrades_downgrades_and_upgrades_again(runtime: Runtime, tmp_path: Path) -> None:
    with _scratch(runtime, tmp_path) as conn:
        cfg = alembic_config(conn)
        command.upgrade(cfg, "0002")
        _audit_row(conn)
        conn.execute(text("UPDATE audit_log SET action = 'x.z'"))  # 0002: not guarded yet
        command.upgrade(cfg, "0003")
        assert _tables(conn) >= NEW_TABLES
        indexes = {i["name"] for i in inspect(conn).get_indexes("audit_log")}
        assert {"ix_audit_log_actor", "ix_audit_log_action"} <= indexes
        savepoint = conn.begin_nested()
        with pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text("DELETE FROM audit_log"))
        savepoint.rollback()

        command.downgrade(cfg, "0002")
        assert not _tables(conn) & NEW_TABLES
        conn.execute(text("UPDATE audit_log SET action = 'x.w'"))  # the triggers are gone

        command.upgrade(cfg, "head")
        assert _tables(conn) >= NEW_TABLES
        savepoint = conn.begin_nested()
        with pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text("UPDATE audit_log SET action = 'x.v'"))
        savepoint.rollback()
        assert conn.execute(text("SELECT action FROM audit_log")).scalar() == "x.w"


def test_create_all_installs_the_append_only_triggers_too(runtime: Runtime, tmp_path: Path) -> None:
    from accord.schema import all_system_metadata

    with _scratch(runtime, tmp_path) as conn:
        all_system_metadata().create_all(conn)
        _audit_row(conn)
        for statement in ("UPDATE audit_log SET action = 'x.z'", "DELETE FROM audit_log"):
            savepoint = conn.begin_nested()
            with pytest.raises(DBAPIError, match="append-only"):
                conn.execute(text(statement))
            savepoint.rollback()
        assert conn.execute(text("SELECT action FROM audit_log")).scalar() == "x.y"
