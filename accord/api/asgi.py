"""ASGI entry point for process managers: ``uvicorn --factory accord.api.asgi:create``.

Each server process builds its own runtime from ``ACCORD_*`` settings (nothing is shared
between processes but the database).
"""

from __future__ import annotations

from fastapi import FastAPI

from accord.api.app import create_app
from accord.runtime import build_runtime


def create() -> FastAPI:
    runtime = build_runtime()
    return create_app(runtime, embedded_worker=runtime.settings.embedded_worker)
