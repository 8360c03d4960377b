"""Field history and outbox events, written in the same transaction as the change itself."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert

from accord.core.context import Context
from accord.db import tables as t
from accord.records.copy import insert_many


def write_outbox(
    ctx: Context,
    object_name: str,
    kind: str,
    events: Sequence[tuple[str, dict[str, Any]]],
    now: datetime,
) -> None:
    """One outbox row per changed record: ``events`` are (record id, payload)."""
    if not events:
        return
    rows = [
        {
            "at": now,
            "object_name": object_name,
            "record_id": rid,
            "kind": kind,
            "actor_id": ctx.actor.id,
            "payload": payload,
        }
        for rid, payload in events
    ]
    insert_many(ctx.conn, t.outbox, rows)


def write_history(
    ctx: Context,
    object_name: str,
    record_id: str,
    action: str,
    changes: Sequence[tuple[str | None, Any, Any]],
    now: datetime,
) -> None:
    """History rows: one per changed field (``field, old JSON, new JSON``)."""
    if not changes:
        return
    rows = [
        {
            "object_name": object_name,
            "record_id": record_id,
            "at": now,
            "actor_id": ctx.actor.id,
            "action": action,
            "field_name": f,
            "old_value": old,
            "new_value": new,
        }
        for f, old, new in changes
    ]
    ctx.conn.execute(insert(t.record_history), rows)
