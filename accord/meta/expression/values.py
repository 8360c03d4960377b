"""Runtime values and the operators on them.

Values are ``None`` (null), ``bool``, ``Decimal`` (never float), ``str``, ``date`` and
timezone-aware UTC ``datetime``. Field values are normalized into that set on the way in.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import (
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)
from typing import Any

from accord.meta.expression.errors import (
    DEFAULT_MAX_STEPS,
    EXPR_TOO_COMPLEX,
    EXPR_TYPE,
    MAX_TEXT_LENGTH,
    ExpressionError,
)

NULL = "null"
BOOLEAN = "boolean"
NUMBER = "number"
TEXT = "text"
DATE = "date"
DATETIME = "datetime"
OTHER = "other"

# 28 significant digits like Python's default, but a much smaller exponent range: TEXT() of
# 1E+999999 would otherwise build a million-character string.
DECIMAL_CONTEXT = Context(
    prec=28,
    rounding=ROUND_HALF_EVEN,
    Emax=9_999,
    Emin=-9_999,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)

# Beyond this many days any date arithmetic leaves the supported year range 1..9999 anyway;
# the check keeps int() away from huge Decimals.
_MAX_DAYS = Decimal(4_000_000)
_MICROS_PER_DAY = Decimal(86_400_000_000)


@dataclass(frozen=True)
class EvalContext:
    """What an evaluation may know about the world: the clock, and its step budget.

    ``today`` is the acting user's date (time-zone dependent, so the caller decides it);
    ``now`` must be timezone-aware and is normalized to UTC.
    """

    today: date
    now: datetime
    max_steps: int = DEFAULT_MAX_STEPS

    def __post_init__(self) -> None:
        if isinstance(self.today, datetime) or not isinstance(self.today, date):
            raise TypeError("EvalContext.today must be a datetime.date")
        if not isinstance(self.now, datetime) or self.now.utcoffset() is None:
            raise TypeError("EvalContext.now must be a timezone-aware datetime")
        object.__setattr__(self, "now", self.now.astimezone(UTC))


def kind_of(value: Any) -> str:
    if value is None:
        return NULL
    if isinstance(value, bool):  # before numbers: bool is an int subclass
        return BOOLEAN
    if isinstance(value, Decimal):
        return NUMBER
    if isinstance(value, str):
        return TEXT
    if isinstance(value, datetime):  # before date: datetime is a date subclass
        return DATETIME
    if isinstance(value, date):
        return DATE
    return OTHER


def normalize(value: Any) -> Any:
    """A field value as the language sees it: ints and floats become Decimal, naive datetimes
    are taken as UTC, UUIDs become text. Other values pass through; operators reject them."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        value = Decimal(repr(value))  # repr: the shortest text that round-trips, not binary noise
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ExpressionError(EXPR_TYPE, f"number {value} is not finite")
        return value
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def type_error(message: str) -> ExpressionError:
    return ExpressionError(EXPR_TYPE, message)


def check_text_length(text: str) -> str:
    if len(text) > MAX_TEXT_LENGTH:
        raise ExpressionError(
            EXPR_TOO_COMPLEX,
            f"text result of {len(text)} characters exceeds the limit of {MAX_TEXT_LENGTH}",
        )
    return text


def format_number(value: Decimal) -> str:
    # Plain notation ("1200", never "1.2E+3"); no "-0".
    return format(value.copy_abs() if value.is_zero() else value, "f")


def to_text(value: Any) -> str:
    """Text form used by ``&``, CONCAT and TEXT. Null is the empty string."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format_number(value)
    if isinstance(value, str):
        return value
    if isinstance(value, date):  # date and datetime: ISO 8601
        return value.isoformat()
    return str(value)


def truthy(value: Any) -> bool:
    """Boolean context: null counts as false; anything but a boolean is a type error."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    raise type_error(f"expected a boolean, got {kind_of(value)}")


def days_to_int(days: Decimal) -> int:
    if days != days.to_integral_value():
        raise type_error(f"a date can only move by whole days, got {format_number(days)}")
    if abs(days) > _MAX_DAYS:
        raise type_error("date out of range")
    return int(days)


def shift(value: date, days: Decimal) -> date:
    """date ± whole days → date; datetime ± (possibly fractional) days → datetime."""
    try:
        if isinstance(value, datetime):
            if abs(days) > _MAX_DAYS:
                raise type_error("date out of range")
            micros = (days * _MICROS_PER_DAY).to_integral_value()
            return value + timedelta(microseconds=int(micros))
        return value + timedelta(days=days_to_int(days))
    except OverflowError:
        raise type_error("date out of range") from None


def date_difference(left: date, right: date) -> Decimal:
    """date - date → whole days; datetime - datetime → days with a fraction."""
    delta = left - right
    if isinstance(left, datetime):
        micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
        return Decimal(micros) / _MICROS_PER_DAY
    return Decimal(delta.days)


def arithmetic(op: str, left: Any, right: Any) -> Any:
    """+ - * / % with null propagation; division by zero is null. Runs in DECIMAL_CONTEXT."""
    if left is None or right is None:
        return None
    lk, rk = kind_of(left), kind_of(right)
    if lk == NUMBER and rk == NUMBER:
        if op == "+":
            return left + right
        if op == "-":
            return left - right
        if op == "*":
            return left * right
        if right.is_zero():
            return None  # Excel-like blank rather than an error; see README
        return left / right if op == "/" else left % right
    if op == "+":
        if lk == TEXT and rk == TEXT:
            return check_text_length(left + right)
        if lk in (DATE, DATETIME) and rk == NUMBER:
            return shift(left, right)
        if lk == NUMBER and rk in (DATE, DATETIME):
            return shift(right, left)
    if op == "-":
        if lk in (DATE, DATETIME) and rk == NUMBER:
            return shift(left, -right)
        if lk == rk and lk in (DATE, DATETIME):
            return date_difference(left, right)
    raise type_error(f"operator {op} cannot combine {lk} and {rk}")


def concat(left: Any, right: Any) -> str:
    return check_text_length(to_text(left) + to_text(right))


_ORDERABLE = frozenset({NUMBER, TEXT, DATE, DATETIME})


def compare(op: str, left: Any, right: Any) -> bool:
    """Comparisons. ``=``/``!=`` treat null as a value (null = null is true); ordering with a
    null operand is false. Mixing kinds (text vs number, date vs datetime) is a type error."""
    if op in ("=", "!="):
        if left is None or right is None:
            equal = left is None and right is None
        else:
            _check_comparable(op, left, right)
            equal = bool(left == right)
        return equal if op == "=" else not equal
    if left is None or right is None:
        return False
    lk = _check_comparable(op, left, right)
    if lk not in _ORDERABLE:
        raise type_error(f"operator {op} cannot order {lk} values")
    if op == "<":
        return bool(left < right)
    if op == "<=":
        return bool(left <= right)
    if op == ">":
        return bool(left > right)
    return bool(left >= right)


def _check_comparable(op: str, left: Any, right: Any) -> str:
    lk, rk = kind_of(left), kind_of(right)
    if lk != rk or (lk == OTHER and type(left) is not type(right)):
        raise type_error(f"operator {op} cannot compare {lk} with {rk}")
    return lk
