"""What people do with approvals: submit, approve, reject, withdraw, resubmit, transfer (转交),
delegate (委派) and take back, add signers (加签) and remove them (减签), comment, urge (催办),
mark a copy read. Each action locks the instance, re-checks the task's state, and leaves one
consistent state however many people act at once (the loser gets 409)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any

from accord.core.context import SYSTEM_ACTOR, Context
from accord.core.errors import Conflict, FieldError, Forbidden, Invalid, NotFound, RateLimited
from accord.core.ids import new_id, parse_id
from accord.meta import service as meta
from accord.records import locks
from accord.records import service as records
from accord.workflow import approvers, engine, repository
from accord.workflow.engine import Run
from accord.workflow.model import (
    CANCELLED,
    DELEGATED,
    DONE_APPROVED,
    DONE_REJECTED,
    OPEN,
    PENDING,
    READ,
    RETURNED,
    RUNNING,
    T_ADDED,
    T_APPROVE,
    T_CC,
    T_DELEGATE,
    TRANSFERRED,
    UNREAD,
    WAITING,
    WITHDRAWN,
    parse_flow,
)

MAX_COMMENT = 2000
MAX_ATTACHMENTS = 20
MAX_SIGNERS = 10
URGE_EVERY = timedelta(minutes=10)


def _bad(field: str, message: str) -> Invalid:
    return Invalid(
        "APPROVAL_INVALID_REQUEST", message, [FieldError(field, "INVALID_VALUE", message)]
    )


def _body(body: Any) -> Mapping[str, Any]:
    if body is None:
        return {}
    if not isinstance(body, Mapping):
        raise _bad("", "Send a JSON object.")
    return body


def _comment(body: Mapping[str, Any]) -> str | None:
    c = body.get("comment")
    if c is not None and (not isinstance(c, str) or len(c) > MAX_COMMENT):
        raise _bad("comment", f"A comment is text of at most {MAX_COMMENT} characters.")
    return c or None


def _attachments(body: Mapping[str, Any]) -> list[Any] | None:
    a = body.get("attachments")
    if a is None:
        return None
    ok = (
        isinstance(a, list)
        and len(a) <= MAX_ATTACHMENTS
        and all(
            isinstance(x, Mapping)
            and isinstance(x.get("name"), str)
            and 0 < len(x["name"]) <= 255
            and isinstance(x.get("url", ""), str)
            and len(x.get("url", "")) <= 2000
            for x in a
        )
    )
    if not ok:
        raise _bad("attachments", f'At most {MAX_ATTACHMENTS} of {{"name", "url"}}.')
    return [{"name": x["name"], "url": x.get("url")} for x in a]


def _users(ctx: Context, raw: Any, field: str, *, limit: int = MAX_SIGNERS) -> list[str]:
    """Active user ids given by the caller (refused with the field named otherwise)."""
    if not isinstance(raw, list) or not raw or len(raw) > limit:
        raise _bad(field, f"Give 1–{limit} user ids.")
    spec = {"type": "users", "users": raw}
    if approvers.check_spec(ctx, spec, object_name="", user_fields=(), where=field):
        raise _bad(field, "Every user must exist and be active.")
    return list(dict.fromkeys(str(parse_id(u)) for u in raw))


# --- submit ----------------------------------------------------------------------------------


def submit(ctx: Context, obj: str, rid: Any, body: Any) -> dict[str, Any]:
    """Start the first matching flow (or the one named) on a record the user may edit."""
    body = _body(body)
    reg = meta.registry(ctx)
    rec = _submittable(ctx, obj, rid)
    rid = str(rec["id"])
    active = repository.active_instance(ctx.conn, obj, rid)
    if active is not None:
        what = "is under approval" if active["status"] == RUNNING else "waits for resubmission"
        raise Conflict(
            "APPROVAL_ALREADY_RUNNING",
            f"This record {what} ({active['id']}); "
            + ("wait for it or withdraw it." if active["status"] == RUNNING else "resubmit it."),
        )
    flow_row = _pick(ctx, reg, obj, rid, body.get("flow"))
    flow = parse_flow(str(flow_row["id"]), flow_row["version"], flow_row["definition"])
    chosen = _chosen(ctx, flow, body.get("approvers"))
    now = ctx.clock.now()
    c = reg.object(obj)
    title_field = c.title_field or "id"
    inst = {
        "id": new_id(),
        "flow_id": flow.id,
        "flow_version": flow.version,
        "object_name": obj,
        "record_id": rid,
        "title": str(rec.get(title_field) or rid)[:300],
        "status": RUNNING,
        "submitter_id": ctx.actor.id,
        "submitted_at": now,
        "finished_at": None,
        "round": 1,
        "state": {"chosen": chosen, "tokens": [], "joins": {}, "passed": [], "entries": 0},
        "version": 0,
        "updated_at": now,
    }
    repository.insert_instance(ctx.conn, inst)
    run = Run(ctx, reg, flow, inst, now)
    _start(run, body, "submit", flow.start)
    return view(ctx, inst["id"])


def _submittable(ctx: Context, obj: str, rid: Any) -> Mapping[str, Any]:
    """Who may edit a record may submit it; so may its owner (a rep submitting the payment
    they logged, which only finance edits)."""
    try:
        return records.access_record(ctx, obj, rid, action="update")
    except Forbidden:
        rec = records.access_record(ctx, obj, rid)
        if str(rec.get("owner_id")) != ctx.actor.id:
            raise
        return rec


def _pick(ctx: Context, reg: Any, obj: str, rid: str, name: Any) -> Mapping[str, Any]:
    candidates = repository.flows(ctx.conn, object_name=obj, enabled=True)
    if name is not None:
        candidates = [f for f in candidates if f["name"] == name]
        if not candidates:
            raise _bad("flow", f"No enabled approval flow {str(name)[:100]!r} for {obj}.")
    conds = [f["definition"].get("condition") for f in candidates]
    held = engine.conditions_hold(replace(ctx, actor=SYSTEM_ACTOR), reg, obj, rid, conds)
    for f, ok in zip(candidates, held, strict=True):
        if ok:
            return f
    raise Invalid(
        "APPROVAL_NO_FLOW",
        f"No enabled approval flow of {obj} applies to this record.",
    )


def _chosen(ctx: Context, flow: Any, raw: Any) -> dict[str, list[str]]:
    """``{"<node id>": [user ids]}`` for nodes whose approvers the submitter chooses."""
    wants = [
        n.id
        for n in flow.nodes.values()
        if any(s.get("type") == "submitter_choice" for s in n.approvers)
    ]
    raw = raw or {}
    if not isinstance(raw, Mapping):
        raise _bad("approvers", 'Give {"<node id>": [user ids]}.')
    out: dict[str, list[str]] = {}
    for node_id, users in raw.items():
        if node_id not in wants:
            raise _bad(f"approvers.{str(node_id)[:63]}", "That step does not let you choose.")
        out[node_id] = _users(ctx, users, f"approvers.{node_id}", limit=20)
    missing = [n for n in wants if n not in out]
    if missing:
        raise _bad(f"approvers.{missing[0]}", f"Choose who approves the step {missing[0]!r}.")
    return out


def _start(run: Run, body: Mapping[str, Any], action: str, at: str | None) -> None:
    inst = run.inst
    locks.lock(run.sys, inst["object_name"], inst["record_id"], f"approval:{inst['id']}")
    run.step(action, comment=_comment(body), attachments=_attachments(body), round=inst["round"])
    done = engine._run_actions(run, run.flow.on_submitted, "submitted")
    if done:
        run.step("auto_action", system=True, actions=done)
    engine.enter(run, at, [])
    engine.save(run)


# --- loading ---------------------------------------------------------------------------------


def _instance_run(ctx: Context, instance_id: Any, *, lock: bool = True) -> Run:
    iid = parse_id(instance_id)
    run = engine.load(ctx, meta.registry(ctx), iid, lock=lock) if iid else None
    if run is None or not _may_see(ctx, run):
        raise NotFound("APPROVAL_NOT_FOUND", f"There is no approval {str(instance_id)[:64]!r}.")
    return run


def _may_see(ctx: Context, run: Run) -> bool:
    inst = run.inst
    if ctx.actor.is_admin or inst["submitter_id"] == ctx.actor.id:
        return True
    if any(t["assignee_id"] == ctx.actor.id for t in repository.tasks_of(ctx.conn, inst["id"])):
        return True
    try:
        records.access_record(ctx, inst["object_name"], inst["record_id"])
    except (NotFound, Forbidden):
        return False
    return True


def _task_run(
    ctx: Context, task_id: Any, statuses: Sequence[str] = (PENDING,)
) -> tuple[Run, dict[str, Any]]:
    tid = parse_id(task_id)
    task = repository.task_row(ctx.conn, tid) if tid else None
    if task is None:
        raise NotFound(
            "APPROVAL_TASK_NOT_FOUND", f"There is no approval task {str(task_id)[:64]!r}."
        )
    run = engine.load(ctx, meta.registry(ctx), task["instance_id"])
    task = repository.task_row(ctx.conn, tid)  # as it is now that the instance is locked
    assert run is not None and task is not None
    if task["assignee_id"] != ctx.actor.id:
        raise Forbidden("APPROVAL_NOT_YOURS", "This approval task is assigned to someone else.")
    if run.inst["status"] != RUNNING or task["status"] not in statuses:
        raise Conflict(
            "APPROVAL_TASK_CLOSED",
            f"This task is {task['status']} and the approval is {run.inst['status']}; "
            "nothing to do (someone may have acted first).",
        )
    return run, task


def _token(run: Run, task: Mapping[str, Any]) -> dict[str, Any]:
    tok = engine.token_for(run, task["node_id"], task["round"])
    assert tok is not None, "an open task always has its token"
    return tok


def _root(run: Run, task: Mapping[str, Any]) -> dict[str, Any]:
    """The approve task an added signer or delegate serves."""
    parent = repository.task_row(run.ctx.conn, task["parent_id"])
    assert parent is not None
    return parent


# --- deciding --------------------------------------------------------------------------------


def approve(ctx: Context, task_id: Any, body: Any) -> dict[str, Any]:
    body = _body(body)
    run, task = _task_run(ctx, task_id)
    comment = _comment(body)
    if body.get("next_approvers") is not None:
        run.state["previous_choice"] = _users(
            ctx, body["next_approvers"], "next_approvers", limit=20
        )
    _decide(run, task, DONE_APPROVED, comment)
    if task["kind"] == T_DELEGATE or (task["kind"] == T_ADDED and task["position"] == "before"):
        _back_to_root(run, task)
    else:
        if task["kind"] == T_APPROVE:
            for t in repository.tasks_of(
                ctx.conn, run.inst["id"], node_id=task["node_id"], entry=task["round"]
            ):
                if (
                    t["parent_id"] == task["id"]
                    and t["position"] == "after"
                    and t["status"] == WAITING
                ):
                    engine.activate(run, t)
        engine.advance(run, _token(run, task))
    engine.save(run)
    return view(ctx, run.inst["id"])


def reject(ctx: Context, task_id: Any, body: Any) -> dict[str, Any]:
    body = _body(body)
    run, task = _task_run(ctx, task_id)
    target = body.get("to", "end")
    passed = run.state.get("passed", [])
    if target not in ("end", "submitter") and target not in passed:
        raise _bad(
            "to",
            "Send the record back to 'end', 'submitter' or a step already passed "
            f"({', '.join(passed) or 'none yet'}).",
        )
    comment = _comment(body)
    _decide(run, task, DONE_REJECTED, comment, to=target)
    if task["kind"] == T_DELEGATE:
        _back_to_root(run, task)
    else:
        root = task if task["kind"] == T_APPROVE else _root(run, task)
        if root is not task:  # an added signer's rejection is their inviter's
            repository.set_task(ctx.conn, root["id"], status=DONE_REJECTED, acted_at=run.now)
        token = _token(run, task)
        if engine.settle(run, token) == engine.REJECT:
            engine.reject(run, token, target)
    engine.save(run)
    return view(ctx, run.inst["id"])


def _decide(
    run: Run, task: dict[str, Any], status: str, comment: str | None, **detail: Any
) -> None:
    repository.set_task(
        run.ctx.conn,
        task["id"],
        status=status,
        acted_at=run.now,
        comment=comment,
        remind_at=None,
        timeout_at=None,
    )
    action = "approve" if status == DONE_APPROVED else "reject"
    run.step(action, task=task, comment=comment, kind=task["kind"], **detail)
    task["status"] = status


def _back_to_root(run: Run, task: Mapping[str, Any]) -> None:
    """A delegate's opinion, or the last signer added before, hands the task back."""
    root = _root(run, task)
    siblings = [
        t
        for t in repository.tasks_of(
            run.ctx.conn, run.inst["id"], node_id=task["node_id"], entry=task["round"]
        )
        if t["parent_id"] == root["id"]
        and t["status"] in OPEN
        and t["kind"] != T_CC
        and t["position"] != "after"
    ]
    if not siblings and root["status"] in (WAITING, DELEGATED):
        engine.activate(run, root)


# --- hand-offs -------------------------------------------------------------------------------


def transfer(ctx: Context, task_id: Any, body: Any) -> dict[str, Any]:
    """转交: the task becomes another user's; the original assignee is done with it."""
    body = _body(body)
    run, task = _task_run(ctx, task_id)
    [to] = _users(ctx, [body.get("to")] if body.get("to") else None, "to", limit=1)
    if to == task["assignee_id"]:
        raise _bad("to", "Transfer to someone else.")
    _hand_over(run, task, to, TRANSFERRED, "transfer", _comment(body))
    engine.save(run)
    return view(ctx, run.inst["id"])


def _hand_over(
    run: Run, task: dict[str, Any], to: str, status: str, action: str, comment: str | None
) -> dict[str, Any]:
    """Close ``task`` as ``status`` and give a copy of it to ``to`` (same node, same place)."""
    repository.set_task(
        run.ctx.conn,
        task["id"],
        status=status,
        acted_at=run.now,
        comment=comment,
        remind_at=None,
        timeout_at=None,
    )
    row = {
        k: task[k]
        for k in ("instance_id", "node_id", "round", "kind", "seq", "parent_id", "position")
    }
    if action == "delegate":
        row.update(kind=T_DELEGATE, parent_id=task["id"], position=None)
    [new] = repository.insert_tasks(
        run.ctx.conn, [{**row, "assignee_id": to, "status": WAITING, "created_at": run.now}]
    )
    engine._open_record_to(run, [to])
    fresh = repository.task_row(run.ctx.conn, new)
    assert fresh is not None
    engine.activate(run, fresh)
    run.step(action, task=task, comment=comment, to=to)
    return fresh


def escalate(run: Run, task: dict[str, Any], to: str) -> None:
    """A timed-out task goes to the assignee's manager (the tick calls this)."""
    _hand_over(run, task, to, TRANSFERRED, "escalate", None)


def delegate(ctx: Context, task_id: Any, body: Any) -> dict[str, Any]:
    """委派: someone else gives an opinion; the task comes back to you to decide."""
    body = _body(body)
    run, task = _task_run(ctx, task_id)
    if task["kind"] == T_DELEGATE:
        raise _bad("to", "A delegated task cannot be delegated again.")
    [to] = _users(ctx, [body.get("to")] if body.get("to") else None, "to", limit=1)
    if to == task["assignee_id"]:
        raise _bad("to", "Delegate to someone else.")
    _hand_over(run, task, to, DELEGATED, "delegate", _comment(body))
    engine.save(run)
    return view(ctx, run.inst["id"])


def reclaim(ctx: Context, task_id: Any) -> dict[str, Any]:
    """Take back a task you delegated, before the delegate acted."""
    run, task = _task_run(ctx, task_id, statuses=(DELEGATED,))
    open_delegates = [
        t
        for t in repository.tasks_of(
            ctx.conn, run.inst["id"], node_id=task["node_id"], entry=task["round"]
        )
        if t["parent_id"] == task["id"] and t["kind"] == T_DELEGATE and t["status"] in OPEN
    ]
    for t in open_delegates:
        repository.set_task(
            ctx.conn, t["id"], status=CANCELLED, acted_at=run.now, remind_at=None, timeout_at=None
        )
    engine.activate(run, task)
    run.step("reclaim", task=task)
    engine.save(run)
    return view(ctx, run.inst["id"])


def add_signers(ctx: Context, task_id: Any, body: Any) -> dict[str, Any]:
    """加签: ``position`` before (they approve first, then you) or after (after you approve,
    they must too)."""
    body = _body(body)
    run, task = _task_run(ctx, task_id)
    if task["kind"] != T_APPROVE:
        raise _bad("", "Only an approver's own task can have signers added.")
    position = body.get("position")
    if position not in ("before", "after"):
        raise _bad("position", "position is 'before' or 'after'.")
    users = _users(ctx, body.get("users"), "users")
    if task["assignee_id"] in users:
        raise _bad("users", "You are already on this task.")
    status = PENDING if position == "before" else WAITING
    rows = [
        {
            "instance_id": run.inst["id"],
            "node_id": task["node_id"],
            "round": task["round"],
            "kind": T_ADDED,
            "assignee_id": u,
            "status": WAITING,
            "seq": i,
            "parent_id": task["id"],
            "position": position,
            "created_at": run.now,
        }
        for i, u in enumerate(users)
    ]
    ids = repository.insert_tasks(ctx.conn, rows)
    engine._open_record_to(run, users)
    if status == PENDING:
        repository.set_task(ctx.conn, task["id"], status=WAITING, remind_at=None, timeout_at=None)
        for tid in ids:
            engine.activate(run, repository.task_row(ctx.conn, tid) or {})
    run.step("add_signers", task=task, comment=_comment(body), users=users, position=position)
    engine.save(run)
    return view(ctx, run.inst["id"])


def remove_signer(ctx: Context, task_id: Any) -> dict[str, Any]:
    """减签: the approver who added a signer (who has not acted) removes them."""
    tid = parse_id(task_id)
    added = repository.task_row(ctx.conn, tid) if tid else None
    if added is None or added["kind"] != T_ADDED:
        raise NotFound(
            "APPROVAL_TASK_NOT_FOUND", f"There is no added signer {str(task_id)[:64]!r}."
        )
    run, root = _task_run(ctx, added["parent_id"], statuses=(PENDING, WAITING, DONE_APPROVED))
    added = repository.task_row(ctx.conn, tid) or added
    if added["status"] not in OPEN:
        raise Conflict("APPROVAL_TASK_CLOSED", "That signer has already acted.")
    repository.set_task(
        ctx.conn, added["id"], status=CANCELLED, acted_at=run.now, remind_at=None, timeout_at=None
    )
    run.step("remove_signer", task=root, user=added["assignee_id"])
    if added["position"] == "before":
        _back_to_root(run, added)
    else:
        engine.advance(run, _token(run, root))
    engine.save(run)
    return view(ctx, run.inst["id"])


# --- the submitter's actions -----------------------------------------------------------------


def _submitter_run(ctx: Context, instance_id: Any, statuses: Sequence[str]) -> Run:
    run = _instance_run(ctx, instance_id)
    if run.inst["submitter_id"] != ctx.actor.id:
        raise Forbidden("APPROVAL_NOT_YOURS", "Only the submitter can do this.")
    if run.inst["status"] not in statuses:
        raise Conflict(
            "APPROVAL_NOT_RUNNING", f"The approval is {run.inst['status']}; nothing to do."
        )
    return run


def withdraw(ctx: Context, instance_id: Any, body: Any) -> dict[str, Any]:
    """撤回 while it runs; the record unlocks; resubmit later."""
    body = _body(body)
    run = _submitter_run(ctx, instance_id, (RUNNING,))
    run.state["withdrawn_at"] = [t["node"] for t in run.state.get("tokens", []) if not t["path"]]
    engine.stop_tokens(run)
    run.inst["status"] = WITHDRAWN
    run.step("withdraw", comment=_comment(body))
    engine.save(run)
    return view(ctx, run.inst["id"])


def resubmit(ctx: Context, instance_id: Any, body: Any) -> dict[str, Any]:
    """After a return or a withdrawal: restart from the first step, or continue from the step
    that sent it back (the flow's ``resubmit`` policy)."""
    body = _body(body)
    run = _submitter_run(ctx, instance_id, (RETURNED, WITHDRAWN))
    _submittable(ctx, run.inst["object_name"], run.inst["record_id"])
    state = run.state
    at = run.flow.start
    if run.flow.resubmit == "continue":
        again = state.get("rejected_at") if run.inst["status"] == RETURNED else None
        again = again or next(iter(state.get("withdrawn_at") or []), None)
        if again in run.flow.nodes and not _in_branch(run, again):
            at = again
    if at == run.flow.start:
        state["passed"] = []
    elif at in state.get("passed", []):
        state["passed"] = state["passed"][: state["passed"].index(at)]
    state["last_approvers"] = []
    run.inst["status"], run.inst["round"] = RUNNING, run.inst["round"] + 1
    _start(run, body, "resubmit", at)
    return view(ctx, run.inst["id"])


def _in_branch(run: Run, node_id: str) -> bool:
    from accord.workflow import graph

    d = repository.version_definition(run.ctx.conn, run.flow.id, run.flow.version)
    shape = graph.shape(d["start"], {n["id"]: n for n in d["nodes"]})
    return bool(shape.paths.get(node_id))


def urge(ctx: Context, instance_id: Any) -> dict[str, Any]:
    """催办: remind the current approvers (at most every 10 minutes)."""
    run = _submitter_run(ctx, instance_id, (RUNNING,))
    last = repository.last_step_at(ctx.conn, run.inst["id"], "urge")
    if last is not None and run.now - last < URGE_EVERY:
        raise RateLimited(
            "APPROVAL_URGED_RECENTLY",
            "You reminded the approvers less than 10 minutes ago; give them a moment.",
        )
    waiting = sorted(
        {
            t["assignee_id"]
            for t in repository.tasks_of(ctx.conn, run.inst["id"])
            if t["status"] == PENDING and t["kind"] != T_CC
        }
    )
    run.step("urge", users=waiting)
    run.notify(waiting, "urge", by=ctx.actor.login)
    engine.save(run)
    return view(ctx, run.inst["id"])


def comment(ctx: Context, instance_id: Any, body: Any) -> dict[str, Any]:
    """A remark on the trail by anyone who may see the approval."""
    body = _body(body)
    run = _instance_run(ctx, instance_id)
    text = _comment(body)
    if not text:
        raise _bad("comment", "Write a comment.")
    run.step("comment", comment=text, attachments=_attachments(body))
    engine.save(run)
    return view(ctx, run.inst["id"])


def mark_read(ctx: Context, task_id: Any) -> dict[str, Any]:
    tid = parse_id(task_id)
    task = repository.task_row(ctx.conn, tid) if tid else None
    if task is None or task["assignee_id"] != ctx.actor.id or task["kind"] != T_CC:
        raise NotFound(
            "APPROVAL_TASK_NOT_FOUND", f"There is no copy {str(task_id)[:64]!r} for you."
        )
    if task["status"] == UNREAD:
        repository.set_task(ctx.conn, task["id"], status=READ, acted_at=ctx.clock.now())
    return view(ctx, task["instance_id"])


# --- views -----------------------------------------------------------------------------------


def _task_json(t: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": str(t["id"]),
        "node_id": t["node_id"],
        "kind": t["kind"],
        "assignee_id": str(t["assignee_id"]),
        "status": t["status"],
        "parent_id": str(t["parent_id"]) if t["parent_id"] else None,
        "position": t["position"],
        "created_at": t["created_at"],
        "activated_at": t["activated_at"],
        "acted_at": t["acted_at"],
        "comment": t["comment"],
    }


def instance_json(inst: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": str(inst["id"]),
        "flow_id": str(inst["flow_id"]),
        "flow_version": inst["flow_version"],
        "object_name": inst["object_name"],
        "record_id": str(inst["record_id"]),
        "title": inst["title"],
        "status": inst["status"],
        "submitter_id": str(inst["submitter_id"]),
        "submitted_at": inst["submitted_at"],
        "finished_at": inst["finished_at"],
        "round": inst["round"],
        "version": inst["version"],
    }


def view(ctx: Context, instance_id: Any) -> dict[str, Any]:
    """The whole approval: status, tasks, the trail, and the steps still ahead."""
    run = _instance_run(ctx, instance_id, lock=False)
    inst = run.inst
    tasks = repository.tasks_of(ctx.conn, inst["id"])
    current = [
        {
            "node_id": tok["node"],
            "label": dict(run.flow.node(tok["node"]).label),
            "mode": run.flow.node(tok["node"]).mode,
        }
        for tok in inst["state"].get("tokens", [])
    ]
    trail = [
        {
            "id": s["id"],
            "action": s["action"],
            "actor_id": str(s["actor_id"]) if s["actor_id"] else None,
            "node_id": s["node_id"],
            "task_id": str(s["task_id"]) if s["task_id"] else None,
            "comment": s["comment"],
            "attachments": s["attachments"],
            "at": s["at"],
            "waited_ms": s["waited_ms"],
            "detail": s["detail"],
        }
        for s in repository.steps_of(ctx.conn, inst["id"])
    ]
    return {
        **instance_json(inst),
        "flow": {"name": run.flow.name, "label": dict(run.flow.label)},
        "current": current,
        "tasks": [_task_json(t) for t in tasks],
        "trail": trail,
        "ahead": engine.ahead(run) if inst["status"] == RUNNING else [],
    }


def for_record(ctx: Context, obj: str, rid: Any) -> list[dict[str, Any]]:
    """A record's approvals, newest first (whoever may read the record)."""
    rec = records.access_record(ctx, obj, rid)
    return [
        view(ctx, i["id"]) for i in repository.instances_for_record(ctx.conn, obj, str(rec["id"]))
    ]
