"""Job handlers of the rule engine and its schedule.

- ``automation.tick`` (every minute): scans each enabled scheduled rule that is due.
- ``automation.run``: runs a rule's actions on a chunk of records found by a scan.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from accord.automation import engine, repository, scan
from accord.automation.model import ERROR, rule_from_row
from accord.core.context import Context
from accord.jobs.every import Every
from accord.jobs.registry import handler
from accord.jobs.scheduler import Schedule
from accord.meta import service as meta

log = logging.getLogger("accord.automation")

TICK_KIND = "automation.tick"
DATE_SCAN_MINUTES = 60  # date rules look at the calendar hourly (a date fires once anyway)
SCHEDULES = (Schedule(TICK_KIND, TICK_KIND, Every.parse("1m")),)


@handler(TICK_KIND)
def tick(ctx: Context, payload: dict[str, Any]) -> dict[str, Any]:
    """Scan every enabled scheduled rule whose interval has passed; one rule's failure is
    logged and does not stop the others."""
    now = ctx.clock.now()
    reg = meta.registry(ctx)
    scanned: dict[str, int] = {}
    for rule in repository.rules(ctx.conn, enabled=True, scheduled=True):
        every = rule.trigger.every_minutes if rule.trigger.type == "periodic" else DATE_SCAN_MINUTES
        last = repository.last_scan(ctx.conn, rule.id)
        if last is not None and now - last < timedelta(minutes=every) - timedelta(seconds=5):
            continue
        try:
            with ctx.conn.begin_nested():
                found = scan.scan(ctx, reg, rule)
        except Exception as exc:
            log.exception("scheduled rule %r could not scan", rule.name)
            repository.log_runs(ctx.conn, [_scan_error(rule, now, exc)])
            found = []
        repository.record_scan(ctx.conn, rule.id, now, len(found))
        scanned[rule.name] = len(found)
    scan.forget_old_dates(ctx, (now - timedelta(days=400)).date())
    return {"scanned": scanned}


@handler(scan.RUN_KIND)
def run(ctx: Context, payload: dict[str, Any]) -> dict[str, Any]:
    """Actions of one scheduled rule for the records a scan found (each in a savepoint)."""
    row = repository.rule_row(ctx.conn, payload["rule_id"])
    if row is None or not row["enabled"]:
        return {"skipped": "the rule was deleted or switched off"}
    rule = rule_from_row(row)
    rows = engine.run_for(ctx, meta.registry(ctx), rule, payload["ids"], depth=1)
    return {"ok": sum(r["outcome"] == "ok" for r in rows), "runs": len(rows)}


def _scan_error(rule: Any, now: Any, exc: Exception) -> dict[str, Any]:
    return {
        "rule_id": rule.id,
        "rule_version": rule.version,
        "object_name": rule.object_name,
        "record_id": None,
        "event_id": None,
        "at": now,
        "outcome": ERROR,
        "duration_ms": 0,
        "detail": {"error": {"code": type(exc).__name__, "message": str(exc)[:500]}},
    }
