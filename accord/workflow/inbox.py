"""A user's approval boxes: to decide (pending), submitted, handled, copied to me (cc), and
the counts for badges. Newest first, ``before`` pages on the box's time column."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from accord.core.context import Context
from accord.core.errors import BadRequest
from accord.workflow import repository
from accord.workflow.actions import instance_json

BOXES = ("pending", "submitted", "handled", "cc")
MAX_LIMIT = 200


def box(ctx: Context, name: str, *, limit: int = 50, before: str | None = None) -> dict[str, Any]:
    if name not in BOXES:
        raise BadRequest("INVALID_PARAMETER", f"box must be one of {', '.join(BOXES)}.")
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest("INVALID_PARAMETER", f"limit must be between 1 and {MAX_LIMIT}.")
    cursor = _time(before)
    uid = ctx.actor.id
    if name == "submitted":
        rows = repository.submitted(ctx.conn, uid, limit, cursor)
        data = [instance_json(r) for r in rows]
        last = rows[-1]["submitted_at"] if len(rows) == limit else None
    else:
        rows = repository.inbox_tasks(ctx.conn, uid, name, limit, cursor)
        data = [_task_with_instance(r) for r in rows]
        key = "acted_at" if name == "handled" else "created_at"
        last = rows[-1][key] if len(rows) == limit else None
    return {"data": data, "next_before": last.isoformat() if last else None}


def counts(ctx: Context) -> dict[str, int]:
    return repository.counts(ctx.conn, ctx.actor.id)


def _time(raw: str | None) -> datetime | None:
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise BadRequest("INVALID_PARAMETER", "before is an ISO 8601 date-time.") from None
    if value.tzinfo is None:
        raise BadRequest("INVALID_PARAMETER", "before needs a time zone (e.g. Z).")
    return value


def _task_with_instance(r: dict[str, Any]) -> dict[str, Any]:
    inst = {k.removeprefix("approval__"): v for k, v in r.items() if k.startswith("approval__")}
    return {
        "id": str(r["id"]),
        "node_id": r["node_id"],
        "kind": r["kind"],
        "status": r["status"],
        "created_at": r["created_at"],
        "acted_at": r["acted_at"],
        "comment": r["comment"],
        "approval": instance_json(inst),
    }
