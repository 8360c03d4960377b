"""Fixtures for the sign-in, token and audit tests: browsers (cookie clients, each from its own
address) and an administrator's API client on an app whose clock the test controls."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from accord.core.context import Runtime

Browser = Callable[..., TestClient]
NewUser = Callable[..., dict[str, Any]]
SignIn = Callable[..., dict[str, Any]]
AuditLog = Callable[..., list[dict[str, Any]]]
PASSWORD = "Sunny-meadow-42"  # meets the policy: 15 characters, four classes

_addresses = itertools.count(1)


def tuned(runtime: Runtime, *, own_caches: bool = False, **settings: Any) -> Runtime:
    """``runtime`` with some settings changed (and, for "another process", its own caches)."""
    changed = replace(runtime, settings=runtime.settings.model_copy(update=settings))
    return replace(changed, caches={}) if own_caches else changed


def next_ip() -> str:
    """An address no other test uses (failed sign-ins are counted per address)."""
    n = next(_addresses) + 4096 * (os.getpid() % 4096)
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


@pytest.fixture
def fixed_app(fixed_runtime: Runtime) -> FastAPI:
    from accord.api.app import create_app

    return create_app(fixed_runtime)


@pytest.fixture
def browser(fixed_app: FastAPI) -> Browser:
    """``browser(ip=…, https=…, app=…)``: a client without a token, like a web browser."""

    def make(ip: str | None = None, https: bool = False, app: FastAPI | None = None) -> TestClient:
        return TestClient(
            app or fixed_app,
            base_url="https://accord.test" if https else "http://accord.test",
            client=(ip or next_ip(), 50000),
            raise_server_exceptions=False,
        )

    return make


@pytest.fixture
def admin_api(fixed_app: FastAPI, admin_token: str) -> TestClient:
    """The administrator's bearer-token client on the fixed-clock app."""
    return TestClient(
        fixed_app,
        headers={"Authorization": f"Bearer {admin_token}"},
        raise_server_exceptions=False,
    )


@pytest.fixture
def new_user(admin_api: TestClient, unique: str) -> NewUser:
    """``new_user("li", is_admin=False, password=…)``: a user with a unique login."""
    counter = itertools.count()

    def make(name: str = "user", password: str = PASSWORD, **extra: Any) -> dict[str, Any]:
        login = f"{name}.{unique}.{next(counter)}"
        body = {"login": login, "password": password, **extra}
        r = admin_api.post("/api/v1/users", json=body)
        assert r.status_code == 201, r.text
        return {**r.json(), "password": password}

    return make


def _sign_in(web: TestClient, user: dict[str, Any], **extra: Any) -> dict[str, Any]:
    r = web.post(
        "/api/v1/auth/login",
        json={"login": user["login"], "password": user["password"], **extra},
    )
    assert r.status_code == 200, r.text
    web.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return r.json()  # type: ignore[no-any-return]


@pytest.fixture
def sign_in() -> SignIn:
    """``sign_in(web, user, otp=…)``: log in (200 expected) and send the CSRF token from then on."""
    return _sign_in


@pytest.fixture
def audit_log(admin_api: TestClient) -> AuditLog:
    """``audit_log(action=…, target_id=…)``: matching audit entries, newest first."""

    def entries(**filters: Any) -> list[dict[str, Any]]:
        r = admin_api.get("/api/v1/audit", params={"limit": 500, **filters})
        assert r.status_code == 200, r.text
        return r.json()["data"]  # type: ignore[no-any-return]

    return entries


@pytest.fixture
def fresh_ip() -> Callable[[], str]:
    """``fresh_ip()``: an address no other test uses."""
    return next_ip


@pytest.fixture
def tune() -> Callable[..., Runtime]:
    """``tune(runtime, own_caches=…, **settings)``."""
    return tuned
