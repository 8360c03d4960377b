"""SQL over the approval engine's own tables (never commits: the caller's unit of work does)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, func, insert, or_, select, update

from accord.core.ids import new_id
from accord.workflow import tables as wt
from accord.workflow.model import OPEN, PENDING, UNREAD

# --- flows -----------------------------------------------------------------------------------


def flow_row(conn: Connection, flow_id: str) -> Mapping[str, Any] | None:
    return conn.execute(select(wt.flows).where(wt.flows.c.id == flow_id)).mappings().first()


def flow_id_by_name(conn: Connection, name: str) -> str | None:
    return conn.scalar(select(wt.flows.c.id).where(wt.flows.c.name == name))


def flows(
    conn: Connection, *, object_name: str | None = None, enabled: bool | None = None
) -> list[Mapping[str, Any]]:
    f = wt.flows
    q = select(f).order_by(f.c.object_name, f.c.priority, f.c.name)
    if object_name is not None:
        q = q.where(f.c.object_name == object_name)
    if enabled is not None:
        q = q.where(f.c.enabled.is_(enabled))
    return list(conn.execute(q).mappings())


def insert_flow(conn: Connection, values: Mapping[str, Any]) -> None:
    conn.execute(insert(wt.flows).values(**values))


def update_flow(conn: Connection, flow_id: str, values: Mapping[str, Any]) -> None:
    conn.execute(update(wt.flows).where(wt.flows.c.id == flow_id).values(**values))


def delete_flow(conn: Connection, flow_id: str) -> None:
    conn.execute(wt.flows.delete().where(wt.flows.c.id == flow_id))


def save_version(
    conn: Connection,
    flow_id: str,
    version: int,
    definition: Mapping[str, Any],
    at: datetime,
    by: str | None,
) -> None:
    conn.execute(
        insert(wt.flow_versions).values(
            flow_id=flow_id, version=version, definition=dict(definition), saved_at=at, saved_by=by
        )
    )


def version_definition(conn: Connection, flow_id: str, version: int) -> dict[str, Any]:
    v = wt.flow_versions
    row = conn.scalar(select(v.c.definition).where(v.c.flow_id == flow_id, v.c.version == version))
    assert row is not None, (flow_id, version)
    return dict(row)


def versions(conn: Connection, flow_id: str) -> list[dict[str, Any]]:
    v = wt.flow_versions
    q = select(v).where(v.c.flow_id == flow_id).order_by(v.c.version.desc())
    return [dict(r) for r in conn.execute(q).mappings()]


def running_count(conn: Connection, flow_id: str) -> int:
    i = wt.instances
    return int(
        conn.scalar(select(func.count()).where(i.c.flow_id == flow_id, i.c.status == "running"))
        or 0
    )


# --- instances -------------------------------------------------------------------------------


def insert_instance(conn: Connection, values: Mapping[str, Any]) -> None:
    conn.execute(insert(wt.instances).values(**values))


def instance_row(
    conn: Connection, instance_id: str, *, lock: bool = False
) -> dict[str, Any] | None:
    q = select(wt.instances).where(wt.instances.c.id == instance_id)
    if lock and conn.dialect.name == "postgresql":
        q = q.with_for_update()  # one action at a time per instance
    row = conn.execute(q).mappings().first()
    return dict(row) if row is not None else None


def save_instance(conn: Connection, inst: Mapping[str, Any]) -> None:
    keys = ("status", "state", "round", "finished_at", "version", "updated_at", "submitted_at")
    conn.execute(
        update(wt.instances)
        .where(wt.instances.c.id == inst["id"])
        .values(**{k: inst[k] for k in keys})
    )


def instances_for_record(
    conn: Connection, object_name: str, record_id: str
) -> list[dict[str, Any]]:
    i = wt.instances
    q = (
        select(i)
        .where(i.c.object_name == object_name, i.c.record_id == record_id)
        .order_by(i.c.submitted_at.desc())
    )
    return [dict(r) for r in conn.execute(q).mappings()]


def active_instance(conn: Connection, object_name: str, record_id: str) -> dict[str, Any] | None:
    """The record's instance that is running or waiting for resubmission."""
    i = wt.instances
    q = select(i).where(
        i.c.object_name == object_name,
        i.c.record_id == record_id,
        i.c.status.in_(["running", "returned", "withdrawn"]),
    )
    row = conn.execute(q.order_by(i.c.submitted_at.desc()).limit(1)).mappings().first()
    return dict(row) if row is not None else None


# --- tasks -----------------------------------------------------------------------------------


def insert_tasks(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> list[str]:
    full = [{"id": new_id(), **r} for r in rows]
    if full:
        conn.execute(insert(wt.tasks), full)
    return [r["id"] for r in full]


def task_row(conn: Connection, task_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(wt.tasks).where(wt.tasks.c.id == task_id)).mappings().first()
    return dict(row) if row is not None else None


def tasks_of(
    conn: Connection, instance_id: str, *, node_id: str | None = None, entry: int | None = None
) -> list[dict[str, Any]]:
    t = wt.tasks
    q = select(t).where(t.c.instance_id == instance_id)
    if node_id is not None:
        q = q.where(t.c.node_id == node_id)
    if entry is not None:
        q = q.where(t.c.round == entry)
    return [dict(r) for r in conn.execute(q.order_by(t.c.created_at, t.c.seq, t.c.id)).mappings()]


def set_task(conn: Connection, task_id: str, **values: Any) -> None:
    conn.execute(update(wt.tasks).where(wt.tasks.c.id == task_id).values(**values))


def cancel_open(
    conn: Connection,
    instance_id: str,
    at: datetime,
    *,
    node_id: str | None = None,
    entry: int | None = None,
) -> list[dict[str, Any]]:
    """Close the open tasks of the instance (of one node visit when given); returns them as
    they were."""
    t = wt.tasks
    cond = and_(t.c.instance_id == instance_id, t.c.status.in_(OPEN))
    if node_id is not None:
        cond = and_(cond, t.c.node_id == node_id, t.c.round == entry)
    closed = [dict(r) for r in conn.execute(select(t).where(cond)).mappings()]
    conn.execute(
        update(t)
        .where(cond)
        .values(status="cancelled", acted_at=at, remind_at=None, timeout_at=None)
    )
    return closed


def due_tasks(conn: Connection, now: datetime, limit: int) -> list[dict[str, Any]]:
    """Pending tasks whose reminder or timeout has come."""
    t = wt.tasks
    q = (
        select(t)
        .where(t.c.status == PENDING, or_(t.c.remind_at <= now, t.c.timeout_at <= now))
        .order_by(t.c.created_at)
        .limit(limit)
    )
    return [dict(r) for r in conn.execute(q).mappings()]


# --- steps -----------------------------------------------------------------------------------


def add_steps(conn: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    rows = list(rows)
    if rows:
        conn.execute(insert(wt.steps), rows)


def steps_of(conn: Connection, instance_id: str) -> list[dict[str, Any]]:
    s = wt.steps
    q = select(s).where(s.c.instance_id == instance_id).order_by(s.c.id)
    return [dict(r) for r in conn.execute(q).mappings()]


def last_step_at(conn: Connection, instance_id: str, action: str) -> datetime | None:
    s = wt.steps
    return conn.scalar(
        select(func.max(s.c.at)).where(s.c.instance_id == instance_id, s.c.action == action)
    )


# --- inboxes ---------------------------------------------------------------------------------

BOX_STATUSES = {
    "pending": (PENDING,),
    "cc": (UNREAD, "read"),
}


def inbox_tasks(
    conn: Connection, user_id: str, box: str, limit: int, before: datetime | None
) -> list[dict[str, Any]]:
    """Tasks of ``user_id`` in a box: ``pending`` (to decide now), ``handled`` (decided by
    them), ``cc`` (copies); newest first, joined with their instance."""
    t, i = wt.tasks, wt.instances
    q = select(t, *[c.label(f"approval__{c.name}") for c in i.c]).join(i, i.c.id == t.c.instance_id)
    q = q.where(t.c.assignee_id == user_id)
    if box == "handled":
        q = q.where(t.c.kind != "cc", t.c.status.in_(["approved", "rejected", "transferred"]))
        order = t.c.acted_at
    else:
        q = q.where(t.c.status.in_(BOX_STATUSES[box]))
        q = q.where(t.c.kind == "cc") if box == "cc" else q.where(t.c.kind != "cc")
        order = t.c.created_at
    if before is not None:
        q = q.where(order < before)
    rows = conn.execute(q.order_by(order.desc(), t.c.id.desc()).limit(limit)).mappings()
    return [dict(r) for r in rows]


def submitted(
    conn: Connection, user_id: str, limit: int, before: datetime | None
) -> list[dict[str, Any]]:
    i = wt.instances
    q = select(i).where(i.c.submitter_id == user_id)
    if before is not None:
        q = q.where(i.c.submitted_at < before)
    q = q.order_by(i.c.submitted_at.desc(), i.c.id.desc()).limit(limit)
    return [dict(r) for r in conn.execute(q).mappings()]


def counts(conn: Connection, user_id: str) -> dict[str, int]:
    t, i = wt.tasks, wt.instances
    pending = conn.scalar(
        select(func.count()).where(
            t.c.assignee_id == user_id, t.c.status == PENDING, t.c.kind != "cc"
        )
    )
    unread = conn.scalar(
        select(func.count()).where(t.c.assignee_id == user_id, t.c.status == UNREAD)
    )
    mine = conn.scalar(
        select(func.count()).where(i.c.submitter_id == user_id, i.c.status == "running")
    )
    return {
        "pending": int(pending or 0),
        "cc_unread": int(unread or 0),
        "submitted_running": int(mine or 0),
    }
