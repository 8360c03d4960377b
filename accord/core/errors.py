"""The one error hierarchy. Only the edge (api, web, cli) turns these into HTTP or messages.

    AccordError
     ├── Invalid            400/422  bad input; carries per-field errors
     ├── Unauthenticated    401
     ├── Forbidden          403
     ├── NotFound           404      also for records outside the user's scope
     ├── Conflict           409      unique violations, state conflicts
     ├── PreconditionFailed 412      stale version (optimistic locking)
     ├── PayloadTooLarge    413
     └── RateLimited        429

Each error has a stable UPPER_SNAKE ``code`` documented in docs/errors.md.

An error raised with ``commit=True`` lets its unit of work commit before it is reported: a refused
password must still count as a failed attempt, and the audit entry saying so must stay.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class FieldError:
    """One problem with one input field (or a part of a filter, or a row of an import)."""

    field: str | None
    code: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "code": self.code, "message": self.message}


@dataclass
class AccordError(Exception):
    code: str
    message: str
    errors: list[FieldError] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    commit: bool = field(default=False, kw_only=True, compare=False, repr=False)
    status: ClassVar[int] = 400
    title: ClassVar[str] = "Bad request"

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        extra = "; ".join(f"{e.field}: {e.message}" for e in self.errors)
        return f"{self.code}: {self.message}" + (f" ({extra})" if extra else "")


class Invalid(AccordError):
    status = 422
    title = "Invalid input"


class BadRequest(AccordError):
    status = 400
    title = "Bad request"


class Unauthenticated(AccordError):
    status = 401
    title = "Authentication required"


class Forbidden(AccordError):
    status = 403
    title = "Forbidden"


class NotFound(AccordError):
    status = 404
    title = "Not found"


class Conflict(AccordError):
    status = 409
    title = "Conflict"


class PreconditionFailed(AccordError):
    status = 412
    title = "Precondition failed"


class PayloadTooLarge(AccordError):
    status = 413
    title = "Payload too large"


class RateLimited(AccordError):
    status = 429
    title = "Too many requests"
