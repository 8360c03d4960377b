"""Who a user row is: lookups by login or id, and the ``Actor`` a signed-in user acts as.

The lowest module of ``accord.auth`` (sessions, tokens and sign-in build on it)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from accord.core.context import Actor
from accord.core.ids import parse_id
from accord.db import tables as t


def find_user(conn: Connection, login: str) -> dict[str, Any] | None:
    row = conn.execute(select(t.users).where(t.users.c.login == login)).mappings().first()
    return dict(row) if row else None


def find_user_by_id(conn: Connection, user_id: Any) -> dict[str, Any] | None:
    uid = parse_id(user_id)
    if uid is None:
        return None
    row = conn.execute(select(t.users).where(t.users.c.id == uid)).mappings().first()
    return dict(row) if row else None


def find_user_by_ref(conn: Connection, ref: Any) -> dict[str, Any] | None:
    """A user named by id (a UUID) or by login."""
    if not isinstance(ref, str) or not ref or len(ref) > 150:
        return None
    return find_user_by_id(conn, ref) if parse_id(ref) else find_user(conn, ref)


def actor_for(user: Any) -> Actor:
    return Actor(
        id=str(user["id"]),
        login=user["login"],
        is_admin=bool(user["is_admin"]),
        locale=user["locale"],
        timezone=user["timezone"],
    )
