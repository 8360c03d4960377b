"""Save-time checks of an approval flow definition: every problem at once, each naming the
node (``nodes[gm].approvers[0]``) and carrying a stable id.

| id | problem |
|---|---|
| workflow.E001 | name, object, label, priority, enabled or another top-level key malformed |
| workflow.E002 | nodes malformed: not a list, a node without a valid id or type, duplicate ids |
| workflow.E003 | a condition (entry or branch) is not a valid filter on the object |
| workflow.E004 | a reference to a node that does not exist (start, next, branches, default) |
| workflow.E005 | an approver spec is malformed or names unknown/disabled users, roles or fields |
| workflow.E006 | a node's approvers resolve to nobody and no policy says what to do then |
| workflow.E007 | a node cannot be reached from the start |
| workflow.E008 | a cycle: following next/branches comes back to a node |
| workflow.E009 | a condition branch node without branches or without a default |
| workflow.E010 | mode, pass ratio, timeout, policy or resubmit setting invalid |
| workflow.E011 | an action (on_submitted/on_approved/on_rejected, action node) is invalid |
| workflow.E012 | an editable field that the object does not have |
| workflow.E013 | a parallel branch leads into another branch or out of its parallel node |
| workflow.E014 | the flow administrator is unknown or disabled, or missing where needed |
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from accord.automation.checks import check_actions
from accord.core.context import Context
from accord.core.errors import FieldError, Invalid, NotFound
from accord.meta.registry import Registry
from accord.query import parse_filter
from accord.records.codec import codec
from accord.workflow import approvers, graph
from accord.workflow.model import (
    MODES,
    NODE_TYPES,
    POLICY_CHOICES,
    RESUBMIT,
    TIMEOUT_ACTIONS,
)

E_TOP, E_NODES, E_CONDITION, E_REF, E_APPROVER = (f"workflow.E00{i}" for i in range(1, 6))
E_EMPTY, E_UNREACHABLE, E_CYCLE, E_BRANCHES = (f"workflow.E00{i}" for i in range(6, 10))
E_SETTING, E_ACTION, E_FIELD, E_PARALLEL, E_ADMIN = (f"workflow.E0{i}" for i in range(10, 15))

NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
TOP_KEYS = frozenset(
    {
        "name", "object", "label", "description", "enabled", "priority", "condition", "admin",
        "policies", "resubmit", "editable_fields", "on_submitted", "on_approved", "on_rejected",
        "start", "nodes",
    }
)  # fmt: skip
NODE_KEYS = frozenset(
    {
        "id", "type", "label", "next", "approvers", "mode", "pass_ratio", "editable_fields",
        "timeout", "branches", "default", "actions",
    }
)  # fmt: skip
MAX_NODES = 100
MAX_APPROVERS = 20
MAX_HOURS = 24 * 90


def check_definition(ctx: Context, reg: Registry, d: Any) -> list[FieldError]:
    """Every problem of definition ``d`` (as the API and YAML give it)."""
    if not isinstance(d, Mapping):
        return [FieldError("", E_TOP, "a flow is a JSON object")]
    out = [FieldError(str(k)[:63], E_TOP, "unknown key") for k in d if k not in TOP_KEYS]
    if not isinstance(d.get("name"), str) or not NAME.match(d["name"]):
        out.append(FieldError("name", E_TOP, "a name of a-z, 0-9 and _, starting with a letter"))
    obj = d.get("object")
    try:
        reg.object(obj)
    except NotFound:
        return [*out, FieldError("object", E_TOP, f"there is no object {str(obj)[:63]!r}")]
    out += _top_settings(ctx, reg, obj, d)
    nodes = d.get("nodes")
    if not isinstance(nodes, list) or not nodes:
        return [*out, FieldError("nodes", E_NODES, "give a list of at least one node")]
    if len(nodes) > MAX_NODES:
        return [*out, FieldError("nodes", E_NODES, f"at most {MAX_NODES} nodes")]
    by_id: dict[str, Mapping[str, Any]] = {}
    for i, n in enumerate(nodes):
        nid = n.get("id") if isinstance(n, Mapping) else None
        if not isinstance(nid, str) or not NAME.match(nid):
            out.append(FieldError(f"nodes[{i}].id", E_NODES, "each node needs an id like 'gm'"))
        elif nid in by_id:
            out.append(FieldError(f"nodes[{nid}].id", E_NODES, f"the id {nid!r} repeats"))
        else:
            by_id[nid] = n
    for nid, n in by_id.items():
        out += _node(ctx, reg, obj, d, nid, n)
    shape = graph.shape(d.get("start"), by_id)
    out += [
        FieldError(_where(where), E_REF, f"there is no node {missing[:63]!r}")
        for where, missing in shape.unknown
    ]
    out += [
        FieldError(f"nodes[{n}]", E_CYCLE, f"following the flow from {n!r} comes back to it")
        for n in shape.cycles
    ]
    out += [
        FieldError(f"nodes[{n}]", E_PARALLEL, "reached from two parallel branches (or from "
                   "inside and outside one): each branch must end with next: null")
        for n in shape.shared
    ]  # fmt: skip
    out += [
        FieldError(f"nodes[{n}]", E_UNREACHABLE, "no path from the start reaches this node")
        for n in shape.unreachable(list(by_id))
    ]
    return out


def _where(where: str) -> str:
    """``gm.next`` → ``nodes[gm].next``; ``start`` stays."""
    head, _, rest = where.partition(".")
    return where if not rest else f"nodes[{head}].{rest}"


def _top_settings(ctx: Context, reg: Registry, obj: str, d: Mapping[str, Any]) -> list[FieldError]:
    out: list[FieldError] = []
    label = d.get("label")
    if label is not None and not (
        isinstance(label, Mapping)
        and all(isinstance(v, str) and len(v) <= 200 for v in label.values())
    ):
        out.append(FieldError("label", E_TOP, 'a label is {"zh": "…", "en": "…"}'))
    if not isinstance(d.get("enabled", False), bool):
        out.append(FieldError("enabled", E_TOP, "enabled is true or false"))
    p = d.get("priority", 100)
    if not isinstance(p, int) or isinstance(p, bool) or not 0 <= p <= 10_000:
        out.append(FieldError("priority", E_TOP, "priority is a whole number 0–10000"))
    if d.get("condition") is not None:
        out += _condition(reg, obj, d["condition"], "condition")
    policies = d.get("policies") or {}
    if not isinstance(policies, Mapping):
        out.append(FieldError("policies", E_SETTING, "policies is an object"))
        policies = {}
    for k, v in policies.items():
        choices = POLICY_CHOICES.get(k)
        if choices is None or v not in choices:
            allowed = ", ".join(choices) if choices else ", ".join(POLICY_CHOICES)
            out.append(FieldError(f"policies.{str(k)[:40]}", E_SETTING, f"one of {allowed}"))
    if d.get("resubmit", "restart") not in RESUBMIT:
        out.append(FieldError("resubmit", E_SETTING, f"one of {', '.join(RESUBMIT)}"))
    out += _admin(ctx, d.get("admin"), policies.get("empty_approvers"))
    out += _fields(reg, obj, d.get("editable_fields"), "editable_fields")
    for key in ("on_submitted", "on_approved", "on_rejected"):
        if d.get(key):
            out += _actions(ctx, reg, obj, d[key], key)
    return out


def _admin(ctx: Context, admin: Any, empty_policy: Any) -> list[FieldError]:
    if admin is None:
        if empty_policy == "admin":
            return [FieldError("admin", E_ADMIN, "the policy sends empty nodes to the flow "
                               "administrator: name one")]  # fmt: skip
        return []
    spec = {"type": "users", "users": [admin]}
    if not isinstance(admin, str) or approvers.check_spec(
        ctx, spec, object_name="", user_fields=(), where="admin"
    ):
        return [FieldError("admin", E_ADMIN, "the administrator is not an active user")]
    return []


def _condition(reg: Registry, obj: str, cond: Any, where: str) -> list[FieldError]:
    try:
        parse_filter(cond, reg, obj, location=where)
    except Invalid as exc:
        return [FieldError(e.field, E_CONDITION, e.message) for e in exc.errors]
    return []


def _fields(reg: Registry, obj: str, raw: Any, where: str) -> list[FieldError]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(f, str) for f in raw):
        return [FieldError(where, E_FIELD, "a list of field names")]
    known = codec(reg, obj).fields
    return [
        FieldError(f"{where}[{i}]", E_FIELD, f"{obj} has no field {f[:63]!r}")
        for i, f in enumerate(raw)
        if f not in known
    ]


def _actions(ctx: Context, reg: Registry, obj: str, raw: Any, where: str) -> list[FieldError]:
    return [
        FieldError(where + e.field.removeprefix("actions"), E_ACTION, e.message)
        for e in check_actions(ctx, reg, obj, raw)
    ]


def _node(
    ctx: Context, reg: Registry, obj: str, d: Mapping[str, Any], nid: str, n: Mapping[str, Any]
) -> list[FieldError]:
    at = f"nodes[{nid}]"
    out = [
        FieldError(f"{at}.{str(k)[:40]}", E_NODES, "unknown key") for k in n if k not in NODE_KEYS
    ]
    kind = n.get("type")
    if kind not in NODE_TYPES:
        return [*out, FieldError(f"{at}.type", E_NODES, f"one of {', '.join(NODE_TYPES)}")]
    if kind in ("approver", "cc"):
        out += _approvers(ctx, reg, obj, d, at, n)
    if kind == "approver":
        out += _approver_settings(n, at)
        out += _fields(reg, obj, n.get("editable_fields"), f"{at}.editable_fields")
    if kind == "condition":
        branches = n.get("branches")
        if not isinstance(branches, list) or not branches:
            out.append(FieldError(f"{at}.branches", E_BRANCHES, "give at least one branch"))
        else:
            for i, b in enumerate(branches):
                if not isinstance(b, Mapping) or "condition" not in b:
                    out.append(FieldError(f"{at}.branches[{i}]", E_BRANCHES,
                                          "a branch is {condition, next}"))  # fmt: skip
                else:
                    out += _condition(reg, obj, b["condition"], f"{at}.branches[{i}].condition")
        if "default" not in n:
            out.append(FieldError(f"{at}.default", E_BRANCHES, "a condition node needs a default "
                                  "branch (null: the flow ends there)"))  # fmt: skip
    if kind == "parallel":
        branches = n.get("branches")
        if not isinstance(branches, list) or len(branches) < 2:
            out.append(FieldError(f"{at}.branches", E_PARALLEL, "give at least two branches"))
    if kind == "action":
        out += _actions(ctx, reg, obj, n.get("actions"), f"{at}.actions")
    return out


def _approvers(
    ctx: Context, reg: Registry, obj: str, d: Mapping[str, Any], at: str, n: Mapping[str, Any]
) -> list[FieldError]:
    specs = n.get("approvers")
    if not isinstance(specs, list) or not specs or len(specs) > MAX_APPROVERS:
        return [FieldError(f"{at}.approvers", E_APPROVER, f"give 1–{MAX_APPROVERS} approver specs")]
    c = codec(reg, obj)
    user_fields = [f for f, fc in c.fields.items() if fc.field.type == "user"]
    if c.obj.ownable:
        user_fields.append("owner_id")
    out: list[FieldError] = []
    for i, spec in enumerate(specs):
        out += approvers.check_spec(
            ctx, spec, object_name=obj, user_fields=user_fields, where=f"{at}.approvers[{i}]"
        )
    if out or n.get("type") != "approver":
        return out
    found = [approvers.static_users(ctx, s) for s in specs]
    policy = (d.get("policies") or {}).get("empty_approvers", "refuse")
    if all(f is not None and not f for f in found) and policy == "refuse":
        out.append(FieldError(f"{at}.approvers", E_EMPTY, "these approvers are nobody now (no "
                              "active user); set policies.empty_approvers to auto_approve or "
                              "admin, or name someone"))  # fmt: skip
    return out


def _approver_settings(n: Mapping[str, Any], at: str) -> list[FieldError]:
    out: list[FieldError] = []
    if n.get("mode", "sequential") not in MODES:
        out.append(FieldError(f"{at}.mode", E_SETTING, f"one of {', '.join(MODES)}"))
    ratio = n.get("pass_ratio", 100)
    if not isinstance(ratio, int) or isinstance(ratio, bool) or not 1 <= ratio <= 100:
        out.append(FieldError(f"{at}.pass_ratio", E_SETTING, "a percentage 1–100"))
    t = n.get("timeout")
    if t is None:
        return out
    if not isinstance(t, Mapping) or set(t) - {"remind_after_hours", "act_after_hours", "action"}:
        return [*out, FieldError(f"{at}.timeout", E_SETTING,
                                 "{remind_after_hours, act_after_hours, action}")]  # fmt: skip
    for k in ("remind_after_hours", "act_after_hours"):
        v = t.get(k)
        if v is not None and (
            not isinstance(v, int | float) or isinstance(v, bool) or not 0 < v <= MAX_HOURS
        ):
            out.append(FieldError(f"{at}.timeout.{k}", E_SETTING, f"hours, 0–{MAX_HOURS}"))
    if (t.get("act_after_hours") is None) != (t.get("action") is None):
        out.append(FieldError(f"{at}.timeout", E_SETTING,
                              "act_after_hours and action go together"))  # fmt: skip
    elif t.get("action") is not None and t["action"] not in TIMEOUT_ACTIONS:
        out.append(FieldError(f"{at}.timeout.action", E_SETTING,
                              f"one of {', '.join(TIMEOUT_ACTIONS)}"))  # fmt: skip
    return out
