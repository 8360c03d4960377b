"""The 360° timeline of a record: every record that points at it (activities, tasks,
opportunities, quotes, contracts, orders, payments, tickets … — any object with a lookup to it)
and its own field changes, newest first, keyset-paginated across all sources in one query.

Each related record is placed at its ``occurred_at`` when its object has such a datetime field
(activities), else at its ``created_at``.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, and_, cast, literal, or_, select, union_all

from accord.core.context import Context
from accord.core.errors import FieldError, Invalid
from accord.db import tables as t
from accord.db.types import UTCDateTime
from accord.meta.registry import load
from accord.records import access
from accord.records.codec import codec
from accord.records.service import access_record, visible_changes

RELATIONS = ("lookup", "master_detail")


@dataclass
class TimelinePage:
    items: list[dict[str, Any]]
    next_cursor: str | None


def _encode(at: datetime, key: str) -> str:
    raw = json.dumps([at.isoformat(), key]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, key = json.loads(raw)
        return datetime.fromisoformat(at), str(key)
    except (ValueError, TypeError, binascii.Error):
        raise Invalid(
            "INVALID_CURSOR",
            "The cursor is not one this endpoint issued.",
            [FieldError("cursor", "INVALID_CURSOR", "malformed cursor")],
        ) from None


def timeline(
    ctx: Context, obj: str, rid: Any, *, limit: int = 50, cursor: str | None = None
) -> TimelinePage:
    if not isinstance(limit, int) or not 1 <= limit <= 200:
        raise Invalid(
            "INVALID_LIMIT",
            "limit must be between 1 and 200.",
            [FieldError("limit", "OUT_OF_RANGE", "1–200")],
        )
    rec = access_record(ctx, obj, rid)
    rid = rec["id"]
    reg = load(ctx)
    after = _decode(cursor) if cursor else None
    branches = []
    for other in reg.objects.values():
        if other.status != "active" or not access.object_access(ctx, other).read:
            continue
        links = [
            f for f in other.active_fields if f.type in RELATIONS and f.options.get("target") == obj
        ]
        if not links:
            continue
        tbl = reg.table(other.name)
        at_field = other.field("occurred_at")
        at_col = tbl.c.occurred_at if at_field and at_field.type == "datetime" else tbl.c.created_at
        key = literal(other.name + ":") + cast(tbl.c.id, String)
        cond: list[ColumnElement[bool]] = [
            or_(*[tbl.c[f.name] == rid for f in links]),
            tbl.c.deleted_at.is_(None),
        ]
        scope = access.scope_clause(ctx, other, tbl, "read")
        if scope is not None:
            cond.append(scope)
        branches.append(
            _branch(at_col, key, "record", other.name, cast(tbl.c.id, String), cond, after, limit)
        )
    h = t.record_history
    hkey = literal("history:") + cast(h.c.id, String)
    branches.append(
        _branch(
            h.c.at,
            hkey,
            "change",
            obj,
            cast(h.c.id, String),
            [h.c.object_name == obj, h.c.record_id == rid, *visible_changes(ctx, obj)],
            after,
            limit,
        )
    )
    union = union_all(*branches).subquery()
    rows = (
        ctx.conn.execute(
            select(union).order_by(union.c.at.desc(), union.c.key.desc()).limit(limit + 1)
        )
        .mappings()
        .all()
    )
    more = len(rows) > limit
    rows = rows[:limit]
    items = _materialise(ctx, rows)
    nxt = _encode(rows[-1]["at"], rows[-1]["key"]) if more and rows else None
    return TimelinePage(items, nxt)


def _branch(
    at_col: Any,
    key: Any,
    kind: str,
    object_name: str,
    ref: Any,
    cond: list[ColumnElement[bool]],
    after: tuple[datetime, str] | None,
    limit: int,
) -> Any:
    at = cast(at_col, UTCDateTime) if not isinstance(at_col.type, UTCDateTime) else at_col
    conds = list(cond)
    if after is not None:
        conds.append(or_(at_col < after[0], and_(at_col == after[0], key < after[1])))
    # Each branch is limited on its own (so the union reads at most limit+1 rows per source);
    # wrapping it as a subquery lets SQLite accept ORDER BY/LIMIT inside UNION ALL.
    inner = (
        select(
            at.label("at"),
            key.label("key"),
            literal(kind).label("kind"),
            literal(object_name).label("object"),
            ref.label("ref"),
        )
        .where(*conds)
        .order_by(at_col.desc(), key.desc())
        .limit(limit + 1)
        .subquery()
    )
    return select(inner)


def _materialise(ctx: Context, rows: Any) -> list[dict[str, Any]]:
    reg = load(ctx)
    by_obj: dict[str, list[str]] = {}
    hist_ids: list[int] = []
    for r in rows:
        if r["kind"] == "record":
            by_obj.setdefault(r["object"], []).append(r["ref"])
        else:
            hist_ids.append(int(r["ref"]))
    records: dict[tuple[str, str], dict[str, Any]] = {}
    for name, ids in by_obj.items():
        c = codec(reg, name)
        hidden = access.hidden_fields(ctx, c.obj)
        only = None if not hidden else {n for n in c.fields if n not in hidden}
        for row in ctx.conn.execute(select(c.table).where(c.table.c.id.in_(ids))).mappings():
            records[(name, str(row["id"]))] = c.to_json(c.decode(row, only))
    changes: dict[int, dict[str, Any]] = {}
    if hist_ids:
        h = t.record_history
        for row in ctx.conn.execute(select(h).where(h.c.id.in_(hist_ids))).mappings():
            changes[row["id"]] = {
                "action": row["action"],
                "field": row["field_name"],
                "old": row["old_value"],
                "new": row["new_value"],
                "actor_id": row["actor_id"],
            }
    out = []
    for r in rows:
        item: dict[str, Any] = {"at": r["at"], "kind": r["kind"], "object": r["object"]}
        if r["kind"] == "record":
            rec = records.get((r["object"], str(r["ref"])))
            if rec is None:
                continue
            item["record"] = rec
        else:
            item["change"] = changes.get(int(r["ref"]))
        out.append(item)
    return out
