"""SQL over the rule engine's own tables (never commits: the caller's unit of work does)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from accord.automation import tables as at
from accord.automation.model import Rule, rule_from_row


def rules(
    conn: Connection,
    *,
    objects: Iterable[str] | None = None,
    enabled: bool | None = None,
    scheduled: bool | None = None,
) -> list[Rule]:
    q = select(at.rules).order_by(at.rules.c.name)
    if objects is not None:
        q = q.where(at.rules.c.object_name.in_(list(objects)))
    if enabled is not None:
        q = q.where(at.rules.c.enabled.is_(enabled))
    found = [rule_from_row(r) for r in conn.execute(q).mappings()]
    if scheduled is not None:
        found = [r for r in found if r.trigger.scheduled is scheduled]
    return found


def rule_row(conn: Connection, rule_id: str) -> Mapping[str, Any] | None:
    return conn.execute(select(at.rules).where(at.rules.c.id == rule_id)).mappings().first()


def rule_id_by_name(conn: Connection, name: str) -> str | None:
    return conn.scalar(select(at.rules.c.id).where(at.rules.c.name == name))


def insert_rule(conn: Connection, values: Mapping[str, Any]) -> None:
    conn.execute(insert(at.rules).values(**values))


def update_rule(conn: Connection, rule_id: str, values: Mapping[str, Any]) -> None:
    conn.execute(update(at.rules).where(at.rules.c.id == rule_id).values(**values))


def delete_rule(conn: Connection, rule_id: str) -> None:
    for table in (at.matches, at.scans):
        conn.execute(delete(table).where(table.c.rule_id == rule_id))
    conn.execute(delete(at.rules).where(at.rules.c.id == rule_id))


def save_version(
    conn: Connection,
    rule_id: str,
    version: int,
    definition: Mapping[str, Any],
    at_: datetime,
    by: str | None,
) -> None:
    conn.execute(
        insert(at.rule_versions).values(
            rule_id=rule_id, version=version, definition=dict(definition), saved_at=at_, saved_by=by
        )
    )


def versions(conn: Connection, rule_id: str) -> list[dict[str, Any]]:
    v = at.rule_versions
    q = select(v).where(v.c.rule_id == rule_id).order_by(v.c.version.desc())
    return [dict(r) for r in conn.execute(q).mappings()]


def log_runs(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        conn.execute(insert(at.runs), list(rows))


def runs(
    conn: Connection,
    *,
    rule_id: str | None = None,
    record_id: str | None = None,
    outcome: str | None = None,
    before: int | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    r = at.runs
    q = select(r).order_by(r.c.id.desc()).limit(limit)
    if rule_id is not None:
        q = q.where(r.c.rule_id == rule_id)
    if record_id is not None:
        q = q.where(r.c.record_id == record_id)
    if outcome is not None:
        q = q.where(r.c.outcome == outcome)
    if before is not None:
        q = q.where(r.c.id < before)
    return [dict(row) for row in conn.execute(q).mappings()]


def next_counter(conn: Connection, key: str) -> int:
    """Increment and return the counter (1 the first time); the row lock serialises callers."""
    c = at.counters
    value = conn.scalar(
        update(c).where(c.c.key == key).values(value=c.c.value + 1).returning(c.c.value)
    )
    if value is None:
        conn.execute(insert(c).values(key=key, value=1))
        return 1
    return int(value)


def last_scan(conn: Connection, rule_id: str) -> datetime | None:
    return conn.scalar(select(at.scans.c.scanned_at).where(at.scans.c.rule_id == rule_id))


def record_scan(conn: Connection, rule_id: str, now: datetime, matched: int) -> None:
    s = at.scans
    done = conn.execute(
        update(s).where(s.c.rule_id == rule_id).values(scanned_at=now, matched=matched)
    )
    if done.rowcount == 0:
        conn.execute(insert(s).values(rule_id=rule_id, scanned_at=now, matched=matched))


def forget_matches(conn: Connection, rule_ids: Sequence[str], record_ids: Sequence[str]) -> int:
    m = at.matches
    return conn.execute(
        delete(m).where(m.c.rule_id.in_(rule_ids), m.c.record_id.in_(record_ids))
    ).rowcount


def count_runs(conn: Connection, rule_id: str) -> int:
    return int(conn.scalar(select(func.count()).where(at.runs.c.rule_id == rule_id)) or 0)
