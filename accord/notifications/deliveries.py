"""External deliveries (email, group robots): queued in the caller's transaction, sent by jobs,
visible until they succeed.

A delivery row keeps what was rendered for its recipient (so the job never renders again, and
never as anyone but the recipient) and the id of the job that sends it. Attempts, the last error
and the dead state are the job's own (``accord.jobs``): one source of truth, no second status
column that could disagree with it. Status as the API shows it:

    sent    the job succeeded (``sent_at`` is set in the same transaction)
    queued  waiting for its first attempt, or running
    failed  an attempt failed; retried at ``next_attempt_at`` (backoff)
    dead    out of attempts or failed permanently (SMTP not configured, bad robot token …);
            ``retry_delivery`` gives it a fresh set of attempts
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from sqlalchemy import and_, case, insert, select, update

from accord.auth.org import require_admin
from accord.core.context import Context
from accord.core.errors import Conflict, FieldError, Invalid, NotFound
from accord.core.ids import new_id, parse_id
from accord.jobs import Backoff, enqueue, retry_dead
from accord.jobs.tables import jobs
from accord.notifications.kinds import EMAIL, ROBOT, get_kind
from accord.notifications.render import render_layout
from accord.notifications.tables import notification_channels as ch
from accord.notifications.tables import notification_deliveries as d

EMAIL_JOB: Final = "notifications.email"
ROBOT_JOB: Final = "notifications.robot"
MAX_ATTEMPTS: Final = 6
# 30 s, 1 min, 2 min, 4 min, 8 min between the six attempts (minus jitter): a vendor's
# minute-long rate limit or a mail server's restart is outlasted, an hour is not waited out.
BACKOFF: Final = Backoff(base_seconds=30.0, cap_seconds=1800.0)
STATUSES: Final = ("queued", "failed", "dead", "sent")
MAX_PAGE = 200

_STATUS = case(
    (d.c.sent_at.is_not(None), "sent"),
    (jobs.c.id.is_(None), "dead"),  # the job was purged without success
    (jobs.c.status == "dead", "dead"),
    (jobs.c.status == "failed", "failed"),
    (jobs.c.status == "done", "sent"),
    else_="queued",
)


def _queue(
    ctx: Context,
    channel: str,
    kind: str,
    target: str,
    content: Mapping[str, Any],
    *,
    user_id: str | None = None,
    channel_id: str | None = None,
    notification_id: int | None = None,
) -> str:
    did = new_id()
    ctx.conn.execute(
        insert(d).values(
            id=did,
            channel=channel,
            kind=kind,
            target=target[:320],
            user_id=user_id,
            channel_id=channel_id,
            notification_id=notification_id,
            content=dict(content),
            created_at=ctx.clock.now(),
        )
    )
    job = EMAIL_JOB if channel == EMAIL else ROBOT_JOB
    job_id = enqueue(
        ctx, job, {"delivery_id": did}, max_attempts=MAX_ATTEMPTS, idempotency_key=f"{job}:{did}"
    )
    ctx.conn.execute(update(d).where(d.c.id == did).values(job_id=job_id))
    return did


def email_content(kind: str, user: Mapping[str, Any], text: Mapping[str, Any]) -> dict[str, Any]:
    """Subject, text and HTML of one email in the recipient's language (bundled layouts)."""
    lang = text["lang"] if text.get("lang") in ("zh", "en") else "en"
    k = get_kind(kind)
    variables = {
        "title": text["title"],
        "body": text["body"],
        "url": text["url"],
        "user_name": user["name"],
        "kind_label": k.label[lang] if k else kind,
    }
    return {
        "to": user["email"],
        "subject": text["title"],
        "text": render_layout(f"email.{lang}.txt", variables),
        "html": render_layout(f"email.{lang}.html", variables),
        "lang": lang,
    }


def queue_email(
    ctx: Context,
    kind: str,
    user: Mapping[str, Any],
    text: Mapping[str, Any],
    notification_id: int | None,
) -> list[str]:
    """An email to ``user`` (nothing when they have no address)."""
    if not user.get("email"):
        return []
    content = email_content(kind, user, text)
    uid = str(user["id"])
    return [
        _queue(
            ctx, EMAIL, kind, user["email"], content, user_id=uid, notification_id=notification_id
        )
    ]


def robot_content(text: Mapping[str, Any]) -> dict[str, Any]:
    link = {"zh": "查看记录", "en": "Open the record"}.get(str(text.get("lang")), "Open")
    return {
        "title": text["title"],
        "text": text["body"] or text["title"],
        "url": text["url"],
        "url_title": link if text["url"] else None,
    }


def queue_robots(
    ctx: Context,
    kind: str,
    channels: Sequence[Mapping[str, Any]],
    text: Mapping[str, Any],
    *,
    user_id: str | None = None,
    notification_id: int | None = None,
) -> list[str]:
    """One robot message per channel."""
    content = robot_content(text)
    return [
        _queue(
            ctx,
            ROBOT,
            kind,
            f"{c['vendor']}: {c['name']}",
            {**content, "vendor": c["vendor"]},
            user_id=user_id,
            channel_id=str(c["id"]),
            notification_id=notification_id,
        )
        for c in channels
    ]


def _enabled_channels(ctx: Context, where: Any) -> list[dict[str, Any]]:
    q = select(ch.c.id, ch.c.vendor, ch.c.name).where(where, ch.c.enabled.is_(True))
    return [dict(r) for r in ctx.conn.execute(q.order_by(ch.c.created_at)).mappings()]


def department_channels(ctx: Context, department_id: str) -> list[dict[str, Any]]:
    """The department's enabled robots (none for an id that is not a department)."""
    dept = parse_id(department_id)
    if dept is None:
        return []
    return _enabled_channels(ctx, ch.c.department_id == dept)


def queue_user_robots(
    ctx: Context,
    kind: str,
    user: Mapping[str, Any],
    text: Mapping[str, Any],
    notification_id: int | None,
) -> list[str]:
    """A message to each of the user's own enabled robots."""
    uid = str(user["id"])
    channels = _enabled_channels(ctx, ch.c.user_id == uid)
    return queue_robots(ctx, kind, channels, text, user_id=uid, notification_id=notification_id)


# --- operations: list and retry ------------------------------------------------------------


def _view() -> Any:
    return select(
        d.c.id,
        d.c.channel,
        d.c.kind,
        d.c.target,
        d.c.user_id,
        d.c.channel_id,
        d.c.notification_id,
        d.c.job_id,
        d.c.created_at,
        d.c.sent_at,
        d.c.response,
        _STATUS.label("status"),
        (jobs.c.id.is_not(None)).label("job_exists"),
        jobs.c.attempts,
        jobs.c.max_attempts,
        jobs.c.last_error,
        case((jobs.c.status == "failed", jobs.c.run_at), else_=None).label("next_attempt_at"),
    ).select_from(d.outerjoin(jobs, jobs.c.id == d.c.job_id))


def _json(row: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(row)
    out["job_exists"] = bool(out["job_exists"])  # internal: False once the job was purged
    out["attempts"] = out["attempts"] or 0
    if out["last_error"]:
        # the first line names the failure; the traceback tail stays in the jobs table
        out["last_error"] = str(out["last_error"]).strip().splitlines()[-1][:500]
    return out


def list_deliveries(
    ctx: Context, *, status: str | None = None, cursor: str | None = None, limit: int = 50
) -> tuple[list[dict[str, Any]], str | None]:
    """Deliveries newest first, optionally of one status; (page, next cursor).
    Administrators only: deliveries name other users' addresses."""
    require_admin(ctx, "see notification deliveries")
    if status is not None and status not in STATUSES:
        raise Invalid(
            "NOTIFICATION_DELIVERY_STATUS_INVALID",
            f"status must be one of {', '.join(STATUSES)}.",
            [FieldError("status", "NOTIFICATION_DELIVERY_STATUS_INVALID", "unknown status")],
        )
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise Invalid(
            "INVALID_LIMIT",
            f"limit must be between 1 and {MAX_PAGE}.",
            [FieldError("limit", "OUT_OF_RANGE", "out of range")],
        )
    q = _view()
    if status is not None:
        q = q.where(_STATUS.in_((status,)))
    if cursor is not None:
        after = parse_id(cursor)
        if after is None:
            raise Invalid(
                "NOTIFICATION_CURSOR_INVALID",
                "cursor is not valid.",
                [FieldError("cursor", "NOTIFICATION_CURSOR_INVALID", "not valid")],
            )
        q = q.where(d.c.id < after)
    rows = ctx.conn.execute(q.order_by(d.c.id.desc()).limit(limit + 1)).mappings().all()
    page = [_json(r) for r in rows[:limit]]
    return page, (page[-1]["id"] if len(rows) > limit else None)


def get_delivery(ctx: Context, delivery_id: Any) -> dict[str, Any]:
    """One delivery with its status, attempts and last error (administrators)."""
    require_admin(ctx, "see notification deliveries")
    return _get(ctx, delivery_id)


def _get(ctx: Context, delivery_id: Any) -> dict[str, Any]:
    did = parse_id(delivery_id)
    row = None
    if did is not None:
        row = ctx.conn.execute(_view().where(d.c.id == did)).mappings().first()
    if row is None:
        raise NotFound(
            "NOTIFICATION_DELIVERY_NOT_FOUND", f"No delivery with id {str(delivery_id)[:64]!r}."
        )
    return _json(row)


def retry_delivery(ctx: Context, delivery_id: Any) -> dict[str, Any]:
    """Give a dead delivery a fresh set of attempts, starting now (administrators)."""
    found = get_delivery(ctx, delivery_id)
    if found["status"] != "dead":
        raise Conflict(
            "NOTIFICATION_DELIVERY_NOT_DEAD",
            f"Delivery {found['id']} is {found['status']}; only dead ones are retried.",
        )
    if found.pop("job_exists"):
        retry_dead(ctx, int(found["job_id"]))
    else:  # its job was purged: queue a new one
        job = EMAIL_JOB if found["channel"] == EMAIL else ROBOT_JOB
        job_id = enqueue(ctx, job, {"delivery_id": found["id"]}, max_attempts=MAX_ATTEMPTS)
        ctx.conn.execute(update(d).where(d.c.id == found["id"]).values(job_id=job_id))
    return _get(ctx, found["id"])


def load_for_sending(ctx: Context, delivery_id: Any) -> dict[str, Any] | None:
    """The delivery a job sends, with its robot channel's settings (None: gone)."""
    did = parse_id(delivery_id)
    if did is None:
        return None
    q = select(
        d,
        ch.c.webhook_url,
        ch.c.secret,
        ch.c.enabled.label("channel_enabled"),
        ch.c.vendor.label("channel_vendor"),
    ).select_from(d.outerjoin(ch, and_(ch.c.id == d.c.channel_id)))
    row = ctx.conn.execute(q.where(d.c.id == did)).mappings().first()
    return dict(row) if row else None


def mark_sent(ctx: Context, delivery_id: str, response: str | None) -> None:
    ctx.conn.execute(
        update(d)
        .where(d.c.id == delivery_id)
        .values(sent_at=ctx.clock.now(), response=(response or "")[:2000] or None)
    )
