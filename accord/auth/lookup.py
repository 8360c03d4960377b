"""Small reads of users, roles and department heads for packages above ``accord.auth`` (the
approval engine resolves approvers with them), so SQL on this package's tables stays here.

Ids that do not parse as ids are treated as unknown rather than refused: callers pass what a
definition or a record holds and decide what an unknown id means.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from sqlalchemy import select

from accord.core.context import Context
from accord.core.ids import parse_id
from accord.db import tables as t


class UserBrief(NamedTuple):
    login: str
    is_active: bool


def users_by_id(ctx: Context, ids: Iterable[object]) -> dict[str, UserBrief]:
    """Login and status of each existing user among ``ids``, keyed by canonical id."""
    wanted = {p for p in map(parse_id, ids) if p is not None}
    if not wanted:
        return {}
    u = t.users
    rows = ctx.conn.execute(select(u.c.id, u.c.login, u.c.is_active).where(u.c.id.in_(wanted)))
    return {str(r.id): UserBrief(r.login, bool(r.is_active)) for r in rows}


def active_user_ids(ctx: Context, ids: Iterable[object]) -> list[str]:
    """The ids among ``ids`` of existing active users, canonical, in the given order, each once."""
    ordered = list(dict.fromkeys(p for p in map(parse_id, ids) if p is not None))
    found = users_by_id(ctx, ordered)
    return [i for i in ordered if i in found and found[i].is_active]


def role_exists(ctx: Context, name: str) -> bool:
    r = t.roles
    return ctx.conn.execute(select(r.c.id).where(r.c.name == name)).first() is not None


def role_member_ids(ctx: Context, name: str) -> list[str]:
    """Active users holding the role ``name``, by login (a stable order); [] for no such role."""
    u, ur, r = t.users, t.user_roles, t.roles
    rows = ctx.conn.execute(
        select(u.c.id)
        .join(ur, ur.c.user_id == u.c.id)
        .join(r, r.c.id == ur.c.role_id)
        .where(r.c.name == name, u.c.is_active.is_(True))
        .order_by(u.c.login)
    ).scalars()
    return [str(i) for i in rows]


def department_head_id(ctx: Context, department_id: str) -> str | None:
    """``departments.head_id`` (whether or not that user is still active), None when unset."""
    did = parse_id(department_id)
    if did is None:
        return None
    d = t.departments
    head = ctx.conn.execute(select(d.c.head_id).where(d.c.id == did)).scalar()
    return str(head) if head is not None else None
