"""Field behaviour through the record service on a custom object with many field types."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accord.core.context import Context
from accord.core.errors import Invalid
from accord.meta import service as meta
from accord.records import service as records
from accord.records.search import search


def _l(en: str, zh: str) -> dict[str, str]:
    return {"en": en, "zh": zh}


@pytest.fixture
def gadget(ctx: Context, unique: str) -> str:
    name = f"gadget_{unique}"
    meta.create_object(
        ctx,
        {
            "name": name,
            "label": _l("Gadget", "设备"),
            "plural_label": _l("Gadgets", "设备"),
            "fields": [
                {
                    "name": "name",
                    "type": "text",
                    "label": _l("Name", "名称"),
                    "required": True,
                    "searchable": True,
                },
                {
                    "name": "country",
                    "type": "select",
                    "label": _l("Country", "国家"),
                    "options": {
                        "choices": [
                            {"value": "cn", "label": _l("China", "中国")},
                            {"value": "us", "label": _l("USA", "美国")},
                        ]
                    },
                },
                {
                    "name": "city",
                    "type": "select",
                    "label": _l("City", "城市"),
                    "options": {
                        "choices": [
                            {"value": "shanghai", "label": _l("Shanghai", "上海")},
                            {"value": "boston", "label": _l("Boston", "波士顿")},
                        ],
                        "depends_on": {
                            "field": "country",
                            "map": {"cn": ["shanghai"], "us": ["boston"]},
                        },
                    },
                },
                {"name": "price", "type": "currency", "label": _l("Price", "价格")},
                {
                    "name": "qty",
                    "type": "integer",
                    "label": _l("Qty", "数量"),
                    "default": 1,
                    "validation": {"min": 0, "max": 1000},
                },
                {
                    "name": "total",
                    "type": "formula",
                    "label": _l("Total", "合计"),
                    "options": {"expression": "price * qty", "return_type": "decimal"},
                },
                {"name": "tags", "type": "tags", "label": _l("Tags", "标签")},
                {
                    "name": "related",
                    "type": "many_to_many",
                    "label": _l("Related", "相关客户"),
                    "options": {"target": "customer"},
                },
                {
                    "name": "serial",
                    "type": "auto_number",
                    "label": _l("Serial", "编号"),
                    "options": {"format": "G-{0000}"},
                },
                {"name": "site", "type": "address", "label": _l("Address", "地址")},
                {"name": "seen_at", "type": "datetime", "label": _l("Seen", "见面时间")},
                {"name": "born", "type": "date", "label": _l("Born", "生日")},
                {
                    "name": "code",
                    "type": "text",
                    "label": _l("Code", "代码"),
                    "validation": {"regex": "^[A-Z]{3}$"},
                },
            ],
            "validation_rules": [
                {
                    "name": "no_free_lunch",
                    "condition": "qty > 0 and price = 0",
                    "message": _l("Price needed", "需要价格"),
                    "fields": ["price"],
                }
            ],
        },
    )
    return name


def test_defaults_formula_autonumber_and_company_currency(ctx: Context, gadget: str) -> None:
    rec = records.create(ctx, gadget, {"name": "a", "price": "12.5"})
    assert rec["qty"] == 1
    assert rec["price"] == {"amount": Decimal("12.50"), "currency": ctx.settings.company_currency}
    assert rec["total"] == Decimal("12.50")
    assert rec["serial"] == "G-0001" or rec["serial"].startswith("G-")


def test_dependent_picklist_regex_range_and_rule(ctx: Context, gadget: str) -> None:
    with pytest.raises(Invalid) as err:
        records.create(
            ctx,
            gadget,
            {
                "name": "b",
                "country": "cn",
                "city": "boston",
                "qty": 5000,
                "code": "abc",
                "price": "0",
            },
        )
    codes = {(e.field, e.code) for e in err.value.errors}
    assert ("city", "INVALID_CHOICE") in codes
    assert ("qty", "OUT_OF_RANGE") in codes
    assert ("code", "PATTERN_MISMATCH") in codes
    with pytest.raises(Invalid) as err:
        records.create(ctx, gadget, {"name": "b", "price": "0"})
    assert err.value.errors[0].code == "RULE_NO_FREE_LUNCH"


def test_many_to_many_tags_and_address_round_trip(ctx: Context, gadget: str, unique: str) -> None:
    c1 = records.create(ctx, "customer", {"name": f"m2m one {unique}"})
    c2 = records.create(ctx, "customer", {"name": f"m2m two {unique}"})
    rec = records.create(
        ctx,
        gadget,
        {
            "name": "c",
            "price": "1",
            "related": [c1["id"], c2["id"]],
            "tags": ["vip", "vip", "新"],
            "site": {
                "province": "广东省",
                "city": "深圳市",
                "district": "南山区",
                "street": "科技园",
            },
        },
    )
    got = records.get(ctx, gadget, rec["id"])
    assert sorted(got["related"]) == sorted([c1["id"], c2["id"]])
    assert got["tags"] == ["vip", "新"]
    assert got["site"]["city"] == "深圳市"
    updated = records.update(
        ctx, gadget, rec["id"], {"related": [c2["id"]]}, version=got["version"]
    )
    assert updated["related"] == [c2["id"]]
    with pytest.raises(Invalid) as err:
        records.update(
            ctx,
            gadget,
            rec["id"],
            {"related": ["01890000-0000-7000-8000-00000000abcd"]},
            version=updated["version"],
        )
    assert err.value.errors[0].code == "REFERENCE_NOT_FOUND"


def test_two_character_chinese_search_falls_back_to_substring_scan(
    ctx: Context, gadget: str
) -> None:
    records.create(ctx, gadget, {"name": "华为路由器", "price": "1"})
    hits = search(ctx, "路由", [gadget])
    assert [h["title"] for h in hits] == ["华为路由器"]
    hits = search(ctx, "华为路由", [gadget])
    assert len(hits) == 1


def test_the_json_fast_path_answers_what_to_json_of_the_record_does(
    ctx: Context, gadget: str, unique: str
) -> None:
    # Given records using currency, formula, tags, many-to-many, auto-number, address, choices
    cust = records.create(ctx, "customer", {"name": f"json path {unique}"})
    full = records.create(
        ctx,
        gadget,
        {
            "name": "full",
            "country": "cn",
            "city": "shanghai",
            "price": "3.25",
            "qty": 4,
            "tags": ["a", "b"],
            "related": [cust["id"]],
            "site": {"province": "广东省", "city": "深圳市"},
            "code": "ABC",
            "seen_at": "2026-03-01T08:00:00.250+08:00",
            "born": "1990-02-28",
        },
    )
    empty = records.create(
        ctx, gadget, {"name": "empty", "price": "1", "seen_at": "0999-12-31T23:59:59Z"}
    )
    # When read through the record and through the row → JSON path
    for rec in (full, empty):
        expected = records.to_json(ctx, gadget, records.get(ctx, gadget, rec["id"]))
        # Then both give the same JSON, for one record and for a page, with and without fields=
        assert records.get_json(ctx, gadget, rec["id"]) == expected
    assert records.get_json(ctx, gadget, full["id"])["seen_at"] == "2026-03-01T00:00:00.250000Z"
    page = records.list_records(ctx, gadget, sort="name", as_json=True)
    assert page.data == [
        records.to_json(ctx, gadget, r) for r in records.list_records(ctx, gadget, sort="name").data
    ]
    picked = records.list_records(ctx, gadget, fields=["price", "site"], as_json=True).data
    assert picked[0]["price"] is not None and "qty" not in picked[0] and "id" in picked[0]
