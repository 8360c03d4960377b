"""Rules as metadata over the API: save-time refusals naming the problem, versions, YAML round
trip, dry run, the loop guard, per-record error isolation and date triggers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from accord.core.clock import FixedClock
from tests.automation.conftest import Rules


def _rule(unique: str, **over: Any) -> dict[str, Any]:
    return {
        "name": f"rule {unique}",
        "object": "opportunity",
        "trigger": {"type": "created"},
        "condition": {"field": "name", "op": "contains", "value": unique},
        "actions": [{"type": "update_fields", "values": {"next_step": "call the buyer"}}],
        **over,
    }


def _codes(r: Any) -> dict[str, str]:
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["code"] == "AUTOMATION_RULE_INVALID"
    return {e["field"]: e["code"] for e in body["errors"]}


def test_bad_rules_are_refused_at_save_time_naming_the_problem(
    admin_api: TestClient, new_user: Any, unique: str
) -> None:
    post = lambda d: admin_api.post("/api/v1/automation/rules", json=d)  # noqa: E731
    unknown = _rule(unique, actions=[{"type": "update_fields", "values": {"colour": "red"}}])
    assert _codes(post(unknown)) == {"actions[0].values.colour": "automation.E005"}
    typed = _rule(unique, actions=[{"type": "update_fields", "values": {"amount": "lots"}}])
    assert _codes(post(typed)) == {"actions[0].values.amount": "automation.E006"}
    expr = _rule(unique, actions=[{"type": "update_fields", "expressions": {"close_date": "1+"}}])
    assert _codes(post(expr)) == {"actions[0].expressions.close_date": "automation.E007"}
    mismatch = {"type": "update_fields", "expressions": {"close_date": '"soon"'}}
    assert _codes(post(_rule(unique, actions=[mismatch]))) == {
        "actions[0].expressions.close_date": "automation.E006"
    }
    template = {"type": "notify", "to": [{"owner": True}], "title": {"zh": "{{ record.name "}}
    assert "automation.E009" in _codes(post(_rule(unique, actions=[template]))).values()
    gone = new_user("gone")
    assert (
        admin_api.patch(f"/api/v1/users/{gone['id']}", json={"is_active": False}).status_code == 200
    )
    to_gone = {"type": "notify", "to": [{"user": gone["login"]}], "title": {"zh": "x"}}
    assert "automation.E008" in _codes(post(_rule(unique, actions=[to_gone]))).values()
    hook = {"type": "webhook", "webhook": f"no-such-hook-{unique}"}
    assert _codes(post(_rule(unique, actions=[hook]))) == {"actions[0].webhook": "automation.E010"}
    stage = {"type": "field_changed", "fields": ["stage"], "to": ["nonsense"]}
    assert _codes(post(_rule(unique, trigger=stage))) == {"trigger.to": "automation.E002"}
    bad_filter = _rule(unique, condition={"field": "nope", "op": "eq", "value": 1})
    assert set(_codes(post(bad_filter)).values()) == {"automation.E003"}
    periodic = _rule(unique, trigger={"type": "periodic", "every": "1h"}, condition=None)
    assert _codes(post(periodic)) == {"condition": "automation.E013"}
    pool = _rule(unique, actions=[{"type": "move_to_pool"}])
    assert _codes(post(pool)) == {"actions[0]": "automation.E012"}


def test_rules_that_set_each_others_trigger_fields_are_refused(
    admin_api: TestClient, rules: Rules, unique: str
) -> None:
    rules(
        _rule(
            f"a {unique}",
            name=f"A {unique}",
            enabled=True,
            trigger={"type": "field_changed", "fields": ["stage"]},
            actions=[{"type": "update_fields", "values": {"next_step": "x"}}],
        )
    )
    ring = _rule(
        f"b {unique}",
        name=f"B {unique}",
        enabled=True,
        trigger={"type": "field_changed", "fields": ["next_step"]},
        actions=[{"type": "update_fields", "values": {"stage": "proposal"}}],
    )
    r = admin_api.post("/api/v1/automation/rules", json=ring)
    codes = _codes(r)
    assert codes == {"actions": "automation.E011"}
    assert f"B {unique} → A {unique} → B {unique}" in r.json()["errors"][0]["message"]


def test_versions_enable_and_yaml_round_trip(
    admin_api: TestClient, rules: Rules, unique: str
) -> None:
    made = rules(_rule(unique))
    assert made["version"] == 1 and made["enabled"] is False
    on = admin_api.post(f"/api/v1/automation/rules/{made['id']}/enable")
    assert on.status_code == 200 and on.json()["enabled"] is True and on.json()["version"] == 2
    stale = admin_api.patch(
        f"/api/v1/automation/rules/{made['id']}",
        json={"description": "x"},
        headers={"If-Match": "1"},
    )
    assert stale.status_code == 412
    versions = admin_api.get(f"/api/v1/automation/rules/{made['id']}/versions").json()["data"]
    assert [v["version"] for v in versions] == [2, 1]
    exported = admin_api.get("/api/v1/automation/rules:export", params={"object": "opportunity"})
    assert exported.status_code == 200 and f"rule {unique}" in exported.text
    text = exported.text.replace("call the buyer", "send the quote")
    imported = admin_api.post(
        "/api/v1/automation/rules:import",
        content=text.encode(),
        headers={"Content-Type": "application/yaml"},
    )
    assert imported.status_code == 200, imported.text
    mine = [x for x in imported.json()["data"] if x["name"] == f"rule {unique}"]
    assert mine == [{"name": f"rule {unique}", "status": "updated", "version": 3}]
    got = admin_api.get(f"/api/v1/automation/rules/{made['id']}").json()
    assert got["actions"][0]["values"]["next_step"] == "send the quote"
    broken = admin_api.post(
        "/api/v1/automation/rules:import",
        content=b"rules: [{name: x, object: nothing}]",
        headers={"Content-Type": "application/yaml"},
    )
    assert _codes(broken) == {"rules[0].object": "automation.E001"}


def _opportunity(api: TestClient, unique: str, name: str, amount: str = "1000") -> dict[str, Any]:
    customer = api.post("/api/v1/records/customer", json={"name": f"客户 {name} {unique}"}).json()
    r = api.post(
        "/api/v1/records/opportunity",
        json={
            "name": f"{name} {unique}",
            "customer": customer["id"],
            "amount": amount,
            "stage": "initial_contact",
            "close_date": "2027-06-30",
        },
    )
    assert r.status_code == 201, r.text
    return r.json()


def test_dry_run_lists_matches_and_what_each_action_would_do(
    admin_api: TestClient, unique: str
) -> None:
    for i in range(3):
        _opportunity(admin_api, unique, f"dry{i}", amount=str(1000 * (i + 1)))
    definition = _rule(
        unique,
        condition={
            "and": [
                {"field": "name", "op": "contains", "value": unique},
                {"field": "amount", "op": "gte", "value": 2000},
            ]
        },
        actions=[
            {"type": "update_fields", "expressions": {"close_date": "today() + 3"}},
            {"type": "notify", "to": [{"owner": True}], "title": {"zh": "x"}},
        ],
    )
    r = admin_api.post("/api/v1/automation/rules:dry-run", json=definition)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["matched"] == 2 and {x["title"] for x in body["records"]} == {
        f"dry1 {unique}",
        f"dry2 {unique}",
    }
    first = body["records"][0]["actions"]
    assert first[0]["type"] == "update_fields" and "close_date" in first[0]["would_set"]
    assert first[1]["type"] == "notify" and len(first[1]["would_notify"]) == 1
    # nothing was written
    rows = admin_api.get(
        "/api/v1/records/opportunity",
        params={"filter": f'{{"field": "name", "op": "contains", "value": "{unique}"}}'},
    ).json()["data"]
    assert {x["close_date"] for x in rows} == {"2027-06-30"}


def test_a_rule_feeding_itself_is_stopped_by_the_loop_guard(
    admin_api: TestClient, rules: Rules, run_engines: Callable[[], int], unique: str
) -> None:
    made = rules(
        _rule(
            unique,
            enabled=True,
            trigger={"type": "updated"},
            actions=[{"type": "update_fields", "expressions": {"amount": "amount + 1"}}],
        )
    )
    opp = _opportunity(admin_api, unique, "loop")
    r = admin_api.patch(
        f"/api/v1/records/opportunity/{opp['id']}",
        json={"next_step": "go", "version": opp["version"]},
    )
    assert r.status_code == 200
    run_engines()
    runs = admin_api.get(f"/api/v1/automation/rules/{made['id']}/runs").json()["data"]
    assert [x["outcome"] for x in runs].count("ok") == 5
    assert runs[0]["outcome"] == "loop" and "automation steps" in runs[0]["detail"]["reason"]
    got = admin_api.get(f"/api/v1/records/opportunity/{opp['id']}").json()
    assert got["amount"]["amount"] == "1005.00"


def test_an_error_on_one_record_is_logged_and_the_others_go_on(
    admin_api: TestClient, rules: Rules, run_engines: Callable[[], int], unique: str
) -> None:
    # A task's subject is required: opportunities without a next step make the action fail.
    made = rules(
        _rule(
            unique,
            enabled=True,
            actions=[
                {"type": "update_fields", "values": {"next_step": "called"}},
                {
                    "type": "create_record",
                    "object": "task",
                    "values": {"status": "not_started"},
                    "expressions": {"subject": "description", "opportunity": "id"},
                },
            ],
        )
    )
    ok = _opportunity(admin_api, unique, "fine")
    v = admin_api.get(f"/api/v1/records/opportunity/{ok['id']}").json()["version"]
    bad = _opportunity(admin_api, unique, "broken")
    # give the first one a description (the task subject) before the engines run
    admin_api.patch(
        f"/api/v1/records/opportunity/{ok['id']}", json={"description": "d", "version": v}
    )
    run_engines()
    runs = admin_api.get(f"/api/v1/automation/rules/{made['id']}/runs").json()["data"]
    outcome = {x["record_id"]: x for x in runs}
    assert outcome[ok["id"]]["outcome"] == "ok"
    assert outcome[bad["id"]]["outcome"] == "error"
    assert outcome[bad["id"]]["detail"]["error"]["code"] == "VALIDATION_FAILED"
    # the failed record's earlier action was rolled back with it
    assert admin_api.get(f"/api/v1/records/opportunity/{bad['id']}").json()["next_step"] is None
    assert admin_api.get(f"/api/v1/records/opportunity/{ok['id']}").json()["next_step"] == "called"


def test_date_rules_fire_once_before_a_contract_ends_and_on_birthdays_every_year(
    admin_api: TestClient,
    rules: Rules,
    tick: Callable[[], int],
    fixed_clock: FixedClock,
    unique: str,
) -> None:
    today = fixed_clock.now().date()
    from datetime import timedelta

    customer = admin_api.post("/api/v1/records/customer", json={"name": f"客户 {unique}"}).json()
    ending = admin_api.post(
        "/api/v1/records/contract",
        json={
            "name": f"合同 {unique}",
            "customer": customer["id"],
            "amount": "50000",
            "status": "draft",
            "start_date": str(today - timedelta(days=300)),
            "end_date": str(today + timedelta(days=5)),
        },
    )
    assert ending.status_code == 201, ending.text
    renew = rules(
        {
            "name": f"续约提醒 {unique}",
            "object": "contract",
            "enabled": True,
            "trigger": {"type": "date", "field": "end_date", "offset_days": -3},
            "condition": {"field": "name", "op": "contains", "value": unique},
            "actions": [{"type": "update_fields", "values": {"description": "renewal due"}}],
        }
    )
    contact = admin_api.post(
        "/api/v1/records/contact",
        json={
            "name": f"联系人 {unique}",
            "customer": customer["id"],
            "birthday": f"1990-{(today + timedelta(days=1)):%m-%d}",
            "mobile": "13800138000",
        },
    )
    assert contact.status_code == 201, contact.text
    birthday = rules(
        {
            "name": f"生日 {unique}",
            "object": "contact",
            "enabled": True,
            "trigger": {"type": "date", "field": "birthday", "annual": True},
            "condition": {"field": "name", "op": "contains", "value": unique},
            "actions": [{"type": "update_fields", "values": {"description": "happy birthday"}}],
        }
    )

    def fired(rule: dict[str, Any]) -> int:
        runs = admin_api.get(f"/api/v1/automation/rules/{rule['id']}/runs").json()["data"]
        return sum(x["outcome"] == "ok" for x in runs)

    tick()
    assert (fired(renew), fired(birthday)) == (0, 0)
    for _ in range(3):  # day 1: birthday; day 2: three days before the end date; day 3
        fixed_clock.advance(days=1)
        tick()
    assert (fired(renew), fired(birthday)) == (1, 1)
    fixed_clock.advance(days=365)
    tick()
    assert (fired(renew), fired(birthday)) == (1, 2)
