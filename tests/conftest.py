"""Shared fixtures: one database per test session (SQLite file, or the PostgreSQL database named
by ACCORD_TEST_DATABASE_URL), with the system schema and the CRM objects installed once.

Tests share that database, so each test creates its own data (or its own custom object) and
asserts on what it created.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from accord.core.clock import FixedClock, SystemClock
from accord.core.context import SYSTEM_ACTOR, Context, Runtime
from accord.core.settings import Settings
from accord.db.engine import make_engine, unit_of_work

ADMIN_LOGIN = "admin"
ADMIN_PASSWORD = "admin-password-for-tests"


def _database_url(tmp: Path) -> str:
    url = os.environ.get("ACCORD_TEST_DATABASE_URL")
    return url or f"sqlite:///{tmp / 'accord-test.db'}"


@pytest.fixture(scope="session")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    from accord.setup import init

    tmp = tmp_path_factory.mktemp("accord")
    url = _database_url(tmp)
    # Cheap Argon2 for the suite only (thousands of hashes); production keeps the defaults.
    settings = Settings(
        data_dir=tmp,
        database_url=url,
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        argon2_parallelism=1,
    )
    rt = Runtime(settings=settings, engine=make_engine(url), clock=SystemClock())
    init(rt, ADMIN_LOGIN, ADMIN_PASSWORD)
    yield rt
    rt.engine.dispose()


@pytest.fixture
def ctx(runtime: Runtime) -> Iterator[Context]:
    """A system context in a unit of work committed at the end of the test."""
    with unit_of_work(runtime.engine) as conn:
        yield Context(runtime=runtime, conn=conn, actor=SYSTEM_ACTOR)


@pytest.fixture
def fixed_clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def fixed_runtime(runtime: Runtime, fixed_clock: FixedClock) -> Runtime:
    return replace(runtime, clock=fixed_clock)


@pytest.fixture(scope="session")
def admin_token(runtime: Runtime) -> str:
    from accord.auth.service import create_token

    with unit_of_work(runtime.engine) as conn:
        return create_token(Context(runtime=runtime, conn=conn), ADMIN_LOGIN, "tests")


@pytest.fixture(scope="session")
def client(runtime: Runtime, admin_token: str) -> Iterator[TestClient]:
    from accord.api.app import create_app

    with TestClient(create_app(runtime), raise_server_exceptions=False) as c:
        c.headers["Authorization"] = f"Bearer {admin_token}"
        yield c


@pytest.fixture
def unique() -> str:
    """A short unique suffix for names of objects and values a test creates."""
    return uuid.uuid4().hex[:8]


def is_postgres(runtime: Runtime) -> bool:
    return runtime.engine.dialect.name == "postgresql"
