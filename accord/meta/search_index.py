"""Global substring search that works for Chinese and Latin text alike.

SQLite: an FTS5 table with the trigram tokenizer per object, external content on the object
table, kept current by triggers (so every write path, including raw bulk paths, stays indexed).
PostgreSQL: a GIN ``pg_trgm`` index over the concatenated searchable columns.
Queries of fewer than three characters cannot use trigrams; they fall back to a LIKE scan.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Connection, Select, Table, literal_column, select, text

from accord.meta.fieldtypes.registry import get_type
from accord.meta.identifiers import assert_identifier
from accord.meta.model import ObjectDef


def search_columns(obj: ObjectDef | None) -> tuple[str, ...]:
    """Columns of the object's search index: its active fields marked searchable."""
    if obj is None:
        return ()
    return tuple(
        f.name
        for f in obj.fields
        if f.searchable and f.active and get_type(f.type).can_be_searchable
    )


def fts_name(obj: ObjectDef) -> str:
    return assert_identifier(f"fts_{obj.name}")


def pg_index_name(obj: ObjectDef) -> str:
    return assert_identifier(f"trgm_{obj.table_name}"[:63])


def search_index_exists(conn: Connection, obj: ObjectDef) -> bool:
    if conn.dialect.name == "sqlite":
        row = conn.execute(
            text("SELECT 1 FROM sqlite_master WHERE type='table' AND name=:n"),
            {"n": fts_name(obj)},
        ).first()
    else:
        row = conn.execute(
            text("SELECT 1 FROM pg_indexes WHERE indexname=:n"), {"n": pg_index_name(obj)}
        ).first()
    return row is not None


def _pg_expression(cols: tuple[str, ...]) -> str:
    parts = [f"coalesce({assert_identifier(c)}::text, '')" for c in cols]
    return "(" + " || ' ' || ".join(parts) + ")"


def rebuild(conn: Connection, obj: ObjectDef, cols: tuple[str, ...]) -> None:
    """Drop and recreate the object's search index over ``cols`` (identifiers pre-validated)."""
    table = assert_identifier(obj.table_name)
    if conn.dialect.name == "sqlite":
        fts = fts_name(obj)
        for suffix in ("ai", "ad", "au"):
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {fts}")
        if not cols:
            return
        safe = [assert_identifier(c) for c in cols]
        names = ", ".join(safe)
        new_vals = ", ".join(f"new.{c}" for c in safe)
        old_vals = ", ".join(f"old.{c}" for c in safe)
        conn.exec_driver_sql(
            f"CREATE VIRTUAL TABLE {fts} USING fts5({names}, content='{table}', "
            f"content_rowid='rowid', tokenize='trigram')"
        )
        conn.exec_driver_sql(
            f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN "
            f"INSERT INTO {fts}(rowid, {names}) VALUES (new.rowid, {new_vals}); END"
        )
        conn.exec_driver_sql(
            f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.rowid, {old_vals}); "
            "END"
        )
        conn.exec_driver_sql(
            f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {names} ON {table} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.rowid, {old_vals}); "
            f"INSERT INTO {fts}(rowid, {names}) VALUES (new.rowid, {new_vals}); END"
        )
        conn.exec_driver_sql(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")
        return
    idx = pg_index_name(obj)
    conn.exec_driver_sql(f"DROP INDEX IF EXISTS {idx}")
    if cols:
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        conn.exec_driver_sql(
            f"CREATE INDEX {idx} ON {table} USING gin ({_pg_expression(cols)} gin_trgm_ops)"
        )


def _like_escape(q: str) -> str:
    return q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def matching_ids(
    conn: Connection,
    obj: ObjectDef,
    table: Table,
    q: str,
    *,
    hidden: frozenset[str] = frozenset(),
) -> Select[tuple[str]] | None:
    """A SELECT of ids of ``obj`` records whose searchable text contains ``q`` (None: no index),
    matching only in the searchable fields not in ``hidden``."""
    all_cols = search_columns(obj)
    cols = tuple(c for c in all_cols if c not in hidden)
    if not cols or not q:
        return None
    if conn.dialect.name == "sqlite":
        fts = fts_name(obj)
        fts_rowids: ColumnElement[bool]
        if len(q) >= 3:
            phrase = '"' + q.replace('"', '""') + '"'
            if len(cols) < len(all_cols):  # an FTS5 column filter: only the visible columns
                phrase = "{" + " ".join(assert_identifier(c) for c in cols) + "} : " + phrase
            rowids = (
                select(literal_column("rowid"))
                .select_from(text(fts))
                .where(text(f"{fts} MATCH :phrase").bindparams(phrase=phrase))
            )
        else:
            pattern = f"%{_like_escape(q)}%"
            likes = " OR ".join(f"{assert_identifier(c)} LIKE :pat ESCAPE '\\'" for c in cols)
            rowids = (
                select(literal_column("rowid"))
                .select_from(text(fts))
                .where(text(f"({likes})").bindparams(pat=pattern))
            )
        fts_rowids = literal_column(f"{assert_identifier(table.name)}.rowid").in_(rowids)
        return select(table.c.id).where(fts_rowids)
    pattern = f"%{_like_escape(q)}%"
    # The indexed expression (all searchable columns) finds candidates through the trigram
    # index; with hidden columns, the visible ones must match on their own too.
    matches = [literal_column(_pg_expression(all_cols)).ilike(pattern, escape="\\")]
    if len(cols) < len(all_cols):
        matches.append(literal_column(_pg_expression(cols)).ilike(pattern, escape="\\"))
    return select(table.c.id).where(*matches)
