"""Running rules on records: which records meet the conditions (set-based SQL, one statement
for many rules), then each matching record's actions in order, in its own savepoint.

A rule that fails on one record rolls back only that record's actions, logs the error with the
record and goes on. Every run — ok, error, or stopped by the loop guard — is one row of the
execution log.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import case, literal, select

from accord.automation import repository
from accord.automation.actions import registry as actions
from accord.automation.actions.base import ActionContext
from accord.automation.model import ERROR, LOOP, MAX_DEPTH, OK, Rule
from accord.core.context import SYSTEM_ACTOR, Context
from accord.core.errors import AccordError
from accord.meta.registry import Registry
from accord.query import filter_clause
from accord.records import service as records
from accord.records.prepare import eval_context

log = logging.getLogger("accord.automation")

ID_CHUNK = 500  # ids per IN list


def matching(
    ctx: Context,
    reg: Registry,
    obj: str,
    rules: Sequence[Rule],
    ids: Iterable[str],
    *,
    include_deleted: bool = False,
) -> dict[str, set[str]]:
    """``{rule id: ids of the given records that meet its condition}`` — one SELECT per chunk
    of ids with one CASE column per rule, so 20 rules cost one statement, not 20."""
    wanted = list(dict.fromkeys(ids))
    out: dict[str, set[str]] = {r.id: set() for r in rules}
    if not wanted or not rules:
        return out
    t = reg.table(obj)
    cols = []
    for r in rules:
        clause = filter_clause(ctx, reg, obj, r.condition)
        cols.append(literal(1) if clause is None else case((clause, 1), else_=0))
    for start in range(0, len(wanted), ID_CHUNK):
        q = select(t.c.id, *cols).where(t.c.id.in_(wanted[start : start + ID_CHUNK]))
        if not include_deleted:
            q = q.where(t.c.deleted_at.is_(None))
        for row in ctx.conn.execute(q):
            for r, hit in zip(rules, row[1:], strict=True):
                if hit:
                    out[r.id].add(str(row[0]))
    return out


def run_for(
    ctx: Context,
    reg: Registry,
    rule: Rule,
    record_ids: Sequence[str],
    *,
    depth: int,
    event_ids: Mapping[str, int] | None = None,
) -> list[dict[str, Any]]:
    """Run ``rule``'s actions on each record (each in a savepoint); returns the log rows."""
    rows: list[dict[str, Any]] = []
    now = ctx.clock.now()
    for rid in record_ids:
        started = time.monotonic()
        base = {
            "rule_id": rule.id,
            "rule_version": rule.version,
            "object_name": rule.object_name,
            "record_id": rid,
            "event_id": (event_ids or {}).get(rid),
            "at": now,
        }
        if depth > MAX_DEPTH:
            log.warning(
                "rule %r stopped on %s %s: %d automation steps in a chain (loop guard)",
                rule.name,
                rule.object_name,
                rid,
                depth - 1,
            )
            detail = {"reason": f"more than {MAX_DEPTH} automation steps in a chain"}
            rows.append({**base, "outcome": LOOP, "duration_ms": 0, "detail": detail})
            continue
        try:
            with ctx.conn.begin_nested():
                done = run_actions(ctx, reg, rule, rid, depth)
            outcome, detail = OK, {"actions": done}
        except Exception as exc:  # one record's failure must not stop the others
            outcome, detail = ERROR, {"error": _describe(exc)}
            log.warning("rule %r failed on %s %s: %s", rule.name, rule.object_name, rid, exc)
        ms = int((time.monotonic() - started) * 1000)
        rows.append({**base, "outcome": outcome, "duration_ms": ms, "detail": detail})
    repository.log_runs(ctx.conn, rows)
    return rows


def run_actions(
    ctx: Context, reg: Registry, rule: Rule, rid: str, depth: int
) -> list[dict[str, Any]]:
    """Run ``rule``'s actions in order on one record as the system actor at ``depth`` (also the
    approval engine's outcome actions); returns what each did."""
    sys = replace(ctx, actor=SYSTEM_ACTOR, depth=depth)
    record = dict(records.get(sys, rule.object_name, rid, include_deleted=True))
    ax = ActionContext(sys, reg, rule, record, eval_context(sys))
    done = []
    for i, spec in enumerate(rule.actions):
        kind = actions.get(spec["type"])
        assert kind is not None  # checked at save time
        done.append({"type": spec["type"], **kind.run(ax, {**spec, "_index": i})})
    return done


def preview_for(ctx: Context, reg: Registry, rule: Rule, rid: str) -> list[dict[str, Any]]:
    """What each action would do on the record (dry run: nothing is written)."""
    sys = replace(ctx, actor=SYSTEM_ACTOR)
    record = dict(records.get(sys, rule.object_name, rid))
    ax = ActionContext(sys, reg, rule, record, eval_context(sys))
    out = []
    for i, spec in enumerate(rule.actions):
        kind = actions.get(spec["type"])
        assert kind is not None
        try:
            out.append({"type": spec["type"], **kind.preview(ax, {**spec, "_index": i})})
        except Exception as exc:
            out.append({"type": spec["type"], "error": _describe(exc)})
    return out


def _describe(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, AccordError):
        errors = [{"field": e.field, "code": e.code, "message": e.message} for e in exc.errors]
        return {"code": exc.code, "message": exc.message, "errors": errors}
    return {"code": type(exc).__name__, "message": str(exc)[:500]}
