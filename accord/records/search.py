"""Global search across objects (substring, Chinese and Latin alike; see meta.search_index)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from accord.core.context import Context
from accord.core.errors import FieldError, Invalid
from accord.meta.registry import load
from accord.meta.search_index import matching_ids, search_columns
from accord.records import access
from accord.records.codec import codec

MAX_QUERY = 200


def search(
    ctx: Context, q: str, objects: Sequence[str] | None = None, limit: int = 10
) -> list[dict[str, Any]]:
    """Up to ``limit`` matches per object, newest first, as ``{object, id, title, record}``."""
    q = (q or "").strip()
    if not q or len(q) > MAX_QUERY:
        raise Invalid(
            "INVALID_SEARCH",
            f"q must be 1–{MAX_QUERY} characters.",
            [FieldError("q", "OUT_OF_RANGE", f"1–{MAX_QUERY} characters")],
        )
    if not 1 <= limit <= 50:
        raise Invalid(
            "INVALID_LIMIT",
            "limit must be between 1 and 50.",
            [FieldError("limit", "OUT_OF_RANGE", "1–50")],
        )
    reg = load(ctx)
    if objects:
        names = list(objects)
        for n in names:
            reg.object(n)  # unknown objects are a 404, not an empty result
            access.require(ctx, n, "read")
    else:  # every object the user may read
        names = sorted(
            n
            for n, o in reg.objects.items()
            if o.status == "active" and search_columns(o) and access.object_access(ctx, n).read
        )
    hits: list[dict[str, Any]] = []
    for name in names:
        c = codec(reg, name)
        hidden = access.hidden_fields(ctx, c.obj)
        # A hidden field is not searched: a hit on it would tell its content.
        ids = matching_ids(ctx.conn, c.obj, c.table, q, hidden=hidden)
        if ids is None:
            continue
        query = (
            select(c.table)
            .where(c.table.c.id.in_(ids), c.table.c.deleted_at.is_(None))
            .order_by(c.table.c.created_at.desc())
            .limit(limit)
        )
        scope = access.scope_clause(ctx, c.obj, c.table, "read")
        if scope is not None:
            query = query.where(scope)
        only = None if not hidden else {n for n in c.fields if n not in hidden}
        for row in ctx.conn.execute(query).mappings():
            rec = c.to_json(c.decode(row, only))
            title_field = c.obj.title_field
            hits.append(
                {
                    "object": name,
                    "id": rec["id"],
                    "title": rec.get(title_field) if title_field else rec["id"],
                    "record": rec,
                }
            )
    return hits
