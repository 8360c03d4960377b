"""What every group robot has in common: the message, the error, the base class.

A robot is a vendor's "custom bot" webhook that posts into one group chat. Each vendor module
subclasses :class:`Robot` and fills in three things: how its secret is checked, how a message
becomes a URL and a JSON body (signing included), and how its answer codes read.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from accord.core.errors import FieldError
from accord.integrations.http import HttpAnswer

MAX_URL_LENGTH = 2048
ELLIPSIS = "…"


@dataclass(frozen=True)
class RobotMessage:
    """One notification for a group. ``text`` is markdown already rendered by the caller's
    template; robots never escape it again, they only cut it to the vendor's limit."""

    title: str
    text: str
    url: str | None = None  # link back to the record, shown as a button or a markdown link
    url_title: str | None = None  # the link's label; a default per vendor when None


class RobotError(Exception):
    """A message was not accepted. ``retryable`` says whether the same message may be accepted
    later (rate limit, vendor busy, no answer) or never will be (bad signature, unknown token,
    keyword missing, robot removed)."""

    def __init__(
        self,
        detail: str,
        retryable: bool,
        *,
        vendor_code: int | None = None,
        answer: HttpAnswer | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retryable = retryable
        self.vendor_code = vendor_code
        self.answer = answer  # for the delivery log; None when no HTTP answer came back


class Robot(ABC):
    """One vendor. Instances are stateless; the registry in ``__init__`` holds one of each."""

    vendor: ClassVar[str]  # registry key, stored with each robot channel
    label: ClassVar[dict[str, str]]  # {"en": ..., "zh": ...} for the settings UI
    retryable_codes: ClassVar[frozenset[int]]  # vendor answer codes worth a later retry
    default_link_title: ClassVar[str] = "查看详情"

    # --- save-time validation -------------------------------------------------------------

    def check(self, webhook_url: str, secret: str | None) -> list[FieldError]:
        """Every problem with a robot's settings. The vendor's own host is not required
        (companies put proxies in front of it), but the URL must be a plain http(s) URL."""
        problems = check_url(webhook_url)
        problems.extend(self.check_secret(secret))
        return problems

    def check_secret(self, secret: str | None) -> list[FieldError]:
        if secret is not None and (secret != secret.strip() or any(c.isspace() for c in secret)):
            return [FieldError("secret", "ROBOT_SECRET_INVALID", "the secret contains spaces")]
        return []

    # --- sending --------------------------------------------------------------------------

    @abstractmethod
    def build(
        self, webhook_url: str, message: RobotMessage, *, secret: str | None, now: datetime
    ) -> tuple[str, dict[str, Any]]:
        """The final URL to POST to (signed when the vendor signs in the query) and the JSON
        body. ``now`` is the signing time: pass the context's clock."""

    @abstractmethod
    def answer_code(self, data: dict[str, Any]) -> tuple[int, str] | None:
        """The vendor's (code, message) in a JSON answer, or None when it has none."""

    def interpret(self, answer: HttpAnswer) -> None:
        """Return when the vendor accepted the message, else raise :class:`RobotError`."""
        data = _json_object(answer.body)
        found = self.answer_code(data) if data is not None else None
        if found is not None:
            code, text = found
            if code == 0 and answer.ok:
                return
            if code != 0:
                retry = code in self.retryable_codes or (not answer.ok and answer.retryable)
                raise RobotError(
                    f"{self.vendor} refused the message: {code} {text}".strip(),
                    retry,
                    vendor_code=code,
                    answer=answer,
                )
        if not answer.ok:
            raise RobotError(
                f"{self.vendor} answered HTTP {answer.status}: {answer.body[:200]}",
                answer.retryable,
                answer=answer,
            )
        # A 2xx without the vendor's answer shape is not the vendor: most often a URL that
        # points at a login page or a misconfigured proxy. Retrying will not fix that.
        raise RobotError(
            f"{self.vendor} answered HTTP {answer.status} without a result code: "
            f"{answer.body[:200]}",
            False,
            answer=answer,
        )


# --- helpers shared by the vendor modules ----------------------------------------------------


def check_url(url: str) -> list[FieldError]:
    def bad(message: str) -> list[FieldError]:
        return [FieldError("webhook_url", "ROBOT_URL_INVALID", message)]

    if not isinstance(url, str) or not url:
        return bad("the webhook URL is required")
    if len(url) > MAX_URL_LENGTH:
        return bad(f"the webhook URL is longer than {MAX_URL_LENGTH} characters")
    if any(c.isspace() or ord(c) < 0x20 for c in url):
        return bad("the webhook URL contains spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port  # raises on a port that is not a number or out of range
    except ValueError:
        return bad("the webhook URL is not a well-formed URL")
    if parts.scheme not in ("http", "https"):
        return bad("the webhook URL must start with https:// or http://")
    if not parts.hostname or "@" in parts.netloc:
        return bad("the webhook URL must name a host (and no user or password)")
    if port == 0:
        return bad("the webhook URL has an invalid port")
    if parts.fragment:
        return bad("the webhook URL must not have a #fragment")
    return []


def add_query(url: str, params: dict[str, str]) -> str:
    """``url`` with ``params`` appended to its query (existing parameters such as the vendor's
    ``access_token`` stay in place)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query = [(k, v) for k, v in query if k not in params] + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def cut_bytes(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes, never inside a character, marked with an
    ellipsis when cut (vendors count bytes, and Chinese characters take three)."""
    raw = text.encode("utf-8")
    if len(raw) <= limit:
        return text
    room = limit - len(ELLIPSIS.encode("utf-8"))
    if room <= 0:
        return raw[: max(limit, 0)].decode("utf-8", errors="ignore")
    return raw[:room].decode("utf-8", errors="ignore") + ELLIPSIS


def cut_json_bytes(text: str, limit: int) -> str:
    """``text`` cut so that its JSON string form (UTF-8, not ASCII-escaped, quotes excluded)
    takes at most ``limit`` bytes: for vendors that limit the whole request body, where a
    newline costs two bytes and a control character six."""
    costs = [len(json.dumps(c, ensure_ascii=False).encode("utf-8")) - 2 for c in text]
    if sum(costs) <= limit:
        return text
    budget, used = limit - len(ELLIPSIS.encode("utf-8")), 0
    for i, cost in enumerate(costs):
        if used + cost > budget:
            return text[:i] + ELLIPSIS
        used += cost
    return text  # unreachable: the sum exceeded the limit


def cut_chars(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def link_title(robot: Robot, message: RobotMessage) -> str:
    return message.url_title or robot.default_link_title


def _json_object(body: str) -> dict[str, Any] | None:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def int_code(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return None
