"""Sort specifications (``-created_at,name``): parsed, validated, always ending with ``id``.

Order is the same on both engines and in Python: text by code point (``COLLATE "C"`` on
PostgreSQL, SQLite's BINARY), NULL after every value ascending and before every value
descending (explicit ``NULLS LAST`` / ``NULLS FIRST``), ``id`` as the final tiebreaker (UUID text
order = byte order on both engines), so every sort is total and keyset pages are stable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import ColumnElement, FromClause
from sqlalchemy.sql.elements import UnaryExpression

from accord.core.errors import FieldError, Invalid
from accord.meta.operators import Kind
from accord.query.paths import PathError, RegistryLike, resolve_path

MAX_SORT_KEYS = 5  # besides the id tiebreaker
MAX_SORT_CHARS = 1_000


@dataclass(frozen=True)
class SortKey:
    path: str  # canonical, e.g. "amount.currency"
    column: str
    kind: Kind
    descending: bool = False

    @property
    def token(self) -> str:
        return ("-" if self.descending else "") + self.path

    def expression(self, source: FromClause) -> ColumnElement[Any]:
        """The column as compared and ordered (code-point order for text)."""
        col = source.c[self.column]
        return col

    def order_by(self, source: FromClause) -> UnaryExpression[Any]:
        return self.ordered(self.expression(source))

    def ordered(self, expr: ColumnElement[Any]) -> UnaryExpression[Any]:
        """``expr`` in this key's order (NULL greatest). A column that cannot be NULL gets no
        NULLS clause: SQLite reads an index in order only for its default (NULLs first
        ascending), and would sort again for ``id ASC NULLS LAST``."""
        if getattr(expr, "nullable", True) is False or getattr(expr, "primary_key", False):
            return expr.desc() if self.descending else expr.asc()
        return expr.desc().nulls_first() if self.descending else expr.asc().nulls_last()


@dataclass(frozen=True)
class Sort:
    keys: tuple[SortKey, ...]  # the last one is always id

    @property
    def signature(self) -> str:
        """The normalised spec; a cursor is valid only for the sort that made it."""
        return ",".join(k.token for k in self.keys)

    def order_by(self, source: FromClause) -> list[UnaryExpression[Any]]:
        return [k.order_by(source) for k in self.keys]


ID_KEY = SortKey("id", "id", "ref")


def invalid_sort(index: int | None, code: str, message: str) -> Invalid:
    loc = "sort" if index is None else f"sort[{index}]"
    return Invalid(
        "INVALID_SORT", "The sort is not valid.", errors=[FieldError(loc, code, message)]
    )


def parse_sort(spec: str | Sequence[str] | None, reg: RegistryLike, obj_name: str) -> Sort:
    """``"-created_at,name"`` (or a list of items) → ``Sort``; ``None``/``""`` sorts by id.

    Fields are of the object itself (no paths across references), stored and of a sortable kind
    (not arrays, links or JSON). Keys after ``id`` are dropped: ``id`` is unique.
    """
    if spec is None:
        items: list[Any] = []
    elif isinstance(spec, str):
        if len(spec) > MAX_SORT_CHARS:
            raise invalid_sort(None, "TOO_COMPLEX", "the sort is too long")
        items = [s.strip() for s in spec.split(",")] if spec.strip() else []
    elif isinstance(spec, list | tuple):
        items = list(spec)
    else:
        raise invalid_sort(None, "MALFORMED", "expected a comma-separated list of fields")
    keys: list[SortKey] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        if not isinstance(item, str) or not item.strip():
            raise invalid_sort(i, "MALFORMED", "expected a field name, optionally with -")
        item = item.strip()
        descending = item.startswith("-")
        path = item.lstrip("+-")
        try:
            ref = resolve_path(reg, obj_name, path)
        except PathError as exc:
            raise invalid_sort(i, "UNKNOWN_FIELD", exc.message) from None
        if ref.hops:
            raise invalid_sort(i, "NOT_SORTABLE", "sorting across references is not supported")
        if not ref.sortable or ref.column is None:
            raise invalid_sort(i, "NOT_SORTABLE", f"{path} cannot be sorted")
        if ref.key in seen:
            raise invalid_sort(i, "MALFORMED", f"{path} appears twice")
        seen.add(ref.key)
        keys.append(SortKey(ref.key, ref.column, ref.kind, descending))
        if ref.column == "id":
            break
        if len(keys) > MAX_SORT_KEYS:
            raise invalid_sort(i, "TOO_COMPLEX", f"sort by at most {MAX_SORT_KEYS} fields")
    if not keys or keys[-1].column != "id":
        # The tiebreaker runs the way of the last key, so "-created_at" is (created_at, id)
        # descending: one direction is what an index on (created_at, id) scanned backwards
        # gives, and what a row-value keyset comparison can resume.
        keys.append(replace(ID_KEY, descending=bool(keys) and keys[-1].descending))
    return Sort(tuple(keys))
