"""Structured family: json and color.

- json: any JSON value in a ``JSONType`` column (JSONB on PostgreSQL); the serialized form is
  capped at 256 KB; NaN/Infinity and non-JSON Python objects are refused. Import cells are parsed
  as JSON text.
- color: ``#rrggbb`` in lower case; input also ``#RGB`` or without ``#``.

No type-specific option checks.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import String

from accord.db.types import JSONType
from accord.meta.fieldtypes.base import ColumnSpec
from accord.meta.fieldtypes.common import BaseType
from accord.meta.fieldtypes.registry import register
from accord.meta.fieldtypes.validation import (
    INVALID_COLOR,
    INVALID_JSON,
    TOO_LONG,
    fail,
    type_error,
)
from accord.meta.model import FieldDef

JSON_MAX_BYTES = 256 * 1024
_COLOR = re.compile(r"#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})")


@register
class JsonType(BaseType):
    name = "json"
    label = {"en": "JSON", "zh": "JSON"}
    kind = "json"
    widget = "json-editor"
    can_be_indexed = False
    sortable = False

    def columns(self, field: FieldDef) -> list[ColumnSpec]:
        return [ColumnSpec(field.name, JSONType())]

    def coerce(self, value: Any, field: FieldDef) -> Any:
        if value is None:
            return None
        t = type(value)
        if t is bool or t is int or (t is str and len(value) <= JSON_MAX_BYTES // 4):
            return value
        try:
            text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        except (TypeError, ValueError):
            raise fail(INVALID_JSON, "the value cannot be represented as JSON") from None
        if len(text) > JSON_MAX_BYTES // 4 and len(text.encode("utf-8")) > JSON_MAX_BYTES:
            raise fail(TOO_LONG, f"at most {JSON_MAX_BYTES // 1024} KB of JSON")
        return value

    def parse_text(self, text: str, field: FieldDef) -> Any:
        text = text.strip()
        if not text:
            return None
        try:
            value = json.loads(text)
        except ValueError:
            raise fail(INVALID_JSON, "the cell is not JSON text") from None
        return self.coerce(value, field)

    def is_empty(self, value: Any) -> bool:
        return value is None

    def value_schema(self, field: FieldDef) -> dict[str, Any]:
        return {"type": ["object", "array", "string", "number", "boolean"]}


@register
class ColorType(BaseType):
    name = "color"
    label = {"en": "Color", "zh": "颜色"}
    kind = "text"
    widget = "color-picker"
    converts_from = frozenset({"text"})

    def columns(self, field: FieldDef) -> list[ColumnSpec]:
        return [ColumnSpec(field.name, String(7))]

    def coerce(self, value: Any, field: FieldDef) -> Any:
        if value is None:
            return None
        if type(value) is not str:
            raise type_error("a colour (#rrggbb)", value)
        s = value.strip()
        if not s:
            return None
        m = _COLOR.fullmatch(s)
        if m is None:
            raise fail(INVALID_COLOR, f"{s[:20]!r} is not a colour (#rrggbb)")
        hexa = m.group(1).lower()
        if len(hexa) == 3:
            hexa = "".join(c * 2 for c in hexa)
        return "#" + hexa

    def value_schema(self, field: FieldDef) -> dict[str, Any]:
        return {"type": "string", "pattern": "^#[0-9a-f]{6}$"}
