"""Record-triggered rules: the outbox dispatcher hands every batch of record events here.

Per batch: one query loads the enabled rules of the objects in the batch (none → done); the
triggers are matched in Python against each event (kind, changed fields, from/to values); the
conditions of all triggered rules of an object are evaluated in one SQL statement per chunk of
ids; then each (rule, record) runs its actions in a savepoint. Events caused by rules carry
``depth`` + 1, and a chain deeper than ``MAX_DEPTH`` is stopped and logged.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from accord.automation import engine, repository
from accord.automation.model import EVENT_OF, Rule
from accord.core.context import Context
from accord.meta import service as meta
from accord.records.outbox import Event


def consume(ctx: Context, events: Sequence[Event]) -> None:
    by_object: dict[str, list[Event]] = defaultdict(list)
    for e in events:
        if e.record_id is not None:
            by_object[e.object_name].append(e)
    if not by_object:
        return
    rules = repository.rules(ctx.conn, objects=list(by_object), enabled=True)
    if not rules:
        return
    reg = meta.registry(ctx)
    for obj, evs in by_object.items():
        mine = [r for r in rules if r.object_name == obj and not r.trigger.scheduled]
        if mine:
            _consume_object(ctx, reg, obj, mine, evs)
        periodic = [r for r in rules if r.object_name == obj and r.trigger.type == "periodic"]
        if periodic:
            _rearm(ctx, reg, obj, periodic, evs)


def _rearm(ctx: Context, reg: Any, obj: str, rules: list[Rule], events: list[Event]) -> None:
    """A changed record that no longer meets a periodic rule's condition may fire again when
    it next does: forget the match now (a scan might never see it in between)."""
    ids = {str(e.record_id) for e in events if e.kind in ("updated", "deleted", "restored")}
    if not ids:
        return
    still = engine.matching(ctx, reg, obj, rules, ids)
    for r in rules:
        gone = sorted(ids - still[r.id])
        if gone:
            repository.forget_matches(ctx.conn, [r.id], gone)


def _consume_object(
    ctx: Context, reg: Any, obj: str, rules: list[Rule], events: list[Event]
) -> None:
    fired: dict[str, list[Event]] = {r.id: [e for e in events if triggers(r, e)] for r in rules}
    live = [r for r in rules if fired[r.id] and r.trigger.type != "deleted"]
    gone = [r for r in rules if fired[r.id] and r.trigger.type == "deleted"]
    hits: dict[str, set[str]] = {}
    for group, deleted in ((live, False), (gone, True)):
        ids = {str(e.record_id) for r in group for e in fired[r.id]}
        hits |= engine.matching(ctx, reg, obj, group, ids, include_deleted=deleted)
    for r in rules:
        by_depth: dict[int, dict[str, int]] = defaultdict(dict)
        for e in fired[r.id]:
            if str(e.record_id) in hits.get(r.id, ()):
                by_depth[e.depth + 1][str(e.record_id)] = e.id
        for depth, event_ids in sorted(by_depth.items()):
            engine.run_for(ctx, reg, r, list(event_ids), depth=depth, event_ids=event_ids)


def triggers(rule: Rule, event: Event) -> bool:
    """Does ``event`` fire ``rule``'s trigger (before its condition)?"""
    t = rule.trigger
    if EVENT_OF.get(t.type) != event.kind:
        return False
    if t.type != "field_changed":
        return True
    changes = event.changed
    hit = [f for f in t.fields if f in changes]
    if not hit:
        return False
    if t.from_values is None and t.to_values is None:
        return True
    old, new = changes[hit[0]]
    return (t.from_values is None or _same(old, t.from_values)) and (
        t.to_values is None or _same(new, t.to_values)
    )


def _same(value: Any, wanted: tuple[Any, ...]) -> bool:
    """The history's JSON value against configured values (numbers and text compare as text)."""
    return any(value == w or (value is not None and str(value) == str(w)) for w in wanted)
