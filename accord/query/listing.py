"""One page of a list: filter, caller's clauses, keyset cursor, total order, limit + 1.

The caller (the record service) owns visibility: it passes ``deleted_at IS NULL`` and its
permission scope as ``where`` clauses. The query reads one row more than ``limit`` so
``split_page`` knows whether there is a next page without a COUNT.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, CompoundSelect, FromClause, Select, select, union_all

from accord.core.errors import FieldError, Invalid
from accord.query.cursor import cursor_for_row, decode_cursor, keyset_clause
from accord.query.paths import RegistryLike
from accord.query.sort import Sort
from accord.query.sql import SqlFilter

MAX_LIMIT = 500


def build_list_query(
    reg: RegistryLike,
    obj_name: str,
    *,
    sort: Sort,
    filter_clause: SqlFilter | None = None,
    where: Sequence[ColumnElement[bool]] = (),
    cursor: str | None = None,
    after: Sequence[Any] | None = None,
    limit: int = 50,
    columns: Sequence[str] | None = None,
    root: FromClause | None = None,
    branches: Sequence[ColumnElement[bool]] = (),
    dialect: str | None = None,
) -> Select[Any] | CompoundSelect[Any]:
    """The SELECT of one page (``limit + 1`` rows) of ``obj_name``.

    ``columns`` are column names of the object's table (default: all); the sort columns are
    always added so ``split_page`` can build the next cursor. ``filter_clause`` comes from
    ``compile_sql`` over the same ``root``. The page starts after ``cursor``, or after the row
    whose sort-key values are ``after`` (already decoded; placeholders allowed, see
    ``keyset_clause``).

    ``branches`` (disjoint conditions, e.g. one per owner of a data scope) make the page a
    UNION ALL of one page per branch, merged and cut to the page: each branch can walk its own
    index range (``owner_id, created_at, id``) instead of one scan filtering a whole table. The
    shape that both engines plan well differs: ``dialect`` chooses it.
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise Invalid(
            "INVALID_LIMIT",
            f"limit must be between 1 and {MAX_LIMIT}.",
            errors=[FieldError("limit", "INVALID_VALUE", f"between 1 and {MAX_LIMIT}")],
        )
    source = root if root is not None else reg.table(obj_name)
    names = list(source.c.keys()) if columns is None else list(dict.fromkeys(columns))
    unknown = [c for c in names if c not in source.c]
    if unknown:
        raise Invalid(
            "INVALID_FIELDS",
            "Unknown columns requested.",
            errors=[FieldError("fields", "UNKNOWN_FIELD", f"no column {c!r}") for c in unknown],
        )
    names += [k.column for k in sort.keys if k.column not in names]
    stmt = select(*(source.c[n] for n in names))
    if filter_clause is not None:
        stmt = stmt.select_from(filter_clause.from_).where(filter_clause.clause)
    if where:
        stmt = stmt.where(*where)
    if cursor is not None:
        after = decode_cursor(cursor, sort)
    if after is not None:
        stmt = stmt.where(keyset_clause(sort, source, after))
    if not branches:
        return stmt.order_by(*sort.order_by(source)).limit(limit + 1)
    ordered = [stmt.where(b) for b in branches]
    if dialect == "postgresql":
        # Each branch sorted and limited on its own: PostgreSQL then reads each through its
        # index and merges them (Merge Append); it does not for a plain UNION ALL.
        ordered = [
            q.order_by(*sort.order_by(source)).limit(limit + 1).subquery().select() for q in ordered
        ]
    # SQLite merges a compound SELECT's branches in index order and stops at the limit
    # ("MERGE (UNION ALL)"), so a branch holding no row of the page costs an index probe.
    merged = union_all(*ordered)
    order = [k.ordered(merged.selected_columns[k.column]) for k in sort.keys]
    return merged.order_by(*order).limit(limit + 1)


def next_cursor(rows: Sequence[Any], sort: Sort, limit: int) -> str | None:
    """The cursor after the page's last row, or None when ``rows`` (limit + 1 fetched) shows
    there is no further page."""
    if len(rows) <= limit:
        return None
    return cursor_for_row(rows[limit - 1], sort)


def split_page(rows: Sequence[Any], sort: Sort, limit: int) -> tuple[list[Any], str | None]:
    """``(rows of the page, next cursor)`` from the ``limit + 1`` rows the query returned."""
    return list(rows[:limit]), next_cursor(rows, sort, limit)
