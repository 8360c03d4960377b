"""Counts over an object's live records, grouped by one column (e.g. open leads per owner for
least-loaded assignment). Filters are the shared filter language."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select

from accord.core.context import Context
from accord.meta import service as meta
from accord.query import filter_clause


def count_by(
    ctx: Context, obj: str, column: str, values: Iterable[str], raw_filter: Any = None
) -> dict[str, int]:
    """``{value: live records whose column equals it}`` for each of ``values`` (0 included)."""
    reg = meta.registry(ctx)
    t = reg.table(obj)
    wanted = list(values)
    col = t.c[column]
    q = select(col, func.count()).where(col.in_(wanted), t.c.deleted_at.is_(None)).group_by(col)
    clause = filter_clause(ctx, reg, obj, raw_filter)
    if clause is not None:
        q = q.where(clause)
    counts = dict.fromkeys(wanted, 0)
    for value, n in ctx.conn.execute(q):
        counts[str(value)] = int(n)
    return counts
