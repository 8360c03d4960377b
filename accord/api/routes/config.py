"""Configuration export/import (the same YAML as `accord config export|import`)."""

from __future__ import annotations

from typing import Annotated, Any

import yaml
from fastapi import Depends, Query, Request
from starlette.responses import Response

from accord.api.deps import ReadCtx, WriteCtx, api_router
from accord.api.responses import json_response
from accord.core.errors import BadRequest, Forbidden
from accord.meta import service as meta

router = api_router(prefix="/api/v1/config", tags=["metadata"])


@router.get("", summary="Export the configuration (YAML, or JSON with ?format=json)")
def export(
    ctx: ReadCtx, format: Annotated[str, Query(pattern="^(yaml|json)$")] = "yaml"
) -> Response:
    data = meta.export_config(ctx)
    if format == "json":
        return json_response(data)
    return Response(
        yaml.safe_dump(data, allow_unicode=True, sort_keys=False), media_type="application/yaml"
    )


async def _raw_body(request: Request) -> bytes:
    return await request.body()


@router.post("", summary="Import a configuration (YAML or JSON body); ?dry_run=true to preview")
def import_(
    ctx: WriteCtx,
    body: Annotated[bytes, Depends(_raw_body)],
    dry_run: Annotated[bool, Query()] = False,
) -> Response:
    if not ctx.actor.is_admin:
        raise Forbidden("ADMIN_REQUIRED", "Only administrators import configuration.")
    try:
        data: Any = yaml.safe_load(body.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise BadRequest(
            "MALFORMED_CONFIG", f"The body is not valid YAML/JSON: {exc}"[:300]
        ) from None
    actions = meta.import_config(ctx, data, dry_run=dry_run)
    return json_response({"dry_run": dry_run, "actions": [a.describe() for a in actions]})
