"""Users: profile fields, the reporting line, disabling, escalation rules, audit entries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from accord.auth import org
from accord.auth import service as accounts
from accord.auth.service import authenticate_password
from accord.core.context import Context
from accord.core.errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated
from accord.db import tables as t

MakeUser = Callable[..., dict[str, Any]]
Acting = Callable[[dict[str, Any]], Context]


def _audit(ctx: Context, target_id: str) -> list[str]:
    a = t.audit_log
    rows = ctx.conn.execute(select(a.c.action).where(a.c.target_id == target_id).order_by(a.c.id))
    return list(rows.scalars())


def test_admin_creates_a_user_with_profile_department_and_manager(
    ctx: Context, make_user: MakeUser, unique: str, admin: Context
) -> None:
    dept = org.create_department(admin, {"name": f"华东销售部 {unique}"})
    boss = make_user("boss")
    user = org.create_user(
        admin,
        {
            "login": f"li.na.{unique}",
            "password": "s3cret-pass",
            "name": "李娜",
            "email": "li.na@example.com",
            "mobile": "138 0013 8000",
            "locale": "en",
            "timezone": "Europe/Berlin",
            "department_id": dept["id"],
            "manager_id": boss["id"],
        },
    )
    assert user["name"] == "李娜"
    assert user["mobile"] == "+8613800138000"  # E.164, China by default
    assert (user["locale"], user["timezone"]) == ("en", "Europe/Berlin")
    assert (user["department_id"], user["manager_id"]) == (dept["id"], boss["id"])
    assert user["is_active"] and user["disabled_at"] is None
    assert "password_hash" not in user
    assert org.get_user(ctx, user["id"]) == user
    assert _audit(ctx, user["id"]) == ["user.create"]


def test_bad_profile_values_are_all_reported(ctx: Context, unique: str, admin: Context) -> None:
    with pytest.raises(Invalid) as exc:
        org.create_user(
            admin,
            {
                "login": f"bad.{unique}",
                "email": "not-an-email",
                "mobile": "12345",
                "locale": "fr",
                "timezone": "Mars/Olympus",
                "department_id": "0190a000-0000-7000-8000-000000000001",
                "manager_id": "nope",
                "colour": "red",
            },
        )
    assert exc.value.code == "INVALID_USER"
    assert {(e.field, e.code) for e in exc.value.errors} == {
        ("email", "INVALID_EMAIL"),
        ("mobile", "INVALID_PHONE"),
        ("locale", "INVALID_CHOICE"),
        ("timezone", "INVALID_CHOICE"),
        ("department_id", "REFERENCE_NOT_FOUND"),
        ("manager_id", "REFERENCE_NOT_FOUND"),
        ("colour", "UNKNOWN_KEY"),
    }


def test_login_rules_and_duplicates_come_from_the_account_service(
    ctx: Context, make_user: MakeUser, admin: Context
) -> None:
    user = make_user()
    with pytest.raises(Conflict) as exc:
        org.create_user(admin, {"login": user["login"]})
    assert exc.value.code == "USER_EXISTS"
    with pytest.raises(Invalid) as exc2:
        org.create_user(admin, {"login": " padded "})
    assert exc2.value.code == "INVALID_LOGIN"


def test_non_admin_cannot_create_or_change_others(
    ctx: Context, make_user: MakeUser, acting: Acting
) -> None:
    rep, other = make_user("rep"), make_user("other")
    as_rep = acting(rep)
    with pytest.raises(Forbidden) as exc:
        org.create_user(as_rep, {"login": "someone-new"})
    assert exc.value.code == "NOT_ALLOWED"
    with pytest.raises(Forbidden):
        org.update_user(as_rep, other["id"], {"name": "renamed"})
    with pytest.raises(Forbidden):
        org.disable_user(as_rep, other["id"])


def test_a_user_edits_their_own_profile_but_not_their_org_fields(
    ctx: Context, make_user: MakeUser, acting: Acting
) -> None:
    rep, boss = make_user("rep"), make_user("boss")
    as_rep = acting(rep)
    changed = org.update_user(as_rep, rep["id"], {"name": "王芳", "locale": "en"})
    assert (changed["name"], changed["locale"]) == ("王芳", "en")
    for change in ({"manager_id": boss["id"]}, {"is_admin": True}, {"department_id": None}):
        with pytest.raises(Forbidden) as exc:
            org.update_user(as_rep, rep["id"], change)
        assert exc.value.code == "NOT_ALLOWED"


def test_admin_cannot_disable_or_demote_themselves(ctx: Context, admin: Context) -> None:
    for change in ({"is_active": False}, {"is_admin": False}):
        with pytest.raises(Forbidden) as exc:
            org.update_user(admin, admin.actor.id, change)
        assert exc.value.code == "NOT_ALLOWED"


def test_disabling_keeps_the_user_and_blocks_sign_in(
    ctx: Context, make_user: MakeUser, admin: Context
) -> None:
    user = make_user("leaver", password="leaver-password-1")
    disabled = org.disable_user(admin, user["id"])
    assert not disabled["is_active"]
    assert disabled["disabled_at"] is not None
    with pytest.raises(Unauthenticated) as exc:
        authenticate_password(ctx.conn, user["login"], "leaver-password-1")
    assert exc.value.code == "INVALID_CREDENTIALS"
    enabled = org.enable_user(admin, user["id"])
    assert enabled["is_active"] and enabled["disabled_at"] is None
    assert _audit(ctx, user["id"]) == ["user.create", "user.disable", "user.enable"]
    assert authenticate_password(ctx.conn, user["login"], "leaver-password-1").id == user["id"]


def test_manager_cycles_are_refused(ctx: Context, make_user: MakeUser, admin: Context) -> None:
    top = make_user("top")
    mid = make_user("mid", manager_id=top["id"])
    low = make_user("low", manager_id=mid["id"])
    for user, manager in ((top, low), (top, top), (mid, low)):
        with pytest.raises(Invalid) as exc:
            org.update_user(admin, user["id"], {"manager_id": manager["id"]})
        assert [(e.field, e.code) for e in exc.value.errors] == [("manager_id", "MANAGER_CYCLE")]
    # Moving within the tree without a cycle is fine.
    assert org.update_user(admin, low["id"], {"manager_id": top["id"]})["manager_id"] == top["id"]
    assert "user.update" in _audit(ctx, low["id"])


def test_prepare_transfer_moves_direct_reports(
    ctx: Context, make_user: MakeUser, admin: Context, acting: Acting
) -> None:
    boss = make_user("boss")
    leaver = make_user("leaver", manager_id=boss["id"])
    heir = make_user("heir", manager_id=leaver["id"])
    r1, r2 = (make_user("r", manager_id=leaver["id"]) for _ in range(2))
    org.disable_user(admin, leaver["id"])
    transfer = org.prepare_transfer(admin, leaver["id"], heir["id"])
    assert set(transfer.reports_moved) == {heir["id"], r1["id"], r2["id"]}
    assert org.get_user(ctx, r1["id"])["manager_id"] == heir["id"]
    assert org.get_user(ctx, heir["id"])["manager_id"] == boss["id"]  # the leaver's manager
    assert org.subordinate_ids(ctx, heir["id"]) == {r1["id"], r2["id"]}
    with pytest.raises(Invalid) as exc:
        org.prepare_transfer(admin, heir["id"], leaver["id"])  # to a disabled user
    assert exc.value.code == "INVALID_TRANSFER"
    with pytest.raises(Forbidden):
        org.prepare_transfer(acting(heir), leaver["id"], heir["id"])


def test_list_users_filters_and_pages(
    ctx: Context, make_user: MakeUser, unique: str, admin: Context
) -> None:
    dept = org.create_department(admin, {"name": f"list {unique}"})
    made = [make_user(f"pager{unique}", department_id=dept["id"]) for _ in range(5)]
    org.disable_user(admin, made[0]["id"])
    seen: list[str] = []
    cursor = None
    while True:
        page, cursor = org.list_users(ctx, department_id=dept["id"], limit=2, cursor=cursor)
        seen += [u["login"] for u in page]
        if cursor is None:
            break
    assert seen == sorted(u["login"] for u in made)
    active, _ = org.list_users(ctx, department_id=dept["id"], active=True)
    assert made[0]["id"] not in {u["id"] for u in active} and len(active) == 4
    found, _ = org.list_users(ctx, q=f"PAGER{unique}")
    assert len(found) == 5
    with pytest.raises(Invalid) as exc:
        org.list_users(ctx, cursor="!!!")
    assert exc.value.code == "INVALID_CURSOR"


def test_unknown_ids_are_not_found(ctx: Context) -> None:
    for bad in ("0190a000-0000-7000-8000-000000000bad", "not-a-uuid"):
        with pytest.raises(NotFound) as exc:
            org.get_user(ctx, bad)
        assert exc.value.code == "USER_NOT_FOUND"


def test_users_made_by_accord_user_create_join_the_reporting_line(
    ctx: Context, admin: Context, make_user: MakeUser, unique: str
) -> None:
    # `accord user create` goes through auth.service, which does not move the org version
    org.org_graph(ctx)
    cli_user = accounts.create_user(ctx, f"cli.{unique}", None)
    assert org.subordinate_ids(ctx, cli_user["id"]) == frozenset()
    rep = make_user()
    changed = org.update_user(admin, rep["id"], {"manager_id": cli_user["id"]})
    assert changed["manager_id"] == cli_user["id"]
    assert org.subordinate_ids(ctx, cli_user["id"]) == {rep["id"]}
