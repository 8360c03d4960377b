"""Read-only access to the built-in CRM definitions, loaded once per process.

Domain code (demo data, lead conversion, pipeline reports…) asks here for picklist values and
stage properties instead of repeating them, so the metadata files stay the single source.
These are the *shipped* definitions; an installation's current (possibly customised) ones live
in the metadata registry.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from accord.apps.crm.loader import load_app_definitions
from accord.meta.fieldtypes import all_types
from accord.meta.model import FieldDef, ObjectDef, label_text

# Field type names the built-in objects may use: those of the field-type registry.
FIELD_TYPES = frozenset(all_types())
# Values the system computes; never part of input rows.
COMPUTED_TYPES = frozenset({"auto_number", "formula", "rollup"})
# Types whose value is the id of another record of the app.
REFERENCE_TYPES = frozenset({"lookup", "master_detail"})


@cache
def _definitions() -> tuple[ObjectDef, ...]:
    return tuple(load_app_definitions())


def definitions() -> dict[str, ObjectDef]:
    """Every built-in object by name, in install order."""
    return {o.name: o for o in _definitions()}


def object_names() -> list[str]:
    """Object names in install order."""
    return [o.name for o in _definitions()]


def get(object_name: str) -> ObjectDef:
    obj = definitions().get(object_name)
    if obj is None:
        raise KeyError(f"no built-in object named {object_name!r}")
    return obj


def field(object_name: str, field_name: str) -> FieldDef:
    f = get(object_name).field(field_name)
    if f is None:
        raise KeyError(f"{object_name} has no field {field_name!r}")
    return f


def choices(object_name: str, field_name: str) -> list[Mapping[str, Any]]:
    """The choices of a select / multi-select field, in their display order."""
    return list(field(object_name, field_name).options.get("choices") or ())


def choice_values(object_name: str, field_name: str) -> list[str]:
    return [c["value"] for c in choices(object_name, field_name)]


def choice_label(object_name: str, field_name: str, value: str, locale: str = "zh") -> str:
    for c in choices(object_name, field_name):
        if c["value"] == value:
            return label_text(c.get("label"), locale)
    raise KeyError(f"{object_name}.{field_name} has no choice {value!r}")


def choice(object_name: str, field_name: str, value: str) -> Mapping[str, Any]:
    for c in choices(object_name, field_name):
        if c["value"] == value:
            return c
    raise KeyError(f"{object_name}.{field_name} has no choice {value!r}")


def stage_probabilities() -> dict[str, int]:
    """Opportunity stage → default win probability (percent)."""
    return {c["value"]: int(c.get("probability", 0)) for c in choices("opportunity", "stage")}


def closed_stages() -> frozenset[str]:
    return frozenset(c["value"] for c in choices("opportunity", "stage") if c.get("closed"))


def won_stages() -> frozenset[str]:
    return frozenset(c["value"] for c in choices("opportunity", "stage") if c.get("won"))


def writable_fields(object_name: str) -> dict[str, FieldDef]:
    """Fields a row may carry (everything the system does not compute)."""
    return {f.name: f for f in get(object_name).fields if f.type not in COMPUTED_TYPES}


def reference_targets(object_name: str) -> dict[str, str]:
    """Lookup / master-detail field → target object."""
    return {
        f.name: f.options["target"] for f in get(object_name).fields if f.type in REFERENCE_TYPES
    }
