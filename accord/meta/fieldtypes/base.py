"""The contract every field type fulfils. One small class per type, one module per family,
registered by name in ``accord.meta.fieldtypes.registry``.

A field type owns, for its fields: the columns (with dialect-adapting SQLAlchemy types), input
coercion and validation, the JSON representation, the filter operators (through its ``kind``), the
default widget, the import parser and the JSON schema used in OpenAPI.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from sqlalchemy.types import TypeEngine

from accord.meta.model import FieldDef, Label, ObjectDef
from accord.meta.operators import OPERATORS_BY_KIND, Kind


class FieldValueError(ValueError):
    """Raised by ``coerce``/``parse_text``; the record service reports it on the field."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Problem:
    """A problem found by a definition check; ``id`` is stable (``meta.E012``)."""

    id: str
    message: str
    object: str | None = None
    field: str | None = None


@dataclass(frozen=True)
class ColumnSpec:
    """One physical column of a field. ``subfield`` names a part (``province``, ``currency``)."""

    name: str
    type: TypeEngine[Any]
    subfield: str | None = None
    kind: Kind | None = None  # kind of the subfield, when it differs from the field's
    foreign_key: str | None = None  # "table.column"
    on_delete: str | None = None  # "CASCADE" (master-detail), "SET NULL" (lookup)


class FieldType:
    name: ClassVar[str]
    label: ClassVar[Label]
    kind: ClassVar[Kind]
    widget: ClassVar[str] = "input"
    # True for values computed by the system (formula, rollup, auto-number): never user-written.
    computed: ClassVar[bool] = False
    can_be_unique: ClassVar[bool] = False
    can_be_indexed: ClassVar[bool] = True
    can_be_searchable: ClassVar[bool] = False
    sortable: ClassVar[bool] = True
    # False for types without a column on the object table (many-to-many uses a link table).
    stored: ClassVar[bool] = True

    # --- definition -------------------------------------------------------------------------

    def check(
        self, field: FieldDef, obj: ObjectDef, objects: Mapping[str, ObjectDef]
    ) -> list[Problem]:
        """Problems with this field's ``options``; ``objects`` holds every known definition."""
        return []

    def columns(self, field: FieldDef) -> list[ColumnSpec]:
        raise NotImplementedError  # every concrete type overrides; checked by the registry test

    def operators(self, field: FieldDef) -> frozenset[str]:
        return OPERATORS_BY_KIND[self.kind]

    def value_kind(self, field: FieldDef) -> Kind:
        """The kind of value (formula fields take their return type's kind)."""
        return self.kind

    def json_schema(self, field: FieldDef) -> dict[str, Any]:
        return {}

    def convertible_from(self, other: FieldType) -> bool:
        """Whether a field of type ``other`` may change to this type (data checked separately)."""
        return other.name == self.name

    # --- values -----------------------------------------------------------------------------

    def coerce(self, value: Any, field: FieldDef) -> Any:
        """Input (decoded JSON) → the canonical Python value, or None. Raises FieldValueError."""
        raise NotImplementedError

    def parse_text(self, text: str, field: FieldDef) -> Any:
        """An import cell (always text) → value for ``coerce``. Empty text means no value."""
        text = text.strip()
        return None if text == "" else self.coerce(text, field)

    def to_columns(self, value: Any, field: FieldDef) -> dict[str, Any]:
        """Canonical value → column values. Single-column types keep the default."""
        return {field.name: value}

    def from_columns(self, row: Mapping[str, Any], field: FieldDef) -> Any:
        return row[field.name]

    def to_json(self, value: Any, field: FieldDef) -> Any:
        return value

    def is_empty(self, value: Any) -> bool:
        return value is None or value == "" or value == [] or value == {}

    @property
    def single_column(self) -> bool:
        """True when ``to_columns``/``from_columns`` are the identity on one column."""
        return type(self).to_columns is FieldType.to_columns


def invalid(code: str, message: str) -> FieldValueError:
    return FieldValueError(code, message)
