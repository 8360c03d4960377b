"""Audit log search over HTTP: filters, keyset pages newest first, validation, admins only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from accord.core.clock import FixedClock

NewUser = Callable[..., dict[str, Any]]


def _search(api: TestClient, **params: Any) -> Any:
    return api.get("/api/v1/audit", params=params)


def test_audit_search_filters_and_pages_newest_first(
    admin_api: TestClient, new_user: NewUser, fixed_clock: FixedClock
) -> None:
    # Given three tokens made for one user an hour apart, and one revoked
    user = new_user("audited")
    made = []
    for i in range(3):
        r = admin_api.post("/api/v1/tokens", json={"name": f"t{i}", "user": user["id"]})
        made.append(r.json()["id"])
        fixed_clock.advance(hours=1)
    assert admin_api.delete(f"/api/v1/tokens/{made[0]}").status_code == 204

    # Target filters, exact and prefix actions
    r = _search(admin_api, target_type="token", target_id=made[0])
    assert [e["action"] for e in r.json()["data"]] == ["token.revoke", "token.create"]
    entry = r.json()["data"][1]
    assert entry["actor_login"] == "admin" and entry["details"]["name"] == "t0"
    assert set(entry) == {
        "id", "at", "actor_id", "actor_login", "action", "target_type", "target_id", "details",
        "ip",
    }  # fmt: skip
    creates = _search(admin_api, action="token.create", target_type="token").json()["data"]
    assert [e["target_id"] for e in creates[:3]] == made[::-1]
    by_prefix = _search(admin_api, action="token.*", since="2026-01-15T09:00:00Z").json()["data"]
    assert {e["target_id"] for e in by_prefix} >= set(made)

    # Time window: since inclusive, until exclusive (naive means UTC)
    window = _search(
        admin_api, action="token.create", since="2026-01-15T10:00:00", until="2026-01-15T11:00:00Z"
    ).json()["data"]
    assert [e["target_id"] for e in window if e["target_id"] in made] == [made[1]]

    # Actor by login or id; keyset pages of two
    seen, cursor = [], None
    while True:
        params = {"actor": "admin", "action": "token.create", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = _search(admin_api, **params).json()
        assert len(page["data"]) <= 2
        seen += [e["id"] for e in page["data"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen)) >= 3
    admin_id = creates[0]["actor_id"]
    assert (
        _search(admin_api, actor=admin_id, action="token.create", limit=500).json()["data"][0]["id"]
        == seen[0]
    )
    assert _search(admin_api, actor="no-such-login").json() == {"data": [], "next_cursor": None}


def test_bad_audit_filters_are_named(admin_api: TestClient) -> None:
    r = _search(
        admin_api,
        since="yesterday",
        until="2026-13-01",
        action="DROP TABLE",
        target_type="User!",
        limit=0,
        cursor="!!",
    )
    assert r.status_code == 422 and r.json()["code"] == "INVALID_AUDIT_FILTER"
    assert {(e["field"], e["code"]) for e in r.json()["errors"]} == {
        ("since", "INVALID_DATE"),
        ("until", "INVALID_DATE"),
        ("action", "INVALID_VALUE"),
        ("target_type", "INVALID_VALUE"),
        ("limit", "OUT_OF_RANGE"),
        ("cursor", "INVALID_CURSOR"),
    }
    assert _search(admin_api, limit="many").status_code == 422


def test_only_administrators_read_the_audit_log(admin_api: TestClient, new_user: NewUser) -> None:
    user = new_user("curious")
    token = admin_api.post("/api/v1/tokens", json={"name": "x", "user": user["id"]}).json()
    api = TestClient(admin_api.app, raise_server_exceptions=False)
    api.headers["Authorization"] = f"Bearer {token['token']}"
    r = _search(api)
    assert r.status_code == 403 and r.json()["code"] == "NOT_ALLOWED"
