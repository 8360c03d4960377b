"""``webhook``: send the record to a configured outbound webhook (signed, retried, logged by
``accord.webhooks``), e.g. the ERP when a contract is signed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from accord.automation.actions.base import (
    E_WEBHOOK,
    ActionContext,
    ActionType,
    CheckContext,
    problem,
)
from accord.core.errors import FieldError


class CallWebhook(ActionType):
    type = "webhook"

    def check(self, cc: CheckContext, spec: Mapping[str, Any], where: str) -> list[FieldError]:
        from accord.webhooks import service as webhooks

        ref = spec.get("webhook")
        if not isinstance(ref, str) or not ref:
            return [problem(f"{where}.webhook", E_WEBHOOK, "name the webhook (its name or id)")]
        return [
            problem(f"{where}.webhook", E_WEBHOOK, e.message)
            for e in webhooks.check_ref(cc.ctx, ref)
        ]

    def run(self, ax: ActionContext, spec: Mapping[str, Any]) -> dict[str, Any]:
        from accord.webhooks import service as webhooks

        delivery = webhooks.deliver(
            ax.ctx,
            spec["webhook"],
            f"automation.{ax.rule.name}",
            ax.object_name,
            ax.record_id,
            {"rule": {"id": ax.rule.id, "name": ax.rule.name}},
        )
        return {"webhook": spec["webhook"], "delivery": delivery}

    def preview(self, ax: ActionContext, spec: Mapping[str, Any]) -> dict[str, Any]:
        return {"would_send_to": spec["webhook"]}
