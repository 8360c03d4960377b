"""Plain data of outbound webhooks: event kinds, delivery statuses, the retry policy and the
checks of a subscription's fields. No I/O.

Retry policy (see README.md, "Guarantees"): a failed attempt is retried after
``min(6 h, 30 s · 2^(n-1))`` minus up to 25 % jitter, at most ``MAX_ATTEMPTS`` attempts
(about 14 hours of trying), then the delivery is ``dead``. An answer that retrying cannot fix
(a 4xx other than 408/409/425/429, or a redirect) dead-letters it at once.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import Any, Final
from urllib.parse import urlsplit

from accord.core.errors import FieldError
from accord.jobs import Backoff

DELIVER_KIND: Final = "webhooks.deliver"
PURGE_KIND: Final = "webhooks.purge_deliveries"

# Record events a subscription may listen to (the outbox's kinds).
RECORD_EVENTS: Final = ("created", "updated", "deleted", "restored")

# Delivery statuses.
PENDING: Final = "pending"  # waiting for its (next) attempt
SUCCEEDED: Final = "succeeded"  # the receiver answered 2xx
DEAD: Final = "dead"  # out of attempts, a permanent failure, or its subscription was off
STATUSES: Final = (PENDING, SUCCEEDED, DEAD)

MAX_ATTEMPTS: Final = 12
BACKOFF: Final = Backoff(base_seconds=30.0, cap_seconds=6 * 3600.0, jitter=0.25)
TIMEOUT_SECONDS: Final = 10.0

MAX_NAME: Final = 100
MAX_URL: Final = 2000
MAX_EVENT: Final = 200
MAX_ERROR: Final = 1000
SECRET_PREFIX: Final = "whsec_"

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
_HOST = re.compile(r"^[A-Za-z0-9\-_.]+$")


def record_event(kind: str) -> str:
    """The event name receivers see for an outbox kind: ``record.updated``."""
    return f"record.{kind}"


def worth_retrying(status: int | None) -> bool:
    """None (no answer at all: refused, timeout, TLS …) and overload-like answers are retried;
    another 4xx or a redirect will not change by itself."""
    return status is None or status in (408, 409, 425, 429) or status >= 500


def _err(field: str, code: str, message: str) -> FieldError:
    return FieldError(field, code, message)


def check_url(url: Any) -> list[FieldError]:
    """An absolute ``http``/``https`` URL with a host, without credentials or a fragment, at
    most ``MAX_URL`` characters. Each problem is named (``WEBHOOK_URL_INVALID``)."""

    def bad(message: str) -> list[FieldError]:
        return [_err("url", "WEBHOOK_URL_INVALID", message)]

    if not isinstance(url, str) or not url.strip():
        return bad("The URL is required.")
    if len(url) > MAX_URL:
        return bad(f"The URL is longer than {MAX_URL} characters.")
    if url != url.strip() or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        return bad("The URL contains spaces or control characters.")
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        return bad(f"The URL cannot be parsed: {exc}.")
    try:
        port = parts.port  # raises on a port that is not a number in 0–65535
    except ValueError:
        return bad("The URL's port must be a number between 1 and 65535.")
    if parts.scheme.lower() not in ("http", "https"):
        return bad("The URL must start with http:// or https://.")
    if parts.username is not None or parts.password is not None:
        return bad("The URL must not contain a user name or password; use the signing secret.")
    host = parts.hostname or ""
    if not host:
        return bad("The URL has no host.")
    if port == 0:
        return bad("The URL's port must be between 1 and 65535.")
    if parts.fragment:
        return bad("The URL must not contain a #fragment (it is never sent).")
    if not _HOST.match(host) and not _is_ip(host):
        return bad(f"The host {host[:100]!r} is not a valid host name.")
    return []


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def check_name(name: Any) -> list[FieldError]:
    if not isinstance(name, str) or not name:
        return [_err("name", "WEBHOOK_NAME_INVALID", "The name is required.")]
    if len(name) > MAX_NAME or not _NAME.match(name):
        return [
            _err(
                "name",
                "WEBHOOK_NAME_INVALID",
                f"Use 1–{MAX_NAME} letters, digits, '_', '.' or '-' (starting with a letter "
                "or digit).",
            )
        ]
    return []


def check_events(events: Any) -> list[FieldError]:
    if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
        return [_err("events", "WEBHOOK_EVENTS_INVALID", "events must be a list of strings.")]
    unknown = [e for e in events if e not in RECORD_EVENTS]
    return [
        _err(
            f"events[{events.index(e)}]",
            "WEBHOOK_EVENTS_INVALID",
            f"Unknown event {e[:50]!r}; use {', '.join(RECORD_EVENTS)}.",
        )
        for e in unknown
    ]


def check_objects(objects: Any, known: Iterable[str]) -> list[FieldError]:
    if not isinstance(objects, list) or not all(isinstance(o, str) for o in objects):
        return [_err("objects", "WEBHOOK_OBJECTS_INVALID", "objects must be a list of names.")]
    names = set(known)
    return [
        _err(f"objects[{i}]", "WEBHOOK_OBJECTS_INVALID", f"There is no object {o[:63]!r}.")
        for i, o in enumerate(objects)
        if o not in names
    ]


def check_event_name(event: Any) -> list[FieldError]:
    """The event of a delivery queued by ``deliver`` (``automation.<rule name>``: any
    printable text, Chinese included, 1–``MAX_EVENT`` characters, trimmed)."""
    if (
        not isinstance(event, str)
        or not 1 <= len(event) <= MAX_EVENT
        or event != event.strip()
        or not event.isprintable()
    ):
        return [
            _err(
                "event",
                "WEBHOOK_EVENT_INVALID",
                f"Use 1–{MAX_EVENT} printable characters without leading or trailing spaces.",
            )
        ]
    return []


def unique_list(values: list[str]) -> list[str]:
    """``values`` without repeats, in their order."""
    return list(dict.fromkeys(values))
