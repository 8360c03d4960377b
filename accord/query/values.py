"""Values by kind: turning untrusted operands into exact Python values, and turning stored
(canonical) values into the same shapes so the predicate compares like with like.

Operands are checked hard here because they reach SQL: a NUL character, a lone surrogate, a
non-UUID compared with a PostgreSQL ``uuid`` column or a NaN would otherwise fail (or differ)
in the database instead of being reported as ``INVALID_VALUE``.
"""

from __future__ import annotations

import math
import re
import uuid
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from accord.query.ast import ME, ME_TOKEN

MAX_TEXT_OPERAND = 10_000
_INT_TEXT = re.compile(r"[+-]?[0-9]{1,40}")
_DECIMAL_TEXT = re.compile(
    r"[+-]?([0-9]{1,40}(\.[0-9]{0,40})?|\.[0-9]{1,40})([eE][+-]?[0-9]{1,4})?"
)
_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


class OperandError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def bad(message: str) -> OperandError:
    return OperandError("INVALID_VALUE", message)


def ascii_lower(s: str) -> str:
    """Lower-case A–Z only: what SQLite's ``lower()`` does, and ``dialect.ascii_lower`` on PG."""
    return s.translate(_ASCII_LOWER)


def check_text(v: object) -> str:
    if not isinstance(v, str):
        raise bad("expected a string")
    if len(v) > MAX_TEXT_OPERAND:
        raise bad(f"longer than {MAX_TEXT_OPERAND} characters")
    if "\x00" in v:
        raise bad("contains a NUL character")
    try:
        v.encode("utf-8")
    except UnicodeEncodeError:
        raise bad("is not valid Unicode text") from None
    return v


def to_kind(kind: str, v: Any) -> Any:
    """``v`` (decoded JSON, a query-string text, or a field type's coerced value) as the exact
    Python value of ``kind``; raises ``OperandError``. ``None`` stays ``None``."""
    if v is None:
        return None
    if kind == "text":
        return check_text(v)
    if kind == "integer":
        return _integer(v)
    if kind == "decimal":
        return _decimal(v)
    if kind == "date":
        return _date(v)
    if kind == "datetime":
        return _datetime(v)
    if kind == "time":
        return _time(v)
    if kind == "boolean":
        return _boolean(v)
    if kind in ("ref", "link"):
        return ref_id(v)
    if kind == "array":
        return check_text(v)  # an element of a multi-select or tags value
    raise bad(f"values of kind {kind} cannot be compared")


def ref_id(v: Any, *, allow_me: bool = False) -> Any:
    if allow_me and v == ME_TOKEN:
        return ME
    if isinstance(v, uuid.UUID):
        return str(v)
    if isinstance(v, str) and len(v) <= 64:
        try:
            return str(uuid.UUID(v))
        except ValueError:
            pass
    raise bad("expected a record id (UUID)" + (' or "$me"' if allow_me else ""))


def _integer(v: Any) -> int:
    if isinstance(v, bool):
        raise bad("expected an integer")
    if isinstance(v, int):
        return v
    if isinstance(v, float) and math.isfinite(v) and v.is_integer() and abs(v) < 2**63:
        return int(v)
    if isinstance(v, Decimal) and v.is_finite() and v == v.to_integral_value() and abs(v) < 1e40:
        return int(v)
    if isinstance(v, str) and _INT_TEXT.fullmatch(v.strip()):
        return int(v.strip())
    raise bad("expected an integer")


def _decimal(v: Any) -> Decimal:
    if isinstance(v, bool):
        raise bad("expected a number")
    if isinstance(v, int):
        if abs(v) >= 10**40:
            raise bad("number out of range")
        return Decimal(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise bad("expected a finite number")
        return Decimal(repr(v))
    if isinstance(v, str) and _DECIMAL_TEXT.fullmatch(v.strip()):
        v = Decimal(v.strip())
    if isinstance(v, Decimal) and v.is_finite():
        if v != 0 and not (-60 < v.adjusted() < 40):  # bounded exponent: exact ops stay cheap
            raise bad("number out of range")
        return v
    raise bad("expected a decimal number")


def _date(v: Any) -> date:
    if isinstance(v, datetime):
        raise bad("expected a date, not a date-time")
    if isinstance(v, date):
        return v
    if isinstance(v, str) and len(v) <= 40:
        try:
            return date.fromisoformat(v.strip())
        except ValueError:
            pass
    raise bad("expected a date (YYYY-MM-DD)")


def _datetime(v: Any) -> datetime:
    if isinstance(v, str) and len(v) <= 64:
        try:
            v = datetime.fromisoformat(v.strip())
        except ValueError:
            raise bad("expected an ISO 8601 date-time") from None
    if isinstance(v, datetime):
        # Naive date-times are read as UTC, the storage zone (documented).
        return v.replace(tzinfo=UTC) if v.tzinfo is None else v.astimezone(UTC)
    raise bad("expected an ISO 8601 date-time")


def _time(v: Any) -> time:
    if isinstance(v, time):
        return v.replace(tzinfo=None)
    if isinstance(v, str) and len(v) <= 40:
        try:
            return time.fromisoformat(v.strip()).replace(tzinfo=None)
        except ValueError:
            pass
    raise bad("expected a time (HH:MM[:SS])")


def _boolean(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.strip().lower() in _TRUE | _FALSE:
        return v.strip().lower() in _TRUE
    raise bad("expected true or false")


# --- stored values, for the predicate ---------------------------------------------------------


def stored(kind: str, v: Any) -> Any:
    """A canonical stored value in the shape operands have (``None`` when absent or unreadable).

    Canonical values usually already have that shape; this tolerates JSON forms (decimal and
    date strings) so a rule can evaluate a record decoded from an event payload.
    """
    if v is None:
        return None
    try:
        if kind in ("array", "link"):
            if not isinstance(v, list | tuple):
                return None
            if kind == "link":
                return [str(x).lower() for x in v if x is not None]
            return list(v)
        if kind == "json":
            return v
        if kind == "ref":
            return str(v).lower()
        if kind == "text":
            return v if isinstance(v, str) else None
        if kind == "boolean" and isinstance(v, int):
            return bool(v)
        return to_kind(kind, v)
    except OperandError:
        return None
