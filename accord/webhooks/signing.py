"""Signing outbound webhook bodies, and checking a signature the way a receiver should.

Every delivery carries::

    Accord-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
    Accord-Event: record.updated   (percent-encoded when not ASCII; the body has it as it is)
    Accord-Delivery: 1234          (receivers dedupe on it: delivery is at-least-once)

The timestamp is part of what is signed, so a captured request cannot be replayed later than
the receiver's tolerance (``verify(..., tolerance=300)``). Several ``v1=`` values may appear
(a receiver accepts the request when any matches); Accord sends one.

This module is deliberately dependency-free (standard library only) so receivers written in
Python can copy ``verify`` as it is.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from urllib.parse import quote

SIGNATURE_HEADER = "Accord-Signature"
EVENT_HEADER = "Accord-Event"
DELIVERY_HEADER = "Accord-Delivery"
ATTEMPT_HEADER = "Accord-Attempt"
SCHEME = "v1"
DEFAULT_TOLERANCE = 300  # seconds a signature stays acceptable (the replay window)


def new_secret() -> str:
    """A fresh signing secret: ``whsec_`` and 32 random bytes, URL-safe base64."""
    return "whsec_" + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``"<timestamp>.<body>"`` under ``secret``."""
    message = str(int(timestamp)).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, now: datetime) -> str:
    """The ``Accord-Signature`` value for ``body`` sent at ``now``."""
    t = int(now.timestamp())
    return f"t={t},{SCHEME}={signature(secret, t, body)}"


def headers(secret: str, body: bytes, now: datetime, *, event: str, delivery_id: int,
            attempt: int) -> dict[str, str]:  # fmt: skip
    """Every header a delivery carries besides Content-Type and User-Agent."""
    return {
        SIGNATURE_HEADER: signature_header(secret, body, now),
        EVENT_HEADER: header_safe(event),
        DELIVERY_HEADER: str(delivery_id),
        ATTEMPT_HEADER: str(attempt),
    }


def header_safe(event: str) -> str:
    """The event as an HTTP header value: unchanged when printable ASCII, else percent-encoded
    UTF-8 (a rule named in Chinese); the body always carries it as it is."""
    if event.isascii() and event.isprintable():
        return event
    return quote(event, safe="._:-/ ")


def parse_header(header: str) -> tuple[int | None, list[str]]:
    """``(timestamp, [v1 signatures])`` of an ``Accord-Signature`` value; ``(None, [])`` when
    malformed."""
    timestamp: int | None = None
    found: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            if not value.isdigit() or len(value) > 12:
                return None, []
            timestamp = int(value)
        elif key == SCHEME:
            found.append(value)
    return timestamp, found


def verify(
    secret: str,
    header: str | None,
    body: bytes,
    *,
    now: datetime,
    tolerance: int = DEFAULT_TOLERANCE,
) -> bool:
    """True when ``header`` signs exactly ``body`` with ``secret`` and its timestamp is within
    ``tolerance`` seconds of ``now`` (older: a replay; newer: a forged or skewed clock).

    Compare the *raw* body bytes as received: parsing and re-serialising JSON changes them.
    """
    if not header or not secret:
        return False
    timestamp, given = parse_header(header)
    if timestamp is None or not given:
        return False
    if abs(now.timestamp() - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, g) for g in given)
