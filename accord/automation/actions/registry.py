"""The action types, by name. Adding one = one module with an ``ActionType`` subclass, listed
here (or ``register``-ed by the package that owns its engine, as sales and workflow will for
``move_to_pool`` and ``start_approval``)."""

from __future__ import annotations

from accord.automation.actions.assign_owner import AssignOwner
from accord.automation.actions.base import ActionType
from accord.automation.actions.create_record import CreateRecord
from accord.automation.actions.hooks import MoveToPool, StartApproval
from accord.automation.actions.notify import Notify
from accord.automation.actions.update_fields import UpdateFields
from accord.automation.actions.webhook import CallWebhook

_TYPES: dict[str, ActionType] = {
    a.type: a
    for a in (
        UpdateFields(),
        CreateRecord(),
        AssignOwner(),
        Notify(),
        CallWebhook(),
        MoveToPool(),
        StartApproval(),
    )
}


def get(name: str) -> ActionType | None:
    return _TYPES.get(name) if isinstance(name, str) else None


def names() -> list[str]:
    return list(_TYPES)


def register(action: ActionType) -> None:
    """Install (or replace) an action type; called once at import by its owning package."""
    _TYPES[action.type] = action
