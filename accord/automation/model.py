"""What a rule is: trigger + condition + ordered actions, as frozen values (no I/O here).

A rule's definition is JSON (API) or YAML (export/import)::

    name: Stale opportunity reminder
    object: opportunity
    trigger: {type: periodic, every: 1h}
    condition: {field: updated_at, op: older_than, value: 3}
    actions:
      - {type: notify, to: [{owner: true}], title: {zh: "商机 {{ record.name }} 已 3 天未更新"}}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Record triggers run from the outbox; scheduled triggers run from the scheduler's tick.
RECORD_TRIGGERS = ("created", "updated", "field_changed", "deleted", "restored")
SCHEDULED_TRIGGERS = ("periodic", "date")
TRIGGER_TYPES = RECORD_TRIGGERS + SCHEDULED_TRIGGERS
# The event kind each record trigger listens to.
EVENT_OF = {
    "created": "created",
    "updated": "updated",
    "field_changed": "updated",
    "deleted": "deleted",
    "restored": "restored",
}

MAX_DEPTH = 5  # automation steps in a chain before the loop guard stops it
MAX_ACTIONS = 20
OK, ERROR, LOOP = "ok", "error", "loop"


@dataclass(frozen=True)
class Trigger:
    type: str
    fields: tuple[str, ...] = ()  # field_changed: any of these changed
    from_values: tuple[Any, ...] | None = None  # field_changed on one field: old value in …
    to_values: tuple[Any, ...] | None = None  # … and new value in …
    field: str | None = None  # date: the date field
    offset_days: int = 0  # date: fire this many days after (negative: before) the date
    annual: bool = False  # date: every year on the date's month and day (birthdays)
    every_minutes: int = 60  # periodic: how often the condition is evaluated

    @property
    def scheduled(self) -> bool:
        return self.type in SCHEDULED_TRIGGERS

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type}
        if self.type == "field_changed":
            out["fields"] = list(self.fields)
            if self.from_values is not None:
                out["from"] = list(self.from_values)
            if self.to_values is not None:
                out["to"] = list(self.to_values)
        elif self.type == "date":
            out |= {"field": self.field, "offset_days": self.offset_days, "annual": self.annual}
        elif self.type == "periodic":
            out["every"] = f"{self.every_minutes}m"
        return out


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    object_name: str
    trigger: Trigger
    condition: Any  # the filter tree (JSON), None = every record
    actions: tuple[Mapping[str, Any], ...]
    enabled: bool = False
    version: int = 1
    description: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def definition(self) -> dict[str, Any]:
        """The rule as users write it (API bodies, YAML export, version history)."""
        return {
            "name": self.name,
            "object": self.object_name,
            "description": self.description,
            "enabled": self.enabled,
            "trigger": self.trigger.to_json(),
            "condition": self.condition,
            "actions": [dict(a) for a in self.actions],
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.version,
            **self.definition(),
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


def trigger_from_json(raw: Mapping[str, Any]) -> Trigger:
    """A checked trigger's JSON as a value (``checks.check_trigger`` ran first)."""
    kind = raw["type"]
    if kind == "field_changed":
        fields = tuple(raw.get("fields") or ([raw["field"]] if raw.get("field") else ()))
        frm, to = raw.get("from"), raw.get("to")
        return Trigger(
            kind,
            fields=fields,
            from_values=None if frm is None else tuple(_listed(frm)),
            to_values=None if to is None else tuple(_listed(to)),
        )
    if kind == "date":
        return Trigger(
            kind,
            field=raw["field"],
            offset_days=int(raw.get("offset_days") or 0),
            annual=bool(raw.get("annual", False)),
        )
    if kind == "periodic":
        return Trigger(kind, every_minutes=parse_every(raw.get("every", "1h")))
    return Trigger(kind)


def _listed(v: Any) -> list[Any]:
    return list(v) if isinstance(v, list | tuple) else [v]


_UNITS = {"m": 1, "h": 60, "d": 1440}


def parse_every(text: Any) -> int:
    """``15m``, ``1h``, ``1d`` → minutes (5 minutes to 7 days). Raises ValueError."""
    if not isinstance(text, str) or len(text) < 2 or text[-1] not in _UNITS:
        raise ValueError("use a number and a unit: 15m, 1h or 1d")
    try:
        n = int(text[:-1])
    except ValueError:
        raise ValueError("use a number and a unit: 15m, 1h or 1d") from None
    minutes = n * _UNITS[text[-1]]
    if not 5 <= minutes <= 7 * 1440:
        raise ValueError("between 5m and 7d")
    return minutes


def rule_from_row(row: Mapping[str, Any]) -> Rule:
    return Rule(
        id=row["id"],
        name=row["name"],
        object_name=row["object_name"],
        trigger=trigger_from_json(row["trigger"]),
        condition=row["condition"],
        actions=tuple(row["actions"]),
        enabled=row["enabled"],
        version=row["version"],
        description=row["description"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )
