"""Opaque keyset cursors and the WHERE clause that resumes after one.

A cursor is the URL-safe base64 of ``{"v": 1, "s": <sort signature>, "k": [values of the last
row's sort keys, id last], "h": <check>}``. ``h`` is a short SHA-256 over the rest: it catches
edited or truncated cursors (it is not a secret; a forged cursor only positions a page, and the
caller's filter and permission clauses still apply). A cursor made for another sort, a bad
encoding or a value of the wrong type is ``Invalid("INVALID_CURSOR")``.

The resume clause is the lexicographic "after" over the sort keys with NULL as the greatest
value (ascending NULLS LAST / descending NULLS FIRST). When every key is a non-null, non-text
column in one direction (``id``, ``created_at,id``, ``-updated_at,id`` …) it is a row-value
comparison ``(a, id) > (:a, :id)`` that both engines answer from an index on ``(a, id)``, so
page N costs what page 1 costs. Otherwise it is the expanded OR form with a leading range on the
first key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, FromClause, and_, false, literal, or_, tuple_

from accord.core.errors import FieldError, Invalid
from accord.query.sort import Sort, SortKey
from accord.query.values import OperandError, to_kind

CURSOR_VERSION = 1
MAX_CURSOR_CHARS = 8_192


def _invalid(message: str) -> Invalid:
    return Invalid(
        "INVALID_CURSOR",
        "The cursor is not valid for this list.",
        errors=[FieldError("cursor", "INVALID_CURSOR", message)],
    )


def _check(version: int, signature: str, keys: list[Any]) -> str:
    body = json.dumps([version, signature, keys], separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def _to_json(v: Any) -> Any:
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, datetime):
        return v.isoformat()
    if isinstance(v, date | time):
        return v.isoformat()
    if isinstance(v, bool | int | str) or v is None:
        return v
    return str(v)  # e.g. uuid.UUID


def encode_cursor(sort: Sort, values: Sequence[Any]) -> str:
    """The cursor positioned after a row whose sort-key values are ``values``."""
    keys = [_to_json(v) for v in values]
    payload = {"v": CURSOR_VERSION, "s": sort.signature, "k": keys}
    payload["h"] = _check(CURSOR_VERSION, sort.signature, keys)
    raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: Any, sort: Sort) -> tuple[Any, ...]:
    """The sort-key values a cursor carries, typed for the keys of ``sort``."""
    if not isinstance(token, str) or not token or len(token) > MAX_CURSOR_CHARS:
        raise _invalid("malformed cursor")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, RecursionError):
        raise _invalid("malformed cursor") from None
    if not isinstance(payload, dict) or set(payload) != {"v", "s", "k", "h"}:
        raise _invalid("malformed cursor")
    version, signature, keys = payload["v"], payload["s"], payload["k"]
    if version != CURSOR_VERSION or isinstance(version, bool):
        raise _invalid("cursor from another version")
    if not isinstance(signature, str) or not isinstance(keys, list):
        raise _invalid("malformed cursor")
    if payload["h"] != _check(CURSOR_VERSION, signature, keys):
        raise _invalid("the cursor was altered")
    if signature != sort.signature or len(keys) != len(sort.keys):
        raise _invalid("the cursor belongs to another sort")
    return tuple(_typed(k, v) for k, v in zip(sort.keys, keys, strict=True))


def _typed(key: SortKey, v: Any) -> Any:
    if v is None:
        if key.column == "id":
            raise _invalid("malformed cursor")
        return None
    if key.kind == "text" and not isinstance(v, str):
        raise _invalid("malformed cursor")
    if key.kind in ("integer", "boolean") and not isinstance(v, int):
        raise _invalid("malformed cursor")
    if key.kind not in ("text", "integer", "boolean") and not isinstance(v, str):
        raise _invalid("malformed cursor")
    try:
        return to_kind(key.kind, v)
    except OperandError:
        raise _invalid("malformed cursor") from None


def row_values(row: Any, sort: Sort) -> tuple[Any, ...]:
    """The sort-key values of a result row (a ``Row`` or a mapping keyed by column name)."""
    m = getattr(row, "_mapping", row)
    return tuple(m[k.column] for k in sort.keys)


def cursor_for_row(row: Any, sort: Sort) -> str:
    return encode_cursor(sort, row_values(row, sort))


def keyset_clause(sort: Sort, source: FromClause, values: Sequence[Any]) -> ColumnElement[bool]:
    """Rows strictly after the row whose sort-key values are ``values``. A value may be a
    ``bindparam`` placeholder (a compiled page reused with each cursor's values); the clause's
    shape depends only on which values are None."""
    cols = [source.c[k.column] for k in sort.keys]
    directions = {k.descending for k in sort.keys}
    simple = (
        len(directions) == 1
        and all(k.kind != "text" for k in sort.keys)
        and all(v is not None for v in values)
        and all(getattr(c, "nullable", True) is False or c.primary_key for c in cols)
    )
    if simple:
        row = tuple_(*cols)
        bound = tuple_(*values, types=[c.type for c in cols])  # type: ignore[call-arg]
        return row < bound if sort.keys[0].descending else row > bound
    branches: list[ColumnElement[bool]] = []
    equal: list[ColumnElement[bool]] = []
    # Bind through the column's type (exact decimals, UTC text on SQLite, booleans).
    values = [
        v if v is None or isinstance(v, BindParameter) else literal(v, c.type)
        for v, c in zip(values, cols, strict=True)
    ]
    for key, col, v in zip(sort.keys, cols, values, strict=True):
        expr = key.expression(source)
        branches.append(and_(*equal, _after(expr, col, v, key.descending)))
        equal.append(col.is_(None) if v is None else and_(col.is_not(None), expr == v))
    clause = or_(*branches)
    first = sort.keys[0]
    if values[0] is not None:  # a range on the first key the planner can use
        expr, col = first.expression(source), cols[0]
        lead = expr <= values[0] if first.descending else or_(expr >= values[0], col.is_(None))
        clause = and_(lead, clause)
    return clause


def _after(
    expr: ColumnElement[Any], col: ColumnElement[Any], v: Any, descending: bool
) -> ColumnElement[bool]:
    """``col`` strictly after ``v`` in one key's order (NULL greatest)."""
    if not descending:
        return false() if v is None else or_(and_(col.is_not(None), expr > v), col.is_(None))
    return col.is_not(None) if v is None else and_(col.is_not(None), expr < v)
