"""Text family: text, long_text, rich_text, email, phone, url (+ generic validation)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import String, Text

from accord.meta.fieldtypes import get_type
from accord.meta.fieldtypes.base import FieldValueError
from accord.meta.model import FieldDef, ObjectDef


def fd(type_: str, options: dict | None = None, **kw) -> FieldDef:
    return FieldDef(name="x", type=type_, label={"en": "X"}, options=options or {}, **kw)


def coerce(type_: str, value, options: dict | None = None, **kw):
    return get_type(type_).coerce(value, fd(type_, options, **kw))


def code_of(type_: str, value, options: dict | None = None, **kw) -> str:
    with pytest.raises(FieldValueError) as exc:
        coerce(type_, value, options, **kw)
    return exc.value.code


def problems(type_: str, options: dict) -> list[str]:
    f = fd(type_, options)
    obj = ObjectDef(name="o", label={"en": "O"}, plural_label={"en": "Os"}, fields=(f,))
    return [p.id for p in get_type(type_).check(f, obj, {"o": obj})]


# --- text -------------------------------------------------------------------------------------


def test_text_strips_and_keeps_plain_strings():
    assert coerce("text", "  Acme  ") == "Acme"
    assert coerce("text", "Acme") == "Acme"


def test_text_empty_is_none():
    assert coerce("text", "") is None
    assert coerce("text", "   ") is None
    assert coerce("text", None) is None


def test_text_accepts_numbers_for_conversions():
    assert coerce("text", 42) == "42"
    assert coerce("text", Decimal("12.50")) == "12.50"


def test_text_refuses_other_types():
    assert code_of("text", True) == "INVALID_TYPE"
    assert code_of("text", ["a"]) == "INVALID_TYPE"
    assert code_of("text", {"a": 1}) == "INVALID_TYPE"


def test_text_drops_nul_characters():
    assert coerce("text", "a\x00b") == "ab"


def test_text_max_length_default_and_option():
    assert coerce("text", "x" * 255) == "x" * 255
    assert code_of("text", "x" * 256) == "TOO_LONG"
    assert code_of("text", "abcdef", {"max_length": 5}) == "TOO_LONG"


def test_text_columns():
    [spec] = get_type("text").columns(fd("text"))
    assert spec.name == "x" and isinstance(spec.type, String) and spec.type.length == 255
    [spec] = get_type("text").columns(fd("text", {"max_length": 40}))
    assert spec.type.length == 40


def test_text_checks_max_length():
    assert problems("text", {"max_length": 0}) == ["meta.E101"]
    assert problems("text", {"max_length": "10"}) == ["meta.E101"]
    assert problems("text", {"max_length": 100}) == []


def test_text_parse_text():
    t = get_type("text")
    assert t.parse_text("  hello ", fd("text")) == "hello"
    assert t.parse_text("", fd("text")) is None


def test_text_json_schema():
    schema = get_type("text").json_schema(fd("text"))
    assert schema["type"] == ["string", "null"] and schema["maxLength"] == 255


# --- generic validation -----------------------------------------------------------------------


def test_validation_regex_full_match():
    v = {"regex": r"[A-Z]{2}\d{3}"}
    assert coerce("text", "AB123", validation=v) == "AB123"
    assert code_of("text", "AB1234", validation=v) == "PATTERN_MISMATCH"
    assert code_of("text", "xAB123", validation=v) == "PATTERN_MISMATCH"


def test_validation_lengths():
    v = {"min_length": 3, "max_length": 4}
    assert coerce("text", "abc", validation=v) == "abc"
    assert code_of("text", "ab", validation=v) == "TOO_SHORT"
    assert code_of("text", "abcde", validation=v) == "TOO_LONG"


def test_validation_custom_message_keeps_the_code():
    v = {"regex": r"\d+", "message": {"en": "digits only", "zh": "只能是数字"}}
    with pytest.raises(FieldValueError) as exc:
        coerce("text", "abc", validation=v)
    assert exc.value.code == "PATTERN_MISMATCH" and exc.value.message == "digits only"


def test_validation_bad_or_huge_pattern_is_not_enforced():
    assert coerce("text", "abc", validation={"regex": "("}) == "abc"
    assert coerce("text", "abc", validation={"regex": "a" * 501}) == "abc"


def test_validation_applies_to_email_and_numbers():
    v = {"regex": r".*@acme\.com"}
    assert code_of("email", "a@other.com", validation=v) == "PATTERN_MISMATCH"
    assert code_of("integer", 11, validation={"max": 10}) == "OUT_OF_RANGE"
    assert code_of("decimal", "0.5", validation={"min": 1}) == "OUT_OF_RANGE"


# --- long text / rich text --------------------------------------------------------------------


def test_long_text_keeps_whitespace_and_newlines():
    assert coerce("long_text", "  line 1\n  line 2\n") == "  line 1\n  line 2\n"
    assert coerce("long_text", " \n ") is None
    assert get_type("long_text").parse_text("  a\nb", fd("long_text")) == "  a\nb"


def test_long_text_column_and_cap():
    [spec] = get_type("long_text").columns(fd("long_text"))
    assert isinstance(spec.type, Text)
    assert code_of("long_text", "x" * 100_001) == "TOO_LONG"
    assert code_of("long_text", "abc", {"max_length": 2}) == "TOO_LONG"
    assert problems("long_text", {"max_length": 200_000}) == ["meta.E102"]


def test_rich_text_is_stored_as_given_up_to_one_megabyte():
    html = '<p onclick="x()">Hi <script>alert(1)</script></p>'
    assert coerce("rich_text", html) == html
    assert coerce("rich_text", "中" * 300_000) == "中" * 300_000  # 900 KB
    assert code_of("rich_text", "中" * 400_000) == "TOO_LONG"  # 1.2 MB
    [spec] = get_type("rich_text").columns(fd("rich_text"))
    assert isinstance(spec.type, Text)


# --- email ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("zhang.san@example.com", "zhang.san@example.com"),
        ("  Zhang.San@Example.COM ", "Zhang.San@example.com"),
        ("a+tag@mail.example.co.uk", "a+tag@mail.example.co.uk"),
        ("x@example.xn--fiqs8s", "x@example.xn--fiqs8s"),
    ],
)
def test_email_good(raw, canonical):
    assert coerce("email", raw) == canonical


@pytest.mark.parametrize(
    "raw", ["plain", "a@", "@b.com", "a@b", "a..b@c.com", ".a@c.com", "a@-b.com", "a b@c.com"]
)
def test_email_bad(raw):
    assert code_of("email", raw) == "INVALID_EMAIL"


def test_email_limits_and_types():
    assert code_of("email", "a" * 65 + "@x.com") == "INVALID_EMAIL"
    assert code_of("email", "a@" + "b" * 320 + ".com") == "TOO_LONG"
    assert code_of("email", 12) == "INVALID_TYPE"
    assert get_type("email").columns(fd("email"))[0].type.length == 320


def test_email_import_accepts_mailto_and_display_names():
    t, f = get_type("email"), fd("email")
    assert t.parse_text("mailto:A@B.COM", f) == "A@b.com"
    assert t.parse_text("Zhang San <zs@Example.com>", f) == "zs@example.com"
    assert t.parse_text(" ", f) is None


# --- phone ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("138 0013 8000", "+8613800138000"),
        ("+86 138-0013-8000", "+8613800138000"),
        ("13800138000", "+8613800138000"),
        ("021-6234 5678", "+862162345678"),
        ("+1 650-253-0000", "+16502530000"),
        (13800138000, "+8613800138000"),
    ],
)
def test_phone_normalises_to_e164(raw, e164):
    assert coerce("phone", raw) == e164


def test_phone_region_option():
    assert coerce("phone", "(650) 253-0000", {"region": "US"}) == "+16502530000"


def test_phone_keeps_extension():
    assert coerce("phone", "021-62345678 ext. 123") == "+862162345678;ext=123"


@pytest.mark.parametrize("raw", ["12345", "not a phone", "+86 123", "1" * 70])
def test_phone_refuses_invalid_numbers(raw):
    assert code_of("phone", raw) == "INVALID_PHONE"


def test_phone_type_and_check():
    assert code_of("phone", 1.5) == "INVALID_TYPE"
    assert problems("phone", {"region": "XX"}) == ["meta.E103"]
    assert problems("phone", {"region": "US"}) == []


# --- url --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("https://example.com/a?b=1#c", "https://example.com/a?b=1#c"),
        ("HTTP://Example.com", "http://Example.com"),
        ("example.com/path", "https://example.com/path"),
        ("www.example.com", "https://www.example.com"),
        ("localhost:8080/x", "https://localhost:8080/x"),
        ("//cdn.example.com/x.js", "https://cdn.example.com/x.js"),
        ("https://例子.中国/路径", "https://例子.中国/路径"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
    ],
)
def test_url_good(raw, canonical):
    assert coerce("url", raw) == canonical


@pytest.mark.parametrize(
    "raw",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "javascript://%0aalert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox",
        "ftp://example.com",
        "mailto:a@b.com",
        "http:example.com",
        "https://exa mple.com",
        "java\tscript:alert(1)",
        "https://",
        "https://example.com:99999",
        "https://[::1",
    ],
)
def test_url_bad(raw):
    assert code_of("url", raw) == "INVALID_URL"


def test_url_too_long():
    assert code_of("url", "https://e.com/" + "a" * 2100) == "TOO_LONG"
