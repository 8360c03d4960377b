"""Request dependencies: the runtime, the acting user and the unit of work (``ctx``)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request

from accord.auth.service import authenticate_token
from accord.core.context import Actor, Context, Runtime
from accord.core.errors import Unauthenticated
from accord.db.engine import unit_of_work

TOKEN_CACHE_SECONDS = 5.0  # a revoked token stops working within this many seconds


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime  # type: ignore[no-any-return]


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("AUTH_REQUIRED", "Send an API token: Authorization: Bearer <token>.")
    return token.strip()


def _actor(runtime: Runtime, conn: object, token: str) -> Actor:
    # A short-lived per-process cache: token checks would otherwise be a query per request.
    cache: dict[str, tuple[float, Actor]] = runtime.caches.setdefault("api_tokens", {})
    hit = cache.get(token)
    now = time.monotonic()
    if hit is not None and now - hit[0] < TOKEN_CACHE_SECONDS:
        return hit[1]
    actor = authenticate_token(conn, token, runtime.clock)  # type: ignore[arg-type]
    if len(cache) > 10_000:
        cache.clear()
    cache[token] = (now, actor)
    return actor


def _context(request: Request, readonly: bool) -> Iterator[Context]:
    runtime = get_runtime(request)
    token = _bearer(request)
    with unit_of_work(runtime.engine, readonly=readonly) as conn:
        actor = _actor(runtime, conn, token)
        yield Context(runtime=runtime, conn=conn, actor=actor)


def read_context(request: Request) -> Iterator[Context]:
    yield from _context(request, readonly=True)


def write_context(request: Request) -> Iterator[Context]:
    yield from _context(request, readonly=False)


ReadCtx = Annotated[Context, Depends(read_context, scope="function")]
WriteCtx = Annotated[Context, Depends(write_context, scope="function")]
