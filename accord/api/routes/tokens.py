"""API token endpoints: list, create (the secret is shown once), revoke."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from accord.api.deps import ReadCtx, WriteCtx, api_router, forget_token, get_runtime
from accord.api.responses import json_response
from accord.auth import tokens

router = api_router(prefix="/api/v1", tags=["API tokens"])


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="What the token is for (1–200 characters)")
    expires_at: str | None = Field(default=None, description="ISO 8601; naive means UTC")
    expires_in_days: int | None = Field(default=None, description="1–3650 (or expires_at)")
    user: str | None = Field(
        default=None, description="Id or login of another user (administrators)"
    )


@router.get("/tokens", summary="API tokens of a user (yours; administrators may name a user)")
def list_tokens(
    ctx: ReadCtx, user: Annotated[str | None, Query(max_length=150)] = None
) -> Response:
    return json_response({"data": tokens.list_tokens(ctx, user)})


@router.post("/tokens", status_code=201, summary="Create an API token; the secret is shown once")
def create_token(ctx: WriteCtx, body: TokenIn) -> Response:
    created = tokens.issue_token(
        ctx,
        body.user,
        body.name,
        expires_at=body.expires_at,
        expires_in_days=body.expires_in_days,
    )
    return json_response(created, 201)


@router.delete("/tokens/{id}", status_code=204, summary="Revoke an API token")
def revoke_token(request: Request, ctx: WriteCtx, id: str) -> Response:
    revoked = tokens.revoke_token(ctx, id)
    forget_token(get_runtime(request), revoked["id"])
    return Response(status_code=204)
