"""Record teams (shares), ownership history and the transfer of a leaver's records, through the
HTTP API."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from accord.auth import org, roles
from accord.auth.service import create_token
from accord.core.context import Context, Runtime
from accord.db import tables as t
from accord.db.engine import unit_of_work


def _users(runtime: Runtime, unique: str, *names: str, role: str = "sales_rep") -> dict[str, Any]:
    out: dict[str, Any] = {}
    with unit_of_work(runtime.engine) as conn:
        ctx = Context(runtime=runtime, conn=conn)
        for n in names:
            u = org.create_user(ctx, {"login": f"{n}.{unique}"})
            roles.set_user_roles(ctx, u["id"], [role])
            u["headers"] = {"Authorization": f"Bearer {create_token(ctx, u['login'], 'sharing')}"}
            out[n] = u
    return out


def _lead(client: TestClient, who: dict[str, Any], name: str) -> dict[str, Any]:
    r = client.post(
        "/api/v1/records/lead",
        json={"name": name, "email": "x@example.com"},
        headers=who["headers"],
    )
    assert r.status_code == 201, r.text
    return r.json()


def test_sharing_lets_a_colleague_in_and_unsharing_shuts_them_out(
    client: TestClient, runtime: Runtime, unique: str
) -> None:
    u = _users(runtime, unique, "owner", "mate", "stranger")
    lead = _lead(client, u["owner"], f"shared {unique}")
    url = f"/api/v1/records/lead/{lead['id']}"
    assert client.get(url, headers=u["mate"]["headers"]).status_code == 404
    # Someone who cannot reach the record cannot share it (nor learn that it exists)
    r = client.post(f"{url}/shares", json={"user_id": u["stranger"]["id"]},
                    headers=u["mate"]["headers"])  # fmt: skip
    assert r.status_code == 404
    # The owner shares it read-only: the colleague reads it but cannot change it
    r = client.post(f"{url}/shares", json={"user_id": u["mate"]["id"], "access": "read"},
                    headers=u["owner"]["headers"])  # fmt: skip
    assert r.status_code == 201 and r.json()["access"] == "read"
    assert client.get(url, headers=u["mate"]["headers"]).status_code == 200
    patch = client.patch(url, json={"description": "x"},
                         headers={**u["mate"]["headers"], "If-Match": '"1"'})  # fmt: skip
    assert patch.status_code == 404
    listed = client.get(url + "/shares", headers=u["mate"]["headers"]).json()["data"]
    assert [s["user_id"] for s in listed] == [u["mate"]["id"]]
    # Upgraded to read-write, the colleague may edit
    r = client.post(f"{url}/shares", json={"user_id": u["mate"]["id"], "access": "write"},
                    headers=u["owner"]["headers"])  # fmt: skip
    assert r.status_code == 201
    patch = client.patch(url, json={"description": "by mate"},
                         headers={**u["mate"]["headers"], "If-Match": '"1"'})  # fmt: skip
    assert patch.status_code == 200, patch.text
    # Unshared, the record is gone for them; unsharing again is a 404
    r = client.delete(f"{url}/shares", params={"user_id": u["mate"]["id"]},
                      headers=u["owner"]["headers"])  # fmt: skip
    assert r.status_code == 204
    assert client.get(url, headers=u["mate"]["headers"]).status_code == 404
    r = client.delete(f"{url}/shares", params={"user_id": u["mate"]["id"]},
                      headers=u["owner"]["headers"])  # fmt: skip
    assert r.status_code == 404 and r.json()["code"] == "SHARE_NOT_FOUND"
    with unit_of_work(runtime.engine, readonly=True) as conn:
        a = t.audit_log
        actions = list(
            conn.execute(
                select(a.c.action).where(a.c.target_id == lead["id"]).order_by(a.c.id)
            ).scalars()
        )
    # the shares, and each attempt of the colleague or the stranger outside their scope
    assert [a for a in actions if a != "record.out_of_scope"] == [
        "record.share",
        "record.share",
        "record.unshare",
    ]
    assert actions.count("record.out_of_scope") == 4


def test_a_leavers_records_go_to_their_successor_with_history(
    client: TestClient, runtime: Runtime, unique: str
) -> None:
    u = _users(runtime, unique, "leaver", "successor")
    leads = [_lead(client, u["leaver"], f"leaver {unique} {i}") for i in range(3)]
    client.delete(f"/api/v1/records/lead/{leads[2]['id']}", headers=u["leaver"]["headers"])
    r = client.patch(f"/api/v1/users/{u['leaver']['id']}", json={"is_active": False})
    assert r.status_code == 200, r.text
    # Only administrators transfer
    body = {"to_user_id": u["successor"]["id"]}
    r = client.post(f"/api/v1/users/{u['leaver']['id']}/transfer-records", json=body,
                    headers=u["successor"]["headers"])  # fmt: skip
    assert r.status_code == 403
    r = client.post(f"/api/v1/users/{u['leaver']['id']}/transfer-records", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["records"]["lead"] == 3  # the one in the recycle bin too
    for lead in leads[:2]:
        url = f"/api/v1/records/lead/{lead['id']}"
        got = client.get(url, headers=u["successor"]["headers"])
        assert got.status_code == 200 and got.json()["owner_id"] == u["successor"]["id"]
        assert got.json()["version"] == lead["version"] + 1
        owners = client.get(f"{url}/owners").json()["data"]
        assert [(o["old_owner_id"], o["new_owner_id"]) for o in owners] == [
            (u["leaver"]["id"], u["successor"]["id"])
        ]
        hist = client.get(f"{url}/history").json()["data"]
        assert hist[0]["field"] == "owner_id" and hist[0]["new"] == u["successor"]["id"]
    # Transferring to a disabled user or the same user is refused
    r = client.post(f"/api/v1/users/{u['successor']['id']}/transfer-records",
                    json={"to_user_id": u["leaver"]["id"]})  # fmt: skip
    assert r.status_code == 422 and r.json()["code"] == "INVALID_TRANSFER"
