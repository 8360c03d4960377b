"""Fixtures for the organisation, role and permission tests: users made through the services
(``org.create_user`` by the system actor), contexts acting as a user, and a query counter."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pytest
from sqlalchemy import Connection, event

from accord.auth import org
from accord.auth.service import actor_for, find_user
from accord.core.context import Context

MakeUser = Callable[..., dict[str, Any]]
Acting = Callable[[dict[str, Any]], Context]
CountQueries = Callable[[Connection], AbstractContextManager[list[str]]]


@pytest.fixture
def make_user(ctx: Context, unique: str) -> MakeUser:
    """``make_user("li", manager_id=…, department_id=…)``: a user with a unique login."""
    counter = iter(range(1_000_000))

    def make(name: str = "user", **values: Any) -> dict[str, Any]:
        login = f"{name}.{unique}.{next(counter)}"
        return org.create_user(ctx, {"login": login, "name": name, **values})

    return make


@pytest.fixture
def acting(ctx: Context) -> Acting:
    """``acting(user)``: ``ctx`` (same unit of work, same memo) acting as ``user``."""

    def as_user(user: dict[str, Any]) -> Context:
        row = find_user(ctx.conn, user["login"])
        assert row is not None
        return ctx.as_actor(actor_for(row))

    return as_user


@pytest.fixture
def admin(acting: Acting) -> Context:
    """``ctx`` acting as the administrator made by ``accord init``."""
    return acting({"login": "admin"})


@contextmanager
def _count(conn: Connection) -> Iterator[list[str]]:
    seen: list[str] = []

    def on_execute(*args: Any) -> None:
        seen.append(str(args[2]))

    event.listen(conn, "before_cursor_execute", on_execute)
    try:
        yield seen
    finally:
        event.remove(conn, "before_cursor_execute", on_execute)


@pytest.fixture
def count_queries() -> CountQueries:
    """``with count_queries(conn) as seen:`` collects the SQL run on ``conn`` in the block."""
    return _count
