"""RFC 9457 problem+json for every error the API returns."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from accord.core.errors import AccordError

log = logging.getLogger("accord.api")
MEDIA = "application/problem+json"


def problem(
    status: int,
    title: str,
    detail: str,
    code: str,
    errors: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> Response:
    body: dict[str, Any] = {
        "type": f"https://accord.dev/problems/{code.lower().replace('_', '-')}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "errors": errors or [],
    }
    body.update(extra)
    return Response(orjson.dumps(body), status_code=status, media_type=MEDIA)


def _location(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or str(loc[0] if loc else "request")


def install(app: FastAPI) -> None:
    @app.exception_handler(AccordError)
    async def _accord(request: Request, exc: AccordError) -> Response:
        extra = {"data": exc.data} if exc.data else {}
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        if exc.status == 429 and "retry_after" in exc.data:
            headers = {"Retry-After": str(exc.data["retry_after"])}
        resp = problem(
            exc.status, exc.title, exc.message, exc.code, [e.as_dict() for e in exc.errors], **extra
        )
        if headers:
            resp.headers.update(headers)
        return resp

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = []
        code = "INVALID_REQUEST"
        for e in exc.errors():
            etype = str(e.get("type", "invalid"))
            if etype in ("json_invalid", "value_error.jsondecode"):
                code = "MALFORMED_JSON"
            errors.append(
                {
                    "field": _location(e.get("loc", ())),
                    "code": etype.upper(),
                    "message": str(e.get("msg", ""))[:300],
                }
            )
        detail = (
            "The request body is not valid JSON."
            if code == "MALFORMED_JSON"
            else "The request does not match what this endpoint accepts."
        )
        return problem(
            400 if code == "MALFORMED_JSON" else 422, "Invalid request", detail, code, errors
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        titles = {404: "Not found", 405: "Method not allowed", 413: "Payload too large"}
        code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "PAYLOAD_TOO_LARGE"}.get(
            exc.status_code, "HTTP_ERROR"
        )
        resp = problem(exc.status_code, titles.get(exc.status_code, "Error"), str(exc.detail), code)
        if exc.headers:
            resp.headers.update(exc.headers)
        return resp

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(
            500,
            "Internal error",
            "Something went wrong on our side; it is logged.",
            "INTERNAL_ERROR",
        )
