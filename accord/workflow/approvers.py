"""Who approves a node: approver specs, checked at save time and resolved at run time.

A spec is a JSON object with a ``type`` (``SPEC_TYPES``; see README.md for each). Each type is
one ``_Kind`` in ``_KINDS``: the keys it takes, a save-time check and a resolver. Resolvers
return candidate ids; ``resolve`` keeps the active ones, in order, each once, so a user disabled
after the flow was saved is skipped rather than given a task they can never act on.

The reporting line and the department tree come from ``org_graph`` (cached per organisation
version); heads, roles and user status from ``accord.auth.lookup``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from accord.auth import lookup
from accord.auth.org import org_graph
from accord.core.context import Context
from accord.core.errors import FieldError
from accord.core.ids import parse_id

E_APPROVER = "workflow.E005"
MAX_LEVEL = 20  # deeper than any real organisation; bounds walks and typos alike
CHOICE_TYPES = ("submitter_choice", "previous_choice")


@dataclass(frozen=True)
class _Check:
    """What a save-time check needs besides the spec."""

    ctx: Context
    object_name: str
    user_fields: Collection[str]


@dataclass(frozen=True)
class _Run:
    """What a resolver needs besides the spec."""

    ctx: Context
    submitter_id: str
    record: Mapping[str, Any]
    chosen: Sequence[str]


@dataclass(frozen=True)
class _Kind:
    keys: frozenset[str]  # allowed besides "type"
    check: Callable[[_Check, Mapping[str, Any]], list[str]]  # problem messages
    resolve: Callable[[_Run, Mapping[str, Any]], list[str]]  # candidate ids, any status


def _level(spec: Mapping[str, Any], key: str, default: int | None, low: int) -> int | None:
    """The integer ``spec[key]`` if within low..MAX_LEVEL (``default`` when absent), else None."""
    value = spec.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= MAX_LEVEL:
        return None
    return value


# --- users and role: the same people whoever submits -----------------------------------------


def _check_users(cc: _Check, spec: Mapping[str, Any]) -> list[str]:
    ids = spec.get("users")
    if not isinstance(ids, list) or not ids:
        return ["users: give a list of one or more user ids"]
    found = lookup.users_by_id(cc.ctx, ids)
    out: list[str] = []
    for i, raw in enumerate(ids):
        user = found.get(parse_id(raw) or "")
        if user is None:
            out.append(f"users[{i}]: there is no user {str(raw)[:64]!r}")
        elif not user.is_active:
            out.append(f"users[{i}]: user {user.login!r} is disabled")
    return out


def _check_role(cc: _Check, spec: Mapping[str, Any]) -> list[str]:
    name = spec.get("role")
    if not isinstance(name, str) or not name:
        return ["role: give a role name"]
    if len(name) > 63 or not lookup.role_exists(cc.ctx, name):
        return [f"role: there is no role {name[:64]!r}"]
    return []


def _users(run: _Run, spec: Mapping[str, Any]) -> list[str]:
    return [str(u) for u in spec["users"]]


def _role(run: _Run, spec: Mapping[str, Any]) -> list[str]:
    return lookup.role_member_ids(run.ctx, spec["role"])


# --- the reporting line ------------------------------------------------------------------------


def _check_superior(cc: _Check, spec: Mapping[str, Any]) -> list[str]:
    if _level(spec, "level", 1, 1) is None:
        return [f"level: a whole number 1–{MAX_LEVEL} (1 = the direct manager)"]
    return []


def _check_superiors(cc: _Check, spec: Mapping[str, Any]) -> list[str]:
    if _level(spec, "up_to", None, 1) is None:
        return [f"up_to: a whole number 1–{MAX_LEVEL}"]
    return []


def _managers(ctx: Context, user_id: str, levels: int) -> list[str]:
    """The user's managers at levels 1..``levels``, nearest first; shorter where the chain ends.
    Disabled managers still count as links (the resolver drops them as approvers)."""
    manager_of = org_graph(ctx).manager_of
    start = parse_id(user_id)
    out: list[str] = []
    node = start
    while len(out) < levels and node is not None:
        node = manager_of.get(node)
        if node is None or node in out or node == start:
            break  # the top, or a cycle (refused when managers are set; guarded anyway)
        out.append(node)
    return out


def _superior(run: _Run, spec: Mapping[str, Any]) -> list[str]:
    level = int(spec.get("level", 1))
    chain = _managers(run.ctx, run.submitter_id, level)
    return chain[level - 1 : level]


def _superiors(run: _Run, spec: Mapping[str, Any]) -> list[str]:
    return _managers(run.ctx, run.submitter_id, int(spec["up_to"]))


# --- the department tree -----------------------------------------------------------------------


def _check_department_head(cc: _Check, spec: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    of = spec.get("of")
    if of not in ("submitter", "record"):
        out.append("of: submitter or record")
    elif of == "record" and "owner_id" not in cc.user_fields:
        out.append(f"of: {cc.object_name} records have no owner; use of: submitter")
    if _level(spec, "level", 0, 0) is None:
        out.append(f"level: a whole number 0–{MAX_LEVEL} (0 = the department, 1 = its parent)")
    return out


def _department_head(run: _Run, spec: Mapping[str, Any]) -> list[str]:
    graph = org_graph(run.ctx)
    user = run.submitter_id if spec["of"] == "submitter" else run.record.get("owner_id")
    dept = graph.department_of.get(parse_id(user) or "")
    for _ in range(int(spec.get("level", 0))):
        if dept is None:
            break
        dept = graph.parent_of.get(dept)
    # No fallback to a higher head: a missing head is the policy's business (empty_approvers).
    head = lookup.department_head_id(run.ctx, dept) if dept is not None else None
    return [head] if head else []


# --- the record and run-time choices -----------------------------------------------------------


def _check_field(cc: _Check, spec: Mapping[str, Any]) -> list[str]:
    name = spec.get("field")
    if not isinstance(name, str) or not name:
        return [f"field: name a user field of {cc.object_name}"]
    if name not in cc.user_fields:
        return [f"field: {cc.object_name} has no user field {name[:64]!r}"]
    return []


def _field(run: _Run, spec: Mapping[str, Any]) -> list[str]:
    value = run.record.get(spec["field"])
    values = value if isinstance(value, list | tuple) else [value]
    return [str(v) for v in values if v is not None]


def _no_check(cc: _Check, spec: Mapping[str, Any]) -> list[str]:
    return []


def _chosen(run: _Run, spec: Mapping[str, Any]) -> list[str]:
    return list(run.chosen)  # unknown and disabled ids are dropped by resolve


_KINDS: dict[str, _Kind] = {
    "users": _Kind(frozenset({"users"}), _check_users, _users),
    "role": _Kind(frozenset({"role"}), _check_role, _role),
    "superior": _Kind(frozenset({"level"}), _check_superior, _superior),
    "superiors": _Kind(frozenset({"up_to"}), _check_superiors, _superiors),
    "department_head": _Kind(frozenset({"of", "level"}), _check_department_head, _department_head),
    "field": _Kind(frozenset({"field"}), _check_field, _field),
    "submitter_choice": _Kind(frozenset(), _no_check, _chosen),
    "previous_choice": _Kind(frozenset(), _no_check, _chosen),
}
SPEC_TYPES: tuple[str, ...] = tuple(_KINDS)


# --- public API --------------------------------------------------------------------------------


def check_spec(
    ctx: Context, spec: Any, *, object_name: str, user_fields: Collection[str], where: str
) -> list[FieldError]:
    """Every save-time problem of one spec, each a ``FieldError(where, "workflow.E005", …)``:
    unknown type or keys, bad levels, unknown or disabled users, an unknown role, a ``field``
    that is not one of ``user_fields`` (the object's user fields, plus ``owner_id`` when the
    object is ownable), ``department_head`` of a record on an object without owners."""
    if not isinstance(spec, Mapping):
        return [FieldError(where, E_APPROVER, "an approver is an object with a type")]
    kind = _KINDS.get(spec.get("type")) if isinstance(spec.get("type"), str) else None
    if kind is None:
        msg = f"type: one of {', '.join(SPEC_TYPES)}"
        return [FieldError(where, E_APPROVER, msg)]
    unknown = sorted(str(k) for k in spec if k != "type" and k not in kind.keys)
    messages = [f"unknown key {k!r}" for k in unknown]
    messages += kind.check(_Check(ctx, object_name, user_fields), spec)
    return [FieldError(where, E_APPROVER, m) for m in messages]


def static_users(ctx: Context, spec: Mapping[str, Any]) -> list[str] | None:
    """The active users a ``users`` or ``role`` spec resolves to now (they do not depend on the
    submitter or the record); None for every other type."""
    if spec.get("type") == "users":
        return lookup.active_user_ids(ctx, spec["users"])
    if spec.get("type") == "role":
        return lookup.role_member_ids(ctx, spec["role"])
    return None


def resolve(
    ctx: Context,
    spec: Mapping[str, Any],
    *,
    submitter_id: str,
    record: Mapping[str, Any],
    chosen: Sequence[str] = (),
) -> list[str]:
    """The active users ``spec`` (already checked by ``check_spec``) names for this submitter and
    record, in order, each once; [] when the chain, tree or field yields nobody. ``chosen`` feeds
    ``submitter_choice`` / ``previous_choice``: ids that are unknown or disabled are dropped."""
    candidates = _KINDS[spec["type"]].resolve(_Run(ctx, submitter_id, record, chosen), spec)
    return lookup.active_user_ids(ctx, candidates)


def resolve_all(
    ctx: Context,
    specs: Sequence[Mapping[str, Any]],
    *,
    submitter_id: str,
    record: Mapping[str, Any],
    chosen: Sequence[str] = (),
) -> list[str]:
    """Every spec's users concatenated in order; a user named twice keeps the first place."""
    out: list[str] = []
    for spec in specs:
        out += resolve(ctx, spec, submitter_id=submitter_id, record=record, chosen=chosen)
    return list(dict.fromkeys(out))


def manager_of(ctx: Context, user_id: str) -> str | None:
    """The user's direct manager when active, else None (timeouts escalate to them)."""
    found = lookup.active_user_ids(ctx, _managers(ctx, user_id, 1))
    return found[0] if found else None
