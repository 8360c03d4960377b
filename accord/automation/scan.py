"""Scheduled rules as set-based SQL over the whole table — no record is loaded into Python.

- **periodic** ("opportunity not updated for 3 days"): each scan removes the remembered matches
  that no longer meet the condition, then inserts the records that newly do
  (``INSERT … SELECT … WHERE cond AND NOT EXISTS (remembered) RETURNING id``). Only those get
  actions, so a stale opportunity produces one reminder, not one per tick; once it is updated
  (and no longer matches) it may fire again later.
- **date** ("3 days before ``end_date``", "on ``birthday`` every year"): records whose date
  (plus the offset) falls on today, or on one of the few days before it when a scan was
  missed, are remembered with that date as the occurrence, so each date fires once.

The new matches are handed to ``automation.run`` jobs in chunks, enqueued in the same
transaction as the scan.
"""

from __future__ import annotations

from calendar import isleap
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    String,
    Table,
    and_,
    case,
    cast,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
)

from accord.automation import tables as at
from accord.automation.model import Rule
from accord.core.context import Context
from accord.jobs import service as jobs
from accord.meta.registry import Registry
from accord.query import filter_clause
from accord.records.codec import codec

RUN_KIND = "automation.run"
IDS_PER_JOB = 200
CATCH_UP_DAYS = 3  # a date rule still fires if the scheduler was down this many days


def scan(ctx: Context, reg: Registry, rule: Rule) -> list[str]:
    """New matches of a scheduled rule (remembered, and their actions enqueued)."""
    found = _periodic(ctx, reg, rule) if rule.trigger.type == "periodic" else _dated(ctx, reg, rule)
    enqueue_runs(ctx, rule, found)
    return found


def enqueue_runs(ctx: Context, rule: Rule, ids: Sequence[str]) -> int:
    payloads = [
        {"rule_id": rule.id, "version": rule.version, "ids": list(ids[i : i + IDS_PER_JOB])}
        for i in range(0, len(ids), IDS_PER_JOB)
    ]
    return jobs.enqueue_many(ctx, RUN_KIND, payloads) if payloads else 0


def _condition(ctx: Context, reg: Registry, rule: Rule) -> ColumnElement[bool]:
    t = reg.table(rule.object_name)
    clause = filter_clause(ctx, reg, rule.object_name, rule.condition)
    live = t.c.deleted_at.is_(None)
    return live if clause is None else and_(live, clause)


def _periodic(ctx: Context, reg: Registry, rule: Rule) -> list[str]:
    t = reg.table(rule.object_name)
    m = at.matches
    cond = _condition(ctx, reg, rule)
    mine = and_(m.c.rule_id == rule.id, m.c.occurrence == "")
    still = exists().where(t.c.id == m.c.record_id, cond)
    ctx.conn.execute(delete(m).where(mine, ~still))
    return _remember(ctx, rule, t, literal(""), cond)


def _dated(ctx: Context, reg: Registry, rule: Rule) -> list[str]:
    """Fire on ``field + offset_days`` = a day in (today - CATCH_UP_DAYS, today]."""
    trig = rule.trigger
    t = reg.table(rule.object_name)
    tz = ctx.settings.default_timezone
    today = ctx.clock.now().astimezone(ZoneInfo(tz)).date()
    # the dates whose anniversary/offset falls in the window, newest first
    days = [today - timedelta(days=trig.offset_days + k) for k in range(CATCH_UP_DAYS)]
    col = t.c[trig.field]
    text = func.substr(cast(col, String), 1, 10)  # ISO date (UTC date for datetimes)
    if trig.annual:
        md = func.substr(text, 6, 5)
        by_md: dict[str, str] = {}
        for d in days:
            by_md.setdefault(d.strftime("%m-%d"), d.isoformat())
            if d.month == 2 and d.day == 28 and not isleap(d.year):
                by_md.setdefault("02-29", d.isoformat())  # leap-day birthdays on 28 February
        hit = md.in_(list(by_md))
        occurrence = case(*((md == k, literal(v)) for k, v in by_md.items()), else_=literal(""))
    else:
        low, high = days[-1], days[0]
        is_datetime = codec(reg, rule.object_name).fields[trig.field].type.kind == "datetime"
        hit = _between(col, low, high, tz) if is_datetime else col.between(low, high)
        occurrence = text
    cond = and_(_condition(ctx, reg, rule), col.is_not(None), hit)
    return _remember(ctx, rule, t, occurrence, cond)


def _remember(
    ctx: Context,
    rule: Rule,
    t: Table,
    occurrence: ColumnElement[str],
    cond: ColumnElement[bool],
) -> list[str]:
    """Insert a match for every record meeting ``cond`` not yet remembered for ``occurrence``;
    the ids inserted are the records that fire now."""
    m = at.matches
    remembered = exists().where(
        m.c.rule_id == rule.id, m.c.record_id == t.c.id, m.c.occurrence == occurrence
    )
    new = select(
        literal(rule.id, m.c.rule_id.type),
        t.c.id,
        occurrence,
        literal(ctx.clock.now(), m.c.matched_at.type),
    ).where(cond, ~remembered)
    stmt = insert(m).from_select(["rule_id", "record_id", "occurrence", "matched_at"], new)
    return [str(i) for i in ctx.conn.scalars(stmt.returning(m.c.record_id))]


def _between(col: ColumnElement[object], low: date, high: date, tz: str) -> ColumnElement[bool]:
    """A datetime column within local days ``low``..``high``."""
    zone = ZoneInfo(tz)
    start = datetime.combine(low, time(), zone)
    end = datetime.combine(high + timedelta(days=1), time(), zone)
    return and_(col >= start, col < end)


def forget_old_dates(ctx: Context, before: date) -> int:
    """Date matches older than ``before`` can never fire again (the window has passed)."""
    m = at.matches
    q = delete(m).where(m.c.occurrence != "", m.c.occurrence < before.isoformat())
    return ctx.conn.execute(q).rowcount
