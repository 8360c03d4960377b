"""Record ids: UUIDv7, time-ordered so primary-key order is insertion order (keyset pagination)."""

from __future__ import annotations

import uuid

from uuid6 import uuid7


def new_id() -> str:
    """A new UUIDv7 as its canonical 36-character string."""
    return str(uuid7())


def parse_id(value: object) -> str | None:
    """The canonical form of ``value`` if it is a UUID, else None."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None
