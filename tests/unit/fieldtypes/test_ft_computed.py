"""Computed family: auto_number, formula, rollup."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import BigInteger, Boolean, Date, String

from accord.db.types import ExactDecimal, UTCDateTime
from accord.meta.fieldtypes import autonumber_period, format_autonumber, get_type
from accord.meta.fieldtypes.base import FieldValueError
from accord.meta.model import FieldDef, ObjectDef
from accord.meta.operators import OPERATORS_BY_KIND

TODAY = date(2026, 3, 7)


def fd(type_: str, options: dict | None = None, name: str = "x") -> FieldDef:
    return FieldDef(name=name, type=type_, label={"en": "X"}, options=options or {})


def problems(f: FieldDef, obj: ObjectDef | None = None, **objects: ObjectDef) -> list[str]:
    obj = obj or ObjectDef(name="o", label={"en": "O"}, plural_label={"en": "Os"}, fields=(f,))
    return [p.id for p in get_type(f.type).check(f, obj, {obj.name: obj, **objects})]


# --- auto-number ------------------------------------------------------------------------------


def test_format_autonumber():
    assert format_autonumber("HT-{YYYY}-{000000}", 42, TODAY) == "HT-2026-000042"
    assert format_autonumber("{YY}{MM}{DD}-{000}", 7, TODAY) == "260307-007"
    assert format_autonumber("{00}", 12345, TODAY) == "12345"  # never truncated
    assert format_autonumber("{000000}", 1, TODAY) == "000001"


def test_autonumber_period():
    assert autonumber_period("never", TODAY) == ""
    assert autonumber_period("yearly", TODAY) == "2026"
    assert autonumber_period("monthly", TODAY) == "202603"


def test_auto_number_checks():
    ok = fd("auto_number", {"format": "HT-{YYYY}-{000000}", "reset": "yearly"})
    assert problems(ok) == []
    assert problems(fd("auto_number")) == []
    assert problems(fd("auto_number", {"format": "HT-{X}-{0000}"})) == ["meta.E150"]
    assert problems(fd("auto_number", {"format": "HT"})) == ["meta.E150"]
    assert problems(fd("auto_number", {"format": "{000}-{000}"})) == ["meta.E150"]
    assert problems(fd("auto_number", {"format": "{" + "0" * 19 + "}"})) == ["meta.E150"]
    assert problems(fd("auto_number", {"format": "X" * 60 + "{000000}"})) == ["meta.E150"]
    assert problems(fd("auto_number", {"format": "A{000}}"})) == ["meta.E150"]
    assert problems(fd("auto_number", {"reset": "daily"})) == ["meta.E151"]
    assert problems(fd("auto_number", {"reset": "yearly"})) == ["meta.E152"]
    monthly = {"format": "{YYYY}-{0000}", "reset": "monthly"}
    assert problems(fd("auto_number", monthly)) == ["meta.E152"]
    monthly = {"format": "{YY}{MM}-{0000}", "reset": "monthly"}
    assert problems(fd("auto_number", monthly)) == []


def test_auto_number_values():
    t, f = get_type("auto_number"), fd("auto_number")
    assert t.computed and t.implies_unique and t.can_be_unique
    assert t.coerce("HT-2026-000001", f) == "HT-2026-000001"
    assert t.coerce(17, f) == "17"
    assert t.coerce(None, f) is None
    with pytest.raises(FieldValueError) as exc:
        t.coerce("x" * 65, f)
    assert exc.value.code == "TOO_LONG"
    [spec] = t.columns(f)
    assert isinstance(spec.type, String) and spec.type.length == 64
    assert t.json_schema(f)["readOnly"] is True


# --- formula ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("return_type", "column", "kind", "value", "canonical", "as_json"),
    [
        ("text", String, "text", "abc", "abc", "abc"),
        ("number", ExactDecimal, "decimal", Decimal("1.005"), Decimal("1.01"), "1.01"),
        ("decimal", ExactDecimal, "decimal", Decimal("2"), Decimal("2.00"), "2.00"),
        ("currency", ExactDecimal, "decimal", Decimal("3.5"), Decimal("3.50"), "3.50"),
        ("percent", ExactDecimal, "decimal", Decimal("12.5"), Decimal("12.5000"), "12.5000"),
        ("integer", BigInteger, "integer", Decimal("2.5"), 3, 3),
        ("date", Date, "date", date(2026, 1, 31), date(2026, 1, 31), "2026-01-31"),
        (
            "datetime",
            UTCDateTime,
            "datetime",
            datetime(2026, 1, 31, 8, tzinfo=UTC),
            datetime(2026, 1, 31, 8, tzinfo=UTC),
            "2026-01-31T08:00:00Z",
        ),
        ("boolean", Boolean, "boolean", True, True, True),
    ],
)
def test_formula_follows_its_return_type(return_type, column, kind, value, canonical, as_json):
    t = get_type("formula")
    f = fd("formula", {"expression": "1", "return_type": return_type})
    [spec] = t.columns(f)
    assert spec.name == "x" and isinstance(spec.type, column)
    assert t.value_kind(f) == kind
    assert t.operators(f) == OPERATORS_BY_KIND[kind]
    v = t.coerce(value, f)
    assert v == canonical
    assert t.to_json(v, f) == as_json
    assert t.coerce(t.to_json(v, f), f) == v
    schema = t.json_schema(f)
    assert schema["readOnly"] is True and "null" in schema["type"] and schema["title"] == "X"


def test_formula_scale_option():
    t = get_type("formula")
    f = fd("formula", {"expression": "a / 3", "return_type": "decimal", "scale": 4})
    assert t.coerce(Decimal(1) / 3, f) == Decimal("0.3333")
    assert t.columns(f)[0].type.scale == 4


def test_formula_checks():
    assert problems(fd("formula", {"expression": "amount * 2", "return_type": "decimal"})) == []
    assert problems(fd("formula", {"return_type": "decimal"})) == ["meta.E153"]
    assert problems(fd("formula", {"expression": "  "})) == ["meta.E153"]
    assert problems(fd("formula", {"expression": "1" * 4001})) == ["meta.E153"]
    assert problems(fd("formula", {"expression": "1", "return_type": "blob"})) == ["meta.E154"]
    assert problems(fd("formula", {"expression": "1", "scale": 11})) == ["meta.E154"]


def test_formula_text_too_long_is_refused():
    t, f = get_type("formula"), fd("formula", {"expression": "x", "return_type": "text"})
    with pytest.raises(FieldValueError) as exc:
        t.coerce("x" * 256, f)
    assert exc.value.code == "TOO_LONG"


# --- rollup -----------------------------------------------------------------------------------

DEAL_FIELDS = (
    FieldDef(name="account", type="master_detail", label={"en": "A"}, options={"target": "o"}),
    FieldDef(name="other", type="lookup", label={"en": "B"}, options={"target": "zzz"}),
    FieldDef(name="amount", type="decimal", label={"en": "Amount"}),
    FieldDef(name="qty", type="integer", label={"en": "Qty"}),
    FieldDef(name="closed_on", type="date", label={"en": "Closed"}),
    FieldDef(name="name", type="text", label={"en": "Name"}),
)
DEAL = ObjectDef(name="deal", label={"en": "D"}, plural_label={"en": "Ds"}, fields=DEAL_FIELDS)


def rollup(**opts) -> FieldDef:
    base = {"child_object": "deal", "relation_field": "account"}
    return fd("rollup", {**base, **opts}, name="total")


def rollup_problems(f: FieldDef) -> list[str]:
    return problems(f, deal=DEAL)


def test_rollup_valid_definitions():
    assert rollup_problems(rollup(aggregate="count")) == []
    assert rollup_problems(rollup(aggregate="count", filter={"stage": {"eq": "won"}})) == []
    assert rollup_problems(rollup(aggregate="sum", child_field="amount")) == []
    assert rollup_problems(rollup(aggregate="avg", child_field="qty")) == []
    assert rollup_problems(rollup(aggregate="sum", child_field="qty", result_type="integer")) == []
    mx = rollup(aggregate="max", child_field="closed_on", result_type="date")
    assert rollup_problems(mx) == []


def test_rollup_problems():
    assert rollup_problems(rollup(aggregate="median", child_field="amount")) == ["meta.E162"]
    assert rollup_problems(rollup(aggregate="count", child_object="nope")) == ["meta.E160"]
    assert rollup_problems(rollup(aggregate="count", relation_field="other")) == ["meta.E161"]
    assert rollup_problems(rollup(aggregate="count", relation_field="name")) == ["meta.E161"]
    assert rollup_problems(rollup(aggregate="sum")) == ["meta.E163"]
    assert rollup_problems(rollup(aggregate="sum", child_field="name")) == ["meta.E163"]
    assert rollup_problems(rollup(aggregate="sum", child_field="closed_on")) == ["meta.E163"]
    mx = rollup(aggregate="max", child_field="closed_on")  # result would be a decimal
    assert rollup_problems(mx) == ["meta.E164"]
    bad = rollup(aggregate="sum", child_field="amount", result_type="integer")
    assert rollup_problems(bad) == ["meta.E164"]
    assert rollup_problems(rollup(aggregate="count", result_type="decimal")) == ["meta.E164"]
    assert rollup_problems(rollup(aggregate="count", scale=20)) == ["meta.E164"]
    assert rollup_problems(rollup(aggregate="count", filter="stage = won")) == ["meta.E165"]


def test_rollup_columns_and_values():
    t = get_type("rollup")
    count = rollup(aggregate="count")
    assert isinstance(t.columns(count)[0].type, BigInteger)
    assert t.value_kind(count) == "integer"
    assert t.coerce(3, count) == 3
    total = rollup(aggregate="sum", child_field="amount", scale=2)
    [spec] = t.columns(total)
    assert isinstance(spec.type, ExactDecimal) and spec.type.scale == 2
    assert t.value_kind(total) == "decimal"
    assert t.coerce(Decimal("10.005"), total) == Decimal("10.01")
    assert t.to_json(Decimal("10.01"), total) == "10.01"
    latest = rollup(aggregate="max", child_field="closed_on", result_type="date")
    assert isinstance(t.columns(latest)[0].type, Date)
    assert t.value_kind(latest) == "date"
    assert t.computed
