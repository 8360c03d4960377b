"""The issue's seed scenarios, end to end through the API: rules are saved over HTTP, records
are written over HTTP, the engines run (outbox dispatch, jobs, the scheduler's tick), and the
effects are read back over HTTP — as the people they are meant for."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from accord.core.clock import FixedClock
from tests.automation.conftest import Rules

Browser = Callable[..., TestClient]


def _dept(api: TestClient, name: str) -> str:
    r = api.post("/api/v1/departments", json={"name": name})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _rep(new_user: Any, api: TestClient, name: str, **extra: Any) -> dict[str, Any]:
    user = new_user(name, **extra)
    r = api.put(f"/api/v1/users/{user['id']}/roles", json={"roles": ["sales_rep"]})
    assert r.status_code == 200, r.text
    return user


def _inbox(browser: Browser, sign_in: Any, user: dict[str, Any]) -> list[dict[str, Any]]:
    web = browser()
    sign_in(web, user)
    r = web.get("/api/v1/notifications")
    assert r.status_code == 200, r.text
    return r.json()["data"]


def _records(api: TestClient, obj: str, flt: dict[str, Any]) -> list[dict[str, Any]]:
    import json

    r = api.get(f"/api/v1/records/{obj}", params={"filter": json.dumps(flt), "limit": 100})
    assert r.status_code == 200, r.text
    return r.json()["data"]


def test_east_china_leads_go_round_robin_to_shanghai_with_task_and_notification(
    admin_api: TestClient,
    rules: Rules,
    run_engines: Callable[[], int],
    new_user: Any,
    browser: Browser,
    sign_in: Any,
    unique: str,
) -> None:
    shanghai = _dept(admin_api, f"上海销售 {unique}")
    a = _rep(new_user, admin_api, "a-sh", department_id=shanghai)
    b = _rep(new_user, admin_api, "b-sh", department_id=shanghai)
    rules(
        {
            "name": f"华东线索分配 {unique}",
            "object": "lead",
            "enabled": True,
            "trigger": {"type": "created"},
            "condition": {
                "and": [
                    {"field": "region", "op": "eq", "value": "east_china"},
                    {"field": "company", "op": "contains", "value": unique},
                ]
            },
            "actions": [
                {
                    "type": "assign_owner",
                    "strategy": "round_robin",
                    "team": {"department": shanghai},
                },
                {
                    "type": "create_record",
                    "object": "task",
                    "values": {"status": "not_started"},
                    "expressions": {
                        "subject": '"跟进线索 " & name',
                        "due_date": "today() + 1",
                        "lead": "id",
                        "owner_id": "owner_id",
                    },
                },
                {
                    "type": "notify",
                    "to": [{"owner": True}],
                    "title": {
                        "zh": "新线索：{{ record.name }}",
                        "en": "New lead: {{ record.name }}",
                    },
                },
            ],
        }
    )
    leads = []
    for i, region in enumerate(["east_china", "east_china", "south_china", "east_china"]):
        body = {"name": f"客户{i}", "company": f"公司 {unique} {i}", "region": region}
        body["wechat"] = f"wx{i}"
        r = admin_api.post("/api/v1/records/lead", json=body)
        assert r.status_code == 201, r.text
        leads.append(r.json())
    run_engines()

    owners = [admin_api.get(f"/api/v1/records/lead/{x['id']}").json()["owner_id"] for x in leads]
    first, second = sorted([a, b], key=lambda u: u["login"])
    assert owners[0] == first["id"] and owners[1] == second["id"] and owners[3] == first["id"]
    assert owners[2] == leads[2]["owner_id"]  # 华南: the rule's condition does not hold
    for lead, owner in zip(leads, owners, strict=True):
        tasks = _records(admin_api, "task", {"field": "lead", "op": "eq", "value": lead["id"]})
        if lead["region"] != "east_china":
            assert tasks == []
            continue
        [task] = tasks
        assert task["owner_id"] == owner and task["subject"] == f"跟进线索 {lead['name']}"
        assert task["status"] == "not_started" and task["due_date"]
    inbox_a = _inbox(browser, sign_in, first)
    inbox_b = _inbox(browser, sign_in, second)
    assert sorted(n["title"] for n in inbox_a) == ["新线索：客户0", "新线索：客户3"]
    assert [n["title"] for n in inbox_b] == ["新线索：客户1"]


def test_stale_opportunity_gives_exactly_one_reminder(
    admin_api: TestClient,
    rules: Rules,
    tick: Callable[[], int],
    fixed_clock: FixedClock,
    new_user: Any,
    browser: Browser,
    sign_in: Any,
    unique: str,
) -> None:
    rep = _rep(new_user, admin_api, "stale")
    customer = admin_api.post("/api/v1/records/customer", json={"name": f"客户 {unique}"}).json()
    opp = admin_api.post(
        "/api/v1/records/opportunity",
        json={
            "name": f"商机 {unique}",
            "customer": customer["id"],
            "amount": "100000",
            "stage": "proposal",
            "close_date": "2027-03-01",
            "owner_id": rep["id"],
        },
    )
    assert opp.status_code == 201, opp.text
    rules(
        {
            "name": f"商机 3 天未更新 {unique}",
            "object": "opportunity",
            "enabled": True,
            "trigger": {"type": "periodic", "every": "1h"},
            "condition": {
                "and": [
                    {"field": "updated_at", "op": "older_than", "value": 3},
                    {"field": "name", "op": "contains", "value": unique},
                ]
            },
            "actions": [
                {
                    "type": "notify",
                    "to": [{"owner": True}],
                    "title": {
                        "zh": "{{ record.name }} 已 3 天未更新",
                        "en": "{{ record.name }} is stale",
                    },
                }
            ],
        }
    )

    def reminders() -> list[dict[str, Any]]:
        return [n for n in _inbox(browser, sign_in, rep) if "未更新" in n["title"]]

    tick()
    assert reminders() == []  # fresh
    fixed_clock.advance(days=4)
    tick()
    assert len(reminders()) == 1
    for _ in range(3):  # later ticks, the rule scans again each hour: still one reminder
        fixed_clock.advance(hours=2)
        tick()
    assert len(reminders()) == 1
    # Touched, it stops matching; stale again three days later, it reminds once more.
    oid = opp.json()["id"]
    version = admin_api.get(f"/api/v1/records/opportunity/{oid}").json()["version"]
    r = admin_api.patch(
        f"/api/v1/records/opportunity/{oid}", json={"next_step": "call", "version": version}
    )
    assert r.status_code == 200, r.text
    tick()
    fixed_clock.advance(days=4)
    tick()
    tick()
    assert len(reminders()) == 2


def test_big_manufacturing_opportunity_alerts_the_director_and_makes_a_task(
    admin_api: TestClient,
    rules: Rules,
    run_engines: Callable[[], int],
    new_user: Any,
    browser: Browser,
    sign_in: Any,
    unique: str,
) -> None:
    director = new_user("director")
    admin_api.put(f"/api/v1/users/{director['id']}/roles", json={"roles": ["sales_director"]})
    rules(
        {
            "name": f"大客户商机 {unique}",
            "object": "opportunity",
            "enabled": True,
            "trigger": {"type": "created"},
            "condition": {
                "and": [
                    {"field": "amount", "op": "gt", "value": 500000},
                    {"field": "customer.industry", "op": "eq", "value": "manufacturing"},
                    {"field": "name", "op": "contains", "value": unique},
                ]
            },
            "actions": [
                {
                    "type": "notify",
                    "to": [{"user": director["login"]}],
                    "title": {"zh": "大额制造业商机：{{ record.name }}", "en": "Key deal"},
                },
                {
                    "type": "create_record",
                    "object": "task",
                    "values": {"status": "not_started", "priority": "high"},
                    "expressions": {
                        "subject": '"重点客户跟进：" & name',
                        "opportunity": "id",
                        "due_date": "today() + 2",
                    },
                },
            ],
        }
    )
    maker = admin_api.post(
        "/api/v1/records/customer", json={"name": f"制造 {unique}", "industry": "manufacturing"}
    ).json()
    shop = admin_api.post(
        "/api/v1/records/customer", json={"name": f"零售 {unique}", "industry": "retail_consumer"}
    ).json()
    made = {}
    for label, customer, amount in (
        ("big", maker, "600000"),
        ("small", maker, "400000"),
        ("retail", shop, "900000"),
    ):
        r = admin_api.post(
            "/api/v1/records/opportunity",
            json={
                "name": f"{label} {unique}",
                "customer": customer["id"],
                "amount": amount,
                "stage": "initial_contact",
                "close_date": "2027-06-30",
            },
        )
        assert r.status_code == 201, r.text
        made[label] = r.json()["id"]
    run_engines()

    titles = [n["title"] for n in _inbox(browser, sign_in, director)]
    assert titles == [f"大额制造业商机：big {unique}"]
    for label, oid in made.items():
        tasks = _records(admin_api, "task", {"field": "opportunity", "op": "eq", "value": oid})
        assert len(tasks) == (1 if label == "big" else 0)


def test_signed_contract_makes_finance_and_warehouse_tasks_and_calls_the_erp(
    admin_api: TestClient,
    rules: Rules,
    run_engines: Callable[[], int],
    new_user: Any,
    fixed_clock: FixedClock,
    unique: str,
) -> None:
    from tests.webhooks.receiver import Receiver

    finance, warehouse = new_user("finance"), new_user("warehouse")
    erp = Receiver(fixed_clock.now)
    try:
        hook = admin_api.post(
            "/api/v1/webhooks", json={"name": f"erp-{unique}", "url": erp.url, "events": []}
        )
        assert hook.status_code == 201, hook.text
        erp.secret = hook.json()["secret"]

        def task(subject: str, owner: dict[str, Any]) -> dict[str, Any]:
            return {
                "type": "create_record",
                "object": "task",
                "values": {"status": "not_started", "owner_id": owner["id"]},
                "expressions": {"subject": f'"{subject}：" & name', "due_date": "today() + 2"},
            }

        rules(
            {
                "name": f"合同签订 {unique}",
                "object": "contract",
                "enabled": True,
                "trigger": {"type": "field_changed", "fields": ["status"], "to": ["signed"]},
                "condition": {"field": "name", "op": "contains", "value": unique},
                "actions": [
                    task("开票申请", finance),
                    task("安排发货", warehouse),
                    {"type": "webhook", "webhook": f"erp-{unique}"},
                ],
            }
        )
        customer = admin_api.post("/api/v1/records/customer", json={"name": f"客户 {unique}"})
        contract = admin_api.post(
            "/api/v1/records/contract",
            json={
                "name": f"合同 {unique}",
                "customer": customer.json()["id"],
                "amount": "80000",
                "status": "draft",
            },
        ).json()
        run_engines()
        assert erp.about(contract["id"]) == []  # created as a draft: not yet
        r = admin_api.patch(
            f"/api/v1/records/contract/{contract['id']}",
            json={"status": "signed", "sign_date": "2026-11-20", "version": contract["version"]},
        )
        assert r.status_code == 200, r.text
        run_engines()

        tasks = _records(admin_api, "task", {"field": "subject", "op": "contains", "value": unique})
        assert sorted((t["subject"], t["owner_id"]) for t in tasks) == sorted(
            [
                (f"开票申请：合同 {unique}", finance["id"]),
                (f"安排发货：合同 {unique}", warehouse["id"]),
            ]
        )
        [call] = erp.about(contract["id"])
        assert call.verified and call.answered == 200
        assert call.json["record"]["status"] == "signed"
    finally:
        erp.close()
