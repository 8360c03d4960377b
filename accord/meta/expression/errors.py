"""Error type, stable error codes and the safety limits of the expression language.

Codes are part of the public contract (API clients and the admin UI switch on them), so they are
plain UPPER_SNAKE strings that never change meaning.
"""

from __future__ import annotations

from typing import Any

EXPR_SYNTAX = "EXPR_SYNTAX"
EXPR_UNKNOWN_FUNCTION = "EXPR_UNKNOWN_FUNCTION"
EXPR_ARITY = "EXPR_ARITY"
EXPR_TYPE = "EXPR_TYPE"
# Reserved: division by zero evaluates to null (Excel-like blank), so the evaluator never raises
# it. Kept so that callers who want to reject such formulas have a stable code to use.
EXPR_DIVISION_BY_ZERO = "EXPR_DIVISION_BY_ZERO"
EXPR_TOO_COMPLEX = "EXPR_TOO_COMPLEX"
# Raised when a field path is missing from the mapping given to ``evaluate``/``infer_type``;
# value callables supplied by callers raise it themselves for fields they do not know.
EXPR_UNKNOWN_FIELD = "EXPR_UNKNOWN_FIELD"

ERROR_CODES = frozenset(
    {
        EXPR_SYNTAX,
        EXPR_UNKNOWN_FUNCTION,
        EXPR_ARITY,
        EXPR_TYPE,
        EXPR_DIVISION_BY_ZERO,
        EXPR_TOO_COMPLEX,
        EXPR_UNKNOWN_FIELD,
    }
)

# Limits: formulas come from administrators and, through automation, may run on every record
# write, so every cost (parse time, recursion, evaluation steps, memory) is bounded.
MAX_SOURCE_LENGTH = 4_000
MAX_DEPTH = 64  # syntax-tree depth and bracket/call nesting; keeps recursion far from Python's
MAX_TEXT_LENGTH = 100_000  # longest text that concatenation or SUBSTITUTE may produce
MAX_POWER_EXPONENT = 1_000
DEFAULT_MAX_STEPS = 10_000


class ExpressionError(ValueError):
    """A problem with an expression: ``code`` is stable, ``message`` is English for people.

    ``position`` is the 0-based character offset in the source, when known; the message then
    ends with "at position N".
    """

    code: str
    message: str
    position: int | None

    def __init__(self, code: str, message: str, position: int | None = None) -> None:
        self.code = code
        self.detail = message  # the message without its position, to re-anchor it later
        self.position = position
        self.message = message if position is None else f"{message} at position {position}"
        super().__init__(self.message)

    def at(self, position: int) -> ExpressionError:
        """This error anchored at ``position``, unless a more precise position is already set."""
        if self.position is not None:
            return self
        return ExpressionError(self.code, self.detail, position)

    def __reduce__(self) -> tuple[Any, ...]:  # the 3-argument __init__ breaks default pickling
        return (type(self), (self.code, self.detail, self.position))

    def __repr__(self) -> str:
        return f"ExpressionError({self.code!r}, {self.message!r})"
