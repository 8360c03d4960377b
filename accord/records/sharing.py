"""Record teams (联合跟进人), ownership history and the bulk transfer of a user's records.

Who may do what: anyone who may read a record sees its team and its owners over time; sharing
and unsharing need write access to the record (update grant and write scope); transferring all
of a user's records is for administrators (``org.prepare_transfer`` checks). Every change is
audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, literal, select, update

from accord.auth import audit, org, teams
from accord.core.context import Context
from accord.db import tables as t
from accord.meta.registry import load
from accord.records import events, locks
from accord.records.codec import codec
from accord.records.service import access_record


def shares(ctx: Context, obj: str, rid: Any) -> list[dict[str, Any]]:
    rec = access_record(ctx, obj, rid)
    return teams.shares_for(ctx, obj, rec["id"])


def share(
    ctx: Context,
    obj: str,
    rid: Any,
    *,
    user_id: Any = None,
    department_id: Any = None,
    access: Any = "read",
) -> dict[str, Any]:
    rec = access_record(ctx, obj, rid, action="update")
    made = teams.share(
        ctx, obj, rec["id"], user_id=user_id, department_id=department_id, access=access
    )
    audit.record(
        ctx,
        "record.share",
        obj,
        rec["id"],
        {"user_id": made["user_id"], "department_id": made["department_id"], "access": access},
    )
    return made


def unshare(
    ctx: Context, obj: str, rid: Any, *, user_id: Any = None, department_id: Any = None
) -> bool:
    rec = access_record(ctx, obj, rid, action="update")
    removed = teams.unshare(ctx, obj, rec["id"], user_id=user_id, department_id=department_id)
    if removed:
        audit.record(
            ctx,
            "record.unshare",
            obj,
            rec["id"],
            {"user_id": user_id, "department_id": department_id},
        )
    return removed


def owner_history(ctx: Context, obj: str, rid: Any) -> list[dict[str, Any]]:
    rec = access_record(ctx, obj, rid, include_deleted=True)
    return teams.owner_history(ctx, obj, rec["id"])


@dataclass(frozen=True)
class TransferResult:
    from_user_id: str
    to_user_id: str
    records: dict[str, int]  # object → records moved
    reports_moved: tuple[str, ...]


def transfer_user_records(
    ctx: Context, from_user_id: str, to_user_id: str, *, move_reports: bool = True
) -> TransferResult:
    """Hand every record a user owns (recycle bin included), in every ownable object, to
    another user — typically when someone leaves. Set-based per object: the owner change, its
    field history, the ownership log and the outbox events are each one INSERT … SELECT."""
    plan = org.prepare_transfer(ctx, from_user_id, to_user_id, move_reports=move_reports)
    src, dst = plan.from_user_id, plan.to_user_id
    reg = load(ctx)
    now, actor = ctx.clock.now(), ctx.actor.id
    moved: dict[str, int] = {}
    for name in sorted(reg.objects):
        o = reg.objects[name]
        if not o.ownable or o.status != "active":
            continue
        tbl = codec(reg, name).table
        ids = select(tbl.c.id).where(tbl.c.owner_id == src)
        n = ctx.conn.execute(select(func.count()).select_from(ids.subquery())).scalar_one()
        if not n:
            continue
        rids = [str(r) for r in ctx.conn.execute(ids).scalars()]
        if not ctx.actor.is_system:
            # A record under approval keeps its owner: the whole transfer is refused, naming it.
            held = locks.locked_ids(ctx, name, rids)
            for rid in held:
                locks.check_write(ctx, name, rid, ["owner_id"], known=held)
        h, oh = t.record_history, t.record_owner_history
        ctx.conn.execute(
            insert(oh).from_select(
                ["object_name", "record_id", "at", "actor_id", "old_owner_id", "new_owner_id"],
                select(
                    literal(name),
                    tbl.c.id,
                    literal(now, oh.c.at.type),
                    literal(actor, oh.c.actor_id.type),
                    tbl.c.owner_id,
                    literal(dst, oh.c.new_owner_id.type),
                ).where(tbl.c.owner_id == src),
            )
        )
        ctx.conn.execute(
            insert(h).from_select(
                [
                    "object_name",
                    "record_id",
                    "at",
                    "actor_id",
                    "action",
                    "field_name",
                    "old_value",
                    "new_value",
                ],
                select(
                    literal(name),
                    tbl.c.id,
                    literal(now, h.c.at.type),
                    literal(actor, h.c.actor_id.type),
                    literal("update"),
                    literal("owner_id"),
                    literal(src, h.c.old_value.type),
                    literal(dst, h.c.new_value.type),
                ).where(tbl.c.owner_id == src),
            )
        )
        payload = {"fields": ["owner_id"], "changes": {"owner_id": [src, dst]}}
        events.write_outbox(ctx, name, "updated", [(r, payload) for r in rids], now)
        ctx.conn.execute(
            update(tbl)
            .where(tbl.c.owner_id == src)
            .values(owner_id=dst, version=tbl.c.version + 1, updated_at=now, updated_by=actor)
        )
        moved[name] = n
    audit.record(
        ctx,
        "user.transfer_records",
        "user",
        src,
        {"to_user_id": dst, "records": moved, "reports_moved": list(plan.reports_moved)},
    )
    return TransferResult(src, dst, moved, plan.reports_moved)
