"""The SQL of accord.webhooks: every function takes an open connection and never commits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from accord.webhooks.model import DEAD, PENDING, SUCCEEDED
from accord.webhooks.tables import attempts, deliveries, subscriptions

s, d, a = subscriptions, deliveries, attempts

# Columns of a subscription that may be shown (never the secret).
PUBLIC_SUBSCRIPTION = tuple(c for c in s.c if c.name != "secret")
# Columns of a delivery in lists (the payload only in the detail).
DELIVERY_SUMMARY = tuple(c for c in d.c if c.name != "payload")


# --- subscriptions -------------------------------------------------------------------------


def enabled_subscriptions(conn: Connection) -> list[dict[str, Any]]:
    """What the outbox consumer matches events against (one small query per batch)."""
    q = select(s.c.id, s.c.objects, s.c.events, s.c.owner_id).where(s.c.enabled.is_(True))
    return [dict(r) for r in conn.execute(q).mappings()]


def subscription(conn: Connection, sid: str, *, secret: bool = False) -> dict[str, Any] | None:
    cols = tuple(s.c) if secret else PUBLIC_SUBSCRIPTION
    row = conn.execute(select(*cols).where(s.c.id == sid)).mappings().first()
    return dict(row) if row else None


def subscription_by_name(conn: Connection, name: str) -> dict[str, Any] | None:
    row = conn.execute(select(*PUBLIC_SUBSCRIPTION).where(s.c.name == name)).mappings().first()
    return dict(row) if row else None


def name_taken(conn: Connection, name: str, except_id: str | None = None) -> bool:
    q = select(s.c.id).where(s.c.name == name)
    if except_id is not None:
        q = q.where(s.c.id != except_id)
    return conn.execute(q).first() is not None


def list_subscriptions(conn: Connection) -> list[dict[str, Any]]:
    q = select(*PUBLIC_SUBSCRIPTION).order_by(s.c.name)
    return [dict(r) for r in conn.execute(q).mappings()]


def insert_subscription(conn: Connection, values: Mapping[str, Any]) -> None:
    conn.execute(insert(s).values(**values))


def update_subscription(conn: Connection, sid: str, values: Mapping[str, Any]) -> None:
    conn.execute(update(s).where(s.c.id == sid).values(**values))


def delete_subscription(conn: Connection, sid: str) -> None:
    """The subscription with its delivery log (children first: SQLite may run without
    cascading foreign keys in a copied database)."""
    ids = select(d.c.id).where(d.c.subscription_id == sid).scalar_subquery()
    conn.execute(delete(a).where(a.c.delivery_id.in_(ids)))
    conn.execute(delete(d).where(d.c.subscription_id == sid))
    conn.execute(delete(s).where(s.c.id == sid))


def count_failure(conn: Connection, sid: str, now: datetime) -> int:
    """One more dead delivery in a row; returns the new count."""
    conn.execute(
        update(s)
        .where(s.c.id == sid)
        .values(consecutive_failures=s.c.consecutive_failures + 1, updated_at=now)
    )
    return int(conn.scalar(select(s.c.consecutive_failures).where(s.c.id == sid)) or 0)


def reset_failures(conn: Connection, sid: str) -> None:
    # Only write when there is something to reset: a busy endpoint succeeds all day.
    conn.execute(
        update(s).where(s.c.id == sid, s.c.consecutive_failures != 0).values(consecutive_failures=0)
    )


def disable(conn: Connection, sid: str, reason: str, now: datetime) -> bool:
    """Switch an enabled subscription off; False when it was already off."""
    r = conn.execute(
        update(s)
        .where(s.c.id == sid, s.c.enabled.is_(True))
        .values(enabled=False, disabled_reason=reason[:500], disabled_at=now, updated_at=now)
    )
    return bool(r.rowcount)


# --- deliveries ----------------------------------------------------------------------------


def insert_deliveries(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """Insert delivery rows (one statement per 1,000 rows); returns their ids (in no
    particular order: the rows' order would cost SQLite a statement per row)."""
    if not rows:
        return []
    result = conn.execute(insert(d).returning(d.c.id), [dict(r) for r in rows])
    return [int(i) for i in result.scalars()]


def delivery(conn: Connection, did: int, *, payload: bool = True) -> dict[str, Any] | None:
    cols = tuple(d.c) if payload else DELIVERY_SUMMARY
    row = conn.execute(select(*cols).where(d.c.id == did)).mappings().first()
    return dict(row) if row else None


def delivery_to_send(conn: Connection, did: int) -> dict[str, Any] | None:
    """A delivery with what sending it needs from its subscription (URL, secret, enabled),
    locked on PostgreSQL so a redelivery cannot change it while it is being sent."""
    q = (
        select(
            d,
            s.c.url,
            s.c.secret,
            s.c.enabled,
            s.c.name.label("subscription_name"),
        )
        .join(s, s.c.id == d.c.subscription_id)
        .where(d.c.id == did)
    )
    if conn.dialect.name == "postgresql":
        q = q.with_for_update(of=d)
    row = conn.execute(q).mappings().first()
    return dict(row) if row else None


def list_deliveries(
    conn: Connection,
    *,
    subscription_id: str | None,
    status: str | None,
    before: int | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Newest first; ``before`` is the keyset cursor (the last id of the previous page)."""
    q = select(*DELIVERY_SUMMARY).order_by(d.c.id.desc()).limit(limit)
    if subscription_id is not None:
        q = q.where(d.c.subscription_id == subscription_id)
    if status is not None:
        q = q.where(d.c.status == status)
    if before is not None:
        q = q.where(d.c.id < before)
    return [dict(r) for r in conn.execute(q).mappings()]


def attempts_of(conn: Connection, did: int) -> list[dict[str, Any]]:
    q = select(a).where(a.c.delivery_id == did).order_by(a.c.attempt)
    return [dict(r) for r in conn.execute(q).mappings()]


def record_attempt(
    conn: Connection,
    did: int,
    attempt: int,
    *,
    at: datetime,
    status: int | None,
    error: str | None,
    excerpt: str | None,
    duration_ms: int,
    outcome: str,
    next_attempt_at: datetime | None,
) -> None:
    """The attempt's row, and its outcome on the delivery (``outcome``: the new status)."""
    conn.execute(
        insert(a).values(
            delivery_id=did,
            attempt=attempt,
            at=at,
            status=status,
            error=error,
            response_excerpt=excerpt,
            duration_ms=duration_ms,
        )
    )
    conn.execute(
        update(d)
        .where(d.c.id == did)
        .values(
            attempts=attempt,
            status=outcome,
            last_status=status,
            last_error=error,
            response_excerpt=excerpt,
            duration_ms=duration_ms,
            last_attempt_at=at,
            next_attempt_at=next_attempt_at,
            delivered_at=at if outcome == SUCCEEDED else d.c.delivered_at,
        )
    )


def give_up(conn: Connection, did: int, error: str) -> None:
    """Dead without an attempt (its subscription was switched off meanwhile)."""
    conn.execute(
        update(d).where(d.c.id == did).values(status=DEAD, last_error=error, next_attempt_at=None)
    )


def requeue(conn: Connection, did: int, max_attempts: int, now: datetime) -> None:
    conn.execute(
        update(d)
        .where(d.c.id == did)
        .values(status=PENDING, max_attempts=max_attempts, next_attempt_at=now)
    )


def requeue_dead(
    conn: Connection, subscription_id: str, extra_attempts: int, now: datetime
) -> list[tuple[int, int]]:
    """Every dead delivery of the subscription back to pending; returns (id, attempts) of each."""
    rows = conn.execute(
        update(d)
        .where(d.c.subscription_id == subscription_id, d.c.status == DEAD)
        .values(
            status=PENDING,
            max_attempts=d.c.attempts + extra_attempts,
            next_attempt_at=now,
        )
        .returning(d.c.id, d.c.attempts)
    )
    return [(int(r[0]), int(r[1])) for r in rows]


def purge(conn: Connection, status: str, older_than: datetime) -> int:
    """Delete finished deliveries (and their attempts) created before ``older_than``."""
    old = select(d.c.id).where(d.c.status == status, d.c.created_at < older_than)
    conn.execute(delete(a).where(a.c.delivery_id.in_(old.scalar_subquery())))
    return int(conn.execute(delete(d).where(d.c.id.in_(old.scalar_subquery()))).rowcount or 0)
