"""Reading the transactional outbox: claim a batch of events not yet dispatched, hand them to
the consumers (rules, webhooks) in the same transaction, and mark them dispatched.

Claiming is ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so any number of workers take disjoint
batches without waiting; on SQLite the ``BEGIN IMMEDIATE`` write lock serialises them. An event
is marked ``dispatched_at`` in the transaction that ran its consumers: their database effects
and the mark commit together or not at all, so no event is handled twice and none is lost
when a worker dies. (A cursor over ids would skip events of transactions that committed out
of id order; the pending index does not.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from accord.db import tables as t


@dataclass(frozen=True, slots=True)
class Event:
    """One record change as the outbox holds it.

    ``kind``: created | updated | deleted | restored. ``payload``: for ``created`` the fields
    given (``{"fields": [...]}``), for ``updated`` the changed fields and their old and new
    JSON values (``{"fields": [...], "changes": {field: [old, new]}}``), else ``{}``.
    ``depth``: how many automation steps led to the change (0 = a person or an API client).
    """

    id: int
    at: datetime
    object_name: str
    record_id: str | None
    kind: str
    actor_id: str | None
    payload: dict[str, Any]
    depth: int

    @property
    def changed(self) -> dict[str, list[Any]]:
        """``{field: [old, new]}`` of an update (empty for other kinds)."""
        return self.payload.get("changes") or {}


_o = t.outbox
_COLUMNS = (
    _o.c.id,
    _o.c.at,
    _o.c.object_name,
    _o.c.record_id,
    _o.c.kind,
    _o.c.actor_id,
    _o.c.payload,
    _o.c.depth,
)


def claim(conn: Connection, limit: int, now: datetime) -> list[Event]:
    """Take up to ``limit`` undispatched events, oldest first, and mark them dispatched in the
    caller's transaction (the mark is undone if the caller rolls back)."""
    pending = _o.c.dispatched_at.is_(None)
    q = select(*_COLUMNS).where(pending).order_by(_o.c.id).limit(limit)
    if conn.dialect.name == "postgresql":
        q = q.with_for_update(skip_locked=True)
    events = [Event(*row) for row in conn.execute(q)]
    if events:
        conn.execute(
            update(_o).where(_o.c.id.in_([e.id for e in events])).values(dispatched_at=now)
        )
    return events


def pending_count(conn: Connection) -> int:
    from sqlalchemy import func

    return int(conn.scalar(select(func.count()).where(_o.c.dispatched_at.is_(None))) or 0)


def events_for(conn: Connection, ids: Sequence[int]) -> list[Event]:
    """Events by id (tests and redelivery)."""
    if not ids:
        return []
    return [Event(*row) for row in conn.execute(select(*_COLUMNS).where(_o.c.id.in_(ids)))]
