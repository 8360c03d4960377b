"""Record teams (shares with users and departments) and ownership history."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from accord.auth import org, teams
from accord.auth.permissions import permissions_for
from accord.auth.service import actor_for, find_user
from accord.core.context import Context
from accord.core.errors import Invalid
from accord.core.ids import new_id

MakeUser = Callable[..., dict[str, Any]]


def test_share_list_change_and_unshare(ctx: Context, admin: Context, make_user: MakeUser) -> None:
    rid = new_id()
    dept = org.create_department(admin, {"name": f"team {rid}"})
    colleague = make_user("colleague")
    s1 = teams.share(ctx, "customer", rid, user_id=colleague["id"], access="read")
    s2 = teams.share(ctx, "customer", rid, department_id=dept["id"], access="write")
    assert (s1["user_id"], s1["department_id"], s1["access"]) == (colleague["id"], None, "read")
    assert (s2["user_id"], s2["department_id"], s2["access"]) == (None, dept["id"], "write")
    # sharing again changes the access of the same share
    again = teams.share(ctx, "customer", rid, user_id=colleague["id"], access="write")
    assert again["id"] == s1["id"] and again["access"] == "write"
    assert [s["id"] for s in teams.shares_for(ctx, "customer", rid)] == [s1["id"], s2["id"]]
    assert teams.shares_for(ctx, "lead", rid) == []  # per object

    assert teams.unshare(ctx, "customer", rid, user_id=colleague["id"])
    assert not teams.unshare(ctx, "customer", rid, user_id=colleague["id"])
    assert [s["id"] for s in teams.shares_for(ctx, "customer", rid)] == [s2["id"]]


def test_bad_shares_are_refused(ctx: Context, admin: Context, make_user: MakeUser) -> None:
    leaver = make_user("leaver")
    org.disable_user(admin, leaver["id"])
    rid, uid = new_id(), make_user()["id"]
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"user_id": uid, "access": "admin"}, "access", "INVALID_CHOICE"),
        ({"access": "read"}, "user_id", "REQUIRED"),
        ({"user_id": uid, "department_id": new_id(), "access": "read"}, "user_id", "REQUIRED"),
        ({"user_id": new_id(), "access": "read"}, "user_id", "REFERENCE_NOT_FOUND"),
        ({"department_id": "x", "access": "read"}, "department_id", "REFERENCE_NOT_FOUND"),
        ({"user_id": leaver["id"], "access": "read"}, "user_id", "USER_DISABLED"),
    ]
    for kwargs, field, code in cases:
        with pytest.raises(Invalid) as exc:
            teams.share(ctx, "customer", rid, **kwargs)
        assert exc.value.code == "INVALID_SHARE"
        assert [(e.field, e.code) for e in exc.value.errors] == [(field, code)], kwargs
    with pytest.raises(Invalid) as exc:
        teams.share(ctx, "customer", "not-an-id", user_id=uid, access="read")
    assert [e.code for e in exc.value.errors] == ["INVALID_ID"]
    with pytest.raises(Invalid):
        teams.share(ctx, "Bad Object", rid, user_id=uid, access="read")


def test_shared_record_ids_reach_the_user_and_their_department_line(
    ctx: Context, admin: Context, make_user: MakeUser
) -> None:
    center = org.create_department(admin, {"name": f"center {new_id()}"})
    east = org.create_department(admin, {"name": "east", "parent_id": center["id"]})
    me = make_user("me", department_id=east["id"])
    other = make_user("other")
    direct, by_parent, by_other, read_only = (new_id() for _ in range(4))
    teams.share(ctx, "customer", direct, user_id=me["id"], access="write")
    teams.share(ctx, "customer", by_parent, department_id=center["id"], access="write")
    teams.share(ctx, "customer", by_other, user_id=other["id"], access="write")
    teams.share(ctx, "customer", read_only, department_id=east["id"], access="read")
    teams.share(ctx, "lead", direct, user_id=me["id"], access="write")

    row = find_user(ctx.conn, me["login"])
    assert row is not None
    perms = permissions_for(ctx, actor_for(row))

    def ids(mode: Any) -> set[str]:
        stmt = teams.shared_record_ids(perms, "customer", mode)
        return {str(x) for x in ctx.conn.execute(stmt).scalars()}

    assert ids("read") == {direct, by_parent, read_only}
    assert ids("write") == {direct, by_parent}


def test_owner_history_is_logged_in_order(ctx: Context, make_user: MakeUser) -> None:
    rid = new_id()
    a, b = make_user()["id"], make_user()["id"]
    teams.log_owner_change(ctx, "opportunity", rid, None, a)
    n = teams.log_owner_changes(ctx, "opportunity", [(rid, a, b), (rid, b, b)])
    assert n == 1  # unchanged owners are skipped
    history = teams.owner_history(ctx, "opportunity", rid)
    assert [(h["old_owner_id"], h["new_owner_id"]) for h in history] == [(None, a), (a, b)]
    assert all(h["actor_id"] == ctx.actor.id and h["at"] is not None for h in history)
    assert teams.owner_history(ctx, "lead", rid) == []
