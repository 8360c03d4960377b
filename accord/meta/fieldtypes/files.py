"""File family: file, image, signature — references to stored files, kept as JSON.

A file reference is ``{"id": uuid, "name": str, "size": int, "content_type": str}`` (other keys
are dropped); the upload service owns the bytes and checks that the id exists.

- file: a list of up to option ``max_files`` (default 10) references.
- image: the same, every ``content_type`` ``image/*``.
- signature: one reference, ``image/png`` or ``image/svg+xml``.

| check id  | type        | problem                                   |
|-----------|-------------|-------------------------------------------|
| meta.E180 | file, image | ``max_files`` is not an integer in 1..100 |
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

from accord.core.ids import parse_id
from accord.db.types import JSONType
from accord.meta.fieldtypes.base import ColumnSpec, Problem
from accord.meta.fieldtypes.common import UUID_SCHEMA, BaseType, is_int, option_problem
from accord.meta.fieldtypes.registry import register
from accord.meta.fieldtypes.validation import INVALID_FILE, TOO_MANY, fail
from accord.meta.model import FieldDef, ObjectDef

_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")
NAME_MAX = 255
MAX_FILES_LIMIT = 100

REF_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": dict(UUID_SCHEMA),
        "name": {"type": "string", "maxLength": NAME_MAX},
        "size": {"type": "integer", "minimum": 0},
        "content_type": {"type": "string"},
    },
    "required": ["id", "name", "size", "content_type"],
}


def file_ref(value: Any, allowed: frozenset[str] | None = None, prefix: str | None = None) -> dict:
    """A canonical file reference, or ``INVALID_FILE``."""
    if not isinstance(value, Mapping):
        raise fail(INVALID_FILE, "a file is {'id', 'name', 'size', 'content_type'}")
    fid = parse_id(value.get("id"))
    if fid is None:
        raise fail(INVALID_FILE, "the file id is not a UUID")
    name = value.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > NAME_MAX or "\x00" in name:
        raise fail(INVALID_FILE, f"the file name must be 1..{NAME_MAX} characters")
    size = value.get("size")
    if not is_int(size) or size < 0:
        raise fail(INVALID_FILE, "the file size must be a non-negative integer")
    ctype = value.get("content_type")
    ctype = ctype.strip().lower() if isinstance(ctype, str) else ""
    if not _MEDIA_TYPE.fullmatch(ctype):
        raise fail(INVALID_FILE, "content_type must be a media type such as 'application/pdf'")
    if (allowed is not None and ctype not in allowed) or (
        prefix is not None and not ctype.startswith(prefix)
    ):
        want = ", ".join(sorted(allowed)) if allowed else f"{prefix}*"
        raise fail(INVALID_FILE, f"content_type must be {want}")
    return {"id": fid, "name": name.strip(), "size": size, "content_type": ctype}


@register
class FileType(BaseType):
    name = "file"
    label = {"en": "File", "zh": "文件"}
    kind = "json"
    widget = "file-upload"
    can_be_indexed = False
    sortable = False
    prefix: ClassVar[str | None] = None

    def check(
        self, field: FieldDef, obj: ObjectDef, objects: Mapping[str, ObjectDef]
    ) -> list[Problem]:
        m = field.options.get("max_files", 10)
        if not is_int(m) or not 1 <= m <= MAX_FILES_LIMIT:
            msg = f"max_files must be an integer 1..{MAX_FILES_LIMIT}"
            return [option_problem(field, obj, "meta.E180", msg)]
        return []

    def columns(self, field: FieldDef) -> list[ColumnSpec]:
        return [ColumnSpec(field.name, JSONType())]

    def coerce(self, value: Any, field: FieldDef) -> Any:
        if value is None:
            return None
        if isinstance(value, Mapping):
            value = [value]
        elif not isinstance(value, list | tuple):
            raise fail(INVALID_FILE, "expected a list of file references")
        limit = field.options.get("max_files", 10)
        if len(value) > limit:
            raise fail(TOO_MANY, f"at most {limit} files")
        out: list[dict] = []
        seen: set[str] = set()
        for item in value:
            ref = file_ref(item, prefix=self.prefix)
            if ref["id"] not in seen:
                seen.add(ref["id"])
                out.append(ref)
        return out or None

    def parse_text(self, text: str, field: FieldDef) -> Any:
        if text.strip():
            raise fail(INVALID_FILE, "files cannot be imported from text; upload them")
        return None

    def value_schema(self, field: FieldDef) -> dict[str, Any]:
        limit = field.options.get("max_files", 10)
        return {"type": "array", "items": REF_SCHEMA, "maxItems": limit}


@register
class ImageType(FileType):
    name = "image"
    label = {"en": "Image", "zh": "图片"}
    widget = "image-upload"
    prefix = "image/"


SIGNATURE_TYPES = frozenset({"image/png", "image/svg+xml"})


@register
class SignatureType(BaseType):
    name = "signature"
    label = {"en": "Signature", "zh": "签名"}
    kind = "json"
    widget = "signature-pad"
    can_be_indexed = False
    sortable = False

    def columns(self, field: FieldDef) -> list[ColumnSpec]:
        return [ColumnSpec(field.name, JSONType())]

    def coerce(self, value: Any, field: FieldDef) -> Any:
        if value is None:
            return None
        if isinstance(value, list | tuple):
            if not value:
                return None
            if len(value) > 1:
                raise fail(TOO_MANY, "a signature is one image")
            value = value[0]
        return file_ref(value, allowed=SIGNATURE_TYPES)

    def parse_text(self, text: str, field: FieldDef) -> Any:
        if text.strip():
            raise fail(INVALID_FILE, "signatures cannot be imported from text")
        return None

    def value_schema(self, field: FieldDef) -> dict[str, Any]:
        return dict(REF_SCHEMA)
