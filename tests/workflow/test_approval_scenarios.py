"""The seed approval scenarios end to end through the HTTP API, plus the actions people take
(transfer, delegate, add signers, withdraw/resubmit, return), locking, refusals and bad flows.

Every flow is made for one test's records only (its entry condition names the test's unique
customer), so tests sharing the database do not pick each other's flows."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import pytest
from fastapi.testclient import TestClient

Api = Callable[[dict[str, Any]], TestClient]


@pytest.fixture
def as_user(browser: Any, sign_in: Any) -> Api:
    def make(user: dict[str, Any]) -> TestClient:
        web = browser()
        sign_in(web, user)
        return web  # type: ignore[no-any-return]

    return make


@pytest.fixture
def people(new_user: Any, admin_api: TestClient) -> Callable[..., dict[str, Any]]:
    def make(name: str, role: str = "sales_director") -> dict[str, Any]:
        user = new_user(name)
        r = admin_api.put(f"/api/v1/users/{user['id']}/roles", json={"roles": [role]})
        assert r.status_code == 200, r.text
        return user

    return make


@pytest.fixture
def flows(admin_api: TestClient) -> Iterator[Callable[[dict[str, Any]], dict[str, Any]]]:
    made: list[str] = []

    def make(d: dict[str, Any]) -> dict[str, Any]:
        r = admin_api.post("/api/v1/approval-flows", json={"enabled": True, **d})
        assert r.status_code == 201, r.text
        made.append(r.json()["id"])
        return r.json()

    yield make
    for fid in made:
        admin_api.post(f"/api/v1/approval-flows/{fid}/disable")


def _customer(api: TestClient, unique: str) -> dict[str, Any]:
    r = api.post("/api/v1/records/customer", json={"name": f"客户 {unique}"})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def _mine(unique: str) -> dict[str, Any]:
    return {"field": "name", "op": "contains", "value": unique}


def _approver(node_id: str, users: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    spec = {"type": "users", "users": [u["id"] for u in users]}
    return {"id": node_id, "type": "approver", "approvers": [spec], **extra}


def _pending(web: TestClient) -> list[dict[str, Any]]:
    r = web.get("/api/v1/approvals/inbox?box=pending")
    assert r.status_code == 200, r.text
    return r.json()["data"]  # type: ignore[no-any-return]


def _act(web: TestClient, task: dict[str, Any], action: str, **body: Any) -> dict[str, Any]:
    r = web.post(f"/api/v1/approval-tasks/{task['id']}/{action}", json=body)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _task_for(web: TestClient, approval_id: str) -> dict[str, Any]:
    [task] = [t for t in _pending(web) if t["approval"]["id"] == approval_id]
    return task


def _submit(web: TestClient, obj: str, rid: str, **body: Any) -> dict[str, Any]:
    r = web.post(f"/api/v1/records/{obj}/{rid}/approvals", json=body)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def test_contract_over_500k_needs_the_general_manager_after_the_director(
    admin_api: TestClient,
    people: Any,
    as_user: Api,
    flows: Any,
    unique: str,
) -> None:
    director, gm, rep = people("director"), people("gm"), people("rep", "sales_rep")
    flows(
        {
            "name": f"contract_amount_{unique}",
            "object": "contract",
            "priority": 10,
            "condition": _mine(unique),
            "on_submitted": [{"type": "update_fields", "values": {"status": "in_approval"}}],
            "on_approved": [{"type": "update_fields", "values": {"status": "signed",
                                                                  "sign_date": "2026-01-20"}}],
            "on_rejected": [{"type": "update_fields", "values": {"status": "draft"}}],
            "start": "director",
            "nodes": [
                _approver("director", [director], next="big"),
                {"id": "big", "type": "condition", "default": None,
                 "branches": [{"condition": {"field": "amount", "op": "gt", "value": 500000},
                               "next": "gm"}]},
                _approver("gm", [gm]),
            ],
        }
    )  # fmt: skip
    rep_web = as_user(rep)
    cust = _customer(rep_web, unique)
    results = {}
    for amount in ("800000", "300000"):
        r = rep_web.post(
            "/api/v1/records/contract",
            json={"name": f"合同 {amount} {unique}", "customer": cust["id"], "amount": amount},
        )
        assert r.status_code == 201, r.text
        contract = r.json()
        approval = _submit(rep_web, "contract", contract["id"], comment="请审批")
        assert approval["status"] == "running"
        assert [n["node_id"] for n in approval["current"]] == ["director"]
        ahead = [n["node_id"] for n in approval["ahead"]]
        assert ahead == (["gm"] if amount == "800000" else [])
        # locked while it runs: the submitter cannot edit
        r = rep_web.patch(f"/api/v1/records/contract/{contract['id']}",
                          json={"amount": "1", "version": contract["version"] + 1})  # fmt: skip
        assert r.status_code == 409 and r.json()["code"] == "RECORD_LOCKED", r.text
        done = _act(as_user(director), _task_for(as_user(director), approval["id"]), "approve")
        results[amount] = (contract, done)
    big_contract, big = results["800000"]
    assert big["status"] == "running" and [n["node_id"] for n in big["current"]] == ["gm"]
    done = _act(as_user(gm), _task_for(as_user(gm), big["id"]), "approve", comment="同意")
    assert done["status"] == "approved"
    small_contract, small = results["300000"]
    assert small["status"] == "approved"  # the director alone
    for c in (big_contract, small_contract):
        rec = rep_web.get(f"/api/v1/records/contract/{c['id']}").json()
        assert rec["status"] == "signed"
    trail = [s["action"] for s in done["trail"]]
    assert trail[0] == "submit" and "approve" in trail and trail[-1] == "approved"
    gm_step = next(
        s for s in done["trail"] if s["action"] == "approve" and s["actor_id"] == gm["id"]
    )
    assert gm_step["comment"] == "同意" and gm_step["waited_ms"] is not None
    # unlocked after the outcome
    rec = rep_web.get(f"/api/v1/records/contract/{big_contract['id']}").json()
    r = rep_web.patch(f"/api/v1/records/contract/{big_contract['id']}",
                      json={"amount": "900000", "version": rec["version"]})  # fmt: skip
    assert r.status_code == 200, r.text


def test_quote_discounts_go_to_the_director_and_above_30_percent_to_a_countersign(
    admin_api: TestClient,
    people: Any,
    as_user: Api,
    flows: Any,
    unique: str,
) -> None:
    director, finance, vp = people("director"), people("finance"), people("vp")
    rep = people("rep", "sales_rep")
    flows(
        {
            "name": f"quote_discount_{unique}",
            "object": "quote",
            "condition": {"and": [_mine(unique),
                                  {"field": "discount_rate", "op": "gt", "value": 15}]},
            "on_approved": [{"type": "update_fields", "values": {"status": "approved"}}],
            "start": "director",
            "nodes": [
                _approver("director", [director], next="deep"),
                {"id": "deep", "type": "condition", "default": None,
                 "branches": [{"condition": {"field": "discount_rate", "op": "gt", "value": 30},
                               "next": "finance_vp"}]},
                _approver("finance_vp", [finance, vp], mode="countersign"),
            ],
        }
    )  # fmt: skip
    rep_web = as_user(rep)
    cust = _customer(rep_web, unique)

    def quote(rate: int) -> dict[str, Any]:
        body = {"name": f"报价 {rate} {unique}", "customer": cust["id"], "discount_rate": rate}
        r = rep_web.post("/api/v1/records/quote", json=body)
        assert r.status_code == 201, r.text
        return r.json()  # type: ignore[no-any-return]

    small = quote(10)
    r = rep_web.post(f"/api/v1/records/quote/{small['id']}/approvals", json={})
    assert r.status_code == 422 and r.json()["code"] == "APPROVAL_NO_FLOW", r.text

    mid = _submit(rep_web, "quote", quote(20)["id"])
    assert (
        _act(as_user(director), _task_for(as_user(director), mid["id"]), "approve")["status"]
        == "approved"
    )

    deep = _submit(rep_web, "quote", quote(35)["id"])
    after_director = _act(as_user(director), _task_for(as_user(director), deep["id"]), "approve")
    assert after_director["status"] == "running"
    open_ = [t for t in after_director["tasks"] if t["status"] == "pending"]
    assert sorted(t["assignee_id"] for t in open_) == sorted([finance["id"], vp["id"]])
    after_finance = _act(as_user(finance), _task_for(as_user(finance), deep["id"]), "approve")
    assert after_finance["status"] == "running"  # countersign: the VP too
    done = _act(as_user(vp), _task_for(as_user(vp), deep["id"]), "approve")
    assert done["status"] == "approved"
    assert rep_web.get(f"/api/v1/records/quote/{done['record_id']}").json()["status"] == "approved"


def test_non_standard_contract_goes_to_legal_and_finance_in_parallel(
    admin_api: TestClient,
    people: Any,
    as_user: Api,
    flows: Any,
    unique: str,
) -> None:
    legal, finance, rep = people("legal"), people("finance"), people("rep", "sales_rep")
    flows(
        {
            "name": f"contract_nonstandard_{unique}",
            "object": "contract",
            "priority": 1,
            "condition": {"and": [_mine(unique), {"field": "is_standard", "op": "eq",
                                                  "value": False}]},
            "start": "both",
            "nodes": [
                {"id": "both", "type": "parallel", "branches": ["legal", "finance"], "next": None},
                _approver("legal", [legal]),
                _approver("finance", [finance]),
            ],
        }
    )  # fmt: skip
    rep_web = as_user(rep)
    cust = _customer(rep_web, unique)
    r = rep_web.post("/api/v1/records/contract", json={
        "name": f"非标合同 {unique}", "customer": cust["id"], "amount": "1000",
        "is_standard": False})  # fmt: skip
    assert r.status_code == 201, r.text
    approval = _submit(rep_web, "contract", r.json()["id"])
    assert sorted(n["node_id"] for n in approval["current"]) == ["finance", "legal"]
    after_legal = _act(as_user(legal), _task_for(as_user(legal), approval["id"]), "approve")
    assert after_legal["status"] == "running"
    assert [n["node_id"] for n in after_legal["current"]] == ["finance"]
    done = _act(as_user(finance), _task_for(as_user(finance), approval["id"]), "approve")
    assert done["status"] == "approved"


def test_a_payment_counts_as_received_only_after_finance_approves(
    admin_api: TestClient,
    people: Any,
    as_user: Api,
    flows: Any,
    unique: str,
) -> None:
    finance, rep = people("finance", "finance"), people("rep", "sales_rep")
    flows(
        {
            "name": f"payment_{unique}",
            "object": "payment",
            "condition": {"field": "payer_name", "op": "eq", "value": unique},
            "on_approved": [{"type": "update_fields", "values": {"confirmed": True}}],
            "start": "finance",
            "nodes": [_approver("finance", [finance])],
        }
    )
    rep_web = as_user(rep)
    cust = _customer(rep_web, unique)
    contract = rep_web.post("/api/v1/records/contract", json={
        "name": f"合同 {unique}", "customer": cust["id"], "amount": "1000"}).json()  # fmt: skip
    r = rep_web.post("/api/v1/records/payment", json={
        "customer": cust["id"], "contract": contract["id"], "amount": "400",
        "payer_name": unique})  # fmt: skip
    assert r.status_code == 201, r.text
    payment = r.json()

    def received() -> str | None:
        rec = admin_api.get(f"/api/v1/records/contract/{contract['id']}").json()
        value = rec["received_amount"]
        return value["amount"] if isinstance(value, dict) else value

    assert received() in (None, "0", "0.00")
    approval = _submit(rep_web, "payment", payment["id"])
    assert received() in (None, "0", "0.00")
    _act(as_user(finance), _task_for(as_user(finance), approval["id"]), "approve")
    assert received() == "400.00"


def test_transfer_delegate_add_signers_and_return_to_the_submitter(
    admin_api: TestClient,
    people: Any,
    as_user: Api,
    flows: Any,
    unique: str,
) -> None:
    a, b, c, d = people("a"), people("b"), people("c"), people("d")
    rep = people("rep", "sales_rep")
    flows(
        {
            "name": f"actions_{unique}",
            "object": "contract",
            "condition": _mine(unique),
            "resubmit": "continue",
            "start": "first",
            "nodes": [_approver("first", [a], next="second"), _approver("second", [b])],
        }
    )
    rep_web = as_user(rep)
    cust = _customer(rep_web, unique)
    contract = rep_web.post("/api/v1/records/contract", json={
        "name": f"合同 {unique}", "customer": cust["id"], "amount": "10"}).json()  # fmt: skip
    approval = _submit(rep_web, "contract", contract["id"])
    # somebody else's task: 403; transfer a → c
    task = _task_for(as_user(a), approval["id"])
    r = as_user(b).post(f"/api/v1/approval-tasks/{task['id']}/approve", json={})
    assert r.status_code == 403 and r.json()["code"] == "APPROVAL_NOT_YOURS"
    _act(as_user(a), task, "transfer", to=c["id"], comment="请 c 处理")
    r = as_user(a).post(f"/api/v1/approval-tasks/{task['id']}/approve", json={})
    assert r.status_code == 409 and r.json()["code"] == "APPROVAL_TASK_CLOSED"
    # c delegates to d, d gives an opinion, c decides
    task_c = _task_for(as_user(c), approval["id"])
    _act(as_user(c), task_c, "delegate", to=d["id"])
    assert _pending(as_user(c)) == [] or all(
        t["approval"]["id"] != approval["id"] for t in _pending(as_user(c))
    )
    _act(as_user(d), _task_for(as_user(d), approval["id"]), "approve", comment="可以")
    task_c = _task_for(as_user(c), approval["id"])
    # c adds d as a signer before; d approves; then c approves
    after = _act(as_user(c), task_c, "signers", users=[d["id"]], position="before")
    assert after["status"] == "running"
    _act(as_user(d), _task_for(as_user(d), approval["id"]), "approve")
    moved = _act(as_user(c), _task_for(as_user(c), approval["id"]), "approve")
    assert [n["node_id"] for n in moved["current"]] == ["second"]
    # b returns it to the submitter; the record unlocks; resubmission continues at "second"
    returned = _act(as_user(b), _task_for(as_user(b), approval["id"]), "reject", to="submitter")
    assert returned["status"] == "returned"
    rec = rep_web.get(f"/api/v1/records/contract/{contract['id']}").json()
    r = rep_web.patch(f"/api/v1/records/contract/{contract['id']}",
                      json={"amount": "20", "version": rec["version"]})  # fmt: skip
    assert r.status_code == 200, r.text
    r = rep_web.post(f"/api/v1/approvals/{approval['id']}/resubmit", json={"comment": "改好了"})
    assert r.status_code == 200, r.text
    assert [n["node_id"] for n in r.json()["current"]] == ["second"]
    # withdraw, then the task is gone from b's box
    r = rep_web.post(f"/api/v1/approvals/{approval['id']}/withdraw", json={})
    assert r.status_code == 200 and r.json()["status"] == "withdrawn", r.text
    assert all(t["approval"]["id"] != approval["id"] for t in _pending(as_user(b)))
    counts = as_user(rep).get("/api/v1/approvals/counts").json()
    assert counts["submitted_running"] == 0
    actions = [s["action"] for s in r.json()["trail"]]
    for expected in ("transfer", "delegate", "add_signers", "returned", "resubmit", "withdraw"):
        assert expected in actions


def test_bad_flows_are_refused_naming_the_node(
    admin_api: TestClient,
    people: Any,
    unique: str,
) -> None:
    a = people("a")
    bad = {
        "name": f"bad_{unique}",
        "object": "contract",
        "start": "one",
        "nodes": [
            _approver("one", [a], next="two"),
            _approver("two", [a], next="one"),  # a cycle
            _approver("lost", [a]),  # unreachable
            {"id": "pick", "type": "condition", "branches": [
                {"condition": {"field": "nope", "op": "eq", "value": 1}, "next": None}]},
            {"id": "nobody", "type": "approver", "approvers": [{"type": "role", "role": "nope"}]},
        ],
    }  # fmt: skip
    r = admin_api.post("/api/v1/approval-flows", json=bad)
    assert r.status_code == 422 and r.json()["code"] == "APPROVAL_FLOW_INVALID", r.text
    problems = {(e["field"], e["code"]) for e in r.json()["errors"]}
    assert ("nodes[one]", "workflow.E008") in problems or (
        "nodes[two]",
        "workflow.E008",
    ) in problems
    assert ("nodes[lost]", "workflow.E007") in problems
    assert ("nodes[pick].default", "workflow.E009") in problems
    assert any(
        f.startswith("nodes[pick].branches[0]") and c == "workflow.E003" for f, c in problems
    )
    assert any(
        f.startswith("nodes[nobody].approvers") and c == "workflow.E005" for f, c in problems
    )
    r = admin_api.post("/api/v1/approval-flows", json={**bad, "nodes": [], "start": "x"})
    assert r.status_code == 422


def test_racing_approvers_and_a_withdrawing_submitter_leave_one_consistent_state(
    admin_api: TestClient,
    people: Any,
    as_user: Api,
    flows: Any,
    unique: str,
) -> None:
    """Real concurrent requests (threads, one connection each); on PostgreSQL they overlap."""
    a, b, rep = people("a"), people("b"), people("rep", "sales_rep")
    flows(
        {
            "name": f"race_{unique}",
            "object": "contract",
            "condition": _mine(unique),
            "start": "both",
            "nodes": [_approver("both", [a, b], mode="countersign")],
        }
    )
    rep_web = as_user(rep)
    cust = _customer(rep_web, unique)
    webs = {"a": as_user(a), "b": as_user(b), "rep": rep_web}

    def contract(i: int) -> dict[str, Any]:
        r = rep_web.post("/api/v1/records/contract", json={
            "name": f"合同 {i} {unique}", "customer": cust["id"], "amount": "10"})  # fmt: skip
        return _submit(rep_web, "contract", r.json()["id"])

    def race(calls: list[Callable[[], Any]]) -> list[Any]:
        barrier = threading.Barrier(len(calls))

        def go(call: Callable[[], Any]) -> Any:
            barrier.wait()
            return call()

        with ThreadPoolExecutor(len(calls)) as pool:
            return list(pool.map(go, calls))

    for i in range(3):
        approval = contract(i)
        tasks = {k: _task_for(webs[k], approval["id"]) for k in ("a", "b")}
        urls = [f"/api/v1/approval-tasks/{tasks[k]['id']}/approve" for k in ("a", "b")]
        answers = race([
            partial(webs["a"].post, urls[0], json={}),
            partial(webs["b"].post, urls[1], json={}),
        ])  # fmt: skip
        assert [r.status_code for r in answers] == [200, 200], [r.text for r in answers]
        final = rep_web.get(f"/api/v1/approvals/{approval['id']}").json()
        assert final["status"] == "approved"
        assert [s["action"] for s in final["trail"]].count("approved") == 1

    for i in range(3, 6):
        approval = contract(i)
        task = _task_for(webs["a"], approval["id"])
        approve, withdraw = race([
            partial(webs["a"].post, f"/api/v1/approval-tasks/{task['id']}/approve", json={}),
            partial(rep_web.post, f"/api/v1/approvals/{approval['id']}/withdraw", json={}),
        ])  # fmt: skip
        final = rep_web.get(f"/api/v1/approvals/{approval['id']}").json()
        assert withdraw.status_code == 200, withdraw.text  # countersign: a alone never ends it
        assert final["status"] == "withdrawn"
        assert approve.status_code in (200, 409), approve.text
        states = {t["assignee_id"]: t["status"] for t in final["tasks"]}
        assert states[b["id"]] == "cancelled"
        assert states[a["id"]] in ("approved", "cancelled")
