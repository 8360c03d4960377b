"""Fast JSON responses (orjson) for hand-shaped payloads."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import orjson
from starlette.responses import Response


def _default(o: Any) -> Any:
    if isinstance(o, Decimal):
        return str(o)
    if isinstance(o, datetime):
        return o.isoformat().replace("+00:00", "Z")
    if isinstance(o, date | time):
        return o.isoformat()
    if isinstance(o, set | frozenset | tuple):
        return list(o)
    raise TypeError(type(o).__name__)


def dumps(data: Any) -> bytes:
    try:
        return orjson.dumps(data, default=_default, option=orjson.OPT_PASSTHROUGH_DATETIME)
    except TypeError:
        # orjson refuses integers beyond 64 bits (valid JSON, e.g. in a field's options) and
        # str-subclass dict keys; the standard library takes both.
        return json.dumps(
            data, default=_json_default, ensure_ascii=False, separators=(",", ":")
        ).encode()


def _json_default(o: Any) -> Any:
    if isinstance(o, uuid.UUID):
        return str(o)
    return _default(o)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(data), status_code=status, media_type="application/json", headers=headers)
