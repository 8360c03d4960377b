"""Fixtures for the rule engine: an admin API client on a fixed-clock app, a way to run the
engines (dispatch the outbox, run jobs, run the scheduler's tick), and rules that are switched
off and deleted after the test (the test database is shared)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from accord.core.context import Context, Runtime
from accord.db.engine import unit_of_work
from accord.engines import drain
from accord.jobs import service as jobs
from tests.api.conftest import admin_api, browser, fixed_app, new_user, sign_in  # noqa: F401

Rules = Callable[..., dict[str, Any]]


@pytest.fixture
def run_engines(fixed_runtime: Runtime) -> Callable[[], int]:
    """Dispatch every pending outbox event and run every job due now."""
    return lambda: drain(fixed_runtime)


@pytest.fixture
def tick(fixed_runtime: Runtime) -> Callable[[], int]:
    """What the scheduler does every minute: queue ``automation.tick``; then run everything."""

    def go() -> int:
        with unit_of_work(fixed_runtime.engine) as conn:
            jobs.enqueue(Context(runtime=fixed_runtime, conn=conn), "automation.tick")
        return drain(fixed_runtime)

    return go


@pytest.fixture
def rules(admin_api: TestClient) -> Iterator[Rules]:  # noqa: F811
    """``rules(definition)`` creates a rule through the API (asserting 201); every rule made
    is deleted at the end."""
    made: list[str] = []

    def make(definition: dict[str, Any]) -> dict[str, Any]:
        r = admin_api.post("/api/v1/automation/rules", json=definition)
        assert r.status_code == 201, r.text
        made.append(r.json()["id"])
        return r.json()

    yield make
    for rid in made:
        admin_api.delete(f"/api/v1/automation/rules/{rid}")
