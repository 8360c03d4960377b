"""Number family: integer, decimal, percent, currency, rating."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import BigInteger, SmallInteger, String

from accord.db.types import ExactDecimal
from accord.meta.fieldtypes import get_type
from accord.meta.fieldtypes.base import FieldValueError
from accord.meta.model import FieldDef, ObjectDef


def fd(type_: str, options: dict | None = None, **kw) -> FieldDef:
    return FieldDef(name="amount", type=type_, label={"en": "X"}, options=options or {}, **kw)


def coerce(type_: str, value, options: dict | None = None, **kw):
    return get_type(type_).coerce(value, fd(type_, options, **kw))


def parse(type_: str, text: str, options: dict | None = None):
    return get_type(type_).parse_text(text, fd(type_, options))


def code_of(type_: str, value, options: dict | None = None, **kw) -> str:
    with pytest.raises(FieldValueError) as exc:
        coerce(type_, value, options, **kw)
    return exc.value.code


def problems(type_: str, options: dict, **kw) -> list[str]:
    f = fd(type_, options, **kw)
    obj = ObjectDef(name="o", label={"en": "O"}, plural_label={"en": "Os"}, fields=(f,))
    return [p.id for p in get_type(type_).check(f, obj, {"o": obj})]


# --- integer ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"),
    [(5, 5), (-3, -3), ("42", 42), (" 7 ", 7), ("12.0", 12), (Decimal("3"), 3), (4.0, 4)],
)
def test_integer_good(raw, value):
    assert coerce("integer", raw) == value
    assert type(coerce("integer", raw)) is int


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (True, "INVALID_TYPE"),
        (False, "INVALID_TYPE"),
        ([1], "INVALID_TYPE"),
        ("1.5", "INVALID_NUMBER"),
        (Decimal("1.5"), "INVALID_NUMBER"),
        (2.5, "INVALID_NUMBER"),
        ("abc", "INVALID_NUMBER"),
        (float("nan"), "INVALID_NUMBER"),
        ("Infinity", "INVALID_NUMBER"),
        (2**63, "OUT_OF_RANGE"),
        ("9" * 30, "OUT_OF_RANGE"),
    ],
)
def test_integer_bad(raw, code):
    assert code_of("integer", raw) == code


def test_integer_min_max_options():
    opts = {"min": 0, "max": 10}
    assert coerce("integer", 10, opts) == 10
    assert code_of("integer", 11, opts) == "OUT_OF_RANGE"
    assert code_of("integer", -1, opts) == "OUT_OF_RANGE"


def test_integer_empty_and_import():
    assert coerce("integer", None) is None
    assert coerce("integer", "") is None
    assert parse("integer", "1,234") == 1234
    assert parse("integer", "１２") == 12
    assert parse("integer", "") is None


def test_integer_column_schema_and_checks():
    [spec] = get_type("integer").columns(fd("integer"))
    assert isinstance(spec.type, BigInteger)
    schema = get_type("integer").json_schema(fd("integer", {"min": 1}))
    assert schema["type"] == ["integer", "null"] and schema["minimum"] == 1
    assert problems("integer", {"min": 5, "max": 1}) == ["meta.E111"]
    assert problems("integer", {"min": 1.5}) == ["meta.E111"]
    assert problems("integer", {}, validation={"min": "x"}) == ["meta.E112"]
    assert problems("integer", {}, validation={"min": 3, "max": 1}) == ["meta.E112"]
    assert problems("integer", {"min": 0, "max": 5}, validation={"min": 1}) == []


# --- decimal ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("12.345", "12.35"),  # ROUND_HALF_UP
        ("12.344", "12.34"),
        ("-12.345", "-12.35"),
        (12, "12.00"),
        (Decimal("1.005"), "1.01"),
        (0.1, "0.10"),
        (1.005, "1.01"),  # through repr, not the binary 1.00499999…
        ("1e3", "1000.00"),
        ("-0", "0.00"),
        ("9999999999999999.99", "9999999999999999.99"),
    ],
)
def test_decimal_good(raw, value):
    d = coerce("decimal", raw)
    assert isinstance(d, Decimal) and d == Decimal(value) and str(d) == value


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("NaN", "INVALID_NUMBER"),
        ("Infinity", "INVALID_NUMBER"),
        (float("inf"), "INVALID_NUMBER"),
        (Decimal("sNaN"), "INVALID_NUMBER"),
        ("12,5", "INVALID_NUMBER"),
        ("abc", "INVALID_NUMBER"),
        (True, "INVALID_TYPE"),
        ([1], "INVALID_TYPE"),
        ("10000000000000000", "OUT_OF_RANGE"),  # 17 integer digits > 18 - 2
        ("9999999999999999.995", "OUT_OF_RANGE"),  # rounds up past the precision
        ("1e999999", "OUT_OF_RANGE"),
    ],
)
def test_decimal_bad(raw, code):
    assert code_of("decimal", raw) == code


def test_decimal_precision_and_scale_options():
    opts = {"precision": 5, "scale": 3}
    assert coerce("decimal", "12.3456", opts) == Decimal("12.346")
    assert code_of("decimal", "123.4", opts) == "OUT_OF_RANGE"
    assert coerce("decimal", "1.5", {"scale": 0}) == Decimal("2")
    big = {"precision": 38, "scale": 10}
    assert coerce("decimal", "1" * 28 + ".5", big) == Decimal("1" * 28 + ".5000000000")


def test_decimal_columns_and_checks():
    [spec] = get_type("decimal").columns(fd("decimal", {"precision": 20, "scale": 4}))
    assert isinstance(spec.type, ExactDecimal)
    assert (spec.type.precision, spec.type.scale) == (20, 4)
    assert problems("decimal", {"precision": 39}) == ["meta.E110"]
    assert problems("decimal", {"scale": 11}) == ["meta.E110"]
    assert problems("decimal", {"precision": 3, "scale": 4}) == ["meta.E110"]
    assert problems("decimal", {"precision": 38, "scale": 10}) == []


def test_decimal_to_json_is_a_plain_string():
    t, f = get_type("decimal"), fd("decimal", {"scale": 10})
    assert t.to_json(t.coerce("0.0000001", f), f) == "0.0000001000"
    assert t.to_json(Decimal("1E+2"), fd("decimal")) == "100"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1,234.50", "1234.50"),
        ("¥1,234.50", "1234.50"),
        ("￥1,234.50", "1234.50"),
        ("$ 1,234,567.1", "1234567.10"),
        ("-¥3", "-3.00"),
        ("(1,234.50)", "-1234.50"),
        ("１２３．４", "123.40"),
        ("12元", "12.00"),
    ],
)
def test_decimal_import(text, value):
    assert parse("decimal", text) == Decimal(value)


def test_decimal_import_refuses_european_or_broken_grouping():
    with pytest.raises(FieldValueError) as exc:
        parse("decimal", "1.234,50")
    assert exc.value.code == "INVALID_NUMBER"
    assert parse("decimal", "  ") is None


# --- percent ----------------------------------------------------------------------------------


def test_percent_is_a_scale_four_decimal_in_percent_units():
    assert coerce("percent", "12.5") == Decimal("12.5000")
    assert parse("percent", "12.5%") == Decimal("12.5000")
    [spec] = get_type("percent").columns(fd("percent"))
    assert spec.type.scale == 4
    assert get_type("percent").to_json(Decimal("12.5000"), fd("percent")) == "12.5000"


# --- currency ---------------------------------------------------------------------------------


def test_currency_mapping_input():
    v = coerce("currency", {"amount": "12.5", "currency": "usd"})
    assert v == {"amount": Decimal("12.50"), "currency": "USD"}


def test_currency_bare_number_takes_default_currency_or_none():
    assert coerce("currency", "3", {"default_currency": "CNY"}) == {
        "amount": Decimal("3.00"),
        "currency": "CNY",
    }
    assert coerce("currency", 3) == {"amount": Decimal("3.00"), "currency": None}
    assert coerce("currency", {"amount": 3}, {"default_currency": "EUR"})["currency"] == "EUR"


def test_currency_empty():
    assert coerce("currency", None) is None
    assert coerce("currency", {"amount": None, "currency": "USD"}) is None
    assert coerce("currency", "") is None


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ({"amount": "1", "currency": "XXX"}, "INVALID_CURRENCY"),
        ({"amount": "1", "currency": "US"}, "INVALID_CURRENCY"),
        ({"amount": "1", "currency": 840}, "INVALID_TYPE"),
        ({"amount": "1", "currency": {}}, "INVALID_TYPE"),
        ({"amount": "x", "currency": "USD"}, "INVALID_NUMBER"),
        ({"amount": True}, "INVALID_TYPE"),
    ],
)
def test_currency_bad(raw, code):
    assert code_of("currency", raw) == code


def test_currency_columns():
    specs = get_type("currency").columns(fd("currency", {"scale": 4}))
    assert [(s.name, s.subfield, s.kind) for s in specs] == [
        ("amount", "amount", "decimal"),
        ("amount_currency", "currency", "text"),
    ]
    assert isinstance(specs[0].type, ExactDecimal) and specs[0].type.scale == 4
    assert isinstance(specs[1].type, String) and specs[1].type.length == 3


def test_currency_columns_and_json_round_trip():
    t, f = get_type("currency"), fd("currency")
    v = t.coerce({"amount": "12.5", "currency": "CNY"}, f)
    cols = t.to_columns(v, f)
    assert cols == {"amount": Decimal("12.50"), "amount_currency": "CNY"}
    assert t.from_columns(cols, f) == v
    assert t.to_json(v, f) == {"amount": "12.50", "currency": "CNY"}
    assert t.coerce(t.to_json(v, f), f) == v
    assert t.to_columns(None, f) == {"amount": None, "amount_currency": None}
    assert t.from_columns({"amount": None, "amount_currency": "CNY"}, f) is None


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("¥1,234.50", "1234.50", "CNY"),
        ("USD 12", "12.00", "USD"),
        ("12.5 eur", "12.50", "EUR"),
        ("RMB 100", "100.00", "CNY"),
        ("$3", "3.00", "USD"),
        ("3", "3.00", None),
    ],
)
def test_currency_import(text, amount, currency):
    assert parse("currency", text) == {"amount": Decimal(amount), "currency": currency}


def test_currency_checks():
    assert problems("currency", {"default_currency": "ABC"}) == ["meta.E113"]
    assert problems("currency", {"default_currency": "CNY", "scale": 2}) == []
    assert problems("currency", {"scale": 12}) == ["meta.E110"]


# --- rating -----------------------------------------------------------------------------------


def test_rating():
    assert coerce("rating", 3) == 3
    assert coerce("rating", "0") == 0
    assert code_of("rating", 6) == "OUT_OF_RANGE"
    assert code_of("rating", -1) == "OUT_OF_RANGE"
    assert coerce("rating", 10, {"max": 10}) == 10
    assert code_of("rating", True) == "INVALID_TYPE"
    assert code_of("rating", 2.5) == "INVALID_NUMBER"
    assert parse("rating", "★★★☆☆") == 3
    assert parse("rating", "4") == 4
    assert isinstance(get_type("rating").columns(fd("rating"))[0].type, SmallInteger)
    assert problems("rating", {"max": 11}) == ["meta.E114"]


# --- properties -------------------------------------------------------------------------------

numbers = st.one_of(
    st.integers(min_value=-(10**15), max_value=10**15),
    st.decimals(min_value=-(10**15), max_value=10**15, allow_nan=False, allow_infinity=False),
    st.floats(min_value=-1e15, max_value=1e15, allow_nan=False, allow_infinity=False),
    st.decimals(min_value=-(10**15), max_value=10**15, allow_nan=False, allow_infinity=False).map(
        str
    ),
)


@given(x=numbers, scale=st.integers(min_value=0, max_value=6))
def test_decimal_coerce_of_its_json_is_stable(x, scale):
    t, f = get_type("decimal"), fd("decimal", {"precision": 24, "scale": scale})
    v = t.coerce(x, f)
    assert t.coerce(t.to_json(v, f), f) == v
    assert v.as_tuple().exponent == -scale


@given(x=numbers, code=st.sampled_from(["CNY", "usd", "JPY", None]))
def test_currency_coerce_of_its_json_is_stable(x, code):
    t, f = get_type("currency"), fd("currency")
    v = t.coerce({"amount": x, "currency": code}, f)
    j = t.to_json(v, f)
    assert isinstance(j["amount"], str)
    assert t.coerce(j, f) == v
    assert t.to_json(t.coerce(j, f), f) == j
