"""Building the process-wide runtime from settings (used by the CLI, the server and tests)."""

from __future__ import annotations

import logging

from accord.core.clock import Clock, SystemClock
from accord.core.context import Runtime
from accord.core.settings import Settings, load_settings
from accord.db.engine import make_engine


def build_runtime(settings: Settings | None = None, clock: Clock | None = None) -> Runtime:
    settings = settings or load_settings()
    url = settings.resolved_database_url
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    return Runtime(settings=settings, engine=make_engine(url), clock=clock or SystemClock())
