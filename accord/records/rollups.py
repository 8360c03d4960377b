"""Rollup fields (count/sum/min/max/avg of children) kept correct when children change.

After any write to a child object, the parents whose children changed (old and new parent of
each touched child) are recomputed with one set-based UPDATE per rollup field — so the value is
always the aggregate of what is stored, never an increment that could drift.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select, true, update

from accord.core.context import Context
from accord.meta.model import FieldDef
from accord.meta.registry import Registry

AGGREGATES = {
    "count": func.count,
    "sum": func.sum,
    "min": func.min,
    "max": func.max,
    "avg": func.avg,
}


@dataclass(frozen=True)
class RollupRef:
    parent: str
    field: FieldDef
    relation_field: str


def rollups_over(reg: Registry, child: str) -> list[RollupRef]:
    cache: dict[str, list[RollupRef]] = reg.__dict__.setdefault("_rollups", {})
    if child not in cache:
        refs = []
        for obj in reg.objects.values():
            if obj.status != "active":
                continue
            for f in obj.active_fields:
                if f.type == "rollup" and f.options.get("child_object") == child:
                    refs.append(RollupRef(obj.name, f, str(f.options.get("relation_field"))))
        cache[child] = refs
    return cache[child]


def relation_fields(reg: Registry, child: str) -> set[str]:
    return {r.relation_field for r in rollups_over(reg, child)}


def recompute(
    ctx: Context, reg: Registry, child: str, parent_ids: dict[str, Iterable[str]], depth: int = 0
) -> None:
    """Recompute every rollup over ``child`` for the given parents, keyed by relation field;
    then the parents' formulas (a quote's total over its lines' subtotal), and, up the chain,
    rollups over those parents (bounded, so a cycle of definitions cannot loop)."""
    touched: dict[str, set[str]] = {}
    for ref in rollups_over(reg, child):
        ids = sorted({i for i in parent_ids.get(ref.relation_field, ()) if i})
        if not ids:
            continue
        ptable, ctable = reg.table(ref.parent), reg.table(child)
        agg = str(ref.field.options.get("aggregate", "count"))
        rel = ctable.c[ref.relation_field]
        cond: ColumnElement[bool] = (rel == ptable.c.id) & ctable.c.deleted_at.is_(None)
        flt = ref.field.options.get("filter")
        if flt:
            cond = cond & _filter_clause(ctx, reg, child, flt)
        if agg == "count":
            value = select(func.count()).select_from(ctable).where(cond)
        elif agg == "sum":
            col = ctable.c[str(ref.field.options.get("child_field"))]
            value = select(func.coalesce(func.sum(col), 0)).where(cond)
        else:
            col = ctable.c[str(ref.field.options.get("child_field"))]
            value = select(AGGREGATES[agg](col)).where(cond)
        for i in range(0, len(ids), 900):
            ctx.conn.execute(
                update(ptable)
                .where(ptable.c.id.in_(ids[i : i + 900]))
                .values({ref.field.name: value.scalar_subquery()})
            )
        touched.setdefault(ref.parent, set()).update(ids)
    for parent, ids in touched.items():
        rows = _refresh_formulas(ctx, reg, parent, sorted(ids))
        rels = relation_fields(reg, parent)
        if rels and depth < MAX_DEPTH:
            recompute(ctx, reg, parent, {f: [r.get(f) for r in rows] for f in rels}, depth + 1)


MAX_DEPTH = 4


def _refresh_formulas(ctx: Context, reg: Registry, obj: str, ids: list[str]) -> list[dict]:
    """Re-evaluate ``obj``'s formulas for ``ids`` after its rollups moved; returns the rows."""
    from accord.records.codec import codec as codec_for
    from accord.records.prepare import compute_formulas, eval_context

    c = codec_for(reg, obj)
    rows: list[dict] = []
    for i in range(0, len(ids), 900):
        rows += [
            dict(r)
            for r in ctx.conn.execute(
                select(c.table).where(c.table.c.id.in_(ids[i : i + 900]))
            ).mappings()
        ]
    formulas = [fc for fc in c.computed if fc.field.type == "formula"]
    if not formulas:
        return rows
    ectx = eval_context(ctx)
    for row in rows:
        values = c.decode(row)
        before = {fc.name: values.get(fc.name) for fc in formulas}
        compute_formulas(c, values, ectx)
        changed = {}
        for fc in formulas:
            if values.get(fc.name) != before[fc.name]:
                v = values.get(fc.name)
                changed.update(
                    fc.type.to_columns(v, fc.field) if v is not None else dict.fromkeys(fc.columns)
                )
        if changed:
            ctx.conn.execute(update(c.table).where(c.table.c.id == row["id"]).values(changed))
    return rows


def _filter_clause(ctx: Context, reg: Registry, child: str, flt: object) -> ColumnElement[bool]:
    from accord.query import filter_clause

    clause = filter_clause(ctx, reg, child, flt)
    return clause if clause is not None else true()
