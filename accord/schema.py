"""System schema lifecycle: Alembic migrations for every package's system tables, run
programmatically. It sits above the packages whose tables it gathers (db, jobs, …)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData

MIGRATIONS = Path(__file__).parent / "migrations"


def all_system_metadata() -> MetaData:
    """The shared metadata with every package's system tables registered on it."""
    import accord.automation.tables
    import accord.jobs.tables
    import accord.notifications.tables
    import accord.webhooks.tables
    import accord.workflow.tables  # noqa: F401  (each registers its tables)
    from accord.db.tables import metadata

    return metadata


def alembic_config(conn: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if conn is not None:
        cfg.attributes["connection"] = conn
    return cfg


def upgrade(engine: Engine) -> None:
    """Bring the system tables to the newest revision (idempotent)."""
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")


def pending(engine: Engine) -> list[str]:
    """Revisions not yet applied."""
    script = ScriptDirectory.from_config(alembic_config())
    with engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    heads = script.get_revisions("heads")
    out: list[str] = []
    for rev in script.walk_revisions():
        if rev.revision in current:
            break
        out.append(rev.revision)
    return [] if current >= {h.revision for h in heads} else out
