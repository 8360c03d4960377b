"""``create_record``: create a record of any object (a follow-up task, a key-account task…)
whose values are literals or expressions over the triggering record (``name``, ``owner_id``,
``today() + 3``, ``id`` to link back)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from accord.automation.actions.base import (
    E_ACTION,
    ActionContext,
    ActionType,
    CheckContext,
    check_values,
    problem,
    resolve_values,
)
from accord.core.errors import FieldError
from accord.records import service as records


class CreateRecord(ActionType):
    type = "create_record"

    def check(self, cc: CheckContext, spec: Mapping[str, Any], where: str) -> list[FieldError]:
        target = spec.get("object")
        if not isinstance(target, str) or not target:
            return [problem(f"{where}.object", E_ACTION, "name the object to create")]
        return check_values(cc, target, spec, where)

    def run(self, ax: ActionContext, spec: Mapping[str, Any]) -> dict[str, Any]:
        made = records.create(ax.ctx, spec["object"], resolve_values(ax, spec))
        return {"created": {"object": spec["object"], "id": made["id"]}}

    def preview(self, ax: ActionContext, spec: Mapping[str, Any]) -> dict[str, Any]:
        return {"would_create": {"object": spec["object"], "values": resolve_values(ax, spec)}}
