"""Compiled list pages, reused while a user pages through the same list.

Paging through a list view repeats one request with only the cursor changing. Building its
SELECT (filter → SQL, keyset clause, columns) and running it through SQLAlchemy (cache key,
execution context, result metadata) costs more than the database's own work for 50 rows
(benchmarks/README.md). A ``PagePlan`` is that SELECT compiled once, with the cursor's sort-key
values as its only free parameters, run on the DBAPI cursor of the unit of work's connection.

Plans are keyed by everything that shapes the SQL or its fixed values: metadata version, object,
the filter exactly as given (values included), the acting user and the organisation version
(``$me`` and the permission scope), sort, field selection, deleted flag, limit, and which
cursor values are NULL (that changes the keyset clause). Filters with relative dates depend on
the clock, so their plans are used once and not kept.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import CompoundSelect, Connection, Dialect, Select, bindparam

from accord.query import Sort
from accord.records.codec import ObjectCodec

MAX_PLANS = 256  # per object and metadata version (the codec's lifetime)
SLOT = "_after_"  # bind names of the cursor's sort-key values


def filter_key(filter: Any) -> str | None:
    """The filter as a cache key (None: a filter that is not plain JSON is not cached)."""
    if filter is None:
        return ""
    try:
        return json.dumps(filter, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError):
        return None


def placeholders(sort: Sort, source: Any, after: Sequence[Any] | None) -> list[Any] | None:
    """Bind placeholders for the cursor values (None stays None: it shapes the SQL)."""
    if after is None:
        return None
    return [
        None if v is None else bindparam(f"{SLOT}{i}", None, type_=source.c[k.column].type)
        for i, (k, v) in enumerate(zip(sort.keys, after, strict=True))
    ]


class PagePlan:
    """``stmt`` compiled for ``dialect``; the cursor's values are bound per execution."""

    def __init__(self, stmt: Select[Any] | CompoundSelect[Any], dialect: Dialect) -> None:
        compiled = stmt.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
        self.sql = compiled.string
        self.positional = compiled.positional
        names = list(compiled.positiontup or []) if compiled.positional else list(compiled.params)
        escaped = compiled.escaped_bind_names or {}
        params = compiled.params
        # (name as the driver sees it, fixed processed value | cursor slot, slot's processor)
        self.binds: list[tuple[str, Any, int | None, Callable[[Any], Any] | None]] = []
        for name in names:
            bind = compiled.binds.get(name)
            if bind is None:  # one value of an expanded IN (…): typed as its list
                bind = compiled.binds[name.rsplit("_", 1)[0]]
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            slot = int(name[len(SLOT) :]) if name.startswith(SLOT) else None
            value = params[name]
            if slot is None and process is not None and value is not None:
                value = process(value)
            self.binds.append((escaped.get(name, name), value, slot, process))
        self.keys = tuple(c.key for c in stmt.selected_columns)
        self.coltypes: list[Any] | None = None  # the driver's type codes, from the first run

    def _params(self, after: Sequence[Any] | None) -> Any:
        values = []
        for _, value, slot, process in self.binds:
            if slot is not None:
                assert after is not None
                value = after[slot]
                if process is not None:
                    value = process(value)
            values.append(value)
        if self.positional:
            return tuple(values)
        return {name: v for (name, *_), v in zip(self.binds, values, strict=True)}

    def rows(self, conn: Connection, after: Sequence[Any] | None) -> list[tuple[Any, ...]]:
        """The page's rows as the driver returns them (values in the order of ``keys``), in the
        connection's current transaction."""
        cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cur.execute(self.sql, self._params(after))
            if self.coltypes is None:
                self.coltypes = [d[1] for d in cur.description]
            return cur.fetchall()  # type: ignore[no-any-return]
        finally:
            cur.close()


def cached(c: ObjectCodec, key: tuple[Any, ...]) -> PagePlan | None:
    return c.plans.setdefault("pages", {}).get(key)  # type: ignore[no-any-return]


def keep(c: ObjectCodec, key: tuple[Any, ...], plan: PagePlan) -> None:
    pages: dict[tuple[Any, ...], PagePlan] = c.plans.setdefault("pages", {})
    if len(pages) >= MAX_PLANS:  # keys are client-chosen: bound the cache
        pages.clear()
    pages[key] = plan
