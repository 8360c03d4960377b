"""The access matrix through the HTTP API: every data scope and every shipped role, seen from
six positions in an organisation of four departments (three in one tree) and a three-level
reporting line, on every read and write path. The expected answers come from an oracle written
here from the organisation's definition, not from the product's permission code.

Organisation::

    departments: sales ─ east ─ shanghai        service
    reporting:   dir ─ mgr ─ rep                (and svc reports to dir, across departments)
    members:     dir: sales; mgr, peer: east; rep: shanghai; svc, out: service

Records: one item owned by each user, plus one owned by ``out`` shared read-only with ``rep`` and
one owned by ``out`` shared read-write with the department ``east`` (which reaches east and
shanghai). Any record out of scope must answer exactly as one that does not exist (404).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select

from accord.auth import org, roles
from accord.auth.service import create_token
from accord.core.context import Context, Runtime
from accord.db import tables as t
from accord.db.engine import unit_of_work
from accord.meta import service as meta
from accord.records import service as records
from accord.records import sharing

USERS = ("dir", "mgr", "rep", "peer", "svc", "out")
DEPT = {"dir": "sales", "mgr": "east", "rep": "shanghai", "peer": "east", "svc": "service"}
DEPT["out"] = "service"
MANAGER = {"mgr": "dir", "rep": "mgr", "svc": "dir"}
TREE = {
    "sales": {"sales", "east", "shanghai"},
    "east": {"east", "shanghai"},
    "shanghai": {"shanghai"},
    "service": {"service"},
}
SCOPES = ("self", "subordinates", "department", "department_tree", "all")
# (name, owner, shared with: ("user", u) | ("department", d), access)
SHARED = (
    ("shared_read", "out", ("user", "rep"), "read"),
    ("shared_dept", "out", ("department", "east"), "write"),
)


def subordinates(u: str) -> set[str]:
    below = {x for x, m in MANAGER.items() if m == u}
    return below | {y for x in below for y in subordinates(x)}


def owners_in(viewer: str, scope: str) -> set[str]:
    """The oracle: whose records ``scope`` covers for ``viewer`` (cumulative scopes)."""
    if scope == "none":
        return set()
    if scope == "all":
        return set(USERS)
    out = {viewer}
    if scope == "self":
        return out
    out |= subordinates(viewer)
    if scope == "department":
        out |= {u for u in USERS if DEPT[u] == DEPT[viewer]}
    if scope == "department_tree":
        out |= {u for u in USERS if DEPT[u] in TREE[DEPT[viewer]]}
    return out


def shares_reaching(viewer: str, write: bool) -> set[str]:
    found = set()
    for name, _, (kind, target), access in SHARED:
        if write and access != "write":
            continue
        if (kind == "user" and target == viewer) or (
            kind == "department" and DEPT[viewer] in TREE[target]
        ):
            found.add(name)
    return found


def expected(viewer: str, scope: str, *, write: bool) -> set[str]:
    """Names of the items ``viewer`` reaches with ``scope``: owned in scope, or shared."""
    if scope == "none":
        return set()
    owned = {f"item_{u}" for u in owners_in(viewer, scope)}
    owned |= {name for name, owner, _, _ in SHARED if owner in owners_in(viewer, scope)}
    return owned | shares_reaching(viewer, write)


@dataclass
class World:
    unique: str
    item: str  # object names
    parent: str
    parent_id: str
    users: dict[str, dict[str, Any]]
    tokens: dict[str, str]
    departments: dict[str, str]
    items: dict[str, str] = field(default_factory=dict)  # item name → id
    leads: dict[str, str] = field(default_factory=dict)  # lead name → id

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def owner_of(self, name: str) -> str:
        shared = {n: o for n, o, _, _ in SHARED}
        return shared.get(name) or name.split("_", 1)[1]


def _object(name: str, *fields: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "label": {"en": name, "zh": name},
        "plural_label": {"en": name, "zh": name},
        "fields": [
            {"name": "name", "type": "text", "label": {"en": "Name", "zh": "名称"},
             "required": True, "searchable": True},
            *fields,
        ],
    }  # fmt: skip


def _role(name: str, grants: dict[str, Any], fps: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "label": {"en": name, "zh": name},
        "grants": grants,
        "field_permissions": fps or {},
    }


@pytest.fixture(scope="module")
def world(runtime: Runtime) -> Iterator[World]:
    unique = __import__("uuid").uuid4().hex[:8]
    item, parent = f"acl_{unique}", f"aclp_{unique}"
    with unit_of_work(runtime.engine) as conn:
        ctx = Context(runtime=runtime, conn=conn)
        meta.create_object(ctx, _object(parent))
    with unit_of_work(runtime.engine) as conn:
        ctx = Context(runtime=runtime, conn=conn)
        text = {"type": "text", "searchable": True}
        meta.create_object(
            ctx,
            _object(
                item,
                {"name": "secret", "label": {"en": "Secret", "zh": "机密"}, **text},
                {"name": "note", "type": "text", "label": {"en": "Note", "zh": "备注"}},
                {"name": "parent", "type": "lookup", "label": {"en": "P", "zh": "P"},
                 "options": {"target": parent}},
            ),
        )  # fmt: skip
    with unit_of_work(runtime.engine) as conn:
        ctx = Context(runtime=runtime, conn=conn)
        depts: dict[str, str] = {}
        for name, parent_dept in (
            ("sales", None),
            ("east", "sales"),
            ("shanghai", "east"),
            ("service", None),
        ):
            values = {"name": f"{name} {unique}"}
            if parent_dept:
                values["parent_id"] = depts[parent_dept]
            depts[name] = org.create_department(ctx, values)["id"]
        users: dict[str, dict[str, Any]] = {}
        for u in USERS:  # managers come first in USERS
            values = {"login": f"{u}.{unique}", "department_id": depts[DEPT[u]]}
            if u in MANAGER:
                values["manager_id"] = users[MANAGER[u]]["id"]
            users[u] = org.create_user(ctx, values)
        tokens = {u: create_token(ctx, users[u]["login"], "matrix") for u in USERS}
        for s in SCOPES:
            grants = {
                item: {"create": True, "read": True, "update": True, "delete": True,
                       "read_scope": s, "write_scope": s},
                parent: {"read": True, "read_scope": "all"},
            }  # fmt: skip
            roles.create_role(ctx, _role(f"acl_{s}_{unique}", grants))
        roles.create_role(
            ctx,
            _role(
                f"acl_fs_{unique}",
                {
                    item: {"read": True, "update": True, "read_scope": "all", "write_scope": "all"},
                    parent: {"read": True, "read_scope": "all"},
                },
                {item: {"secret": "hidden", "note": "read_only"}},
            ),
        )
        p = records.create(ctx, parent, {"name": f"parent {unique}"})
        w = World(unique, item, parent, p["id"], users, tokens, depts)
        names = [f"item_{u}" for u in USERS] + [s[0] for s in SHARED]
        for name in names:
            rec = records.create(
                ctx,
                item,
                {
                    "name": f"{name} acl{unique}",
                    "secret": f"SECRET-{unique}-{name}",
                    "note": "n",
                    "parent": p["id"],
                    "owner_id": users[w.owner_of(name)]["id"],
                },
            )
            w.items[name] = rec["id"]
            rec = records.create(
                ctx,
                "lead",
                {
                    "name": f"{name} lead{unique}",
                    "email": f"{name}@example.com",
                    "owner_id": users[w.owner_of(name)]["id"],
                },
            )
            w.leads[name] = rec["id"]
        for name, _, (kind, target), access in SHARED:
            target_id = users[target]["id"] if kind == "user" else depts[target]
            for obj, rid in ((item, w.items[name]), ("lead", w.leads[name])):
                sharing.share(ctx, obj, rid, **{f"{kind}_id": target_id}, access=access)
        # A change of the hidden field, so history has something to leak
        records.update(ctx, item, w.items["item_rep"], {"secret": f"SECRET-{unique}-v2"}, version=1)
    yield w


def _set_roles(runtime: Runtime, user: dict[str, Any], names: list[str]) -> None:
    with unit_of_work(runtime.engine) as conn:
        roles.set_user_roles(Context(runtime=runtime, conn=conn), user["id"], names)


def _ids(rows: list[dict[str, Any]]) -> set[str]:
    return {r["id"] for r in rows}


def _names(w: World, ids: set[str], table: dict[str, str]) -> set[str]:
    by_id = {v: k for k, v in table.items()}
    return {by_id[i] for i in ids if i in by_id}


def _version(client: TestClient, w: World, obj: str, rid: str) -> int:
    r = client.get(f"/api/v1/records/{obj}/{rid}")  # as the administrator
    assert r.status_code == 200, r.text
    return int(r.json()["version"])


@pytest.mark.parametrize("scope", SCOPES)
def test_every_scope_from_every_position_on_every_path(
    client: TestClient, runtime: Runtime, world: World, scope: str
) -> None:
    w = world
    base = f"/api/v1/records/{w.item}"
    for viewer in USERS:
        _set_roles(runtime, w.users[viewer], [f"acl_{scope}_{w.unique}"])
        h = w.auth(viewer)
        read, write = expected(viewer, scope, write=False), expected(viewer, scope, write=True)
        where = f"{viewer} with {scope}"
        # list, and the related list of the parent (a filter on the lookup)
        r = client.get(base, params={"limit": 500}, headers=h)
        assert r.status_code == 200, r.text
        assert _names(w, _ids(r.json()["data"]), w.items) == read, where
        r = client.get(base, params={"parent": w.parent_id, "limit": 500}, headers=h)
        assert _names(w, _ids(r.json()["data"]), w.items) == read, where
        # keyset pages of 2 join up to the whole list, in its order, for any sort
        for sort in ("-created_at", "name", "-note"):
            whole = client.get(base, params={"sort": sort, "limit": 500}, headers=h).json()
            pages, cursor = [], None
            while True:
                params = {"sort": sort, "limit": 2, **({"cursor": cursor} if cursor else {})}
                body = client.get(base, params=params, headers=h).json()
                pages += [x["id"] for x in body["data"]]
                if not (cursor := body["next_cursor"]):
                    break
            assert pages == [x["id"] for x in whole["data"]], (where, sort)
        # search
        r = client.get(
            "/api/v1/search", params={"q": f"acl{w.unique}", "objects": w.item, "limit": 50},
            headers=h,
        )  # fmt: skip
        assert r.status_code == 200, r.text
        assert _names(w, {x["id"] for x in r.json()["data"]}, w.items) == read, where
        # the parent's 360° timeline lists only the items in scope
        r = client.get(f"/api/v1/records/{w.parent}/{w.parent_id}/timeline", headers=h)
        assert r.status_code == 200, r.text
        seen = {x["record"]["id"] for x in r.json()["data"] if x["kind"] == "record"}
        assert _names(w, seen, w.items) == read, where
        for name, rid in w.items.items():
            ok = name in read
            for path in ("", "/history", "/shares", "/owners", "/timeline"):
                r = client.get(f"{base}/{rid}{path}", headers=h)
                assert r.status_code == (200 if ok else 404), (where, name, path, r.text)
                if not ok:
                    assert r.json()["code"] == "RECORD_NOT_FOUND"
        # writes: update, bulk upsert, delete + restore, create with an owner
        for name, rid in w.items.items():
            ok = name in write
            version = _version(client, w, w.item, rid)
            r = client.patch(
                f"{base}/{rid}", json={"note": f"by {viewer}"},
                headers={**h, "If-Match": f'"{version}"'},
            )  # fmt: skip
            assert r.status_code == (200 if ok else 404), (where, name, r.text)
        rows = [{"id": rid, "note": f"bulk {viewer}"} for rid in w.items.values()]
        r = client.post(f"{base}:bulk", json={"mode": "upsert", "key": "id", "records": rows},
                        headers=h)  # fmt: skip
        assert r.status_code == 200, r.text
        status = {
            _names(w, {rows[x["index"]]["id"]}, w.items).pop(): x["status"]
            for x in r.json()["results"]
        }
        assert {n for n, s in status.items() if s == "updated"} == write, where
        assert all(s == "error" for n, s in status.items() if n not in write), where
        for name, rid in w.items.items():
            ok = name in write
            r = client.delete(f"{base}/{rid}", headers=h)
            assert r.status_code == (204 if ok else 404), (where, name, r.text)
            if ok:
                r = client.post(f"{base}/{rid}/restore", headers=h)
                assert r.status_code == 200, (where, name, r.text)
        owners = owners_in(viewer, scope)
        for u in USERS:
            r = client.post(
                base, json={"name": f"new acl-made {w.unique}", "owner_id": w.users[u]["id"]},
                headers=h,
            )  # fmt: skip
            assert r.status_code == (201 if u in owners else 403), (where, u, r.text)
            if r.status_code == 201:  # out of the way of the next lists
                assert client.delete(f"{base}/{r.json()['id']}").status_code == 204
            else:
                assert r.json()["code"] == "OWNER_NOT_ALLOWED"


def _shipped_roles() -> dict[str, dict[str, Any]]:
    text = (resources.files("accord.apps.crm") / "roles.yaml").read_text(encoding="utf-8")
    return {r["name"]: r for r in yaml.safe_load(text)["roles"]}


@pytest.mark.parametrize("role", sorted(_shipped_roles()))
def test_every_shipped_role_on_leads(
    client: TestClient, runtime: Runtime, world: World, role: str
) -> None:
    w = world
    spec = _shipped_roles()[role]
    grant = {} if spec.get("is_admin") else (spec.get("grants") or {}).get("lead") or {}
    admin = bool(spec.get("is_admin"))
    read_scope = (
        "all" if admin else (grant.get("read_scope", "self") if grant.get("read") else "none")
    )
    may_update = admin or grant.get("update", False)
    write_scope = "all" if admin else (grant.get("write_scope", "self") if may_update else "none")
    read_only = set((spec.get("field_permissions") or {}).get("lead") or {})
    base = "/api/v1/records/lead"
    for viewer in USERS:
        _set_roles(runtime, w.users[viewer], [role])
        h = w.auth(viewer)
        where = f"{viewer} as {role}"
        r = client.get(base, params={"filter": _contains("name", f"lead{w.unique}"), "limit": 500},
                       headers=h)  # fmt: skip
        if read_scope == "none":
            assert r.status_code == 403 and r.json()["code"] == "NOT_ALLOWED", (where, r.text)
            continue
        assert r.status_code == 200, (where, r.text)
        read = expected(viewer, read_scope, write=False)
        assert _names(w, _ids(r.json()["data"]), w.leads) == read, where
        write = expected(viewer, write_scope, write=True) if may_update else set()
        for name, rid in w.leads.items():
            r = client.get(f"{base}/{rid}", headers=h)
            assert r.status_code == (200 if name in read else 404), (where, name)
            version = _version(client, w, "lead", rid)
            r = client.patch(f"{base}/{rid}", json={"description": f"by {viewer}"},
                             headers={**h, "If-Match": f'"{version}"'})  # fmt: skip
            if not may_update:
                assert r.status_code == 403 and r.json()["code"] == "NOT_ALLOWED", (where, name)
            else:
                assert r.status_code == (200 if name in write else 404), (where, name, r.text)
            for f in read_only:
                if name in write:
                    r = client.patch(f"{base}/{rid}", json={f: 1},
                                     headers={**h, "If-Match": f'"{version + 1}"'})  # fmt: skip
                    assert r.status_code == 403, (where, f, r.text)
                    assert r.json()["code"] == "FIELD_READ_ONLY" and f in r.json()["detail"]


def _contains(field_name: str, value: str) -> str:
    import json

    return json.dumps({"field": field_name, "op": "contains", "value": value})


def test_hidden_fields_never_leave_and_read_only_fields_are_refused(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    w = world
    _set_roles(runtime, w.users["rep"], [f"acl_fs_{w.unique}"])
    h = w.auth("rep")
    base = f"/api/v1/records/{w.item}"
    rid = w.items["item_rep"]
    marker = f"SECRET-{w.unique}"
    reads = [
        client.get(base, params={"limit": 500}, headers=h),
        client.get(f"{base}/{rid}", headers=h),
        client.get(f"{base}/{rid}/history", headers=h),
        client.get(f"/api/v1/records/{w.parent}/{w.parent_id}/timeline", headers=h),
        client.get("/api/v1/search", params={"q": f"acl{w.unique}", "objects": w.item}, headers=h),
    ]
    for r in reads:
        assert r.status_code == 200, r.text
        assert marker not in r.text and '"secret"' not in r.text, r.text
    # The values of a hidden field cannot be searched, filtered or sorted on
    r = client.get("/api/v1/search", params={"q": marker, "objects": w.item}, headers=h)
    assert r.status_code == 200 and r.json()["data"] == []
    for params in (
        {"secret": marker},
        {"sort": "secret"},
        {"fields": "name,secret"},
    ):
        r = client.get(base, params=params, headers=h)
        assert r.status_code in (400, 422), (params, r.text)
        assert "SECRET-" not in r.text
    # The definitions show only what the user may read, without the hidden field
    r = client.get(f"/api/v1/objects/{w.item}", headers=h)
    assert r.status_code == 200 and "secret" not in {f["name"] for f in r.json()["fields"]}
    listed = {o["name"] for o in client.get("/api/v1/objects", headers=h).json()["data"]}
    assert listed == {w.item, w.parent}
    r = client.get("/api/v1/objects/lead", headers=h)
    assert r.status_code == 404 and r.json()["code"] == "OBJECT_NOT_FOUND"
    # An administrator still sees it all
    assert "secret" in {f["name"] for f in client.get(f"/api/v1/objects/{w.item}").json()["fields"]}
    r = client.get(f"{base}/{rid}")
    assert r.json()["secret"].startswith(marker)
    # Writes: the read-only and the hidden field are refused with 403 naming the field
    version = _version(client, w, w.item, rid)
    for f in ("note", "secret"):
        r = client.patch(f"{base}/{rid}", json={f: "x"}, headers={**h, "If-Match": f'"{version}"'})
        assert r.status_code == 403, r.text
        body = r.json()
        assert body["code"] == "FIELD_READ_ONLY" and body["errors"][0]["field"] == f
    r = client.patch(
        f"{base}/{rid}", json={"name": "renamed"}, headers={**h, "If-Match": f'"{version}"'}
    )
    assert r.status_code == 200 and "secret" not in r.json()


def test_escalation_attempts_are_refused_and_audited(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    w = world
    _set_roles(runtime, w.users["rep"], [f"acl_self_{w.unique}"])
    h = w.auth("rep")
    # A rep cannot change their own roles
    r = client.put(
        f"/api/v1/users/{w.users['rep']['id']}/roles", json={"roles": ["administrator"]}, headers=h
    )
    assert r.status_code == 403
    # …nor hand a record to someone in another department
    forged = {"name": "forged", "owner_id": w.users["out"]["id"]}
    r = client.post(f"/api/v1/records/{w.item}", json=forged, headers=h)
    assert r.status_code == 403 and r.json()["code"] == "OWNER_NOT_ALLOWED"
    # …nor act on another user's record with their own token
    r = client.get(f"/api/v1/records/{w.item}/{w.items['item_out']}", headers=h)
    assert r.status_code == 404
    with unit_of_work(runtime.engine, readonly=True) as conn:
        a = t.audit_log
        actions = set(
            conn.execute(select(a.c.action).where(a.c.actor_id == w.users["rep"]["id"])).scalars()
        )
    assert {"record.owner_refused", "record.out_of_scope", "access.denied"} <= actions
