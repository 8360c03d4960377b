"""``notify``: tell people about the record, in-app and on the channels each recipient chose
(``accord.notifications`` renders per recipient, showing only fields they may read).

Recipients: ``{"owner": true}`` (the record's owner), ``{"user": "<id or login>"}``,
``{"field": "<user field of the record>"}`` (e.g. ``presales_owner``), ``{"department": "<id>"}``
(the department's group robot, when one is set up).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from accord.auth.identity import find_user_by_ref
from accord.automation.actions.base import (
    E_ACTION,
    E_RECIPIENT,
    E_TEMPLATE,
    ActionContext,
    ActionType,
    CheckContext,
    problem,
)
from accord.core.errors import FieldError
from accord.db import tables as t
from accord.notifications import service as notifications
from accord.records.codec import codec

KIND = "automation"


class Notify(ActionType):
    type = "notify"

    def check(self, cc: CheckContext, spec: Mapping[str, Any], where: str) -> list[FieldError]:
        out = [
            problem(f"{where}.{e.field}", E_TEMPLATE, e.message)
            for e in notifications.check_message(spec.get("title"), spec.get("body"))
        ]
        to = spec.get("to")
        if not isinstance(to, list) or not to:
            return [*out, problem(f"{where}.to", E_RECIPIENT, "name at least one recipient")]
        users: list[str] = []
        for i, r in enumerate(to):
            at = f"{where}.to[{i}]"
            if not isinstance(r, Mapping) or len(r) != 1:
                out.append(problem(at, E_RECIPIENT, "one of owner, user, field, department"))
            elif "user" in r:
                user = find_user_by_ref(cc.ctx.conn, r["user"])
                if user is None:
                    out.append(problem(at, E_RECIPIENT, f"there is no user {r['user']!r}"))
                else:
                    users.append(str(user["id"]))
            elif "field" in r:
                fc = codec(cc.reg, cc.rule_object).fields.get(r["field"])
                if fc is None or fc.field.type != "user":
                    msg = f"{cc.rule_object} has no user field {r['field']!r}"
                    out.append(problem(at, E_RECIPIENT, msg))
            elif "department" in r:
                if not _department_exists(cc, r["department"]):
                    msg = f"there is no department {r['department']!r}"
                    out.append(problem(at, E_RECIPIENT, msg))
            elif r.get("owner") is not True:
                out.append(problem(at, E_ACTION, "one of owner, user, field, department"))
        out += [
            problem(f"{where}.to", E_RECIPIENT, e.message)
            for e in notifications.check_recipients(cc.ctx, users)
        ]
        return out

    def _recipients(
        self, ax: ActionContext, spec: Mapping[str, Any]
    ) -> tuple[list[str], list[str]]:
        users: list[str] = []
        departments: list[str] = []
        for r in spec["to"]:
            if r.get("owner") and ax.record.get("owner_id"):
                users.append(str(ax.record["owner_id"]))
            elif "user" in r:
                user = find_user_by_ref(ax.ctx.conn, r["user"])
                if user is not None:
                    users.append(str(user["id"]))
            elif "field" in r and ax.record.get(r["field"]):
                users.append(str(ax.record[r["field"]]))
            elif "department" in r:
                departments.append(str(r["department"]))
        return list(dict.fromkeys(users)), departments

    def _message(self, ax: ActionContext, spec: Mapping[str, Any]) -> notifications.Message:
        return notifications.Message(
            kind=KIND,
            title=spec["title"],
            body=spec.get("body") or {},
            object_name=ax.object_name,
            record_id=ax.record_id,
            data={"rule": ax.rule.name},
        )

    def run(self, ax: ActionContext, spec: Mapping[str, Any]) -> dict[str, Any]:
        users, departments = self._recipients(ax, spec)
        if not users and not departments:
            return {"notified": []}
        notifications.notify(ax.ctx, users, self._message(ax, spec), department_ids=departments)
        return {"notified": users, "departments": departments}

    def preview(self, ax: ActionContext, spec: Mapping[str, Any]) -> dict[str, Any]:
        users, departments = self._recipients(ax, spec)
        return {"would_notify": users, "departments": departments}


def _department_exists(cc: CheckContext, ref: Any) -> bool:
    from sqlalchemy import select

    from accord.core.ids import parse_id

    did = parse_id(ref)
    return (
        did is not None
        and cc.ctx.conn.scalar(select(t.departments.c.id).where(t.departments.c.id == did))
        is not None
    )
