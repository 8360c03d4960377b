"""The migrated system schema equals ``accord.db.tables.metadata`` (Alembic's compare finds no
difference), on the session database (SQLite, or PostgreSQL with ACCORD_TEST_DATABASE_URL) and
after upgrading a 0.1 database that already holds a user and an API token."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, text

from accord.core.context import Runtime
from accord.core.ids import new_id
from accord.db.engine import make_engine
from accord.schema import alembic_config, all_system_metadata

OBJECT_TABLE_PREFIXES = ("obj_", "m2m_", "fts_")


def _include(obj: Any, name: Any, type_: str, reflected: bool, compare_to: Any) -> bool:
    # As accord/migrations/env.py: tables of the metadata engine are not Alembic's.
    if type_ == "table" and reflected and compare_to is None:
        return not str(name).startswith(OBJECT_TABLE_PREFIXES)
    return True


def _diffs(conn: Connection) -> list[Any]:
    mc = MigrationContext.configure(conn, opts={"include_object": _include})
    return list(compare_metadata(mc, all_system_metadata()))


def test_the_session_schema_equals_the_metadata(runtime: Runtime) -> None:
    with runtime.engine.connect() as conn:
        assert _diffs(conn) == []


@contextmanager
def _scratch(runtime: Runtime, tmp_path: Path) -> Iterator[Connection]:
    """An empty database: an SQLite file, or a PostgreSQL schema rolled back at the end."""
    if runtime.engine.dialect.name != "postgresql":
        engine = make_engine(f"sqlite:///{tmp_path / 'upgrade.db'}")
        with engine.begin() as conn:
            yield conn
        engine.dispose()
        return
    with runtime.engine.connect() as conn:
        tx = conn.begin()
        schema = f"upgrade_{new_id().replace('-', '')[:12]}"
        conn.execute(text(f"CREATE SCHEMA {schema}"))
        conn.execute(text(f"SET LOCAL search_path TO {schema}"))
        try:
            yield conn
        finally:
            tx.rollback()


def test_upgrading_a_database_with_users_and_tokens(runtime: Runtime, tmp_path: Path) -> None:
    with _scratch(runtime, tmp_path) as conn:
        # Given a 0.1 database with an administrator, a department and a token
        command.upgrade(alembic_config(conn), "0001")
        uid, did = new_id(), new_id()
        now = runtime.clock.now().isoformat()
        conn.execute(
            text("INSERT INTO departments (id, name, created_at) VALUES (:id, '销售部', :now)"),
            {"id": did, "now": now},
        )
        conn.execute(
            text(
                "INSERT INTO users (id, login, name, is_admin, is_active, locale, timezone, "
                "department_id, created_at, updated_at) VALUES "
                "(:id, 'old.admin', '管理员', true, true, 'zh_CN', 'Asia/Shanghai', :did, "
                ":now, :now)"
            ),
            {"id": uid, "did": did, "now": now},
        )
        conn.execute(
            text(
                "INSERT INTO api_tokens (id, user_id, name, token_hash, prefix, created_at) "
                "VALUES (:id, :uid, 'cli', :hash, 'acc_xxxxxx', :now)"
            ),
            {"id": new_id(), "uid": uid, "hash": new_id(), "now": now},
        )
        # When it is upgraded to the newest revision
        command.upgrade(alembic_config(conn), "head")
        # Then the schema equals the metadata and the rows are intact
        assert _diffs(conn) == []
        row = conn.execute(text("SELECT login, department_id, manager_id, mobile FROM users")).one()
        assert (row.login, str(row.department_id), row.manager_id, row.mobile) == (
            "old.admin", did, None, None,
        )  # fmt: skip
        assert conn.execute(text("SELECT count(*) FROM api_tokens")).scalar() == 1
