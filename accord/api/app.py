"""The ASGI application: REST API (and, with the web issue, the UI) in one FastAPI app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from accord.api import problems
from accord.api.metrics import Metrics, MetricsMiddleware, metrics_endpoint
from accord.api.openapi import install_openapi
from accord.api.routes import (
    approvals,
    audit,
    auth,
    automation,
    config,
    notifications,
    objects,
    org,
    privacy,
    records,
    search,
    sharing,
    tokens,
    webhooks,
)
from accord.core.context import Context, Runtime
from accord.db.engine import unit_of_work


class BodyLimit:
    """Refuse bodies above ``limit`` bytes with 413, by header or while streaming."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    too_big = int(value) > self.limit
                except ValueError:
                    too_big = True
                if too_big:
                    await self._refuse(scope, receive, send)
                    return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge
            return msg

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        resp = problems.problem(
            413,
            "Payload too large",
            f"Request bodies are limited to {self.limit} bytes.",
            "PAYLOAD_TOO_LARGE",
        )
        await resp(scope, receive, send)


class _TooLarge(Exception):
    pass


def create_app(runtime: Runtime, *, embedded_worker: bool = False) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        jobs: Any = None
        if embedded_worker:
            import threading

            from accord.engines import start_embedded

            jobs = start_embedded(runtime, threading.Event())
        yield
        if jobs is not None:
            jobs.stop()
            jobs.join(timeout=30)

    app = FastAPI(
        title="Accord API",
        version="1",
        openapi_url="/api/v1/openapi.json",
        docs_url="/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    problems.install(app)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> Response:
        from sqlalchemy import text

        with runtime.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return PlainTextResponse("ok")

    def queue_depth() -> dict[str, int]:
        from accord.jobs.service import job_stats

        with unit_of_work(runtime.engine, readonly=True) as conn:
            return job_stats(Context(runtime=runtime, conn=conn)).by_status

    metrics = Metrics()
    app.add_route("/metrics", metrics_endpoint(metrics, queue_depth), include_in_schema=False)
    routers = (
        approvals,
        objects,
        records,
        search,
        sharing,
        privacy,
        config,
        org,
        auth,
        tokens,
        audit,
    )
    routers += (webhooks,)
    routers += (notifications,)
    routers += (automation,)
    for module in routers:
        app.include_router(module.router)
    install_openapi(app, runtime)
    app.add_middleware(BodyLimit, limit=runtime.settings.max_body_bytes)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    return app
