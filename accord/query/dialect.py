"""The few places where SQLite and PostgreSQL need different SQL for the same meaning.

Each is a small SQLAlchemy construct compiled per dialect (``@compiles``), so the filter compiler
builds one expression tree and the statement renders correctly on whichever engine runs it.
Every construct here is two-valued (never NULL) unless documented otherwise.

=====================  =========================================  ==============================
construct              SQLite                                     PostgreSQL
=====================  =========================================  ==============================
ascii_lower(x)         lower(x)  (ASCII-only without ICU)          translate(x, 'A..Z', 'a..z')
binary_text(x)         x  (BINARY collation = code points)         x COLLATE "C"
array_present(c)       json_type = 'array' and length > 0          jsonb_typeof = 'array', ≠ '[]'
array_has_any(c, vs)   EXISTS json_each(c) … value IN vs           c ?| vs
array_has_all(c, vs)   count(DISTINCT value IN vs) = len(vs)       c ?& vs
json_present(c)        not SQL/JSON null, "", [] or {}             same, on jsonb
=====================  =========================================  ==============================

Array elements are matched only when they are JSON strings (``type = 'text'`` on SQLite; ``?|``
only sees string elements on PostgreSQL); the predicate does the same.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    String,
    Text,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import array as pg_array
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LOWER = "abcdefghijklmnopqrstuvwxyz"


class ascii_lower(FunctionElement[str]):
    """Lower-cases A–Z only, identically on both engines (and like ``values.ascii_lower``)."""

    type = String()
    name = "ascii_lower"
    inherit_cache = True


class binary_text(FunctionElement[str]):
    """Text compared and ordered by code point (Python's ``str`` order) on both engines."""

    type = String()
    name = "binary_text"
    inherit_cache = True


class array_present(FunctionElement[bool]):
    """True when the JSON column holds a non-empty array."""

    type = Boolean()
    name = "array_present"
    inherit_cache = True


class array_has_any(FunctionElement[bool]):
    """``array_has_any(col, v1, v2, …)``: some string element equals some ``v``."""

    type = Boolean()
    name = "array_has_any"
    inherit_cache = True


class array_has_all(FunctionElement[bool]):
    """``array_has_all(col, v1, v2, …)``: every (distinct) ``v`` is a string element."""

    type = Boolean()
    name = "array_has_all"
    inherit_cache = True


class json_present(FunctionElement[bool]):
    """True unless the JSON column is SQL NULL, JSON null, ``""``, ``[]`` or ``{}``."""

    type = Boolean()
    name = "json_present"
    inherit_cache = True


def _args(element: FunctionElement[Any]) -> list[Any]:
    return list(element.clauses)


# --- SQLite (the default) -------------------------------------------------------------------


@compiles(ascii_lower)
def _ascii_lower_default(element: ascii_lower, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(func.lower(*_args(element)), **kw)


@compiles(binary_text)
def _binary_text_default(element: binary_text, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(_args(element)[0], **kw)


def _json_each(col: Any) -> Any:
    return func.json_each(col).table_valued("value", "type")


@compiles(array_present)
def _array_present_default(element: array_present, compiler: SQLCompiler, **kw: Any) -> str:
    (col,) = _args(element)
    expr = func.coalesce(
        and_(func.json_type(col) == "array", func.json_array_length(col) > 0), false()
    )
    return compiler.process(expr, **kw)


@compiles(array_has_any)
def _array_has_any_default(element: array_has_any, compiler: SQLCompiler, **kw: Any) -> str:
    col, *values = _args(element)
    each = _json_each(col)
    expr = exists(
        select(literal(1)).select_from(each).where(each.c.type == "text", each.c.value.in_(values))
    )
    return compiler.process(expr, **kw)


@compiles(array_has_all)
def _array_has_all_default(element: array_has_all, compiler: SQLCompiler, **kw: Any) -> str:
    col, *values = _args(element)
    each = _json_each(col)
    found = (
        select(func.count(each.c.value.distinct()))
        .select_from(each)
        .where(each.c.type == "text", each.c.value.in_(values))
        .scalar_subquery()
    )
    return compiler.process(found == len(values), **kw)


@compiles(json_present)
def _json_present_default(element: json_present, compiler: SQLCompiler, **kw: Any) -> str:
    (col,) = _args(element)
    kind = func.json_type(col)
    each = _json_each(col)
    expr = case(
        (kind == "array", func.json_array_length(col) > 0),
        (kind == "object", exists(select(literal(1)).select_from(each))),
        (kind == "text", func.json_extract(col, "$") != ""),
        (kind == "null", false()),
        else_=col.is_not(None),
    )
    return compiler.process(expr, **kw)


# --- PostgreSQL -----------------------------------------------------------------------------


@compiles(ascii_lower, "postgresql")
def _ascii_lower_pg(element: ascii_lower, compiler: SQLCompiler, **kw: Any) -> str:
    (arg,) = _args(element)
    return compiler.process(func.translate(arg, _UPPER, _LOWER), **kw)


@compiles(binary_text, "postgresql")
def _binary_text_pg(element: binary_text, compiler: SQLCompiler, **kw: Any) -> str:
    (arg,) = _args(element)
    return compiler.process(arg.collate("C"), **kw)


def _pg_text(col: Any) -> Any:
    return cast(col, Text)


def _pg_text_array(values: list[Any]) -> Any:
    return cast(pg_array(values), ARRAY(Text))


@compiles(array_present, "postgresql")
def _array_present_pg(element: array_present, compiler: SQLCompiler, **kw: Any) -> str:
    (col,) = _args(element)
    expr = func.coalesce(and_(func.jsonb_typeof(col) == "array", _pg_text(col) != "[]"), false())
    return compiler.process(expr, **kw)


@compiles(array_has_any, "postgresql")
def _array_has_any_pg(element: array_has_any, compiler: SQLCompiler, **kw: Any) -> str:
    col, *values = _args(element)
    expr = func.coalesce(col.op("?|", return_type=Boolean)(_pg_text_array(values)), false())
    return compiler.process(expr, **kw)


@compiles(array_has_all, "postgresql")
def _array_has_all_pg(element: array_has_all, compiler: SQLCompiler, **kw: Any) -> str:
    col, *values = _args(element)
    expr = func.coalesce(col.op("?&", return_type=Boolean)(_pg_text_array(values)), false())
    return compiler.process(expr, **kw)


@compiles(json_present, "postgresql")
def _json_present_pg(element: json_present, compiler: SQLCompiler, **kw: Any) -> str:
    (col,) = _args(element)
    expr = func.coalesce(
        and_(
            func.jsonb_typeof(col) != "null",
            _pg_text(col).not_in(["[]", "{}", '""']),
        ),
        false(),
    )
    return compiler.process(expr, **kw)


def text_literal(value: str) -> ColumnElement[str]:
    """A bound text value (for building the ``values`` of the array constructs)."""
    return literal(value, String())
