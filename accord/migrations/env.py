"""Alembic environment for Accord's system tables (object tables are managed by ``meta``)."""

from __future__ import annotations

from alembic import context

from accord.schema import all_system_metadata

config = context.config
target_metadata = all_system_metadata()


def include_object(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
    # Object tables, link tables and search tables belong to the metadata engine, not Alembic.
    if type_ == "table" and reflected and compare_to is None:
        return not str(name).startswith(("obj_", "m2m_", "fts_"))
    return True


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    assert connection is not None, "Accord runs migrations on a connection it provides"
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=include_object,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
