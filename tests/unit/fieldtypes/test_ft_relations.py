"""Relation family: lookup, master_detail, user, department, many_to_many."""

from __future__ import annotations

import uuid

import pytest

from accord.db.types import IdType
from accord.meta.fieldtypes import get_type, link_table_name
from accord.meta.fieldtypes.base import FieldValueError
from accord.meta.model import FieldDef, ObjectDef

ID = "0190f5a4-7c3b-7def-8123-456789abcdef"
ACCOUNT = ObjectDef(name="account", label={"en": "Account"}, plural_label={"en": "Accounts"})


def fd(type_: str, options: dict | None = None) -> FieldDef:
    return FieldDef(name="account_id", type=type_, label={"en": "X"}, options=options or {})


def coerce(type_: str, value, options: dict | None = None):
    return get_type(type_).coerce(value, fd(type_, options or {"target": "account"}))


def code_of(type_: str, value, options: dict | None = None) -> str:
    with pytest.raises(FieldValueError) as exc:
        coerce(type_, value, options)
    return exc.value.code


def problems(f: FieldDef) -> list[str]:
    obj = ObjectDef(name="contact", label={"en": "C"}, plural_label={"en": "Cs"}, fields=(f,))
    return [p.id for p in get_type(f.type).check(f, obj, {"contact": obj, "account": ACCOUNT})]


@pytest.mark.parametrize("type_", ["lookup", "master_detail", "user", "department"])
@pytest.mark.parametrize(
    "raw", [ID, ID.upper(), ID.replace("-", ""), f" {ID} ", uuid.UUID(ID), {"id": ID}]
)
def test_reference_inputs_are_canonicalised(type_, raw):
    assert coerce(type_, raw) == ID


@pytest.mark.parametrize("type_", ["lookup", "master_detail", "user", "department"])
def test_reference_bad_inputs(type_):
    assert code_of(type_, "not-an-id") == "INVALID_ID"
    assert code_of(type_, {"id": 5}) == "INVALID_ID"
    assert code_of(type_, {"name": "x"}) == "INVALID_ID"
    assert code_of(type_, 42) == "INVALID_TYPE"


def test_lookup_empty_is_none_but_master_detail_is_required():
    assert coerce("lookup", None) is None and coerce("lookup", "") is None
    assert code_of("master_detail", None) == "REQUIRED"
    assert code_of("master_detail", "") == "REQUIRED"
    assert get_type("master_detail").implies_required


@pytest.mark.parametrize(
    ("type_", "fk", "on_delete"),
    [
        ("lookup", "obj_account.id", "SET NULL"),
        ("master_detail", "obj_account.id", "CASCADE"),
        ("user", "users.id", "SET NULL"),
        ("department", "departments.id", "SET NULL"),
    ],
)
def test_reference_columns(type_, fk, on_delete):
    [spec] = get_type(type_).columns(fd(type_, {"target": "account"}))
    assert spec.name == "account_id" and isinstance(spec.type, IdType)
    assert (spec.foreign_key, spec.on_delete) == (fk, on_delete)
    assert get_type(type_).kind == "ref"


def test_reference_json_and_import():
    t, f = get_type("lookup"), fd("lookup", {"target": "account"})
    assert t.to_json(ID, f) == ID
    assert t.parse_text(ID.upper(), f) == ID
    assert t.json_schema(f)["format"] == "uuid"


def test_lookup_checks_target():
    assert problems(fd("lookup", {"target": "account"})) == []
    assert problems(fd("lookup", {"target": "nope"})) == ["meta.E140"]
    assert problems(fd("lookup", {})) == ["meta.E140"]
    assert problems(fd("master_detail", {"target": 3})) == ["meta.E140"]
    assert problems(fd("user", {})) == []


# --- many-to-many -----------------------------------------------------------------------------

ID2 = "0190f5a4-7c3b-7def-8123-000000000002"


def test_many_to_many_values():
    assert coerce("many_to_many", [ID, {"id": ID2}, ID.upper()]) == [ID, ID2]
    assert coerce("many_to_many", f"{ID};{ID2}") == [ID, ID2]
    assert coerce("many_to_many", []) is None
    assert code_of("many_to_many", ["nope"]) == "INVALID_ID"
    assert code_of("many_to_many", 5) == "INVALID_TYPE"
    many = {"target": "account", "max_links": 1}
    assert code_of("many_to_many", [ID, ID2], many) == "TOO_MANY"


def test_many_to_many_is_not_stored():
    t, f = get_type("many_to_many"), fd("many_to_many", {"target": "account"})
    assert not t.stored and t.columns(f) == [] and t.kind == "link"
    assert t.json_schema(f)["items"]["format"] == "uuid"
    assert problems(f) == []
    assert problems(fd("many_to_many", {"target": "nope"})) == ["meta.E140"]
    assert problems(fd("many_to_many", {"target": "account", "max_links": 0})) == ["meta.E141"]


def test_link_table_name():
    assert link_table_name("deal", "contacts") == "m2m_deal_contacts"
    long = link_table_name("o" * 40, "f" * 50)
    assert len(long) == 63 and long.startswith("m2m_ooo")
    assert long == link_table_name("o" * 40, "f" * 50)
    assert long != link_table_name("o" * 40, "f" * 49 + "g")
