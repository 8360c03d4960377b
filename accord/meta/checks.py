"""Definition checks: every problem of an object definition at once, each with a stable id.

| id        | problem                                                            |
|-----------|--------------------------------------------------------------------|
| meta.E001 | object name is not a valid identifier                               |
| meta.E002 | a label lacks English or Chinese text                               |
| meta.E003 | field name is not a valid identifier (or reserved)                  |
| meta.E004 | two fields share a name                                             |
| meta.E005 | unknown field type                                                  |
| meta.E006 | title_field does not name a field that can stand for the record      |
| meta.E007 | unique/indexed/searchable asked of a type that cannot be            |
| meta.E008 | default value does not fit the field's type                         |
| meta.E009 | validation rule or formula does not parse, or names unknown fields  |
| meta.E010 | generic validation options are malformed (regex, min/max, lengths)  |
| meta.E011 | too many fields on one object (the limit keeps rows within a page)  |
| meta.E1xx | type-specific option problems (see accord/meta/fieldtypes/)         |
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from accord.meta.fieldtypes.base import FieldValueError, Problem
from accord.meta.fieldtypes.registry import all_types
from accord.meta.identifiers import field_name_problem, object_name_problem
from accord.meta.model import SYSTEM_COLUMNS, FieldDef, Label, ObjectDef

MAX_FIELDS = 500
# Types that can stand for a record in lists, lookups and search results.
TITLE_TYPES = {
    "text",
    "email",
    "phone",
    "url",
    "auto_number",
    "formula",
    "lookup",
    "master_detail",
    "select",
    "date",
}


def _label_problems(label: Label | None, where: str, obj: str, field: str | None) -> list[Problem]:
    if not isinstance(label, Mapping) or not label.get("en") or not label.get("zh"):
        return [Problem("meta.E002", f"{where} needs both 'en' and 'zh' text", obj, field)]
    if any(not isinstance(v, str) or len(v) > 200 for v in label.values()):
        return [Problem("meta.E002", f"{where} texts must be strings ≤ 200 characters", obj, field)]
    return []


def check_object(obj: ObjectDef, objects: Mapping[str, ObjectDef]) -> list[Problem]:
    """All problems of ``obj``; ``objects`` are all definitions including ``obj`` itself."""
    problems: list[Problem] = []
    why = object_name_problem(obj.name)
    if why:
        problems.append(Problem("meta.E001", f"object name {obj.name!r} {why}", obj.name))
    problems += _label_problems(obj.label, "label", obj.name, None)
    problems += _label_problems(obj.plural_label, "plural_label", obj.name, None)
    if len(obj.fields) > MAX_FIELDS:
        problems.append(
            Problem("meta.E011", f"an object may have at most {MAX_FIELDS} fields", obj.name)
        )
    seen: set[str] = set()
    for f in obj.fields:
        if f.name in seen:
            problems.append(Problem("meta.E004", f"duplicate field {f.name!r}", obj.name, f.name))
        seen.add(f.name)
        problems += check_field(f, obj, objects)
    if obj.title_field and obj.title_field not in SYSTEM_COLUMNS:
        tf = obj.field(obj.title_field)
        if tf is None or tf.type not in TITLE_TYPES:
            problems.append(
                Problem(
                    "meta.E006",
                    f"title_field {obj.title_field!r} must name a text, number or lookup field",
                    obj.name,
                )
            )
    problems += _rule_problems(obj)
    return problems


def check_field(f: FieldDef, obj: ObjectDef, objects: Mapping[str, ObjectDef]) -> list[Problem]:
    problems: list[Problem] = []
    why = field_name_problem(f.name)
    if why:
        problems.append(Problem("meta.E003", f"field name {f.name!r} {why}", obj.name, f.name))
        return problems
    problems += _label_problems(f.label, "label", obj.name, f.name)
    ftype = all_types().get(f.type)
    if ftype is None:
        problems.append(Problem("meta.E005", f"unknown field type {f.type!r}", obj.name, f.name))
        return problems
    for flag, allowed in (
        ("unique", ftype.can_be_unique),
        ("indexed", ftype.can_be_indexed),
        ("searchable", ftype.can_be_searchable),
    ):
        if getattr(f, flag) and not allowed:
            problems.append(
                Problem("meta.E007", f"a {f.type} field cannot be {flag}", obj.name, f.name)
            )
    problems += _validation_problems(f, obj.name)
    if f.default is not None and not (isinstance(f.default, Mapping) and "expr" in f.default):
        try:
            ftype.coerce(f.default, f)
        except FieldValueError as exc:
            problems.append(
                Problem("meta.E008", f"default does not fit: {exc.message}", obj.name, f.name)
            )
    problems += ftype.check(f, obj, objects)
    if f.type == "formula":
        problems += _expression_problems(f.options.get("expression"), obj, f.name)
    if isinstance(f.default, Mapping) and "expr" in f.default:
        problems += _expression_problems(f.default["expr"], obj, f.name, allow_fields=False)
    return problems


def _validation_problems(f: FieldDef, obj_name: str) -> list[Problem]:
    v: Mapping[str, Any] = f.validation or {}
    out: list[Problem] = []
    unknown = set(v) - {"regex", "min", "max", "min_length", "max_length", "message"}
    if unknown:
        out.append(
            Problem("meta.E010", f"unknown validation keys {sorted(unknown)}", obj_name, f.name)
        )
    rx = v.get("regex")
    if rx is not None:
        if not isinstance(rx, str) or len(rx) > 500:
            out.append(Problem("meta.E010", "regex must be a string ≤ 500 chars", obj_name, f.name))
        else:
            try:
                re.compile(rx)
            except re.error as exc:
                out.append(Problem("meta.E010", f"regex does not compile: {exc}", obj_name, f.name))
    for key in ("min_length", "max_length"):
        if key in v and (not isinstance(v[key], int) or isinstance(v[key], bool) or v[key] < 0):
            out.append(
                Problem("meta.E010", f"{key} must be a non-negative integer", obj_name, f.name)
            )
    return out


def _expression_problems(
    source: Any, obj: ObjectDef, field: str | None, *, allow_fields: bool = True
) -> list[Problem]:
    from accord.meta.expression import ExpressionError, parse, references

    if not isinstance(source, str) or not source.strip():
        return [Problem("meta.E009", "expression must be non-empty text", obj.name, field)]
    try:
        expr = parse(source)
    except ExpressionError as exc:
        return [Problem("meta.E009", f"expression: {exc.message}", obj.name, field)]
    names = {f.name for f in obj.fields} | set(SYSTEM_COLUMNS)
    bad = sorted(p[0] for p in references(expr) if p[0] not in names)
    if bad:
        return [Problem("meta.E009", f"expression names unknown fields {bad}", obj.name, field)]
    if not allow_fields and references(expr):
        return [Problem("meta.E009", "a default expression cannot use fields", obj.name, field)]
    return []


def _rule_problems(obj: ObjectDef) -> list[Problem]:
    out: list[Problem] = []
    names: set[str] = set()
    for rule in obj.validation_rules:
        if rule.name in names:
            out.append(Problem("meta.E009", f"duplicate validation rule {rule.name!r}", obj.name))
        names.add(rule.name)
        out += _label_problems(rule.message, f"rule {rule.name} message", obj.name, None)
        out += _expression_problems(rule.condition, obj, None)
        out += [
            Problem("meta.E009", f"rule {rule.name} reports on unknown field {n!r}", obj.name)
            for n in rule.fields
            if obj.field(n) is None
        ]
    return out
