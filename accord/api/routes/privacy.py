"""Personal-data requests (GDPR/PIPL): export or erase everything about a person."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body
from starlette.responses import Response

from accord.api.deps import WriteCtx, api_router
from accord.api.responses import json_response
from accord.records import privacy

router = api_router(prefix="/api/v1/privacy", tags=["privacy"])
_WHO = ("object", "id", "email", "phone")


def _who(body: dict[str, Any]) -> dict[str, Any]:
    return {k: body.get(k) for k in _WHO}


@router.post("/export", summary="Everything held about a person, as JSON (administrators)")
def export(ctx: WriteCtx, body: Annotated[dict[str, Any], Body()]) -> Response:
    return json_response(privacy.export_person(ctx, **_who(body)))


@router.post("/erase", summary="Anonymise a person's personal data everywhere (administrators)")
def erase(ctx: WriteCtx, body: Annotated[dict[str, Any], Body()]) -> Response:
    return json_response({"erased": privacy.erase_person(ctx, **_who(body))})
