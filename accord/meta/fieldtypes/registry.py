"""Field types by name. Families register themselves when ``accord.meta.fieldtypes`` imports
them (the one list lives in that package's ``__init__``), so importing this module — which
imports the package first — always sees every type.

    >>> get_type("decimal").coerce("12.345", field)
    Decimal('12.35')
"""

from __future__ import annotations

from typing import TypeVar

from accord.meta.fieldtypes.base import FieldType

T = TypeVar("T", bound=type[FieldType])

_TYPES: dict[str, FieldType] = {}


class UnknownFieldType(LookupError):
    """``get_type`` was asked for a name no family registered."""

    def __init__(self, name: object) -> None:
        super().__init__(f"unknown field type {name!r}")
        self.name = name


def register(cls: T) -> T:
    """Class decorator: register one instance of ``cls`` under ``cls.name``."""
    name = cls.name
    existing = _TYPES.get(name)
    if existing is not None and type(existing).__qualname__ != cls.__qualname__:
        raise ValueError(f"field type {name!r} is already registered by {type(existing)!r}")
    _TYPES[name] = cls()
    return cls


def get_type(name: str) -> FieldType:
    """The type called ``name``; raises :class:`UnknownFieldType`. A dict lookup (hot path)."""
    try:
        return _TYPES[name]
    except (KeyError, TypeError):
        raise UnknownFieldType(name) from None


def all_types() -> dict[str, FieldType]:
    """A copy of the registry, in registration order."""
    return dict(_TYPES)
