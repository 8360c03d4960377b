"""Group-robot channels: a user's own robot (a DingTalk/WeCom/Feishu group they read) and a
department's team robot (administrators only).

Secrets stay secret: the signing secret and the token inside the webhook URL (DingTalk's
``access_token``, WeCom's ``key``, Feishu's hook id) are stored because sending needs them, but
no read returns them — only a masked hint (``••••3f9a``). Changing a channel without sending
``secret`` keeps the stored one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import delete, func, insert, select, update

from accord.auth.org import department_tree_ids, is_administrator, is_text, require_admin
from accord.core.context import Context
from accord.core.errors import AccordError, FieldError, Invalid, NotFound
from accord.core.ids import new_id, parse_id
from accord.integrations import robots
from accord.notifications import deliveries
from accord.notifications.tables import notification_channels as ch

MASK = "••••"
FIELDS = frozenset({"name", "vendor", "webhook_url", "secret", "enabled", "department_id"})
MAX_PER_OWNER = 20


def _hint(value: str | None) -> str | None:
    if not value:
        return None
    return MASK + value[-4:] if len(value) > 8 else MASK


def mask_url(url: str) -> str:
    """The URL with every query value and every long path segment (tokens) masked."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    path = "/".join(MASK + s[-4:] if len(s) >= 16 else s for s in parts.path.split("/"))
    query = urlencode([(k, _hint(v) or "") for k, v in parse_qsl(parts.query)], safe=MASK)
    return urlunsplit((parts.scheme, parts.netloc, path, query, ""))


def _json(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "vendor": row["vendor"],
        "user_id": row["user_id"],
        "department_id": row["department_id"],
        "enabled": bool(row["enabled"]),
        "webhook_url_hint": mask_url(row["webhook_url"]),
        "has_secret": bool(row["secret"]),
        "secret_hint": _hint(row["secret"]),
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def _is_admin(ctx: Context) -> bool:
    return ctx.actor.is_system or is_administrator(ctx, ctx.actor.id)


def _row(ctx: Context, channel_id: Any) -> dict[str, Any]:
    """A channel the acting user may manage: their own, or (administrators) a department's."""
    cid = parse_id(channel_id)
    row = None
    if cid is not None:
        row = ctx.conn.execute(select(ch).where(ch.c.id == cid)).mappings().first()
    if row is not None and (
        str(row["user_id"]) == ctx.actor.id or (row["department_id"] is not None and _is_admin(ctx))
    ):
        return dict(row)
    raise NotFound(
        "NOTIFICATION_CHANNEL_NOT_FOUND", f"No robot channel with id {str(channel_id)[:64]!r}."
    )


def get_channel(ctx: Context, channel_id: Any) -> dict[str, Any]:
    return _json(_row(ctx, channel_id))


def list_channels(ctx: Context, *, department_id: str | None = None) -> list[dict[str, Any]]:
    """The acting user's own robots; with ``department_id`` (administrators) that department's
    (``"*"``: every department's)."""
    q = select(ch).order_by(ch.c.created_at, ch.c.id)
    if department_id is None:
        q = q.where(ch.c.user_id == ctx.actor.id)
    else:
        require_admin(ctx, "manage department robot channels")
        if department_id == "*":
            q = q.where(ch.c.department_id.is_not(None))
        elif (dept := parse_id(department_id)) is not None:
            q = q.where(ch.c.department_id == dept)
        else:
            return []  # not an id: no department has it
    return [_json(r) for r in ctx.conn.execute(q).mappings()]


def _check(values: Mapping[str, Any], current: Mapping[str, Any] | None) -> dict[str, Any]:
    """The channel after applying ``values``, or ``Invalid`` naming every problem."""
    if not isinstance(values, Mapping):
        raise Invalid("NOTIFICATION_CHANNEL_INVALID", "Send a JSON object.")
    errors = [
        FieldError(str(k)[:63], "NOTIFICATION_CHANNEL_INVALID", "Unknown field.")
        for k in values
        if k not in FIELDS or (current is not None and k == "department_id")
    ]
    merged = {**(current or {"enabled": True, "secret": None}), **values}
    if not is_text(merged.get("name")):
        errors.append(
            FieldError("name", "NOTIFICATION_CHANNEL_INVALID", "A name of 1–200 characters.")
        )
    if not isinstance(merged.get("enabled"), bool):
        errors.append(
            FieldError("enabled", "NOTIFICATION_CHANNEL_INVALID", "Must be true or false.")
        )
    secret = merged.get("secret") or None
    if secret is not None and (not isinstance(secret, str) or len(secret) > 500):
        errors.append(
            FieldError("secret", "NOTIFICATION_CHANNEL_INVALID", "At most 500 characters.")
        )
    elif not isinstance(merged.get("vendor"), str) or not isinstance(
        merged.get("webhook_url"), str
    ):
        errors.append(
            FieldError(
                "vendor" if not isinstance(merged.get("vendor"), str) else "webhook_url",
                "NOTIFICATION_CHANNEL_INVALID",
                "Required.",
            )
        )
    else:
        errors += robots.check(merged["vendor"], merged["webhook_url"], secret)
    if errors:
        raise Invalid("NOTIFICATION_CHANNEL_INVALID", "The robot channel is not valid.", errors)
    return {**merged, "secret": secret, "name": merged["name"].strip()}


def _count(ctx: Context, where: Any) -> int:
    return int(ctx.conn.execute(select(func.count()).where(where)).scalar_one())


def create_channel(ctx: Context, values: Mapping[str, Any]) -> dict[str, Any]:
    """A robot for the acting user, or (administrators, ``department_id``) for a department."""
    data = _check(values, None)
    dept = data.pop("department_id", None)
    owner: dict[str, Any] = {"user_id": ctx.actor.id, "department_id": None}
    if dept is not None:
        require_admin(ctx, "manage department robot channels")
        found = parse_id(dept) if isinstance(dept, str) else None
        try:
            department_tree_ids(ctx, found or "")
        except AccordError:
            raise Invalid(
                "NOTIFICATION_CHANNEL_INVALID",
                "The robot channel is not valid.",
                [
                    FieldError(
                        "department_id", "NOTIFICATION_CHANNEL_INVALID", "No such department."
                    )
                ],
            ) from None
        owner = {"user_id": None, "department_id": found}
    where = (
        ch.c.user_id == owner["user_id"]
        if dept is None
        else ch.c.department_id == owner["department_id"]
    )
    if _count(ctx, where) >= MAX_PER_OWNER:
        raise Invalid(
            "NOTIFICATION_CHANNEL_INVALID", f"At most {MAX_PER_OWNER} robot channels each."
        )
    now = ctx.clock.now()
    cid = new_id()
    ctx.conn.execute(insert(ch).values(id=cid, **owner, **data, created_at=now, updated_at=now))
    return get_channel(ctx, cid)


def update_channel(ctx: Context, channel_id: Any, changes: Mapping[str, Any]) -> dict[str, Any]:
    row = _row(ctx, channel_id)
    current = {k: row[k] for k in ("name", "vendor", "webhook_url", "secret", "enabled")}
    data = _check(changes, current)
    ctx.conn.execute(
        update(ch)
        .where(ch.c.id == row["id"])
        .values(**{k: data[k] for k in current}, updated_at=ctx.clock.now())
    )
    return get_channel(ctx, row["id"])


def delete_channel(ctx: Context, channel_id: Any) -> None:
    """Remove a channel; its queued deliveries then fail permanently (dead, visible)."""
    row = _row(ctx, channel_id)
    ctx.conn.execute(delete(ch).where(ch.c.id == row["id"]))


def send_test_message(ctx: Context, channel_id: Any) -> str:
    """Queue a test message to the channel; returns the delivery id (see its status)."""
    row = _row(ctx, channel_id)
    lang = "zh" if ctx.actor.locale.lower().startswith("zh") else "en"
    title = {"zh": "Accord 测试消息", "en": "Accord test message"}[lang]
    body = {
        "zh": f"机器人“{row['name']}”已连接 Accord。",
        "en": f"The robot “{row['name']}” is connected to Accord.",
    }[lang]
    text = {"title": title, "body": body, "url": None, "lang": lang}
    [did] = deliveries.queue_robots(ctx, "system", [row], text, user_id=row["user_id"])
    return did
