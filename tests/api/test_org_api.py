"""Organisation API over HTTP: users, departments, roles, assignments, my permissions."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from accord.auth.service import create_token
from accord.core.context import Context, Runtime
from accord.db.engine import unit_of_work


def _user(client: TestClient, login: str, **extra: Any) -> dict[str, Any]:
    r = client.post("/api/v1/users", json={"login": login, "password": "pass-word-1", **extra})
    assert r.status_code == 201, r.text
    return r.json()


def _token(runtime: Runtime, login: str) -> dict[str, str]:
    with unit_of_work(runtime.engine) as conn:
        token = create_token(Context(runtime=runtime, conn=conn), login, "tests")
    return {"Authorization": f"Bearer {token}"}


def test_users_create_get_patch_list_and_disable(client: TestClient, unique: str) -> None:
    dept = client.post("/api/v1/departments", json={"name": f"华北区 {unique}"}).json()
    boss = _user(client, f"boss.{unique}", name="张伟")
    rep = _user(
        client,
        f"rep.{unique}",
        name="李娜",
        mobile="13800138000",
        department_id=dept["id"],
        manager_id=boss["id"],
    )
    assert rep["mobile"] == "+8613800138000" and rep["manager_id"] == boss["id"]
    assert "password" not in rep and "password_hash" not in rep
    assert client.get(f"/api/v1/users/{rep['id']}").json() == rep

    r = client.patch(f"/api/v1/users/{rep['id']}", json={"email": "li.na@example.com"})
    assert r.status_code == 200 and r.json()["email"] == "li.na@example.com"
    r = client.get("/api/v1/users", params={"department_id": dept["id"]})
    assert [u["login"] for u in r.json()["data"]] == [rep["login"]]

    r = client.patch(f"/api/v1/users/{rep['id']}", json={"is_active": False})
    assert r.status_code == 200 and r.json()["is_active"] is False
    assert r.json()["disabled_at"] is not None
    r = client.get("/api/v1/users", params={"department_id": dept["id"], "active": "true"})
    assert r.json()["data"] == []


def test_bad_user_input_is_a_clear_4xx(client: TestClient, unique: str) -> None:
    r = client.post("/api/v1/users", json={"login": f"x.{unique}", "mobile": "123"})
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "INVALID_USER"
    assert r.json()["errors"] == [
        {"field": "mobile", "code": "INVALID_PHONE", "message": "not a valid mobile number"}
    ]
    assert client.get("/api/v1/users/not-a-uuid").status_code == 404
    r = client.post("/api/v1/users", json=["not", "an", "object"])
    assert r.status_code == 422
    r = client.get("/api/v1/users", params={"limit": "0"})
    assert r.status_code == 422


def test_department_tree_crud(client: TestClient, unique: str) -> None:
    root = client.post("/api/v1/departments", json={"name": f"总部 {unique}"}).json()
    child = client.post(
        "/api/v1/departments", json={"name": "研发中心", "parent_id": root["id"]}
    ).json()
    r = client.get("/api/v1/departments", params={"tree": "true"})
    [node] = [n for n in r.json()["data"] if n["id"] == root["id"]]
    assert [c["id"] for c in node["children"]] == [child["id"]]

    r = client.patch(f"/api/v1/departments/{root['id']}", json={"parent_id": child["id"]})
    assert r.status_code == 422
    assert r.json()["errors"][0]["code"] == "DEPARTMENT_CYCLE"
    r = client.delete(f"/api/v1/departments/{root['id']}")
    assert r.status_code == 409 and r.json()["code"] == "DEPARTMENT_IN_USE"
    assert client.delete(f"/api/v1/departments/{child['id']}").status_code == 204
    assert client.get(f"/api/v1/departments/{child['id']}").status_code == 404
    assert (
        client.patch(f"/api/v1/departments/{root['id']}", json={"name": "新总部"}).json()["name"]
        == "新总部"
    )


def test_department_head_is_an_active_user_set_changed_and_audited(
    client: TestClient, unique: str
) -> None:
    head = _user(client, f"head.{unique}", name="王芳")
    other = _user(client, f"head2.{unique}")
    r = client.post("/api/v1/departments", json={"name": f"财务部 {unique}", "head_id": head["id"]})
    assert r.status_code == 201, r.text
    dept = r.json()
    assert dept["head_id"] == head["id"]
    assert client.get(f"/api/v1/departments/{dept['id']}").json()["head_id"] == head["id"]
    flat = client.get("/api/v1/departments").json()["data"]
    assert [d["head_id"] for d in flat if d["id"] == dept["id"]] == [head["id"]]
    tree = client.get("/api/v1/departments", params={"tree": "true"}).json()["data"]
    assert [d["head_id"] for d in tree if d["id"] == dept["id"]] == [head["id"]]
    # the head need not be a member: nobody is in this department
    assert client.get("/api/v1/users", params={"department_id": dept["id"]}).json()["data"] == []

    r = client.patch(f"/api/v1/departments/{dept['id']}", json={"head_id": other["id"]})
    assert r.status_code == 200 and r.json()["head_id"] == other["id"]
    r = client.get("/api/v1/audit", params={"target_id": dept["id"], "limit": 10})
    entries = {e["action"]: e["details"] for e in r.json()["data"]}
    assert entries["department.create"]["head_id"] == head["id"]
    assert entries["department.update"] == {"changes": {"head_id": [head["id"], other["id"]]}}
    r = client.patch(f"/api/v1/departments/{dept['id']}", json={"head_id": None})
    assert r.status_code == 200 and r.json()["head_id"] is None


def test_a_department_head_must_exist_and_be_active(client: TestClient, unique: str) -> None:
    gone = _user(client, f"gone.{unique}")
    assert client.patch(f"/api/v1/users/{gone['id']}", json={"is_active": False}).status_code == 200
    dept = client.post("/api/v1/departments", json={"name": f"法务部 {unique}"}).json()
    assert dept["head_id"] is None
    cases = [
        (gone["id"], "USER_DISABLED"),
        ("not-a-uuid", "REFERENCE_NOT_FOUND"),
        ("00000000-0000-7000-8000-000000000000", "REFERENCE_NOT_FOUND"),
        (42, "REFERENCE_NOT_FOUND"),
    ]
    for value, code in cases:
        r = client.patch(f"/api/v1/departments/{dept['id']}", json={"head_id": value})
        assert r.status_code == 422, (value, r.text)
        assert r.json()["code"] == "INVALID_DEPARTMENT"
        assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [("head_id", code)]
    r = client.post("/api/v1/departments", json={"name": f"x {unique}", "head_id": gone["id"]})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "USER_DISABLED"
    assert client.get(f"/api/v1/departments/{dept['id']}").json()["head_id"] is None


def test_roles_crud_with_grants_and_field_permissions(client: TestClient, unique: str) -> None:
    name = f"telesales_{unique}"
    body = {
        "name": name,
        "label": {"en": "Telesales", "zh": "电话销售"},
        "grants": {"lead": {"create": True, "read": True, "read_scope": "self"}},
        "field_permissions": {"lead": {"score": "hidden"}},
    }
    r = client.post("/api/v1/roles", json=body)
    assert r.status_code == 201, r.text
    assert r.json()["grants"]["lead"]["create"] is True
    r = client.patch(
        f"/api/v1/roles/{name}", json={"grants": {"customer": {"read": True, "read_scope": "all"}}}
    )
    assert sorted(r.json()["grants"]) == ["customer", "lead"]
    assert name in [x["name"] for x in client.get("/api/v1/roles").json()["data"]]
    assert client.get(f"/api/v1/roles/{name}").json() == r.json()

    # names are checked against the live object definitions
    bad = {
        "grants": {"no_such_object": {"read": True}},
        "field_permissions": {"lead": {"x": "hidden"}},
    }
    r = client.patch(f"/api/v1/roles/{name}", json=bad)
    assert r.status_code == 422
    assert {(e["field"], e["code"]) for e in r.json()["errors"]} == {
        ("grants.no_such_object", "UNKNOWN_OBJECT"),
        ("field_permissions.lead.x", "UNKNOWN_FIELD"),
    }
    assert client.post("/api/v1/roles", json=body).status_code == 409
    assert client.delete("/api/v1/roles/sales_rep").json()["code"] == "ROLE_IS_SYSTEM"
    assert client.delete(f"/api/v1/roles/{name}").status_code == 204
    assert client.get(f"/api/v1/roles/{name}").status_code == 404


def test_assignments_and_my_permissions(client: TestClient, runtime: Runtime, unique: str) -> None:
    rep = _user(client, f"perm.{unique}")
    r = client.put(f"/api/v1/users/{rep['id']}/roles", json={"roles": ["sales_rep"]})
    assert r.status_code == 200, r.text
    assert [x["name"] for x in r.json()["data"]] == ["sales_rep"]
    assert client.put(f"/api/v1/users/{rep['id']}/roles", json=["x"]).status_code == 422
    r = client.put(f"/api/v1/users/{rep['id']}/roles", json={"roles": ["nope"]})
    assert r.status_code == 422 and r.json()["code"] == "INVALID_ASSIGNMENT"

    headers = _token(runtime, rep["login"])
    me = client.get("/api/v1/me/permissions", headers=headers).json()
    assert me["user_id"] == rep["id"] and me["is_admin"] is False
    assert me["roles"] == ["sales_rep"]
    assert me["objects"]["lead"]["read_scope"] == "self"
    assert me["objects"]["product"]["hidden_fields"] == ["cost_price"]
    assert "campaign_member" not in me["objects"]  # not granted: denied

    admin_me = client.get("/api/v1/me/permissions").json()
    assert admin_me["is_admin"] is True
    assert admin_me["objects"]["campaign_member"]["delete"] is True
    assert client.get(f"/api/v1/users/{rep['id']}/roles", headers=headers).status_code == 200


def test_non_admins_are_refused_with_403(client: TestClient, runtime: Runtime, unique: str) -> None:
    rep = _user(client, f"plain.{unique}")
    other = _user(client, f"other.{unique}")
    headers = _token(runtime, rep["login"])
    attempts = [
        ("post", "/api/v1/users", {"login": f"new.{unique}"}),
        ("patch", f"/api/v1/users/{other['id']}", {"name": "x"}),
        ("patch", f"/api/v1/users/{rep['id']}", {"is_admin": True}),
        ("put", f"/api/v1/users/{rep['id']}/roles", {"roles": ["administrator"]}),
        ("post", "/api/v1/departments", {"name": f"d {unique}"}),
        ("post", "/api/v1/roles", {"name": f"r_{unique}", "label": "R"}),
        ("patch", "/api/v1/roles/sales_rep", {"label": "mine"}),
        ("get", "/api/v1/roles", None),
    ]
    for method, url, body in attempts:
        r = client.request(method, url, json=body, headers=headers)
        assert r.status_code == 403, (method, url, r.text)
        assert r.json()["code"] == "NOT_ALLOWED"
    # Reading the directory and editing one's own profile are allowed.
    assert client.get("/api/v1/users", headers=headers).status_code == 200
    r = client.patch(f"/api/v1/users/{rep['id']}", json={"name": "自己"}, headers=headers)
    assert r.status_code == 200 and r.json()["name"] == "自己"


def test_nul_characters_are_refused_not_stored(client: TestClient, unique: str) -> None:
    """PostgreSQL refuses NUL in text and JSON: a 4xx, never a 500, on both databases."""
    r = client.post("/api/v1/users", json={"login": f"nul.{unique}", "name": "a\x00b"})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "INVALID_VALUE"
    r = client.post("/api/v1/users", json={"login": f"nul\x00{unique}"})
    assert r.status_code == 422 and r.json()["code"] == "INVALID_LOGIN"
    assert client.get("/api/v1/users", params={"q": "\x00"}).status_code == 422
    assert client.get("/api/v1/users", params={"cursor": "AA"}).status_code == 422
    r = client.post("/api/v1/roles", json={"name": f"nul_{unique}", "label": "x\x00"})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "INVALID_LABEL"
    rep = _user(client, f"nulrole.{unique}")
    r = client.put(f"/api/v1/users/{rep['id']}/roles", json={"roles": ["a\x00"]})
    assert r.status_code == 422 and r.json()["code"] == "INVALID_ASSIGNMENT"
    assert client.get("/api/v1/roles/a%00b").status_code == 404
    assert client.get("/api/v1/users", params={"department_id": "nope"}).json()["data"] == []
