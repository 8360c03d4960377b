"""Field types: one small class per type, one module per family, registered by name.

Others use :func:`get_type` / :func:`all_types` (``registry``), the contract in ``base``
(``FieldType``, ``ColumnSpec``, ``FieldValueError``, ``Problem``), the error codes in
``validation`` and the pure helpers re-exported below. Check ids (``meta.E1xx``) and value error
codes are listed in ``CHECKS.md`` beside this file.

Adding a type: write its class in the family module (or a new module added to the list below)
with ``@register``, and its tests in ``tests/unit/fieldtypes/``.
"""

from __future__ import annotations

# The one list of families: importing a module registers its types (order = listing order).
from accord.meta.fieldtypes import (  # noqa: F401
    address,
    choice,
    computed,
    currency,
    files,
    numbers,
    relations,
    structured,
    temporal,
    text,
)
from accord.meta.fieldtypes.address import normalize_province
from accord.meta.fieldtypes.base import ColumnSpec, FieldType, FieldValueError, Problem
from accord.meta.fieldtypes.choice import allowed_values
from accord.meta.fieldtypes.computed import autonumber_period, format_autonumber
from accord.meta.fieldtypes.registry import UnknownFieldType, all_types, get_type, register
from accord.meta.fieldtypes.relations import link_table_name

__all__ = [
    "ColumnSpec",
    "FieldType",
    "FieldValueError",
    "Problem",
    "UnknownFieldType",
    "all_types",
    "allowed_values",
    "autonumber_period",
    "format_autonumber",
    "get_type",
    "link_table_name",
    "normalize_province",
    "register",
]
