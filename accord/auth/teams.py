"""Record teams (联合跟进人) and ownership history.

A record can be shared with a user or a department, ``read`` or ``write``; a share with a
department reaches its members and the members of its sub-departments. Sharing again changes the
access. Shares are read at query time by the scope clause (``shared_record_ids``), so they are
not part of the cached permissions and do not bump the organisation version.

This module does not decide who may share a record: the record layer checks write access to
the record first (``auth`` knows no records). Ownership changes are logged here by the record
layer in the transaction that changes ``owner_id``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from sqlalchemy import Select, and_, delete, or_, select

from accord.auth.permissions import Permissions
from accord.auth.roles import NAME
from accord.core.context import Context
from accord.core.errors import FieldError, Invalid
from accord.core.ids import new_id, parse_id
from accord.db import tables as t
from accord.db.dialect import upsert_insert

Access = Literal["read", "write"]
ACCESS = ("read", "write")


def _invalid(field: str, code: str, message: str) -> Invalid:
    return Invalid("INVALID_SHARE", "The share is not valid.", [FieldError(field, code, message)])


def _record(object_name: Any, record_id: Any) -> str:
    if not isinstance(object_name, str) or not NAME.fullmatch(object_name):
        raise _invalid("object_name", "INVALID_VALUE", "not an object name")
    rid = parse_id(record_id)
    if rid is None:
        raise _invalid("record_id", "INVALID_ID", "not a record id")
    return rid


def _target(ctx: Context, user_id: Any, department_id: Any) -> tuple[str | None, str | None]:
    """Exactly one of a user (active) or a department, both existing."""
    if (user_id is None) == (department_id is None):
        raise _invalid("user_id", "REQUIRED", "give either user_id or department_id")
    if user_id is not None:
        uid = parse_id(user_id)
        row = (
            ctx.conn.execute(select(t.users.c.is_active).where(t.users.c.id == uid)).first()
            if uid
            else None
        )
        if row is None:
            raise _invalid("user_id", "REFERENCE_NOT_FOUND", "no such user")
        if not row.is_active:
            raise _invalid("user_id", "USER_DISABLED", "the user is disabled")
        return uid, None
    did = parse_id(department_id)
    d = t.departments
    if did is None or ctx.conn.execute(select(d.c.id).where(d.c.id == did)).first() is None:
        raise _invalid("department_id", "REFERENCE_NOT_FOUND", "no such department")
    return None, did


def share(
    ctx: Context,
    object_name: str,
    record_id: str,
    *,
    user_id: str | None = None,
    department_id: str | None = None,
    access: Access,
) -> dict[str, Any]:
    """Share a record with a user or a department (``read`` or ``write``); sharing again with
    the same target changes its access. Returns the share."""
    rid = _record(object_name, record_id)
    uid, did = _target(ctx, user_id, department_id)
    if access not in ACCESS:
        raise _invalid("access", "INVALID_CHOICE", "read or write")
    s = t.record_shares
    key = [s.c.object_name, s.c.user_id if uid else s.c.department_id, s.c.record_id]
    stmt = upsert_insert(ctx.conn, s).values(
        id=new_id(),
        object_name=object_name,
        record_id=rid,
        user_id=uid,
        department_id=did,
        access=access,
        created_at=ctx.clock.now(),
        created_by=ctx.actor.id,
    )
    ctx.conn.execute(
        stmt.on_conflict_do_update(index_elements=key, set_={"access": stmt.excluded.access})
    )
    return next(
        x
        for x in shares_for(ctx, object_name, rid)
        if (x["user_id"], x["department_id"]) == (uid, did)
    )


def unshare(
    ctx: Context,
    object_name: str,
    record_id: str,
    *,
    user_id: str | None = None,
    department_id: str | None = None,
) -> bool:
    """Remove a record's share with a user or a department; False when there was none."""
    rid = _record(object_name, record_id)
    if (user_id is None) == (department_id is None):
        raise _invalid("user_id", "REQUIRED", "give either user_id or department_id")
    s = t.record_shares
    target = (
        s.c.user_id == parse_id(user_id)
        if user_id is not None
        else s.c.department_id == parse_id(department_id)
    )
    res = ctx.conn.execute(
        delete(s).where(s.c.object_name == object_name, s.c.record_id == rid, target)
    )
    return bool(res.rowcount)


def shares_for(ctx: Context, object_name: str, record_id: str) -> list[dict[str, Any]]:
    """The record's shares, oldest first."""
    rid = _record(object_name, record_id)
    s = t.record_shares
    rows = ctx.conn.execute(
        select(s)
        .where(s.c.object_name == object_name, s.c.record_id == rid)
        .order_by(s.c.created_at, s.c.id)
    ).mappings()
    return [dict(r) for r in rows]


def shared_record_ids(perms: Permissions, object_name: str, mode: Access) -> Select[Any]:
    """``SELECT record_id`` of the records of ``object_name`` shared with the user directly or
    with their department or a department above it; in ``write`` mode only write shares. For
    the scope clause: ``table.c.id.in_(shared_record_ids(perms, obj, mode))``."""
    s = t.record_shares
    targets = [s.c.user_id == perms.user_id]
    if perms.share_department_ids:
        targets.append(s.c.department_id.in_(sorted(perms.share_department_ids)))
    cond = and_(s.c.object_name == object_name, or_(*targets))
    if mode == "write":
        cond = and_(cond, s.c.access == "write")
    return select(s.c.record_id).where(cond)


# --- ownership history ---------------------------------------------------------------------


def log_owner_change(
    ctx: Context,
    object_name: str,
    record_id: str,
    old_owner: str | None,
    new_owner: str | None,
) -> None:
    """Record one change of a record's owner (in the transaction that made it)."""
    log_owner_changes(ctx, object_name, [(record_id, old_owner, new_owner)])


def log_owner_changes(
    ctx: Context, object_name: str, changes: Iterable[tuple[str, str | None, str | None]]
) -> int:
    """Record many ownership changes of one object at once, e.g. a bulk transfer:
    ``(record_id, old_owner, new_owner)`` each; unchanged owners are skipped."""
    now, actor = ctx.clock.now(), ctx.actor.id
    rows = [
        {
            "object_name": object_name,
            "record_id": _record(object_name, rid),
            "at": now,
            "actor_id": actor,
            "old_owner_id": old,
            "new_owner_id": new,
        }
        for rid, old, new in changes
        if old != new
    ]
    if rows:
        ctx.conn.execute(t.record_owner_history.insert(), rows)
    return len(rows)


def owner_history(ctx: Context, object_name: str, record_id: str) -> list[dict[str, Any]]:
    """The record's ownership changes, oldest first."""
    rid = _record(object_name, record_id)
    h = t.record_owner_history
    rows = ctx.conn.execute(
        select(h).where(h.c.object_name == object_name, h.c.record_id == rid).order_by(h.c.id)
    ).mappings()
    return [dict(r) for r in rows]
