"""The notifications API as users see it: the inbox (own notifications only), preferences,
robot channels (secrets never returned), administrators' deliveries, and the live stream read
from a real server over a socket."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from accord.api.app import create_app
from accord.auth.service import create_token
from accord.core.context import Context, Runtime
from accord.db.engine import unit_of_work
from accord.notifications.service import Message, notify
from tests.api.conftest import NewUser
from tests.notifications.servers import free_port

BASE = "/api/v1/notifications"


def _notify(runtime: Runtime, user_ids: list[str], title: str, kind: str = "system") -> list[int]:
    with unit_of_work(runtime.engine) as conn:
        result = notify(Context(runtime=runtime, conn=conn), user_ids, Message(kind, {"en": title}))
    return result.notification_ids


def _client(runtime: Runtime, app: Any, login: str) -> TestClient:
    with unit_of_work(runtime.engine) as conn:
        token = create_token(Context(runtime=runtime, conn=conn), login, "notifications")
    return TestClient(
        app, headers={"Authorization": f"Bearer {token}"}, raise_server_exceptions=False
    )


@pytest.fixture
def as_user(fixed_runtime: Runtime, fixed_app: Any) -> Any:
    return lambda user: _client(fixed_runtime, fixed_app, user["login"])


def test_inbox_read_unread_read_all_and_delete(
    fixed_runtime: Runtime, new_user: NewUser, as_user: Any
) -> None:
    me, other = new_user("me", locale="en"), new_user("other")
    ids = [_notify(fixed_runtime, [me["id"]], f"n{i}")[0] for i in range(3)]
    [theirs] = _notify(fixed_runtime, [other["id"]], "not yours")
    api = as_user(me)
    page = api.get(BASE, params={"limit": 2}).json()
    assert [n["title"] for n in page["data"]] == ["n2", "n1"] and page["next_cursor"]
    rest = api.get(BASE, params={"limit": 2, "cursor": page["next_cursor"]}).json()
    assert [n["title"] for n in rest["data"]] == ["n0"] and rest["next_cursor"] is None
    assert api.get(f"{BASE}/unread-count").json() == {"unread": 3}
    r = api.post(f"{BASE}/{ids[0]}/read")
    assert r.status_code == 200 and r.json()["read"] is True and r.json()["read_at"]
    assert api.get(f"{BASE}/unread-count").json() == {"unread": 2}
    unread = api.get(BASE, params={"unread": "true"}).json()["data"]
    assert {n["id"] for n in unread} == {ids[1], ids[2]}
    assert api.post(f"{BASE}/{ids[0]}/unread").json()["read"] is False
    assert api.post(f"{BASE}/read-all").json() == {"marked": 3}
    assert api.get(f"{BASE}/unread-count").json() == {"unread": 0}
    assert api.delete(f"{BASE}/{ids[2]}").status_code == 204
    assert api.get(f"{BASE}/{ids[2]}").json()["code"] == "NOTIFICATION_NOT_FOUND"
    # Another user's notification answers exactly like one that does not exist
    for method, path in (
        ("GET", f"{BASE}/{theirs}"),
        ("POST", f"{BASE}/{theirs}/read"),
        ("DELETE", f"{BASE}/{theirs}"),
        ("GET", f"{BASE}/999999999999"),
        ("GET", f"{BASE}/abc"),
    ):
        r = api.request(method, path)
        assert (r.status_code, r.json()["code"]) == (404, "NOTIFICATION_NOT_FOUND"), path
    assert api.get(BASE, params={"cursor": "x"}).json()["code"] == "NOTIFICATION_CURSOR_INVALID"
    assert api.get(BASE, params={"limit": 0}).status_code == 422


def test_preferences_switch_channels_on_and_off(
    fixed_runtime: Runtime, new_user: NewUser, as_user: Any
) -> None:
    me = new_user("pref", email="pref@example.com")
    api = as_user(me)
    matrix = {p["kind"]: p for p in api.get(f"{BASE}/preferences").json()["data"]}
    assert matrix["automation"]["channels"] == {"in_app": True, "email": False, "robot": False}
    r = api.put(
        f"{BASE}/preferences", json={"system": {"in_app": False}, "automation": {"email": True}}
    )
    assert r.status_code == 200, r.text
    matrix = {p["kind"]: p for p in r.json()["data"]}
    assert matrix["system"]["channels"]["in_app"] is False
    assert matrix["automation"]["channels"]["email"] is True
    assert _notify(fixed_runtime, [me["id"]], "muted", kind="system") == []
    with unit_of_work(fixed_runtime.engine) as conn:
        result = notify(
            Context(runtime=fixed_runtime, conn=conn),
            [me["id"]],
            Message("automation", {"en": "heard"}),
        )
    assert len(result.notification_ids) == 1 and len(result.delivery_ids) == 1
    assert [n["title"] for n in api.get(BASE).json()["data"]] == ["heard"]
    bad = api.put(
        f"{BASE}/preferences", json={"nope": {"email": True}, "system": {"fax": True, "email": 1}}
    )
    assert bad.status_code == 422
    assert {(e["field"], e["code"]) for e in bad.json()["errors"]} == {
        ("nope", "NOTIFICATION_KIND_UNKNOWN"),
        ("system.fax", "NOTIFICATION_CHANNEL_UNKNOWN"),
        ("system.email", "NOTIFICATION_PREFERENCES_INVALID"),
    }


def test_robot_channels_validate_mask_secrets_and_stay_private(
    admin_api: TestClient, new_user: NewUser, as_user: Any, unique: str
) -> None:
    me, other = new_user("bot"), new_user("bot2")
    api = as_user(me)
    secret = "SEC0123456789abcdef0123456789abcdef"
    url = "https://oapi.dingtalk.com/robot/send?access_token=abcdef0123456789abcdef"
    r = api.post(
        f"{BASE}/channels",
        json={"name": "My group", "vendor": "dingtalk", "webhook_url": url, "secret": secret},
    )
    assert r.status_code == 201, r.text
    ch = r.json()
    assert ch["user_id"] == me["id"] and ch["secret_hint"] == "••••cdef"
    assert "abcdef0123456789abcdef" not in str(ch) and secret not in str(ch)
    assert ch["webhook_url_hint"].startswith("https://oapi.dingtalk.com/robot/send?access_token=")
    # Renaming keeps the secret; others cannot see or change the channel
    r = api.patch(f"{BASE}/channels/{ch['id']}", json={"name": "Renamed", "enabled": False})
    assert r.json()["name"] == "Renamed" and r.json()["has_secret"] is True
    assert r.json()["enabled"] is False
    assert [c["id"] for c in api.get(f"{BASE}/channels").json()["data"]] == [ch["id"]]
    theirs = as_user(other)
    assert theirs.get(f"{BASE}/channels/{ch['id']}").json()["code"] == (
        "NOTIFICATION_CHANNEL_NOT_FOUND"
    )
    assert theirs.delete(f"{BASE}/channels/{ch['id']}").status_code == 404
    bad = api.post(
        f"{BASE}/channels",
        json={"name": "", "vendor": "dingtalk", "webhook_url": "ftp://x", "secret": "nope"},
    )
    assert bad.status_code == 422 and bad.json()["code"] == "NOTIFICATION_CHANNEL_INVALID"
    assert {e["field"] for e in bad.json()["errors"]} == {"name", "webhook_url", "secret"}
    slack = api.post(f"{BASE}/channels", json={"name": "x", "vendor": "slack", "webhook_url": url})
    assert [e["code"] for e in slack.json()["errors"]] == ["ROBOT_VENDOR_UNKNOWN"]
    # Department channels are for administrators
    dept = admin_api.post("/api/v1/departments", json={"name": f"Ops {unique}"}).json()
    team = {"name": "Ops", "vendor": "feishu", "webhook_url": url, "department_id": dept["id"]}
    assert api.post(f"{BASE}/channels", json=team).status_code == 403
    made = admin_api.post(f"{BASE}/channels", json=team)
    assert made.status_code == 201 and made.json()["department_id"] == dept["id"]
    listed = admin_api.get(f"{BASE}/channels", params={"department_id": dept["id"]}).json()
    assert [c["id"] for c in listed["data"]] == [made.json()["id"]]
    assert api.get(f"{BASE}/channels", params={"department_id": "*"}).status_code == 403
    assert api.get(f"{BASE}/deliveries").status_code == 403
    assert api.delete(f"{BASE}/channels/{ch['id']}").status_code == 204


# --- live stream ---------------------------------------------------------------------------


@pytest.fixture
def live_server(runtime: Runtime) -> Iterator[str]:
    """The real app served by uvicorn on a free loopback port, in a thread."""
    port = free_port()
    config = uvicorn.Config(
        create_app(runtime), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def _events(lines: Iterator[str], count: int) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    event: dict[str, str] = {}
    for line in lines:
        if not line:
            if "data" in event:
                found.append(event)
                if len(found) == count:
                    return found
            event = {}
        elif not line.startswith(":"):
            key, _, value = line.partition(": ")
            event[key] = value
    return found


def test_the_stream_pushes_notifications_created_after_it_opened(
    runtime: Runtime, new_user: NewUser, live_server: str
) -> None:
    me, other = new_user("live"), new_user("live2")
    _notify(runtime, [me["id"]], "before")  # not sent: the stream starts with what is new
    with unit_of_work(runtime.engine) as conn:
        token = create_token(Context(runtime=runtime, conn=conn), me["login"], "sse")
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=live_server, headers=headers, timeout=20) as http:
        with http.stream("GET", f"{BASE}/stream") as r:
            assert r.status_code == 200
            assert r.headers["content-type"].startswith("text/event-stream")
            lines = r.iter_lines()
            assert next(lines).startswith("retry:")
            _notify(runtime, [other["id"]], "someone else's")
            [first] = _notify(runtime, [me["id"]], "live one")
            [event] = _events(lines, 1)
        assert event["event"] == "notification" and event["id"] == str(first)
        assert '"title":"live one"' in event["data"]
        # Reconnecting with Last-Event-ID sends what came after it, once
        [second] = _notify(runtime, [me["id"]], "while away")
        resume = {"Last-Event-ID": str(first)}
        with http.stream("GET", f"{BASE}/stream", headers=resume) as r:
            [event] = _events(r.iter_lines(), 1)
        assert event["id"] == str(second) and "while away" in event["data"]
        bad = http.get(f"{BASE}/stream", headers={"Last-Event-ID": "abc"})
        assert bad.status_code == 422
