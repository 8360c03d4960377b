"""Choice family: boolean, select (with dependent picklists), multi_select, tags."""

from __future__ import annotations

import pytest
from sqlalchemy import Boolean, String

from accord.db.types import JSONType
from accord.meta.fieldtypes import allowed_values, get_type
from accord.meta.fieldtypes.base import FieldValueError
from accord.meta.model import FieldDef, ObjectDef

CHOICES = [
    {"value": "won", "label": {"en": "Won", "zh": "赢单"}, "color": "#22c55e", "probability": 100},
    {"value": "lost", "label": {"en": "Lost", "zh": "输单"}, "color": "#ef4444"},
    {"value": "open", "label": {"en": "Open, in progress", "zh": "进行中"}},
]


def fd(type_: str, options: dict | None = None, name: str = "stage") -> FieldDef:
    return FieldDef(name=name, type=type_, label={"en": "X"}, options=options or {})


def coerce(type_: str, value, options: dict | None = None):
    return get_type(type_).coerce(value, fd(type_, options))


def code_of(type_: str, value, options: dict | None = None) -> str:
    with pytest.raises(FieldValueError) as exc:
        coerce(type_, value, options)
    return exc.value.code


def problems(f: FieldDef, *others: FieldDef) -> list[str]:
    obj = ObjectDef(name="o", label={"en": "O"}, plural_label={"en": "Os"}, fields=(f, *others))
    return [p.id for p in get_type(f.type).check(f, obj, {"o": obj})]


# --- boolean ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw", [True, 1, "true", "TRUE", "yes", "Y", "y", "1", "是", "对", "on", " True "]
)
def test_boolean_true(raw):
    assert coerce("boolean", raw) is True


@pytest.mark.parametrize("raw", [False, 0, "false", "no", "N", "n", "0", "否", "错", "off"])
def test_boolean_false(raw):
    assert coerce("boolean", raw) is False


@pytest.mark.parametrize("raw", ["maybe", 2, 0.5, [True], "是的吧"])
def test_boolean_bad(raw):
    assert code_of("boolean", raw) == "INVALID_TYPE"


def test_boolean_misc():
    t, f = get_type("boolean"), fd("boolean")
    assert t.coerce(None, f) is None and t.coerce("", f) is None
    assert t.parse_text("是", f) is True and t.parse_text("N", f) is False
    assert not t.is_empty(False)
    assert isinstance(t.columns(f)[0].type, Boolean)
    assert t.json_schema(f)["type"] == ["boolean", "null"]


# --- select -----------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["won", "WON", " won ", "Won", "赢单", "  赢单"])
def test_select_accepts_values_and_labels(raw):
    assert coerce("select", raw, {"choices": CHOICES}) == "won"


def test_select_label_with_comma():
    assert coerce("select", "open, IN progress", {"choices": CHOICES}) == "open"


def test_select_refuses_unknown_listing_valid_values():
    with pytest.raises(FieldValueError) as exc:
        coerce("select", "draw", {"choices": CHOICES})
    assert exc.value.code == "INVALID_CHOICE"
    assert "won" in exc.value.message and "lost" in exc.value.message


def test_select_numeric_values():
    opts = {"choices": [{"value": "1"}, {"value": "2"}]}
    assert coerce("select", 1, opts) == "1"
    assert code_of("select", True, opts) == "INVALID_TYPE"
    assert code_of("select", ["1"], opts) == "INVALID_TYPE"


def test_select_empty_json_and_column():
    t, f = get_type("select"), fd("select", {"choices": CHOICES})
    assert t.coerce("", f) is None and t.coerce(None, f) is None
    assert t.parse_text("输单", f) == "lost"
    assert t.to_json("won", f) == "won"
    assert t.coerce(t.to_json("won", f), f) == "won"
    [spec] = t.columns(f)
    assert isinstance(spec.type, String) and spec.type.length == 64
    assert t.json_schema(f)["enum"] == ["won", "lost", "open", None]


def test_select_checks_choices():
    ok = fd("select", {"choices": CHOICES})
    assert problems(ok) == []
    assert problems(fd("select", {})) == ["meta.E130"]
    assert problems(fd("select", {"choices": []})) == ["meta.E130"]
    assert problems(fd("select", {"choices": [{"value": ""}]})) == ["meta.E130"]
    assert problems(fd("select", {"choices": [{"value": "x" * 65}]})) == ["meta.E130"]
    assert problems(fd("select", {"choices": ["won"]})) == ["meta.E130"]
    assert problems(fd("select", {"choices": [{"value": "a", "color": "red"}]})) == ["meta.E130"]
    assert problems(fd("select", {"choices": [{"value": "a", "label": "A"}]})) == ["meta.E130"]
    dup = {"choices": [{"value": "a"}, {"value": "a"}]}
    assert problems(fd("select", dup)) == ["meta.E131"]


# --- dependent picklists ----------------------------------------------------------------------

COUNTRY = fd("select", {"choices": [{"value": "CN"}, {"value": "US"}]}, name="country")
CITY_OPTS = {
    "choices": [{"value": "beijing"}, {"value": "shanghai"}, {"value": "nyc"}],
    "depends_on": {"field": "country", "map": {"CN": ["beijing", "shanghai"], "US": ["nyc"]}},
}


def test_depends_on_valid_definition():
    assert problems(fd("select", CITY_OPTS, name="city"), COUNTRY) == []


def test_depends_on_problems():
    city = fd("select", {**CITY_OPTS, "depends_on": {"field": "nope", "map": {}}}, name="city")
    assert problems(city, COUNTRY) == ["meta.E132"]
    bad_key = {"field": "country", "map": {"FR": ["nyc"]}}
    city = fd("select", {**CITY_OPTS, "depends_on": bad_key}, name="city")
    assert problems(city, COUNTRY) == ["meta.E132"]
    bad_val = {"field": "country", "map": {"CN": ["paris"]}}
    city = fd("select", {**CITY_OPTS, "depends_on": bad_val}, name="city")
    assert problems(city, COUNTRY) == ["meta.E132"]
    itself = {"field": "city", "map": {}}
    city = fd("select", {**CITY_OPTS, "depends_on": itself}, name="city")
    assert problems(city, COUNTRY) == ["meta.E132"]
    text_ctrl = FieldDef(name="country", type="text", label={"en": "C"})
    assert problems(fd("select", CITY_OPTS, name="city"), text_ctrl) == ["meta.E132"]
    city = fd("select", {**CITY_OPTS, "depends_on": "country"}, name="city")
    assert problems(city, COUNTRY) == ["meta.E132"]


def test_depends_on_boolean_controller():
    flag = FieldDef(name="vip", type="boolean", label={"en": "VIP"})
    opts = {
        "choices": [{"value": "gold"}, {"value": "basic"}],
        "depends_on": {"field": "vip", "map": {"true": ["gold"], "false": ["basic"]}},
    }
    level = fd("select", opts, name="level")
    assert problems(level, flag) == []
    assert allowed_values(level, True) == ["gold"]
    assert allowed_values(level, False) == ["basic"]


def test_allowed_values():
    city = fd("select", CITY_OPTS, name="city")
    assert allowed_values(city, "CN") == ["beijing", "shanghai"]
    assert allowed_values(city, "US") == ["nyc"]
    assert allowed_values(city, "FR") == []
    assert allowed_values(city, None) == []
    assert allowed_values(COUNTRY, "anything") == ["CN", "US"]


# --- multi select -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (["won", "lost"], ["won", "lost"]),
        (["lost", "won", "lost"], ["lost", "won"]),
        ("won;lost", ["won", "lost"]),
        ("won,lost", ["won", "lost"]),
        ("won；输单", ["won", "lost"]),
        ("赢单，输单、won", ["won", "lost"]),
        ("Open, in progress", ["open"]),
        ("won", ["won"]),
        ([], None),
        ("", None),
    ],
)
def test_multi_select_good(raw, value):
    assert coerce("multi_select", raw, {"choices": CHOICES}) == value


def test_multi_select_bad():
    assert code_of("multi_select", ["won", "draw"], {"choices": CHOICES}) == "INVALID_CHOICE"
    assert code_of("multi_select", 5.5, {"choices": CHOICES}) == "INVALID_TYPE"
    assert code_of("multi_select", [["won"]], {"choices": CHOICES}) == "INVALID_TYPE"


def test_multi_select_import_json_column_schema():
    t, f = get_type("multi_select"), fd("multi_select", {"choices": CHOICES})
    assert t.parse_text("Won; Lost", f) == ["won", "lost"]
    assert t.coerce(t.to_json(["won", "lost"], f), f) == ["won", "lost"]
    [spec] = t.columns(f)
    assert isinstance(spec.type, JSONType) and t.kind == "array"
    assert t.json_schema(f)["items"]["enum"] == ["won", "lost", "open"]
    assert problems(f) == []


# --- tags -------------------------------------------------------------------------------------


def test_tags():
    assert coerce("tags", [" vip ", "VIP", "key account", ""]) == ["vip", "key account"]
    assert coerce("tags", "a; b，c") == ["a", "b", "c"]
    assert coerce("tags", []) is None
    assert coerce("tags", [2026]) == ["2026"]
    assert code_of("tags", ["x" * 51]) == "TOO_LONG"
    assert code_of("tags", [f"t{i}" for i in range(51)]) == "TOO_MANY"
    assert coerce("tags", [f"t{i}" for i in range(50)]) == [f"t{i}" for i in range(50)]
    assert code_of("tags", [None]) == "INVALID_TYPE"
    assert code_of("tags", {"a": 1}) == "INVALID_TYPE"
    t, f = get_type("tags"), fd("tags")
    assert t.parse_text("a;b", f) == ["a", "b"]
    assert isinstance(t.columns(f)[0].type, JSONType)
