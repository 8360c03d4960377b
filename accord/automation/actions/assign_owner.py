"""``assign_owner``: give the record an owner — a fixed user, round-robin or least-loaded over a
team, or a team looked up from a field (region → team).

    {type: assign_owner, user: wang.fang}
    {type: assign_owner, strategy: round_robin, team: {department: <id>}}
    {type: assign_owner, strategy: least_loaded, team: {users: [li.lei, han.mei]},
     load_filter: {field: status, op: in, value: [new, contacted]}}
    {type: assign_owner, strategy: round_robin, by: region,
     teams: {east_china: {department: <shanghai id>}}, default: {users: [admin]}}

A team is a department (``include_subdepartments`` optional, default true) or a list of users;
its members are the active users, in login order. Round-robin keeps one counter per action and
team in the database, so several workers share the rotation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from accord.auth.identity import find_user_by_ref
from accord.auth.org import department_tree_ids
from accord.automation import repository
from accord.automation.actions.base import (
    E_ACTION,
    E_FIELD,
    E_TEAM,
    ActionContext,
    ActionType,
    CheckContext,
    problem,
)
from accord.core.context import Context
from accord.core.errors import FieldError, Invalid, NotFound
from accord.core.ids import parse_id
from accord.db import tables as t
from accord.query import parse_filter
from accord.records import service as records
from accord.records import stats
from accord.records.codec import codec

STRATEGIES = ("round_robin", "least_loaded")


class AssignOwner(ActionType):
    type = "assign_owner"

    def writes(self, spec: Mapping[str, Any]) -> frozenset[str]:
        return frozenset({"owner_id"})

    def check(self, cc: CheckContext, spec: Mapping[str, Any], where: str) -> list[FieldError]:
        if not cc.reg.object(cc.rule_object).ownable:
            return [problem(where, E_ACTION, f"{cc.rule_object} records have no owner")]
        if "user" in spec:
            user = find_user_by_ref(cc.ctx.conn, spec["user"])
            if user is None or not _active(user):
                msg = f"there is no active user {spec['user']!r}"
                return [problem(f"{where}.user", E_TEAM, msg)]
            return []
        if spec.get("strategy") not in STRATEGIES:
            msg = "give a user, or a strategy: round_robin or least_loaded"
            return [problem(f"{where}.strategy", E_ACTION, msg)]
        out: list[FieldError] = []
        if spec.get("load_filter") is not None:
            try:
                parse_filter(spec["load_filter"], cc.reg, cc.rule_object)
            except Invalid as exc:
                out += [
                    problem(f"{where}.load_filter.{e.field}", e.code, e.message) for e in exc.errors
                ]
        if "by" not in spec:
            return out + _check_team(cc.ctx, spec.get("team"), f"{where}.team")
        fc = codec(cc.reg, cc.rule_object).fields.get(spec["by"])
        if fc is None:
            return [
                *out,
                problem(f"{where}.by", E_FIELD, f"{cc.rule_object} has no field {spec['by']!r}"),
            ]
        teams = spec.get("teams")
        if not isinstance(teams, Mapping) or not teams:
            return [*out, problem(f"{where}.teams", E_TEAM, "map field values to teams")]
        for value, team in teams.items():
            try:
                fc.type.coerce(value, fc.field)
            except ValueError as exc:
                out.append(problem(f"{where}.teams.{value}", E_FIELD, f"not a {spec['by']}: {exc}"))
            out += _check_team(cc.ctx, team, f"{where}.teams.{value}")
        if spec.get("default") is not None:
            out += _check_team(cc.ctx, spec["default"], f"{where}.default")
        return out

    def _choose(self, ax: ActionContext, spec: Mapping[str, Any], *, dry: bool) -> str | None:
        if "user" in spec:
            user = find_user_by_ref(ax.ctx.conn, spec["user"])
            return str(user["id"]) if user and _active(user) else None
        team, key = spec.get("team"), "team"
        if "by" in spec:
            value = ax.record.get(spec["by"])
            team = (spec.get("teams") or {}).get(value) if value is not None else None
            key = f"by:{value}"
            if team is None:
                team, key = spec.get("default"), "default"
        members = team_members(ax.ctx, team) if team else []
        if not members:
            return None
        if spec["strategy"] == "least_loaded":
            load = stats.count_by(
                ax.ctx, ax.object_name, "owner_id", members, spec.get("load_filter")
            )
            low = min(load.values())
            members = [m for m in members if load[m] == low]
            if len(members) == 1:
                return members[0]
        counter = f"rr:{ax.rule.id}:{spec.get('_index', 0)}:{key}"
        if dry:
            return members[0]
        n = repository.next_counter(ax.ctx.conn, counter)
        return members[(n - 1) % len(members)]

    def run(self, ax: ActionContext, spec: Mapping[str, Any]) -> dict[str, Any]:
        owner = self._choose(ax, spec, dry=False)
        if owner is None:
            return {"assigned": None, "reason": "no active member in the team"}
        if owner != ax.record.get("owner_id"):
            ax.record = dict(
                records.update(
                    ax.ctx,
                    ax.object_name,
                    ax.record_id,
                    {"owner_id": owner},
                    version=ax.record["version"],
                )
            )
        return {"assigned": owner}

    def preview(self, ax: ActionContext, spec: Mapping[str, Any]) -> dict[str, Any]:
        return {"would_assign": self._choose(ax, spec, dry=True)}


def _active(user: Mapping[str, Any]) -> bool:
    return bool(user["is_active"]) and user.get("disabled_at") is None


def _check_team(ctx: Context, team: Any, where: str) -> list[FieldError]:
    if not isinstance(team, Mapping) or not ({"department"} <= set(team) or {"users"} <= set(team)):
        return [problem(where, E_TEAM, "a team is {department: <id>} or {users: [...]}")]
    if "users" in team:
        users = team["users"]
        if not isinstance(users, list) or not users:
            return [problem(f"{where}.users", E_TEAM, "list at least one user")]
        missing = [
            u for u in users if (x := find_user_by_ref(ctx.conn, u)) is None or not _active(x)
        ]
        if missing:
            return [problem(f"{where}.users", E_TEAM, f"no active user {missing}")]
        return []
    did = parse_id(team["department"])
    if (
        did is None
        or ctx.conn.scalar(select(t.departments.c.id).where(t.departments.c.id == did)) is None
    ):
        return [
            problem(f"{where}.department", E_TEAM, f"there is no department {team['department']!r}")
        ]
    if not team_members(ctx, team):
        return [problem(f"{where}.department", E_TEAM, "the department has no active users")]
    return []


def team_members(ctx: Context, team: Mapping[str, Any]) -> list[str]:
    """Active users of the team, in login order."""
    u = t.users
    active = u.c.is_active.is_(True) & u.c.disabled_at.is_(None)
    if "users" in team:
        ids = [str(x["id"]) for ref in team["users"] if (x := find_user_by_ref(ctx.conn, ref))]
        q = select(u.c.id).where(u.c.id.in_(ids), active)
    else:
        did = parse_id(team["department"])
        if did is None:
            return []
        try:
            depts = (
                department_tree_ids(ctx, did) if team.get("include_subdepartments", True) else {did}
            )
        except NotFound:  # deleted since the rule was saved: nobody to assign to
            return []
        q = select(u.c.id).where(u.c.department_id.in_(list(depts)), active)
    return [str(i) for i in ctx.conn.scalars(q.order_by(u.c.login))]
