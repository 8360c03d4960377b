"""Per-object codecs: the precomputed mapping between rows, canonical values and JSON.

Built once per metadata version and object (cached on the registry), so hot paths (a GET by id,
a page of 50, a bulk insert of a million rows) do no per-row definition lookups.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Dialect, Table, bindparam, select

from accord.db.prepared import Prepared
from accord.meta.fieldtypes.base import FieldType
from accord.meta.model import FieldDef, ObjectDef
from accord.meta.registry import Registry

SYSTEM_FIELDS = ("id", "version", "created_at", "updated_at", "created_by", "updated_by")


@dataclass(frozen=True)
class FieldCodec:
    field: FieldDef
    type: FieldType
    columns: tuple[str, ...]
    single: bool

    @property
    def name(self) -> str:
        return self.field.name


def iso(v: datetime | None) -> str | None:
    if v is None:
        return None
    return v.isoformat().replace("+00:00", "Z")


@dataclass
class ObjectCodec:
    obj: ObjectDef
    table: Table
    fields: dict[str, FieldCodec]  # active fields, definition order
    stored: list[FieldCodec]  # active fields with columns
    computed: list[FieldCodec]
    system_fields: tuple[str, ...]
    plans: dict[Any, Any] = field(default_factory=dict)  # JSON plans, prepared statements

    @classmethod
    def build(cls, reg: Registry, name: str) -> ObjectCodec:
        obj = reg.object(name)
        table = reg.table(name)
        fields: dict[str, FieldCodec] = {}
        for f in obj.active_fields:
            ft = reg.field_type(f)
            cols = tuple(c.name for c in ft.columns(f)) if ft.stored else ()
            fields[f.name] = FieldCodec(f, ft, cols, ft.single_column and len(cols) == 1)
        system = SYSTEM_FIELDS + (("owner_id",) if obj.ownable else ())
        return cls(
            obj=obj,
            table=table,
            fields=fields,
            stored=[fc for fc in fields.values() if fc.columns],
            computed=[fc for fc in fields.values() if fc.type.computed],
            system_fields=system,
        )

    def decode(self, row: Mapping[str, Any], only: set[str] | None = None) -> dict[str, Any]:
        """A row (column → value) → record (field → canonical value)."""
        if type(row) is not dict:
            # One copy into a dict: the lookups below are then C dict operations instead of
            # SQLAlchemy RowMapping's Python-level Mapping.get/__contains__ (~25 % of decode).
            row = dict(row)
        rec: dict[str, Any] = {k: row[k] for k in self.system_fields if k in row}
        if row.get("deleted_at") is not None:
            rec["deleted_at"] = row["deleted_at"]
        for fc in self.stored:
            if only is not None and fc.name not in only:
                continue
            if fc.single:
                rec[fc.name] = row.get(fc.name)
            elif all(c in row for c in fc.columns):
                rec[fc.name] = fc.type.from_columns(row, fc.field)
        return rec

    def by_id(self, dialect: Dialect) -> Prepared:
        """``SELECT * … WHERE id = :rid``, prepared once per dialect."""
        key = ("by_id", dialect.name)
        prepared = self.plans.get(key)
        if prepared is None:
            stmt = select(self.table).where(self.table.c.id == bindparam("rid"))
            prepared = self.plans[key] = Prepared(stmt, dialect)
        return prepared  # type: ignore[no-any-return]

    def to_json(self, rec: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k in self.system_fields:
            if k in rec:
                v = rec[k]
                out[k] = iso(v) if isinstance(v, datetime) else v
        if rec.get("deleted_at") is not None:
            out["deleted_at"] = iso(rec["deleted_at"])
        for name, fc in self.fields.items():
            if name in rec:
                v = rec[name]
                out[name] = None if v is None else fc.type.to_json(v, fc.field)
        return out


def codec(reg: Registry, name: str) -> ObjectCodec:
    cache: dict[str, ObjectCodec] = reg.__dict__.setdefault("_codecs", {})
    c = cache.get(name)
    if c is None:
        c = cache[name] = ObjectCodec.build(reg, name)
    return c
