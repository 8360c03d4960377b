"""Checked filter → Python predicate with exactly the SQL semantics of ``sql.py``.

The predicate takes a *resolver*: a function from a canonical path (``("customer",
"industry")``, ``("amount", "currency")``, ``("tags",)``) to the value stored there — the
canonical value a field type's ``from_columns`` produces, the subfield's value for a subfield,
the list of target ids for a many-to-many field, and ``None`` when a reference on the way is
empty. ``record_resolver`` builds one from canonical record mappings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from accord.core.context import Actor
from accord.meta.operators import RELATIVE_DATE_OPS
from accord.query.ast import ME, And, Leaf, Node, Not
from accord.query.dates import relative_bounds
from accord.query.parse import CheckedFilter
from accord.query.paths import FieldRef
from accord.query.sql import NEGATIVE, me_id
from accord.query.values import ascii_lower, stored

Resolver = Callable[[tuple[str, ...]], Any]
Predicate = Callable[[Resolver], bool]
Fetch = Callable[[str, str], Mapping[str, Any] | None]


def compile_predicate(
    checked: CheckedFilter, *, actor: Actor | None, now: datetime, tz: str | None = None
) -> Predicate:
    """A function ``resolver -> bool`` agreeing with ``compile_sql`` on every record."""
    if checked.node is None:
        return lambda _resolve: True
    zone = tz or (actor.timezone if actor else "UTC")
    return _node(checked.node, checked, now, zone, actor)


def _node(
    node: Node, checked: CheckedFilter, now: datetime, tz: str, me: Actor | None
) -> Predicate:
    if isinstance(node, Leaf):
        return _leaf(node, checked.fields[node.path], now, tz, me)
    if isinstance(node, Not):
        inner = _node(node.item, checked, now, tz, me)
        return lambda r: not inner(r)
    parts = [_node(n, checked, now, tz, me) for n in node.items]
    if isinstance(node, And):
        return lambda r: all(p(r) for p in parts)
    return lambda r: any(p(r) for p in parts)


def present(kind: str, v: Any) -> bool:
    """Whether a (``stored``-normalised) value counts as present; the SQL twin is
    ``sql._present``."""
    if v is None:
        return False
    if kind == "text":
        return v != ""
    if kind in ("array", "link"):
        return len(v) > 0
    if kind == "json":
        return not (isinstance(v, str | list | dict) and len(v) == 0)
    return True


def _leaf(leaf: Leaf, ref: FieldRef, now: datetime, tz: str, me: Actor | None) -> Predicate:
    path, kind, op = ref.path, ref.kind, leaf.op
    value = _me(leaf.value, me)
    if op == "is_null":
        return lambda r: not present(kind, stored(kind, r(path)))
    if op == "is_not_null":
        return lambda r: present(kind, stored(kind, r(path)))
    negate = op in NEGATIVE
    test = _compare(NEGATIVE.get(op, op), kind, value, now, tz)

    def check(r: Resolver) -> bool:
        v = stored(kind, r(path))
        hit = present(kind, v) and test(v)
        return not hit if negate else hit

    return check


def _me(value: Any, me: Actor | None) -> Any:
    if value is ME:
        return me_id(me)
    if isinstance(value, tuple):
        return tuple(_me(v, me) for v in value)
    return value


def _compare(op: str, kind: str, x: Any, now: datetime, tz: str) -> Callable[[Any], bool]:
    """The comparison for a present value."""
    if op in RELATIVE_DATE_OPS:
        bounds = relative_bounds(op, x, kind, now=now, tz=tz)
        return bounds.contains
    if op in ("contains", "starts_with", "ends_with"):
        needle = ascii_lower(x)
        if op == "contains":
            return lambda v: needle in ascii_lower(v)
        if op == "starts_with":
            return lambda v: ascii_lower(v).startswith(needle)
        return lambda v: ascii_lower(v).endswith(needle)
    if op in ("has_any", "has_all"):
        wanted = set(x)
        if kind == "link":
            elements: Callable[[Any], set[Any]] = set
        else:  # only string elements match, as in dialect.array_has_*
            elements = lambda v: {e for e in v if isinstance(e, str)}  # noqa: E731
        if op == "has_any":
            return lambda v: not wanted.isdisjoint(elements(v))
        return lambda v: wanted <= elements(v)
    if op == "eq":
        return lambda v: bool(v == x)
    if op == "in":
        options = set(x)
        return lambda v: v in options
    if op == "between":
        lo, hi = x
        return lambda v: bool(lo <= v <= hi)
    compare: dict[str, Callable[[Any], bool]] = {
        "gt": lambda v: bool(v > x),
        "gte": lambda v: bool(v >= x),
        "lt": lambda v: bool(v < x),
        "lte": lambda v: bool(v <= x),
    }
    return compare[op]


def record_resolver(
    checked: CheckedFilter, record: Mapping[str, Any], fetch: Fetch | None = None
) -> Resolver:
    """A resolver over canonical records: ``record`` maps field names (and system fields) to
    canonical values; ``fetch(object, id)`` returns a related record (or None). Fetches are
    memoised for the life of the resolver."""
    refs = {ref.path: ref for ref in checked.fields.values()}
    cache: dict[tuple[str, str], Mapping[str, Any] | None] = {}

    def related(obj: str, rid: str) -> Mapping[str, Any] | None:
        if (obj, rid) not in cache:
            cache[(obj, rid)] = fetch(obj, rid) if fetch is not None else None
        return cache[(obj, rid)]

    def resolve(path: tuple[str, ...]) -> Any:
        ref = refs[path]
        current: Mapping[str, Any] | None = record
        for hop in ref.hops:
            assert current is not None
            rid = current.get(hop.field)
            if isinstance(rid, Mapping):  # a reference rendered as {"id": …, "title": …}
                rid = rid.get("id")
            if rid is None:
                return None
            current = related(hop.target, str(rid).lower())
            if current is None:
                return None
        value = current.get(ref.name)
        if ref.subfield is not None and value is not None:
            if isinstance(value, Mapping):
                return value.get(ref.subfield)
            return getattr(value, ref.subfield, None)
        return value

    return resolve
