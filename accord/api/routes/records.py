"""Record endpoints: list, create, bulk, get, patch, delete, restore, history, timeline."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import Body, Header, Request
from starlette.responses import Response

from accord.api.deps import ReadCtx, WriteCtx, api_router, expected_version
from accord.api.responses import json_response
from accord.core.errors import BadRequest, FieldError, Invalid, PayloadTooLarge
from accord.records import service as records
from accord.records import timeline as timelines

router = api_router(prefix="/api/v1/records", tags=["records"])

LIST_PARAMS = {"filter", "sort", "limit", "cursor", "fields", "deleted"}


def _int_param(value: str | None, name: str, default: int) -> int:
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise Invalid(
            "INVALID_PARAMETER",
            f"{name} must be an integer.",
            [FieldError(name, "INVALID_TYPE", "expected an integer")],
        ) from None


def _filter_from_query(request: Request) -> Any:
    from accord.records.querying import query_pairs_to_filter

    params = request.query_params
    raw = params.get("filter")
    tree: Any = None
    if raw is not None:
        try:
            tree = json.loads(raw)
        except ValueError:
            raise Invalid(
                "INVALID_FILTER",
                "filter must be a JSON condition tree.",
                [FieldError("filter", "MALFORMED", "not valid JSON")],
            ) from None
    pairs = [(k, v) for k, v in params.multi_items() if k not in LIST_PARAMS]
    if pairs:
        extra = query_pairs_to_filter(pairs)
        tree = extra if tree is None else {"and": [tree, extra]}
    return tree


def _etag(rec: dict[str, Any]) -> dict[str, str]:
    return {"ETag": f'"{rec["version"]}"'}


@router.get("/{object}", summary="List records (filter, sort, keyset pages, fields)")
def list_records(ctx: ReadCtx, object: str, request: Request) -> Response:
    p = request.query_params
    fields = [f for f in p.get("fields", "").split(",") if f] or None
    page = records.list_records(
        ctx,
        object,
        filter=_filter_from_query(request),
        sort=p.get("sort"),
        cursor=p.get("cursor"),
        limit=_int_param(p.get("limit"), "limit", 50),
        fields=fields,
        deleted=p.get("deleted") in ("1", "true"),
        as_json=True,
    )
    return json_response({"data": page.data, "next_cursor": page.next_cursor})


@router.post("/{object}:bulk", summary="Create or upsert up to 10,000 records, per-row results")
def bulk(ctx: WriteCtx, object: str, body: Annotated[Any, Body()]) -> Response:
    mode, key, rows = "create", None, body
    if isinstance(body, dict):
        mode = body.get("mode", "create")
        key = body.get("key")
        rows = body.get("records")
    if (
        not isinstance(rows, list)
        or not isinstance(mode, str)
        or not (key is None or isinstance(key, str))
    ):
        raise BadRequest(
            "MALFORMED_BULK",
            'Send {"mode": "create"|"upsert", "key": …, '
            '"records": [...]} or a JSON array of records.',
        )
    limit = ctx.settings.bulk_max_rows
    if len(rows) > limit:
        raise PayloadTooLarge("BULK_TOO_LARGE", f"At most {limit} records per call.")
    results = records.bulk(ctx, object, rows, mode=mode, key=key)
    out = [
        {
            "index": r.index,
            "status": r.status,
            "id": r.id,
            "errors": [e.as_dict() for e in r.errors],
        }
        for r in results
    ]
    summary = {s: sum(1 for r in results if r.status == s) for s in ("created", "updated", "error")}
    return json_response({"results": out, **summary})


@router.post("/{object}", status_code=201, summary="Create a record")
def create(ctx: WriteCtx, object: str, body: Annotated[dict[str, Any], Body()]) -> Response:
    rec = records.create(ctx, object, body)
    return json_response(records.to_json(ctx, object, rec), 201, _etag(rec))


@router.get("/{object}/{id}", summary="Get a record")
def get(ctx: ReadCtx, object: str, id: str) -> Response:
    rec = records.get_json(ctx, object, id)
    return json_response(rec, headers=_etag(rec))


@router.patch("/{object}/{id}", summary="Update a record (needs If-Match or version)")
def patch(
    ctx: WriteCtx,
    object: str,
    id: str,
    body: Annotated[dict[str, Any], Body()],
    if_match: Annotated[str | None, Header()] = None,
) -> Response:
    version = expected_version(if_match, body)
    rec = records.update(ctx, object, id, body, version=version)
    return json_response(records.to_json(ctx, object, rec), headers=_etag(rec))


@router.delete("/{object}/{id}", status_code=204, summary="Move a record to the recycle bin")
def delete(ctx: WriteCtx, object: str, id: str) -> Response:
    records.delete(ctx, object, id)
    return Response(status_code=204)


@router.post("/{object}/{id}/restore", summary="Restore a record from the recycle bin")
def restore(ctx: WriteCtx, object: str, id: str) -> Response:
    rec = records.restore(ctx, object, id)
    return json_response(records.to_json(ctx, object, rec), headers=_etag(rec))


@router.get("/{object}/{id}/history", summary="Field history, newest first")
def history(ctx: ReadCtx, object: str, id: str, request: Request) -> Response:
    p = request.query_params
    limit = _int_param(p.get("limit"), "limit", 50)
    if not 1 <= limit <= 500:
        raise Invalid(
            "INVALID_LIMIT",
            "limit must be between 1 and 500.",
            [FieldError("limit", "OUT_OF_RANGE", "1–500")],
        )
    before = _int_param(p.get("cursor"), "cursor", 0) or None
    rows, nxt = records.history(ctx, object, id, limit=limit, before=before)
    data = [
        {
            "id": r["id"],
            "at": r["at"],
            "actor_id": r["actor_id"],
            "action": r["action"],
            "field": r["field_name"],
            "old": r["old_value"],
            "new": r["new_value"],
        }
        for r in rows
    ]
    return json_response({"data": data, "next_cursor": str(nxt) if nxt else None})


@router.get("/{object}/{id}/timeline", summary="360° timeline: related records and changes")
def timeline(ctx: ReadCtx, object: str, id: str, request: Request) -> Response:
    p = request.query_params
    limit = _int_param(p.get("limit"), "limit", 50)
    page = timelines.timeline(ctx, object, id, limit=limit, cursor=p.get("cursor"))
    return json_response({"data": page.items, "next_cursor": page.next_cursor})
