"""`/metrics` in the Prometheus text format: request counts and latency per route, and the
job queue's depth. Counters are per process (each server process is scraped on its own)."""

from __future__ import annotations

import time
from collections import defaultdict
from threading import Lock

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    def __init__(self) -> None:
        self.lock = Lock()
        self.requests: dict[tuple[str, str, int], int] = defaultdict(int)
        self.buckets: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * len(BUCKETS))
        self.sums: dict[tuple[str, str], float] = defaultdict(float)
        self.counts: dict[tuple[str, str], int] = defaultdict(int)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        with self.lock:
            self.requests[(method, route, status)] += 1
            key = (method, route)
            self.sums[key] += seconds
            self.counts[key] += 1
            b = self.buckets[key]
            for i, le in enumerate(BUCKETS):
                if seconds <= le:
                    b[i] += 1

    def render(self, extra: list[str]) -> str:
        lines = ["# TYPE accord_http_requests_total counter"]
        with self.lock:
            for (m, r, s), n in sorted(self.requests.items()):
                labels = f'method="{m}",route="{r}",status="{s}"'
                lines.append(f"accord_http_requests_total{{{labels}}} {n}")
            lines.append("# TYPE accord_http_request_seconds histogram")
            for (m, r), b in sorted(self.buckets.items()):
                base = f'method="{m}",route="{r}"'
                name = "accord_http_request_seconds"
                for le, n in zip(BUCKETS, b, strict=True):
                    lines.append(f'{name}_bucket{{{base},le="{le}"}} {n}')
                c = self.counts[(m, r)]
                lines.append(f'{name}_bucket{{{base},le="+Inf"}} {c}')
                lines.append(f"{name}_sum{{{base}}} {self.sums[(m, r)]:.6f}")
                lines.append(f"{name}_count{{{base}}} {c}")
        return "\n".join(lines + extra) + "\n"


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def wrapped(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, wrapped)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", "unmatched")
            self.metrics.observe(scope["method"], path, status, time.perf_counter() - start)


def metrics_endpoint(metrics: Metrics, queue_depth: object) -> object:
    def endpoint(request: Request) -> Response:
        extra: list[str] = []
        try:
            depth = queue_depth()  # type: ignore[operator]
            extra.append("# TYPE accord_jobs gauge")
            for status, n in sorted(depth.items()):
                extra.append(f'accord_jobs{{status="{status}"}} {n}')
        except Exception:
            extra.append("# accord_jobs unavailable")
        return PlainTextResponse(metrics.render(extra), media_type="text/plain; version=0.0.4")

    return endpoint
