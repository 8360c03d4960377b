"""The field-type registry: every type is registered, complete and documented."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from accord.meta.fieldtypes import all_types, get_type
from accord.meta.fieldtypes.base import FieldType
from accord.meta.fieldtypes.registry import UnknownFieldType, register
from accord.meta.fieldtypes.validation import ERROR_CODES
from accord.meta.model import FieldDef
from accord.meta.operators import OPERATORS_BY_KIND

PACKAGE = Path(__file__).resolve().parents[3] / "accord" / "meta" / "fieldtypes"

REQUIRED_NAMES = [
    "text",
    "long_text",
    "rich_text",
    "integer",
    "decimal",
    "currency",
    "percent",
    "date",
    "datetime",
    "time",
    "boolean",
    "select",
    "multi_select",
    "email",
    "phone",
    "url",
    "lookup",
    "master_detail",
    "many_to_many",
    "user",
    "department",
    "auto_number",
    "formula",
    "rollup",
    "file",
    "image",
    "address",
    "geo",
    "rating",
    "tags",
    "json",
    "signature",
    "color",
]

ZH_LABELS = {
    "text": "单行文本",
    "long_text": "多行文本",
    "rich_text": "富文本",
    "integer": "整数",
    "decimal": "小数",
    "currency": "金额",
    "percent": "百分比",
    "date": "日期",
    "datetime": "日期时间",
    "time": "时间",
    "boolean": "布尔",
    "select": "单选",
    "multi_select": "多选",
    "email": "邮箱",
    "phone": "电话",
    "url": "网址",
    "lookup": "查找关系",
    "master_detail": "主从关系",
    "many_to_many": "多对多",
    "user": "用户",
    "department": "部门",
    "auto_number": "自动编号",
    "formula": "公式",
    "rollup": "汇总",
    "file": "文件",
    "image": "图片",
    "address": "地址",
    "geo": "地理位置",
    "rating": "评分",
    "tags": "标签",
    "json": "JSON",
    "signature": "签名",
}


def field_for(name: str) -> FieldDef:
    options: dict = {
        "select": {"choices": [{"value": "a"}]},
        "multi_select": {"choices": [{"value": "a"}]},
        "lookup": {"target": "account"},
        "master_detail": {"target": "account"},
        "many_to_many": {"target": "account"},
        "formula": {"expression": "1", "return_type": "decimal"},
        "rollup": {"aggregate": "count"},
    }.get(name, {})
    return FieldDef(name="f", type=name, label={"en": "F", "zh": "F"}, options=options)


def test_at_least_thirty_types_are_registered_including_every_required_name():
    types = all_types()
    assert len(types) >= 30
    assert set(REQUIRED_NAMES) <= set(types)


@pytest.mark.parametrize("name", REQUIRED_NAMES)
def test_every_type_is_complete(name):
    t = get_type(name)
    assert t.name == name
    assert t.label["en"] and t.label["zh"]
    assert t.label["zh"] == ZH_LABELS.get(name, t.label["zh"])
    assert isinstance(t.widget, str) and t.widget != "input"
    assert t.kind in OPERATORS_BY_KIND
    for method in ("columns", "coerce", "json_schema"):
        assert getattr(type(t), method) is not getattr(FieldType, method), method
    f = field_for(name)
    specs = t.columns(f)
    assert isinstance(specs, list)
    assert (len(specs) > 0) == t.stored
    schema = t.json_schema(f)
    assert "null" in schema["type"]
    assert schema["title"] == "F"
    json.dumps(schema)
    assert t.to_json(None, f) is None
    assert t.operators(f) <= OPERATORS_BY_KIND[t.value_kind(f)]
    assert t.convertible_from(t)


def test_flags():
    assert get_type("formula").computed and get_type("rollup").computed
    assert get_type("auto_number").computed and get_type("auto_number").implies_unique
    assert get_type("master_detail").implies_required
    assert not get_type("many_to_many").stored
    assert get_type("text").can_be_unique and get_type("text").can_be_searchable
    assert not get_type("json").sortable
    assert not get_type("currency").single_column and not get_type("address").single_column
    assert get_type("decimal").single_column


def test_unknown_type_raises_a_lookup_error():
    with pytest.raises(UnknownFieldType) as exc:
        get_type("nope")
    assert isinstance(exc.value, LookupError)
    with pytest.raises(LookupError):
        get_type(["not", "hashable"])  # type: ignore[arg-type]


def test_registering_a_second_class_under_a_taken_name_is_refused():
    class Clash(FieldType):
        name = "text"

    with pytest.raises(ValueError):
        register(Clash)
    assert get_type("text").label["zh"] == "单行文本"


def test_all_types_is_a_copy():
    all_types().pop("text")
    assert "text" in all_types()


@pytest.mark.parametrize(
    ("new", "old", "ok"),
    [
        ("text", "long_text", True),
        ("text", "email", True),
        ("text", "phone", True),
        ("text", "url", True),
        ("text", "select", True),
        ("text", "integer", True),
        ("text", "decimal", True),
        ("long_text", "text", True),
        ("decimal", "integer", True),
        ("decimal", "percent", True),
        ("decimal", "currency", True),
        ("integer", "decimal", True),
        ("select", "text", True),
        ("multi_select", "select", True),
        ("tags", "multi_select", True),
        ("integer", "text", True),  # values are checked row by row first
        ("date", "text", False),
        ("lookup", "text", False),
        ("select", "multi_select", False),
    ],
)
def test_convertible_from(new, old, ok):
    assert get_type(new).convertible_from(get_type(old)) is ok


def test_every_check_id_used_in_code_is_documented():
    docs = (PACKAGE / "CHECKS.md").read_text(encoding="utf-8")
    used: set[str] = set()
    for path in PACKAGE.glob("*.py"):
        used |= set(re.findall(r'"(meta\.E\d{3})"', path.read_text(encoding="utf-8")))
    assert used, "no check ids found"
    for pid in sorted(used):
        assert f"| {pid} |" in docs, pid


def test_every_error_code_raised_is_listed_and_documented():
    docs = (PACKAGE / "CHECKS.md").read_text(encoding="utf-8")
    for code in ERROR_CODES:
        assert f"| {code} " in docs, code
    source = (PACKAGE / "validation.py").read_text(encoding="utf-8")
    for code in re.findall(r'^([A-Z_]+) = "', source, re.M):
        assert code in ERROR_CODES
