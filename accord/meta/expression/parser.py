"""Pratt parser: tokens → syntax tree. Also validates function names and argument counts, so
that a formula is rejected when an administrator saves it, not when a record is written.

Binding powers, loosest first::

    or ||  <  and &&  <  not !  <  = == != <> < <= > >=  <  &  <  + -  <  * / %  <  unary -
"""

from __future__ import annotations

from decimal import Decimal

from accord.meta.expression.errors import (
    EXPR_ARITY,
    EXPR_SYNTAX,
    EXPR_TOO_COMPLEX,
    EXPR_UNKNOWN_FUNCTION,
    MAX_DEPTH,
    ExpressionError,
)
from accord.meta.expression.functions import REGISTRY, arity_problem
from accord.meta.expression.lexer import EOF, IDENT, KEYWORD, NUMBER, OP, STRING, Token, tokenize
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
    depth,
)

OR_BP = 1
AND_BP = 2
NOT_BP = 3
COMPARE_BP = 4
CONCAT_BP = 5
ADD_BP = 6
MUL_BP = 7
UNARY_BP = 8
ATOM_BP = 100

# Token text (keywords lower-cased) → (canonical operator, binding power).
INFIX: dict[str, tuple[str, int]] = {
    "or": ("or", OR_BP),
    "||": ("or", OR_BP),
    "and": ("and", AND_BP),
    "&&": ("and", AND_BP),
    "=": ("=", COMPARE_BP),
    "==": ("=", COMPARE_BP),
    "!=": ("!=", COMPARE_BP),
    "<>": ("!=", COMPARE_BP),
    "<": ("<", COMPARE_BP),
    "<=": ("<=", COMPARE_BP),
    ">": (">", COMPARE_BP),
    ">=": (">=", COMPARE_BP),
    "&": ("&", CONCAT_BP),
    "+": ("+", ADD_BP),
    "-": ("-", ADD_BP),
    "*": ("*", MUL_BP),
    "/": ("/", MUL_BP),
    "%": ("%", MUL_BP),
}

# Keywords that, directly followed by "(", name a function instead.
_CALLABLE_KEYWORDS = frozenset({"and", "or", "not"})

# Binding power of each canonical binary operator, for the printer.
BINARY_BP: dict[str, int] = {op: bp for op, bp in INFIX.values()}


def parse(source: str) -> Expr:
    """Parse ``source``; raises ExpressionError (EXPR_SYNTAX, EXPR_UNKNOWN_FUNCTION, EXPR_ARITY,
    EXPR_TOO_COMPLEX) with the 0-based position of the offending token."""
    if not isinstance(source, str):
        raise TypeError("expression source must be a str")
    expr = _Parser(tokenize(source)).parse_all()
    # Left-leaning chains ("a + b + c + …") are built by a loop, not by recursion, so their
    # height is checked here: it bounds the recursion of every later tree walk.
    if depth(expr) > MAX_DEPTH:
        raise ExpressionError(
            EXPR_TOO_COMPLEX, f"expression is nested more than {MAX_DEPTH} levels deep", 0
        )
    return expr


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0
        self.nesting = 0

    def peek(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        if token.kind != EOF:
            self.index += 1
        return token

    def at_op(self, op: str) -> bool:
        token = self.tokens[self.index]
        return token.kind == OP and token.value == op

    def expect(self, op: str) -> Token:
        token = self.peek()
        if token.kind != OP or token.value != op:
            raise ExpressionError(
                EXPR_SYNTAX, f"expected {op!r}, found {token.describe()}", token.pos
            )
        return self.advance()

    def parse_all(self) -> Expr:
        expr = self.expression(0)
        token = self.peek()
        if token.kind != EOF:
            raise ExpressionError(EXPR_SYNTAX, f"unexpected {token.describe()}", token.pos)
        return expr

    def expression(self, min_bp: int) -> Expr:
        self.nesting += 1
        if (
            self.nesting > MAX_DEPTH
        ):  # checked while recursing: "((((…" must stay far from Python's recursion limit
            raise ExpressionError(
                EXPR_TOO_COMPLEX,
                f"expression is nested more than {MAX_DEPTH} levels deep",
                self.peek().pos,
            )
        left = self.prefix(min_bp)
        while True:
            token = self.peek()
            entry = INFIX.get(token.value) if token.kind in (OP, KEYWORD) else None
            if entry is None or entry[1] < min_bp:
                break
            op, bp = entry
            self.advance()
            left = Binary(op, left, self.expression(bp + 1), token.pos)  # left-associative
            following = self.peek()
            if (
                bp == COMPARE_BP
                and following.kind == OP
                and INFIX.get(following.value, ("", 0))[1] == bp
            ):
                raise ExpressionError(
                    EXPR_SYNTAX,
                    "comparisons cannot be chained; combine them with 'and'",
                    following.pos,
                )
        self.nesting -= 1
        return left

    def prefix(self, min_bp: int) -> Expr:
        token = self.advance()
        if token.kind == NUMBER:
            return Number(Decimal(token.value), token.pos)
        if token.kind == STRING:
            return String(token.value, token.pos)
        if token.kind == KEYWORD:
            if token.value in ("true", "false"):
                return Boolean(token.value == "true", token.pos)
            if token.value == "null":
                return Null(token.pos)
        if token.kind == KEYWORD and token.value in _CALLABLE_KEYWORDS and self.at_op("("):
            # AND(…), OR(…), NOT(…) are the functions; "not (x)" reads the same as NOT(x),
            # so both become the operator node and print back one way.
            call = self.call(token)
            return Unary("not", call.args[0], token.pos) if call.name == "NOT" else call
        if (token.kind == KEYWORD and token.value == "not") or (
            token.kind == OP and token.value == "!"
        ):
            if min_bp > NOT_BP:  # like Python: "1 + not x" is ambiguous, ask for brackets
                raise ExpressionError(
                    EXPR_SYNTAX, f"{token.value!r} must be put in parentheses here", token.pos
                )
            return Unary("not", self.expression(NOT_BP), token.pos)
        if token.kind == OP and token.value == "-":
            return Unary("-", self.expression(UNARY_BP), token.pos)
        if token.kind == OP and token.value == "(":
            inner = self.expression(0)
            self.expect(")")
            return inner
        if token.kind == IDENT:
            if self.at_op("("):
                return self.call(token)
            return self.path(token)
        if token.kind == EOF:
            raise ExpressionError(EXPR_SYNTAX, "unexpected end of expression", token.pos)
        raise ExpressionError(EXPR_SYNTAX, f"unexpected {token.describe()}", token.pos)

    def call(self, name_token: Token) -> Expr:
        name = name_token.value.upper()
        if name not in REGISTRY:
            raise ExpressionError(
                EXPR_UNKNOWN_FUNCTION, f"unknown function {name_token.value}", name_token.pos
            )
        self.expect("(")
        args: list[Expr] = []
        if not (self.at_op(")")):
            args.append(self.expression(0))
            while self.at_op(","):
                self.advance()
                args.append(self.expression(0))
        self.expect(")")
        problem = arity_problem(name, len(args))
        if problem:
            raise ExpressionError(EXPR_ARITY, problem, name_token.pos)
        return Call(name, tuple(args), name_token.pos)

    def path(self, first: Token) -> Expr:
        parts = [first.value]
        while self.at_op("."):
            self.advance()
            token = self.advance()
            if token.kind != IDENT:
                raise ExpressionError(
                    EXPR_SYNTAX,
                    f"expected a field name after '.', found {token.describe()}",
                    token.pos,
                )
            parts.append(token.value)
        return FieldRef(tuple(parts), first.pos)
