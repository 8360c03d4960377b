"""The in-app inbox of the acting user: pages, unread count, read/unread, delete, and the rows
the live stream sends. A user reaches only their own notifications; anyone else's id is
``NOTIFICATION_NOT_FOUND``, exactly as an id that does not exist."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, update

from accord.core.context import Context
from accord.core.errors import FieldError, Invalid, NotFound
from accord.notifications.tables import notifications as n

MAX_PAGE = 200
COLUMNS = (
    "id", "kind", "title", "body", "object_name", "record_id", "url", "created_at", "read_at",
)  # fmt: skip


@dataclass
class InboxPage:
    data: list[dict[str, Any]]
    next_cursor: str | None


def _json(row: Any) -> dict[str, Any]:
    out = {c: row[c] for c in COLUMNS}
    out["read"] = row["read_at"] is not None
    return out


def _int(value: Any, name: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = -1
    if number < 0:
        code = "NOTIFICATION_CURSOR_INVALID" if name == "cursor" else "INVALID_LIMIT"
        raise Invalid(code, f"{name} is not valid.", [FieldError(name, code, "not valid")])
    return number


def list_notifications(
    ctx: Context, *, unread: bool = False, cursor: Any = None, limit: int = 50
) -> InboxPage:
    """Newest first; ``cursor`` is the ``next_cursor`` of the previous page."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise Invalid(
            "INVALID_LIMIT",
            f"limit must be between 1 and {MAX_PAGE}.",
            [FieldError("limit", "OUT_OF_RANGE", "out of range")],
        )
    q = select(n).where(n.c.user_id == ctx.actor.id)
    if unread:
        q = q.where(n.c.read_at.is_(None))
    if cursor is not None:
        q = q.where(n.c.id < _int(cursor, "cursor"))
    rows = ctx.conn.execute(q.order_by(n.c.id.desc()).limit(limit + 1)).mappings().all()
    more = len(rows) > limit
    data = [_json(r) for r in rows[:limit]]
    return InboxPage(data, str(data[-1]["id"]) if more else None)


def unread_count(ctx: Context) -> int:
    q = select(func.count()).where(n.c.user_id == ctx.actor.id, n.c.read_at.is_(None))
    return int(ctx.conn.execute(q).scalar_one())


def _own(ctx: Context, notification_id: Any) -> Any:
    try:
        nid = int(notification_id)
    except (TypeError, ValueError):
        nid = None
    row = None
    if nid is not None and 0 < nid < 2**63:
        q = select(n).where(n.c.id == nid, n.c.user_id == ctx.actor.id)
        row = ctx.conn.execute(q).mappings().first()
    if row is None:
        raise NotFound(
            "NOTIFICATION_NOT_FOUND", f"No notification with id {str(notification_id)[:40]!r}."
        )
    return row


def get_notification(ctx: Context, notification_id: Any) -> dict[str, Any]:
    return _json(_own(ctx, notification_id))


def mark(ctx: Context, notification_id: Any, *, read: bool) -> dict[str, Any]:
    """Mark one of the acting user's notifications read (or unread again)."""
    row = _own(ctx, notification_id)
    if (row["read_at"] is not None) != read:
        at = ctx.clock.now() if read else None
        ctx.conn.execute(update(n).where(n.c.id == row["id"]).values(read_at=at))
    return get_notification(ctx, row["id"])


def mark_all_read(ctx: Context) -> int:
    """Mark every unread notification of the acting user read; returns how many."""
    result = ctx.conn.execute(
        update(n)
        .where(n.c.user_id == ctx.actor.id, n.c.read_at.is_(None))
        .values(read_at=ctx.clock.now())
    )
    return int(result.rowcount or 0)


def delete_notification(ctx: Context, notification_id: Any) -> None:
    row = _own(ctx, notification_id)
    ctx.conn.execute(delete(n).where(n.c.id == row["id"]))


def latest_id(ctx: Context) -> int:
    """The acting user's newest notification id (0 when none): where a fresh stream starts."""
    q = select(func.max(n.c.id)).where(n.c.user_id == ctx.actor.id)
    return int(ctx.conn.execute(q).scalar_one() or 0)


def newer_than(
    ctx: Context, after_id: int, *, exclude: Sequence[int] = (), limit: int = 100
) -> list[dict[str, Any]]:
    """The acting user's notifications with ``id > after_id`` except ``exclude`` (already
    sent), oldest first: what the live stream sends next."""
    q = select(n).where(n.c.user_id == ctx.actor.id, n.c.id > after_id)
    if exclude:
        q = q.where(n.c.id.not_in(list(exclude)))
    q = q.order_by(n.c.id).limit(limit)
    return [_json(r) for r in ctx.conn.execute(q).mappings()]
