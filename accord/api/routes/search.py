"""Global search endpoint."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from starlette.responses import Response

from accord.api.deps import ReadCtx, api_router
from accord.api.responses import json_response
from accord.records.search import search as run_search

router = api_router(prefix="/api/v1", tags=["search"])


@router.get("/search", summary="Substring search across objects (Chinese and Latin)")
def search(
    ctx: ReadCtx,
    q: Annotated[str, Query(max_length=200)] = "",
    objects: Annotated[str | None, Query(max_length=2000)] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> Response:
    names = [o for o in (objects or "").split(",") if o] or None
    return json_response({"data": run_search(ctx, q, names, limit)})
