"""What other packages and the API call: subscriptions, the delivery log, manual redelivery,
and ``deliver`` for the rule engine's "call webhook" action.

Everything but ``deliver`` and ``check_ref`` is for administrators (``NOT_ALLOWED``
otherwise): a subscription sends records out of the system. ``deliver`` and ``check_ref``
are called by the rule engine on behalf of a rule an administrator saved; they check nothing
about the acting user, and the payload's record is still shaped by the subscription owner's
read permissions. Every service works in the caller's unit of work; queueing a delivery is
transactional (its row and its job commit with the caller's changes, or not at all).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from accord.auth import audit
from accord.auth.identity import find_user_by_id
from accord.auth.org import require_admin
from accord.core.context import Context
from accord.core.errors import Conflict, FieldError, Invalid, NotFound
from accord.core.ids import new_id, parse_id
from accord.jobs import service as jobs
from accord.meta.registry import load
from accord.webhooks import payloads, repository, signing
from accord.webhooks.model import (
    DEAD,
    DELIVER_KIND,
    MAX_ATTEMPTS,
    PENDING,
    STATUSES,
    check_event_name,
    check_events,
    check_name,
    check_objects,
    check_url,
    unique_list,
)

EDITABLE = ("name", "url", "objects", "events", "enabled", "owner_id")
MAX_DATA_BYTES = 256 * 1024
MAX_LIST = 200
_OFF = "The subscription is switched off."


# --- subscriptions -------------------------------------------------------------------------


def _owner_errors(ctx: Context, owner_id: Any) -> list[FieldError]:
    user = find_user_by_id(ctx.conn, owner_id)
    if user is None or not user["is_active"]:
        return [FieldError("owner_id", "WEBHOOK_OWNER_INVALID", "No active user with that id.")]
    return []


def _check(ctx: Context, values: Mapping[str, Any], own_id: str | None) -> None:
    """Every problem of the given fields, or nothing (raises ``WEBHOOK_INVALID``)."""
    errors = [
        FieldError(str(k)[:64], "UNKNOWN_FIELD", f"{str(k)[:64]!r} cannot be set.")
        for k in values
        if k not in EDITABLE
    ]
    if "name" in values:
        errors += check_name(values["name"])
        if not errors and repository.name_taken(ctx.conn, values["name"], own_id):
            raise Conflict(
                "WEBHOOK_NAME_TAKEN", f"A webhook named {values['name']!r} exists already."
            )
    if "url" in values:
        errors += check_url(values["url"])
    if "objects" in values:
        errors += check_objects(values["objects"], load(ctx).objects)
    if "events" in values:
        errors += check_events(values["events"])
    if "enabled" in values and not isinstance(values["enabled"], bool):
        errors.append(FieldError("enabled", "INVALID_TYPE", "enabled must be true or false."))
    if "owner_id" in values:
        errors += _owner_errors(ctx, values["owner_id"])
    if errors:
        raise Invalid("WEBHOOK_INVALID", "The webhook is not valid.", errors)


def _subscription(ctx: Context, ref: Any) -> dict[str, Any]:
    """A subscription by id or by name, or ``WEBHOOK_NOT_FOUND``."""
    row = None
    if isinstance(ref, str) and 0 < len(ref) <= 100:
        sid = parse_id(ref)
        row = repository.subscription(ctx.conn, sid) if sid else None
        if row is None:
            row = repository.subscription_by_name(ctx.conn, ref)
    if row is None:
        raise NotFound("WEBHOOK_NOT_FOUND", f"There is no webhook {str(ref)[:100]!r}.")
    return row


def list_subscriptions(ctx: Context) -> list[dict[str, Any]]:
    require_admin(ctx, "manage webhooks")
    return repository.list_subscriptions(ctx.conn)


def get_subscription(ctx: Context, ref: str) -> dict[str, Any]:
    require_admin(ctx, "manage webhooks")
    return _subscription(ctx, ref)


def create_subscription(ctx: Context, values: Mapping[str, Any]) -> dict[str, Any]:
    """A new subscription (enabled unless ``enabled: false``), owned by the acting user unless
    ``owner_id`` names another. The answer carries ``secret``: the only time it is shown."""
    require_admin(ctx, "manage webhooks")
    if not isinstance(values, Mapping):
        raise Invalid("WEBHOOK_INVALID", "Send the webhook as a JSON object.")
    given = {"objects": [], "events": [], **values}
    for required in ("name", "url"):
        given.setdefault(required, None)
    _check(ctx, given, None)
    now = ctx.clock.now()
    sid, secret = new_id(), signing.new_secret()
    owner = given.get("owner_id") or (None if ctx.actor.is_system else ctx.actor.id)
    if owner is None:
        raise Invalid(
            "WEBHOOK_INVALID",
            "The webhook needs an owner.",
            [FieldError("owner_id", "WEBHOOK_OWNER_INVALID", "Name the user it acts as.")],
        )
    repository.insert_subscription(
        ctx.conn,
        {
            "id": sid,
            "name": given["name"],
            "url": given["url"],
            "objects": unique_list(given["objects"]),
            "events": unique_list(given["events"]),
            "secret": secret,
            "enabled": given.get("enabled", True),
            "consecutive_failures": 0,
            "owner_id": parse_id(owner),
            "created_at": now,
            "created_by": ctx.actor.id,
            "updated_at": now,
            "updated_by": ctx.actor.id,
        },
    )
    audit.record(
        ctx, "webhook.create", "webhook", sid, {"name": given["name"], "url": given["url"]}
    )
    return {**_subscription(ctx, sid), "secret": secret}


def update_subscription(ctx: Context, ref: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Change some fields. ``enabled: true`` is ``enable``; ``enabled: false`` switches the
    subscription off (pending deliveries go dead, redeliverable later)."""
    require_admin(ctx, "manage webhooks")
    sub = _subscription(ctx, ref)
    if not isinstance(changes, Mapping):
        raise Invalid("WEBHOOK_INVALID", "Send the changes as a JSON object.")
    _check(ctx, changes, sub["id"])
    now = ctx.clock.now()
    values: dict[str, Any] = {k: changes[k] for k in EDITABLE if k in changes}
    for key in ("objects", "events"):
        if key in values:
            values[key] = unique_list(values[key])
    if "owner_id" in values:
        values["owner_id"] = parse_id(values["owner_id"])
    if values.get("enabled") is True and not sub["enabled"]:
        values.update(disabled_reason=None, disabled_at=None, consecutive_failures=0)
    elif values.get("enabled") is False and sub["enabled"]:
        values.update(disabled_reason=f"Switched off by {ctx.actor.login}.", disabled_at=now)
    repository.update_subscription(
        ctx.conn, sub["id"], {**values, "updated_at": now, "updated_by": ctx.actor.id}
    )
    audit.record(ctx, "webhook.update", "webhook", sub["id"], {"fields": sorted(values)})
    return _subscription(ctx, sub["id"])


def delete_subscription(ctx: Context, ref: str) -> None:
    """Remove the subscription and its delivery log (queued attempts are dropped)."""
    require_admin(ctx, "manage webhooks")
    sub = _subscription(ctx, ref)
    repository.delete_subscription(ctx.conn, sub["id"])
    audit.record(ctx, "webhook.delete", "webhook", sub["id"], {"name": sub["name"]})


def rotate_secret(ctx: Context, ref: str) -> dict[str, Any]:
    """A new signing secret, effective for every attempt from now on; shown in this answer
    only."""
    require_admin(ctx, "manage webhooks")
    sub = _subscription(ctx, ref)
    secret, now = signing.new_secret(), ctx.clock.now()
    repository.update_subscription(
        ctx.conn, sub["id"], {"secret": secret, "updated_at": now, "updated_by": ctx.actor.id}
    )
    audit.record(ctx, "webhook.rotate_secret", "webhook", sub["id"], {"name": sub["name"]})
    return {**_subscription(ctx, sub["id"]), "secret": secret}


def enable(ctx: Context, ref: str, *, redeliver_dead: bool = False) -> dict[str, Any]:
    """Switch the subscription on again and reset its failure count; with ``redeliver_dead``
    every dead delivery of it is queued again (what piled up while the receiver was down)."""
    sub = update_subscription(ctx, ref, {"enabled": True})
    if sub["consecutive_failures"]:
        repository.update_subscription(ctx.conn, sub["id"], {"consecutive_failures": 0})
    if redeliver_dead:
        now = ctx.clock.now()
        again = repository.requeue_dead(ctx.conn, sub["id"], MAX_ATTEMPTS, now)
        jobs.enqueue_many(
            ctx, DELIVER_KIND, ({"delivery_id": i, "attempt": n + 1} for i, n in again)
        )
        audit.record(ctx, "webhook.redeliver", "webhook", sub["id"], {"deliveries": len(again)})
    return _subscription(ctx, sub["id"])


def check_ref(ctx: Context, ref: Any) -> list[FieldError]:
    """Save-time check of a rule action naming a webhook by id or name (field ``webhook``):
    ``WEBHOOK_NOT_FOUND`` or ``WEBHOOK_DISABLED``; empty when it can be used."""
    try:
        sub = _subscription(ctx, ref)
    except NotFound as exc:
        return [FieldError("webhook", exc.code, exc.message)]
    if not sub["enabled"]:
        reason = sub["disabled_reason"] or "switched off"
        message = f"The webhook {sub['name']!r} is switched off: {reason}"
        return [FieldError("webhook", "WEBHOOK_DISABLED", message)]
    return []


# --- queueing deliveries -------------------------------------------------------------------


def _json_value(o: Any) -> Any:
    if isinstance(o, Decimal | UUID):
        return str(o)
    if isinstance(o, datetime):
        return payloads.iso(o)
    if isinstance(o, date):
        return o.isoformat()
    if isinstance(o, set | frozenset | tuple):
        return list(o)
    raise TypeError(f"{type(o).__name__} is not JSON")


def _queue(
    ctx: Context,
    sub: Mapping[str, Any],
    payload: dict[str, Any],
    object_name: str | None = None,
    record_id: str | None = None,
) -> int:
    now = ctx.clock.now()
    row = {
        "subscription_id": sub["id"],
        "event": payload["event"],
        "object_name": object_name,
        "record_id": record_id,
        "payload": payload,
        "status": PENDING if sub["enabled"] else DEAD,
        "last_error": None if sub["enabled"] else _OFF,
        "attempts": 0,
        "max_attempts": MAX_ATTEMPTS,
        "next_attempt_at": now if sub["enabled"] else None,
        "created_at": now,
    }
    [did] = repository.insert_deliveries(ctx.conn, [row])
    if sub["enabled"]:
        jobs.enqueue(ctx, DELIVER_KIND, {"delivery_id": did, "attempt": 1}, run_at=now)
    return did


def deliver(
    ctx: Context,
    subscription_ref: str,
    event: str,
    object_name: str | None,
    record_id: str | None,
    data: Mapping[str, Any],
) -> int:
    """Queue one delivery to the subscription named by id or name; returns the delivery id.

    The body is ``{"id", "event", "occurred_at", "object", "record_id", "record"?, "data"}``:
    ``record`` when the subscription owner may read it (hidden fields left out), ``data`` as
    given (a JSON object: decimals, dates and UUIDs become strings). A switched-off
    subscription gets the delivery as ``dead`` (visible, redeliverable once it is on again):
    the call is never lost. Raises ``WEBHOOK_NOT_FOUND`` or ``WEBHOOK_DELIVERY_INVALID``."""
    sub = _subscription(ctx, subscription_ref)
    errors = check_event_name(event)
    if object_name is not None and object_name not in load(ctx).objects:
        msg = f"There is no object {str(object_name)[:63]!r}."
        errors.append(FieldError("object_name", "WEBHOOK_OBJECTS_INVALID", msg))
    rid = None
    if record_id is not None:
        rid = parse_id(record_id)
        if rid is None:
            msg = "record_id must be a record's id (a UUID)."
            errors.append(FieldError("record_id", "WEBHOOK_RECORD_INVALID", msg))
    body: dict[str, Any] = {}
    try:
        if not isinstance(data, Mapping):
            raise TypeError("data must be a JSON object")
        text = json.dumps(dict(data), default=_json_value, ensure_ascii=False, allow_nan=False)
        if len(text.encode()) > MAX_DATA_BYTES:
            raise ValueError(f"data is larger than {MAX_DATA_BYTES} bytes")
        body = json.loads(text)
    except (TypeError, ValueError) as exc:
        errors.append(FieldError("data", "WEBHOOK_DATA_INVALID", str(exc)[:200]))
    if errors:
        raise Invalid("WEBHOOK_DELIVERY_INVALID", "The delivery is not valid.", errors)
    record = None
    if object_name is not None and rid is not None and sub["enabled"]:
        owner = payloads.owner_actors(ctx, [str(sub["owner_id"])]).get(str(sub["owner_id"]))
        if owner is not None:
            seen = payloads.visible_records(ctx.as_actor(owner), object_name, [rid])
            record = seen.get(rid)
    payload = payloads.custom_payload(event, ctx.clock.now(), object_name, rid, record, body)
    return _queue(ctx, sub, payload, object_name, rid)


def ping(ctx: Context, ref: str) -> int:
    """Queue a ``ping`` delivery (a receiver's first test); returns its id."""
    require_admin(ctx, "manage webhooks")
    sub = _subscription(ctx, ref)
    if not sub["enabled"]:
        raise Conflict("WEBHOOK_DISABLED", f"The webhook {sub['name']!r} is switched off.")
    payload = {
        "event": "ping",
        "occurred_at": payloads.iso(ctx.clock.now()),
        "subscription": {"id": str(sub["id"]), "name": sub["name"]},
    }
    return _queue(ctx, sub, payload)


# --- the delivery log ----------------------------------------------------------------------


def list_deliveries(
    ctx: Context,
    *,
    subscription: str | None = None,
    status: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the delivery log, newest first, and the cursor of the next page."""
    require_admin(ctx, "manage webhooks")
    sid = _subscription(ctx, subscription)["id"] if subscription is not None else None
    errors = []
    if status is not None and status not in STATUSES:
        msg = f"status must be one of {', '.join(STATUSES)}."
        errors.append(FieldError("status", "INVALID_VALUE", msg))
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIST:
        errors.append(FieldError("limit", "OUT_OF_RANGE", f"limit must be 1–{MAX_LIST}."))
    before = None
    if cursor is not None:
        if not cursor.isdigit() or len(cursor) > 19:
            errors.append(FieldError("cursor", "INVALID_CURSOR", "Not a cursor of this list."))
        else:
            before = int(cursor)
    if errors:
        raise Invalid("WEBHOOK_FILTER_INVALID", "The delivery filter is not valid.", errors)
    rows = repository.list_deliveries(
        ctx.conn, subscription_id=sid, status=status, before=before, limit=limit + 1
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (str(rows[-1]["id"]) if more else None)


def _delivery(ctx: Context, delivery_id: Any) -> dict[str, Any]:
    did = delivery_id if isinstance(delivery_id, int) else None
    if isinstance(delivery_id, str) and delivery_id.isdigit() and len(delivery_id) <= 19:
        did = int(delivery_id)
    row = repository.delivery(ctx.conn, did) if did is not None else None
    if row is None:
        raise NotFound("WEBHOOK_DELIVERY_NOT_FOUND", f"There is no delivery {delivery_id!r}.")
    return row


def get_delivery(ctx: Context, delivery_id: int | str) -> dict[str, Any]:
    """A delivery with the body it sends (``payload``) and every attempt, oldest first."""
    require_admin(ctx, "manage webhooks")
    row = _delivery(ctx, delivery_id)
    row["payload"] = payloads.with_id(row["id"], row["payload"])
    return {**row, "attempt_log": repository.attempts_of(ctx.conn, row["id"])}


def redeliver(ctx: Context, delivery_id: int | str) -> dict[str, Any]:
    """Send the same delivery again (same id and body, a fresh signature) with a full set of
    attempts; also for dead and succeeded ones. ``WEBHOOK_DELIVERY_PENDING`` while it is still
    being tried, ``WEBHOOK_DISABLED`` while its subscription is off."""
    require_admin(ctx, "manage webhooks")
    row = _delivery(ctx, delivery_id)
    if row["status"] == PENDING:
        raise Conflict(
            "WEBHOOK_DELIVERY_PENDING",
            f"Delivery {row['id']} is still being tried (next attempt {row['next_attempt_at']}).",
        )
    sub = repository.subscription(ctx.conn, row["subscription_id"])
    if sub is None or not sub["enabled"]:
        raise Conflict("WEBHOOK_DISABLED", "Its webhook is switched off; enable it first.")
    now = ctx.clock.now()
    repository.requeue(ctx.conn, row["id"], row["attempts"] + MAX_ATTEMPTS, now)
    jobs.enqueue(
        ctx, DELIVER_KIND, {"delivery_id": row["id"], "attempt": row["attempts"] + 1}, run_at=now
    )
    audit.record(ctx, "webhook.redeliver", "webhook", str(sub["id"]), {"delivery": row["id"]})
    return _delivery(ctx, row["id"])
