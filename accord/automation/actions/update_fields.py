"""``update_fields``: set fields of the triggering record (values, or expressions such as
``today() + 3``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from accord.automation.actions.base import (
    ActionContext,
    ActionType,
    CheckContext,
    check_values,
    resolve_values,
)
from accord.core.errors import FieldError
from accord.records import service as records


class UpdateFields(ActionType):
    type = "update_fields"

    def check(self, cc: CheckContext, spec: Mapping[str, Any], where: str) -> list[FieldError]:
        return check_values(cc, cc.rule_object, spec, where)

    def writes(self, spec: Mapping[str, Any]) -> frozenset[str]:
        return frozenset(spec.get("values") or {}) | frozenset(spec.get("expressions") or {})

    def run(self, ax: ActionContext, spec: Mapping[str, Any]) -> dict[str, Any]:
        values = resolve_values(ax, spec)
        changed = {k: v for k, v in values.items() if ax.record.get(k) != v}
        if changed:
            ax.record = dict(
                records.update(
                    ax.ctx, ax.object_name, ax.record_id, changed, version=ax.record["version"]
                )
            )
        return {"updated": sorted(changed)}

    def preview(self, ax: ActionContext, spec: Mapping[str, Any]) -> dict[str, Any]:
        return {"would_set": resolve_values(ax, spec)}
