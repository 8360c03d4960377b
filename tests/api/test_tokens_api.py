"""API tokens over HTTP: create (shown once), list (never the secret), expiry, revocation within
the documented cache window, and ``last_used_at`` written at most once a minute."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event

from accord.api.app import create_app
from accord.core.clock import FixedClock
from accord.core.context import Runtime

Browser = Callable[..., TestClient]
NewUser = Callable[..., dict[str, Any]]
SignIn = Callable[..., dict[str, Any]]
AuditLog = Callable[..., list[dict[str, Any]]]


def _bearer(app_client: TestClient, token: str) -> TestClient:
    c = TestClient(app_client.app, raise_server_exceptions=False)
    c.headers["Authorization"] = f"Bearer {token}"
    return c


def _user_api(admin_api: TestClient, user: dict[str, Any]) -> TestClient:
    r = admin_api.post("/api/v1/tokens", json={"name": "tests", "user": user["id"]})
    assert r.status_code == 201, r.text
    return _bearer(admin_api, r.json()["token"])


def test_a_token_is_shown_once_and_listed_without_its_secret(
    admin_api: TestClient, new_user: NewUser, audit_log: AuditLog
) -> None:
    user = new_user("tok")
    api = _user_api(admin_api, user)
    r = api.post("/api/v1/tokens", json={"name": "ERP sync", "expires_in_days": 30})
    assert r.status_code == 201, r.text
    created = r.json()
    secret = created.pop("token")
    assert secret.startswith("acc_") and created["prefix"] == secret[:10]
    assert created["user_id"] == user["id"] and created["expires_at"] is not None

    listed = api.get("/api/v1/tokens").json()["data"]
    assert [t["name"] for t in listed] == ["ERP sync", "tests"]
    assert listed[0] == {**created, "last_used_at": None}
    text = str(listed)
    assert secret not in text and "token_hash" not in text and secret[10:] not in text
    assert _bearer(admin_api, secret).get("/api/v1/me/permissions").status_code == 200

    [entry] = audit_log(action="token.create", target_id=created["id"])
    assert entry["actor_id"] == user["id"]
    assert entry["details"]["prefix"] == created["prefix"] and secret not in str(entry)


def test_only_administrators_manage_other_users_tokens(
    admin_api: TestClient, new_user: NewUser
) -> None:
    user, other = new_user("mine"), new_user("theirs")
    api = _user_api(admin_api, user)
    theirs = admin_api.post("/api/v1/tokens", json={"name": "x", "user": other["login"]}).json()
    for r in (
        api.get("/api/v1/tokens", params={"user": other["id"]}),
        api.post("/api/v1/tokens", json={"name": "x", "user": other["id"]}),
    ):
        assert r.status_code == 403 and r.json()["code"] == "NOT_ALLOWED", r.text
    r = api.delete(f"/api/v1/tokens/{theirs['id']}")
    assert r.status_code == 404 and r.json()["code"] == "TOKEN_NOT_FOUND"
    listed = admin_api.get("/api/v1/tokens", params={"user": other["login"]}).json()["data"]
    assert [t["id"] for t in listed] == [theirs["id"]]
    r = admin_api.get("/api/v1/tokens", params={"user": "nobody-at-all"})
    assert r.status_code == 404 and r.json()["code"] == "USER_NOT_FOUND"


def test_bad_token_requests_name_every_problem(admin_api: TestClient) -> None:
    cases = [
        ({"name": ""}, {("name", "INVALID_TOKEN_NAME")}),
        ({"name": "x", "expires_in_days": 0}, {("expires_in_days", "OUT_OF_RANGE")}),
        ({"name": "x", "expires_at": "2020-01-01T00:00:00Z"}, {("expires_at", "OUT_OF_RANGE")}),
        ({"name": "x", "expires_at": "next tuesday"}, {("expires_at", "INVALID_DATE")}),
        (
            {"name": "", "expires_at": "2030-01-01", "expires_in_days": 3},
            {("name", "INVALID_TOKEN_NAME"), ("expires_at", "CONFLICTING_KEYS")},
        ),
    ]
    for body, expected in cases:
        r = admin_api.post("/api/v1/tokens", json=body)
        assert r.status_code == 422 and r.json()["code"] == "INVALID_TOKEN_REQUEST", (body, r.text)
        assert {(e["field"], e["code"]) for e in r.json()["errors"]} == expected
    r = admin_api.post("/api/v1/tokens", json={"name": "x", "scopes": ["all"]})
    assert r.status_code == 422 and r.json()["code"] == "INVALID_REQUEST"


def test_a_token_stops_working_when_it_expires(
    admin_api: TestClient, fixed_clock: FixedClock
) -> None:
    r = admin_api.post(
        "/api/v1/tokens", json={"name": "short", "expires_at": "2026-01-16T09:00:00Z"}
    )
    api = _bearer(admin_api, r.json()["token"])
    assert api.get("/api/v1/tokens").status_code == 200  # now cached for 5 s
    fixed_clock.advance(hours=23, minutes=59)
    assert api.get("/api/v1/tokens").status_code == 200
    fixed_clock.advance(minutes=1)  # the cache does not outlive the expiry
    r = api.get("/api/v1/tokens")
    assert r.status_code == 401 and r.json()["code"] == "TOKEN_EXPIRED"


def _age_cache(runtime: Runtime, seconds: float) -> None:
    """What ``seconds`` of real time do to a process's token cache (no sleeping in tests)."""
    cache = runtime.caches.get("api_tokens", {})
    for key, value in list(cache.items()):
        cache[key] = (value[0] - seconds, *value[1:])


def test_revoking_takes_effect_here_at_once_and_elsewhere_within_five_seconds(
    fixed_runtime: Runtime,
    admin_api: TestClient,
    new_user: NewUser,
    tune: Callable[..., Runtime],
    audit_log: AuditLog,
) -> None:
    user = new_user("revoke")
    created = admin_api.post("/api/v1/tokens", json={"name": "x", "user": user["id"]}).json()
    here = _bearer(admin_api, created["token"])
    other_runtime = tune(fixed_runtime, own_caches=True)  # another process: its own cache
    elsewhere = TestClient(create_app(other_runtime), raise_server_exceptions=False)
    elsewhere.headers["Authorization"] = f"Bearer {created['token']}"
    assert here.get("/api/v1/tokens").status_code == 200
    assert elsewhere.get("/api/v1/tokens").status_code == 200

    assert here.delete(f"/api/v1/tokens/{created['id']}").status_code == 204
    r = here.get("/api/v1/tokens")
    assert r.status_code == 401 and r.json()["code"] == "INVALID_TOKEN"
    assert elsewhere.get("/api/v1/tokens").status_code == 200  # cached there: documented
    _age_cache(other_runtime, 5)
    assert elsewhere.get("/api/v1/tokens").status_code == 401

    [row] = [t for t in admin_api.get("/api/v1/tokens", params={"user": user["id"]}).json()["data"]]
    assert row["revoked_at"] is not None
    assert admin_api.delete(f"/api/v1/tokens/{created['id']}").status_code == 204  # idempotent
    assert len(audit_log(action="token.revoke", target_id=created["id"])) == 1
    assert admin_api.delete("/api/v1/tokens/not-an-id").status_code == 404


@contextmanager
def _writes_to_tokens(runtime: Runtime) -> Iterator[list[str]]:
    seen: list[str] = []

    def on_execute(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE API_TOKENS"):
            seen.append(statement)

    event.listen(runtime.engine, "before_cursor_execute", on_execute)
    try:
        yield seen
    finally:
        event.remove(runtime.engine, "before_cursor_execute", on_execute)


def test_last_used_is_recorded_at_most_once_a_minute(
    fixed_runtime: Runtime, admin_api: TestClient, fixed_clock: FixedClock
) -> None:
    created = admin_api.post("/api/v1/tokens", json={"name": "used"}).json()
    api = _bearer(admin_api, created["token"])

    def last_used() -> str | None:
        [row] = [
            t for t in admin_api.get("/api/v1/tokens").json()["data"] if t["id"] == created["id"]
        ]
        return row["last_used_at"]  # type: ignore[no-any-return]

    assert last_used() is None
    with _writes_to_tokens(fixed_runtime) as writes:
        assert api.get("/api/v1/tokens").status_code == 200
    assert len(writes) == 1
    assert last_used() == "2026-01-15T09:00:00Z"

    fixed_clock.advance(seconds=30)
    _age_cache(fixed_runtime, 5)  # even on a cache miss, a fresh time is not written again
    with _writes_to_tokens(fixed_runtime) as writes:
        assert api.get("/api/v1/tokens").status_code == 200
    assert writes == [] and last_used() == "2026-01-15T09:00:00Z"

    fixed_clock.advance(seconds=31)
    _age_cache(fixed_runtime, 5)
    assert api.get("/api/v1/tokens").status_code == 200
    assert last_used() == "2026-01-15T09:01:01Z"


def test_sessions_record_use_at_most_once_a_minute(
    fixed_runtime: Runtime,
    browser: Browser,
    new_user: NewUser,
    sign_in: SignIn,
    fixed_clock: FixedClock,
) -> None:
    web = browser()
    sign_in(web, new_user("seen"))
    fixed_clock.advance(seconds=30)
    assert web.get("/api/v1/auth/sessions").json()["data"][0]["last_seen_at"] == (
        "2026-01-15T09:00:00Z"
    )
    fixed_clock.advance(seconds=31)
    web.get("/api/v1/auth/sessions")
    assert web.get("/api/v1/auth/sessions").json()["data"][0]["last_seen_at"] == (
        "2026-01-15T09:01:01Z"
    )
