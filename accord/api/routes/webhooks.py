"""Outbound webhooks: subscriptions, the delivery log, redelivery (administrators)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, Query
from starlette.responses import Response

from accord.api.deps import ReadCtx, WriteCtx, api_router
from accord.api.responses import json_response
from accord.core.errors import Invalid
from accord.webhooks import service as webhooks

router = api_router(prefix="/api/v1", tags=["webhooks"])

_DELIVERY_KEYS = (
    "id",
    "subscription_id",
    "event",
    "outbox_event_id",
    "object_name",
    "record_id",
    "status",
    "attempts",
    "max_attempts",
    "last_status",
    "last_error",
    "response_excerpt",
    "duration_ms",
    "next_attempt_at",
    "created_at",
    "last_attempt_at",
    "delivered_at",
)
_ATTEMPT_KEYS = ("attempt", "at", "status", "error", "response_excerpt", "duration_ms")


def _delivery_json(d: dict[str, Any]) -> dict[str, Any]:
    out = {k: d[k] for k in _DELIVERY_KEYS}
    out["object"] = out.pop("object_name")
    return out


def _detail_json(d: dict[str, Any]) -> dict[str, Any]:
    return {
        **_delivery_json(d),
        "payload": d["payload"],
        "attempt_log": [{k: a[k] for k in _ATTEMPT_KEYS} for a in d["attempt_log"]],
    }


@router.get("/webhooks", summary="Webhook subscriptions (administrators)")
def list_webhooks(ctx: ReadCtx) -> Response:
    return json_response({"data": webhooks.list_subscriptions(ctx)})


@router.post(
    "/webhooks",
    status_code=201,
    summary="Create a webhook subscription; the answer shows its signing secret once",
)
def create_webhook(ctx: WriteCtx, body: Annotated[dict[str, Any], Body()]) -> Response:
    return json_response(webhooks.create_subscription(ctx, body), 201)


@router.get("/webhooks/{id}", summary="A webhook subscription, by id or name")
def get_webhook(ctx: ReadCtx, id: str) -> Response:
    return json_response(webhooks.get_subscription(ctx, id))


@router.patch("/webhooks/{id}", summary="Change a webhook subscription")
def update_webhook(ctx: WriteCtx, id: str, body: Annotated[dict[str, Any], Body()]) -> Response:
    return json_response(webhooks.update_subscription(ctx, id, body))


@router.delete("/webhooks/{id}", status_code=204, summary="Delete a subscription and its log")
def delete_webhook(ctx: WriteCtx, id: str) -> Response:
    webhooks.delete_subscription(ctx, id)
    return Response(status_code=204)


@router.post(
    "/webhooks/{id}/rotate-secret",
    summary="Replace the signing secret; the answer shows the new one once",
)
def rotate_secret(ctx: WriteCtx, id: str) -> Response:
    return json_response(webhooks.rotate_secret(ctx, id))


@router.post(
    "/webhooks/{id}/enable",
    summary="Switch a subscription on again (resets its failures; optionally redeliver the dead)",
)
def enable_webhook(
    ctx: WriteCtx, id: str, body: Annotated[dict[str, Any] | None, Body()] = None
) -> Response:
    redeliver = (body or {}).get("redeliver_dead", False)
    if not isinstance(redeliver, bool):
        raise Invalid("WEBHOOK_INVALID", "redeliver_dead must be true or false.")
    return json_response(webhooks.enable(ctx, id, redeliver_dead=redeliver))


@router.post("/webhooks/{id}/test", status_code=202, summary="Queue a ping delivery")
def test_webhook(ctx: WriteCtx, id: str) -> Response:
    did = webhooks.ping(ctx, id)
    return json_response(_delivery_json(webhooks.get_delivery(ctx, did)), 202)


@router.get("/webhooks/{id}/deliveries", summary="The subscription's delivery log, newest first")
def list_deliveries(
    ctx: ReadCtx,
    id: str,
    status: Annotated[str | None, Query()] = None,
    cursor: Annotated[str | None, Query()] = None,
    limit: Annotated[int, Query()] = 50,
) -> Response:
    rows, nxt = webhooks.list_deliveries(
        ctx, subscription=id, status=status, cursor=cursor, limit=limit
    )
    return json_response({"data": [_delivery_json(d) for d in rows], "next_cursor": nxt})


@router.get(
    "/webhook-deliveries/{id}", summary="A delivery with its body and every attempt's outcome"
)
def get_delivery(ctx: ReadCtx, id: str) -> Response:
    return json_response(_detail_json(webhooks.get_delivery(ctx, id)))


@router.post(
    "/webhook-deliveries/{id}/redeliver",
    status_code=202,
    summary="Send a delivery again (also a dead one), with a fresh signature",
)
def redeliver(ctx: WriteCtx, id: str) -> Response:
    return json_response(_delivery_json(webhooks.redeliver(ctx, id)), 202)
