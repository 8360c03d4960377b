"""Address, geo, json, color, file, image and signature."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import Float, String

from accord.db.types import JSONType
from accord.meta.fieldtypes import get_type, normalize_province
from accord.meta.fieldtypes.address import PROVINCES, split_cn_address
from accord.meta.fieldtypes.base import FieldValueError
from accord.meta.model import FieldDef, ObjectDef

FILE_ID = "0190f5a4-7c3b-7def-8123-456789abcdef"
FILE_ID2 = "0190f5a4-7c3b-7def-8123-000000000002"


def fd(type_: str, options: dict | None = None) -> FieldDef:
    return FieldDef(name="addr", type=type_, label={"en": "X"}, options=options or {})


def coerce(type_: str, value, options: dict | None = None):
    return get_type(type_).coerce(value, fd(type_, options))


def code_of(type_: str, value, options: dict | None = None) -> str:
    with pytest.raises(FieldValueError) as exc:
        coerce(type_, value, options)
    return exc.value.code


def problems(type_: str, options: dict) -> list[str]:
    f = fd(type_, options)
    obj = ObjectDef(name="o", label={"en": "O"}, plural_label={"en": "Os"}, fields=(f,))
    return [p.id for p in get_type(type_).check(f, obj, {"o": obj})]


# --- address ----------------------------------------------------------------------------------

EMPTY = dict.fromkeys(("province", "city", "district", "street", "postcode", "country"))


def test_address_mapping_input_fills_missing_parts_and_default_country():
    v = coerce("address", {"province": "广东", "city": "深圳市", "street": " 科技园路1号 "})
    assert v == {
        **EMPTY,
        "province": "广东省",
        "city": "深圳市",
        "street": "科技园路1号",
        "country": "CN",
    }


def test_address_empty_when_every_part_is_empty():
    assert coerce("address", {}) is None
    assert coerce("address", {"province": " ", "city": None}) is None
    assert coerce("address", None) is None
    assert coerce("address", "") is None


def test_address_country_and_options():
    v = coerce("address", {"street": "1600 Amphitheatre Pkwy", "country": "us"})
    assert v["country"] == "US" and v["province"] is None
    assert coerce("address", {"city": "Paris"}, {"default_country": "FR"})["country"] == "FR"
    assert code_of("address", {"city": "x", "country": "USA"}) == "TOO_LONG"
    assert code_of("address", {"city": "x", "country": "1a"}) == "INVALID_ADDRESS"
    strict = {"strict_province": True}
    assert code_of("address", {"province": "Atlantis"}, strict) == "INVALID_ADDRESS"
    assert coerce("address", {"province": "Atlantis"})["province"] == "Atlantis"
    assert coerce("address", {"province": "Ontario", "country": "CA"})["province"] == "Ontario"


def test_address_bad_inputs():
    assert code_of("address", {"city": 5}) == "INVALID_TYPE"
    assert code_of("address", {"street": "x" * 256}) == "TOO_LONG"
    assert code_of("address", 5) == "INVALID_TYPE"


def test_address_columns_and_round_trip():
    t, f = get_type("address"), fd("address")
    specs = t.columns(f)
    assert [(s.name, s.subfield, s.kind) for s in specs] == [
        ("addr_province", "province", "text"),
        ("addr_city", "city", "text"),
        ("addr_district", "district", "text"),
        ("addr_street", "street", "text"),
        ("addr_postcode", "postcode", "text"),
        ("addr_country", "country", "text"),
    ]
    assert [s.type.length for s in specs] == [64, 64, 64, 255, 16, 2]
    v = t.coerce({"province": "上海", "district": "浦东新区", "postcode": "200120"}, f)
    cols = t.to_columns(v, f)
    assert cols["addr_province"] == "上海市" and cols["addr_country"] == "CN"
    assert t.from_columns(cols, f) == v
    assert t.to_json(v, f) == v and t.coerce(t.to_json(v, f), f) == v
    assert t.from_columns(t.to_columns(None, f), f) is None


def test_address_import_splits_chinese_addresses():
    t, f = get_type("address"), fd("address")
    assert t.parse_text("广东省深圳市南山区科技园路1号", f) == {
        **EMPTY,
        "province": "广东省",
        "city": "深圳市",
        "district": "南山区",
        "street": "科技园路1号",
        "country": "CN",
    }
    v = t.parse_text("北京市朝阳区建国路1号", f)
    assert (v["province"], v["city"], v["district"], v["street"]) == (
        "北京市",
        "北京市",
        "朝阳区",
        "建国路1号",
    )
    v = t.parse_text("新疆乌鲁木齐市天山区", f)
    assert (v["province"], v["city"], v["district"]) == ("新疆维吾尔自治区", "乌鲁木齐市", "天山区")
    v = t.parse_text("1600 Amphitheatre Pkwy", f)
    assert v["street"] == "1600 Amphitheatre Pkwy" and v["province"] is None


def test_split_cn_address_without_known_province():
    assert split_cn_address("某地某路")["street"] == "某地某路"


def test_normalize_province():
    assert len(PROVINCES) == 34
    assert len({p[0] for p in PROVINCES}) == 34
    for full, short, english in PROVINCES:
        assert normalize_province(full) == full
        assert normalize_province(short) == full
        assert normalize_province(english) == full
    assert normalize_province("广东") == "广东省"
    assert normalize_province("guangdong") == "广东省"
    assert normalize_province("Inner Mongolia") == "内蒙古自治区"
    assert normalize_province("香港") == "香港特别行政区"
    assert normalize_province("Atlantis") is None


def test_address_checks():
    assert problems("address", {}) == []
    assert problems("address", {"default_country": "cn"}) == ["meta.E170"]
    assert problems("address", {"strict_province": "yes"}) == ["meta.E170"]


# --- geo --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        {"lat": 31.2304, "lng": 121.4737},
        {"lat": "31.2304", "lon": "121.4737"},
        {"latitude": Decimal("31.2304"), "longitude": 121.4737},
        [31.2304, 121.4737],
        "31.2304, 121.4737",
        "31.2304，121.4737",
    ],
)
def test_geo_good(raw):
    assert coerce("geo", raw) == {"lat": 31.2304, "lng": 121.4737}


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ({"lat": 91, "lng": 0}, "OUT_OF_RANGE"),
        ({"lat": 0, "lng": -180.5}, "OUT_OF_RANGE"),
        ({"lat": float("nan"), "lng": 0}, "OUT_OF_RANGE"),
        ({"lat": 1}, "INVALID_TYPE"),
        ({"lat": True, "lng": 0}, "INVALID_TYPE"),
        ({"lat": "north", "lng": 0}, "INVALID_TYPE"),
        ([1, 2, 3], "INVALID_TYPE"),
    ],
)
def test_geo_bad(raw, code):
    assert code_of("geo", raw) == code


def test_geo_columns_and_round_trip():
    t, f = get_type("geo"), fd("geo")
    specs = t.columns(f)
    assert [(s.name, s.subfield) for s in specs] == [("addr_lat", "lat"), ("addr_lng", "lng")]
    assert all(isinstance(s.type, Float) for s in specs)
    v = t.coerce([1.5, -2.5], f)
    assert t.from_columns(t.to_columns(v, f), f) == v
    assert t.coerce(t.to_json(v, f), f) == v
    assert t.coerce({"lat": None, "lng": None}, f) is None
    assert t.from_columns(t.to_columns(None, f), f) is None


# --- json -------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [{"a": [1, 2, {"b": None}]}, [1, "x"], "text", 3, 1.5, True, {}])
def test_json_good(raw):
    assert coerce("json", raw) == raw


def test_json_bad():
    assert code_of("json", {"a": float("nan")}) == "INVALID_JSON"
    assert code_of("json", {"a": object()}) == "INVALID_JSON"
    assert code_of("json", {"a": Decimal("1")}) == "INVALID_JSON"
    assert code_of("json", {"a": "x" * (256 * 1024)}) == "TOO_LONG"
    assert code_of("json", ["中" * 90_000]) == "TOO_LONG"  # 270 KB of UTF-8


def test_json_import_and_column():
    t, f = get_type("json"), fd("json")
    assert t.parse_text('{"a": 1}', f) == {"a": 1}
    assert t.parse_text("", f) is None
    with pytest.raises(FieldValueError) as exc:
        t.parse_text("{oops", f)
    assert exc.value.code == "INVALID_JSON"
    assert isinstance(t.columns(f)[0].type, JSONType)
    assert not t.is_empty({}) and t.is_empty(None)


# --- color ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"), [("#22C55E", "#22c55e"), ("22c55e", "#22c55e"), ("#abc", "#aabbcc")]
)
def test_color_good(raw, value):
    assert coerce("color", raw) == value


@pytest.mark.parametrize("raw", ["red", "#12345", "#gggggg", "rgb(0,0,0)"])
def test_color_bad(raw):
    assert code_of("color", raw) == "INVALID_COLOR"


def test_color_column():
    [spec] = get_type("color").columns(fd("color"))
    assert isinstance(spec.type, String) and spec.type.length == 7
    assert code_of("color", 0x22C55E) == "INVALID_TYPE"


# --- files ------------------------------------------------------------------------------------


def ref(fid: str = FILE_ID, content_type: str = "application/pdf", **kw) -> dict:
    return {"id": fid, "name": "contract.pdf", "size": 1024, "content_type": content_type, **kw}


def test_file_good():
    v = coerce("file", [ref(extra="dropped"), ref(FILE_ID2, "Image/PNG")])
    assert v == [ref(), ref(FILE_ID2, "image/png")]
    assert coerce("file", ref()) == [ref()]
    assert coerce("file", [ref(), ref()]) == [ref()]
    assert coerce("file", []) is None


@pytest.mark.parametrize(
    "bad",
    [
        ref("nope"),
        ref(size=-1),
        ref(size="10"),
        ref(size=True),
        ref(name=""),
        ref(name="x" * 256),
        ref(content_type="pdf"),
        ref(content_type="application/pdf; charset=x"),
        "file.pdf",
    ],
)
def test_file_bad(bad):
    assert code_of("file", [bad]) == "INVALID_FILE"


def test_file_limits_and_checks():
    two = [ref(), ref(FILE_ID2)]
    assert code_of("file", two, {"max_files": 1}) == "TOO_MANY"
    assert code_of("file", "x") == "INVALID_FILE"
    assert problems("file", {"max_files": 0}) == ["meta.E180"]
    assert problems("file", {"max_files": 5}) == []
    t, f = get_type("file"), fd("file")
    assert isinstance(t.columns(f)[0].type, JSONType)
    assert t.coerce(t.to_json([ref()], f), f) == [ref()]
    assert t.parse_text("", f) is None
    with pytest.raises(FieldValueError):
        t.parse_text("contract.pdf", f)


def test_image_needs_image_content_types():
    assert coerce("image", [ref(content_type="image/jpeg")]) == [ref(content_type="image/jpeg")]
    assert code_of("image", [ref()]) == "INVALID_FILE"


def test_signature_is_one_png_or_svg():
    png = ref(content_type="image/png")
    assert coerce("signature", png) == png
    assert coerce("signature", [png]) == png
    assert coerce("signature", ref(content_type="image/svg+xml"))["content_type"] == "image/svg+xml"
    assert code_of("signature", ref(content_type="image/jpeg")) == "INVALID_FILE"
    assert code_of("signature", [png, png]) == "TOO_MANY"
    assert coerce("signature", []) is None
    assert get_type("signature").json_schema(fd("signature"))["type"] == ["object", "null"]
