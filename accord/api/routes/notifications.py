"""Notifications: the signed-in user's inbox and its live stream (server-sent events), their
preferences and robot channels; administrators' department channels and failed deliveries."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Body, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse

from accord.api.deps import ReadCtx, WriteCtx, api_router
from accord.api.responses import dumps, json_response
from accord.core.context import Actor, Context, Runtime
from accord.core.errors import FieldError, Invalid
from accord.db.engine import unit_of_work
from accord.notifications import channels, deliveries, inbox, preferences

router = api_router(prefix="/api/v1/notifications", tags=["notifications"])

POLL_SECONDS = 1.0  # how often a stream looks for new rows (any process may have written them)
HEARTBEAT_SECONDS = 15.0  # a comment line keeps proxies from closing an idle stream
# A row with a lower id may commit after a higher one was seen (ids are taken before commit):
# ids stay "open" this long, so such a late row is still sent, once.
LATE_COMMIT_SECONDS = 10.0
# A stream ends after this long; EventSource reconnects at once with Last-Event-ID. Bounds how
# long a connection (and its authentication) lives without being checked again.
MAX_STREAM_SECONDS = 300.0


def _limit(value: int | None, default: int = 50) -> int:
    return default if value is None else value


# --- inbox ---------------------------------------------------------------------------------


@router.get("", summary="My notifications, newest first (?unread=true, cursor pagination)")
def list_notifications(
    ctx: ReadCtx,
    unread: bool = False,
    cursor: str | None = None,
    limit: Annotated[int | None, Query()] = None,
) -> Response:
    page = inbox.list_notifications(ctx, unread=unread, cursor=cursor, limit=_limit(limit))
    return json_response({"data": page.data, "next_cursor": page.next_cursor})


@router.get("/unread-count", summary="How many of my notifications are unread")
def unread_count(ctx: ReadCtx) -> Response:
    return json_response({"unread": inbox.unread_count(ctx)})


@router.post("/read-all", summary="Mark all my notifications read")
def read_all(ctx: WriteCtx) -> Response:
    return json_response({"marked": inbox.mark_all_read(ctx)})


def _stream_poll(runtime: Runtime, actor: Actor, floor: int, skip: list[int]) -> list[Any]:
    with unit_of_work(runtime.engine, readonly=True) as conn:
        ctx = Context(runtime=runtime, conn=conn, actor=actor)
        return inbox.newer_than(ctx, floor, exclude=skip)


def _event(row: dict[str, Any]) -> bytes:
    return b"id: %d\nevent: notification\ndata: %s\n\n" % (row["id"], dumps(row))


def _last_event_id(request: Request) -> int | None:
    raw = request.headers.get("last-event-id") or request.query_params.get("last_event_id")
    if raw is None:
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise Invalid(
            "NOTIFICATION_CURSOR_INVALID",
            "Last-Event-ID must be a notification id.",
            [FieldError("Last-Event-ID", "NOTIFICATION_CURSOR_INVALID", "not an id")],
        )
    return int(raw)


@router.get(
    "/stream",
    summary="Live stream of my new notifications (text/event-stream; honours Last-Event-ID)",
    response_class=StreamingResponse,
)
def stream(ctx: ReadCtx, request: Request) -> Response:
    after = _last_event_id(request)
    floor = inbox.latest_id(ctx) if after is None else after
    runtime, actor = ctx.runtime, ctx.actor

    async def events() -> AsyncIterator[bytes]:
        nonlocal floor
        seen: dict[int, float] = {}  # ids sent while a lower id may still commit
        yield b"retry: 3000\n: connected\n\n"
        beat = time.monotonic()
        end = beat + MAX_STREAM_SECONDS
        while time.monotonic() < end and not await request.is_disconnected():
            rows = await run_in_threadpool(_stream_poll, runtime, actor, floor, list(seen))
            now = time.monotonic()
            for row in rows:
                seen[row["id"]] = now
                yield _event(row)
            settled = [i for i, t in seen.items() if now - t > LATE_COMMIT_SECONDS]
            if settled:
                floor = max(floor, *settled)
                seen = {i: t for i, t in seen.items() if i > floor}
            if rows:
                beat = now
            elif now - beat >= HEARTBEAT_SECONDS:
                beat = now
                yield b": keep-alive\n\n"
            await asyncio.sleep(POLL_SECONDS)

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)


# --- preferences ---------------------------------------------------------------------------


@router.get("/preferences", summary="Which kinds reach me on which channel")
def get_preferences(ctx: ReadCtx) -> Response:
    return json_response({"data": preferences.get_preferences(ctx)})


@router.put(
    "/preferences",
    summary='Change my choices: {"<kind>": {"in_app": bool, "email": bool, "robot": bool}}',
)
def put_preferences(ctx: WriteCtx, body: Annotated[Any, Body()]) -> Response:
    return json_response({"data": preferences.set_preferences(ctx, body)})


# --- robot channels ------------------------------------------------------------------------


@router.get(
    "/channels",
    summary="My robot channels; ?department_id=<id>|* a department's (administrators)",
)
def list_channels(ctx: ReadCtx, department_id: str | None = None) -> Response:
    return json_response({"data": channels.list_channels(ctx, department_id=department_id)})


@router.post(
    "/channels",
    status_code=201,
    summary="Add a robot channel (mine, or with department_id a department's)",
)
def create_channel(ctx: WriteCtx, body: Annotated[Any, Body()]) -> Response:
    return json_response(channels.create_channel(ctx, body), 201)


@router.get("/channels/{id}", summary="One robot channel (secrets masked)")
def get_channel(ctx: ReadCtx, id: str) -> Response:
    return json_response(channels.get_channel(ctx, id))


@router.patch("/channels/{id}", summary="Change a robot channel (omit secret to keep it)")
def update_channel(ctx: WriteCtx, id: str, body: Annotated[Any, Body()]) -> Response:
    return json_response(channels.update_channel(ctx, id, body))


@router.delete("/channels/{id}", status_code=204, summary="Remove a robot channel")
def delete_channel(ctx: WriteCtx, id: str) -> Response:
    channels.delete_channel(ctx, id)
    return Response(status_code=204)


@router.post(
    "/channels/{id}/test", status_code=202, summary="Send a test message to a robot channel"
)
def test_channel(ctx: WriteCtx, id: str) -> Response:
    return json_response({"delivery_id": channels.send_test_message(ctx, id)}, 202)


# --- deliveries (administrators) -----------------------------------------------------------


def _delivery_json(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if k != "job_exists"}


@router.get(
    "/deliveries",
    summary="Email and robot deliveries, newest first (?status=failed|dead|queued|sent)",
)
def list_deliveries(
    ctx: ReadCtx,
    status: str | None = None,
    cursor: str | None = None,
    limit: Annotated[int | None, Query()] = None,
) -> Response:
    page, next_cursor = deliveries.list_deliveries(
        ctx, status=status, cursor=cursor, limit=_limit(limit)
    )
    return json_response({"data": [_delivery_json(d) for d in page], "next_cursor": next_cursor})


@router.get("/deliveries/{id}", summary="One delivery: status, attempts, last error")
def get_delivery(ctx: ReadCtx, id: str) -> Response:
    return json_response(_delivery_json(deliveries.get_delivery(ctx, id)))


@router.post("/deliveries/{id}/retry", summary="Retry a dead delivery")
def retry_delivery(ctx: WriteCtx, id: str) -> Response:
    return json_response(_delivery_json(deliveries.retry_delivery(ctx, id)))


# --- one notification (after the fixed paths above) ---------------------------------------


@router.get("/{id}", summary="One of my notifications")
def get_notification(ctx: ReadCtx, id: str) -> Response:
    return json_response(inbox.get_notification(ctx, id))


@router.post("/{id}/read", summary="Mark one of my notifications read")
def mark_read(ctx: WriteCtx, id: str) -> Response:
    return json_response(inbox.mark(ctx, id, read=True))


@router.post("/{id}/unread", summary="Mark one of my notifications unread")
def mark_unread(ctx: WriteCtx, id: str) -> Response:
    return json_response(inbox.mark(ctx, id, read=False))


@router.delete("/{id}", status_code=204, summary="Delete one of my notifications")
def delete_notification(ctx: WriteCtx, id: str) -> Response:
    inbox.delete_notification(ctx, id)
    return Response(status_code=204)
