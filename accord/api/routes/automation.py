"""Automation rules: versioned definitions, switching on and off, dry run, execution log,
YAML export and import (administrators only)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, Header, Request
from starlette.responses import Response

from accord.api.deps import ReadCtx, WriteCtx, api_router, expected_version
from accord.api.responses import json_response
from accord.automation import service as automation
from accord.core.errors import BadRequest

router = api_router(prefix="/api/v1/automation", tags=["automation"])


def _int(raw: str | None, name: str, default: int | None) -> int | None:
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise BadRequest("INVALID_PARAMETER", f"{name} must be a whole number.") from None


@router.get("/rules", summary="List rules (?object=)")
def list_rules(ctx: ReadCtx, request: Request) -> Response:
    rules = automation.list_rules(ctx, request.query_params.get("object"))
    return json_response({"data": [r.to_json() for r in rules]})


@router.post("/rules", status_code=201, summary="Create a rule (switched off unless enabled)")
def create_rule(ctx: WriteCtx, body: Annotated[dict[str, Any], Body()]) -> Response:
    return json_response(automation.create_rule(ctx, body).to_json(), 201)


@router.post("/rules:dry-run", summary="Dry run of an unsaved rule: matching records, actions")
def dry_run_unsaved(
    ctx: ReadCtx, body: Annotated[dict[str, Any], Body()], request: Request
) -> Response:
    limit = _int(request.query_params.get("limit"), "limit", 20)
    return json_response(automation.dry_run(ctx, body, limit=limit or 20))


@router.get("/rules:export", summary="Export rules as YAML (?object=)")
def export_rules(ctx: ReadCtx, request: Request) -> Response:
    text = automation.export_yaml(ctx, request.query_params.get("object"))
    return Response(text, media_type="application/yaml")


@router.post("/rules:import", summary="Import rules from YAML (create or update by name)")
def import_rules(
    ctx: WriteCtx, body: Annotated[str, Body(media_type="application/yaml")]
) -> Response:
    return json_response({"data": automation.import_yaml(ctx, body)})


@router.get("/rules/{ref}", summary="Get a rule (by id or name)")
def get_rule(ctx: ReadCtx, ref: str) -> Response:
    return json_response(automation.get_rule(ctx, ref).to_json())


@router.patch("/rules/{ref}", summary="Change a rule (If-Match: version); saves a new version")
def update_rule(
    ctx: WriteCtx,
    ref: str,
    body: Annotated[dict[str, Any], Body()],
    if_match: Annotated[str | None, Header()] = None,
) -> Response:
    version = expected_version(if_match, body)
    return json_response(automation.update_rule(ctx, ref, body, version=version).to_json())


@router.delete("/rules/{ref}", status_code=204, summary="Delete a rule")
def delete_rule(ctx: WriteCtx, ref: str) -> Response:
    automation.delete_rule(ctx, ref)
    return Response(status_code=204)


@router.post("/rules/{ref}/enable", summary="Switch a rule on")
def enable_rule(ctx: WriteCtx, ref: str) -> Response:
    return json_response(automation.set_enabled(ctx, ref, True).to_json())


@router.post("/rules/{ref}/disable", summary="Switch a rule off")
def disable_rule(ctx: WriteCtx, ref: str) -> Response:
    return json_response(automation.set_enabled(ctx, ref, False).to_json())


@router.get("/rules/{ref}/versions", summary="Every saved version of a rule")
def rule_versions(ctx: ReadCtx, ref: str) -> Response:
    return json_response({"data": automation.versions(ctx, ref)})


@router.post("/rules/{ref}/dry-run", summary="Dry run of a saved rule: matching records, actions")
def dry_run_saved(ctx: ReadCtx, ref: str, request: Request) -> Response:
    limit = _int(request.query_params.get("limit"), "limit", 20)
    rule = automation.get_rule(ctx, ref)
    return json_response(automation.dry_run(ctx, rule.definition(), limit=limit or 20))


@router.get("/rules/{ref}/runs", summary="Execution log (?outcome=ok|error|loop, ?before=id)")
def rule_runs(ctx: ReadCtx, ref: str, request: Request) -> Response:
    p = request.query_params
    limit = max(1, min(_int(p.get("limit"), "limit", 50) or 50, 500))
    data = automation.runs(
        ctx,
        ref,
        outcome=p.get("outcome"),
        before=_int(p.get("before"), "before", None),
        limit=limit,
    )
    return json_response({"data": data})
