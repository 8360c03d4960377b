"""Outbound webhooks end to end: subscriptions made over the API, records changed over the API,
the worker draining the outbox and the jobs, and a real receiver on 127.0.0.1 that checks every
signature. Time is the fixed clock of ``fixed_app``; retries are reached by moving it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from accord.core.clock import FixedClock
from accord.core.context import Runtime
from accord.engines import drain
from tests.webhooks.receiver import Receiver

SIX_HOURS = 6 * 3600 + 1


@pytest.fixture
def receiver(fixed_clock: FixedClock) -> Iterator[Receiver]:
    rx = Receiver(fixed_clock.now)
    yield rx
    rx.close()


@pytest.fixture
def obj(admin_api: TestClient, unique: str) -> str:
    """A custom object of this test only (other tests' records never match its webhooks)."""
    name = f"hook_{unique}"
    text = {"type": "text", "label": {"en": "T", "zh": "文"}}
    r = admin_api.post(
        "/api/v1/objects",
        json={
            "name": name,
            "label": {"en": name, "zh": name},
            "plural_label": {"en": name, "zh": name},
            "fields": [
                {"name": "name", "type": "text", "label": {"en": "N", "zh": "名"}},
                {"name": "note", **text},
                {"name": "secret", **text},
                {
                    "name": "status",
                    "type": "select",
                    "label": {"en": "Status", "zh": "状态"},
                    "options": {
                        "choices": [
                            {"value": "draft", "label": {"en": "Draft", "zh": "草稿"}},
                            {"value": "signed", "label": {"en": "Signed", "zh": "已签订"}},
                        ]
                    },
                },
            ],
        },
    )
    assert r.status_code == 201, r.text
    return name


Subscribe = Callable[..., dict[str, Any]]


@pytest.fixture
def subscribe(
    admin_api: TestClient, receiver: Receiver, obj: str, unique: str
) -> Iterator[Subscribe]:
    """``subscribe(**fields)``: a subscription to ``obj`` posting to ``receiver``, whose secret
    the receiver then checks; deleted at the end of the test."""
    made: list[str] = []

    def make(**fields: Any) -> dict[str, Any]:
        body = {
            "name": f"erp-{unique}-{len(made)}",
            "url": receiver.url,
            "objects": [obj],
            "events": ["created", "updated", "deleted"],
            **fields,
        }
        r = admin_api.post("/api/v1/webhooks", json=body)
        assert r.status_code == 201, r.text
        receiver.secret = r.json()["secret"]
        made.append(r.json()["id"])
        return r.json()  # type: ignore[no-any-return]

    yield make
    for sid in made:
        admin_api.delete(f"/api/v1/webhooks/{sid}")


def _create(api: TestClient, obj: str, **values: Any) -> dict[str, Any]:
    r = api.post(f"/api/v1/records/{obj}", json={"name": "合同 A", **values})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def _update(api: TestClient, obj: str, rec: dict[str, Any], **values: Any) -> dict[str, Any]:
    r = api.patch(
        f"/api/v1/records/{obj}/{rec['id']}",
        json=values,
        headers={"If-Match": f'"{rec["version"]}"'},
    )
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _log(api: TestClient, sid: str, **params: Any) -> list[dict[str, Any]]:
    r = api.get(f"/api/v1/webhooks/{sid}/deliveries", params=params)
    assert r.status_code == 200, r.text
    return r.json()["data"]  # type: ignore[no-any-return]


def test_a_record_change_reaches_the_receiver_signed_with_the_record_and_its_changes(
    admin_api: TestClient, fixed_runtime: Runtime, receiver: Receiver, obj: str,
    subscribe: Subscribe,
) -> None:  # fmt: skip
    sub = subscribe()
    rec = _create(admin_api, obj, note="draft", secret="s1")
    rec = _update(admin_api, obj, rec, note="signed")
    assert receiver.got == []  # nothing is sent inside the user's request

    drain(fixed_runtime)

    got = receiver.about(rec["id"])
    assert [g.json["event"] for g in got] == ["record.created", "record.updated"]
    assert all(g.verified and g.answered == 200 for g in got)
    created, updated = got
    assert updated.headers["Accord-Event"] == "record.updated"
    assert updated.json["id"] == int(updated.headers["Accord-Delivery"])
    assert updated.json["object"] == obj and updated.json["record_id"] == rec["id"]
    assert updated.json["record"]["note"] == "signed" and updated.json["record"]["secret"] == "s1"
    assert updated.json["changes"] == {"note": ["draft", "signed"]}
    assert created.json["changes"] == {}
    assert updated.json["occurred_at"].endswith("Z")
    # the delivery log shows both, succeeded with the receiver's answer
    log = _log(admin_api, sub["id"])
    assert {d["status"] for d in log} == {"succeeded"} and len(log) == 2
    assert all(d["last_status"] == 200 and d["attempts"] == 1 for d in log)
    page = admin_api.get(f"/api/v1/webhooks/{sub['id']}/deliveries", params={"limit": 1}).json()
    assert [d["id"] for d in page["data"]] == [log[0]["id"]] and page["next_cursor"]
    rest = _log(admin_api, sub["id"], limit=1, cursor=page["next_cursor"])
    assert [d["id"] for d in rest] == [log[1]["id"]]
    # draining again sends nothing twice
    drain(fixed_runtime)
    assert len(receiver.about(rec["id"])) == 2


def test_the_payload_holds_only_what_the_owner_may_read(
    admin_api: TestClient, fixed_runtime: Runtime, receiver: Receiver, obj: str,
    subscribe: Subscribe, new_user: Callable[..., dict[str, Any]], unique: str,
) -> None:  # fmt: skip
    # Given an integration user who reads only their own records, without the secret field
    role = {
        "name": f"hook_reader_{unique}",
        "label": {"en": "Hook reader", "zh": "接口只读"},
        "grants": {obj: {"read": True, "read_scope": "self"}},
        "field_permissions": {obj: {"secret": "hidden"}},
    }
    assert admin_api.post("/api/v1/roles", json=role).status_code == 201
    user = new_user("erp")
    r = admin_api.put(f"/api/v1/users/{user['id']}/roles", json={"roles": [role["name"]]})
    assert r.status_code == 200, r.text
    subscribe(owner_id=user["id"])
    mine = _create(admin_api, obj, note="a", secret="TOP-SECRET-1", owner_id=user["id"])
    other = _create(admin_api, obj, note="b", secret="TOP-SECRET-2")

    # When both change
    _update(admin_api, obj, mine, note="a2", secret="TOP-SECRET-3")
    _update(admin_api, obj, other, note="b2")
    drain(fixed_runtime)

    # Then only the owner's record is sent, without the hidden field or its change
    assert receiver.about(other["id"]) == []
    got = receiver.about(mine["id"])
    assert [g.json["event"] for g in got] == ["record.created", "record.updated"]
    assert all(b"TOP-SECRET" not in g.body for g in got)
    assert "secret" not in got[1].json["record"]
    assert got[1].json["changes"] == {"note": ["a", "a2"]}


def test_a_failing_receiver_is_retried_with_backoff_then_dead_and_redelivery_succeeds(
    admin_api: TestClient, fixed_runtime: Runtime, fixed_clock: FixedClock, receiver: Receiver,
    obj: str, subscribe: Subscribe,
) -> None:  # fmt: skip
    receiver.default = 500
    sub = subscribe()
    rec = _create(admin_api, obj, note="x")
    drain(fixed_runtime)
    [d] = _log(admin_api, sub["id"])
    assert (d["status"], d["attempts"], d["last_status"]) == ("pending", 1, 500)
    assert d["last_error"] == "HTTP 500" and d["response_excerpt"] == "receiver says no"

    # Not before the backoff: draining now sends nothing
    drain(fixed_runtime)
    assert len(receiver.about(rec["id"])) == 1
    # Exponential: each wait is at most twice the one before (6 h at most), never less than 75 %
    waits = []
    for _ in range(11):
        before = fixed_clock.now()
        d = admin_api.get(f"/api/v1/webhook-deliveries/{d['id']}").json()
        waits.append((_at(d["next_attempt_at"]) - before).total_seconds())
        fixed_clock.advance(seconds=SIX_HOURS)
        drain(fixed_runtime)
    assert 22.5 <= waits[0] <= 30 and 45 <= waits[1] <= 60 and 90 <= waits[2] <= 120
    assert max(waits) <= 6 * 3600

    # Dead after 12 attempts, each visible with its status code
    detail = admin_api.get(f"/api/v1/webhook-deliveries/{d['id']}").json()
    assert detail["status"] == "dead" and detail["attempts"] == 12
    assert [a["status"] for a in detail["attempt_log"]] == [500] * 12
    assert detail["payload"]["record_id"] == rec["id"]
    assert len(receiver.about(rec["id"])) == 12
    assert [x["id"] for x in _log(admin_api, sub["id"], status="dead")] == [d["id"]]

    # Redelivery: the same delivery and body, freshly signed, and this time it arrives
    receiver.default = 200
    r = admin_api.post(f"/api/v1/webhook-deliveries/{d['id']}/redeliver")
    assert r.status_code == 202 and r.json()["status"] == "pending"
    drain(fixed_runtime)
    last = receiver.about(rec["id"])[-1]
    assert last.verified and last.answered == 200 and last.body == receiver.about(rec["id"])[0].body
    assert last.headers["Accord-Attempt"] == "13"
    detail = admin_api.get(f"/api/v1/webhook-deliveries/{d['id']}").json()
    assert (detail["status"], detail["last_status"], detail["attempts"]) == ("succeeded", 200, 13)


def _at(text: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_repeated_failures_switch_the_subscription_off_and_notify_the_administrators(
    admin_api: TestClient, fixed_runtime: Runtime, receiver: Receiver, obj: str,
    subscribe: Subscribe, tune: Callable[..., Runtime],
) -> None:  # fmt: skip
    # Given a receiver that is gone for good (410: dead at the first attempt) and a limit of 2
    receiver.default = 410
    sub = subscribe()
    strict = tune(fixed_runtime, webhook_disable_after=2)
    first = _create(admin_api, obj)
    drain(strict)
    assert admin_api.get(f"/api/v1/webhooks/{sub['id']}").json()["consecutive_failures"] == 1
    _create(admin_api, obj)
    drain(strict)

    # Then the subscription is off with a reason, and administrators are told
    off = admin_api.get(f"/api/v1/webhooks/{sub['id']}").json()
    assert off["enabled"] is False and "HTTP 410" in off["disabled_reason"]
    assert [d["status"] for d in _log(admin_api, sub["id"])] == ["dead", "dead"]
    inbox = admin_api.get("/api/v1/notifications", params={"limit": 100}).json()["data"]
    assert any(sub["name"] in n["title"] for n in inbox), inbox
    # A switched-off subscription hears nothing, and cannot be pinged or redelivered to
    _create(admin_api, obj)
    drain(strict)
    assert len(_log(admin_api, sub["id"])) == 2
    dead_id = _log(admin_api, sub["id"])[-1]["id"]
    r = admin_api.post(f"/api/v1/webhook-deliveries/{dead_id}/redeliver")
    assert r.status_code == 409 and r.json()["code"] == "WEBHOOK_DISABLED"
    assert admin_api.post(f"/api/v1/webhooks/{sub['id']}/test").json()["code"] == "WEBHOOK_DISABLED"

    # When the receiver is fixed and the subscription enabled with the dead redelivered
    receiver.default = 200
    r = admin_api.post(f"/api/v1/webhooks/{sub['id']}/enable", json={"redeliver_dead": True})
    assert r.status_code == 200, r.text
    assert r.json()["enabled"] is True and r.json()["consecutive_failures"] == 0
    drain(strict)
    assert {d["status"] for d in _log(admin_api, sub["id"])} == {"succeeded"}
    assert receiver.about(first["id"])[-1].answered == 200


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://erp.example.com/hook", "http:// or https://"),
        ("erp.example.com/hook", "http:// or https://"),
        ("https://", "no host"),
        ("https://erp:pw@erp.example.com/hook", "password"),
        ("https://erp.example.com:99999/hook", "port"),
        ("https://erp example.com/hook", "spaces"),
        ("https://erp.example.com/hook#x", "fragment"),
        ("https://erp.example.com/" + "a" * 2000, "longer than"),
        ("", "required"),
    ],
)
def test_a_malformed_url_is_refused_with_a_problem_naming_it(
    admin_api: TestClient, unique: str, url: str, problem: str
) -> None:
    r = admin_api.post("/api/v1/webhooks", json={"name": f"bad-{unique}", "url": url})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["code"] == "WEBHOOK_INVALID"
    [err] = body["errors"]
    assert (err["field"], err["code"]) == ("url", "WEBHOOK_URL_INVALID")
    assert problem in err["message"]


def test_every_bad_field_is_named_at_once(admin_api: TestClient, unique: str) -> None:
    r = admin_api.post(
        "/api/v1/webhooks",
        json={
            "name": "has space",
            "url": "https://erp.example.com/hook",
            "objects": ["no_such_object"],
            "events": ["created", "exploded"],
            "owner_id": "nobody",
            "colour": "red",
        },
    )
    assert r.status_code == 422
    codes = {(e["field"], e["code"]) for e in r.json()["errors"]}
    assert codes == {
        ("colour", "UNKNOWN_FIELD"),
        ("name", "WEBHOOK_NAME_INVALID"),
        ("objects[0]", "WEBHOOK_OBJECTS_INVALID"),
        ("events[1]", "WEBHOOK_EVENTS_INVALID"),
        ("owner_id", "WEBHOOK_OWNER_INVALID"),
    }
    ok = {"name": f"dup-{unique}", "url": "https://erp.example.com/hook"}
    assert admin_api.post("/api/v1/webhooks", json=ok).status_code == 201
    r = admin_api.post("/api/v1/webhooks", json=ok)
    assert r.status_code == 409 and r.json()["code"] == "WEBHOOK_NAME_TAKEN"
    assert admin_api.delete(f"/api/v1/webhooks/{ok['name']}").status_code == 204
    assert admin_api.get(f"/api/v1/webhooks/{ok['name']}").json()["code"] == "WEBHOOK_NOT_FOUND"


def test_the_secret_is_shown_once_and_a_rotated_one_signs_from_then_on(
    admin_api: TestClient, fixed_runtime: Runtime, receiver: Receiver, subscribe: Subscribe,
) -> None:  # fmt: skip
    sub = subscribe(events=[])
    assert sub["secret"].startswith("whsec_")
    assert "secret" not in admin_api.get(f"/api/v1/webhooks/{sub['id']}").json()
    assert all("secret" not in s for s in admin_api.get("/api/v1/webhooks").json()["data"])

    r = admin_api.post(f"/api/v1/webhooks/{sub['id']}/rotate-secret")
    assert r.status_code == 200 and r.json()["secret"] not in (sub["secret"], None)
    receiver.secret = r.json()["secret"]
    r = admin_api.post(f"/api/v1/webhooks/{sub['id']}/test")
    assert r.status_code == 202 and r.json()["event"] == "ping"
    drain(fixed_runtime)
    [ping] = [g for g in receiver.got if g.json["event"] == "ping"]
    assert ping.verified and ping.json["subscription"]["id"] == sub["id"]
    assert ping.json["id"] == r.json()["id"]


def test_patch_changes_a_subscription_and_switching_it_off_records_who(
    admin_api: TestClient, subscribe: Subscribe
) -> None:
    sub = subscribe()
    r = admin_api.patch(f"/api/v1/webhooks/{sub['id']}", json={"events": ["deleted"]})
    assert r.status_code == 200 and r.json()["events"] == ["deleted"]
    r = admin_api.patch(f"/api/v1/webhooks/{sub['id']}", json={"enabled": False})
    assert r.json()["enabled"] is False and r.json()["disabled_reason"].startswith("Switched off")
    r = admin_api.patch(f"/api/v1/webhooks/{sub['id']}", json={"url": "mailto:x@example.com"})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "WEBHOOK_URL_INVALID"


def test_redelivering_a_pending_delivery_or_an_unknown_one_is_refused(
    admin_api: TestClient, obj: str, subscribe: Subscribe
) -> None:
    sub = subscribe()
    _create(admin_api, obj)
    [d] = _log(admin_api, sub["id"]) or [None]  # not dispatched yet: nothing in the log
    assert d is None
    r = admin_api.post(f"/api/v1/webhooks/{sub['id']}/test")
    r = admin_api.post(f"/api/v1/webhook-deliveries/{r.json()['id']}/redeliver")
    assert r.status_code == 409 and r.json()["code"] == "WEBHOOK_DELIVERY_PENDING"
    for bad in ("999999999", "abc"):
        r = admin_api.get(f"/api/v1/webhook-deliveries/{bad}")
        assert r.status_code == 404 and r.json()["code"] == "WEBHOOK_DELIVERY_NOT_FOUND"
    r = admin_api.get(f"/api/v1/webhooks/{sub['id']}/deliveries", params={"status": "lost"})
    assert r.status_code == 422 and r.json()["code"] == "WEBHOOK_FILTER_INVALID"


def test_non_administrators_are_refused(
    browser: Callable[..., TestClient], new_user: Callable[..., dict[str, Any]],
    sign_in: Callable[..., dict[str, Any]], subscribe: Subscribe,
) -> None:  # fmt: skip
    sub = subscribe()
    web = browser()
    sign_in(web, new_user("rep"))
    for method, path in (
        ("get", "/api/v1/webhooks"),
        ("post", "/api/v1/webhooks"),
        ("get", f"/api/v1/webhooks/{sub['id']}"),
        ("patch", f"/api/v1/webhooks/{sub['id']}"),
        ("delete", f"/api/v1/webhooks/{sub['id']}"),
        ("post", f"/api/v1/webhooks/{sub['id']}/rotate-secret"),
        ("get", f"/api/v1/webhooks/{sub['id']}/deliveries"),
    ):
        kwargs = (
            {"json": {"url": "https://evil.example.com"}} if method in ("post", "patch") else {}
        )
        r = getattr(web, method)(path, **kwargs)
        assert r.status_code == 403 and r.json()["code"] == "NOT_ALLOWED", (method, path, r.text)


def test_a_rule_calls_the_erp_webhook_when_a_contract_becomes_signed(
    admin_api: TestClient, fixed_runtime: Runtime, receiver: Receiver, obj: str,
    subscribe: Subscribe, unique: str,
) -> None:  # fmt: skip
    # Given an ERP endpoint used only by rules, and a rule calling it when status → signed
    erp = subscribe(events=[])
    rule = {
        "name": f"合同签订通知ERP {unique}",
        "object": obj,
        "enabled": True,
        "trigger": {"type": "field_changed", "fields": ["status"], "to": ["signed"]},
        "actions": [{"type": "webhook", "webhook": erp["name"]}],
    }
    r = admin_api.post("/api/v1/automation/rules", json=rule)
    assert r.status_code == 201, r.text
    rec = _create(admin_api, obj, status="draft", note="n")

    # When the contract is signed
    _update(admin_api, obj, rec, status="signed")
    drain(fixed_runtime)

    # Then the ERP got one signed call naming the rule, with the record
    [got] = receiver.about(rec["id"])
    assert got.verified and got.json["event"] == f"automation.{rule['name']}"
    assert got.json["record"]["status"] == "signed" and got.json["object"] == obj
    # and a rule naming a switched-off webhook is refused at save time
    admin_api.patch(f"/api/v1/webhooks/{erp['id']}", json={"enabled": False})
    r = admin_api.post("/api/v1/automation/rules", json={**rule, "name": f"again {unique}"})
    assert r.status_code == 422 and "WEBHOOK" not in r.json()["code"]
    assert {e["field"] for e in r.json()["errors"]} == {"actions[0].webhook"}
