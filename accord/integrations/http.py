"""Outbound HTTP for webhooks and group robots: one POST with a timeout, an answer that says
what happened, and a clear line between "try again later" and "this will never work"."""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx

USER_AGENT = "Accord-CRM (+https://github.com/accord-crm/accord)"
MAX_EXCERPT = 2000  # characters of the response body kept for the delivery log


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    body: str  # at most MAX_EXCERPT characters
    elapsed_ms: int

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def retryable(self) -> bool:
        """Worth trying again: the endpoint is overloaded, rate-limiting or broken for now."""
        return self.status in (408, 409, 425, 429) or self.status >= 500


class TransportError(Exception):
    """No HTTP answer at all (refused, reset, DNS, TLS, timeout): always worth a retry."""

    def __init__(self, detail: str, elapsed_ms: int) -> None:
        super().__init__(detail)
        self.detail = detail
        self.elapsed_ms = elapsed_ms


def post(
    url: str,
    body: bytes,
    headers: dict[str, str] | None = None,
    *,
    timeout: float = 10.0,
) -> HttpAnswer:
    """POST ``body`` to ``url``; redirects are not followed (a signed delivery must reach the
    address it was signed for)."""
    sent = {"Content-Type": "application/json", "User-Agent": USER_AGENT, **(headers or {})}
    started = time.monotonic()
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False) as client:
            r = client.post(url, content=body, headers=sent)
    except httpx.HTTPError as exc:
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        raise TransportError(detail, _ms(started)) from None
    return HttpAnswer(r.status_code, r.text[:MAX_EXCERPT], _ms(started))


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
