"""Accord's expression language, for formula fields, defaults, validation rules and automation.

A small, safe language (no Python ``eval``): a tokenizer and Pratt parser build frozen dataclass
nodes, a tree-walking evaluator computes them with Decimal arithmetic under hard limits.
See README.md in this package for the grammar, functions and null rules.

    >>> expr = parse("IF(amount > 1000, 'big', 'small')")
    >>> references(expr)
    {('amount',)}
"""

from __future__ import annotations

from accord.meta.expression.errors import (
    DEFAULT_MAX_STEPS,
    ERROR_CODES,
    EXPR_ARITY,
    EXPR_DIVISION_BY_ZERO,
    EXPR_SYNTAX,
    EXPR_TOO_COMPLEX,
    EXPR_TYPE,
    EXPR_UNKNOWN_FIELD,
    EXPR_UNKNOWN_FUNCTION,
    MAX_DEPTH,
    MAX_SOURCE_LENGTH,
    MAX_TEXT_LENGTH,
    ExpressionError,
)
from accord.meta.expression.evaluate import evaluate
from accord.meta.expression.functions import REGISTRY, FunctionSpec
from accord.meta.expression.infer import infer_type
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
    walk,
)
from accord.meta.expression.parser import parse
from accord.meta.expression.printer import to_source
from accord.meta.expression.values import EvalContext


def references(expr: Expr) -> set[tuple[str, ...]]:
    """Every field path the expression reads, e.g. {("amount",), ("customer", "industry")}."""
    return {node.path for node in walk(expr) if isinstance(node, FieldRef)}


__all__ = [
    "DEFAULT_MAX_STEPS",
    "ERROR_CODES",
    "EXPR_ARITY",
    "EXPR_DIVISION_BY_ZERO",
    "EXPR_SYNTAX",
    "EXPR_TOO_COMPLEX",
    "EXPR_TYPE",
    "EXPR_UNKNOWN_FIELD",
    "EXPR_UNKNOWN_FUNCTION",
    "MAX_DEPTH",
    "MAX_SOURCE_LENGTH",
    "MAX_TEXT_LENGTH",
    "REGISTRY",
    "Binary",
    "Boolean",
    "Call",
    "EvalContext",
    "Expr",
    "ExpressionError",
    "FieldRef",
    "FunctionSpec",
    "Null",
    "Number",
    "String",
    "Unary",
    "evaluate",
    "infer_type",
    "parse",
    "references",
    "to_source",
]
