"""Loaded definitions and the SQLAlchemy tables built from them, cached per process.

The cache is keyed by ``meta_state.version``: every definition change bumps it in the same
transaction, so another process notices on its next unit of work and reloads (no process-local
state is trusted across requests).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, Integer, MetaData, Table, select

from accord.core.context import Context
from accord.core.errors import NotFound
from accord.db import tables as t
from accord.db.prepared import raw_scalar
from accord.db.types import IdType, UTCDateTime
from accord.meta.fieldtypes.base import FieldType
from accord.meta.fieldtypes.registry import get_type
from accord.meta.model import ACTIVE, FieldDef, ObjectDef, ValidationRule


@dataclass
class Registry:
    """Definitions of one metadata version plus their tables."""

    version: int
    objects: dict[str, ObjectDef]
    checked_at: float = 0.0  # time.monotonic() when ``version`` was last found current
    sa_metadata: MetaData = field(default_factory=lambda: object_metadata())
    _tables: dict[str, Table] = field(default_factory=dict)

    def object(self, name: str) -> ObjectDef:
        obj = self.objects.get(name) if isinstance(name, str) else None
        if obj is None or obj.status != ACTIVE:
            raise NotFound("OBJECT_NOT_FOUND", f"There is no object named {name!r}.")
        return obj

    def table(self, name: str) -> Table:
        tbl = self._tables.get(name)
        if tbl is None:
            tbl = build_table(self.object(name), self.sa_metadata, self.objects)
            self._tables[name] = tbl
        return tbl

    def field_type(self, f: FieldDef) -> FieldType:
        return get_type(f.type)


def object_metadata() -> MetaData:
    """A MetaData for object tables, holding the system tables their foreign keys may name."""
    md = MetaData()
    for tbl in (t.departments, t.users):
        tbl.to_metadata(md)
    return md


def system_columns(obj: ObjectDef) -> list[Column[Any]]:
    cols: list[Column[Any]] = [
        Column("id", IdType, primary_key=True),
        Column("version", Integer, nullable=False),
        Column("created_at", UTCDateTime, nullable=False),
        Column("updated_at", UTCDateTime, nullable=False),
        Column("created_by", IdType, nullable=True),
        Column("updated_by", IdType, nullable=True),
        Column("deleted_at", UTCDateTime, nullable=True),
        Column("deleted_by", IdType, nullable=True),
    ]
    if obj.ownable:
        cols.append(Column("owner_id", IdType, nullable=True))
    return cols


def field_columns(f: FieldDef, objects: Mapping[str, ObjectDef]) -> list[Column[Any]]:
    """Physical columns of a field (archived fields keep theirs until purged)."""
    ftype = get_type(f.type)
    if not ftype.stored:
        return []
    cols: list[Column[Any]] = []
    for spec in ftype.columns(f):
        args: list[Any] = []
        if spec.foreign_key:
            args.append(ForeignKey(spec.foreign_key, ondelete=spec.on_delete))
        cols.append(Column(spec.name, spec.type, *args, nullable=True))
    return cols


def index_name(table: str, column: str, unique: bool = False) -> str:
    return f"{'uq' if unique else 'ix'}_{table}_{column}"[:63]


def build_table(obj: ObjectDef, md: MetaData, objects: Mapping[str, ObjectDef]) -> Table:
    cols = system_columns(obj)
    for f in obj.fields:
        cols.extend(field_columns(f, objects))
    tbl = Table(obj.table_name, md, *cols, extend_existing=True)
    return tbl


def owned_indexes(obj: ObjectDef, tbl: Table) -> list[Index]:
    """Indexes Accord maintains on an object table (system ones plus unique/indexed fields)."""
    idx = [
        Index(index_name(tbl.name, "created_at"), tbl.c.created_at, tbl.c.id),
        Index(index_name(tbl.name, "updated_at"), tbl.c.updated_at, tbl.c.id),
    ]
    if obj.ownable:
        idx.append(
            Index(index_name(tbl.name, "owner_id"), tbl.c.owner_id, tbl.c.created_at, tbl.c.id)
        )
    for f in obj.fields:
        ftype = get_type(f.type)
        if not ftype.stored or not f.active:
            continue
        specs = ftype.columns(f)
        first = specs[0].name
        if f.unique or getattr(ftype, "implies_unique", False):
            idx.append(Index(index_name(tbl.name, first, True), tbl.c[first], unique=True))
        elif f.indexed or any(s.foreign_key for s in specs):
            idx.append(Index(index_name(tbl.name, first), tbl.c[first]))
    return idx


# --- loading --------------------------------------------------------------------------------


def current_version(ctx: Context) -> int:
    # Checked on every request: straight on the DBAPI cursor, a fraction of what
    # Connection.execute costs for it (accord/db/prepared.py).
    return int(raw_scalar(ctx.conn, _VERSION_SQL) or 0)


READ_RECHECK_SECONDS = 1.0
_VERSION_SQL = f"SELECT version FROM {t.meta_state.name} WHERE id = 1"


def load(ctx: Context) -> Registry:
    """The registry for the database's current metadata version: checked once per unit of work,
    cached per runtime across units of work."""
    memo = ctx.memo.get("meta")
    if memo is not None:
        return memo  # type: ignore[no-any-return]
    cached: Registry | None = ctx.runtime.caches.get("meta")
    now = time.monotonic()
    if (
        cached is not None
        and now - cached.checked_at < READ_RECHECK_SECONDS
        and ctx.conn.get_execution_options().get("accord_readonly", False)
    ):
        # Reads trust a copy checked within the last second (ADR 0019): a change made by another
        # process reaches this one's reads within that bound; this process's own changes and
        # every write unit of work see the current version at once.
        ctx.memo["meta"] = cached
        return cached
    version = current_version(ctx)
    if cached is None or cached.version != version:
        cached = Registry(version=version, objects=read_definitions(ctx))
        if not ctx.memo.get("meta_uncommitted"):
            # Definitions changed in a transaction that may still roll back must not become the
            # process-wide copy of that version number.
            ctx.runtime.caches["meta"] = cached
    cached.checked_at = now
    ctx.memo["meta"] = cached
    return cached


def forget(ctx: Context) -> None:
    """Drop cached definitions after a change made (and not yet committed) in this unit of
    work."""
    ctx.memo.pop("meta", None)
    ctx.memo["meta_uncommitted"] = True
    ctx.runtime.caches.pop("meta", None)


def read_definitions(ctx: Context) -> dict[str, ObjectDef]:
    fields_by_obj: dict[str, list[FieldDef]] = {}
    for r in ctx.conn.execute(
        select(t.meta_fields).order_by(t.meta_fields.c.object_name, t.meta_fields.c.position)
    ).mappings():
        fields_by_obj.setdefault(r["object_name"], []).append(field_from_row(r))
    out: dict[str, ObjectDef] = {}
    for r in ctx.conn.execute(select(t.meta_objects)).mappings():
        settings = r["settings"] or {}
        out[r["name"]] = ObjectDef(
            name=r["name"],
            label=r["label"],
            plural_label=r["plural_label"],
            description=r["description"],
            ownable=r["ownable"],
            title_field=r["title_field"],
            icon=settings.get("icon"),
            validation_rules=tuple(
                ValidationRule(
                    name=v["name"],
                    condition=v["condition"],
                    message=v["message"],
                    fields=tuple(v.get("fields", ())),
                )
                for v in settings.get("validation_rules", ())
            ),
            system=r["is_system"],
            status=r["status"],
            fields=tuple(fields_by_obj.get(r["name"], ())),
        )
    return out


def field_from_row(r: Mapping[str, Any]) -> FieldDef:
    return FieldDef(
        name=r["name"],
        type=r["type"],
        label=r["label"],
        help=r["help"],
        required=r["required"],
        unique=r["is_unique"],
        indexed=r["indexed"],
        read_only=r["read_only"],
        searchable=r["searchable"],
        default=r["default"],
        options=r["options"] or {},
        validation=r["validation"] or {},
        position=r["position"],
        status=r["status"],
        system=r["is_system"],
    )
