"""Object and field definitions as plain frozen data (no I/O).

A definition is what an administrator (or a metadata file under ``accord/apps``) says an object
is. ``meta.checks`` validates it, ``meta.plan`` turns a change into DDL actions, ``meta.registry``
loads definitions and builds SQLAlchemy tables from them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

Label = Mapping[str, str]  # {"en": "Customer", "zh": "客户"}

ACTIVE = "active"
ARCHIVED = "archived"

# Columns every object table has; field names may not reuse them.
SYSTEM_COLUMNS = (
    "id",
    "version",
    "created_at",
    "updated_at",
    "created_by",
    "updated_by",
    "owner_id",
    "deleted_at",
    "deleted_by",
)


def label_text(label: Label | None, locale: str = "en") -> str:
    if not label:
        return ""
    lang = "zh" if locale.lower().startswith("zh") else "en"
    return label.get(lang) or label.get("en") or label.get("zh") or next(iter(label.values()), "")


@dataclass(frozen=True)
class FieldDef:
    name: str
    type: str
    label: Label
    help: Label | None = None
    required: bool = False
    unique: bool = False
    indexed: bool = False
    read_only: bool = False
    searchable: bool = False
    # A literal value, or {"expr": "today() + 3"} evaluated with the expression language.
    default: Any = None
    # Type-specific configuration (choices, precision, target object, formula, …).
    options: Mapping[str, Any] = field(default_factory=dict)
    # Generic validation: regex, min, max, min_length, max_length.
    validation: Mapping[str, Any] = field(default_factory=dict)
    position: int = 0
    status: str = ACTIVE
    system: bool = False

    @property
    def active(self) -> bool:
        return self.status == ACTIVE

    def with_(self, **changes: Any) -> FieldDef:
        return replace(self, **changes)


@dataclass(frozen=True)
class ValidationRule:
    """A cross-field rule: the record is refused when ``condition`` (an expression) is true."""

    name: str
    condition: str
    message: Label
    fields: tuple[str, ...] = ()  # fields the message is reported on; empty = record level


@dataclass(frozen=True)
class ObjectDef:
    name: str
    label: Label
    plural_label: Label
    fields: tuple[FieldDef, ...] = ()
    description: Label | None = None
    ownable: bool = True
    title_field: str | None = "name"
    icon: str | None = None
    validation_rules: tuple[ValidationRule, ...] = ()
    system: bool = False
    status: str = ACTIVE

    @property
    def table_name(self) -> str:
        return f"obj_{self.name}"

    def field(self, name: str) -> FieldDef | None:
        for f in self.fields:
            if f.name == name:
                return f
        return None

    @property
    def active_fields(self) -> tuple[FieldDef, ...]:
        return tuple(f for f in self.fields if f.active)

    def with_(self, **changes: Any) -> ObjectDef:
        return replace(self, **changes)
