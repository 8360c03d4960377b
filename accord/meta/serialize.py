"""Definitions ↔ plain dicts (the shape of YAML files, `accord config export` and the API).

Input is untrusted (API bodies, imported files): every structural problem is collected and
raised at once as ``Invalid`` with a location per problem.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from accord.core.errors import FieldError, Invalid
from accord.meta.model import ACTIVE, FieldDef, ObjectDef, ValidationRule

OBJECT_KEYS = {
    "name",
    "label",
    "plural_label",
    "description",
    "ownable",
    "title_field",
    "icon",
    "fields",
    "validation_rules",
    "status",
}
FIELD_KEYS = {
    "name",
    "type",
    "label",
    "help",
    "required",
    "unique",
    "indexed",
    "read_only",
    "searchable",
    "default",
    "options",
    "validation",
    "status",
}
RULE_KEYS = {"name", "condition", "message", "fields"}
FIELD_BOOLS = ("required", "unique", "indexed", "read_only", "searchable")


class _Collector:
    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, where: str, code: str, message: str) -> None:
        self.errors.append(FieldError(where, code, message))


def _label(
    value: Any, where: str, c: _Collector, *, optional: bool = False
) -> dict[str, str] | None:
    if value is None and optional:
        return None
    if isinstance(value, str):
        return {"en": value, "zh": value}
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        c.add(where, "INVALID_LABEL", 'must be text or an object like {"en": …, "zh": …}')
        return None
    return {k: v for k, v in value.items() if k in ("en", "zh")}


def _unknown(d: Mapping[str, Any], allowed: set[str], where: str, c: _Collector) -> None:
    for key in d:
        if key not in allowed:
            c.add(f"{where}.{key}" if where else str(key), "UNKNOWN_KEY", f"unknown key {key!r}")


JSON_SAFE_INT = 2**53


def _json_safe(value: Any, depth: int = 0) -> bool:
    """Whether ``value`` survives a JSON round trip unchanged in every database (SQLite's JSON
    reads integers beyond 2^53 back as floats)."""
    if depth > 20:
        return False
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return True
    if isinstance(value, int):
        return abs(value) <= JSON_SAFE_INT
    if isinstance(value, float):
        return value == value and abs(value) != float("inf")
    if isinstance(value, list):
        return all(_json_safe(v, depth + 1) for v in value)
    if isinstance(value, Mapping):
        return all(isinstance(k, str) and _json_safe(v, depth + 1) for k, v in value.items())
    return False


def field_from_dict(
    d: Any, *, where: str = "", system: bool = False, position: int = 0, c: _Collector | None = None
) -> FieldDef | None:
    own = c is None
    c = c or _Collector()
    p = f"{where}." if where else ""
    if not isinstance(d, Mapping):
        c.add(where or "field", "MALFORMED", "a field must be an object")
        if own:
            raise Invalid("INVALID_DEFINITION", "The field definition is malformed.", c.errors)
        return None
    _unknown(d, FIELD_KEYS, where, c)
    name, ftype = d.get("name"), d.get("type")
    if not isinstance(name, str):
        c.add(f"{p}name", "REQUIRED", "name is required text")
    if not isinstance(ftype, str):
        c.add(f"{p}type", "REQUIRED", "type is required text")
    label = _label(d.get("label", name), f"{p}label", c)
    help_ = _label(d.get("help"), f"{p}help", c, optional=True)
    for key in FIELD_BOOLS:
        if key in d and not isinstance(d[key], bool):
            c.add(f"{p}{key}", "INVALID_TYPE", f"{key} must be true or false")
    for key in ("options", "validation"):
        if d.get(key) is not None and not isinstance(d[key], Mapping):
            c.add(f"{p}{key}", "INVALID_TYPE", f"{key} must be an object")
    default = d.get("default")
    if not _json_safe(default):
        c.add(
            f"{p}default",
            "INVALID_DEFAULT",
            "default must be a plain value (numbers within ±2^53, or text for big numbers)",
        )
    status = d.get("status", ACTIVE)
    if status not in ("active", "archived"):
        c.add(f"{p}status", "INVALID_CHOICE", "status must be active or archived")
    if own and c.errors:
        raise Invalid("INVALID_DEFINITION", "The field definition is malformed.", c.errors)
    if c.errors and not own:
        return None
    return FieldDef(
        name=name,  # type: ignore[arg-type]
        type=ftype,  # type: ignore[arg-type]
        label=label or {},
        help=help_,
        default=d.get("default"),
        options=dict(d.get("options") or {}),
        validation=dict(d.get("validation") or {}),
        position=position,
        status=status,
        system=system,
        **{k: bool(d.get(k, False)) for k in FIELD_BOOLS},
    )


def object_from_dict(d: Any, *, system: bool = False) -> ObjectDef:
    c = _Collector()
    if not isinstance(d, Mapping):
        raise Invalid(
            "INVALID_DEFINITION",
            "An object definition must be a mapping.",
            [FieldError(None, "MALFORMED", "expected an object")],
        )
    _unknown(d, OBJECT_KEYS, "", c)
    name = d.get("name")
    if not isinstance(name, str):
        c.add("name", "REQUIRED", "name is required text")
    label = _label(d.get("label", name), "label", c)
    plural = _label(d.get("plural_label", d.get("label", name)), "plural_label", c)
    desc = _label(d.get("description"), "description", c, optional=True)
    raw_fields = d.get("fields") or []
    fields: list[FieldDef] = []
    if not isinstance(raw_fields, list):
        c.add("fields", "INVALID_TYPE", "fields must be a list")
        raw_fields = []
    for i, fd in enumerate(raw_fields):
        f = field_from_dict(fd, where=f"fields[{i}]", system=system, position=i, c=c)
        if f is not None:
            fields.append(f)
    rules: list[ValidationRule] = []
    raw_rules = d.get("validation_rules") or []
    if not isinstance(raw_rules, list):
        c.add("validation_rules", "INVALID_TYPE", "validation_rules must be a list")
        raw_rules = []
    for i, rd in enumerate(raw_rules):
        where = f"validation_rules[{i}]"
        if (
            not isinstance(rd, Mapping)
            or not isinstance(rd.get("name"), str)
            or not isinstance(rd.get("condition"), str)
        ):
            c.add(where, "MALFORMED", "a rule needs a name and a condition")
            continue
        _unknown(rd, RULE_KEYS, where, c)
        msg = _label(rd.get("message", rd["name"]), f"{where}.message", c) or {}
        flds = rd.get("fields") or []
        if not isinstance(flds, list) or not all(isinstance(x, str) for x in flds):
            c.add(f"{where}.fields", "INVALID_TYPE", "fields must be a list of field names")
            flds = []
        rules.append(ValidationRule(rd["name"], rd["condition"], msg, tuple(flds)))
    for key in ("ownable",):
        if key in d and not isinstance(d[key], bool):
            c.add(key, "INVALID_TYPE", f"{key} must be true or false")
    icon = d.get("icon")
    if icon is not None and (not isinstance(icon, str) or len(icon) > 64):
        c.add("icon", "INVALID_TYPE", "icon must be a name of at most 64 characters")
    title = d.get("title_field", "name" if any(f.name == "name" for f in fields) else None)
    if title is not None and not isinstance(title, str):
        c.add("title_field", "INVALID_TYPE", "title_field must be a field name")
    if c.errors:
        raise Invalid("INVALID_DEFINITION", "The object definition is malformed.", c.errors)
    return ObjectDef(
        name=name,  # type: ignore[arg-type]
        label=label or {},
        plural_label=plural or {},
        description=desc,
        ownable=bool(d.get("ownable", True)),
        title_field=title,
        icon=icon,
        fields=tuple(fields),
        validation_rules=tuple(rules),
        system=system,
        status=d.get("status", ACTIVE) if d.get("status") in ("active", "archived") else ACTIVE,
    )


def field_to_dict(f: FieldDef) -> dict[str, Any]:
    out: dict[str, Any] = {"name": f.name, "type": f.type, "label": dict(f.label)}
    if f.help:
        out["help"] = dict(f.help)
    for key in FIELD_BOOLS:
        if getattr(f, key):
            out[key] = True
    if f.default is not None:
        out["default"] = f.default
    if f.options:
        out["options"] = dict(f.options)
    if f.validation:
        out["validation"] = dict(f.validation)
    if f.status != ACTIVE:
        out["status"] = f.status
    return out


def object_to_dict(obj: ObjectDef) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": obj.name,
        "label": dict(obj.label),
        "plural_label": dict(obj.plural_label),
    }
    if obj.description:
        out["description"] = dict(obj.description)
    out["ownable"] = obj.ownable
    if obj.title_field:
        out["title_field"] = obj.title_field
    if obj.icon:
        out["icon"] = obj.icon
    out["fields"] = [field_to_dict(f) for f in obj.fields]
    if obj.validation_rules:
        out["validation_rules"] = [
            {"name": r.name, "condition": r.condition, "message": dict(r.message)}
            | ({"fields": list(r.fields)} if r.fields else {})
            for r in obj.validation_rules
        ]
    if obj.status != ACTIVE:
        out["status"] = obj.status
    return out
