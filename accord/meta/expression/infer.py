"""Best-effort static typing, to check a formula's declared return type when it is saved.

Kinds: "number", "text", "boolean", "date", "datetime", or "any" (unknown: null literal, fields
of unmapped types, mixed IF branches). Combinations that fail at run time for every non-null
value (``"abc" * 2``, ``LEN(amount)``) raise EXPR_TYPE; anything doubtful yields "any".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from accord.meta.expression.errors import (
    EXPR_TYPE,
    EXPR_UNKNOWN_FIELD,
    EXPR_UNKNOWN_FUNCTION,
    ExpressionError,
)
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

ANY = "any"
NUM = "number"
TXT = "text"
BOOL = "boolean"
DATE = "date"
DTIME = "datetime"
KINDS = frozenset({ANY, NUM, TXT, BOOL, DATE, DTIME})
_DATES = frozenset({DATE, DTIME})

# Field type names (and filter kinds) that map onto a language kind; others are "any".
FIELD_TYPE_KINDS: dict[str, str] = {
    **dict.fromkeys(
        ["integer", "int", "decimal", "currency", "money", "percent", "float", "numeric"], NUM
    ),
    **dict.fromkeys(
        ["string", "textarea", "long_text", "rich_text", "email", "phone", "url", "picklist"],
        TXT,
    ),
    **dict.fromkeys(["bool", "checkbox"], BOOL),
    **dict.fromkeys(["timestamp", "date_time"], DTIME),
    **{kind: kind for kind in KINDS},
}


def infer_type(expr: Expr, field_types: Mapping[tuple[str, ...], str]) -> str:
    """Result kind of ``expr``; ``field_types`` maps each field path to a field type or kind.

    Raises EXPR_UNKNOWN_FIELD for a path not in ``field_types`` and EXPR_TYPE for operands or
    arguments that can never work.
    """
    try:
        return _infer(expr, field_types)
    except RecursionError:  # hand-built trees only; parse() bounds the depth
        return ANY


def _infer(node: Expr, fields: Mapping[tuple[str, ...], str]) -> str:
    if isinstance(node, Number):
        return NUM
    if isinstance(node, String):
        return TXT
    if isinstance(node, Boolean):
        return BOOL
    if isinstance(node, Null):
        return ANY
    if isinstance(node, FieldRef):
        if node.path not in fields:
            raise ExpressionError(
                EXPR_UNKNOWN_FIELD, f"unknown field {'.'.join(node.path)}", node.pos
            )
        return FIELD_TYPE_KINDS.get(str(fields[node.path]).lower(), ANY)
    if isinstance(node, Unary):
        operand = _infer(node.operand, fields)
        if node.op == "not":
            _need(operand, {BOOL}, "not", node.pos)
            return BOOL
        _need(operand, {NUM}, "unary -", node.pos)
        return NUM
    if isinstance(node, Binary):
        return _binary(node, _infer(node.left, fields), _infer(node.right, fields))
    if isinstance(node, Call):
        rule = _CALL_RULES.get(node.name)
        if rule is None:  # parse() rejects unknown names; hand-built trees may hold one
            raise ExpressionError(EXPR_UNKNOWN_FUNCTION, f"unknown function {node.name}", node.pos)
        args = [_infer(arg, fields) for arg in node.args]
        try:
            return rule(args)
        except ExpressionError as error:  # rules do not know the function's name or place
            raise ExpressionError(error.code, f"{node.name}: {error.detail}", node.pos) from None
    raise TypeError(f"not an expression node: {node!r}")


def _need(kind: str, allowed: set[str] | frozenset[str], what: str, pos: int | None) -> None:
    if kind != ANY and kind not in allowed:
        wanted = " or ".join(sorted(allowed))
        raise ExpressionError(EXPR_TYPE, f"{what} expects {wanted}, got {kind}", pos)


def _unify(kinds: Sequence[str]) -> str:
    known = {k for k in kinds if k != ANY}
    return known.pop() if len(known) == 1 else ANY


# Result of l op r for the arithmetic operators, when both sides are known.
_ARITHMETIC: dict[tuple[str, str, str], str] = {
    ("+", NUM, NUM): NUM,
    ("+", TXT, TXT): TXT,
    ("+", DATE, NUM): DATE,
    ("+", NUM, DATE): DATE,
    ("+", DTIME, NUM): DTIME,
    ("+", NUM, DTIME): DTIME,
    ("-", NUM, NUM): NUM,
    ("-", DATE, NUM): DATE,
    ("-", DTIME, NUM): DTIME,
    ("-", DATE, DATE): NUM,
    ("-", DTIME, DTIME): NUM,
    **{(op, NUM, NUM): NUM for op in ("*", "/", "%")},
}


def _binary(node: Binary, left: str, right: str) -> str:
    op = node.op
    if op in ("and", "or"):
        _need(left, {BOOL}, op, node.pos)
        _need(right, {BOOL}, op, node.pos)
        return BOOL
    if op == "&":
        return TXT
    if op in ("=", "!=", "<", "<=", ">", ">="):
        if ANY not in (left, right) and left != right:
            raise ExpressionError(
                EXPR_TYPE, f"operator {op} cannot compare {left} with {right}", node.pos
            )
        if op not in ("=", "!="):
            _need(left, {NUM, TXT, DATE, DTIME}, f"operator {op}", node.pos)
            _need(right, {NUM, TXT, DATE, DTIME}, f"operator {op}", node.pos)
        return BOOL
    if ANY in (left, right):
        # Whatever the unknown side is, the known side limits the possible results.
        results = {
            kinds_result
            for (o, lk, rk), kinds_result in _ARITHMETIC.items()
            if o == op and left in (lk, ANY) and right in (rk, ANY)
        }
        if not results:
            known = left if left != ANY else right
            raise ExpressionError(EXPR_TYPE, f"operator {op} cannot use {known}", node.pos)
        return results.pop() if len(results) == 1 else ANY
    result = _ARITHMETIC.get((op, left, right))
    if result is None:
        raise ExpressionError(
            EXPR_TYPE, f"operator {op} cannot combine {left} and {right}", node.pos
        )
    return result


def _sig(
    result: str | Callable[[list[str]], str],
    *params: frozenset[str] | set[str],
    rest: frozenset[str] | set[str] | None = None,
) -> Callable[[list[str]], str]:
    """A rule checking each argument against ``params`` (then ``rest``) and giving ``result``."""

    def rule(args: list[str]) -> str:
        for i, kind in enumerate(args):
            allowed = params[i] if i < len(params) else rest
            if allowed is not None:
                _need(kind, allowed, f"argument {i + 1}", None)
        return result(args) if callable(result) else result

    return rule


_N, _T, _B, _D = {NUM}, {TXT}, {BOOL}, set(_DATES)
_ALL = set(KINDS)


def _date_rule(args: list[str]) -> str:
    if len(args) == 3:
        for i, kind in enumerate(args):
            _need(kind, _N, f"argument {i + 1}", None)
    else:
        _need(args[0], _T | _D, "argument 1", None)
    return DATE


_CALL_RULES: dict[str, Callable[[list[str]], str]] = {
    "IF": _sig(lambda a: _unify(a[1:]), _B, _ALL, _ALL),
    "AND": _sig(BOOL, rest=_B),
    "OR": _sig(BOOL, rest=_B),
    "NOT": _sig(BOOL, _B),
    "ISBLANK": _sig(BOOL, _ALL),
    "BLANKVALUE": _sig(_unify, _ALL, _ALL),
    "COALESCE": _sig(_unify, rest=_ALL),
    "CASE": _sig(lambda a: _unify([*a[2:-1:2], a[-1]]), rest=_ALL),
    "ABS": _sig(NUM, _N),
    "ROUND": _sig(NUM, _N, _N),
    "FLOOR": _sig(NUM, _N),
    "CEIL": _sig(NUM, _N),
    "MIN": _sig(_unify, rest={NUM, TXT, DATE, DTIME}),
    "MAX": _sig(_unify, rest={NUM, TXT, DATE, DTIME}),
    "MOD": _sig(NUM, _N, _N),
    "POWER": _sig(NUM, _N, _N),
    "VALUE": _sig(NUM, _T | _N),
    "LEN": _sig(NUM, _T),
    "LOWER": _sig(TXT, _T),
    "UPPER": _sig(TXT, _T),
    "TRIM": _sig(TXT, _T),
    "LEFT": _sig(TXT, _T, _N),
    "RIGHT": _sig(TXT, _T, _N),
    "MID": _sig(TXT, _T, _N, _N),
    "CONTAINS": _sig(BOOL, _T, _T),
    "BEGINS": _sig(BOOL, _T, _T),
    "SUBSTITUTE": _sig(TXT, _T, _T, _T),
    "CONCAT": _sig(TXT, rest=_ALL),
    "TEXT": _sig(TXT, _ALL),
    "TODAY": _sig(DATE),
    "NOW": _sig(DTIME),
    "DATE": _date_rule,
    "YEAR": _sig(NUM, _D),
    "MONTH": _sig(NUM, _D),
    "DAY": _sig(NUM, _D),
    "WEEKDAY": _sig(NUM, _D),
    "ADDDAYS": _sig(lambda a: a[0], _D, _N),
    "ADDMONTHS": _sig(lambda a: a[0], _D, _N),
    "DATEDIFF": _sig(NUM, _D, _D),
}
