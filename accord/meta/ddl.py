"""Apply a plan (``accord.meta.plan``) in the caller's transaction.

PostgreSQL runs DDL transactionally; so does SQLite. Where SQLite cannot ALTER (a column's type),
the conversion goes through a new column filled in Python, then a rename, which both dialects
support — the same path everywhere keeps the behaviour identical.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Table,
    bindparam,
    inspect,
    select,
    update,
)
from sqlalchemy.schema import AddConstraint, CreateColumn
from sqlalchemy.schema import CreateTable as CreateTableDDL

from accord.core.errors import FieldError, Invalid
from accord.db.types import IdType
from accord.meta import search_index
from accord.meta.fieldtypes.base import FieldValueError
from accord.meta.fieldtypes.registry import get_type
from accord.meta.fieldtypes.relations import link_table_name
from accord.meta.identifiers import assert_identifier
from accord.meta.model import ObjectDef
from accord.meta.plan import (
    Action,
    AddColumn,
    AddIndex,
    ConvertColumn,
    CreateLinkTable,
    CreateTable,
    DropColumns,
    RebuildSearch,
)
from accord.meta.plan import DropIndex as DropIndexAction
from accord.meta.registry import build_table, field_columns, object_metadata, owned_indexes

MAX_REPORTED_ROWS = 20


def apply_plan(
    conn: Connection,
    actions: Sequence[Action],
    objects: Mapping[str, ObjectDef],
    old_objects: Mapping[str, ObjectDef] | None = None,
) -> None:
    md = object_metadata()
    tables: dict[str, Table] = {}

    def table(name: str) -> Table:
        if name not in tables:
            tables[name] = build_table(objects[name], md, objects)
            # Tables it references (lookups to existing objects) must be in the same MetaData
            # for SQLAlchemy to resolve the foreign keys.
            for fk in tables[name].foreign_keys:
                ref = fk.target_fullname.split(".")[0]
                if ref.startswith("obj_") and ref[4:] in objects and ref not in md.tables:
                    table(ref[4:])
        return tables[name]

    existing = set(inspect(conn).get_table_names())
    deferred: list[ForeignKeyConstraint] = []
    for action in actions:
        obj = objects[action.object]
        match action:
            case CreateTable():
                tbl = table(obj.name)
                # PostgreSQL checks that a foreign key's table exists; objects referencing each
                # other get the later constraint added once both tables exist.
                fks = [
                    fk
                    for fk in tbl.foreign_key_constraints
                    if fk.referred_table.name in existing or fk.referred_table.name == tbl.name
                ]
                later = [fk for fk in tbl.foreign_key_constraints if fk not in fks]
                conn.execute(CreateTableDDL(tbl, include_foreign_key_constraints=fks))
                existing.add(tbl.name)
                if conn.dialect.name != "sqlite":
                    deferred += later
            case AddColumn():
                col = next(
                    c
                    for c in field_columns(obj.field(action.field), objects)  # type: ignore[arg-type]
                    if c.name == action.column
                )
                _add_column(conn, obj, col)
            case AddIndex():
                idx = _index(obj, table(obj.name), action.name)
                idx.create(conn)
            case DropIndexAction():
                conn.exec_driver_sql(f"DROP INDEX IF EXISTS {assert_identifier(action.name)}")
            case CreateLinkTable():
                _create_link_table(conn, obj, action.field, action.target, objects)
            case ConvertColumn():
                old = (old_objects or {})[obj.name]
                _convert(conn, old, obj, action)
            case RebuildSearch():
                search_index.rebuild(conn, obj, action.columns)
            case DropColumns():
                for c in action.columns:
                    for idx in _indexes_on(conn, obj.table_name, c):
                        conn.exec_driver_sql(f"DROP INDEX IF EXISTS {assert_identifier(idx)}")
                    conn.exec_driver_sql(
                        f"ALTER TABLE {assert_identifier(obj.table_name)} "
                        f"DROP COLUMN {assert_identifier(c)}"
                    )
    for fk in deferred:
        conn.execute(AddConstraint(fk))


def _index(obj: ObjectDef, tbl: Table, name: str) -> Index:
    for idx in owned_indexes(obj, tbl):
        if idx.name == name:
            return idx
    raise KeyError(name)


def _indexes_on(conn: Connection, table: str, column: str) -> list[str]:
    return [
        i["name"]
        for i in inspect(conn).get_indexes(table)
        if i["name"] and column in (i.get("column_names") or [])
    ]


def _add_column(conn: Connection, obj: ObjectDef, col: Column[Any]) -> None:
    Table(obj.table_name, object_metadata(), col)  # binds the column to a table for compilation
    ddl = CreateColumn(col).compile(dialect=conn.dialect)
    fk = ""
    for fkey in col.foreign_keys:
        # SQLite allows REFERENCES on ADD COLUMN only when the default is NULL (it is).
        target = fkey.target_fullname.split(".")
        ondelete = f" ON DELETE {fkey.ondelete}" if fkey.ondelete else ""
        fk = f" REFERENCES {assert_identifier(target[0])}({assert_identifier(target[1])}){ondelete}"
    conn.exec_driver_sql(f"ALTER TABLE {assert_identifier(obj.table_name)} ADD COLUMN {ddl}{fk}")


def _create_link_table(
    conn: Connection, obj: ObjectDef, field: str, target: str, objects: Mapping[str, ObjectDef]
) -> None:
    md = object_metadata()
    build_table(obj, md, objects)
    build_table(objects[target], md, objects)
    name = link_table_name(obj.name, field)
    Table(
        name,
        md,
        Column(
            "record_id",
            IdType,
            ForeignKey(f"{obj.table_name}.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        Column(
            "target_id",
            IdType,
            ForeignKey(f"{objects[target].table_name}.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        Index(f"ix_{name}_target"[:63], "target_id"),
    ).create(conn)


def _convert(conn: Connection, old: ObjectDef, new: ObjectDef, action: ConvertColumn) -> None:
    """Convert a field's column to a new type, refusing (naming the rows) if any value won't."""
    of, nf = old.field(action.field), new.field(action.field)
    assert of is not None and nf is not None
    otype, ntype = get_type(of.type), get_type(nf.type)
    if not ntype.convertible_from(otype) or not (otype.single_column and ntype.single_column):
        raise Invalid(
            "FIELD_TYPE_CHANGE_UNSUPPORTED",
            f"A {of.type} field cannot become a {nf.type} field.",
            [FieldError(nf.name, "FIELD_TYPE_CHANGE_UNSUPPORTED", f"{of.type} → {nf.type}")],
        )
    md = object_metadata()
    old_tbl = build_table(old, md, {old.name: old})
    converted: list[tuple[str, Any]] = []
    bad: list[FieldError] = []
    for rid, value in conn.execute(
        select(old_tbl.c.id, old_tbl.c[of.name]).where(old_tbl.c[of.name].is_not(None))
    ):
        try:
            raw = otype.to_json(value, of)
            converted.append((rid, ntype.coerce(raw, nf)))
        except FieldValueError as exc:
            bad.append(FieldError(nf.name, exc.code, f"record {rid}: {exc.message}"))
    if bad:
        raise Invalid(
            "FIELD_TYPE_CHANGE_WOULD_LOSE_DATA",
            f"{len(bad)} record(s) hold values that are not valid {nf.type} values; "
            f"fix them first.",
            bad[:MAX_REPORTED_ROWS],
            data={"failed_count": len(bad)},
        )
    tmp_name = assert_identifier(f"{nf.name}_conv_tmp")
    tmp_col = Column(tmp_name, ntype.columns(nf)[0].type)
    _add_column(conn, new, tmp_col)
    tmp_tbl = Table(
        new.table_name, object_metadata(), Column("id", IdType), Column(tmp_name, tmp_col.type)
    )
    if converted:
        stmt = (
            update(tmp_tbl)
            .where(tmp_tbl.c.id == bindparam("rid"))
            .values({tmp_name: bindparam("val")})
        )
        conn.execute(stmt, [{"rid": r, "val": v} for r, v in converted])
    for idx in _indexes_on(conn, new.table_name, nf.name):
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS {assert_identifier(idx)}")
    t = assert_identifier(new.table_name)
    conn.exec_driver_sql(f"ALTER TABLE {t} DROP COLUMN {assert_identifier(nf.name)}")
    conn.exec_driver_sql(
        f"ALTER TABLE {t} RENAME COLUMN {tmp_name} TO {assert_identifier(nf.name)}"
    )
