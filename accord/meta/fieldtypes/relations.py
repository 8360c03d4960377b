"""Relation family: lookup, master_detail, user, department, many_to_many.

A reference value is a record id: the canonical UUID string. Input is a UUID string (any case,
with or without hyphens), a ``uuid.UUID`` or ``{"id": ...}`` (as the API returns expanded
references). Whether the record exists (and is visible) is checked by the record service in one
batch per write, not here.

- lookup: column ``<name>`` → ``obj_<target>.id`` ON DELETE SET NULL.
- master_detail: the same with ON DELETE CASCADE; required is implied (``implies_required``),
  so clearing it is refused with ``REQUIRED``.
- user / department: lookups to the ``users`` / ``departments`` system tables (SET NULL).
- many_to_many: no column (``stored = False``); the value is a list of ids kept by the record
  service in the link table :func:`link_table_name` (``record_id``, ``target_id``).

| check id  | type                                | problem                                 |
|-----------|-------------------------------------|-----------------------------------------|
| meta.E140 | lookup, master_detail, many_to_many | ``target`` missing or not a known object |
| meta.E141 | many_to_many                        | ``max_links`` not an integer 1..10000   |
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Mapping
from typing import Any, ClassVar

from accord.core.ids import parse_id
from accord.db.types import IdType
from accord.meta.fieldtypes.base import ColumnSpec, Problem
from accord.meta.fieldtypes.common import UUID_SCHEMA, BaseType, is_int, option_problem, split_list
from accord.meta.fieldtypes.registry import register
from accord.meta.fieldtypes.validation import INVALID_ID, REQUIRED, TOO_MANY, fail, type_error
from accord.meta.model import FieldDef, ObjectDef

_CANONICAL = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
MAX_IDENTIFIER = 63


def to_id(value: Any) -> str:
    """The canonical id in ``value`` (str, UUID or ``{"id": ...}``), else ``INVALID_ID``."""
    if type(value) is str:
        if len(value) == 36 and _CANONICAL.fullmatch(value):
            return value
        parsed = parse_id(value.strip())
    elif isinstance(value, Mapping):
        parsed = parse_id(value.get("id"))
    elif isinstance(value, uuid.UUID):
        parsed = str(value)
    else:
        raise type_error("a record id", value)
    if parsed is None:
        raise fail(INVALID_ID, f"{str(value)[:40]!r} is not a record id")
    return parsed


def link_table_name(obj_name: str, field_name: str) -> str:
    """``m2m_<obj>_<field>``, or its first 54 characters plus a hash when longer than 63."""
    name = f"m2m_{obj_name}_{field_name}"
    if len(name) <= MAX_IDENTIFIER:
        return name
    digest = hashlib.sha1(name.encode(), usedforsecurity=False).hexdigest()[:8]
    return f"{name[: MAX_IDENTIFIER - 9]}_{digest}"


def target_problems(
    field: FieldDef, obj: ObjectDef, objects: Mapping[str, ObjectDef]
) -> list[Problem]:
    target = field.options.get("target")
    if not isinstance(target, str) or target not in objects:
        msg = f"target {target!r} is not a known object"
        return [option_problem(field, obj, "meta.E140", msg)]
    return []


class RefType(BaseType):
    """One id column with a foreign key; subclasses say where it points."""

    kind = "ref"
    widget = "lookup-picker"
    on_delete: ClassVar[str] = "SET NULL"

    def target_table(self, field: FieldDef) -> str | None:
        target = field.options.get("target")
        return f"obj_{target}" if isinstance(target, str) and target else None

    def columns(self, field: FieldDef) -> list[ColumnSpec]:
        table = self.target_table(field)
        fk = f"{table}.id" if table else None
        return [ColumnSpec(field.name, IdType(), foreign_key=fk, on_delete=self.on_delete)]

    def coerce(self, value: Any, field: FieldDef) -> Any:
        if value is None or value == "":
            return None
        return to_id(value)

    def value_schema(self, field: FieldDef) -> dict[str, Any]:
        return dict(UUID_SCHEMA)


@register
class LookupType(RefType):
    name = "lookup"
    label = {"en": "Lookup", "zh": "查找关系"}
    can_be_unique = True  # a unique lookup is a one-to-one relation

    def check(
        self, field: FieldDef, obj: ObjectDef, objects: Mapping[str, ObjectDef]
    ) -> list[Problem]:
        return target_problems(field, obj, objects)


@register
class MasterDetailType(LookupType):
    name = "master_detail"
    label = {"en": "Master-detail", "zh": "主从关系"}
    on_delete = "CASCADE"
    implies_required = True

    def coerce(self, value: Any, field: FieldDef) -> Any:
        if value is None or value == "":
            raise fail(REQUIRED, "a detail record needs its master record")
        return to_id(value)


@register
class UserType(RefType):
    name = "user"
    label = {"en": "User", "zh": "用户"}
    widget = "user-picker"

    def target_table(self, field: FieldDef) -> str | None:
        return "users"


@register
class DepartmentType(RefType):
    name = "department"
    label = {"en": "Department", "zh": "部门"}
    widget = "department-picker"

    def target_table(self, field: FieldDef) -> str | None:
        return "departments"


@register
class ManyToManyType(BaseType):
    name = "many_to_many"
    label = {"en": "Many-to-many", "zh": "多对多"}
    kind = "link"
    widget = "multi-lookup-picker"
    stored = False
    can_be_indexed = False
    sortable = False

    def check(
        self, field: FieldDef, obj: ObjectDef, objects: Mapping[str, ObjectDef]
    ) -> list[Problem]:
        out = target_problems(field, obj, objects)
        m = field.options.get("max_links", 1000)
        if not is_int(m) or not 1 <= m <= 10_000:
            out.append(option_problem(field, obj, "meta.E141", "max_links must be 1..10000"))
        return out

    def columns(self, field: FieldDef) -> list[ColumnSpec]:
        return []  # values live in link_table_name(obj, field)

    def coerce(self, value: Any, field: FieldDef) -> Any:
        if value is None:
            return None
        if isinstance(value, str):
            value = split_list(value)
        elif not isinstance(value, list | tuple):
            raise type_error("a list of record ids", value)
        limit = field.options.get("max_links", 1000)
        if len(value) > limit:
            raise fail(TOO_MANY, f"at most {limit} linked records")
        out = list(dict.fromkeys(to_id(v) for v in value))
        return out or None

    def value_schema(self, field: FieldDef) -> dict[str, Any]:
        return {"type": "array", "items": dict(UUID_SCHEMA), "uniqueItems": True}
