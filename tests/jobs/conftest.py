"""Fixtures for the job system's tests: a fresh database per test.

SQLite (a temp file, WAL) by default; PostgreSQL when ``ACCORD_TEST_DATABASE_URL`` starts with
``postgresql`` — then each test gets a throwaway schema (``search_path`` set in the URL, so
worker subprocesses see the same tables), dropped afterwards. Fixture names start with
``jobs_`` so they never clash with a top-level conftest.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, text
from sqlalchemy.engine import make_url

from accord.core.clock import FixedClock
from accord.core.context import Context, Runtime
from accord.core.settings import load_settings
from accord.db.engine import make_engine, unit_of_work
from accord.db.tables import metadata
from accord.jobs.tables import JOB_TABLES

TEST_URL = os.environ.get("ACCORD_TEST_DATABASE_URL", "")
ON_PG = TEST_URL.startswith("postgresql")


@pytest.fixture
def jobs_db_url(tmp_path: object) -> Iterator[str]:
    """A URL of an empty database (PostgreSQL schema or SQLite file) for this test only."""
    if not ON_PG:
        yield f"sqlite:///{tmp_path}/jobs.db"
        return
    schema = f"jobs_t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(TEST_URL, pool_size=1, max_overflow=0)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(TEST_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def jobs_engine_factory(jobs_db_url: str) -> Iterator[Callable[[], Engine]]:
    """Makes engines on the test database (two engines = two "processes"); the first one
    creates the job tables. All are disposed at the end."""
    engines: list[Engine] = []

    def make() -> Engine:
        engine = make_engine(jobs_db_url)
        if not engines:
            metadata.create_all(engine, tables=list(JOB_TABLES))
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.dispose()


@pytest.fixture
def jobs_engine(jobs_engine_factory: Callable[[], Engine]) -> Engine:
    return jobs_engine_factory()


@pytest.fixture
def jobs_clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def jobs_runtime(jobs_engine: Engine, jobs_db_url: str, jobs_clock: FixedClock) -> Runtime:
    return Runtime(
        settings=load_settings(database_url=jobs_db_url), engine=jobs_engine, clock=jobs_clock
    )


@pytest.fixture
def jobs_uow(jobs_runtime: Runtime) -> Callable[[], AbstractContextManager[Context]]:
    """``with jobs_uow() as ctx:`` — one committed unit of work as the system actor."""

    @contextmanager
    def uow() -> Iterator[Context]:
        with unit_of_work(jobs_runtime.engine) as conn:
            yield Context(runtime=jobs_runtime, conn=conn)

    return uow


@pytest.fixture
def jobs_effects(jobs_engine: Engine) -> Iterator[Table]:
    """A scratch table ``job_effects (n, note)`` for handlers to write to (no unique key, so a
    duplicate effect would show as a duplicate row)."""
    md = MetaData()
    table = Table(
        "job_effects", md, Column("n", Integer, nullable=False), Column("note", String(200))
    )
    md.create_all(jobs_engine)
    yield table
    md.drop_all(jobs_engine)
