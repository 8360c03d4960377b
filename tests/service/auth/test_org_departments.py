"""Departments as a tree, and the reporting line as a graph computed set-based."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from sqlalchemy import Connection, insert, select

from accord.auth import org, teams
from accord.core.context import Context, Runtime
from accord.core.errors import Conflict, Forbidden, Invalid, NotFound
from accord.core.ids import new_id
from accord.db import tables as t
from accord.db.engine import unit_of_work

MakeUser = Callable[..., dict[str, Any]]
Acting = Callable[[dict[str, Any]], Context]
CountQueries = Callable[[Connection], AbstractContextManager[list[str]]]


def _tree(admin: Context, unique: str) -> dict[str, dict[str, Any]]:
    """销售中心 ← {华东区 ← 上海组, 华南区}."""
    center = org.create_department(admin, {"name": f"销售中心 {unique}"})
    east = org.create_department(admin, {"name": "华东区", "parent_id": center["id"]})
    shanghai = org.create_department(admin, {"name": "上海组", "parent_id": east["id"]})
    south = org.create_department(admin, {"name": "华南区", "parent_id": center["id"]})
    return {"center": center, "east": east, "shanghai": shanghai, "south": south}


def test_department_tree_crud(ctx: Context, admin: Context, unique: str) -> None:
    d = _tree(admin, unique)
    assert org.department_tree_ids(ctx, d["center"]["id"]) == {x["id"] for x in d.values()}
    assert org.department_tree_ids(ctx, d["east"]["id"]) == {d["east"]["id"], d["shanghai"]["id"]}
    [root] = [n for n in org.department_tree(ctx) if n["id"] == d["center"]["id"]]
    assert [c["name"] for c in root["children"]] == ["华东区", "华南区"]
    assert [c["name"] for c in root["children"][0]["children"]] == ["上海组"]

    moved = org.update_department(admin, d["shanghai"]["id"], {"parent_id": d["south"]["id"]})
    assert moved["parent_id"] == d["south"]["id"]
    renamed = org.update_department(admin, d["south"]["id"], {"name": "华南大区"})
    assert renamed["name"] == "华南大区"
    assert org.department_tree_ids(ctx, d["east"]["id"]) == {d["east"]["id"]}

    org.delete_department(admin, d["east"]["id"])
    with pytest.raises(NotFound) as exc:
        org.get_department(ctx, d["east"]["id"])
    assert exc.value.code == "DEPARTMENT_NOT_FOUND"
    actions = ctx.conn.execute(
        select(t.audit_log.c.action).where(t.audit_log.c.target_id == d["south"]["id"])
    ).scalars()
    assert list(actions) == ["department.create", "department.update"]


def test_a_department_cannot_move_under_itself(ctx: Context, admin: Context, unique: str) -> None:
    d = _tree(admin, unique)
    for target in ("center", "shanghai"):
        with pytest.raises(Invalid) as exc:
            org.update_department(admin, d["center"]["id"], {"parent_id": d[target]["id"]})
        assert exc.value.code == "INVALID_DEPARTMENT"
        assert [e.code for e in exc.value.errors] == ["DEPARTMENT_CYCLE"]


def test_bad_department_values(ctx: Context, admin: Context, unique: str) -> None:
    with pytest.raises(Invalid) as exc:
        org.create_department(admin, {"name": " ", "parent_id": new_id(), "code": 1})
    assert {(e.field, e.code) for e in exc.value.errors} == {
        ("name", "REQUIRED"),
        ("parent_id", "REFERENCE_NOT_FOUND"),
        ("code", "UNKNOWN_KEY"),
    }
    org.create_department(admin, {"name": f"twin {unique}"})
    with pytest.raises(Conflict) as exc2:
        org.create_department(admin, {"name": f"twin {unique}"})
    assert exc2.value.code == "DEPARTMENT_EXISTS"


def test_a_department_in_use_is_not_deleted(
    ctx: Context, admin: Context, make_user: MakeUser, unique: str
) -> None:
    d = _tree(admin, unique)
    with pytest.raises(Conflict) as exc:
        org.delete_department(admin, d["center"]["id"])
    assert exc.value.code == "DEPARTMENT_IN_USE" and exc.value.data["children"] == 2
    make_user(department_id=d["south"]["id"])
    teams.share(ctx, "customer", new_id(), department_id=d["shanghai"]["id"], access="read")
    for key in ("south", "shanghai"):
        with pytest.raises(Conflict) as exc:
            org.delete_department(admin, d[key]["id"])
        assert exc.value.data["users" if key == "south" else "shares"] == 1


def test_only_admins_change_departments(
    ctx: Context, make_user: MakeUser, acting: Acting, unique: str
) -> None:
    rep = acting(make_user("rep"))
    with pytest.raises(Forbidden) as exc:
        org.create_department(rep, {"name": f"mine {unique}"})
    assert exc.value.code == "NOT_ALLOWED"
    assert org.list_departments(rep) is not None  # reading is for everyone


def test_subordinates_of_a_500_user_tree_are_set_based(
    runtime: Runtime, count_queries: CountQueries, unique: str
) -> None:
    # Given a reporting tree of 500 users, 5 reports per manager (inserted directly: speed)
    ids = [new_id() for _ in range(500)]
    now = runtime.clock.now()
    rows = [
        {
            "id": uid,
            "login": f"tree.{unique}.{i}",
            "name": f"员工{i}",
            "is_admin": False,
            "is_active": True,
            "locale": "zh_CN",
            "timezone": "Asia/Shanghai",
            "manager_id": ids[(i - 1) // 5] if i else None,
            "created_at": now,
            "updated_at": now,
        }
        for i, uid in enumerate(ids)
    ]
    with unit_of_work(runtime.engine) as conn:
        conn.execute(insert(t.users), rows)
        org.bump_org_version(Context(runtime=runtime, conn=conn))
    # When a fresh unit of work asks for subordinates of several users
    with unit_of_work(runtime.engine) as conn:
        fresh = Context(runtime=runtime, conn=conn)
        with count_queries(conn) as seen:
            everyone = org.subordinate_ids(fresh, ids[0])
            first_branch = org.subordinate_ids(fresh, ids[1])
            leaf = org.subordinate_ids(fresh, ids[499])
    # Then the answers are transitive, and took at most three queries (version, users, depts)
    assert everyone == set(ids[1:])
    expected = {ids[i] for i in range(2, 500) if _under(i, 1)}
    assert first_branch == expected and len(expected) > 5
    assert leaf == frozenset()
    assert len(seen) <= 3, seen


def _under(i: int, root: int) -> bool:
    while i > root:
        i = (i - 1) // 5
    return i == root
