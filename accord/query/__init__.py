"""The query engine: one filter language compiled to SQL and to a Python predicate that agree,
plus sorting and keyset pagination. See README.md for the language and its semantics.

What other packages may use (everything else is internal):

- ``parse_filter(raw, reg, obj)`` → ``CheckedFilter`` (raises ``Invalid("INVALID_FILTER")``);
  ``parse_query_pairs(pairs)`` → JSON tree; ``parse_query_filter(pairs, reg, obj)``
- ``compile_sql(checked, reg, actor=, now=, tz=)`` → ``SqlFilter``; ``apply_filter(stmt, f)``
- ``compile_predicate(checked, actor=, now=, tz=)`` → ``Predicate``; ``record_resolver``
- ``filter_clause(ctx, reg, obj, raw)``: a standalone WHERE clause (no joins) or None
- ``parse_sort(spec, reg, obj)`` → ``Sort``; ``encode_cursor``/``decode_cursor``
- ``build_list_query(reg, obj, sort=, filter_clause=, where=, cursor=, limit=, columns=)``,
  ``split_page(rows, sort, limit)``, ``next_cursor(rows, sort, limit)``
- ``relative_bounds(op, n, kind, now=, tz=)`` for code that shows a relative range
- the AST (``Leaf``, ``And``, ``Or``, ``Not``, ``ME``, ``to_json``)
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement

from accord.core.context import Context
from accord.query.ast import ME, And, Leaf, Node, Not, Or, to_json
from accord.query.cursor import decode_cursor, encode_cursor, keyset_clause
from accord.query.dates import Bounds, relative_bounds
from accord.query.listing import MAX_LIMIT, build_list_query, next_cursor, split_page
from accord.query.parse import (
    CheckedFilter,
    parse_filter,
    parse_query_filter,
    parse_query_pairs,
)
from accord.query.paths import FieldRef, RegistryLike, resolve_path
from accord.query.predicate import Predicate, Resolver, compile_predicate, record_resolver
from accord.query.sort import Sort, SortKey, parse_sort
from accord.query.sql import SqlFilter, apply_filter, compile_sql


def filter_clause(
    ctx: Context, reg: RegistryLike, obj_name: str, raw: Any
) -> ColumnElement[bool] | None:
    """``raw`` as a WHERE clause over ``reg.table(obj_name)`` that needs no joins (references
    are read through correlated subqueries), for the context's actor, clock and time zone; None
    when the filter is empty. Raises ``Invalid("INVALID_FILTER")``."""
    checked = parse_filter(raw, reg, obj_name)
    if checked.node is None:
        return None
    return compile_sql(
        checked,
        reg,
        actor=ctx.actor,
        now=ctx.clock.now(),
        tz=ctx.actor.timezone,
        joins=False,
    ).clause


__all__ = [
    "MAX_LIMIT",
    "ME",
    "And",
    "Bounds",
    "CheckedFilter",
    "FieldRef",
    "Leaf",
    "Node",
    "Not",
    "Or",
    "Predicate",
    "RegistryLike",
    "Resolver",
    "Sort",
    "SortKey",
    "SqlFilter",
    "apply_filter",
    "build_list_query",
    "compile_predicate",
    "compile_sql",
    "decode_cursor",
    "encode_cursor",
    "filter_clause",
    "keyset_clause",
    "next_cursor",
    "parse_filter",
    "parse_query_filter",
    "parse_query_pairs",
    "parse_sort",
    "record_resolver",
    "relative_bounds",
    "resolve_path",
    "split_page",
    "to_json",
]
