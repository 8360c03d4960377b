"""The audit log: who signed in (or failed to), who changed roles, grants, assignments,
departments, managers, user status, passwords, two-factor settings and API tokens.

``record`` appends one row in the caller's unit of work, so an audit entry commits or rolls back
with the change it describes. The client address comes from ``ctx.memo["client_ip"]`` when the
edge put it there.

The log is **append-only**: the database refuses UPDATE and DELETE on ``audit_log`` (triggers
installed by migration 0003, and by ``metadata.create_all``), and no product path edits it.
``search`` is for administrators: filters, newest first, keyset pages.
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select

from accord.core.context import SYSTEM_USER_ID, Context
from accord.core.errors import FieldError, Invalid
from accord.core.ids import parse_id
from accord.db import tables as t

MAX_PAGE = 500
_FROM_CTX: Any = object()
_ACTION = re.compile(r"[a-z][a-z0-9_.]{0,62}\*?|[a-z][a-z0-9_.]{0,63}")
_TARGET_TYPE = re.compile(r"[a-z][a-z0-9_]{0,31}")


def record(
    ctx: Context,
    action: str,
    target_type: str,
    target_id: str | None,
    details: dict[str, Any],
    *,
    actor_id: str | None = _FROM_CTX,
) -> None:
    """Append one audit entry (``action`` like ``role.update``, ``target_type`` like ``role``).
    ``actor_id`` defaults to the acting user; sign-in passes the user who signed in, or None
    for a failed attempt."""
    ip = ctx.memo.get("client_ip")
    ctx.conn.execute(
        insert(t.audit_log).values(
            at=ctx.clock.now(),
            actor_id=ctx.actor.id if actor_id is _FROM_CTX else actor_id,
            action=action,
            target_type=target_type,
            target_id=None if target_id is None else str(target_id)[:100],
            details=_jsonable(details),
            ip=ip[:45] if isinstance(ip, str) else None,
        )
    )


def _jsonable(value: Any) -> Any:
    """Details as JSON can hold them (date-times as ISO 8601 text)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return value


# --- search (administrators) ------------------------------------------------------------------


def _cursor(entry_id: int) -> str:
    return base64.urlsafe_b64encode(str(entry_id).encode()).decode().rstrip("=")


def _after(cursor: Any) -> int | None:
    try:
        padded = str(cursor) + "=" * (-len(str(cursor)) % 4)
        text = base64.b64decode(padded, altchars=b"-_", validate=True).decode()
        if not text.isdigit() or len(text) > 19:
            return None
        return int(text)
    except (ValueError, UnicodeDecodeError):
        return None


def _instant(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str) or not 10 <= len(value) <= 40:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _actor_id(ctx: Context, actor: str) -> str | None:
    """The user id an ``actor`` filter names (id or login; ``system`` for installers and jobs);
    None when nobody has that login."""
    if parse_id(actor):
        return parse_id(actor)
    u = t.users
    found = ctx.conn.execute(select(u.c.id).where(u.c.login == actor)).scalar()
    if found is not None:
        return str(found)
    return SYSTEM_USER_ID if actor == "system" else None


def search(
    ctx: Context,
    *,
    actor: str | None = None,
    action: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    since: Any = None,
    until: Any = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Audit entries matching every filter given, newest first, one keyset page and the cursor
    of the next (or None). ``action`` ending in ``*`` matches a prefix (``auth.*``); ``since`` is
    inclusive, ``until`` exclusive (ISO 8601; naive means UTC). Administrators only."""
    from accord.auth.org import require_admin  # org records audit entries through this module

    require_admin(ctx, "read the audit log")
    errors: list[FieldError] = []
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        errors.append(FieldError("limit", "OUT_OF_RANGE", f"1–{MAX_PAGE}"))
    if actor is not None and (not isinstance(actor, str) or not 1 <= len(actor) <= 150):
        errors.append(FieldError("actor", "INVALID_VALUE", "a user id or login"))
    if action is not None and (not isinstance(action, str) or not _ACTION.fullmatch(action)):
        errors.append(
            FieldError("action", "INVALID_VALUE", "an action like user.update, or a prefix auth.*")
        )
    if target_type is not None and (
        not isinstance(target_type, str) or not _TARGET_TYPE.fullmatch(target_type)
    ):
        errors.append(FieldError("target_type", "INVALID_VALUE", "a type like user or role"))
    if target_id is not None and (
        not isinstance(target_id, str) or not 1 <= len(target_id) <= 100 or "\x00" in target_id
    ):
        errors.append(FieldError("target_id", "INVALID_VALUE", "1–100 characters"))
    start = end = None
    if since is not None and (start := _instant(since)) is None:
        errors.append(FieldError("since", "INVALID_DATE", "an ISO 8601 date-time"))
    if until is not None and (end := _instant(until)) is None:
        errors.append(FieldError("until", "INVALID_DATE", "an ISO 8601 date-time"))
    after = None
    if cursor is not None and (after := _after(cursor)) is None:
        errors.append(FieldError("cursor", "INVALID_CURSOR", "malformed cursor"))
    if errors:
        raise Invalid("INVALID_AUDIT_FILTER", "The audit search is not valid.", errors)

    a, u = t.audit_log, t.users
    stmt = (
        select(a, u.c.login.label("actor_login"))
        .select_from(a.outerjoin(u, u.c.id == a.c.actor_id))
        .order_by(a.c.id.desc())
        .limit(limit + 1)
    )
    if actor is not None:
        uid = _actor_id(ctx, actor)
        if uid is None:
            return [], None
        stmt = stmt.where(a.c.actor_id == uid)
    if action is not None:
        if action.endswith("*"):
            stmt = stmt.where(a.c.action.startswith(action[:-1], autoescape=True))
        else:
            stmt = stmt.where(a.c.action == action)
    if target_type is not None:
        stmt = stmt.where(a.c.target_type == target_type)
    if target_id is not None:
        stmt = stmt.where(a.c.target_id == target_id)
    if start is not None:
        stmt = stmt.where(a.c.at >= start)
    if end is not None:
        stmt = stmt.where(a.c.at < end)
    if after is not None:
        stmt = stmt.where(a.c.id < after)
    rows = [_entry(r) for r in ctx.conn.execute(stmt).mappings()]
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (_cursor(rows[-1]["id"]) if more else None)


def _entry(row: Any) -> dict[str, Any]:
    actor_id = None if row["actor_id"] is None else str(row["actor_id"])
    login = row["actor_login"] or ("system" if actor_id == SYSTEM_USER_ID else None)
    return {
        "id": int(row["id"]),
        "at": row["at"],
        "actor_id": actor_id,
        "actor_login": login,
        "action": row["action"],
        "target_type": row["target_type"],
        "target_id": row["target_id"],
        "details": row["details"],
        "ip": row["ip"],
    }
