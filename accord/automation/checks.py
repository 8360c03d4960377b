"""Save-time checks of a rule definition: every problem at once, each with a stable id.

| id | problem |
|---|---|
| automation.E001 | name missing or too long, or object unknown |
| automation.E002 | trigger malformed: unknown type, unknown field, from/to values that do not fit |
| automation.E003 | condition is not a valid filter on the object |
| automation.E004 | action malformed or of an unknown type; too many actions |
| automation.E005 | action names a field that does not exist or cannot be set |
| automation.E006 | action value of the wrong type for its field |
| automation.E007 | action expression does not parse or reads other records |
| automation.E008 | notification recipient unknown, deleted or disabled |
| automation.E009 | notification template malformed |
| automation.E010 | webhook unknown or disabled |
| automation.E011 | circular assignment: rules that set each other's trigger fields |
| automation.E012 | action needs a module that is not installed |
| automation.E013 | a periodic rule needs a condition |
| automation.E015 | assignment team unknown or without active users |
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from accord.automation.actions import registry as actions
from accord.automation.actions.base import E_ACTION, CheckContext
from accord.automation.model import (
    MAX_ACTIONS,
    TRIGGER_TYPES,
    Rule,
    Trigger,
    parse_every,
)
from accord.core.context import Context
from accord.core.errors import FieldError, Invalid, NotFound
from accord.meta.fieldtypes.base import FieldValueError
from accord.meta.registry import Registry
from accord.query import parse_filter
from accord.records.codec import codec

E_NAME = "automation.E001"
E_TRIGGER = "automation.E002"
E_CONDITION = "automation.E003"
E_CYCLE = "automation.E011"
E_NEEDS_CONDITION = "automation.E013"
MAX_NAME = 100


def check_definition(ctx: Context, reg: Registry, d: Mapping[str, Any]) -> list[FieldError]:
    """All problems of definition ``d`` (as the API and YAML give it)."""
    out: list[FieldError] = []
    name = d.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        out.append(FieldError("name", E_NAME, f"give a name of 1–{MAX_NAME} characters"))
    obj = d.get("object")
    try:
        reg.object(obj)
    except NotFound:
        return [*out, FieldError("object", E_NAME, f"there is no object {obj!r}")]
    if d.get("description") is not None and not isinstance(d["description"], str):
        out.append(FieldError("description", E_NAME, "the description is text"))
    if not isinstance(d.get("enabled", False), bool):
        out.append(FieldError("enabled", E_NAME, "enabled is true or false"))
    trigger_problems = check_trigger(reg, obj, d.get("trigger"))
    out += trigger_problems
    if d.get("condition") is not None:
        try:
            parse_filter(d["condition"], reg, obj, location="condition")
        except Invalid as exc:
            out += [FieldError(e.field, E_CONDITION, e.message) for e in exc.errors]
    elif isinstance(d.get("trigger"), Mapping) and d["trigger"].get("type") == "periodic":
        out.append(FieldError("condition", E_NEEDS_CONDITION, "a periodic rule needs a condition"))
    out += check_actions(ctx, reg, obj, d.get("actions"))
    return out


def check_trigger(reg: Registry, obj: str, raw: Any) -> list[FieldError]:
    if not isinstance(raw, Mapping) or raw.get("type") not in TRIGGER_TYPES:
        return [FieldError("trigger.type", E_TRIGGER, f"one of {', '.join(TRIGGER_TYPES)}")]
    c = codec(reg, obj)
    kind = raw["type"]
    if kind == "field_changed":
        fields = raw.get("fields") or ([raw["field"]] if raw.get("field") else [])
        if not isinstance(fields, list) or not fields:
            return [FieldError("trigger.fields", E_TRIGGER, "name the fields to watch")]
        unknown = [f for f in fields if f not in c.fields and f != "owner_id"]
        if unknown:
            return [FieldError("trigger.fields", E_TRIGGER, f"{obj} has no fields {unknown}")]
        out: list[FieldError] = []
        for side in ("from", "to"):
            if raw.get(side) is None:
                continue
            if len(fields) != 1:
                out.append(FieldError(f"trigger.{side}", E_TRIGGER, f"{side} needs one field"))
                continue
            fc = c.fields.get(fields[0])
            for v in raw[side] if isinstance(raw[side], list) else [raw[side]]:
                if fc is None:
                    continue
                try:
                    fc.type.coerce(v, fc.field)
                except FieldValueError as exc:
                    msg = f"{v!r} is not a value of {fields[0]}: {exc}"
                    out.append(FieldError(f"trigger.{side}", E_TRIGGER, msg))
        return out
    if kind == "date":
        fc = c.fields.get(raw.get("field")) if isinstance(raw.get("field"), str) else None
        if fc is None or fc.type.value_kind(fc.field) not in ("date", "datetime"):
            msg = f"{obj} has no date field {raw.get('field')!r}"
            return [FieldError("trigger.field", E_TRIGGER, msg)]
        offset = raw.get("offset_days", 0)
        if not isinstance(offset, int) or isinstance(offset, bool) or abs(offset) > 366:
            return [FieldError("trigger.offset_days", E_TRIGGER, "whole days, -366 to 366")]
        return []
    if kind == "periodic":
        try:
            parse_every(raw.get("every", "1h"))
        except ValueError as exc:
            return [FieldError("trigger.every", E_TRIGGER, str(exc))]
    return []


def check_actions(ctx: Context, reg: Registry, obj: str, raw: Any) -> list[FieldError]:
    if not isinstance(raw, list) or not raw:
        return [FieldError("actions", E_ACTION, "give at least one action")]
    if len(raw) > MAX_ACTIONS:
        return [FieldError("actions", E_ACTION, f"at most {MAX_ACTIONS} actions")]
    cc = CheckContext(ctx, reg, obj)
    out: list[FieldError] = []
    for i, spec in enumerate(raw):
        where = f"actions[{i}]"
        kind = actions.get(spec.get("type")) if isinstance(spec, Mapping) else None
        if kind is None:
            msg = f"type must be one of {', '.join(actions.names())}"
            out.append(FieldError(f"{where}.type", E_ACTION, msg))
            continue
        out += kind.check(cc, spec, where)
    return out


def check_cycles(rule: Rule, others: Sequence[Rule]) -> list[FieldError]:
    """Refuse rules that set each other's watched fields in a ring (A sets x, which triggers
    B, which sets y, which triggers A …). Only ``field_changed`` triggers are precise enough
    to say so before running; the runtime depth guard catches the rest."""
    graph: dict[str, tuple[Rule, frozenset[str]]] = {}
    for r in [*[o for o in others if o.id != rule.id and o.enabled], rule]:
        if r.object_name != rule.object_name:
            continue
        writes: frozenset[str] = frozenset()
        for spec in r.actions:
            kind = actions.get(spec.get("type"))
            if kind is not None:
                writes |= kind.writes(spec)
        graph[r.id] = (r, writes)

    def watches(t: Trigger) -> frozenset[str]:
        return frozenset(t.fields) if t.type == "field_changed" else frozenset()

    edges = {
        a: [b for b, (rb, _) in graph.items() if wa & watches(rb.trigger)]
        for a, (_, wa) in graph.items()
    }
    path: list[str] = []

    def walk(node: str, seen: set[str]) -> list[str] | None:
        path.append(node)
        for nxt in edges[node]:
            if nxt == rule.id:
                return [*path, nxt]
            if nxt not in seen:
                seen.add(nxt)
                found = walk(nxt, seen)
                if found:
                    return found
        path.pop()
        return None

    ring = walk(rule.id, set())
    if not ring:
        return []
    names = " → ".join(graph[n][0].name for n in ring)
    return [FieldError("actions", E_CYCLE, f"circular assignment: {names}")]
