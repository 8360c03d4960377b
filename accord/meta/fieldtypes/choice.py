"""Choice family: boolean, select, multi_select, tags.

Select options::

    {"choices": [{"value": "won", "label": {"en": "Won", "zh": "赢单"}, "color": "#22c55e",
                  "probability": 100}, ...],          # extra keys are kept for other uses
     "depends_on": {"field": "country", "map": {"CN": ["beijing", "shanghai"]}}}

Input is a choice value, or (case-insensitively) a value or label in either language; the
stored value is always the choice's ``value``. ``depends_on`` declares a dependent picklist:
:func:`allowed_values` gives the values allowed for a controlling value; enforcing it across the
two fields is the record service's job (a boolean controller uses map keys ``"true"``/``"false"``).

multi_select stores a JSON array of values (deduplicated, in input order); tags a JSON array of
free texts (trimmed, deduplicated case-insensitively, each ≤ 50 characters, ≤ 50 tags). Import
cells split on ``;`` ``,`` ``；`` ``，`` ``、`` (a whole cell matching a label wins).

| check id  | problem (select, multi_select)                                                   |
|-----------|----------------------------------------------------------------------------------|
| meta.E130 | ``choices`` missing/empty/not a list, or an entry whose value is not 1..64       |
|           | characters of text, whose label is not an en/zh mapping or colour not #rrggbb    |
| meta.E131 | two choices share a value                                                        |
| meta.E132 | ``depends_on`` malformed: controlling field unknown, the same field, or not a    |
|           | select/boolean; a map key not a controlling value; a mapped value not a choice   |
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Boolean, String

from accord.db.types import JSONType
from accord.meta.fieldtypes.base import ColumnSpec, FieldValueError, Problem
from accord.meta.fieldtypes.common import (
    BaseType,
    field_cache,
    is_int,
    mapping_option,
    option_problem,
    split_list,
)
from accord.meta.fieldtypes.registry import register
from accord.meta.fieldtypes.validation import (
    INVALID_CHOICE,
    INVALID_TYPE,
    TOO_LONG,
    TOO_MANY,
    fail,
    type_error,
)
from accord.meta.model import FieldDef, ObjectDef

_TRUE = frozenset({"true", "t", "yes", "y", "1", "on", "是", "对", "真", "√", "✓", "✔"})
_FALSE = frozenset({"false", "f", "no", "n", "0", "off", "否", "错", "假", "×", "✗", "✘"})
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
CHOICE_VALUE_MAX = 64
MAX_TAGS, TAG_MAX = 50, 50


@register
class BooleanType(BaseType):
    name = "boolean"
    label = {"en": "Boolean", "zh": "布尔"}
    kind = "boolean"
    widget = "switch"

    def columns(self, field: FieldDef) -> list[ColumnSpec]:
        return [ColumnSpec(field.name, Boolean())]

    def coerce(self, value: Any, field: FieldDef) -> Any:
        if value is None or type(value) is bool:
            return value
        if is_int(value) and value in (0, 1):
            return bool(value)
        if isinstance(value, str):
            s = value.strip().lower()
            if s in _TRUE:
                return True
            if s in _FALSE:
                return False
            if not s:
                return None
        raise fail(INVALID_TYPE, f"{str(value)[:20]!r} is not true or false")

    def value_schema(self, field: FieldDef) -> dict[str, Any]:
        return {"type": "boolean"}


# --- choices --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choices:
    values: tuple[str, ...]
    exact: dict[str, str]  # value → value
    folded: dict[str, str]  # casefolded value or label (en/zh) → value

    def lookup(self, value: str) -> str:
        v = self.exact.get(value)
        if v is not None:
            return v
        s = value.strip()
        v = self.exact.get(s) or self.folded.get(s.casefold())
        if v is None:
            shown = ", ".join(self.values[:5]) + (", …" if len(self.values) > 5 else "")
            raise fail(INVALID_CHOICE, f"{value[:40]!r} is not one of: {shown}")
        return v


def _build_choices(field: FieldDef) -> Choices:
    raw = field.options.get("choices")
    values: list[str] = []
    folded: dict[str, str] = {}
    for c in raw if isinstance(raw, list | tuple) else ():
        if not isinstance(c, Mapping) or not isinstance(c.get("value"), str):
            continue
        v = c["value"]
        values.append(v)
        label = c.get("label")
        texts = list(label.values()) if isinstance(label, Mapping) else []
        for t in (v, *texts):
            if isinstance(t, str):
                folded.setdefault(t.strip().casefold(), v)
    return Choices(tuple(values), {v: v for v in values}, folded)


def choices_of(field: FieldDef) -> Choices:
    """The field's choice lookup (cached per field definition)."""
    return field_cache(field, "choices", _build_choices)


def allowed_values(field: FieldDef, controlling_value: Any) -> list[str]:
    """Values of ``field`` allowed when its controlling field holds ``controlling_value``.

    Without ``depends_on`` every choice is allowed; with it, an empty controller or one absent
    from the map allows nothing.
    """
    dep = mapping_option(field, "depends_on")
    if dep is None:
        return list(choices_of(field).values)
    if controlling_value is None:
        return []
    if isinstance(controlling_value, bool):
        controlling_value = "true" if controlling_value else "false"
    mapping = dep.get("map")
    allowed = mapping.get(controlling_value) if isinstance(mapping, Mapping) else None
    return list(allowed) if isinstance(allowed, list | tuple) else []


def choice_problems(
    field: FieldDef, obj: ObjectDef, objects: Mapping[str, ObjectDef]
) -> list[Problem]:
    out: list[Problem] = []
    raw = field.options.get("choices")
    if not isinstance(raw, list | tuple) or not raw:
        return [option_problem(field, obj, "meta.E130", "choices must be a non-empty list")]
    seen: set[str] = set()
    for i, c in enumerate(raw):
        v = c.get("value") if isinstance(c, Mapping) else None
        if not isinstance(v, str) or not 1 <= len(v) <= CHOICE_VALUE_MAX or v != v.strip():
            msg = f"choice {i}: value must be 1..{CHOICE_VALUE_MAX} characters without padding"
            out.append(option_problem(field, obj, "meta.E130", msg))
            continue
        label = c.get("label")
        if label is not None and (
            not isinstance(label, Mapping)
            or not any(isinstance(label.get(k), str) and label.get(k) for k in ("en", "zh"))
        ):
            msg = f"choice {v!r}: label must be a mapping with 'en' and/or 'zh' text"
            out.append(option_problem(field, obj, "meta.E130", msg))
        color = c.get("color")
        if color is not None and (not isinstance(color, str) or not _COLOR.fullmatch(color)):
            out.append(option_problem(field, obj, "meta.E130", f"choice {v!r}: color is #rrggbb"))
        if v in seen:
            out.append(option_problem(field, obj, "meta.E131", f"duplicate choice value {v!r}"))
        seen.add(v)
    if "depends_on" in field.options:
        out += _depends_problems(field, obj, seen)
    return out


def _depends_problems(field: FieldDef, obj: ObjectDef, own: set[str]) -> list[Problem]:
    def problem(msg: str) -> list[Problem]:
        return [option_problem(field, obj, "meta.E132", f"depends_on: {msg}")]

    dep = mapping_option(field, "depends_on")
    if dep is None or not isinstance(dep.get("map"), Mapping):
        return problem("must be {'field': name, 'map': {controlling value: [values]}}")
    ctrl = obj.field(dep.get("field")) if isinstance(dep.get("field"), str) else None
    if ctrl is None or ctrl.name == field.name:
        return problem(f"{dep.get('field')!r} is not another field of {obj.name}")
    if ctrl.type == "select":
        keys = set(choices_of(ctrl).values)
    elif ctrl.type == "boolean":
        keys = {"true", "false"}
    else:
        return problem("the controlling field must be a select or boolean field")
    out: list[Problem] = []
    for key, values in dep["map"].items():
        if key not in keys:
            out += problem(f"{key!r} is not a value of {ctrl.name}")
        if not isinstance(values, list | tuple):
            out += problem(f"map[{key!r}] must be a list of values")
            continue
        bad = [v for v in values if v not in own]
        if bad:
            out += problem(f"map[{key!r}] names unknown values {bad[:5]}")
    return out


def _choice_schema(field: FieldDef) -> dict[str, Any]:
    return {"type": "string", "enum": list(choices_of(field).values)}


@register
class SelectType(BaseType):
    name = "select"
    label = {"en": "Single select", "zh": "单选"}
    kind = "text"
    widget = "select"
    converts_from = frozenset({"text"})

    def check(
        self, field: FieldDef, obj: ObjectDef, objects: Mapping[str, ObjectDef]
    ) -> list[Problem]:
        return choice_problems(field, obj, objects)

    def columns(self, field: FieldDef) -> list[ColumnSpec]:
        return [ColumnSpec(field.name, String(CHOICE_VALUE_MAX))]

    def coerce(self, value: Any, field: FieldDef) -> Any:
        if value is None:
            return None
        if type(value) is not str:
            if not is_int(value):
                raise type_error("a choice value", value)
            value = str(value)
        elif not value or value.isspace():
            return None
        return choices_of(field).lookup(value)

    def value_schema(self, field: FieldDef) -> dict[str, Any]:
        return _choice_schema(field)


@register
class MultiSelectType(BaseType):
    name = "multi_select"
    label = {"en": "Multi select", "zh": "多选"}
    kind = "array"
    widget = "multi-select"
    can_be_indexed = False
    sortable = False
    converts_from = frozenset({"select"})

    def check(
        self, field: FieldDef, obj: ObjectDef, objects: Mapping[str, ObjectDef]
    ) -> list[Problem]:
        return choice_problems(field, obj, objects)

    def columns(self, field: FieldDef) -> list[ColumnSpec]:
        return [ColumnSpec(field.name, JSONType())]

    def coerce(self, value: Any, field: FieldDef) -> Any:
        if value is None:
            return None
        ch = choices_of(field)
        if isinstance(value, str):
            if not value.strip():
                return None
            try:
                return [ch.lookup(value)]
            except FieldValueError:
                value = split_list(value)
        if not isinstance(value, list | tuple):
            raise type_error("a list of choice values", value)
        out: list[str] = []
        for item in value:
            if type(item) is not str:
                if not is_int(item):
                    raise type_error("a choice value", item)
                item = str(item)
            v = ch.lookup(item)
            if v not in out:
                out.append(v)
        return out or None

    def parse_text(self, text: str, field: FieldDef) -> Any:
        return self.coerce(text, field) if text.strip() else None

    def value_schema(self, field: FieldDef) -> dict[str, Any]:
        return {"type": "array", "items": _choice_schema(field), "uniqueItems": True}


@register
class TagsType(BaseType):
    name = "tags"
    label = {"en": "Tags", "zh": "标签"}
    kind = "array"
    widget = "tag-input"
    can_be_indexed = False
    sortable = False
    converts_from = frozenset({"multi_select"})

    def columns(self, field: FieldDef) -> list[ColumnSpec]:
        return [ColumnSpec(field.name, JSONType())]

    def coerce(self, value: Any, field: FieldDef) -> Any:
        if value is None:
            return None
        if isinstance(value, str):
            value = split_list(value)
        elif not isinstance(value, list | tuple):
            raise type_error("a list of tags", value)
        out: list[str] = []
        seen: set[str] = set()
        for item in value:
            if not isinstance(item, str):
                if not is_int(item):
                    raise type_error("a tag text", item)
                item = str(item)
            tag = item.strip()
            if not tag:
                continue
            if len(tag) > TAG_MAX:
                raise fail(TOO_LONG, f"a tag has at most {TAG_MAX} characters")
            key = tag.casefold()
            if key not in seen:
                seen.add(key)
                out.append(tag)
        if len(out) > MAX_TAGS:
            raise fail(TOO_MANY, f"at most {MAX_TAGS} tags")
        return out or None

    def value_schema(self, field: FieldDef) -> dict[str, Any]:
        return {
            "type": "array",
            "items": {"type": "string", "maxLength": TAG_MAX},
            "maxItems": MAX_TAGS,
        }
