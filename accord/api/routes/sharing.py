"""Record teams (shares), ownership history, and handing a user's records to another user."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, Request
from starlette.responses import Response

from accord.api.deps import ReadCtx, WriteCtx, api_router
from accord.api.responses import json_response
from accord.core.errors import BadRequest, NotFound
from accord.records import sharing

router = api_router(prefix="/api/v1", tags=["sharing"])


def _share_json(s: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "user_id", "department_id", "access", "created_at", "created_by")
    return {k: s[k] for k in keys}


@router.get("/records/{object}/{id}/shares", summary="The record's team (shares)")
def list_shares(ctx: ReadCtx, object: str, id: str) -> Response:
    return json_response({"data": [_share_json(s) for s in sharing.shares(ctx, object, id)]})


@router.post(
    "/records/{object}/{id}/shares",
    status_code=201,
    summary="Share the record with a user or a department (read or write)",
)
def add_share(
    ctx: WriteCtx, object: str, id: str, body: Annotated[dict[str, Any], Body()]
) -> Response:
    made = sharing.share(
        ctx,
        object,
        id,
        user_id=body.get("user_id"),
        department_id=body.get("department_id"),
        access=body.get("access", "read"),
    )
    return json_response(_share_json(made), 201)


@router.delete(
    "/records/{object}/{id}/shares",
    status_code=204,
    summary="Stop sharing the record with a user or a department (?user_id= or ?department_id=)",
)
def remove_share(ctx: WriteCtx, object: str, id: str, request: Request) -> Response:
    p = request.query_params
    if not sharing.unshare(
        ctx, object, id, user_id=p.get("user_id"), department_id=p.get("department_id")
    ):
        raise NotFound("SHARE_NOT_FOUND", "The record is not shared with that user or department.")
    return Response(status_code=204)


@router.get("/records/{object}/{id}/owners", summary="The record's ownership changes, oldest first")
def owners(ctx: ReadCtx, object: str, id: str) -> Response:
    rows = sharing.owner_history(ctx, object, id)
    keys = ("at", "actor_id", "old_owner_id", "new_owner_id")
    return json_response({"data": [{k: r[k] for k in keys} for r in rows]})


@router.post(
    "/users/{id}/transfer-records",
    summary="Hand every record the user owns to another user (administrators)",
)
def transfer_records(ctx: WriteCtx, id: str, body: Annotated[dict[str, Any], Body()]) -> Response:
    move_reports = body.get("move_reports", True)
    if not isinstance(move_reports, bool):
        raise BadRequest("INVALID_TRANSFER", "move_reports must be true or false.")
    done = sharing.transfer_user_records(ctx, id, body.get("to_user_id"), move_reports=move_reports)
    return json_response(
        {
            "from_user_id": done.from_user_id,
            "to_user_id": done.to_user_id,
            "records": done.records,
            "reports_moved": list(done.reports_moved),
        }
    )
