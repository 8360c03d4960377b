"""Outbox consumer of accord.webhooks: called by the dispatcher with each batch of events.

For every event, every enabled subscription listening to its object and kind gets a delivery
row (payload frozen now) and a ``webhooks.deliver`` job, both in the dispatcher's transaction:
the event is marked dispatched only if its deliveries are queued (no event lost, none queued
twice). Nothing here talks to the network — delivery happens in jobs, never in a user's request.

Cost, per batch: one query for the enabled subscriptions (and nothing more when there are
none or none matches); then per subscription owner and object, one query for the records as
that owner may see them; one INSERT of the delivery rows and one of their jobs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from accord.core.context import Context
from accord.jobs import service as jobs
from accord.records.outbox import Event
from accord.webhooks import payloads, repository
from accord.webhooks.model import DELIVER_KIND, MAX_ATTEMPTS, PENDING, record_event


def _listens(sub: dict[str, Any], event: Event) -> bool:
    objects = sub["objects"] or ()
    return event.kind in (sub["events"] or ()) and (not objects or event.object_name in objects)


def consume(ctx: Context, events: Sequence[Event]) -> None:
    """Queue a delivery for each (event, matching enabled subscription) pair."""
    subs = [s for s in repository.enabled_subscriptions(ctx.conn) if s["events"]]
    if not subs or not events:
        return
    # (owner, object) → [(subscription, event)]: the records are read once per group.
    groups: dict[tuple[str, str], list[tuple[dict[str, Any], Event]]] = defaultdict(list)
    for event in events:
        if event.record_id is None:
            continue
        for sub in subs:
            if _listens(sub, event):
                groups[(str(sub["owner_id"]), event.object_name)].append((sub, event))
    if not groups:
        return
    owners = payloads.owner_actors(ctx, {owner for owner, _ in groups})
    now = ctx.clock.now()
    rows: list[dict[str, Any]] = []
    for (owner_id, obj), pairs in groups.items():
        actor = owners.get(owner_id)
        if actor is None:
            continue  # a disabled owner: the subscription hears nothing until reassigned
        as_owner = ctx.as_actor(actor)
        seen = payloads.visible_records(as_owner, obj, [str(e.record_id) for _, e in pairs])
        if not seen:
            continue
        hidden = payloads.hidden_fields(as_owner, obj)
        for sub, event in pairs:
            record = seen.get(str(event.record_id))
            if record is None:
                continue  # outside the owner's scope: not even the id may leave
            body = payloads.record_payload(
                record_event(event.kind),
                event.at,
                obj,
                str(event.record_id),
                record,
                payloads.visible_changes(event.changed, hidden),
                event.actor_id,
            )
            rows.append(_row(sub["id"], event, body, now))
    rows.sort(key=lambda r: r["outbox_event_id"])  # queued in the order things happened
    ids = repository.insert_deliveries(ctx.conn, rows)
    if ids:
        jobs.enqueue_many(
            ctx, DELIVER_KIND, ({"delivery_id": i, "attempt": 1} for i in ids), run_at=now
        )


def _row(sid: str, event: Event, body: dict[str, Any], now: Any) -> dict[str, Any]:
    return {
        "subscription_id": sid,
        "event": body["event"],
        "outbox_event_id": event.id,
        "object_name": event.object_name,
        "record_id": event.record_id,
        "payload": body,
        "status": PENDING,
        "attempts": 0,
        "max_attempts": MAX_ATTEMPTS,
        "next_attempt_at": now,
        "created_at": now,
    }
