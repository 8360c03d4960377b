"""Checked filter → SQLAlchemy boolean expression (plus the LEFT JOINs its paths need).

Every leaf compiles to a two-valued expression: a positive operator is ``present AND compare``
(``present`` is false for SQL NULL, and for ``''`` / empty arrays / no links), and a negative one
(``ne``, ``not_in``, ``not_contains``, ``has_none``) is ``NOT`` of its positive twin. So no leaf
is ever SQL NULL, ``not`` means what it means in Python, and ``predicate`` can mirror it exactly.

Paths across references read the related row through a LEFT OUTER JOIN, one alias per distinct
path prefix (``joins=True``, the default), or through correlated scalar subqueries
(``joins=False``: for a WHERE clause that must stand alone, e.g. inside an UPDATE). Both give a
missing reference NULL values; soft-deleted related rows are still read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, localcontext
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    FromClause,
    Integer,
    Select,
    SmallInteger,
    and_,
    column,
    exists,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    table,
    true,
)

from accord.core.context import Actor
from accord.core.errors import FieldError, Invalid
from accord.db.types import ExactDecimal, IdType
from accord.meta.operators import RELATIVE_DATE_OPS
from accord.query import dialect as d
from accord.query.ast import ME, And, Leaf, Node, Not
from accord.query.dates import relative_bounds
from accord.query.parse import CheckedFilter
from accord.query.paths import FieldRef, Hop, RegistryLike
from accord.query.values import ascii_lower

# A negative operator is the negation of its positive twin (so it is true for empty values).
NEGATIVE = {"ne": "eq", "not_in": "in", "not_contains": "contains", "has_none": "has_any"}


@dataclass(frozen=True)
class SqlFilter:
    """``clause`` to put in WHERE, valid over ``from_`` (the root table and its joins)."""

    clause: ColumnElement[bool]
    from_: FromClause


def compile_sql(
    checked: CheckedFilter,
    reg: RegistryLike,
    *,
    actor: Actor | None,
    now: datetime,
    tz: str | None = None,
    root: FromClause | None = None,
    joins: bool = True,
) -> SqlFilter:
    """Compile ``checked``. ``tz`` defaults to the actor's time zone (relative dates); ``now``
    comes from the caller's clock. ``root`` may be an alias of the object's table."""
    base = root if root is not None else reg.table(checked.object)
    cols: _Columns = _Joins(reg, base) if joins else _Subqueries(reg, base)
    env = _Env(actor=actor, now=now, tz=tz or (actor.timezone if actor else "UTC"))
    clause = true() if checked.node is None else _node(checked.node, checked, cols, env)
    return SqlFilter(clause=clause, from_=cols.from_)


def apply_filter(stmt: Select[Any], flt: SqlFilter) -> Select[Any]:
    """``stmt`` restricted by ``flt`` (its joins added as the FROM of the root table)."""
    if flt.from_ is not None:
        stmt = stmt.select_from(flt.from_)
    return stmt.where(flt.clause)


# --- reading columns across references -------------------------------------------------------


class _Columns:
    from_: FromClause

    def value(self, hops: tuple[Hop, ...], name: str) -> ColumnElement[Any]:
        raise NotImplementedError

    def owner_id(self, hops: tuple[Hop, ...]) -> ColumnElement[Any]:
        """The id of the record holding a field (NULL when a reference on the way is empty)."""
        raise NotImplementedError


class _Joins(_Columns):
    def __init__(self, reg: RegistryLike, base: FromClause) -> None:
        self.reg, self.base, self.from_ = reg, base, base
        self.aliases: dict[tuple[str, ...], FromClause] = {}

    def _owner(self, hops: tuple[Hop, ...]) -> FromClause:
        parent = self.base
        for i, hop in enumerate(hops):
            prefix = tuple(h.field for h in hops[: i + 1])
            alias = self.aliases.get(prefix)
            if alias is None:
                alias = self.reg.table(hop.target).alias()  # anonymous: unique in any statement
                self.from_ = self.from_.outerjoin(alias, alias.c.id == parent.c[hop.column])
                self.aliases[prefix] = alias
            parent = alias
        return parent

    def value(self, hops: tuple[Hop, ...], name: str) -> ColumnElement[Any]:
        return self._owner(hops).c[name]

    def owner_id(self, hops: tuple[Hop, ...]) -> ColumnElement[Any]:
        return self._owner(hops).c.id


class _Subqueries(_Columns):
    def __init__(self, reg: RegistryLike, base: FromClause) -> None:
        self.reg, self.base, self.from_ = reg, base, base

    def value(self, hops: tuple[Hop, ...], name: str) -> ColumnElement[Any]:
        if not hops:
            return self.base.c[name]
        aliases = [self.reg.table(h.target).alias() for h in hops]
        src: FromClause = aliases[0]
        for i in range(1, len(hops)):
            src = src.join(aliases[i], aliases[i].c.id == aliases[i - 1].c[hops[i].column])
        q = select(aliases[-1].c[name]).select_from(src)
        q = q.where(aliases[0].c.id == self.base.c[hops[0].column])
        return q.scalar_subquery()

    def owner_id(self, hops: tuple[Hop, ...]) -> ColumnElement[Any]:
        if not hops:
            return self.base.c.id
        # References are foreign keys: a non-null reference names an existing row.
        return self.value(hops[:-1], hops[-1].column)


# --- the tree --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Env:
    actor: Actor | None
    now: datetime
    tz: str

    def me(self) -> str:
        return me_id(self.actor)


def me_id(actor: Actor | None) -> str:
    """What ``"$me"`` stands for."""
    if actor is None:
        raise Invalid(
            "INVALID_FILTER",
            '"$me" needs an acting user.',
            errors=[FieldError("filter", "INVALID_VALUE", '"$me" needs an acting user')],
        )
    return actor.id.lower()


def _node(node: Node, checked: CheckedFilter, cols: _Columns, env: _Env) -> ColumnElement[bool]:
    if isinstance(node, Leaf):
        return leaf_sql(node, checked.fields[node.path], cols, env)
    if isinstance(node, Not):
        return not_(_node(node.item, checked, cols, env))
    parts = [_node(n, checked, cols, env) for n in node.items]
    if isinstance(node, And):
        return and_(true(), *parts) if parts else true()
    return or_(false(), *parts) if parts else false()


def leaf_sql(leaf: Leaf, ref: FieldRef, cols: _Columns, env: _Env) -> ColumnElement[bool]:
    op, value = leaf.op, _me(leaf.value, env)
    if ref.kind == "link":
        return _link(ref, op, value, cols)
    assert ref.column is not None
    col = cols.value(ref.hops, ref.column)
    present = _present(ref.kind, col)
    if op == "is_null":
        return not_(present)
    if op == "is_not_null":
        return present
    if op in NEGATIVE:
        return not_(and_(present, _compare(NEGATIVE[op], ref, col, value, env)))
    return and_(present, _compare(op, ref, col, value, env))


def _me(value: Any, env: _Env) -> Any:
    if value is ME:
        return env.me()
    if isinstance(value, tuple):
        return tuple(_me(v, env) for v in value)
    return value


def _present(kind: str, col: ColumnElement[Any]) -> ColumnElement[bool]:
    if kind == "text":
        return and_(col.is_not(None), col != "")
    if kind == "array":
        return d.array_present(col)
    if kind == "json":
        return d.json_present(col)
    return col.is_not(None)


def _compare(
    op: str, ref: FieldRef, col: ColumnElement[Any], value: Any, env: _Env
) -> ColumnElement[bool]:
    """The comparison for a present value (never NULL then)."""
    kind = ref.kind
    if op in RELATIVE_DATE_OPS:
        b = relative_bounds(op, value, kind, now=env.now, tz=env.tz)
        if b.empty:
            return false()
        parts = []
        if b.lo is not None:
            parts.append(col >= b.lo)
        if b.hi is not None:
            parts.append(col <= b.hi if b.hi_inclusive else col < b.hi)
        return and_(true(), *parts)
    if op in ("contains", "starts_with", "ends_with"):
        text = _escape_like(ascii_lower(value))
        pattern = {"contains": f"%{text}%", "starts_with": f"{text}%", "ends_with": f"%{text}"}[op]
        return d.ascii_lower(col).like(pattern, escape="/")
    if op == "has_any":
        return d.array_has_any(col, *[d.text_literal(v) for v in value])
    if op == "has_all":
        return d.array_has_all(col, *[d.text_literal(v) for v in value])
    if kind in ("integer", "decimal"):
        return _numeric(op, kind, col, value)
    target = col
    if op == "eq":
        return col == value
    if op == "in":
        return col.in_(list(value))
    if op == "between":
        return and_(target >= value[0], target <= value[1])
    return {"gt": target > value, "gte": target >= value, "lt": target < value,
            "lte": target <= value}[op]  # fmt: skip


def _escape_like(text: str) -> str:
    return text.replace("/", "//").replace("%", "/%").replace("_", "/_")


# --- numbers: exact, and never a bind the engine cannot hold --------------------------------


def _domain(kind: str, col: ColumnElement[Any]) -> tuple[Decimal, Decimal, Decimal] | None:
    """(lowest, highest, step) of the values the column can hold, when known."""
    t = col.type
    if isinstance(t, ExactDecimal):
        step = Decimal(1).scaleb(-t.scale)
        top = Decimal(10) ** (t.precision - t.scale) - step
        return -top, top, step
    if kind == "integer":
        # The narrowest engine decides what can be stored (PostgreSQL INTEGER is 32-bit), and a
        # bind outside the column's range is an error there, not an empty answer.
        bits = 64
        if isinstance(t, SmallInteger):
            bits = 16
        elif isinstance(t, Integer) and not isinstance(t, BigInteger):
            bits = 32
        return Decimal(-(2 ** (bits - 1))), Decimal(2 ** (bits - 1) - 1), Decimal(1)
    return None


def _numeric(op: str, kind: str, col: ColumnElement[Any], value: Any) -> ColumnElement[bool]:
    with localcontext(prec=200):  # operands are bounded (values.py): every step below is exact
        return _numeric_exact(op, kind, col, value)


def _numeric_exact(op: str, kind: str, col: ColumnElement[Any], value: Any) -> ColumnElement[bool]:
    dom = _domain(kind, col)
    if op == "in":
        keep = [v for v in value if dom is None or _fits(dom, Decimal(v))]
        return col.in_(keep) if keep else false()
    if op == "between":
        return and_(_numeric_exact("gte", kind, col, value[0]),
                    _numeric_exact("lte", kind, col, value[1]))  # fmt: skip
    if dom is not None:
        lo, hi, step = dom
        v = Decimal(value)
        if v > hi:
            return true() if op in ("lt", "lte") else false()
        if v < lo:
            return true() if op in ("gt", "gte") else false()
        if v % step != 0:
            # Stored values are multiples of ``step``: compare with the neighbour that is one,
            # so the bind is exact on SQLite's scaled integers too.
            if op == "eq":
                return false()
            if op in ("gt", "gte"):
                return col >= v.quantize(step, rounding=ROUND_CEILING)
            return col <= v.quantize(step, rounding=ROUND_FLOOR)
    return {"eq": col == value, "gt": col > value, "gte": col >= value, "lt": col < value,
            "lte": col <= value}[op]  # fmt: skip


def _fits(dom: tuple[Decimal, Decimal, Decimal], x: Decimal) -> bool:
    lo, hi, step = dom
    return lo <= x <= hi and x % step == 0


# --- many-to-many ----------------------------------------------------------------------------


def _link(ref: FieldRef, op: str, value: Any, cols: _Columns) -> ColumnElement[bool]:
    assert ref.link_table is not None
    link = table(ref.link_table, column("record_id", IdType), column("target_id", IdType))
    mine = link.c.record_id == cols.owner_id(ref.hops)
    if op in ("is_null", "is_not_null"):
        some = exists(select(literal(1)).select_from(link).where(mine))
        return some if op == "is_not_null" else not_(some)
    ids: Sequence[str] = list(value)
    any_ = exists(select(literal(1)).select_from(link).where(mine, link.c.target_id.in_(ids)))
    if op == "has_any":
        return any_
    if op == "has_none":
        return not_(any_)
    found = (
        select(func.count(link.c.target_id.distinct()))
        .where(mine, link.c.target_id.in_(ids))
        .scalar_subquery()
    )
    return found == len(ids)
