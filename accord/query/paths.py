"""Resolving a field path (``amount``, ``billing_address.city``, ``contact.customer.region``)
against the object definitions into a ``FieldRef``: the hops to follow, the column to read and
the kind of value found there.

Rules (documented in README.md):
- up to ``MAX_HOPS`` hops, each across a ``lookup``/``master_detail`` field (a ref field whose
  ``options.target`` names an object); user and department fields and the system user references
  (``created_by``, ``updated_by``, ``owner_id``) are filterable by id only;
- a multi-column field is addressed by subfield (``amount.currency``); the bare name means the
  column named like the field (currency amount), otherwise a subfield must be named;
- system fields ``id version created_at updated_at created_by updated_by owner_id`` are
  filterable and sortable on every object (``owner_id`` on ownable objects only).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Table

from accord.meta.fieldtypes.base import FieldType
from accord.meta.fieldtypes.relations import link_table_name
from accord.meta.model import FieldDef, ObjectDef
from accord.meta.operators import OPERATORS_BY_KIND, Kind

MAX_HOPS = 3
MAX_PATH_CHARS = 200
_SEGMENT = re.compile(r"[a-z][a-z0-9_]{0,62}")

SYSTEM_FIELD_KINDS: dict[str, Kind] = {
    "id": "ref",
    "version": "integer",
    "created_at": "datetime",
    "updated_at": "datetime",
    "created_by": "ref",
    "updated_by": "ref",
    "owner_id": "ref",
}
# Ref fields whose target is a system table, not an object: filterable by id, never traversed.
_ID_ONLY_TYPES = frozenset({"user", "department"})
UNSORTABLE_KINDS = frozenset({"array", "link", "json"})


class RegistryLike(Protocol):
    """What the query engine needs of ``accord.meta.registry.Registry``."""

    def object(self, name: str) -> ObjectDef: ...

    def table(self, name: str) -> Table: ...

    def field_type(self, f: FieldDef) -> FieldType: ...


@dataclass(frozen=True)
class Hop:
    field: str  # the ref field on the parent object
    column: str  # its foreign-key column on the parent table
    target: str  # the object it points to


@dataclass(frozen=True)
class FieldRef:
    """A resolved path. ``path`` is canonical: hop fields, field, and the subfield if any."""

    path: tuple[str, ...]
    hops: tuple[Hop, ...]
    object: str  # the object holding the field (root object when there are no hops)
    name: str
    subfield: str | None
    column: str | None  # None for link (many-to-many) fields
    kind: Kind
    operators: frozenset[str]
    field: FieldDef | None = None  # None for system fields
    link_table: str | None = None
    sortable: bool = True

    @property
    def key(self) -> str:
        return ".".join(self.path)

    @property
    def typed(self) -> bool:
        """True when operands go through the field type's ``coerce`` (a whole single-column field;
        subfields and system fields are coerced by kind only)."""
        return self.field is not None and self.subfield is None


class PathError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def resolve_path(reg: RegistryLike, root: str, path: object) -> FieldRef:
    """The ``FieldRef`` for ``path`` on object ``root``; ``PathError`` says why there is none."""
    if not isinstance(path, str) or not path:
        raise PathError("the field must be a non-empty string")
    if len(path) > MAX_PATH_CHARS:
        raise PathError(f"the field path is longer than {MAX_PATH_CHARS} characters")
    segments = path.split(".")
    if not all(_SEGMENT.fullmatch(s) for s in segments):
        raise PathError(f"{path!r} is not a field path (names separated by dots)")
    obj = _object(reg, root)
    hops: list[Hop] = []
    walked: list[str] = []
    i = 0
    while True:
        name = segments[i]
        rest = segments[i + 1 :]
        where = f"{obj.name}.{name}"
        if name in SYSTEM_FIELD_KINDS and (name != "owner_id" or obj.ownable):
            if rest:
                raise PathError(f"{where} is filterable by id only")
            kind = SYSTEM_FIELD_KINDS[name]
            return FieldRef(
                path=(*walked, name),
                hops=tuple(hops),
                object=obj.name,
                name=name,
                subfield=None,
                column=name,
                kind=kind,
                operators=OPERATORS_BY_KIND[kind],
            )
        f = obj.field(name)
        if f is None or not f.active:
            raise PathError(f"{where} is not a field")
        try:
            ftype = reg.field_type(f)
            kind = ftype.value_kind(f)
            specs = ftype.columns(f) if ftype.stored else []
        except Exception as exc:  # an unknown or broken type must not escape as a 500
            raise PathError(f"{where} cannot be filtered") from exc
        walked.append(name)
        if rest and kind == "ref" and f.type not in _ID_ONLY_TYPES and specs:
            target = f.options.get("target")
            if not isinstance(target, str):
                raise PathError(f"{where} has no target object")
            if len(hops) >= MAX_HOPS:
                raise PathError(f"paths may cross at most {MAX_HOPS} references")
            fk = next((s for s in specs if s.foreign_key), specs[0])
            hops.append(Hop(field=name, column=fk.name, target=target))
            obj = _object(reg, target)
            i += 1
            continue
        if not ftype.stored:
            if kind != "link" or rest:
                raise PathError(f"{'.'.join(walked + rest)} cannot be filtered")
            return FieldRef(
                path=tuple(walked),
                hops=tuple(hops),
                object=obj.name,
                name=name,
                subfield=None,
                column=None,
                kind="link",
                operators=_ops(ftype, f, "link"),
                field=f,
                link_table=link_table_name(obj.name, name),
                sortable=False,
            )
        if len(rest) > 1 or not specs:
            raise PathError(f"{'.'.join(walked + rest)} is not a field")
        if rest:
            spec = next((s for s in specs if s.subfield == rest[0]), None)
            if spec is None or len(specs) == 1:
                subs = ", ".join(s.subfield for s in specs if s.subfield) or "none"
                raise PathError(f"{where} has no subfield {rest[0]!r} (subfields: {subs})")
        elif len(specs) == 1:
            spec = specs[0]
        else:
            spec = next((s for s in specs if s.name == name), None)
            if spec is None:
                subs = ", ".join(s.subfield for s in specs if s.subfield)
                raise PathError(f"{where} has several parts; name one of: {subs}")
        sub = spec.subfield if len(specs) > 1 else None
        col_kind: Kind = spec.kind or kind
        return FieldRef(
            path=(*walked, sub) if sub else tuple(walked),
            hops=tuple(hops),
            object=obj.name,
            name=name,
            subfield=sub,
            column=spec.name,
            kind=col_kind,
            operators=(
                _ops(ftype, f, col_kind) if spec.name == name else OPERATORS_BY_KIND[col_kind]
            ),
            field=f,
            sortable=ftype.sortable and col_kind not in UNSORTABLE_KINDS,
        )


def _ops(ftype: FieldType, f: FieldDef, kind: Kind) -> frozenset[str]:
    try:
        ops = frozenset(ftype.operators(f))
    except Exception:  # a type's narrowing must not make a field unfilterable by accident
        ops = OPERATORS_BY_KIND[kind]
    # A type may narrow its kind's operators, never add ones the compilers do not know.
    return ops & OPERATORS_BY_KIND[kind]


def _object(reg: RegistryLike, name: str) -> ObjectDef:
    try:
        return reg.object(name)
    except Exception as exc:  # NotFound, or a broken definition
        raise PathError(f"there is no object named {name!r}") from exc
