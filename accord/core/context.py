"""The explicit context every service takes: who acts, in which unit of work, at what time.

``Runtime`` is process-wide (settings, engine, clock, caches) and built once by an entry point;
``Context`` is per unit of work (a request, a command, a job) and carries the open connection.
No globals, no thread-locals: tests build both with a fixed clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Connection, Engine

from accord.core.clock import Clock
from accord.core.settings import Settings

SYSTEM_USER_ID = "00000000-0000-7000-8000-000000000000"


@dataclass(frozen=True)
class Actor:
    """The acting user; ``is_system`` for jobs, migrations and installers."""

    id: str
    login: str
    is_admin: bool = False
    is_system: bool = False
    locale: str = "zh_CN"
    timezone: str = "Asia/Shanghai"


SYSTEM_ACTOR = Actor(id=SYSTEM_USER_ID, login="system", is_admin=True, is_system=True)


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    clock: Clock
    # Per-package caches keyed by package name (e.g. "meta"); each package owns its entry.
    caches: dict[str, Any] = field(default_factory=dict)


@dataclass
class Context:
    runtime: Runtime
    conn: Connection
    actor: Actor = SYSTEM_ACTOR
    # Automation depth guard and similar per-unit-of-work state live here, not in globals.
    depth: int = 0
    # Per-unit-of-work memo (e.g. the metadata registry read once per request), owned by the
    # package that writes the key.
    memo: dict[str, Any] = field(default_factory=dict)

    @property
    def clock(self) -> Clock:
        return self.runtime.clock

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    @property
    def dialect(self) -> str:
        return self.conn.dialect.name

    def as_actor(self, actor: Actor) -> Context:
        return replace(self, actor=actor)
