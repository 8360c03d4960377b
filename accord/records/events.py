"""Field history and outbox events, written in the same transaction as the change itself."""

from __future__ import annotations

import json
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
    """One outbox row per changed record: ``events`` are (record id, payload). Records that
    share one payload object (a batch creating rows with the same fields) are written by one
    set-based INSERT … SELECT over their ids, so the database, not Python, makes the rows."""
    groups: dict[int, tuple[dict[str, Any], list[str]]] = {}
    for rid, payload in events:
        groups.setdefault(id(payload), (payload, []))[1].append(rid)
    single: list[dict[str, Any]] = []
    for payload, ids in groups.values():
        if len(ids) >= SET_BASED_MIN:
            _insert_for_ids(ctx, object_name, kind, payload, ids, now)
            continue
        single += [
            {
                "at": now,
                "object_name": object_name,
                "record_id": rid,
                "kind": kind,
                "actor_id": ctx.actor.id,
                "payload": payload,
                "depth": ctx.depth,
            }
            for rid in ids
        ]
    insert_many(ctx.conn, t.outbox, single)


SET_BASED_MIN = 50
_OUTBOX_COLUMNS = "at, object_name, record_id, kind, actor_id, payload, depth"
_FOR_IDS = {
    "postgresql": f"INSERT INTO {t.outbox.name} ({_OUTBOX_COLUMNS}) "
    "SELECT %(at)s, %(obj)s, u.rid, %(kind)s, %(actor)s::uuid, %(payload)s::jsonb, %(depth)s "
    "FROM unnest(%(ids)s::uuid[]) WITH ORDINALITY AS u(rid, n) ORDER BY u.n",
    "sqlite": f"INSERT INTO {t.outbox.name} ({_OUTBOX_COLUMNS}) "
    "SELECT :at, :obj, value, :kind, :actor, :payload, :depth FROM json_each(:ids) ORDER BY key",
}


def _insert_for_ids(
    ctx: Context,
    object_name: str,
    kind: str,
    payload: dict[str, Any],
    ids: list[str],
    now: datetime,
) -> None:
    dialect = ctx.conn.dialect
    c = t.outbox.c
    at = c.at.type._cached_bind_processor(dialect)
    body = c.payload.type._cached_bind_processor(dialect)
    params = {
        "at": at(now) if at else now,
        "obj": object_name,
        "kind": kind,
        "actor": ctx.actor.id,
        "payload": body(payload) if body else payload,
        "depth": ctx.depth,
        # canonical UUID text needs no quoting in an array literal
        "ids": "{" + ",".join(ids) + "}" if dialect.name == "postgresql" else json.dumps(ids),
    }
    ctx.conn.exec_driver_sql(_FOR_IDS[dialect.name], params)


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
