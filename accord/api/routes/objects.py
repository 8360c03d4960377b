"""Metadata endpoints: objects and fields."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, Query
from starlette.responses import Response

from accord.api.deps import ReadCtx, WriteCtx, api_router
from accord.api.responses import json_response
from accord.core.context import Context
from accord.core.errors import Forbidden, NotFound
from accord.meta import service as meta
from accord.meta.serialize import field_to_dict, object_to_dict
from accord.records import access

router = api_router(prefix="/api/v1/objects", tags=["metadata"])


def _admin(ctx: Context) -> None:
    if not ctx.actor.is_admin:
        raise Forbidden("ADMIN_REQUIRED", "Only administrators change object definitions.")


@router.get("", summary="List objects (those the user may read, without hidden fields)")
def list_objects(ctx: ReadCtx) -> Response:
    seen = [access.visible_definition(ctx, o) for o in meta.list_objects(ctx)]
    return json_response({"data": [object_to_dict(o) for o in seen if o is not None]})


@router.post("", status_code=201, summary="Create a custom object")
def create_object(ctx: WriteCtx, body: Annotated[dict[str, Any], Body()]) -> Response:
    _admin(ctx)
    return json_response(object_to_dict(meta.create_object(ctx, body)), 201)


@router.get("/{object}", summary="Get an object definition (without fields hidden from the user)")
def get_object(ctx: ReadCtx, object: str) -> Response:
    seen = access.visible_definition(ctx, meta.get_object(ctx, object))
    if seen is None:  # as if it did not exist, like a record outside one's scope
        raise NotFound("OBJECT_NOT_FOUND", f"No object named {object[:64]!r}.")
    return json_response(object_to_dict(seen))


@router.patch("/{object}", summary="Change an object's labels, title field or rules")
def patch_object(ctx: WriteCtx, object: str, body: Annotated[dict[str, Any], Body()]) -> Response:
    _admin(ctx)
    return json_response(object_to_dict(meta.update_object(ctx, object, body)))


@router.delete("/{object}", status_code=204, summary="Archive a custom object")
def delete_object(ctx: WriteCtx, object: str) -> Response:
    _admin(ctx)
    meta.archive_object(ctx, object)
    return Response(status_code=204)


@router.get("/{object}/history", summary="Definition change log of an object")
def object_history(
    ctx: ReadCtx, object: str, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> Response:
    meta.get_object(ctx, object)
    # Row keys are SQLAlchemy ``quoted_name`` (a str subclass), which orjson refuses as keys.
    rows = [{str(k): v for k, v in row.items()} for row in meta.history(ctx, object, limit)]
    return json_response({"data": rows})


@router.post("/{object}/fields", status_code=201, summary="Add a field")
def add_field(ctx: WriteCtx, object: str, body: Annotated[dict[str, Any], Body()]) -> Response:
    _admin(ctx)
    return json_response(field_to_dict(meta.add_field(ctx, object, body)), 201)


@router.patch("/{object}/fields/{field}", summary="Change a field")
def patch_field(
    ctx: WriteCtx, object: str, field: str, body: Annotated[dict[str, Any], Body()]
) -> Response:
    _admin(ctx)
    return json_response(field_to_dict(meta.update_field(ctx, object, field, body)))


@router.delete(
    "/{object}/fields/{field}",
    status_code=204,
    summary="Delete (archive) a field; data is kept until purged",
)
def delete_field(
    ctx: WriteCtx, object: str, field: str, purge: Annotated[bool, Query()] = False
) -> Response:
    _admin(ctx)
    if purge:
        meta.purge_field(ctx, object, field)
    else:
        meta.archive_field(ctx, object, field)
    return Response(status_code=204)
