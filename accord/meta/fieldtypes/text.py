"""Text family: text, long_text, rich_text, email, phone, url.

Text values are stripped of surrounding whitespace (rich and long text keep theirs) and of NUL
characters (PostgreSQL refuses them); whitespace-only text is no value (None). Numbers are
accepted and turned into text so that integer/decimal fields can change to text.

| check id  | type                 | problem                                                 |
|-----------|----------------------|---------------------------------------------------------|
| meta.E101 | text                 | ``max_length`` is not an integer in 1..10000            |
| meta.E102 | long_text, rich_text | ``max_length`` not a positive integer within the cap    |
| meta.E103 | phone                | ``region`` is not a region code known to phonenumbers   |
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import phonenumbers
from sqlalchemy import String, Text

from accord.meta.fieldtypes.base import ColumnSpec, Problem
from accord.meta.fieldtypes.common import BaseType, is_int, option_problem
from accord.meta.fieldtypes.registry import register
from accord.meta.fieldtypes.validation import (
    INVALID_EMAIL,
    INVALID_PHONE,
    INVALID_URL,
    TOO_LONG,
    check_text,
    fail,
    type_error,
)
from accord.meta.model import FieldDef, ObjectDef

TEXT_MAX = 10_000
LONG_TEXT_MAX = 100_000
RICH_TEXT_MAX_BYTES = 1_048_576  # 1 MB of UTF-8


def as_text(value: Any) -> str:
    """A text input: str as is; int/Decimal (not bool) as their text; anything else refused."""
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if is_int(value):
        return str(value)
    if isinstance(value, Decimal) and value.is_finite():
        return format(value, "f")
    raise type_error("text", value)


@register
class TextType(BaseType):
    name = "text"
    label = {"en": "Text", "zh": "单行文本"}
    kind = "text"
    widget = "text-input"
    can_be_unique = True
    can_be_searchable = True
    converts_from = frozenset(
        {"long_text", "email", "phone", "url", "select", "integer", "decimal", "auto_number"}
    )

    def check(
        self, field: FieldDef, obj: ObjectDef, objects: Mapping[str, ObjectDef]
    ) -> list[Problem]:
        n = field.options.get("max_length", 255)
        if not is_int(n) or not 1 <= n <= TEXT_MAX:
            return [option_problem(field, obj, "meta.E101", f"max_length must be 1..{TEXT_MAX}")]
        return []

    def columns(self, field: FieldDef) -> list[ColumnSpec]:
        return [ColumnSpec(field.name, String(field.options.get("max_length", 255)))]

    def coerce(self, value: Any, field: FieldDef) -> Any:
        if value is None:
            return None
        if type(value) is not str or "\x00" in value:
            value = as_text(value)
        value = value.strip()
        if not value:
            return None
        limit = field.options.get("max_length", 255)
        if len(value) > limit:
            raise fail(TOO_LONG, f"at most {limit} characters (got {len(value)})")
        return check_text(value, field) if field.validation else value

    def value_schema(self, field: FieldDef) -> dict[str, Any]:
        return {"type": "string", "maxLength": field.options.get("max_length", 255)}


@register
class LongTextType(BaseType):
    name = "long_text"
    label = {"en": "Long text", "zh": "多行文本"}
    kind = "text"
    widget = "textarea"
    can_be_indexed = False
    can_be_searchable = True
    cap = LONG_TEXT_MAX
    converts_from = frozenset({"text", "email", "phone", "url", "select", "rich_text"})

    def check(
        self, field: FieldDef, obj: ObjectDef, objects: Mapping[str, ObjectDef]
    ) -> list[Problem]:
        n = field.options.get("max_length", self.cap)
        if not is_int(n) or not 1 <= n <= self.cap:
            msg = f"max_length must be 1..{self.cap}"
            return [option_problem(field, obj, "meta.E102", msg)]
        return []

    def columns(self, field: FieldDef) -> list[ColumnSpec]:
        return [ColumnSpec(field.name, Text())]

    def coerce(self, value: Any, field: FieldDef) -> Any:
        if value is None:
            return None
        if type(value) is not str or "\x00" in value:
            value = as_text(value)
        if not value or value.isspace():
            return None
        limit = field.options.get("max_length", self.cap)
        if len(value) > limit:
            raise fail(TOO_LONG, f"at most {limit} characters (got {len(value)})")
        return check_text(value, field) if field.validation else value

    def parse_text(self, text: str, field: FieldDef) -> Any:
        return self.coerce(text, field)  # keep the cell's own line breaks and indentation

    def value_schema(self, field: FieldDef) -> dict[str, Any]:
        return {"type": "string", "maxLength": field.options.get("max_length", self.cap)}


@register
class RichTextType(LongTextType):
    """HTML stored as given (capped at 1 MB of UTF-8). The UI sanitises/escapes on output."""

    name = "rich_text"
    label = {"en": "Rich text", "zh": "富文本"}
    widget = "rich-editor"
    can_be_searchable = False
    sortable = False
    cap = RICH_TEXT_MAX_BYTES
    converts_from = frozenset({"long_text", "text"})

    def coerce(self, value: Any, field: FieldDef) -> Any:
        if value is None:
            return None
        if type(value) is not str or "\x00" in value:
            value = as_text(value)
        if not value or value.isspace():
            return None
        limit = field.options.get("max_length", self.cap)
        # A character is at most 4 bytes: only long values need encoding to measure.
        if len(value) * 4 > limit and len(value.encode("utf-8")) > limit:
            raise fail(TOO_LONG, f"at most {limit} bytes of UTF-8")
        return check_text(value, field) if field.validation else value

    def value_schema(self, field: FieldDef) -> dict[str, Any]:
        return {"type": "string", "contentMediaType": "text/html"}


# --- email ----------------------------------------------------------------------------------

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = re.compile(
    rf"({_ATOM}(?:\.{_ATOM})*)@((?:{_LABEL}\.)+(?:[A-Za-z]{{2,63}}|xn--[A-Za-z0-9-]{{1,59}}))"
)


@register
class EmailType(BaseType):
    """ASCII addresses (IDN domains in punycode); the domain is lower-cased, the local part kept."""

    name = "email"
    label = {"en": "Email", "zh": "邮箱"}
    kind = "text"
    widget = "email-input"
    can_be_unique = True
    can_be_searchable = True
    converts_from = frozenset({"text"})

    def columns(self, field: FieldDef) -> list[ColumnSpec]:
        return [ColumnSpec(field.name, String(320))]

    def coerce(self, value: Any, field: FieldDef) -> Any:
        if value is None:
            return None
        if type(value) is not str:
            raise type_error("text", value)
        value = value.strip()
        if not value:
            return None
        if len(value) > 320:
            raise fail(TOO_LONG, "an e-mail address has at most 320 characters")
        m = _EMAIL.fullmatch(value)
        if m is None or len(m.group(1)) > 64:
            raise fail(INVALID_EMAIL, f"{value!r} is not an e-mail address")
        domain = m.group(2)
        if not domain.islower():
            value = f"{m.group(1)}@{domain.lower()}"
        return check_text(value, field) if field.validation else value

    def parse_text(self, text: str, field: FieldDef) -> Any:
        text = text.strip()
        if text[:7].lower() == "mailto:":
            text = text[7:]
        if text.endswith(">") and "<" in text:  # "Zhang San <zs@example.com>"
            text = text[text.rindex("<") + 1 : -1]
        return self.coerce(text, field) if text else None

    def value_schema(self, field: FieldDef) -> dict[str, Any]:
        return {"type": "string", "format": "email", "maxLength": 320}


# --- phone ----------------------------------------------------------------------------------


_CN_MOBILE_SHAPE = re.compile(r"(?:\+86|0086)?[\s-]*(1\d{2})[\s-]*(\d{4})[\s-]*(\d{4})")


@lru_cache(maxsize=1)
def _cn_mobile_pattern() -> re.Pattern[str]:
    """libphonenumber's own pattern of valid Chinese mobile numbers (from its metadata)."""
    md = phonenumbers.PhoneMetadata.metadata_for_region("CN")
    return re.compile(md.mobile.national_number_pattern)  # type: ignore[union-attr]


def _fast_cn_mobile(text: str, region: str) -> str | None:
    """E.164 of a Chinese mobile number written in one of the usual ways, without a full parse
    (which dominates bulk imports); None means: take the full path. The validity test is
    libphonenumber's own mobile pattern, so the answer is the same as the full path's."""
    if region != "CN" and not text.startswith(("+86", "0086")):
        return None
    m = _CN_MOBILE_SHAPE.fullmatch(text.strip())
    if m is None:
        return None
    digits = "".join(m.groups())
    return "+86" + digits if _cn_mobile_pattern().fullmatch(digits) else None


@lru_cache(maxsize=16_384)
def normalize_phone(text: str, region: str) -> tuple[str | None, str]:
    """(E.164 number, "") or (None, why). Cached: parsing costs ~80 µs and imports and
    updates often repeat numbers."""
    if len(text) > 64:
        return None, "too long for a phone number"
    fast = _fast_cn_mobile(text, region)
    if fast is not None:
        return fast, ""
    try:
        num = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None, f"{text!r} is not a phone number"
    if not phonenumbers.is_valid_number(num):
        return None, f"{text!r} is not a valid phone number"
    out = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
    if num.extension:
        if len(num.extension) > 10:
            return None, "the extension is too long"
        out = f"{out};ext={num.extension}"
    return out, ""


@register
class PhoneType(BaseType):
    """Normalised to E.164 (``+8613800138000``) with ``phonenumbers``; numbers without a country
    code are read in option ``region`` (default ``CN``). An extension is kept as ``;ext=123``."""

    name = "phone"
    label = {"en": "Phone", "zh": "电话"}
    kind = "text"
    widget = "phone-input"
    can_be_unique = True
    can_be_searchable = True
    converts_from = frozenset({"text"})

    def check(
        self, field: FieldDef, obj: ObjectDef, objects: Mapping[str, ObjectDef]
    ) -> list[Problem]:
        region = field.options.get("region", "CN")
        if region not in phonenumbers.SUPPORTED_REGIONS:
            msg = f"region {region!r} is not a known region code (e.g. 'CN', 'US')"
            return [option_problem(field, obj, "meta.E103", msg)]
        return []

    def columns(self, field: FieldDef) -> list[ColumnSpec]:
        return [ColumnSpec(field.name, String(32))]

    def coerce(self, value: Any, field: FieldDef) -> Any:
        if value is None:
            return None
        if type(value) is not str:
            if not is_int(value):
                raise type_error("text", value)
            value = str(value)
        value = value.strip()
        if not value:
            return None
        out, problem = normalize_phone(value, str(field.options.get("region", "CN")))
        if out is None:
            raise fail(INVALID_PHONE, problem)
        return check_text(out, field) if field.validation else out

    def value_schema(self, field: FieldDef) -> dict[str, Any]:
        return {"type": "string", "pattern": r"^\+[1-9]\d{1,14}(;ext=\d{1,10})?$"}


# --- url ------------------------------------------------------------------------------------

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):(.*)", re.S)
_BAD_CHARS = re.compile(r"[\s\x00-\x1f\x7f]")
_HOST = re.compile(
    r"(?:[^\W_](?:[\w-]{0,61}[^\W_])?)(?:\.[^\W_](?:[\w-]{0,61}[^\W_])?)*\.?|[0-9A-Fa-f:.]+"
)
URL_MAX = 2048


@register
class UrlType(BaseType):
    """http(s) only: ``javascript:``, ``data:`` and the like are refused; a URL without scheme
    (``example.com/x``, ``localhost:8080``) gets ``https://``."""

    name = "url"
    label = {"en": "URL", "zh": "网址"}
    kind = "text"
    widget = "url-input"
    can_be_unique = True
    can_be_searchable = True
    converts_from = frozenset({"text"})

    def columns(self, field: FieldDef) -> list[ColumnSpec]:
        return [ColumnSpec(field.name, String(URL_MAX))]

    def coerce(self, value: Any, field: FieldDef) -> Any:
        if value is None:
            return None
        if type(value) is not str:
            raise type_error("text", value)
        value = value.strip()
        if not value:
            return None
        if len(value) > URL_MAX:
            raise fail(TOO_LONG, f"a URL has at most {URL_MAX} characters")
        if _BAD_CHARS.search(value):
            raise fail(INVALID_URL, "a URL cannot contain spaces or control characters")
        m = _SCHEME.match(value)
        if m is not None and not m.group(2)[:1].isdigit():  # "host:8080" is not a scheme
            scheme = m.group(1).lower()
            if scheme not in ("http", "https") or not m.group(2).startswith("//"):
                raise fail(INVALID_URL, "only http:// and https:// links are allowed")
            value = scheme + value[len(scheme) :]
        elif value.startswith("//"):
            value = "https:" + value
        else:
            value = "https://" + value
        try:
            parts = urlsplit(value)
            host = parts.hostname
            parts.port  # noqa: B018 - raises on a bad port
        except ValueError:
            raise fail(INVALID_URL, f"{value!r} is not a valid URL") from None
        if not host or _HOST.fullmatch(host) is None:
            raise fail(INVALID_URL, f"{value!r} has no valid host")
        if len(value) > URL_MAX:
            raise fail(TOO_LONG, f"a URL has at most {URL_MAX} characters")
        return check_text(value, field) if field.validation else value

    def value_schema(self, field: FieldDef) -> dict[str, Any]:
        return {"type": "string", "format": "uri", "pattern": "^https?://", "maxLength": URL_MAX}
