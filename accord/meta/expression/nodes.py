"""Syntax-tree nodes: small frozen dataclasses, hashable and comparable.

``pos`` (0-based offset of the token that produced the node) is excluded from equality so that
trees parsed from differently formatted sources compare equal.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class Number:
    value: Decimal
    pos: int = field(default=0, compare=False, repr=False)


@dataclass(frozen=True)
class String:
    value: str
    pos: int = field(default=0, compare=False, repr=False)


@dataclass(frozen=True)
class Boolean:
    value: bool
    pos: int = field(default=0, compare=False, repr=False)


@dataclass(frozen=True)
class Null:
    pos: int = field(default=0, compare=False, repr=False)


@dataclass(frozen=True)
class FieldRef:
    """A field, or a path across lookups: ``customer.industry`` → ("customer", "industry")."""

    path: tuple[str, ...]
    pos: int = field(default=0, compare=False, repr=False)


@dataclass(frozen=True)
class Unary:
    op: str  # "-" or "not"
    operand: Expr
    pos: int = field(default=0, compare=False, repr=False)


@dataclass(frozen=True)
class Binary:
    # Canonical operators: + - * / % & = != < <= > >= and or
    op: str
    left: Expr
    right: Expr
    pos: int = field(default=0, compare=False, repr=False)


@dataclass(frozen=True)
class Call:
    name: str  # upper case: function names are case-insensitive
    args: tuple[Expr, ...]
    pos: int = field(default=0, compare=False, repr=False)


Expr = Number | String | Boolean | Null | FieldRef | Unary | Binary | Call

ARITHMETIC_OPS = frozenset({"+", "-", "*", "/", "%"})
COMPARISON_OPS = frozenset({"=", "!=", "<", "<=", ">", ">="})
LOGICAL_OPS = frozenset({"and", "or"})
BINARY_OPS = ARITHMETIC_OPS | COMPARISON_OPS | LOGICAL_OPS | {"&"}
UNARY_OPS = frozenset({"-", "not"})


def children(expr: Expr) -> tuple[Expr, ...]:
    if isinstance(expr, Unary):
        return (expr.operand,)
    if isinstance(expr, Binary):
        return (expr.left, expr.right)
    if isinstance(expr, Call):
        return expr.args
    return ()


def walk(expr: Expr) -> Iterator[Expr]:
    """Every node, parents first. Iterative, so hand-built deep trees cannot exhaust the stack."""
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(children(node)))


def depth(expr: Expr) -> int:
    """Height of the tree (a leaf has depth 1), computed without recursion."""
    best = 0
    stack = [(expr, 1)]
    while stack:
        node, level = stack.pop()
        best = max(best, level)
        stack.extend((child, level + 1) for child in children(node))
    return best
