"""Built-in functions: a registry of name → FunctionSpec(min_args, max_args, impl).

Every implementation receives the evaluation context and its arguments as thunks (zero-argument
callables), so IF, AND, OR, CASE, COALESCE and BLANKVALUE evaluate only what they need; the
``_eager`` wrapper forces all arguments for the ordinary functions. Unless noted, a null argument
makes the result null.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from accord.meta.expression.errors import (
    EXPR_TOO_COMPLEX,
    MAX_POWER_EXPONENT,
    MAX_TEXT_LENGTH,
    ExpressionError,
)
from accord.meta.expression.values import (
    DATE,
    DATETIME,
    NUMBER,
    TEXT,
    EvalContext,
    check_text_length,
    compare,
    date_difference,
    kind_of,
    shift,
    to_text,
    truthy,
    type_error,
)

Thunk = Callable[[], Any]
Impl = Callable[[EvalContext, Sequence[Thunk]], Any]


class FunctionSpec(NamedTuple):
    min_args: int
    max_args: int | None  # None: variadic
    impl: Impl
    # Extra argument-count rule checked at parse time; returns an error text or None.
    count_rule: Callable[[int], str | None] | None = None


def _eager(fn: Callable[..., Any]) -> Impl:
    def impl(ctx: EvalContext, args: Sequence[Thunk]) -> Any:
        return fn(*[arg() for arg in args])

    return impl


def _strict(fn: Callable[..., Any]) -> Impl:
    """Eager, and null if any argument is null."""

    def impl(ctx: EvalContext, args: Sequence[Thunk]) -> Any:
        values = [arg() for arg in args]
        return None if any(v is None for v in values) else fn(*values)

    return impl


# --- argument checks ---------------------------------------------------------------------------


def _num(fn: str, index: int, value: Any) -> Decimal:
    if kind_of(value) != NUMBER:
        raise type_error(f"{fn}: argument {index} must be a number, got {kind_of(value)}")
    return value


def _txt(fn: str, index: int, value: Any) -> str:
    if kind_of(value) != TEXT:
        raise type_error(f"{fn}: argument {index} must be text, got {kind_of(value)}")
    return value


def _int(fn: str, index: int, value: Any, low: int, high: int) -> int:
    """A whole number clamped to [low, high] (clamping first keeps int() cheap)."""
    number = _num(fn, index, value)
    if number != number.to_integral_value():
        raise type_error(f"{fn}: argument {index} must be a whole number, got {number}")
    return int(min(max(number, Decimal(low)), Decimal(high)))


def _date(fn: str, index: int, value: Any) -> date:
    if kind_of(value) not in (DATE, DATETIME):
        raise type_error(f"{fn}: argument {index} must be a date, got {kind_of(value)}")
    return value


def _day(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value  # datetimes are UTC


# --- logic -------------------------------------------------------------------------------------


def _if(ctx: EvalContext, args: Sequence[Thunk]) -> Any:
    return args[1]() if truthy(args[0]()) else args[2]()


def _and(ctx: EvalContext, args: Sequence[Thunk]) -> bool:
    return all(truthy(arg()) for arg in args)  # all() stops at the first false


def _or(ctx: EvalContext, args: Sequence[Thunk]) -> bool:
    return any(truthy(arg()) for arg in args)


def _is_blank(value: Any) -> bool:
    return value is None or value == ""


def _blankvalue(ctx: EvalContext, args: Sequence[Thunk]) -> Any:
    value = args[0]()
    return args[1]() if _is_blank(value) else value


def _coalesce(ctx: EvalContext, args: Sequence[Thunk]) -> Any:
    for arg in args:
        value = arg()
        if value is not None:
            return value
    return None


def _case(ctx: EvalContext, args: Sequence[Thunk]) -> Any:
    subject = args[0]()
    for i in range(1, len(args) - 1, 2):
        if compare("=", subject, args[i]()):
            return args[i + 1]()
    return args[-1]()


def _case_count(count: int) -> str | None:
    if count % 2:
        return "CASE needs a subject, value/result pairs and an else result (an even count)"
    return None


# --- numbers -----------------------------------------------------------------------------------


def _exponent(number: Decimal) -> int:
    return int(number.as_tuple().exponent)  # values are always finite, so this is an int


def _plain(number: Decimal) -> Decimal:
    """1.3E+3 → 1300 when it fits the precision: positive exponents only confuse readers."""
    if _exponent(number) > 0 and number.adjusted() < 28:
        return number.quantize(Decimal(1))
    return number


def _round(x: Any, digits: Any = Decimal(0)) -> Decimal:
    number = _num("ROUND", 1, x)
    places = _int("ROUND", 2, digits, -100, 100)
    if number.adjusted() + places >= 27:
        return number  # that many decimals (plus a carry digit) would not fit 28 digits
    # Always quantize, so that ROUND(1.5, 2) is 1.50 and TEXT() shows the places asked for.
    return _plain(number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def _min_max(fn: str, pick: Callable[..., Any]) -> Impl:
    def impl(ctx: EvalContext, args: Sequence[Thunk]) -> Any:
        values = [v for v in (arg() for arg in args) if v is not None]  # blanks are skipped
        if not values:
            return None
        kinds = {kind_of(v) for v in values}
        if len(kinds) > 1 or not kinds <= {NUMBER, TEXT, DATE, DATETIME}:
            raise type_error(f"{fn}: arguments must all be numbers, texts, dates or datetimes")
        return pick(values)

    return impl


def _mod(a: Any, b: Any) -> Decimal | None:
    dividend, divisor = _num("MOD", 1, a), _num("MOD", 2, b)
    return None if divisor.is_zero() else dividend % divisor


def _power(a: Any, b: Any) -> Decimal | None:
    base, exponent = _num("POWER", 1, a), _num("POWER", 2, b)
    if abs(exponent) > MAX_POWER_EXPONENT:
        raise ExpressionError(
            EXPR_TOO_COMPLEX, f"POWER: exponent {exponent} exceeds the limit of 1000"
        )
    if base.is_zero() and exponent < 0:
        return None  # division by zero
    return base**exponent  # context precision bounds the digits, its Emax the magnitude


# --- text --------------------------------------------------------------------------------------


def _left(s: Any, n: Any) -> str:
    return _txt("LEFT", 1, s)[: _int("LEFT", 2, n, 0, MAX_TEXT_LENGTH)]


def _right(s: Any, n: Any) -> str:
    text, count = _txt("RIGHT", 1, s), _int("RIGHT", 2, n, 0, MAX_TEXT_LENGTH)
    return text[len(text) - count :] if count else ""


def _mid(s: Any, start: Any, n: Any) -> str:
    text = _txt("MID", 1, s)
    first = _int("MID", 2, start, 1, MAX_TEXT_LENGTH + 1) - 1  # 1-based like Excel
    return text[first : first + _int("MID", 3, n, 0, MAX_TEXT_LENGTH)]


def _substitute(s: Any, old: Any, new: Any) -> str:
    text, target = _txt("SUBSTITUTE", 1, s), _txt("SUBSTITUTE", 2, old)
    replacement = _txt("SUBSTITUTE", 3, new)
    if not target:
        return text  # replacing "" would insert between every character
    # Check the size before building: nested SUBSTITUTEs could grow text exponentially.
    size = len(text) + text.count(target) * (len(replacement) - len(target))
    if size > MAX_TEXT_LENGTH:
        raise ExpressionError(
            EXPR_TOO_COMPLEX,
            f"SUBSTITUTE: result of {size} characters exceeds the limit of {MAX_TEXT_LENGTH}",
        )
    return text.replace(target, replacement)


def _concat(ctx: EvalContext, args: Sequence[Thunk]) -> str:
    return check_text_length("".join(to_text(arg()) for arg in args))  # null counts as ""


_NUMBER_TEXT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,4})?")


def _value(x: Any) -> Decimal:
    if kind_of(x) == NUMBER:
        return x
    text = _txt("VALUE", 1, x).strip()
    if len(text) > 100 or not _NUMBER_TEXT.fullmatch(text):
        raise type_error(f"VALUE: cannot convert {text[:40]!r} to a number")
    return _plain(+Decimal(text))  # unary plus applies the context: 28 digits, bounded exponent


# --- dates -------------------------------------------------------------------------------------

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _date_fn(*args: Any) -> date:
    if len(args) == 3:
        y, m, d = (_int("DATE", i + 1, v, -1, 100_000) for i, v in enumerate(args))
        try:
            return date(y, m, d)
        except ValueError:
            raise type_error(f"DATE: {y}-{m}-{d} is not a valid date") from None
    value = args[0]
    if kind_of(value) in (DATE, DATETIME):
        return _day(value)
    text = _txt("DATE", 1, value).strip()
    try:
        if not _ISO_DATE.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise type_error(f"DATE: {text[:40]!r} is not a date in YYYY-MM-DD form") from None


def _date_count(count: int) -> str | None:
    return None if count != 2 else "DATE takes one argument (ISO text) or three (y, m, d)"


def _adddays(d: Any, n: Any) -> date:
    return shift(_date("ADDDAYS", 1, d), _num("ADDDAYS", 2, n))


def _addmonths(d: Any, n: Any) -> date:
    start = _date("ADDMONTHS", 1, d)
    months = start.year * 12 + start.month - 1 + _int("ADDMONTHS", 2, n, -200_000, 200_000)
    year, month = divmod(months, 12)
    if not 1 <= year <= 9999:
        raise type_error("ADDMONTHS: date out of range")
    last_day = calendar.monthrange(year, month + 1)[1]  # clamp: Jan 31 + 1 month → Feb 28/29
    return start.replace(year=year, month=month + 1, day=min(start.day, last_day))


def _datediff(a: Any, b: Any) -> Decimal:
    return date_difference(_day(_date("DATEDIFF", 1, a)), _day(_date("DATEDIFF", 2, b)))


def _part(fn: str, get: Callable[[date], int]) -> Impl:
    return _strict(lambda d: Decimal(get(_date(fn, 1, d))))


REGISTRY: dict[str, FunctionSpec] = {
    # logic (null-aware: not strict)
    "IF": FunctionSpec(3, 3, _if),
    "AND": FunctionSpec(1, None, _and),
    "OR": FunctionSpec(1, None, _or),
    "NOT": FunctionSpec(1, 1, _eager(lambda x: not truthy(x))),
    "ISBLANK": FunctionSpec(1, 1, _eager(_is_blank)),
    "BLANKVALUE": FunctionSpec(2, 2, _blankvalue),
    "COALESCE": FunctionSpec(1, None, _coalesce),
    "CASE": FunctionSpec(4, None, _case, _case_count),
    # numbers
    "ABS": FunctionSpec(1, 1, _strict(lambda x: abs(_num("ABS", 1, x)))),
    "ROUND": FunctionSpec(1, 2, _strict(_round)),
    "FLOOR": FunctionSpec(
        1, 1, _strict(lambda x: _num("FLOOR", 1, x).to_integral_value(ROUND_FLOOR))
    ),
    "CEIL": FunctionSpec(
        1, 1, _strict(lambda x: _num("CEIL", 1, x).to_integral_value(ROUND_CEILING))
    ),
    "MIN": FunctionSpec(1, None, _min_max("MIN", min)),
    "MAX": FunctionSpec(1, None, _min_max("MAX", max)),
    "MOD": FunctionSpec(2, 2, _strict(_mod)),
    "POWER": FunctionSpec(2, 2, _strict(_power)),
    "VALUE": FunctionSpec(1, 1, _strict(_value)),
    # text
    "LEN": FunctionSpec(1, 1, _strict(lambda s: Decimal(len(_txt("LEN", 1, s))))),
    "LOWER": FunctionSpec(1, 1, _strict(lambda s: _txt("LOWER", 1, s).lower())),
    "UPPER": FunctionSpec(1, 1, _strict(lambda s: _txt("UPPER", 1, s).upper())),
    "TRIM": FunctionSpec(1, 1, _strict(lambda s: _txt("TRIM", 1, s).strip())),
    "LEFT": FunctionSpec(2, 2, _strict(_left)),
    "RIGHT": FunctionSpec(2, 2, _strict(_right)),
    "MID": FunctionSpec(3, 3, _strict(_mid)),
    "CONTAINS": FunctionSpec(
        2, 2, _strict(lambda s, sub: _txt("CONTAINS", 2, sub) in _txt("CONTAINS", 1, s))
    ),
    "BEGINS": FunctionSpec(
        2, 2, _strict(lambda s, p: _txt("BEGINS", 1, s).startswith(_txt("BEGINS", 2, p)))
    ),
    "SUBSTITUTE": FunctionSpec(3, 3, _strict(_substitute)),
    "CONCAT": FunctionSpec(1, None, _concat),
    "TEXT": FunctionSpec(1, 1, _strict(to_text)),
    # dates
    "TODAY": FunctionSpec(0, 0, lambda ctx, args: ctx.today),
    "NOW": FunctionSpec(0, 0, lambda ctx, args: ctx.now),
    "DATE": FunctionSpec(1, 3, _strict(_date_fn), _date_count),
    "YEAR": FunctionSpec(1, 1, _part("YEAR", lambda d: d.year)),
    "MONTH": FunctionSpec(1, 1, _part("MONTH", lambda d: d.month)),
    "DAY": FunctionSpec(1, 1, _part("DAY", lambda d: d.day)),
    "WEEKDAY": FunctionSpec(1, 1, _part("WEEKDAY", lambda d: d.isoweekday())),  # 1 = Monday
    "ADDDAYS": FunctionSpec(2, 2, _strict(_adddays)),
    "ADDMONTHS": FunctionSpec(2, 2, _strict(_addmonths)),
    "DATEDIFF": FunctionSpec(2, 2, _strict(_datediff)),
}


def arity_problem(name: str, count: int) -> str | None:
    """Why ``count`` arguments do not suit function ``name``, or None when they do."""
    spec = REGISTRY[name]
    if spec.max_args is None:
        if count < spec.min_args:
            return f"function {name} expects at least {spec.min_args} argument(s), got {count}"
    elif not spec.min_args <= count <= spec.max_args:
        expected = (
            str(spec.min_args)
            if spec.min_args == spec.max_args
            else f"{spec.min_args} to {spec.max_args}"
        )
        return f"function {name} expects {expected} argument(s), got {count}"
    return spec.count_rule(count) if spec.count_rule else None
