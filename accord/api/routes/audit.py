"""Audit log search (administrators)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from starlette.responses import Response

from accord.api.deps import ReadCtx, api_router
from accord.api.responses import json_response
from accord.auth import audit

router = api_router(prefix="/api/v1", tags=["audit"])


@router.get("/audit", summary="Search the audit log, newest first (administrators)")
def search_audit(
    ctx: ReadCtx,
    actor: Annotated[str | None, Query(description="user id or login")] = None,
    action: Annotated[str | None, Query(description="user.update, or a prefix: auth.*")] = None,
    target_type: str | None = None,
    target_id: str | None = None,
    since: Annotated[str | None, Query(description="ISO 8601, inclusive")] = None,
    until: Annotated[str | None, Query(description="ISO 8601, exclusive")] = None,
    limit: Annotated[int, Query(description="1–500")] = 50,
    cursor: str | None = None,
) -> Response:
    data, next_cursor = audit.search(
        ctx,
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=target_id,
        since=since,
        until=until,
        limit=limit,
        cursor=cursor,
    )
    return json_response({"data": data, "next_cursor": next_cursor})
