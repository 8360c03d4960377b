"""What other packages call to notify people, and the save-time checks of what they will send.

``notify(ctx, user_ids, message)`` works in the caller's transaction: the in-app rows and the
jobs of the email and robot deliveries commit with the caller's changes, or not at all.

Permissions (ADR 0018): a notification is rendered **per recipient, as that recipient**. The
template's ``record`` holds only the record fields the recipient may read (hidden fields are
simply absent and render as nothing). A recipient who cannot read the record at all — no grant,
out of their scope, deleted — gets **no** notification about it: its title alone would tell
them the record exists; the caller sees them in ``NotifyResult.skipped``. A department's robot
message shows only the fields every active member of the department may read (none when some
member cannot read the record).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, or_, select

from accord.auth.identity import actor_for
from accord.core.context import Context
from accord.core.errors import AccordError, FieldError, Invalid
from accord.core.ids import parse_id
from accord.db import tables as t
from accord.notifications import deliveries
from accord.notifications.kinds import EMAIL, IN_APP, ROBOT, get_kind
from accord.notifications.preferences import channels_for
from accord.notifications.render import (
    MAX_BODY,
    MAX_BODY_SOURCE,
    MAX_TITLE,
    MAX_TITLE_SOURCE,
    check_texts,
    language,
    pick,
    render,
)
from accord.notifications.tables import notifications
from accord.records import service as records

MAX_RECIPIENTS = 1000
MAX_GROUP_MEMBERS = 200  # members checked for a department robot's shared view of a record


@dataclass(frozen=True)
class Message:
    """What to say. ``title``/``body`` are ``{"zh": …, "en": …}`` Jinja2 templates (sandboxed)
    with the variables ``record`` (fields the recipient may read), ``user`` (the recipient:
    ``name``, ``login``), ``object_name``, ``record_id``, ``url`` and everything in ``data``."""

    kind: str
    title: Mapping[str, str]
    body: Mapping[str, str] = field(default_factory=dict)
    object_name: str | None = None
    record_id: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class NotifyResult:
    notification_ids: list[int] = field(default_factory=list)  # in-app rows written
    delivery_ids: list[str] = field(default_factory=list)  # email and robot sends queued
    # (user id, reason): "unknown_user", "inactive", "no_access", "no_channel"
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "notification_ids": list(self.notification_ids),
            "delivery_ids": list(self.delivery_ids),
            "skipped": [{"user_id": u, "reason": r} for u, r in self.skipped],
        }


# --- save-time checks ----------------------------------------------------------------------


def check_message(title: Any, body: Any = None) -> list[FieldError]:
    """Every problem of a message's templates (fields ``title.zh``, ``body.en`` …): syntax
    errors, unknown languages, too long, an empty title. Empty list: fine."""
    return check_texts(title, "title", MAX_TITLE_SOURCE, required=True) + check_texts(
        body, "body", MAX_BODY_SOURCE, required=False
    )


def check_recipients(ctx: Context, user_ids: Iterable[Any]) -> list[FieldError]:
    """Every recipient that cannot receive anything: not a user id, no such user, disabled
    (users are never deleted; disabling is how one leaves). Fields ``user_ids.<n>``."""
    errors: list[FieldError] = []
    ids = list(user_ids)
    parsed = [parse_id(u) if isinstance(u, str) else None for u in ids]
    found = _users(ctx, [p for p in parsed if p])
    for i, (raw, uid) in enumerate(zip(ids, parsed, strict=True)):
        where = f"user_ids.{i}"
        user = found.get(uid) if uid else None
        if user is None:
            errors.append(
                FieldError(
                    where, "NOTIFICATION_RECIPIENT_INVALID", f"There is no user {str(raw)[:64]!r}."
                )
            )
        elif not user["is_active"]:
            errors.append(
                FieldError(
                    where,
                    "NOTIFICATION_RECIPIENT_INVALID",
                    f"User {user['login']!r} ({uid}) is disabled.",
                )
            )
    return errors


def _users(ctx: Context, ids: list[str]) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    u = t.users
    cols = (u.c.id, u.c.login, u.c.name, u.c.email, u.c.is_admin, u.c.is_active)
    rows = ctx.conn.execute(select(*cols, u.c.locale, u.c.timezone).where(u.c.id.in_(ids)))
    return {str(r.id): dict(r._mapping) for r in rows}


def _refuse_bad(message: Message) -> None:
    if not isinstance(message.kind, str) or get_kind(message.kind) is None:
        raise Invalid(
            "NOTIFICATION_KIND_UNKNOWN",
            f"No notification kind {str(message.kind)[:100]!r}.",
            [FieldError("kind", "NOTIFICATION_KIND_UNKNOWN", "unknown kind")],
        )
    errors = check_message(message.title, message.body)
    if errors:
        raise Invalid("NOTIFICATION_TEMPLATE_INVALID", "The message is not valid.", errors)


# --- rendering -----------------------------------------------------------------------------


def record_url(ctx: Context, object_name: str | None, record_id: str | None) -> str | None:
    """The link back to the record: ``ACCORD_PUBLIC_URL`` + ``/records/{object}/{id}``."""
    if not object_name or not record_id:
        return None
    base = (ctx.settings.public_url or "").rstrip("/")
    return f"{base}/records/{object_name}/{record_id}"


def record_for(ctx: Context, user: Mapping[str, Any], message: Message) -> dict[str, Any] | None:
    """The record as ``user`` may read it (hidden fields left out), or None when they may not
    read it. A list query, not ``get``: a recipient is not probing ids, so no audit entry."""
    if not message.object_name or not message.record_id:
        return {}
    as_user = ctx.as_actor(actor_for(user))
    try:
        page = records.list_records(
            as_user,
            message.object_name,
            filter={"field": "id", "op": "eq", "value": message.record_id},
            limit=1,
            as_json=True,
        )
    except AccordError:
        return None
    return dict(page.data[0]) if page.data else None


def _shared_view(views: list[dict[str, Any] | None]) -> dict[str, Any]:
    """The fields every member sees with the same value (nothing if someone sees no record)."""
    if not views or any(v is None for v in views):
        return {}
    first, *rest = views
    assert first is not None
    return {k: v for k, v in first.items() if all(k in o and o[k] == v for o in rest if o)}


def rendered(
    ctx: Context,
    message: Message,
    lang: str,
    record: Mapping[str, Any],
    user: Mapping[str, Any] | None,
) -> dict[str, str | None]:
    url = record_url(ctx, message.object_name, message.record_id)
    variables: dict[str, Any] = {
        **dict(message.data),
        "record": dict(record),
        "user": {"name": user["name"], "login": user["login"]} if user else {},
        "object_name": message.object_name,
        "record_id": message.record_id,
        "url": url,
    }
    return {
        "title": render(pick(message.title, lang), variables, MAX_TITLE),
        "body": render(pick(message.body, lang), variables, MAX_BODY),
        "url": url,
        "lang": lang,
    }


# --- notify --------------------------------------------------------------------------------


def notify(
    ctx: Context,
    user_ids: Iterable[str],
    message: Message,
    *,
    department_ids: Iterable[str] = (),
) -> NotifyResult:
    """Notify users (each on the channels they chose for ``message.kind``) and departments
    (their group robots), in ``ctx``'s transaction. Unknown and disabled users and users who
    may not read the record are skipped, not refused: a rule firing later must not fail
    because someone left (``check_recipients`` refuses them when the rule is saved)."""
    _refuse_bad(message)
    kind = get_kind(message.kind)
    assert kind is not None
    ids = list(dict.fromkeys(str(u) for u in user_ids))
    if len(ids) > MAX_RECIPIENTS:
        raise Invalid(
            "NOTIFICATION_RECIPIENT_INVALID", f"At most {MAX_RECIPIENTS} recipients at once."
        )
    result = NotifyResult()
    users = _users(ctx, [p for p in (parse_id(u) for u in ids) if p])
    wanted = channels_for(ctx, users, kind)
    now = ctx.clock.now()
    for uid in ids:
        user = users.get(parse_id(uid) or "")
        if user is None:
            result.skipped.append((uid, "unknown_user"))
            continue
        if not user["is_active"]:
            result.skipped.append((uid, "inactive"))
            continue
        channels = wanted[str(user["id"])]
        if not channels:
            result.skipped.append((uid, "no_channel"))
            continue
        record = record_for(ctx, user, message)
        if record is None:
            result.skipped.append((uid, "no_access"))
            continue
        text = rendered(ctx, message, language(user["locale"]), record, user)
        nid = None
        if IN_APP in channels:
            nid = ctx.conn.execute(
                insert(notifications)
                .values(
                    user_id=user["id"],
                    kind=kind.name,
                    title=text["title"] or kind.label[text["lang"] or "en"],
                    body=text["body"] or "",
                    object_name=message.object_name,
                    record_id=message.record_id,
                    url=text["url"],
                    created_at=now,
                )
                .returning(notifications.c.id)
            ).scalar_one()
            result.notification_ids.append(int(nid))
        if EMAIL in channels:
            result.delivery_ids += deliveries.queue_email(ctx, kind.name, user, text, nid)
        if ROBOT in channels:
            result.delivery_ids += deliveries.queue_user_robots(ctx, kind.name, user, text, nid)
    for dept in dict.fromkeys(department_ids):
        result.delivery_ids += _notify_department(ctx, message, str(dept))
    return result


def _notify_department(ctx: Context, message: Message, department_id: str) -> list[str]:
    channels = deliveries.department_channels(ctx, department_id)
    if not channels:
        return []
    u = t.users
    members = ctx.conn.execute(
        select(u.c.id, u.c.login, u.c.name, u.c.is_admin, u.c.locale, u.c.timezone)
        .where(u.c.department_id == department_id, u.c.is_active.is_(True))
        .limit(MAX_GROUP_MEMBERS + 1)
    ).mappings()
    group = [dict(m) for m in members]
    if len(group) > MAX_GROUP_MEMBERS:
        group = []  # too many to check: show no record fields at all
    record = _shared_view([record_for(ctx, m, message) for m in group])
    lang = language(ctx.settings.default_locale)
    text = rendered(ctx, message, lang, record, None)
    return deliveries.queue_robots(ctx, message.kind, channels, text)


def admin_ids(ctx: Context) -> list[str]:
    """Active administrators: ``users.is_admin`` or holding a role marked ``is_admin``."""
    u, ur, r = t.users, t.user_roles, t.roles
    admin_role = (
        select(ur.c.user_id)
        .join(r, r.c.id == ur.c.role_id)
        .where(ur.c.user_id == u.c.id, r.c.is_admin.is_(True))
        .exists()
    )
    q = select(u.c.id).where(u.c.is_active.is_(True), or_(u.c.is_admin.is_(True), admin_role))
    return [str(i) for i in ctx.conn.execute(q.order_by(u.c.login)).scalars()]


def notify_admins(ctx: Context, message: Message) -> NotifyResult:
    """Notify every active administrator (a webhook switched off, a dead delivery …)."""
    return notify(ctx, admin_ids(ctx), message)
