"""The acting user and the unit of work (``ctx``) of an API request.

A route asks for ``ctx: ReadCtx`` (read-only unit of work) or ``ctx: WriteCtx``. Routers made
with ``api_router`` run such a route in **one** worker-thread hop: authenticate, open the unit of
work, call the route, commit (or roll back on an exception), all in the same thread. FastAPI's
own generator dependencies would cost three hops per request (enter, endpoint, exit), which on a
small machine more than halves the requests per second (ADR 0019).

Authentication (ADR 0008, ADR 0020): an ``Authorization: Bearer`` token (cached per process for
5 s; never subject to CSRF), else the session cookie of the web UI (checked against the
``sessions`` table on every request; a state-changing method must carry the session's CSRF token
in ``X-CSRF-Token``). A token's ``last_used_at`` and a session's ``last_seen_at`` are written at
most once a minute, after the request, in a short transaction of their own: a read stays a read.

An ``AccordError`` raised with ``commit=True`` (a wrong password during re-authentication) lets
the unit of work commit what it recorded before the error is answered.
"""

from __future__ import annotations

import inspect
import logging
import time
import typing
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.routing import APIRoute
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from accord.auth.sessions import authenticate_session, csrf_matches, csrf_token, touch_session
from accord.auth.tokens import authenticate as authenticate_token
from accord.auth.tokens import touch_token
from accord.core.context import Actor, Context, Runtime
from accord.core.errors import AccordError, FieldError, Forbidden, Invalid, Unauthenticated
from accord.core.settings import Settings
from accord.db.engine import unit_of_work

log = logging.getLogger("accord.api")
KEYWORD_ONLY = inspect.Parameter.KEYWORD_ONLY
TOKEN_CACHE_SECONDS = 5.0  # a revoked token stops working within this many seconds
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_HEADER = "x-csrf-token"
SESSION = "api.session"  # ctx.memo key: the CookieSession of a cookie-authenticated request


@dataclass(frozen=True)
class UnitOfWork:
    """Marks the route parameter that receives the request's ``Context``."""

    readonly: bool


ReadCtx = Annotated[Context, UnitOfWork(readonly=True)]
WriteCtx = Annotated[Context, UnitOfWork(readonly=False)]


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime  # type: ignore[no-any-return]


def client_ip(request: Request, settings: Settings) -> str | None:
    """The client's address: the peer, or (``ACCORD_TRUST_PROXY_HEADERS``) the address the
    reverse proxy appended last to ``X-Forwarded-For``."""
    if settings.trust_proxy_headers:
        forwarded = request.headers.get("x-forwarded-for")
        if forwarded:
            last = forwarded.rsplit(",", 1)[-1].strip()
            if last:
                return last[:45]
    return request.client.host if request.client else None


def is_https(request: Request, settings: Settings) -> bool:
    """Whether the client talks HTTPS to us (or, trusting the proxy, to the proxy)."""
    if settings.trust_proxy_headers:
        proto = request.headers.get("x-forwarded-proto")
        if proto:
            return proto.split(",", 1)[0].strip().lower() == "https"
    return request.url.scheme == "https"


@dataclass(frozen=True)
class CookieSession:
    """``ctx.memo[SESSION]`` of a request authenticated by the session cookie."""

    id: str
    csrf_token: str


def _bearer(header: str) -> str:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("AUTH_REQUIRED", "Send an API token: Authorization: Bearer <token>.")
    return token.strip()


def _session_secret(request: Request, settings: Settings) -> str:
    """The session cookie; for a state-changing method, only with its CSRF token."""
    secret = request.cookies.get(settings.session_cookie_name)
    if not secret:
        raise Unauthenticated(
            "AUTH_REQUIRED", "Send an API token (Authorization: Bearer <token>) or sign in."
        )
    if request.method in UNSAFE_METHODS and not csrf_matches(
        secret, request.headers.get(CSRF_HEADER)
    ):
        raise Forbidden("CSRF_FAILED", "Send the session's CSRF token in the X-CSRF-Token header.")
    return secret


def _actor(runtime: Runtime, conn: object, token: str) -> tuple[Actor, str | None]:
    """The token's actor, and the token's id when its ``last_used_at`` should be written."""
    # A short-lived per-process cache: token checks would otherwise be a query per request.
    cache: dict[str, tuple[float, Actor, str, datetime | None]] = runtime.caches.setdefault(
        "api_tokens", {}
    )
    hit = cache.get(token)
    now = time.monotonic()
    if (
        hit is not None
        and now - hit[0] < TOKEN_CACHE_SECONDS
        and (hit[3] is None or hit[3] > runtime.clock.now())
    ):
        return hit[1], None
    auth = authenticate_token(conn, token, runtime.clock)  # type: ignore[arg-type]
    if len(cache) > 10_000:
        cache.clear()
    cache[token] = (now, auth.actor, auth.token_id, auth.expires_at)
    return auth.actor, auth.token_id if auth.stale else None


def forget_token(runtime: Runtime, token_id: str) -> None:
    """Drop a revoked token from this process's cache (other processes: within 5 s)."""
    cache = runtime.caches.get("api_tokens")
    if cache:
        for key, value in list(cache.items()):
            if value[2] == token_id:
                cache.pop(key, None)


def _touch(runtime: Runtime, touch: tuple[Callable[..., None], str]) -> None:
    """Record that a token or session was used, in a short transaction of its own."""
    fn, ident = touch
    try:
        with unit_of_work(runtime.engine) as conn:
            fn(conn, ident, runtime.clock.now())
    except SQLAlchemyError:  # a missed last-used time must never fail the request
        log.warning("could not record the use of %s", ident, exc_info=True)


def _run(
    request: Request, readonly: bool, route: Callable[..., Any], ctx_name: str, kwargs: Any
) -> Any:
    runtime = get_runtime(request)
    header = request.headers.get("authorization")
    token = secret = None
    if header is not None:
        token = _bearer(header)  # bearer requests are not subject to CSRF
    else:
        secret = _session_secret(request, runtime.settings)
    touch: tuple[Callable[..., None], str] | None = None
    try:
        with unit_of_work(runtime.engine, readonly=readonly) as conn:
            # The audit log records where a change came from (accord/auth/audit.py).
            memo: dict[str, Any] = {"client_ip": client_ip(request, runtime.settings)}
            if token is not None:
                actor, token_id = _actor(runtime, conn, token)
                if token_id is not None:
                    touch = (touch_token, token_id)
            else:
                assert secret is not None
                auth = authenticate_session(conn, secret, runtime.clock, runtime.settings)
                actor = auth.actor
                memo[SESSION] = CookieSession(auth.session_id, csrf_token(secret))
                if auth.stale:
                    touch = (touch_session, auth.session_id)
            ctx = Context(runtime=runtime, conn=conn, actor=actor, memo=memo)
            try:
                return route(**kwargs, **{ctx_name: ctx})
            except AccordError as exc:
                if not exc.commit:
                    raise
                refused = exc  # commit what the refusal recorded, then report it
        raise refused
    finally:
        if touch is not None:
            _touch(runtime, touch)


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


def expected_version(if_match: str | None, body: Any) -> int | None:
    """The version a change expects: ``If-Match`` (a plain or weak ETag) or the body's
    ``version`` (taken out of the body); None when neither is given."""
    raw: Any = body.pop("version", None) if isinstance(body, dict) else None
    if if_match is not None:
        raw = if_match.strip().removeprefix("W/").strip('"')
    if raw is None:
        return None
    try:
        if isinstance(raw, bool):
            raise ValueError
        return int(raw)
    except (TypeError, ValueError):
        raise Invalid(
            "INVALID_VERSION",
            "The version (If-Match) must be an integer.",
            [FieldError("version", "INVALID_TYPE", "expected an integer")],
        ) from None
