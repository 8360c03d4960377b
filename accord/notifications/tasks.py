"""Job handlers of accord.notifications (registered by ``accord.engines.job_registry``).

Each handler sends one delivery (``notification_deliveries``) that ``notify`` queued with its
content already rendered for the recipient. A failure the remote side may get over (no answer,
busy, rate limit, a 4xx from the mail server) raises ``DeliveryFailed`` and the job system
retries with ``deliveries.BACKOFF``; a failure that can never succeed (SMTP not configured, the
robot's token refused, the channel deleted) raises ``PermanentFailure`` and the job is dead at
once. Either way the delivery stays listed with its error until an administrator retries it.

Sending is at-least-once (accord/jobs/README.md, guarantee 4): the delivery is marked sent in
the job's transaction after the send returns; a worker dying in between sends it again. Emails
carry a stable ``Message-ID`` (the delivery id) so mail clients fold such a duplicate.
"""

from __future__ import annotations

from typing import Any

from accord.core.context import Context
from accord.integrations import robots, smtp
from accord.jobs import PermanentFailure, handler
from accord.notifications import deliveries


class DeliveryFailed(Exception):
    """A retryable failure: the job is tried again after the backoff."""


def _delivery(ctx: Context, payload: dict[str, Any], channel: str) -> dict[str, Any] | None:
    found = deliveries.load_for_sending(ctx, payload.get("delivery_id"))
    if found is None or found["channel"] != channel:
        raise PermanentFailure(f"no {channel} delivery {payload.get('delivery_id')!r}")
    return None if found["sent_at"] is not None else found


@handler(deliveries.EMAIL_JOB, backoff=deliveries.BACKOFF)
def send_email(ctx: Context, payload: dict[str, Any]) -> dict[str, Any] | None:
    d = _delivery(ctx, payload, "email")
    if d is None:
        return {"already_sent": True}
    config = smtp.SmtpConfig.from_settings(ctx.settings)
    if config is None:
        raise PermanentFailure("SMTP is not configured (set ACCORD_SMTP_HOST)")
    content = d["content"]
    message_id = f"<{d['id']}@accord.notifications>"
    try:
        smtp.send_email(
            config,
            [content["to"]],
            content["subject"],
            content["text"],
            content.get("html"),
            message_id=message_id,
            headers={"X-Accord-Notification-Kind": d["kind"]},
        )
    except smtp.MailError as exc:
        if exc.retryable:
            raise DeliveryFailed(exc.detail) from None
        raise PermanentFailure(exc.detail) from None
    deliveries.mark_sent(ctx, d["id"], f"accepted as {message_id}")
    return {"to": content["to"]}


@handler(deliveries.ROBOT_JOB, backoff=deliveries.BACKOFF)
def send_robot(ctx: Context, payload: dict[str, Any]) -> dict[str, Any] | None:
    d = _delivery(ctx, payload, "robot")
    if d is None:
        return {"already_sent": True}
    if d["webhook_url"] is None:
        raise PermanentFailure("the robot channel was deleted")
    if not d["channel_enabled"]:
        raise PermanentFailure("the robot channel is switched off")
    c = d["content"]
    message = robots.RobotMessage(c["title"], c["text"], c.get("url"), c.get("url_title"))
    try:
        answer = robots.send(
            d["channel_vendor"], d["webhook_url"], d["secret"], message, now=ctx.clock.now()
        )
    except robots.RobotError as exc:
        if exc.retryable:
            raise DeliveryFailed(exc.detail) from None
        raise PermanentFailure(exc.detail) from None
    deliveries.mark_sent(ctx, d["id"], f"HTTP {answer.status} {answer.body}")
    return {"status": answer.status}
