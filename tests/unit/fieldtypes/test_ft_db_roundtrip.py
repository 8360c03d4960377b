"""Every stored type through a real (in-memory SQLite) table and back, plus the definition
checks of ``accord.meta.checks`` over an object using every type."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest
from sqlalchemy import MetaData, create_engine, insert, select

from accord.db import tables as system_tables
from accord.meta.checks import check_object
from accord.meta.fieldtypes import all_types, get_type
from accord.meta.model import FieldDef, ObjectDef
from accord.meta.registry import build_table

ID = "0190f5a4-7c3b-7def-8123-456789abcdef"
REF = {"id": ID, "name": "a.png", "size": 10, "content_type": "image/png"}


def f(name: str, type_: str, **options) -> FieldDef:
    return FieldDef(name=name, type=type_, label={"en": name, "zh": name}, options=options)


# One field per type, with an input value.
FIELDS: list[tuple[FieldDef, object]] = [
    (f("name", "text"), "Big deal"),
    (f("notes", "long_text"), "line 1\nline 2"),
    (f("body", "rich_text"), "<p>Hi</p>"),
    (f("qty", "integer"), 2**62),
    (f("amount", "decimal", precision=18, scale=2), "12345678901234.56"),
    (f("big", "decimal", precision=38, scale=10), "-1234567.0123456789"),
    (f("price", "currency"), {"amount": "-99.99", "currency": "usd"}),
    (f("discount", "percent"), "12.5"),
    (f("close_on", "date"), "2026/1/31"),
    (f("closed_at", "datetime"), "2026-01-31T20:00:00.123456+08:00"),
    (f("call_at", "time"), "09:30"),
    (f("won", "boolean"), "是"),
    (
        f("stage", "select", choices=[{"value": "won", "label": {"en": "Won", "zh": "赢单"}}]),
        "赢单",
    ),
    (f("labels", "multi_select", choices=[{"value": "a"}, {"value": "b"}]), "a;b"),
    (f("email", "email"), "Zs@Example.com"),
    (f("phone", "phone"), "138 0013 8000"),
    (f("site", "url"), "example.com"),
    (f("account", "lookup", target="account"), ID.upper()),
    (f("parent", "master_detail", target="account"), {"id": ID}),
    (f("contacts", "many_to_many", target="account"), [ID]),
    (f("owner", "user"), ID),
    (f("dept", "department"), ID),
    (f("code", "auto_number", format="D-{YYYY}-{0000}", reset="yearly"), "D-2026-0001"),
    (f("double", "formula", expression="amount * 2", return_type="decimal"), Decimal("2.5")),
    (
        f(
            "count_children",
            "rollup",
            child_object="deal",
            relation_field="parent_deal",
            aggregate="count",
        ),
        3,
    ),
    (f("attachments", "file"), [REF]),
    (f("photos", "image"), [REF]),
    (f("location", "address"), "广东省深圳市南山区科技园路1号"),
    (f("spot", "geo"), [22.54, 113.93]),
    (f("stars", "rating"), 4),
    (f("topics", "tags"), "crm;销售"),
    (f("extra", "json"), {"a": [1, "二", None]}),
    (f("sign", "signature"), REF),
    (f("colour", "color"), "#ABC"),
    (f("parent_deal", "lookup", target="deal"), None),
]
ACCOUNT = ObjectDef(
    name="account",
    label={"en": "Account", "zh": "客户"},
    plural_label={"en": "Accounts", "zh": "客户"},
    fields=(f("name", "text"),),
)
DEAL = ObjectDef(
    name="deal",
    label={"en": "Deal", "zh": "商机"},
    plural_label={"en": "Deals", "zh": "商机"},
    fields=tuple(fd for fd, _ in FIELDS),
)
OBJECTS = {"account": ACCOUNT, "deal": DEAL}


def test_the_kitchen_sink_covers_every_registered_type():
    assert {fd.type for fd, _ in FIELDS} == set(all_types())


def test_a_definition_using_every_type_passes_the_checks():
    assert check_object(DEAL, OBJECTS) == []


def test_type_specific_problems_surface_through_check_object():
    bad = DEAL.with_(fields=(f("name", "text"), f("stage", "select", choices=[])))
    assert [p.id for p in check_object(bad, {**OBJECTS, "deal": bad})] == ["meta.E130"]


@pytest.fixture()
def conn():
    engine = create_engine("sqlite://")
    md = MetaData()
    system_tables.departments.to_metadata(md)
    system_tables.users.to_metadata(md)
    build_table(ACCOUNT, md, OBJECTS)
    table = build_table(DEAL, md, OBJECTS)
    md.create_all(engine)
    with engine.begin() as c:
        yield c, table


def test_every_stored_type_round_trips_through_sqlite(conn):
    c, table = conn
    values = {}
    row: dict = {
        "id": ID,
        "version": 1,
        "created_at": datetime.now(UTC),
        "updated_at": datetime.now(UTC),
    }
    for fd, raw in FIELDS:
        t = get_type(fd.type)
        values[fd.name] = v = t.coerce(raw, fd)
        if t.stored:
            row.update(t.to_columns(v, fd))
    c.execute(insert(table).values(row))
    back = c.execute(select(table)).mappings().one()
    for fd, _ in FIELDS:
        t = get_type(fd.type)
        if not t.stored:
            continue
        got = t.from_columns(back, fd)
        assert got == values[fd.name], fd.name
        assert t.to_json(got, fd) == t.to_json(values[fd.name], fd), fd.name


def test_spot_check_canonical_values(conn):
    by_name = {fd.name: (fd, raw) for fd, raw in FIELDS}

    def canon(name: str):
        fd, raw = by_name[name]
        return get_type(fd.type).coerce(raw, fd)

    assert canon("amount") == Decimal("12345678901234.56")
    assert canon("price") == {"amount": Decimal("-99.99"), "currency": "USD"}
    assert canon("close_on") == date(2026, 1, 31)
    assert canon("closed_at") == datetime(2026, 1, 31, 12, 0, 0, 123456, tzinfo=UTC)
    assert canon("call_at") == time(9, 30)
    assert canon("won") is True and canon("stage") == "won"
    assert canon("phone") == "+8613800138000"
    assert canon("location")["province"] == "广东省"


def test_nulls_round_trip(conn):
    c, table = conn
    row: dict = {
        "id": ID,
        "version": 1,
        "created_at": datetime.now(UTC),
        "updated_at": datetime.now(UTC),
    }
    for fd, _ in FIELDS:
        t = get_type(fd.type)
        if t.stored:
            row.update(t.to_columns(None, fd))
    c.execute(insert(table).values(row))
    back = c.execute(select(table)).mappings().one()
    for fd, _ in FIELDS:
        t = get_type(fd.type)
        if t.stored:
            assert t.from_columns(back, fd) is None, fd.name


def test_owned_indexes_build_on_the_table(conn):
    from accord.meta.registry import owned_indexes

    c, table = conn
    indexes = owned_indexes(DEAL, table)
    for idx in indexes:
        idx.create(c)
    names = {i.name for i in indexes}
    assert "ix_obj_deal_account" in names and "ix_obj_deal_owner" in names
