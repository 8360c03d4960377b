"""Job handlers by kind.

A handler is a plain function ``run(ctx, payload) -> dict | None``. Packages declare theirs in
their ``tasks.py`` with the module-level ``@handler("kind")`` decorator, which only *tags* the
function (no global state); the entry point that builds a worker collects them into a
``HandlerRegistry`` with ``registry.include(module)``. Tests build their own registry.

    from accord.jobs import handler

    @handler("sales.recalculate_forecast")
    def recalculate_forecast(ctx: Context, payload: dict) -> dict | None:
        ...

The handler runs inside the job's unit of work (``ctx.conn``); whatever it writes commits
together with the job's completion, or not at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any, TypeVar

from accord.core.context import Context
from accord.jobs.model import Backoff

HandlerFn = Callable[[Context, dict[str, Any]], dict[str, Any] | None]
F = TypeVar("F", bound=HandlerFn)

_KIND = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
_TAG = "__accord_job_handler__"


@dataclass(frozen=True)
class Handler:
    kind: str
    fn: HandlerFn
    # None: the worker's default backoff
    backoff: Backoff | None = None


def check_kind(kind: str) -> str:
    """Kinds are dotted snake_case names, ``package.verb_noun``, at most 100 characters."""
    if not isinstance(kind, str) or len(kind) > 100 or not _KIND.match(kind):
        raise ValueError(f"job kind must be dotted snake_case (≤ 100 chars), got {kind!r}")
    return kind


def handler(kind: str, *, backoff: Backoff | None = None) -> Callable[[F], F]:
    """Tag ``fn`` as the handler of ``kind``; ``HandlerRegistry.include`` picks it up."""
    check_kind(kind)

    def tag(fn: F) -> F:
        setattr(fn, _TAG, Handler(kind, fn, backoff))
        return fn

    return tag


class HandlerRegistry:
    """The handlers one worker can run. Built once by an entry point, then read-only."""

    def __init__(self, handlers: Iterable[Handler] = ()) -> None:
        self._handlers: dict[str, Handler] = {}
        for h in handlers:
            self._add(h)

    def _add(self, h: Handler) -> None:
        check_kind(h.kind)
        existing = self._handlers.get(h.kind)
        if existing is not None and existing.fn is not h.fn:
            raise ValueError(f"two handlers for job kind {h.kind!r}")
        self._handlers[h.kind] = h

    def register(self, kind: str, fn: HandlerFn, *, backoff: Backoff | None = None) -> None:
        self._add(Handler(kind, fn, backoff))

    def handler(self, kind: str, *, backoff: Backoff | None = None) -> Callable[[F], F]:
        """Decorator registering ``fn`` in this registry (handy in tests)."""

        def deco(fn: F) -> F:
            self.register(kind, fn, backoff=backoff)
            return fn

        return deco

    def include(self, *modules: ModuleType) -> HandlerRegistry:
        """Register every ``@handler``-tagged function found in ``modules``."""
        for module in modules:
            for value in vars(module).values():
                tagged = getattr(value, _TAG, None)
                if isinstance(tagged, Handler):
                    self._add(tagged)
        return self

    def only(self, kinds: Iterable[str]) -> HandlerRegistry:
        """A registry with just ``kinds`` (a worker dedicated to some queues)."""
        wanted = set(kinds)
        unknown = wanted - self._handlers.keys()
        if unknown:
            raise ValueError(f"no handler for job kinds {sorted(unknown)}")
        return HandlerRegistry(h for k, h in self._handlers.items() if k in wanted)

    def get(self, kind: str) -> Handler | None:
        return self._handlers.get(kind)

    def kinds(self) -> list[str]:
        return sorted(self._handlers)

    def __contains__(self, kind: object) -> bool:
        return kind in self._handlers

    def __iter__(self) -> Iterator[Handler]:
        return iter(self._handlers.values())

    def __len__(self) -> int:
        return len(self._handlers)
