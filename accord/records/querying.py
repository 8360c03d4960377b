"""The record service's use of the query engine: one page of records for the acting user."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, CompoundSelect, Select

from accord.core.context import Context
from accord.meta.operators import RELATIVE_DATE_OPS
from accord.query import (
    Sort,
    build_list_query,
    compile_sql,
    encode_cursor,
    parse_filter,
    parse_query_pairs,
    parse_sort,
)
from accord.query.paths import RegistryLike


def sort_for(reg: RegistryLike, obj: str, spec: str | None) -> Sort:
    return parse_sort(spec or "-created_at", reg, obj)


def page_query(
    ctx: Context,
    reg: RegistryLike,
    obj: str,
    *,
    filter: Any,
    sort: Sort,
    after: Sequence[Any] | None,
    limit: int,
    where: Sequence[ColumnElement[bool]],
    columns: Sequence[str] | None,
    branches: Sequence[ColumnElement[bool]] = (),
) -> tuple[Select[Any] | CompoundSelect[Any], bool]:
    """The page's SELECT, and whether it is the same at any time (no relative dates, whose
    bounds move with the clock)."""
    flt = None
    timeless = True
    if filter is not None:
        checked = parse_filter(filter, reg, obj)
        if checked.node is not None:
            timeless = not any(leaf.op in RELATIVE_DATE_OPS for leaf in checked.leaves)
            flt = compile_sql(
                checked, reg, actor=ctx.actor, now=ctx.clock.now(), tz=ctx.actor.timezone
            )
    stmt = build_list_query(
        reg,
        obj,
        sort=sort,
        filter_clause=flt,
        where=where,
        after=after,
        limit=limit,
        columns=columns,
        branches=branches,
        dialect=ctx.dialect,
    )
    return stmt, timeless


def cursor_after(row: Mapping[str, Any], sort: Sort) -> str:
    """The cursor of the page that starts after ``row`` (column → typed value)."""
    return encode_cursor(sort, tuple(row[k.column] for k in sort.keys))


def query_pairs_to_filter(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    return parse_query_pairs(pairs)
