"""Tree-walking evaluator. No Python ``eval``: every node kind has a small handler here.

Every node visited costs one step of ``EvalContext.max_steps``; errors raised by operators and
functions are anchored at the position of the node that raised them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import InvalidOperation, Overflow, localcontext
from typing import Any

from accord.meta.expression.errors import (
    EXPR_ARITY,
    EXPR_TOO_COMPLEX,
    EXPR_TYPE,
    EXPR_UNKNOWN_FIELD,
    EXPR_UNKNOWN_FUNCTION,
    ExpressionError,
)
from accord.meta.expression.functions import REGISTRY, arity_problem
from accord.meta.expression.nodes import (
    ARITHMETIC_OPS,
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
from accord.meta.expression.values import (
    DECIMAL_CONTEXT,
    NUMBER,
    EvalContext,
    arithmetic,
    compare,
    concat,
    kind_of,
    normalize,
    truthy,
    type_error,
)

Path = tuple[str, ...]
Values = Mapping[Path, Any] | Callable[[Path], Any]


def evaluate(expr: Expr, values: Values, ctx: EvalContext) -> Any:
    """Value of ``expr``: None, bool, Decimal, str, date or (UTC) datetime.

    ``values`` maps field paths to values, or is a callable asked for each path used (so lookups
    across relations can be fetched lazily). A path missing from a mapping raises
    EXPR_UNKNOWN_FIELD.
    """
    evaluator = _Evaluator(_lookup_function(values), ctx)
    try:
        with localcontext(DECIMAL_CONTEXT):
            return evaluator.eval(expr)
    except RecursionError:  # only hand-built trees: parse() bounds the depth
        raise ExpressionError(EXPR_TOO_COMPLEX, "expression is nested too deeply") from None


def _lookup_function(values: Values) -> Callable[[Path], Any]:
    if isinstance(values, Mapping):
        mapping = values

        def lookup(path: Path) -> Any:
            try:
                return mapping[path]
            except KeyError:
                raise ExpressionError(
                    EXPR_UNKNOWN_FIELD, f"unknown field {'.'.join(path)}"
                ) from None

        return lookup
    if callable(values):
        return values
    raise TypeError("values must be a mapping of field paths or a callable")


class _Evaluator:
    def __init__(self, lookup: Callable[[Path], Any], ctx: EvalContext) -> None:
        self.lookup = lookup
        self.ctx = ctx
        self.steps = 0

    def eval(self, node: Expr) -> Any:
        self.steps += 1
        if self.steps > self.ctx.max_steps:
            raise ExpressionError(
                EXPR_TOO_COMPLEX,
                f"evaluation exceeded the limit of {self.ctx.max_steps} steps",
                node.pos,
            )
        if isinstance(node, Number | String | Boolean):
            return node.value
        if isinstance(node, Null):
            return None
        try:
            if isinstance(node, FieldRef):
                return normalize(self.lookup(node.path))
            if isinstance(node, Binary):
                return self.binary(node)
            if isinstance(node, Unary):
                return self.unary(node)
            if isinstance(node, Call):
                return self.call(node)
        except ExpressionError as error:
            raise error.at(node.pos) from None
        except InvalidOperation:
            raise ExpressionError(EXPR_TYPE, "invalid numeric operation", node.pos) from None
        except Overflow:
            raise ExpressionError(EXPR_TOO_COMPLEX, "number out of range", node.pos) from None
        raise TypeError(f"not an expression node: {node!r}")

    def call(self, node: Call) -> Any:
        spec = REGISTRY.get(node.name)
        if spec is None:  # parse() checks names and counts; hand-built trees may not
            raise ExpressionError(EXPR_UNKNOWN_FUNCTION, f"unknown function {node.name}")
        problem = arity_problem(node.name, len(node.args))
        if problem:
            raise ExpressionError(EXPR_ARITY, problem)
        return spec.impl(self.ctx, [self.thunk(arg) for arg in node.args])

    def thunk(self, node: Expr) -> Callable[[], Any]:
        return lambda: self.eval(node)

    def binary(self, node: Binary) -> Any:
        op = node.op
        if op == "and":  # short-circuit; null counts as false
            return truthy(self.eval(node.left)) and truthy(self.eval(node.right))
        if op == "or":
            return truthy(self.eval(node.left)) or truthy(self.eval(node.right))
        left, right = self.eval(node.left), self.eval(node.right)
        if op in ARITHMETIC_OPS:
            return arithmetic(op, left, right)
        if op == "&":
            return concat(left, right)
        return compare(op, left, right)

    def unary(self, node: Unary) -> Any:
        value = self.eval(node.operand)
        if node.op == "not":
            return not truthy(value)
        if value is None:
            return None
        if kind_of(value) != NUMBER:
            raise type_error(f"cannot negate {kind_of(value)}")
        return -value
