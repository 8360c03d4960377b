"""Syntax tree → canonical source text.

Canonical means: keywords and operators in one spelling (``and``, ``or``, ``not``, ``=``, ``!=``),
function names upper case, text in double quotes, numbers in plain notation, and only the
parentheses the precedence rules require. ``parse(to_source(e)) == e`` for any parsed ``e``.
"""

from __future__ import annotations

from decimal import Decimal

from accord.meta.expression.nodes import (
    Binary,
    Boolean,
    Call,
    Expr,
    FieldRef,
    Null,
    Number,
    String,
    Unary,
)
from accord.meta.expression.parser import ATOM_BP, BINARY_BP, COMPARE_BP, NOT_BP, UNARY_BP

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def to_source(expr: Expr) -> str:
    if isinstance(expr, Number):
        return _number(expr.value)
    if isinstance(expr, String):
        return _string(expr.value)
    if isinstance(expr, Boolean):
        return "true" if expr.value else "false"
    if isinstance(expr, Null):
        return "null"
    if isinstance(expr, FieldRef):
        return ".".join(expr.path)
    if isinstance(expr, Call):
        return f"{expr.name}({', '.join(to_source(arg) for arg in expr.args)})"
    if isinstance(expr, Unary):
        if expr.op == "-":
            return "-" + _wrap(expr.operand, _bp(expr.operand) < UNARY_BP)
        operand = to_source(expr.operand)
        if _bp(expr.operand) < NOT_BP or operand.startswith("("):
            # "not (" always reads as NOT(…), so the bracket must span the whole operand.
            return f"not ({operand})"
        return "not " + operand
    if isinstance(expr, Binary):
        bp = BINARY_BP[expr.op]
        # Left-associative, except comparisons which do not associate at all. A "not" under a
        # tighter operator gets brackets from its low binding power (the parser wants them).
        left_parens = _bp(expr.left) < bp or (bp == COMPARE_BP and _bp(expr.left) == bp)
        left = _wrap(expr.left, left_parens)
        right = _wrap(expr.right, _bp(expr.right) <= bp)
        return f"{left} {expr.op} {right}"
    raise TypeError(f"not an expression node: {expr!r}")


def _bp(expr: Expr) -> int:
    if isinstance(expr, Binary):
        return BINARY_BP[expr.op]
    if isinstance(expr, Unary):
        return UNARY_BP if expr.op == "-" else NOT_BP
    return ATOM_BP


def _wrap(expr: Expr, parens: bool) -> str:
    text = to_source(expr)
    return f"({text})" if parens else text


def _number(value: Decimal) -> str:
    text = format(value, "f")
    return f"({text})" if text.startswith("-") else text  # only hand-built trees hold negatives


def _string(value: str) -> str:
    out = []
    for ch in value:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'
