"""What every concrete field type shares on top of ``base.FieldType``.

- :class:`BaseType`: allowed type changes as a set of names (``converts_from``), the nullable
  JSON schema built from ``value_schema`` (title, help and ``readOnly`` added in one place), and
  two declarative flags the record service reads: ``implies_required`` (master-detail) and
  ``implies_unique`` (auto-number).
- :func:`field_cache`: per-``FieldDef`` memo for things derived from options (choice lookup
  tables, formula inner fields), so hot paths do not rebuild them per row.
- :func:`split_list`: the import splitter for list cells (``a;b``, ``a,b``, ``a；b``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar

from accord.meta.fieldtypes.base import FieldType, Problem
from accord.meta.model import FieldDef, ObjectDef, label_text

V = TypeVar("V")

_CACHE: dict[tuple[int, str], tuple[FieldDef, Any]] = {}
_CACHE_LIMIT = 8192


def field_cache(field: FieldDef, key: str, build: Callable[[FieldDef], V]) -> V:
    """``build(field)``, memoised per field object (definitions are immutable values).

    Keyed by identity and guarded by an ``is`` check: the entry holds the field, so its id
    cannot be reused while cached. The cache is bounded (cleared when full).
    """
    k = (id(field), key)
    hit = _CACHE.get(k)
    if hit is not None and hit[0] is field:
        return hit[1]  # type: ignore[no-any-return]
    value = build(field)
    if len(_CACHE) >= _CACHE_LIMIT:
        _CACHE.clear()
    _CACHE[k] = (field, value)
    return value


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` that also admits null (OpenAPI 3.1 / JSON Schema type arrays)."""
    out = dict(schema)
    t = out.get("type")
    if isinstance(t, str):
        out["type"] = [t, "null"]
    elif isinstance(t, list) and "null" not in t:
        out["type"] = [*t, "null"]
    if "enum" in out and None not in out["enum"]:
        out["enum"] = [*out["enum"], None]
    return out


DECIMAL_SCHEMA: dict[str, Any] = {
    "type": "string",
    "format": "decimal",
    "pattern": r"^-?\d+(\.\d+)?$",
    "description": "exact decimal as a string; input also accepts a JSON number",
}
UUID_SCHEMA: dict[str, Any] = {"type": "string", "format": "uuid"}

_SPLIT = re.compile(r"\s*[;,；，、]\s*")


def split_list(text: str) -> list[str]:
    """Split an import cell on ``;`` ``,`` ``；`` ``，`` ``、`` and drop empty parts."""
    return [p for p in _SPLIT.split(text.strip()) if p]


def option_problem(field: FieldDef, obj: ObjectDef, pid: str, message: str) -> Problem:
    return Problem(pid, message, obj.name, field.name)


def is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


class BaseType(FieldType):
    """Concrete types derive from this; it adds no per-value cost."""

    # Names of the types a field may change from (besides its own type).
    converts_from: ClassVar[frozenset[str]] = frozenset()
    # The record service treats the field as required whatever ``FieldDef.required`` says.
    implies_required: ClassVar[bool] = False
    # The record service/plan enforce uniqueness whatever ``FieldDef.unique`` says.
    implies_unique: ClassVar[bool] = False

    def convertible_from(self, other: FieldType) -> bool:
        return other.name == self.name or other.name in self.converts_from

    def value_schema(self, field: FieldDef) -> dict[str, Any]:
        """The schema of a non-null JSON value (``to_json`` output)."""
        raise NotImplementedError

    def json_schema(self, field: FieldDef) -> dict[str, Any]:
        schema = nullable(self.value_schema(field))
        title = label_text(field.label, "en")
        if title:
            schema["title"] = title
        if field.help:
            schema["description"] = label_text(field.help, "en")
        if self.computed or field.read_only:
            schema["readOnly"] = True
        return schema


def mapping_option(field: FieldDef, key: str) -> Mapping[str, Any] | None:
    value = field.options.get(key)
    return value if isinstance(value, Mapping) else None
