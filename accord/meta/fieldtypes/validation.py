"""Stable value error codes and the generic ``FieldDef.validation`` checks, in one place.

Types call :func:`check_text` (``min_length``, ``max_length``, ``regex``) or
:func:`check_number` (``min``, ``max``) after their own coercion; both return at once when the
field has no validation, so the common path costs one truth test. ``validation.message`` (text or
``{"en", "zh"}``) replaces the English message of a failure; the code stays the same.

Value error codes (``FieldValueError.code``), part of the public contract:

| code               | meaning                                                               |
|--------------------|-----------------------------------------------------------------------|
| INVALID_TYPE       | the value has the wrong JSON/Python type (e.g. a bool for an integer) |
| INVALID_NUMBER     | text that is not a number, NaN/Infinity, or a non-integral integer    |
| TOO_LONG           | text, list or JSON larger than allowed                                |
| TOO_SHORT          | text shorter than ``validation.min_length``                           |
| TOO_MANY           | more items (tags, files, links) than allowed                          |
| OUT_OF_RANGE       | number/rating/coordinate outside its limits or column precision       |
| PATTERN_MISMATCH   | text does not fully match ``validation.regex``                        |
| INVALID_CHOICE     | not a value (or label) of the field's choices                         |
| INVALID_EMAIL      | not an e-mail address                                                 |
| INVALID_PHONE      | not a valid phone number for the field's region                       |
| INVALID_URL        | not an http(s) URL                                                    |
| INVALID_DATE       | not a date / date-time / time                                         |
| INVALID_CURRENCY   | not an active ISO 4217 currency code                                  |
| INVALID_ID         | not a record id (UUID)                                                |
| INVALID_FILE       | not a file reference ``{"id","name","size","content_type"}``          |
| INVALID_COLOR      | not a ``#rrggbb`` colour                                              |
| INVALID_JSON       | import text that is not JSON, or a value JSON cannot represent        |
| INVALID_ADDRESS    | an address part that is not accepted (unknown province when strict)   |
| REQUIRED           | a master-detail parent was cleared (the relation implies required)    |
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any

from accord.meta.fieldtypes.base import FieldValueError
from accord.meta.model import FieldDef, label_text

INVALID_TYPE = "INVALID_TYPE"
INVALID_NUMBER = "INVALID_NUMBER"
TOO_LONG = "TOO_LONG"
TOO_SHORT = "TOO_SHORT"
TOO_MANY = "TOO_MANY"
OUT_OF_RANGE = "OUT_OF_RANGE"
PATTERN_MISMATCH = "PATTERN_MISMATCH"
INVALID_CHOICE = "INVALID_CHOICE"
INVALID_EMAIL = "INVALID_EMAIL"
INVALID_PHONE = "INVALID_PHONE"
INVALID_URL = "INVALID_URL"
INVALID_DATE = "INVALID_DATE"
INVALID_CURRENCY = "INVALID_CURRENCY"
INVALID_ID = "INVALID_ID"
INVALID_FILE = "INVALID_FILE"
INVALID_COLOR = "INVALID_COLOR"
INVALID_JSON = "INVALID_JSON"
INVALID_ADDRESS = "INVALID_ADDRESS"
REQUIRED = "REQUIRED"

ERROR_CODES = frozenset(
    {
        INVALID_TYPE,
        INVALID_NUMBER,
        TOO_LONG,
        TOO_SHORT,
        TOO_MANY,
        OUT_OF_RANGE,
        PATTERN_MISMATCH,
        INVALID_CHOICE,
        INVALID_EMAIL,
        INVALID_PHONE,
        INVALID_URL,
        INVALID_DATE,
        INVALID_CURRENCY,
        INVALID_ID,
        INVALID_FILE,
        INVALID_COLOR,
        INVALID_JSON,
        INVALID_ADDRESS,
        REQUIRED,
    }
)

MAX_PATTERN_LENGTH = 500


def fail(code: str, message: str) -> FieldValueError:
    return FieldValueError(code, message)


def type_error(expected: str, value: Any) -> FieldValueError:
    return FieldValueError(INVALID_TYPE, f"expected {expected}, got {type(value).__name__}")


@lru_cache(maxsize=1024)
def compiled(pattern: str) -> re.Pattern[str] | None:
    """The compiled pattern (cached per pattern), or None when it is unusable.

    Definition checks (``meta.E010``) refuse bad and over-long patterns; a definition that got
    past them anyway is not enforced rather than blocking every write.
    """
    if len(pattern) > MAX_PATTERN_LENGTH:
        return None
    try:
        return re.compile(pattern)
    except re.error:
        return None


def _message(v: Mapping[str, Any], default: str) -> str:
    custom = v.get("message")
    if isinstance(custom, str) and custom:
        return custom
    if isinstance(custom, Mapping):
        return label_text(custom, "en") or default
    return default


def check_text(value: str, field: FieldDef) -> str:
    """Apply ``min_length``, ``max_length`` and ``regex`` (``re.fullmatch``) to a text value."""
    v = field.validation
    if not v:
        return value
    n = len(value)
    hi = v.get("max_length")
    if isinstance(hi, int) and n > hi:
        raise fail(TOO_LONG, _message(v, f"at most {hi} characters (got {n})"))
    lo = v.get("min_length")
    if isinstance(lo, int) and n < lo:
        raise fail(TOO_SHORT, _message(v, f"at least {lo} characters (got {n})"))
    rx = v.get("regex")
    if isinstance(rx, str):
        pattern = compiled(rx)
        if pattern is not None and pattern.fullmatch(value) is None:
            raise fail(PATTERN_MISMATCH, _message(v, "does not match the required pattern"))
    return value


def _bound(x: Any) -> Decimal | None:
    if isinstance(x, bool) or not isinstance(x, int | float | Decimal | str):
        return None
    try:
        d = Decimal(repr(x)) if isinstance(x, float) else Decimal(x)
    except ArithmeticError:
        return None
    return d if d.is_finite() else None


@lru_cache(maxsize=1024)
def _bounds(lo: Any, hi: Any) -> tuple[Decimal | None, Decimal | None]:
    return _bound(lo), _bound(hi)


def check_number(value: int | Decimal, field: FieldDef) -> int | Decimal:
    """Apply ``min``/``max`` (inclusive) to a number."""
    v = field.validation
    if not v:
        return value
    lo_raw, hi_raw = v.get("min"), v.get("max")
    if lo_raw is None and hi_raw is None:
        return value
    try:
        lo, hi = _bounds(lo_raw, hi_raw)
    except TypeError:  # unhashable bound: the definition check reports it
        return value
    if lo is not None and value < lo:
        raise fail(OUT_OF_RANGE, _message(v, f"must be at least {lo}"))
    if hi is not None and value > hi:
        raise fail(OUT_OF_RANGE, _message(v, f"must be at most {hi}"))
    return value


def number_bound_problem(x: Any) -> bool:
    """True when ``x`` is given but is not a usable number (for definition checks)."""
    return x is not None and _bound(x) is None
