"""Job handlers of accord.webhooks (registered by ``accord.engines.job_registry``).

``webhooks.deliver`` sends one attempt of one delivery and records its outcome **in the job's
own transaction**, then returns normally, so the record of a failed attempt always commits.
The next attempt is a new job queued in that same transaction, ``run_at`` the backoff later
(``model.BACKOFF``). Raising to let the job system retry would roll back the attempt's record,
and a side transaction cannot write it on SQLite while the job holds the write lock; so the
job system's own retries (``@handler(backoff=…)``) only cover a crash of the handler itself
(a database error), which re-sends the same attempt.

An attempt's outcome:

- 2xx → ``succeeded``; the subscription's run of failures is reset.
- no answer (refused, timeout, TLS), 408/409/425/429 or 5xx → another attempt after the
  backoff, until ``max_attempts``; then ``dead``.
- any other status (400, 401, 404, 410, a redirect …) → ``dead`` at once: retrying the same
  request cannot change the answer. Fix the receiver and redeliver.

A dead delivery counts one failure for its subscription; ``ACCORD_WEBHOOK_DISABLE_AFTER``
dead deliveries in a row switch the subscription off and notify every administrator
(notification kind ``webhook.disabled``).
"""

from __future__ import annotations

import json
import logging
import time
from datetime import timedelta
from typing import Any

from accord.core.context import Context
from accord.core.errors import AccordError
from accord.integrations import http
from accord.jobs import Backoff, handler
from accord.jobs import service as jobs
from accord.jobs.every import Every
from accord.jobs.scheduler import Schedule
from accord.notifications.service import Message, notify_admins
from accord.webhooks import payloads, repository, signing
from accord.webhooks.model import (
    BACKOFF,
    DEAD,
    DELIVER_KIND,
    MAX_ERROR,
    PENDING,
    PURGE_KIND,
    SUCCEEDED,
    TIMEOUT_SECONDS,
    worth_retrying,
)

log = logging.getLogger("accord.webhooks")

KEEP_SUCCEEDED_DAYS = 30
KEEP_DEAD_DAYS = 90

_DISABLED_TITLE = {"zh": "Webhook {{ name }} 已停用", "en": "Webhook {{ name }} switched off"}
_DISABLED_BODY = {
    "zh": "连续 {{ failures }} 次投递失败，已自动停用（{{ url }}）。修复接收端后重新启用，"
    "并可重发失败的投递。",
    "en": "Switched off after {{ failures }} failed deliveries in a row ({{ url }}). Fix the "
    "receiver, enable it again and redeliver what failed.",
}


def body_bytes(delivery_id: int, payload: dict[str, Any]) -> bytes:
    """The exact bytes sent (and signed): compact UTF-8 JSON, the delivery id first."""
    data = payloads.with_id(delivery_id, payload)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@handler(DELIVER_KIND, backoff=Backoff(base_seconds=30.0, cap_seconds=3600.0))
def deliver(ctx: Context, payload: dict[str, Any]) -> dict[str, Any]:
    """Send attempt ``payload["attempt"]`` of delivery ``payload["delivery_id"]``."""
    did, attempt = int(payload["delivery_id"]), int(payload["attempt"])
    row = repository.delivery_to_send(ctx.conn, did)
    if row is None:
        return {"skipped": "gone"}  # its subscription was deleted
    if row["status"] != PENDING or row["attempts"] + 1 != attempt:
        return {"skipped": "stale"}  # a redelivery or an earlier copy of this job took over
    if not row["enabled"]:
        repository.give_up(ctx.conn, did, "The subscription is switched off.")
        return {"delivery_id": did, "status": DEAD, "reason": "disabled"}

    body = body_bytes(did, row["payload"])
    now = ctx.clock.now()
    sent = signing.headers(
        row["secret"], body, now, event=row["event"], delivery_id=did, attempt=attempt
    )
    status: int | None = None
    excerpt: str | None = None
    retry = True
    started = time.monotonic()
    try:
        answer = http.post(row["url"], body, sent, timeout=TIMEOUT_SECONDS)
        status, excerpt, duration = answer.status, answer.body, answer.elapsed_ms
        error = None if answer.ok else f"HTTP {answer.status}"
        retry = worth_retrying(status)
    except http.TransportError as exc:
        error, duration = exc.detail[:MAX_ERROR], exc.elapsed_ms
    except Exception as exc:
        # Not the network: the request could not even be built (a URL saved before a stricter
        # check). Retrying cannot help; recording it keeps the delivery from looping.
        error = f"Could not send: {type(exc).__name__}: {exc}"[:MAX_ERROR]
        duration, retry = int((time.monotonic() - started) * 1000), False
    ok = status is not None and 200 <= status < 300

    next_at = None
    if ok:
        outcome = SUCCEEDED
    elif retry and attempt < row["max_attempts"]:
        outcome, next_at = PENDING, now + BACKOFF.delay(attempt)
    else:
        outcome = DEAD
    repository.record_attempt(
        ctx.conn,
        did,
        attempt,
        at=now,
        status=status,
        error=error,
        excerpt=excerpt,
        duration_ms=duration,
        outcome=outcome,
        next_attempt_at=next_at,
    )
    if ok:
        repository.reset_failures(ctx.conn, row["subscription_id"])
    elif outcome == PENDING:
        jobs.enqueue(
            ctx, DELIVER_KIND, {"delivery_id": did, "attempt": attempt + 1}, run_at=next_at
        )
    else:
        _count_dead(ctx, row, error or f"HTTP {status}")
    level = logging.INFO if ok else logging.WARNING
    log.log(
        level,
        "webhook delivery %s attempt %s to %s: %s",
        did,
        attempt,
        row["subscription_name"],
        outcome if error is None else f"{outcome} ({error})",
    )
    return {"delivery_id": did, "attempt": attempt, "status": outcome, "http_status": status}


def _count_dead(ctx: Context, row: dict[str, Any], error: str) -> None:
    """One more dead delivery in a row; past the limit, switch off and tell the admins."""
    sid = row["subscription_id"]
    now = ctx.clock.now()
    failures = repository.count_failure(ctx.conn, sid, now)
    limit = ctx.settings.webhook_disable_after
    if failures < limit:
        return
    reason = f"{failures} deliveries in a row failed (the last: {error[:200]})"
    if not repository.disable(ctx.conn, sid, reason, now):
        return
    log.error("webhook %s switched off: %s", row["subscription_name"], reason)
    message = Message(
        kind="webhook.disabled",
        title=_DISABLED_TITLE,
        body=_DISABLED_BODY,
        data={
            "subscription_id": str(sid),
            "name": row["subscription_name"],
            "url": row["url"],
            "failures": failures,
            "reason": reason,
        },
    )
    try:
        # A savepoint: a refused notification must not undo the switch-off.
        with ctx.conn.begin_nested():
            notify_admins(ctx, message)
    except AccordError:
        log.exception("could not notify administrators that webhook %s is off", sid)


@handler(PURGE_KIND)
def purge_deliveries(ctx: Context, payload: dict[str, Any]) -> dict[str, Any]:
    """Forget succeeded deliveries after ``keep_days`` (30) and dead ones after
    ``keep_dead_days`` (90), with their attempts."""
    now = ctx.clock.now()
    keep = timedelta(days=float(payload.get("keep_days", KEEP_SUCCEEDED_DAYS)))
    keep_dead = timedelta(days=float(payload.get("keep_dead_days", KEEP_DEAD_DAYS)))
    return {
        "succeeded": repository.purge(ctx.conn, SUCCEEDED, now - keep),
        "dead": repository.purge(ctx.conn, DEAD, now - keep_dead),
    }


SCHEDULES = (Schedule(PURGE_KIND, PURGE_KIND, Every.daily("03:45")),)
