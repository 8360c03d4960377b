"""Email and group-robot deliveries end to end: notify → job → a real SMTP server / a real HTTP
robot on loopback, and the delivery's state as an administrator sees it over the API."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_plus

import pytest
from fastapi.testclient import TestClient

from accord.api.app import create_app
from accord.auth import org, roles
from accord.core.clock import FixedClock
from accord.core.context import SYSTEM_ACTOR, Context, Runtime
from accord.db.engine import unit_of_work
from accord.engines import drain
from accord.jobs import HandlerRegistry, Worker
from accord.notifications import channels, preferences
from accord.notifications import tasks as notification_tasks
from accord.notifications.service import Message, notify
from accord.records import service as records
from tests.notifications.conftest import secret_object
from tests.notifications.servers import robot_server, smtp_server

PUBLIC = "https://crm.example.com"
SECRET = "SECb1f0c1d2e3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2"
STALE = Message(
    "automation",
    {"zh": "商机“{{ record.name }}”三天未跟进", "en": "Opportunity {{ record.name }} is stale"},
    {"zh": "规则：{{ rule }}\n<b>不要转义我</b>", "en": "Rule: {{ rule }}\n<b>escape me</b>"},
    data={"rule": "Stale opportunity"},
)


def _runtime(runtime: Runtime, clock: FixedClock, **settings: Any) -> Runtime:
    changed = runtime.settings.model_copy(update={"public_url": PUBLIC, **settings})
    return replace(runtime, settings=changed, clock=clock)


@pytest.fixture
def admin_api(runtime: Runtime, admin_token: str) -> Iterator[TestClient]:
    with TestClient(create_app(runtime), raise_server_exceptions=False) as c:
        c.headers["Authorization"] = f"Bearer {admin_token}"
        yield c


def _user(ctx: Context, unique: str, name: str, **values: Any) -> dict[str, Any]:
    login = f"{name}.{unique}"
    return org.create_user(ctx, {"login": login, "name": name, **values})


def _choose(ctx: Context, user: dict[str, Any], choices: dict[str, Any]) -> None:
    from accord.auth.identity import actor_for, find_user_by_id

    preferences.set_preferences(
        ctx.as_actor(actor_for(find_user_by_id(ctx.conn, user["id"]))), choices
    )


def test_email_reaches_each_recipient_in_their_language_through_smtp(
    runtime: Runtime, fixed_clock: FixedClock, unique: str
) -> None:
    with smtp_server() as (port, inbox):
        rt = _runtime(
            runtime, fixed_clock, smtp_host="127.0.0.1", smtp_port=port, smtp_security="none"
        )
        with unit_of_work(rt.engine) as conn:
            ctx = Context(runtime=rt, conn=conn, actor=SYSTEM_ACTOR)
            obj, role = secret_object(ctx, unique)
            rec = records.create(ctx, obj, {"name": "华东 ERP", "secret": "x"})
            wang = _user(ctx, unique, "wang", locale="zh_CN", email=f"wang.{unique}@example.com")
            kim = _user(ctx, unique, "kim", locale="en", email=f"kim.{unique}@example.com")
            quiet = _user(ctx, unique, "quiet", locale="en", email=f"quiet.{unique}@example.com")
            for u in (wang, kim, quiet):
                roles.set_user_roles(ctx, u["id"], [role])
            for u in (wang, kim):
                _choose(ctx, u, {"automation": {"email": True}})
            message = replace(STALE, object_name=obj, record_id=rec["id"])
            result = notify(ctx, [wang["id"], kim["id"], quiet["id"]], message)
            assert len(result.delivery_ids) == 2  # quiet kept email off (the default)
        drain(rt)
        got = {m["To"]: m for m in inbox.messages if unique in str(m["To"])}
    assert set(got) == {wang["email"], kim["email"]}
    link = f"{PUBLIC}/records/{obj}/{rec['id']}"
    zh, en = got[wang["email"]], got[kim["email"]]
    assert zh["Subject"] == "商机“华东 ERP”三天未跟进"
    assert en["Subject"] == "Opportunity 华东 ERP is stale"
    zh_text = zh.get_body(("plain",)).get_content()
    en_text = en.get_body(("plain",)).get_content()
    en_html = en.get_body(("html",)).get_content()
    assert "规则：Stale opportunity" in zh_text and f"查看记录：{link}" in zh_text
    assert "Rule: Stale opportunity" in en_text and f"Open the record: {link}" in en_text
    # The layout escapes what the template produced: no markup injected into the HTML part
    assert "&lt;b&gt;escape me&lt;/b&gt;" in en_html and "<b>escape me" not in en_html
    assert f'href="{link}"' in en_html
    assert zh["Message-ID"].endswith("@accord.notifications>")


def _dingtalk_sign(timestamp: str, secret: str) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def test_a_department_robot_gets_one_signed_dingtalk_card_with_a_link_back(
    runtime: Runtime, fixed_clock: FixedClock, unique: str, admin_api: TestClient
) -> None:
    rt = _runtime(runtime, fixed_clock)
    with robot_server() as robot:
        with unit_of_work(rt.engine) as conn:
            ctx = Context(runtime=rt, conn=conn, actor=SYSTEM_ACTOR)
            obj, role = secret_object(ctx, unique)
            dept = org.create_department(ctx, {"name": f"East {unique}"})
            member = _user(ctx, unique, "li", department_id=dept["id"])
            roles.set_user_roles(ctx, member["id"], [role])
            rec = records.create(ctx, obj, {"name": "Big deal", "secret": f"S3CRET-{unique}"})
            channel = channels.create_channel(
                ctx,
                {
                    "department_id": dept["id"],
                    "name": "East sales group",
                    "vendor": "dingtalk",
                    "webhook_url": robot.url(),
                    "secret": SECRET,
                },
            )
            assert channel["secret_hint"] == "••••" + SECRET[-4:]
            message = Message(
                "automation",
                {"zh": "{{ record.name }} 需要跟进", "en": "{{ record.name }} needs you"},
                {"zh": "机密：{{ record.secret }}"},
                object_name=obj,
                record_id=rec["id"],
            )
            result = notify(ctx, [], message, department_ids=[dept["id"]])
            [delivery_id] = result.delivery_ids
        drain(rt)
        [call] = [c for c in robot.calls if "Big deal" in str(c.body)]
    ts = call.query["timestamp"]
    assert call.path == "/robot/send" and call.query["access_token"] == "tok-0123456789abcdef"
    assert call.query["sign"] == _dingtalk_sign(ts, SECRET)
    assert abs(int(ts) - int(fixed_clock.now().timestamp() * 1000)) < 3600_000
    card = call.body["actionCard"]
    assert call.body["msgtype"] == "actionCard"
    assert card["title"] == "Big deal 需要跟进"
    # the member of the department may not see "secret": the group message does not show it
    assert f"S3CRET-{unique}" not in str(call.body)
    assert f"{PUBLIC}/records/{obj}/{rec['id']}" in str(call.body)
    r = admin_api.get(f"/api/v1/notifications/deliveries/{delivery_id}")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "sent" and r.json()["channel"] == "robot"
    assert quote_plus(SECRET) not in r.text and SECRET not in r.text


def _run_notification_jobs(rt: Runtime) -> int:
    # Only this package's jobs: the test's clock is years ahead of every other test's.
    registry = HandlerRegistry().include(notification_tasks)
    return Worker(rt, registry, poll_interval=0).run_until_idle()


def test_a_failing_robot_is_retried_then_dead_visible_and_retryable(
    runtime: Runtime, unique: str, admin_api: TestClient
) -> None:
    clock = FixedClock(datetime(2035, 3, 1, 8, 0, tzinfo=UTC))
    rt = _runtime(runtime, clock)
    with robot_server() as robot:
        robot.answers = [(500, {"errcode": -1, "errmsg": "system busy"})]
        with unit_of_work(rt.engine) as conn:
            ctx = Context(runtime=rt, conn=conn, actor=SYSTEM_ACTOR)
            user = _user(ctx, unique, "zhao", locale="en")
            _choose(ctx, user, {"system": {"robot": True}})
            uctx = ctx.as_actor(
                replace(
                    SYSTEM_ACTOR,
                    id=user["id"],
                    login=user["login"],
                    is_system=False,
                    is_admin=False,
                )
            )
            channels.create_channel(
                uctx,
                {
                    "name": "my group",
                    "vendor": "wecom",
                    "webhook_url": robot.url("/cgi-bin/webhook/send?key=k-0123456789"),
                },
            )
            result = notify(ctx, [user["id"]], Message("system", {"en": "Ping {{ user.name }}"}))
            [delivery_id] = result.delivery_ids
        url = f"/api/v1/notifications/deliveries/{delivery_id}"
        _run_notification_jobs(rt)
        first = admin_api.get(url).json()
        assert (first["status"], first["attempts"]) == ("failed", 1)
        assert "500" in first["last_error"] or "busy" in first["last_error"]
        assert first["next_attempt_at"] is not None
        for _ in range(10):
            clock.advance(hours=1)
            _run_notification_jobs(rt)
        dead = admin_api.get(url).json()
        assert (dead["status"], dead["attempts"], dead["max_attempts"]) == ("dead", 6, 6)
        assert len(robot.calls) == 6
        listed = admin_api.get(
            "/api/v1/notifications/deliveries", params={"status": "dead", "limit": 200}
        )
        assert delivery_id in {d["id"] for d in listed.json()["data"]}
        # Fixed on the robot's side: an administrator retries, the next run sends it
        robot.answers = [(200, {"errcode": 0, "errmsg": "ok"})]
        again = admin_api.post(f"{url}/retry")
        assert again.status_code == 200 and again.json()["status"] == "queued"
        assert admin_api.post(f"{url}/retry").json()["code"] == "NOTIFICATION_DELIVERY_NOT_DEAD"
        _run_notification_jobs(rt)
        assert admin_api.get(url).json()["status"] == "sent"
        assert len(robot.calls) == 7
        assert robot.calls[-1].body["msgtype"] == "markdown"
        assert "Ping zhao" in robot.calls[-1].body["markdown"]["content"]


def test_a_permanent_refusal_is_dead_at_once(
    runtime: Runtime, unique: str, admin_api: TestClient
) -> None:
    clock = FixedClock(datetime(2035, 6, 1, 8, 0, tzinfo=UTC))
    rt = _runtime(runtime, clock)
    with robot_server() as robot:
        robot.answers = [(200, {"errcode": 310000, "errmsg": "sign not match"})]
        with unit_of_work(rt.engine) as conn:
            ctx = Context(runtime=rt, conn=conn, actor=SYSTEM_ACTOR)
            dept = org.create_department(ctx, {"name": f"West {unique}"})
            channels.create_channel(
                ctx,
                {
                    "department_id": dept["id"],
                    "name": "g",
                    "vendor": "dingtalk",
                    "webhook_url": robot.url(),
                    "secret": SECRET,
                },
            )
            [delivery_id] = notify(
                ctx, [], Message("system", {"en": "hi"}), department_ids=[dept["id"]]
            ).delivery_ids
        _run_notification_jobs(rt)
        got = admin_api.get(f"/api/v1/notifications/deliveries/{delivery_id}").json()
        assert (got["status"], got["attempts"]) == ("dead", 1)
        assert "310000" in got["last_error"]
        assert len(robot.calls) == 1
