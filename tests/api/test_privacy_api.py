"""Personal-data requests (GDPR/PIPL) through the HTTP API: export everything about a person,
erase it everywhere, keep the business records."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from accord.auth import org, roles
from accord.auth.service import create_token
from accord.core.context import Context, Runtime
from accord.db import tables as t
from accord.db.engine import unit_of_work


def _post(client: TestClient, path: str, body: dict[str, Any], **kw: Any) -> dict[str, Any]:
    r = client.post(path, json=body, **kw)
    assert r.status_code in (200, 201), r.text
    return r.json()


def _person(client: TestClient, unique: str) -> dict[str, Any]:
    email = f"xiaoming.{unique}@example.cn"
    customer = _post(client, "/api/v1/records/customer", {"name": f"华东精密 {unique}"})
    contact = _post(
        client,
        "/api/v1/records/contact",
        {
            "name": f"王小明{unique}",
            "customer": customer["id"],
            "mobile": "13800138000",
            "email": email,
            "wechat": f"wxm_{unique}",
            "birthday": "1988-03-05",
            "description": "prefers calls after 6 pm",
            "title": "采购经理",
        },
    )
    r = client.patch(
        f"/api/v1/records/contact/{contact['id']}",
        json={"email": f"old.{email}"},
        headers={"If-Match": f'"{contact["version"]}"'},
    )
    assert r.status_code == 200, r.text
    r = client.patch(
        f"/api/v1/records/contact/{contact['id']}",
        json={"email": email},
        headers={"If-Match": f'"{r.json()["version"]}"'},
    )
    assert r.status_code == 200, r.text
    activity = _post(
        client,
        "/api/v1/records/activity",
        {
            "subject": f"Call with 王小明{unique} about the order",
            "content": f"王小明{unique} asked to send the quote to {email}",
            "occurred_at": "2026-11-01T08:00:00Z",
            "contact": contact["id"],
            "customer": customer["id"],
        },
    )
    deal = _post(
        client,
        "/api/v1/records/opportunity",
        {
            "name": f"Spindles {unique}",
            "customer": customer["id"],
            "amount": {"amount": "125000.00", "currency": "CNY"},
            "stage": "proposal",
            "close_date": "2026-12-31",
        },
    )
    lead = _post(
        client,
        "/api/v1/records/lead",
        {"name": f"王小明{unique}", "email": email, "company": "华东精密"},
    )
    return {"email": email, "customer": customer, "contact": contact, "activity": activity,
            "deal": deal, "lead": lead}  # fmt: skip


def test_export_finds_every_record_of_the_person_by_email(client: TestClient, unique: str) -> None:
    p = _person(client, unique)
    body = _post(client, "/api/v1/privacy/export", {"email": p["email"].upper()})
    people = {(x["object"], x["record"]["id"]): x for x in body["people"]}
    assert set(people) == {("contact", p["contact"]["id"]), ("lead", p["lead"]["id"])}
    contact = people[("contact", p["contact"]["id"])]
    assert contact["record"]["mobile"] == "+8613800138000"
    assert "email" in contact["personal_fields"] and "title" not in contact["personal_fields"]
    assert [h["field_name"] for h in contact["history"]].count("email") == 2
    related = {(r["object"], r["record"]["id"]) for r in contact["related"]}
    assert ("activity", p["activity"]["id"]) in related


def test_erase_anonymises_the_person_everywhere_and_keeps_the_business(
    client: TestClient, runtime: Runtime, unique: str
) -> None:
    p = _person(client, unique)
    name, email = f"王小明{unique}", p["email"]
    erased = _post(client, "/api/v1/privacy/erase", {"email": email})["erased"]
    assert {(e["object"], e["id"]) for e in erased} == {
        ("contact", p["contact"]["id"]),
        ("lead", p["lead"]["id"]),
    }
    contact = client.get(f"/api/v1/records/contact/{p['contact']['id']}").json()
    assert contact["name"] == "[erased]"
    for f in ("mobile", "email", "wechat", "birthday", "description"):
        assert contact[f] is None, f
    assert contact["title"] == "采购经理" and contact["customer"] == p["customer"]["id"]
    # history and timeline keep that the fields changed, not the values
    hist = client.get(f"/api/v1/records/contact/{p['contact']['id']}/history").json()["data"]
    assert [h for h in hist if h["field"] == "email"] and all(
        h["old"] is None and h["new"] is None for h in hist if h["field"] == "email"
    )
    timeline = client.get(f"/api/v1/records/contact/{p['contact']['id']}/timeline").text
    activity = client.get(f"/api/v1/records/activity/{p['activity']['id']}").json()
    for text in (timeline, activity["subject"], activity["content"]):
        assert name not in text and email not in text
    assert "[erased]" in activity["content"]
    # the business records are untouched
    deal = client.get(f"/api/v1/records/opportunity/{p['deal']['id']}").json()
    assert deal["amount"] == {"amount": "125000.00", "currency": "CNY"}
    assert deal["stage"] == "proposal" and deal["version"] == p["deal"]["version"]
    # search no longer finds the person; the export finds nothing by that address
    hits = client.get("/api/v1/search", params={"q": name}).json()["data"]
    assert hits == []
    assert _post(client, "/api/v1/privacy/export", {"email": email})["people"] == []
    # audited, by field name, without the values
    with unit_of_work(runtime.engine, readonly=True) as conn:
        a = t.audit_log
        rows = conn.execute(
            select(a.c.action, a.c.details).where(a.c.target_id == p["contact"]["id"])
        ).all()
    entries = [d for action, d in rows if action == "privacy.erase"]
    assert entries and "email" in entries[0]["fields"] and email not in str(entries)


def test_privacy_requests_are_for_administrators_and_need_a_person(
    client: TestClient, runtime: Runtime, unique: str
) -> None:
    with unit_of_work(runtime.engine) as conn:
        ctx = Context(runtime=runtime, conn=conn)
        u = org.create_user(ctx, {"login": f"rep.{unique}"})
        roles.set_user_roles(ctx, u["id"], ["sales_director"])
        token = create_token(ctx, u["login"], "privacy")
    h = {"Authorization": f"Bearer {token}"}
    for path in ("/api/v1/privacy/export", "/api/v1/privacy/erase"):
        r = client.post(path, json={"email": "a@example.com"}, headers=h)
        assert r.status_code == 403 and r.json()["code"] == "NOT_ALLOWED"
        for body in ({}, {"object": "contact", "id": "nope"}, {"object": "nope", "id": None}):
            r = client.post(path, json=body)
            assert r.status_code == 422, r.text
            assert r.json()["code"] == "INVALID_PRIVACY_REQUEST"
