"""Approver specs resolved against a real organisation, and their save-time checks.

The organisation (built through the services, in the test's unit of work):

    总部 hq (head ceo)
    └ 销售部 sales (head vp)
      └ 华东区 east (no head)
        └ 上海组 shanghai (head lead)

    reporting line: rep → lead → vp → ceo;  junior → gone (disabled) → vp
    members: ceo@hq, vp@sales, lead/rep@shanghai, owner@east, loner (no department, no manager)
    role approvers_<unique>: ceo, rep, gone
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from accord.auth import org, roles
from accord.core.context import Context
from accord.workflow import approvers as ap


@dataclass(frozen=True)
class Org:
    users: dict[str, str]  # short name → id
    depts: dict[str, str]
    role: str

    def __getitem__(self, name: str) -> str:
        return self.users[name]


@pytest.fixture
def o(ctx: Context, unique: str) -> Org:
    users: dict[str, str] = {}

    def user(name: str, **values: Any) -> str:
        users[name] = org.create_user(ctx, {"login": f"{name}.{unique}", **values})["id"]
        return users[name]

    def dept(name: str, parent: str | None, head: str | None) -> str:
        values = {"name": name, "parent_id": parent, "head_id": head}
        return str(org.create_department(ctx, values)["id"])

    user("ceo")
    user("vp", manager_id=users["ceo"])
    user("lead", manager_id=users["vp"])
    user("rep", manager_id=users["lead"])
    user("gone", manager_id=users["vp"])
    user("junior", manager_id=users["gone"])
    user("owner")
    user("loner")
    hq = dept(f"总部 {unique}", None, users["ceo"])
    sales = dept("销售部", hq, users["vp"])
    east = dept("华东区", sales, None)
    shanghai = dept("上海组", east, users["lead"])
    for name, d in (("ceo", hq), ("vp", sales), ("lead", shanghai), ("rep", shanghai)):
        org.update_user(ctx, users[name], {"department_id": d})
    org.update_user(ctx, users["owner"], {"department_id": east})
    role = f"approvers_{unique}"
    roles.create_role(ctx, {"name": role, "label": "Approvers"})
    for name in ("ceo", "rep", "gone"):
        roles.set_user_roles(ctx, users[name], [role])
    org.disable_user(ctx, users["gone"])
    depts = {"hq": hq, "sales": sales, "east": east, "shanghai": shanghai}
    return Org(users, depts, role)


def _resolve(
    ctx: Context, spec: dict[str, Any], by: str, record: dict[str, Any] | None = None, **kw: Any
) -> list[str]:
    return ap.resolve(ctx, spec, submitter_id=by, record=record or {}, **kw)


def test_named_users_and_role_members_are_the_active_ones(ctx: Context, o: Org) -> None:
    named = {"type": "users", "users": [o["vp"], o["gone"], o["lead"], o["vp"]]}
    assert _resolve(ctx, named, o["rep"]) == [o["vp"], o["lead"]]
    assert ap.static_users(ctx, named) == [o["vp"], o["lead"]]
    role = {"type": "role", "role": o.role}
    assert _resolve(ctx, role, o["rep"]) == [o["ceo"], o["rep"]]  # by login; gone is disabled
    assert ap.static_users(ctx, role) == [o["ceo"], o["rep"]]
    for spec in (
        {"type": "superior"},
        {"type": "department_head", "of": "submitter"},
        {"type": "field", "field": "owner_id"},
        {"type": "submitter_choice"},
    ):
        assert ap.static_users(ctx, spec) is None


def test_superior_is_the_nth_manager_and_nobody_past_the_top(ctx: Context, o: Org) -> None:
    expected = {1: [o["lead"]], 2: [o["vp"]], 3: [o["ceo"]], 4: [], 20: []}
    for level, want in expected.items():
        assert _resolve(ctx, {"type": "superior", "level": level}, o["rep"]) == want
    assert _resolve(ctx, {"type": "superior"}, o["rep"]) == [o["lead"]]  # level 1 by default
    assert _resolve(ctx, {"type": "superior"}, o["loner"]) == []
    # A disabled manager still counts as a level, but is nobody's approver.
    assert _resolve(ctx, {"type": "superior", "level": 1}, o["junior"]) == []
    assert _resolve(ctx, {"type": "superior", "level": 2}, o["junior"]) == [o["vp"]]


def test_superiors_are_the_chain_nearest_first(ctx: Context, o: Org) -> None:
    chain = [o["lead"], o["vp"], o["ceo"]]
    assert _resolve(ctx, {"type": "superiors", "up_to": 2}, o["rep"]) == chain[:2]
    assert _resolve(ctx, {"type": "superiors", "up_to": 20}, o["rep"]) == chain
    assert _resolve(ctx, {"type": "superiors", "up_to": 3}, o["junior"]) == [o["vp"], o["ceo"]]
    assert _resolve(ctx, {"type": "superiors", "up_to": 5}, o["ceo"]) == []


def test_department_head_of_the_submitter_and_its_parents(ctx: Context, o: Org) -> None:
    def head(level: int, by: str) -> list[str]:
        spec = {"type": "department_head", "of": "submitter", "level": level}
        return _resolve(ctx, spec, by)

    assert _resolve(ctx, {"type": "department_head", "of": "submitter"}, o["rep"]) == [o["lead"]]
    assert head(0, o["lead"]) == [o["lead"]]  # their own head: the policies decide
    assert head(1, o["rep"]) == []  # 华东区 has no head: nobody, not the next one up
    assert head(2, o["rep"]) == [o["vp"]]
    assert head(3, o["rep"]) == [o["ceo"]]
    assert head(4, o["rep"]) == []  # above the root
    assert head(0, o["loner"]) == []  # no department


def test_department_head_of_the_record_owner(ctx: Context, o: Org) -> None:
    def head(level: int, record: dict[str, Any]) -> list[str]:
        spec = {"type": "department_head", "of": "record", "level": level}
        return _resolve(ctx, spec, o["rep"], record)

    record = {"owner_id": o["owner"]}  # owner sits in 华东区, which has no head
    assert head(0, record) == []
    assert head(1, record) == [o["vp"]]
    assert head(0, {"owner_id": o["rep"]}) == [o["lead"]]
    assert head(0, {"owner_id": None}) == []
    assert head(0, {}) == []


def test_a_disabled_head_is_nobody(ctx: Context, o: Org, unique: str) -> None:
    boss = org.create_user(ctx, {"login": f"boss.{unique}"})["id"]
    org.update_department(ctx, o.depts["east"], {"head_id": boss})
    spec = {"type": "department_head", "of": "record", "level": 0}
    assert _resolve(ctx, spec, o["rep"], {"owner_id": o["owner"]}) == [boss]
    org.disable_user(ctx, boss)
    assert _resolve(ctx, spec, o["rep"], {"owner_id": o["owner"]}) == []


def test_field_and_run_time_choices(ctx: Context, o: Org) -> None:
    record = {"owner_id": o["owner"], "presales": o["vp"], "backup": None, "old": o["gone"]}
    for name, want in (("owner_id", [o["owner"]]), ("presales", [o["vp"]]), ("backup", [])):
        assert _resolve(ctx, {"type": "field", "field": name}, o["rep"], record) == want
    assert _resolve(ctx, {"type": "field", "field": "old"}, o["rep"], record) == []
    chosen = [o["vp"], o["gone"], "not-an-id", "00000000-0000-7000-8000-000000000000", o["vp"]]
    for kind in ("submitter_choice", "previous_choice"):
        assert _resolve(ctx, {"type": kind}, o["rep"], chosen=chosen) == [o["vp"]]
        assert _resolve(ctx, {"type": kind}, o["rep"]) == []


def test_resolve_all_concatenates_and_keeps_the_first_place(ctx: Context, o: Org) -> None:
    specs = [
        {"type": "superiors", "up_to": 2},
        {"type": "users", "users": [o["ceo"], o["lead"]]},
        {"type": "role", "role": o.role},
        {"type": "department_head", "of": "submitter"},
    ]
    got = ap.resolve_all(ctx, specs, submitter_id=o["rep"], record={})
    assert got == [o["lead"], o["vp"], o["ceo"], o["rep"]]
    assert ap.resolve_all(ctx, [], submitter_id=o["rep"], record={}) == []


def test_manager_of_is_the_active_direct_manager(ctx: Context, o: Org) -> None:
    assert ap.manager_of(ctx, o["rep"]) == o["lead"]
    assert ap.manager_of(ctx, o["junior"]) is None  # gone is disabled: no skipping upwards
    assert ap.manager_of(ctx, o["ceo"]) is None
    assert ap.manager_of(ctx, "not-an-id") is None


def _problems(ctx: Context, spec: Any, user_fields: tuple[str, ...] = ("owner_id", "presales")):
    errors = ap.check_spec(
        ctx, spec, object_name="contract", user_fields=user_fields, where="nodes[2].approvers[0]"
    )
    assert {(e.field, e.code) for e in errors} <= {("nodes[2].approvers[0]", "workflow.E005")}
    return [e.message for e in errors]


def test_valid_specs_pass_the_check(ctx: Context, o: Org) -> None:
    valid = [
        {"type": "users", "users": [o["vp"], o["lead"]]},
        {"type": "role", "role": o.role},
        {"type": "superior"},
        {"type": "superior", "level": 20},
        {"type": "superiors", "up_to": 1},
        {"type": "department_head", "of": "submitter"},
        {"type": "department_head", "of": "record", "level": 0},
        {"type": "field", "field": "presales"},
        {"type": "field", "field": "owner_id"},
        {"type": "submitter_choice"},
        {"type": "previous_choice"},
    ]
    assert {s["type"] for s in valid} == set(ap.SPEC_TYPES)
    for spec in valid:
        assert _problems(ctx, spec) == [], spec


def test_check_spec_refusals(ctx: Context, o: Org, unique: str) -> None:
    cases: list[tuple[Any, str]] = [
        ("users", "an approver is an object"),
        ({"users": [o["vp"]]}, "type: one of users, role, superior"),
        ({"type": "manager"}, "type: one of"),
        ({"type": "users", "users": []}, "users: give a list"),
        ({"type": "users", "users": o["vp"]}, "users: give a list"),
        ({"type": "users", "users": [o["vp"], "nope"]}, "users[1]: there is no user 'nope'"),
        ({"type": "users", "users": [o["gone"]]}, f"users[0]: user 'gone.{unique}' is disabled"),
        ({"type": "role", "role": "no_such_role"}, "role: there is no role 'no_such_role'"),
        ({"type": "role"}, "role: give a role name"),
        ({"type": "superior", "level": 0}, "level: a whole number 1–20"),
        ({"type": "superior", "level": True}, "level: a whole number"),
        ({"type": "superior", "level": 21}, "level: a whole number"),
        ({"type": "superiors"}, "up_to: a whole number 1–20"),
        ({"type": "superiors", "up_to": "3"}, "up_to: a whole number"),
        ({"type": "department_head"}, "of: submitter or record"),
        ({"type": "department_head", "of": "submitter", "level": -1}, "level: a whole number 0"),
        ({"type": "field", "field": "amount"}, "field: contract has no user field 'amount'"),
        ({"type": "field"}, "field: name a user field of contract"),
        ({"type": "submitter_choice", "users": [o["vp"]]}, "unknown key 'users'"),
        ({"type": "superior", "levels": 2}, "unknown key 'levels'"),
    ]
    for spec, fragment in cases:
        messages = _problems(ctx, spec)
        assert len(messages) == 1 and fragment in messages[0], (spec, messages)
    # department_head of the record needs an owner: only ownable objects list owner_id.
    spec = {"type": "department_head", "of": "record"}
    assert _problems(ctx, spec, ("presales",)) == [
        "of: contract records have no owner; use of: submitter"
    ]
    assert _problems(ctx, {"type": "field", "field": "owner_id"}, ("presales",)) == [
        "field: contract has no user field 'owner_id'"
    ]
    # every problem at once
    assert len(_problems(ctx, {"type": "department_head", "of": "x", "level": 99, "y": 1})) == 3
