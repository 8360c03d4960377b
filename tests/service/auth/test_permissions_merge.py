"""Effective permissions: deny by default, the widest grant wins, field security, scopes over
the reporting line and the department tree, and the per-process cache."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Connection

from accord.auth import org, roles
from accord.auth.permissions import DENY, FULL, permissions_for
from accord.auth.service import actor_for, find_user
from accord.core.context import SYSTEM_ACTOR, Context, Runtime
from accord.db.engine import unit_of_work

MakeUser = Callable[..., dict[str, Any]]
CountQueries = Callable[[Connection], AbstractContextManager[list[str]]]


def _perms(ctx: Context, user: dict[str, Any]) -> Any:
    row = find_user(ctx.conn, user["login"])
    assert row is not None
    return permissions_for(ctx, actor_for(row))


def _grant(read_scope: str = "self", **flags: bool) -> dict[str, Any]:
    return {"read": True, "read_scope": read_scope, "write_scope": "self", **flags}


def test_objects_no_role_names_are_denied_and_admins_get_everything(
    ctx: Context, admin: Context, make_user: MakeUser
) -> None:
    rep = make_user("rep")
    roles.set_user_roles(admin, rep["id"], ["sales_rep"])
    perms = _perms(ctx, rep)
    assert not perms.is_admin
    assert perms.object("lead").read and perms.object("lead").read_scope == "self"
    assert perms.object("ticket").create and not perms.object("ticket").update
    assert perms.object("custom_thing_made_later") == DENY
    assert _perms(ctx, make_user("nobody")).object("lead") == DENY  # no roles at all

    boss = make_user("boss")
    roles.set_user_roles(admin, boss["id"], ["administrator"])
    assert _perms(ctx, boss).is_admin
    assert _perms(ctx, boss).object("custom_thing_made_later") == FULL
    assert permissions_for(ctx, SYSTEM_ACTOR).object("anything") == FULL


def test_the_widest_grant_wins_per_flag_and_scope(
    ctx: Context, admin: Context, make_user: MakeUser, unique: str
) -> None:
    a = roles.create_role(
        admin,
        {
            "name": f"a_{unique}",
            "label": "A",
            "grants": {"lead": _grant("all", export=True)},
        },
    )
    b = roles.create_role(
        admin,
        {
            "name": f"b_{unique}",
            "label": "B",
            "grants": {
                "lead": {**_grant("subordinates", create=True, update=True, delete=True),
                         "write_scope": "subordinates"},
                "customer": _grant("department_tree"),
            },
        },
    )  # fmt: skip
    user = make_user()
    roles.set_user_roles(admin, user["id"], [a["name"], b["name"]])
    lead = _perms(ctx, user).object("lead")
    assert (lead.create, lead.read, lead.update, lead.delete, lead.import_, lead.export) == (
        True, True, True, True, False, True,
    )  # fmt: skip
    assert (lead.read_scope, lead.write_scope) == ("all", "subordinates")
    assert _perms(ctx, user).object("customer").read_scope == "department_tree"
    assert _perms(ctx, user).role_names == tuple(sorted([a["name"], b["name"]]))


def test_field_security_merges_across_roles(
    ctx: Context, admin: Context, make_user: MakeUser, unique: str
) -> None:
    def role(suffix: str, grant: dict[str, Any], fields: dict[str, str]) -> str:
        name = f"{suffix}_{unique}"
        roles.create_role(
            admin,
            {
                "name": name,
                "label": suffix,
                "grants": {"opportunity": grant},
                "field_permissions": {"opportunity": fields},
            },
        )
        return name

    reader = role("reader", _grant(), {"amount": "hidden", "probability": "hidden"})
    editor = role(
        "editor",
        _grant(update=True),
        {"amount": "hidden", "stage": "read_only", "close_date": "read_only"},
    )
    other = role("other", _grant(update=True), {"close_date": "hidden"})
    user = make_user()

    roles.set_user_roles(admin, user["id"], [reader])
    opp = _perms(ctx, user).object("opportunity")
    assert opp.hidden_fields == {"amount", "probability"}
    assert opp.readonly_fields == {"amount", "probability"}  # no role may write anything

    roles.set_user_roles(admin, user["id"], [reader, editor])
    opp = _perms(ctx, user).object("opportunity")
    assert opp.hidden_fields == {"amount"}  # hidden only where every reading role hides it
    # probability: writable through the editor; stage/close_date: only the editor writes, and
    # it makes them read-only
    assert opp.readonly_fields == {"amount", "stage", "close_date"}

    roles.set_user_roles(admin, user["id"], [reader, editor, other])
    opp = _perms(ctx, user).object("opportunity")
    assert opp.hidden_fields == set()  # "other" reads and hides neither amount nor probability
    # stage is writable through "other"; close_date is hidden there and read-only in "editor"
    assert opp.readonly_fields == {"close_date"}


def test_scopes_follow_the_reporting_line_and_department_tree(
    ctx: Context, admin: Context, make_user: MakeUser, unique: str
) -> None:
    center = org.create_department(admin, {"name": f"center {unique}"})
    east = org.create_department(admin, {"name": "east", "parent_id": center["id"]})
    boss = make_user("boss", department_id=center["id"])
    mid = make_user("mid", manager_id=boss["id"], department_id=east["id"])
    low = make_user("low", manager_id=mid["id"], department_id=east["id"])
    peer = make_user("peer", department_id=center["id"])
    outsider = make_user("outsider", manager_id=low["id"])  # reports to low, no department

    p = _perms(ctx, boss)
    assert p.self_and_subordinates == {boss["id"], mid["id"], low["id"], outsider["id"]}
    assert p.department_ids == {center["id"]}
    assert p.department_tree_ids == {center["id"], east["id"]}
    assert p.owner_ids("self") == {boss["id"]}
    assert p.owner_ids("department") == {boss["id"], peer["id"], mid["id"], low["id"],
                                         outsider["id"]}  # fmt: skip
    assert p.owner_ids("department_tree") == p.owner_ids("department")
    assert p.owner_ids("all") is None and p.owner_ids("none") == frozenset()
    q = _perms(ctx, mid)
    assert q.owner_ids("department") == {mid["id"], low["id"], outsider["id"]}
    assert q.share_department_ids == {east["id"], center["id"]}


def test_disabled_users_have_no_access(ctx: Context, admin: Context, make_user: MakeUser) -> None:
    user = make_user()
    roles.set_user_roles(admin, user["id"], ["read_only_executive"])
    assert _perms(ctx, user).object("lead").read
    org.disable_user(admin, user["id"])
    assert _perms(ctx, user).object("lead") == DENY


def test_permissions_are_cached_per_process_and_follow_the_org_version(
    runtime: Runtime, count_queries: CountQueries, unique: str
) -> None:
    # Given a rep committed in one unit of work
    with unit_of_work(runtime.engine) as conn:
        ctx = Context(runtime=runtime, conn=conn)
        user = org.create_user(ctx, {"login": f"cached.{unique}"})
        roles.set_user_roles(ctx, user["id"], ["sales_rep"])
    actor = actor_for(find_user_in(runtime, user["login"]))
    # When another unit of work computes them, the next one only checks the version (on the
    # DBAPI cursor, which the SQLAlchemy statement counter does not see)
    with unit_of_work(runtime.engine) as conn:
        permissions_for(Context(runtime=runtime, conn=conn), actor)
    with unit_of_work(runtime.engine) as conn:
        ctx = Context(runtime=runtime, conn=conn)
        with count_queries(conn) as seen:
            first = permissions_for(ctx, actor)
            again = permissions_for(ctx, actor)
    assert first is again and seen == [], seen
    # And a committed role change is seen by the next unit of work
    with unit_of_work(runtime.engine) as conn:
        roles.set_user_roles(Context(runtime=runtime, conn=conn), user["id"], ["finance"])
    with unit_of_work(runtime.engine) as conn:
        after = permissions_for(Context(runtime=runtime, conn=conn), actor)
    assert first.object("lead").read and not after.object("lead").read
    assert after.object("payment").update and after.org_version > first.org_version


def test_uncommitted_changes_never_reach_the_process_cache(runtime: Runtime, unique: str) -> None:
    with unit_of_work(runtime.engine) as conn:
        ctx = Context(runtime=runtime, conn=conn)
        user = org.create_user(ctx, {"login": f"rollback.{unique}"})
    actor = actor_for(find_user_in(runtime, user["login"]))
    # A unit of work grants a role, reads the permissions, then rolls back
    conn = runtime.engine.connect()
    tx = conn.begin()
    ctx = Context(runtime=runtime, conn=conn)
    roles.set_user_roles(ctx, user["id"], ["administrator"])
    assert permissions_for(ctx, actor).is_admin
    tx.rollback()
    conn.close()
    with unit_of_work(runtime.engine) as conn:
        assert not permissions_for(Context(runtime=runtime, conn=conn), actor).is_admin


def find_user_in(runtime: Runtime, login: str) -> dict[str, Any]:
    with unit_of_work(runtime.engine, readonly=True) as conn:
        row = find_user(conn, login)
    assert row is not None
    return row
