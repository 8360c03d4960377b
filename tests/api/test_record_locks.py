"""Record locks through the HTTP API: a record under approval cannot be edited, except by its
current approvers and only in the fields the approval leaves editable."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from fastapi.testclient import TestClient

from accord.auth import org, roles
from accord.auth.service import create_token
from accord.core.context import Actor, Context, Runtime
from accord.core.errors import Conflict
from accord.core.ids import new_id
from accord.db.engine import unit_of_work
from accord.records import locks
from accord.records import service as records


def _user(runtime: Runtime, login: str, role: str = "administrator") -> dict[str, Any]:
    with unit_of_work(runtime.engine) as conn:
        ctx = Context(runtime=runtime, conn=conn)
        u = org.create_user(ctx, {"login": login})
        roles.set_user_roles(ctx, u["id"], [role])
        u["headers"] = {"Authorization": f"Bearer {create_token(ctx, login, 'locks')}"}
    return u


def _customer(client: TestClient, name: str, **extra: Any) -> dict[str, Any]:
    r = client.post("/api/v1/records/customer", json={"name": name, **extra})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def _lock(
    runtime: Runtime,
    rid: str,
    holder: str,
    editors: Sequence[str] = (),
    fields: Sequence[str] = (),
    obj: str = "customer",
) -> None:
    with unit_of_work(runtime.engine) as conn:
        ctx = Context(runtime=runtime, conn=conn)
        locks.lock(ctx, obj, rid, holder, editors=editors, fields=fields)


def _unlock(runtime: Runtime, rid: str, holder: str, obj: str = "customer") -> None:
    with unit_of_work(runtime.engine) as conn:
        locks.unlock(Context(runtime=runtime, conn=conn), obj, rid, holder)


def _patch(client: TestClient, rec: dict[str, Any], body: dict[str, Any], **kw: Any) -> Any:
    headers = {**kw.pop("headers", {}), "If-Match": f'"{rec["version"]}"'}
    return client.patch(f"/api/v1/records/customer/{rec['id']}", json=body, headers=headers)


def test_a_locked_record_refuses_everyone_else_until_unlocked(
    client: TestClient, runtime: Runtime, unique: str
) -> None:
    c = _customer(client, f"锁定{unique}", short_name="before")
    url = f"/api/v1/records/customer/{c['id']}"
    holder = f"approval:{unique}"
    _lock(runtime, c["id"], holder)
    r = _patch(client, c, {"short_name": "after"})  # an administrator is no approver
    assert r.status_code == 409, r.text
    body = r.json()
    assert body["code"] == "RECORD_LOCKED" and "under approval" in body["detail"]
    assert body["data"] == {"holder": holder}
    r = client.delete(url)
    assert r.status_code == 409 and r.json()["code"] == "RECORD_LOCKED"
    got = client.get(url)  # reads are unaffected
    assert got.status_code == 200
    assert got.json()["short_name"] == "before" and got.json()["version"] == c["version"]
    _unlock(runtime, c["id"], holder)
    r = _patch(client, c, {"short_name": "after"})
    assert r.status_code == 200 and r.json()["short_name"] == "after", r.text
    assert client.delete(url).status_code == 204


def test_an_approver_may_change_only_the_editable_fields(
    client: TestClient, runtime: Runtime, unique: str
) -> None:
    approver = _user(runtime, f"approver.{unique}")
    c = _customer(client, f"审批{unique}", short_name="short")
    url = f"/api/v1/records/customer/{c['id']}"
    _lock(runtime, c["id"], f"approval:{unique}", [approver["id"]], ["description"])
    h = approver["headers"]
    # The whole form sent back is fine: only the changed field counts
    r = _patch(client, c, {"name": c["name"], "description": "checked"}, headers=h)
    assert r.status_code == 200, r.text
    c = r.json()
    r = _patch(client, c, {"description": "again", "short_name": "new", "phone": None}, headers=h)
    assert r.status_code == 409, r.text
    assert r.json()["code"] == "RECORD_LOCKED"
    assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [
        ("short_name", "RECORD_LOCKED")  # phone was empty already: not a change
    ]
    assert client.delete(url, headers=h).json()["code"] == "RECORD_LOCKED"
    got = client.get(url).json()
    assert (got["description"], got["short_name"], got["version"]) == (
        "checked",
        "short",
        c["version"],
    )


def test_bulk_upsert_refuses_only_the_locked_rows(
    client: TestClient, runtime: Runtime, unique: str
) -> None:
    free = _customer(client, f"自由{unique}")
    held = _customer(client, f"批量{unique}")
    _lock(runtime, held["id"], f"approval:{unique}")
    rows = [
        {"id": free["id"], "short_name": "free"},
        {"id": held["id"], "short_name": "held"},
        {"id": new_id(), "name": f"新建{unique}", "short_name": "new"},
    ]
    r = client.post("/api/v1/records/customer:bulk", json={"mode": "upsert", "records": rows})
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [x["status"] for x in results] == ["updated", "error", "created"]
    assert [e["code"] for e in results[1]["errors"]] == ["RECORD_LOCKED"]
    assert client.get(f"/api/v1/records/customer/{free['id']}").json()["short_name"] == "free"
    assert client.get(f"/api/v1/records/customer/{held['id']}").json()["short_name"] is None


def test_transfer_and_erasure_wait_for_the_approval(
    client: TestClient, runtime: Runtime, unique: str
) -> None:
    leaver, successor = (_user(runtime, f"{n}.{unique}", "sales_rep") for n in ("lv", "sc"))
    r = client.post(
        "/api/v1/records/lead",
        json={"name": f"线索{unique}", "email": f"p.{unique}@example.cn"},
        headers=leaver["headers"],
    )
    assert r.status_code == 201, r.text
    lead = r.json()
    holder = f"approval:{unique}"
    _lock(runtime, lead["id"], holder, obj="lead")
    transfer = f"/api/v1/users/{leaver['id']}/transfer-records"
    r = client.post(transfer, json={"to_user_id": successor["id"]})
    assert r.status_code == 409 and r.json()["code"] == "RECORD_LOCKED", r.text
    r = client.post("/api/v1/privacy/erase", json={"object": "lead", "id": lead["id"]})
    assert r.status_code == 409 and r.json()["code"] == "RECORD_LOCKED", r.text
    got = client.get(f"/api/v1/records/lead/{lead['id']}").json()
    assert got["owner_id"] == leaver["id"] and got["version"] == lead["version"]
    _unlock(runtime, lead["id"], holder, obj="lead")
    r = client.post(transfer, json={"to_user_id": successor["id"]})
    assert r.status_code == 200 and r.json()["records"]["lead"] == 1, r.text


def test_a_second_holder_cannot_take_the_lock(
    client: TestClient, runtime: Runtime, unique: str
) -> None:
    c = _customer(client, f"持有{unique}")
    rid = c["id"]
    first, second = f"approval:a{unique}", f"approval:b{unique}"
    _lock(runtime, rid, first, ["u1"], ["description"])
    with unit_of_work(runtime.engine) as conn:
        ctx = Context(runtime=runtime, conn=conn)
        with pytest.raises(Conflict) as exc:
            locks.lock(ctx, "customer", rid, second)
        assert exc.value.code == "RECORD_LOCKED" and exc.value.data == {"holder": first}
        with pytest.raises(Conflict):
            locks.set_editors(ctx, "customer", rid, second, [], [])
        locks.unlock(ctx, "customer", rid, second)  # not theirs: nothing happens
        locks.lock(ctx, "customer", rid, first, editors=["u2"])  # the holder's re-lock replaces
        got = locks.get(ctx, "customer", rid)
        assert got is not None and (got.holder, got.editors, got.fields) == (first, ("u2",), ())
        locks.set_editors(ctx, "customer", rid, first, ["u3"], ["phone"])
        assert locks.locked_ids(ctx, "customer", [rid, new_id()]) == {
            rid: locks.Lock("customer", rid, first, ("u3",), ("phone",), got.locked_at)
        }
        locks.unlock(ctx, "customer", rid, first)
        assert locks.get(ctx, "customer", rid) is None
        with pytest.raises(Conflict) as exc:
            locks.set_editors(ctx, "customer", rid, first, [], [])
        assert exc.value.code == "RECORD_NOT_LOCKED"
        locks.lock(ctx, "customer", rid, second)  # free again: anyone may take it
        locks.unlock(ctx, "customer", rid, second)


def test_the_system_actor_passes_a_lock(client: TestClient, runtime: Runtime, unique: str) -> None:
    c = _customer(client, f"系统{unique}")
    rid, holder = c["id"], f"approval:{unique}"
    _lock(runtime, rid, holder)
    with unit_of_work(runtime.engine) as conn:
        system = Context(runtime=runtime, conn=conn)  # the system actor by default
        locks.check_write(system, "customer", rid, None)
        locks.check_write(system, "customer", rid, ["name"])
        rec = records.update(system, "customer", rid, {"short_name": "sys"}, version=c["version"])
        assert rec["short_name"] == "sys"
        someone = system.as_actor(Actor(id="u1", login="someone", is_admin=True))
        with pytest.raises(Conflict):
            locks.check_write(someone, "customer", rid, ["name"])
        locks.unlock(system, "customer", rid, holder)
        locks.check_write(someone, "customer", rid, None)
