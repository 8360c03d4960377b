"""Roles: grants, field permissions, assignments, escalation rules, shipped roles."""

from __future__ import annotations

from collections.abc import Callable, Collection
from importlib import resources
from typing import Any

import pytest
from sqlalchemy import select

from accord.apps.crm.loader import load_app_definitions
from accord.auth import roles
from accord.core.context import Context
from accord.core.errors import Conflict, Forbidden, Invalid, NotFound
from accord.db import tables as t

MakeUser = Callable[..., dict[str, Any]]
Acting = Callable[[dict[str, Any]], Context]
SHIPPED = (
    "administrator", "sales_director", "sales_manager", "sales_rep", "marketing",
    "service_agent", "service_manager", "finance", "read_only_executive",
)  # fmt: skip
ROLES_FILE = resources.files("accord.apps.crm") / "roles.yaml"


def _catalog(name: str) -> Collection[str] | None:
    fields = {"lead": {"name", "score", "mobile"}, "customer": {"name"}, "contact": {"name"}}
    return fields.get(name)


def _role(unique: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": f"role_{unique}",
        "label": {"en": "Telesales", "zh": "电话销售"},
        "grants": {
            "lead": {"create": True, "read": True, "update": True, "read_scope": "department"},
            "customer": {"read": True, "read_scope": "all"},
        },
        "field_permissions": {"lead": {"score": "read_only"}},
        **extra,
    }


def test_create_get_update_and_delete_a_role(ctx: Context, admin: Context, unique: str) -> None:
    created = roles.create_role(admin, _role(unique), catalog=_catalog)
    assert created["grants"]["lead"] == {
        "create": True, "read": True, "update": True, "delete": False, "import": False,
        "export": False, "read_scope": "department", "write_scope": "self",
    }  # fmt: skip
    assert created["grants"]["customer"]["write_scope"] == "none"  # no update/delete
    assert created["field_permissions"] == {"lead": {"score": "read_only"}}
    assert not created["is_system"] and created["user_count"] == 0

    # grants and field permissions merge; null removes
    changed = roles.update_role(
        admin,
        created["name"],
        {
            "label": "电销",
            "grants": {"customer": None, "lead": {"read": True, "read_scope": "all"}},
            "field_permissions": {"lead": {"score": None, "mobile": "hidden"}},
        },
        catalog=_catalog,
    )
    assert changed["label"] == {"en": "电销", "zh": "电销"}
    assert list(changed["grants"]) == ["lead"]
    assert changed["grants"]["lead"]["create"] is False
    assert changed["field_permissions"] == {"lead": {"mobile": "hidden"}}
    assert roles.get_role(admin, created["name"]) == changed

    roles.delete_role(admin, created["name"])
    with pytest.raises(NotFound) as exc:
        roles.get_role(admin, created["name"])
    assert exc.value.code == "ROLE_NOT_FOUND"
    actions = ctx.conn.execute(
        select(t.audit_log.c.action).where(t.audit_log.c.target_id == created["id"])
    ).scalars()
    assert list(actions) == ["role.create", "role.update", "role.delete"]


def test_invalid_roles_report_every_problem(admin: Context, unique: str) -> None:
    body = {
        "name": "Bad Name",
        "label": {"en": "only english"},
        "grants": {
            "lead": {"update": True, "read_scope": "self"},  # update without read
            "customer": {"read": True, "read_scope": "everyone"},
            "opportunity": {"read": True, "update": True, "read_scope": "self",
                            "write_scope": "all"},
            "nothing_here": {"read": True},
            "contact": {"read": "yes", "approve": True},
        },
        "field_permissions": {"lead": {"nope": "hidden", "name": "invisible"}},
        "colour": "red",
    }  # fmt: skip
    with pytest.raises(Invalid) as exc:
        roles.create_role(admin, body, catalog=_catalog)
    assert exc.value.code == "INVALID_ROLE"
    got = {(e.field, e.code) for e in exc.value.errors}
    assert got >= {
        ("name", "INVALID_VALUE"),
        ("label", "INVALID_LABEL"),
        ("colour", "UNKNOWN_KEY"),
        ("grants.lead.update", "INVALID_GRANT"),
        ("grants.customer.read_scope", "INVALID_CHOICE"),
        ("grants.nothing_here", "UNKNOWN_OBJECT"),
        ("field_permissions.lead.nope", "UNKNOWN_FIELD"),
        ("field_permissions.lead.name", "INVALID_CHOICE"),
        ("grants.contact.read", "INVALID_TYPE"),
        ("grants.contact.approve", "UNKNOWN_KEY"),
    }, got


def test_write_scope_may_not_exceed_read_scope(admin: Context, unique: str) -> None:
    grant = {"read": True, "update": True, "read_scope": "self", "write_scope": "all"}
    with pytest.raises(Invalid) as exc:
        roles.create_role(admin, _role(unique, grants={"lead": grant}), catalog=_catalog)
    assert [(e.field, e.code) for e in exc.value.errors] == [
        ("grants.lead.write_scope", "INVALID_GRANT")
    ]


def test_role_names_are_unique_and_immutable(admin: Context, unique: str) -> None:
    roles.create_role(admin, _role(unique))
    with pytest.raises(Conflict) as exc:
        roles.create_role(admin, _role(unique))
    assert exc.value.code == "ROLE_EXISTS"
    with pytest.raises(Invalid) as exc2:
        roles.update_role(admin, f"role_{unique}", {"name": "renamed"})
    assert [e.code for e in exc2.value.errors] == ["NOT_PATCHABLE"]


def test_assignments_replace_the_users_roles(
    ctx: Context, admin: Context, make_user: MakeUser, unique: str
) -> None:
    user = make_user("rep")
    roles.create_role(admin, _role(unique))
    held = roles.set_user_roles(admin, user["id"], ["sales_rep", f"role_{unique}", "sales_rep"])
    assert [r["name"] for r in held] == sorted(["sales_rep", f"role_{unique}"])
    assert roles.get_role(admin, f"role_{unique}")["user_count"] == 1
    held = roles.set_user_roles(admin, user["id"], ["marketing"])
    assert [r["name"] for r in held] == ["marketing"]
    with pytest.raises(Invalid) as exc:
        roles.set_user_roles(admin, user["id"], ["marketing", "no_such_role"])
    assert exc.value.code == "INVALID_ASSIGNMENT"
    assert [(e.field, e.code) for e in exc.value.errors] == [("roles[1]", "REFERENCE_NOT_FOUND")]
    details = ctx.conn.execute(
        select(t.audit_log.c.details)
        .where(t.audit_log.c.target_id == user["id"], t.audit_log.c.action == "user.roles")
        .order_by(t.audit_log.c.id)
    ).scalars()
    assert list(details) == [
        {"added": ["sales_rep", f"role_{unique}"], "removed": []},
        {"added": ["marketing"], "removed": sorted(["sales_rep", f"role_{unique}"])},
    ]


def test_a_role_in_use_or_shipped_is_not_deleted(
    admin: Context, make_user: MakeUser, unique: str
) -> None:
    roles.create_role(admin, _role(unique))
    roles.set_user_roles(admin, make_user()["id"], [f"role_{unique}"])
    with pytest.raises(Conflict) as exc:
        roles.delete_role(admin, f"role_{unique}")
    assert exc.value.code == "ROLE_IN_USE"
    with pytest.raises(Conflict) as exc:
        roles.delete_role(admin, "sales_rep")
    assert exc.value.code == "ROLE_IS_SYSTEM"


def test_only_admins_change_roles_and_nobody_their_own(
    admin: Context, make_user: MakeUser, acting: Acting, unique: str
) -> None:
    rep, other = make_user("rep"), make_user("other")
    as_rep = acting(rep)
    attempts: list[Callable[[], Any]] = [
        lambda: roles.create_role(as_rep, _role(unique)),
        lambda: roles.update_role(as_rep, "sales_rep", {"label": "mine"}),
        lambda: roles.delete_role(as_rep, "sales_rep"),
        lambda: roles.set_user_roles(as_rep, rep["id"], ["administrator"]),
        lambda: roles.set_user_roles(as_rep, other["id"], ["sales_rep"]),
        lambda: roles.list_roles(as_rep),
        lambda: roles.roles_of(as_rep, other["id"]),
        lambda: roles.set_user_roles(admin, admin.actor.id, ["sales_rep"]),  # own roles
    ]
    for attempt in attempts:
        with pytest.raises(Forbidden) as exc:
            attempt()
        assert exc.value.code == "NOT_ALLOWED"
    assert roles.roles_of(as_rep, rep["id"]) == []  # one's own roles are visible


def test_holding_the_administrator_role_makes_an_administrator(
    admin: Context, make_user: MakeUser, acting: Acting, unique: str
) -> None:
    boss = make_user("boss")
    roles.set_user_roles(admin, boss["id"], ["administrator"])
    created = roles.create_role(acting(boss), _role(unique))
    assert created["name"] == f"role_{unique}"


def test_shipped_roles_are_installed_and_reinstalling_keeps_edits(admin: Context) -> None:
    installed = {r["name"]: r for r in roles.list_roles(admin)}
    assert set(SHIPPED) <= set(installed)
    assert all(installed[n]["is_system"] for n in SHIPPED)
    assert installed["administrator"]["is_admin"]
    assert installed["sales_rep"]["label"] == {"en": "Sales rep", "zh": "销售代表"}
    assert installed["sales_rep"]["grants"]["lead"]["read_scope"] == "self"
    assert installed["sales_rep"]["field_permissions"]["product"] == {"cost_price": "hidden"}

    roles.update_role(admin, "finance", {"grants": {"ticket": {"read": True}}})
    assert roles.install_roles(admin, ROLES_FILE) == []  # idempotent
    assert "ticket" in roles.get_role(admin, "finance")["grants"]  # the edit is kept
    roles.update_role(admin, "finance", {"grants": {"ticket": None}})


def test_shipped_roles_name_only_real_objects_and_fields() -> None:
    defs = {o.name: o for o in load_app_definitions()}

    def catalog(name: str) -> Collection[str] | None:
        obj = defs.get(name)
        return None if obj is None else {f.name for f in obj.fields}

    specs = roles.load_roles(ROLES_FILE)
    assert [s["name"] for s in specs] == list(SHIPPED)
    for spec in specs:
        roles._check_role(spec, catalog=catalog, patch=False)  # raises on unknown names
        assert spec["label"]["en"] and spec["label"]["zh"]
    # Every built-in object is readable by at least one non-admin role.
    readable = {o for s in specs for o, g in s["grants"].items() if g["read"]}
    assert readable == set(defs)


def test_a_broken_roles_file_is_refused_with_locations() -> None:
    with pytest.raises(Invalid) as exc:
        roles.load_roles("roles:\n  - name: x\n    label: X\n    grants: {lead: {read: 1}}\n")
    assert [(e.field, e.code) for e in exc.value.errors] == [
        ("roles[0].grants.lead.read", "INVALID_TYPE")
    ]
