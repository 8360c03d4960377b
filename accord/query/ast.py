"""The filter tree after parsing: frozen, hashable, JSON-free.

``parse.parse_filter`` builds it from the JSON condition tree; ``sql`` and ``predicate`` compile
it. A ``Leaf`` holds the canonical path string (``customer.industry``), the operator and the
*coerced* operand (a ``Decimal``, a ``date``, a tuple for list operands, ``ME`` for ``"$me"``,
``None`` for operators without operand). Resolved field information lives beside the tree in
``CheckedFilter.fields``, keyed by the same path string.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, Final


class _Me:
    """The ``"$me"`` operand: replaced by the acting user's id when the filter is compiled."""

    _instance: _Me | None = None

    def __new__(cls) -> _Me:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ME"


ME: Final = _Me()
ME_TOKEN: Final = "$me"


@dataclass(frozen=True)
class Leaf:
    path: str
    op: str
    value: Any = None


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    item: Node


Node = Leaf | And | Or | Not


def leaves(node: Node) -> list[Leaf]:
    """Every leaf of ``node`` in document order."""
    out: list[Leaf] = []
    stack: list[Node] = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Leaf):
            out.append(n)
        elif isinstance(n, Not):
            stack.append(n.item)
        else:
            stack.extend(reversed(n.items))
    return out


def operand_to_json(value: Any) -> Any:
    """A coerced operand back in its JSON form (for storing a normalised filter)."""
    if value is ME:
        return ME_TOKEN
    if isinstance(value, tuple | list):
        return [operand_to_json(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date | time):
        return value.isoformat()
    return value


def to_json(node: Node) -> dict[str, Any]:
    """The JSON condition tree of ``node`` (round-trips through ``parse_filter``)."""
    if isinstance(node, Leaf):
        out: dict[str, Any] = {"field": node.path, "op": node.op}
        if node.value is not None:
            out["value"] = operand_to_json(node.value)
        return out
    if isinstance(node, Not):
        return {"not": to_json(node.item)}
    key = "and" if isinstance(node, And) else "or"
    return {key: [to_json(i) for i in node.items]}
