"""Definition changes as typed plans: old → new definitions become frozen DDL actions.

The plan compares the wanted definition with the database as it is (inspected), so applying a
plan twice does nothing the second time, and ``accord migrate --dry-run`` can show what would
run. ``accord.meta.ddl`` applies a plan in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Connection, inspect

from accord.meta.fieldtypes.registry import get_type
from accord.meta.fieldtypes.relations import link_table_name
from accord.meta.model import FieldDef, ObjectDef
from accord.meta.registry import build_table, field_columns, object_metadata, owned_indexes
from accord.meta.search_index import search_columns, search_index_exists


@dataclass(frozen=True)
class CreateTable:
    object: str

    def describe(self) -> str:
        return f"create table obj_{self.object}"


@dataclass(frozen=True)
class AddColumn:
    object: str
    field: str
    column: str

    def describe(self) -> str:
        return f"add column obj_{self.object}.{self.column}"


@dataclass(frozen=True)
class AddIndex:
    object: str
    name: str
    unique: bool

    def describe(self) -> str:
        return f"create {'unique ' if self.unique else ''}index {self.name}"


@dataclass(frozen=True)
class DropIndex:
    object: str
    name: str

    def describe(self) -> str:
        return f"drop index {self.name}"


@dataclass(frozen=True)
class CreateLinkTable:
    object: str
    field: str
    target: str

    def describe(self) -> str:
        return f"create link table for {self.object}.{self.field} → {self.target}"


@dataclass(frozen=True)
class ConvertColumn:
    object: str
    field: str
    old_type: str
    new_type: str

    def describe(self) -> str:
        return f"convert {self.object}.{self.field} from {self.old_type} to {self.new_type}"


@dataclass(frozen=True)
class RebuildSearch:
    object: str
    columns: tuple[str, ...]

    def describe(self) -> str:
        return f"rebuild search index of {self.object} over {', '.join(self.columns) or 'nothing'}"


@dataclass(frozen=True)
class DropColumns:
    """Destructive: only planned for an explicit purge of archived fields."""

    object: str
    field: str
    columns: tuple[str, ...]

    def describe(self) -> str:
        return f"drop columns {', '.join(self.columns)} of obj_{self.object} (purge {self.field})"


Action = (
    CreateTable
    | AddColumn
    | AddIndex
    | DropIndex
    | CreateLinkTable
    | ConvertColumn
    | RebuildSearch
    | DropColumns
)


def plan_object(
    conn: Connection,
    new: ObjectDef,
    old: ObjectDef | None,
    objects: Mapping[str, ObjectDef],
    *,
    purge: tuple[str, ...] = (),
) -> list[Action]:
    insp = inspect(conn)
    actions: list[Action] = []
    wanted = build_table(new, object_metadata(), objects)
    if not insp.has_table(new.table_name):
        actions.append(CreateTable(new.name))
        existing_cols: set[str] = set()
        existing_idx: set[str] = set()
    else:
        existing_cols = {c["name"] for c in insp.get_columns(new.table_name)}
        existing_idx = {i["name"] for i in insp.get_indexes(new.table_name) if i["name"]}
        for f in new.fields:
            for col in field_columns(f, objects):
                if col.name not in existing_cols:
                    actions.append(AddColumn(new.name, f.name, col.name))
        if old is not None:
            actions += _conversions(old, new)
    wanted_idx = {i.name: i for i in owned_indexes(new, wanted)}
    for name, idx in wanted_idx.items():
        if name not in existing_idx:
            actions.append(AddIndex(new.name, str(name), bool(idx.unique)))
    prefix = (f"ix_{new.table_name}_", f"uq_{new.table_name}_")
    for name in sorted(existing_idx):
        if name.startswith(prefix) and name not in wanted_idx:
            actions.append(DropIndex(new.name, name))
    for f in new.fields:
        if (
            f.type == "many_to_many"
            and f.active
            and not insp.has_table(link_table_name(new.name, f.name))
        ):
            actions.append(CreateLinkTable(new.name, f.name, str(f.options.get("target"))))
    wanted_search = search_columns(new)
    old_search = search_columns(old) if old is not None else ()
    exists = search_index_exists(conn, new)
    if wanted_search != old_search or (wanted_search and not exists):
        actions.append(RebuildSearch(new.name, wanted_search))
    for name in purge:
        f = old.field(name) if old is not None else None
        if f is not None and not f.active and new.field(name) is None:
            cols = tuple(c.name for c in field_columns(f, objects) if c.name in existing_cols)
            if cols:
                actions.append(DropColumns(new.name, name, cols))
    return actions


def _conversions(old: ObjectDef, new: ObjectDef) -> list[Action]:
    out: list[Action] = []
    for f in new.fields:
        prev: FieldDef | None = old.field(f.name)
        if prev is None or (prev.type == f.type and _same_columns(prev, f)):
            continue
        out.append(ConvertColumn(new.name, f.name, prev.type, f.type))
    return out


def _same_columns(a: FieldDef, b: FieldDef) -> bool:
    ca = (
        [(c.name, repr(c.type)) for c in get_type(a.type).columns(a)]
        if get_type(a.type).stored
        else []
    )
    cb = (
        [(c.name, repr(c.type)) for c in get_type(b.type).columns(b)]
        if get_type(b.type).stored
        else []
    )
    return ca == cb
