"""Job handlers of the approval engine and its schedule, and the automation action that
starts an approval.

- ``workflow.tick`` (every minute): reminds assignees whose reminder time came, and acts on
  tasks past their timeout (approve, reject, or escalate to the assignee's manager). Each task
  is handled in its own savepoint: one failure is logged and the others go on.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from accord.auth import identity
from accord.automation.actions import registry as automation_actions
from accord.automation.actions.base import (
    E_UNAVAILABLE,
    ActionContext,
    ActionType,
    CheckContext,
    problem,
)
from accord.core.context import SYSTEM_ACTOR, Context
from accord.core.errors import FieldError
from accord.jobs.every import Every
from accord.jobs.registry import handler
from accord.jobs.scheduler import Schedule
from accord.meta import service as meta
from accord.workflow import actions, approvers, engine, repository
from accord.workflow.model import DONE_APPROVED, DONE_REJECTED, PENDING

log = logging.getLogger("accord.workflow")

TICK_KIND = "workflow.tick"
SCHEDULES = (Schedule(TICK_KIND, TICK_KIND, Every.parse("1m")),)
BATCH = 500


@handler(TICK_KIND)
def tick(ctx: Context, payload: dict[str, Any]) -> dict[str, Any]:
    sys = replace(ctx, actor=SYSTEM_ACTOR)
    reg = meta.registry(sys)
    now = sys.clock.now()
    done = {"reminded": 0, "timed_out": 0, "failed": 0}
    for task in repository.due_tasks(sys.conn, now, BATCH):
        try:
            with sys.conn.begin_nested():
                done[_due(sys, reg, task)] += 1
        except Exception:
            log.exception("approval task %s: reminder/timeout failed", task["id"])
            repository.set_task(sys.conn, task["id"], remind_at=None, timeout_at=None)
            done["failed"] += 1
    return done


def _due(ctx: Context, reg: Any, task: dict[str, Any]) -> str:
    run = engine.load(ctx, reg, task["instance_id"])
    task = repository.task_row(ctx.conn, task["id"]) or task
    if run is None or task["status"] != PENDING:
        return "failed"
    if task["timeout_at"] is not None and task["timeout_at"] <= run.now:
        action = run.flow.node(task["node_id"]).timeout.action
        repository.set_task(ctx.conn, task["id"], timeout_at=None, remind_at=None)
        if action == "escalate":
            boss = approvers.manager_of(ctx, task["assignee_id"]) or run.flow.admin
            if boss is None or boss == task["assignee_id"]:
                run.step("timeout", task=task, system=True, outcome="nobody to escalate to")
            else:
                actions.escalate(run, task, boss)
        else:
            status = DONE_APPROVED if action == "approve" else DONE_REJECTED
            repository.set_task(ctx.conn, task["id"], status=status, acted_at=run.now)
            run.step(f"timeout_{action}", task=task, system=True)
            token = engine.token_for(run, task["node_id"], task["round"])
            if token is not None:
                if engine.settle(run, token) == engine.REJECT:
                    engine.reject(run, token, "end")
                elif status == DONE_APPROVED:
                    engine.advance(run, token)
        engine.save(run)
        return "timed_out"
    repository.set_task(ctx.conn, task["id"], remind_at=None)
    run.step("remind", task=task, system=True)
    run.notify([task["assignee_id"]], "reminder")
    engine.save(run)
    return "reminded"


class StartApproval(ActionType):
    """Automation action ``start_approval``: submit the record to a named flow (or the first
    that applies), as the record's owner."""

    type = "start_approval"

    def check(self, cc: CheckContext, spec: Mapping[str, Any], where: str) -> list[FieldError]:
        flow = spec.get("flow")
        if flow is None:
            return []
        row = repository.flow_id_by_name(cc.ctx.conn, flow) if isinstance(flow, str) else None
        if row is None:
            return [problem(f"{where}.flow", E_UNAVAILABLE, f"there is no approval flow {flow!r}")]
        return []

    def run(self, ax: ActionContext, spec: Mapping[str, Any]) -> dict[str, Any]:
        owner = ax.record.get("owner_id")
        user = identity.find_user_by_id(ax.ctx.conn, owner) if owner else None
        if user is None or not user["is_active"] or user["disabled_at"] is not None:
            raise ValueError("the record has no active owner to submit it")
        as_owner = replace(ax.ctx, actor=identity.actor_for(user))
        body = {"flow": spec.get("flow"), "comment": "submitted by an automation rule"}
        done = actions.submit(as_owner, ax.object_name, ax.record_id, body)
        return {"approval_id": done["id"]}

    def preview(self, ax: ActionContext, spec: Mapping[str, Any]) -> dict[str, Any]:
        return {"would_submit": spec.get("flow") or "the first flow that applies"}


automation_actions.register(StartApproval())
