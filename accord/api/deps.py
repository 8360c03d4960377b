"""The acting user and the unit of work (``ctx``) of an API request.

A route asks for ``ctx: ReadCtx`` (read-only unit of work) or ``ctx: WriteCtx``. Routers made
with ``api_router`` run such a route in **one** worker-thread hop: authenticate, open the unit of
work, call the route, commit (or roll back on an exception), all in the same thread. FastAPI's
own generator dependencies would cost three hops per request (enter, endpoint, exit), which on a
small machine more than halves the requests per second (ADR 0019).
"""

from __future__ import annotations

import inspect
import time
import typing
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from accord.auth.service import authenticate_token
from accord.core.context import Actor, Context, Runtime
from accord.core.errors import Unauthenticated
from accord.db.engine import unit_of_work

KEYWORD_ONLY = inspect.Parameter.KEYWORD_ONLY
TOKEN_CACHE_SECONDS = 5.0  # a revoked token stops working within this many seconds


@dataclass(frozen=True)
class UnitOfWork:
    """Marks the route parameter that receives the request's ``Context``."""

    readonly: bool


ReadCtx = Annotated[Context, UnitOfWork(readonly=True)]
WriteCtx = Annotated[Context, UnitOfWork(readonly=False)]


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


def _run(
    request: Request, readonly: bool, route: Callable[..., Any], ctx_name: str, kwargs: Any
) -> Any:
    runtime = get_runtime(request)
    token = _bearer(request)
    with unit_of_work(runtime.engine, readonly=readonly) as conn:
        actor = _actor(runtime, conn, token)
        # The audit log records where a change came from (accord/auth/audit.py).
        memo = {"client_ip": request.client.host if request.client else None}
        ctx = Context(runtime=runtime, conn=conn, actor=actor, memo=memo)
        return route(**kwargs, **{ctx_name: ctx})


def in_unit_of_work(route: Callable[..., Any]) -> Callable[..., Any]:
    """``route`` as an async endpoint that runs it, with its ``ctx``, in one worker thread; a
    route without a ``ReadCtx``/``WriteCtx`` parameter is returned unchanged."""
    hints = typing.get_type_hints(route, include_extras=True)
    marked = [
        (name, m)
        for name, hint in hints.items()
        for m in getattr(hint, "__metadata__", ())
        if isinstance(m, UnitOfWork)
    ]
    if not marked:
        return route
    ctx_name, marker = marked[0]
    sig = inspect.signature(route)
    params = [
        p.replace(kind=KEYWORD_ONLY, annotation=hints.get(p.name, p.annotation))
        for p in sig.parameters.values()
        if p.name != ctx_name
    ]
    takes_request = "request" in sig.parameters
    if not takes_request:
        params.insert(0, inspect.Parameter("request", KEYWORD_ONLY, annotation=Request))

    async def endpoint(**kwargs: Any) -> Any:
        request = kwargs["request"] if takes_request else kwargs.pop("request")
        call = partial(_run, request, marker.readonly, route, ctx_name, kwargs)
        return await run_in_threadpool(call)

    endpoint.__signature__ = sig.replace(  # type: ignore[attr-defined]
        parameters=params, return_annotation=hints.get("return", sig.return_annotation)
    )
    for attr in ("__name__", "__qualname__", "__doc__", "__module__"):
        setattr(endpoint, attr, getattr(route, attr))
    return endpoint


class UnitOfWorkRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, in_unit_of_work(endpoint), **kwargs)


def api_router(**kwargs: Any) -> APIRouter:
    """An ``APIRouter`` whose routes may take ``ctx: ReadCtx`` / ``ctx: WriteCtx``."""
    return APIRouter(route_class=UnitOfWorkRoute, **kwargs)
