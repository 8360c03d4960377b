"""Fixtures of the notification tests: users made through the organisation service, a context
acting as one of them, and a custom object with a field hidden from a role."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from accord.auth import org, roles
from accord.auth.identity import actor_for, find_user_by_id
from accord.core.context import Context
from accord.meta import service as meta

MakeUser = Callable[..., dict[str, Any]]
Acting = Callable[[dict[str, Any]], Context]


@pytest.fixture
def make_user(ctx: Context, unique: str) -> MakeUser:
    """``make_user("li", locale="en", email=…)``: an active user with a unique login."""
    counter = iter(range(1_000_000))

    def make(name: str = "user", **values: Any) -> dict[str, Any]:
        login = f"{name}.{unique}.{next(counter)}"
        return org.create_user(ctx, {"login": login, "name": name, **values})

    return make


@pytest.fixture
def acting(ctx: Context) -> Acting:
    """``acting(user)``: ``ctx`` (same unit of work) acting as ``user``."""

    def as_user(user: dict[str, Any]) -> Context:
        row = find_user_by_id(ctx.conn, user["id"])
        assert row is not None
        return ctx.as_actor(actor_for(row))

    return as_user


def secret_object(ctx: Context, unique: str) -> tuple[str, str]:
    """A custom object ``deal_<unique>`` with a ``secret`` field, and a role that may read
    every record of it but not that field. Returns (object name, role name)."""
    obj, role = f"deal_{unique}", f"deal_reader_{unique}"
    text = {"type": "text"}
    meta.create_object(
        ctx,
        {
            "name": obj,
            "label": {"en": "Deal", "zh": "交易"},
            "plural_label": {"en": "Deals", "zh": "交易"},
            "fields": [
                {"name": "name", "label": {"en": "Name", "zh": "名称"}, "required": True, **text},
                {"name": "secret", "label": {"en": "Secret", "zh": "机密"}, **text},
            ],
        },
    )
    roles.create_role(
        ctx,
        {
            "name": role,
            "label": {"en": role, "zh": role},
            "grants": {obj: {"read": True, "read_scope": "all"}},
            "field_permissions": {obj: {"secret": "hidden"}},
        },
    )
    return obj, role
