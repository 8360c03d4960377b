"""Moving an instance through its flow: tokens, node entry, tasks, node completion, outcome.

Every function here works on a ``Run`` — one instance loaded (and locked) inside the caller's
unit of work — and leaves its changes in it; ``save`` writes the instance, the trail, the
record lock's editors and the notifications at the end. Users' actions (``actions.py``) and
the timeout tick call in here; nothing here checks who the actor is.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, literal, select

from accord.auth import teams
from accord.automation.engine import run_actions
from accord.automation.model import Rule, Trigger
from accord.core.context import SYSTEM_ACTOR, Context
from accord.core.errors import Conflict
from accord.meta.registry import Registry
from accord.notifications import service as notifications
from accord.query import filter_clause
from accord.records import locks
from accord.records import service as records
from accord.workflow import approvers, repository
from accord.workflow.model import (
    APPROVED,
    APPROVER,
    CANCELLED,
    CC,
    CONDITION,
    COUNTERSIGN,
    DONE_APPROVED,
    DONE_REJECTED,
    OPEN,
    OR_SIGN,
    PARALLEL,
    PENDING,
    REJECTED,
    RUNNING,
    SEQUENTIAL,
    SKIPPED,
    T_ADDED,
    T_APPROVE,
    T_CC,
    TRANSFERRED,
    UNREAD,
    WAITING,
    Flow,
    Node,
    parse_flow,
)

log = logging.getLogger(__name__)

PASS, REJECT = "pass", "reject"


@dataclass
class Run:
    ctx: Context  # the acting user (or the system)
    reg: Registry
    flow: Flow
    inst: dict[str, Any]
    now: datetime
    steps: list[dict[str, Any]] = field(default_factory=list)
    notices: list[tuple[list[str], str, dict[str, str]]] = field(default_factory=list)
    _record: dict[str, Any] | None = None

    @property
    def state(self) -> dict[str, Any]:
        return self.inst["state"]  # type: ignore[no-any-return]

    @property
    def sys(self) -> Context:
        return replace(self.ctx, actor=SYSTEM_ACTOR)

    @property
    def actor_id(self) -> str | None:
        return None if self.ctx.actor.is_system else self.ctx.actor.id

    def record(self, *, fresh: bool = False) -> dict[str, Any]:
        if self._record is None or fresh:
            obj, rid = self.inst["object_name"], self.inst["record_id"]
            self._record = dict(records.get(self.sys, obj, rid, include_deleted=True))
        return self._record

    def step(
        self,
        action: str,
        *,
        task: dict[str, Any] | None = None,
        node: str | None = None,
        comment: str | None = None,
        attachments: Any = None,
        system: bool = False,
        **detail: Any,
    ) -> None:
        waited = None
        if task is not None and task.get("activated_at") is not None:
            waited = int((self.now - task["activated_at"]).total_seconds() * 1000)
        self.steps.append(
            {
                "instance_id": self.inst["id"],
                "task_id": task["id"] if task else None,
                "node_id": node or (task["node_id"] if task else None),
                "actor_id": None if system else self.actor_id,
                "action": action,
                "comment": comment,
                "attachments": attachments,
                "at": self.now,
                "waited_ms": waited,
                "detail": detail or None,
            }
        )

    def notify(self, users: list[str], event: str, **data: str) -> None:
        if users:
            self.notices.append((users, event, data))


def load(ctx: Context, reg: Registry, instance_id: str, *, lock: bool = True) -> Run | None:
    inst = repository.instance_row(ctx.conn, instance_id, lock=lock)
    if inst is None:
        return None
    d = repository.version_definition(ctx.conn, inst["flow_id"], inst["flow_version"])
    flow = parse_flow(inst["flow_id"], inst["flow_version"], d)
    inst["state"] = dict(inst["state"])
    return Run(ctx, reg, flow, inst, ctx.clock.now())


def save(run: Run) -> None:
    """Write the instance (version + 1), the trail, the lock's editors; send notifications."""
    inst = run.inst
    inst["version"] += 1
    inst["updated_at"] = run.now
    repository.save_instance(run.ctx.conn, inst)
    repository.add_steps(run.ctx.conn, run.steps)
    run.steps = []
    holder = f"approval:{inst['id']}"
    if inst["status"] == RUNNING:
        open_tasks = [
            t
            for t in repository.tasks_of(run.ctx.conn, inst["id"])
            if t["status"] == PENDING and t["kind"] != T_CC
        ]
        editable = set(run.flow.editable_fields)
        for tok in run.state.get("tokens", []):
            editable |= set(run.flow.node(tok["node"]).editable_fields)
        editors = sorted({t["assignee_id"] for t in open_tasks})
        locks.set_editors(
            run.sys, inst["object_name"], inst["record_id"], holder, editors, sorted(editable)
        )
    else:
        locks.unlock(run.sys, inst["object_name"], inst["record_id"], holder)
    for users, event, data in run.notices:
        _send(run, users, event, data)
    run.notices = []


# --- entering nodes --------------------------------------------------------------------------


def enter(run: Run, node_id: str | None, path: list[list[Any]]) -> None:
    """Move a token to ``node_id`` within scope ``path`` and as far on as it can go."""
    flow, state = run.flow, run.state
    while run.inst["status"] == RUNNING:
        if node_id is None:
            if not path:
                finish(run, APPROVED)
                return
            pid, i = path[-1]
            key = _join_key(pid, path[:-1])
            done = state.setdefault("joins", {}).setdefault(key, [])
            if i not in done:
                done.append(i)
            if len(done) < len(flow.node(pid).parallel):
                return  # other branches still run
            del state["joins"][key]
            node_id, path = flow.node(pid).next, path[:-1]
            continue
        node = flow.node(node_id)
        if node.type == CONDITION:
            node_id = _choose(run, node)
            run.step("branch", node=node.id, system=True, to=node_id)
        elif node.type == "action":
            done_actions = _run_actions(run, node.actions, f"node {node.id}")
            run.step("auto_action", node=node.id, system=True, actions=done_actions)
            node_id = node.next
        elif node.type == CC:
            _cc(run, node)
            node_id = node.next
        elif node.type == PARALLEL:
            state.setdefault("joins", {})[_join_key(node.id, path)] = []
            for i, first in enumerate(node.parallel):
                enter(run, first, [*path, [node.id, i]])
            return
        else:
            token = {"node": node.id, "path": path, "entry": _next_entry(state)}
            state.setdefault("tokens", []).append(token)
            _approver_tasks(run, node, token)
            outcome = settle(run, token)
            if outcome != PASS:
                return  # waits for people (a rejection cannot come from entering)
            node_id, path = _leave(run, token)


def _next_entry(state: dict[str, Any]) -> int:
    state["entries"] = int(state.get("entries", 0)) + 1
    return int(state["entries"])


def _join_key(pid: str, path: list[list[Any]]) -> str:
    return "/".join([*(f"{p}:{i}" for p, i in path), pid])


def _choose(run: Run, node: Node) -> str | None:
    """The first branch whose condition holds for the record as it is now; else the default."""
    conds = [b["condition"] for b in node.branches]
    held = conditions_hold(run.sys, run.reg, run.inst["object_name"], run.inst["record_id"], conds)
    for branch, ok in zip(node.branches, held, strict=True):
        if ok:
            return branch.get("next")  # type: ignore[no-any-return]
    return node.default


def conditions_hold(
    ctx: Context, reg: Registry, obj: str, rid: str, conditions: list[Any]
) -> list[bool]:
    """Each filter evaluated on one record, in one statement (a CASE column per filter)."""
    if not conditions:
        return []
    t = reg.table(obj)
    cols = [
        case((filter_clause(ctx, reg, obj, c), literal(1)), else_=literal(0))
        if c is not None
        else literal(1)
        for c in conditions
    ]
    row = ctx.conn.execute(select(*cols).where(t.c.id == rid)).first()
    return [bool(v) for v in row] if row is not None else [False] * len(conditions)


def _run_actions(run: Run, specs: tuple[Any, ...], what: str) -> list[dict[str, Any]]:
    if not specs:
        return []
    rule = Rule(
        id=run.flow.id,
        name=f"approval {run.flow.name} ({what})",
        object_name=run.inst["object_name"],
        trigger=Trigger(type="updated"),
        condition=None,
        actions=specs,
    )
    done = run_actions(run.ctx, run.reg, rule, run.inst["record_id"], run.ctx.depth + 1)
    run.record(fresh=True)
    return done


def _resolve(run: Run, node: Node) -> list[str]:
    return approvers.resolve_all(
        run.sys,
        node.approvers,
        submitter_id=run.inst["submitter_id"],
        record=run.record(),
        chosen=run.state.get("chosen", {}).get(node.id, ()),
    )


def _cc(run: Run, node: Node) -> None:
    users = _resolve(run, node)
    entry = _next_entry(run.state)
    rows = [_task_row(run, node.id, entry, T_CC, u, UNREAD, i) for i, u in enumerate(users)]
    repository.insert_tasks(run.ctx.conn, rows)
    _open_record_to(run, users)
    run.step("cc", node=node.id, system=True, users=users)
    run.notify(users, "cc")


def _task_row(
    run: Run, node_id: str, entry: int, kind: str, user: str, status: str, seq: int, **extra: Any
) -> dict[str, Any]:
    return {
        "instance_id": run.inst["id"],
        "node_id": node_id,
        "round": entry,
        "kind": kind,
        "assignee_id": user,
        "status": status,
        "seq": seq,
        "created_at": run.now,
        "acted_at": run.now if status in (SKIPPED, DONE_APPROVED) else None,
        "parent_id": extra.get("parent_id"),
        "position": extra.get("position"),
    }


def _approver_tasks(run: Run, node: Node, token: dict[str, Any]) -> None:
    flow = run.flow
    users = _resolve(run, node)
    if not users:
        policy = flow.policy("empty_approvers")
        if policy == "auto_approve":
            run.step("auto_approved", node=node.id, system=True, reason="no approver")
            return
        if policy == "admin" and flow.admin:
            users = [flow.admin]
        else:
            raise Conflict(
                "APPROVAL_NO_APPROVER",
                f"Nobody approves the step {node.title('en')!r} of flow {flow.name!r} for this "
                "record; ask the flow administrator.",
            )
    submitter = run.inst["submitter_id"]
    skip_self = flow.policy("submitter_is_approver") == "skip"
    previous = (
        set(run.state.get("last_approvers", []))
        if flow.policy("consecutive_same_approver") == "once"
        else set()
    )
    rows, first_open = [], True
    for seq, u in enumerate(users):
        if (skip_self and u == submitter) or u in previous:
            rows.append(_task_row(run, node.id, token["entry"], T_APPROVE, u, SKIPPED, seq))
            continue
        if node.mode == SEQUENTIAL and not first_open:
            rows.append(_task_row(run, node.id, token["entry"], T_APPROVE, u, WAITING, seq))
            continue
        first_open = False
        rows.append(_task_row(run, node.id, token["entry"], T_APPROVE, u, WAITING, seq))
        rows[-1]["_activate"] = True
    for row in rows:
        if row["status"] == SKIPPED:
            why = (
                "submitter" if row["assignee_id"] == submitter and skip_self else "approved before"
            )
            run.step("skipped", node=node.id, system=True, user=row["assignee_id"], reason=why)
    to_activate = [r.pop("_activate", False) for r in rows]
    ids = repository.insert_tasks(run.ctx.conn, rows)
    _open_record_to(run, users)
    for tid, go in zip(ids, to_activate, strict=True):
        if go:
            activate(run, repository.task_row(run.ctx.conn, tid) or {})


def activate(run: Run, task: dict[str, Any]) -> None:
    """Make a task the assignee's to decide now: due times from the node, a notification."""
    node = run.flow.node(task["node_id"])
    t = node.timeout
    remind = run.now + timedelta(hours=t.remind_after_hours) if t.remind_after_hours else None
    timeout = run.now + timedelta(hours=t.act_after_hours) if t.act_after_hours else None
    repository.set_task(
        run.ctx.conn,
        task["id"],
        status=PENDING,
        activated_at=run.now,
        remind_at=remind,
        timeout_at=timeout,
    )
    task.update(status=PENDING, activated_at=run.now)
    run.notify([task["assignee_id"]], "task")


def _open_record_to(run: Run, users: list[str]) -> None:
    """Approvers and CC'd users read the record they are asked about: a read share, unless
    they have one already (never lowering a write share)."""
    obj, rid = run.inst["object_name"], run.inst["record_id"]
    have = {s["user_id"] for s in teams.shares_for(run.sys, obj, rid) if s["user_id"]}
    for u in dict.fromkeys(users):
        if u not in have and u != run.inst["submitter_id"]:
            teams.share(run.sys, obj, rid, user_id=u, access="read")


# --- node completion -------------------------------------------------------------------------


def token_for(run: Run, node_id: str, entry: int) -> dict[str, Any] | None:
    for tok in run.state.get("tokens", []):
        if tok["node"] == node_id and tok["entry"] == entry:
            return tok  # type: ignore[no-any-return]
    return None


def settle(run: Run, token: dict[str, Any]) -> str | None:
    """Decide the node if its tasks allow: PASS, REJECT, or None (still waiting; the next
    sequential approver is activated)."""
    node = run.flow.node(token["node"])
    tasks = repository.tasks_of(run.ctx.conn, run.inst["id"], node_id=node.id, entry=token["entry"])
    gone = (TRANSFERRED, CANCELLED)
    roots = [t for t in tasks if t["kind"] == T_APPROVE and t["status"] not in gone]
    after = [t for t in tasks if t["kind"] == T_ADDED and t["position"] == "after"]

    def final_yes(r: dict[str, Any]) -> bool:
        if r["status"] not in (DONE_APPROVED, SKIPPED):
            return False
        mine = [a for a in after if a["parent_id"] == r["id"] and a["status"] != CANCELLED]
        return all(a["status"] == DONE_APPROVED for a in mine)

    yes = [r for r in roots if final_yes(r)]
    no = [r for r in roots if r["status"] == DONE_REJECTED]
    if not roots:  # the empty policy approved it
        return _pass(run, token, [])
    if node.mode == OR_SIGN:
        if yes:
            return _pass(run, token, yes)
        return REJECT if no else None
    if node.mode == COUNTERSIGN:
        n = len(roots)
        if len(yes) * 100 >= node.pass_ratio * n:
            return _pass(run, token, yes)
        return REJECT if (n - len(no)) * 100 < node.pass_ratio * n else None
    if no:
        return REJECT
    if len(yes) == len(roots):
        return _pass(run, token, yes)
    if not any(r["status"] in (PENDING, "delegated") or _held_by_before(r, tasks) for r in roots):
        nxt = min(
            (r for r in roots if r["status"] == WAITING), key=lambda r: r["seq"], default=None
        )
        if nxt is not None:
            activate(run, nxt)
    return None


def _held_by_before(root: dict[str, Any], tasks: list[dict[str, Any]]) -> bool:
    return root["status"] == WAITING and any(
        t["parent_id"] == root["id"] and t["position"] == "before" and t["status"] in OPEN
        for t in tasks
    )


def _pass(run: Run, token: dict[str, Any], yes: list[dict[str, Any]]) -> str:
    repository.cancel_open(
        run.ctx.conn, run.inst["id"], run.now, node_id=token["node"], entry=token["entry"]
    )
    run.state["last_approvers"] = [r["assignee_id"] for r in yes]
    if not token["path"]:
        run.state.setdefault("passed", []).append(token["node"])
    run.step("node_approved", node=token["node"], system=True)
    return PASS


def _leave(run: Run, token: dict[str, Any]) -> tuple[str | None, list[list[Any]]]:
    run.state["tokens"] = [t for t in run.state["tokens"] if t is not token]
    return run.flow.node(token["node"]).next, token["path"]


def advance(run: Run, token: dict[str, Any]) -> None:
    """After a task decision: settle the node; on PASS move on."""
    if settle(run, token) == PASS:
        node_id, path = _leave(run, token)
        enter(run, node_id, path)


# --- ends ------------------------------------------------------------------------------------


def finish(run: Run, outcome: str) -> None:
    inst = run.inst
    repository.cancel_open(run.ctx.conn, inst["id"], run.now)
    inst["status"], inst["finished_at"] = outcome, run.now
    run.state["tokens"], run.state["joins"] = [], {}
    specs = run.flow.on_approved if outcome == APPROVED else run.flow.on_rejected
    done = _run_actions(run, specs, outcome)
    run.step(outcome, system=True, actions=done or None)
    run.notify([inst["submitter_id"]], outcome)


def stop_tokens(run: Run) -> None:
    repository.cancel_open(run.ctx.conn, run.inst["id"], run.now)
    run.state["tokens"], run.state["joins"] = [], {}


def reject(run: Run, token: dict[str, Any], target: str) -> None:
    """A decisive rejection at ``token``'s node: end, back to the submitter, or back to an
    earlier node."""
    run.state["rejected_at"] = token["node"]
    if target == "end":
        finish(run, REJECTED)
    elif target == "submitter":
        stop_tokens(run)
        run.inst["status"] = "returned"
        run.step("returned", system=True, node=token["node"])
        run.notify([run.inst["submitter_id"]], "returned")
    else:
        stop_tokens(run)
        passed = run.state.get("passed", [])
        run.state["passed"] = passed[: passed.index(target)]
        run.state["last_approvers"] = []
        run.step("sent_back", system=True, node=token["node"], to=target)
        enter(run, target, [])


# --- predictions and notifications -----------------------------------------------------------


def ahead(run: Run) -> list[dict[str, Any]]:
    """The nodes still ahead of the running tokens with their predicted approvers (conditions
    evaluated on the record as it is now)."""
    out: list[dict[str, Any]] = []
    seen: set[str] = set()

    def walk(node_id: str | None) -> None:
        while node_id is not None and node_id not in seen:
            seen.add(node_id)
            node = run.flow.node(node_id)
            if node.type == CONDITION:
                node_id = _choose(run, node)
                continue
            if node.type == PARALLEL:
                for first in node.parallel:
                    walk(first)
            elif node.type in (APPROVER, CC):
                out.append(
                    {
                        "node_id": node.id,
                        "type": node.type,
                        "label": dict(node.label),
                        "mode": node.mode if node.type == APPROVER else None,
                        "approvers": _resolve(run, node),
                    }
                )
            node_id = node.next

    for tok in run.state.get("tokens", []):
        walk(run.flow.node(tok["node"]).next)
        path = tok["path"]
        while path:  # after a branch ends: the parallel node's next
            pid = path[-1][0]
            walk(run.flow.node(pid).next)
            path = path[:-1]
    return out


_TEXT = {
    "task": ({"zh": "待你审批：{{ title }}", "en": "Awaiting your approval: {{ title }}"}),
    "cc": ({"zh": "抄送：{{ title }}", "en": "For your information: {{ title }}"}),
    "approved": ({"zh": "审批通过：{{ title }}", "en": "Approved: {{ title }}"}),
    "rejected": ({"zh": "审批被驳回：{{ title }}", "en": "Rejected: {{ title }}"}),
    "returned": ({"zh": "审批退回给你修改：{{ title }}", "en": "Returned to you: {{ title }}"}),
    "reminder": ({"zh": "审批提醒：{{ title }}", "en": "Reminder, awaiting you: {{ title }}"}),
    "urge": ({"zh": "{{ by }} 催办：{{ title }}", "en": "{{ by }} is waiting for: {{ title }}"}),
}


def _send(run: Run, users: list[str], event: str, data: dict[str, str]) -> None:
    inst = run.inst
    message = notifications.Message(
        kind="approval",
        title=_TEXT[event],
        body={"zh": "{{ flow }} · {{ url }}", "en": "{{ flow }} · {{ url }}"},
        object_name=inst["object_name"],
        record_id=inst["record_id"],
        data={
            "title": inst["title"],
            "flow": run.flow.label.get("zh") or run.flow.name,
            "instance_id": inst["id"],
            "event": event,
            **data,
        },
    )
    notifications.notify(run.sys, users, message)
