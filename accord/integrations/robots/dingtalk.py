"""DingTalk (钉钉) custom group robot.

Format: https://open.dingtalk.com/document/orgapp/custom-robot-access (message types and the
"加签" signature). The webhook is ``https://oapi.dingtalk.com/robot/send?access_token=…``.

- Body: ``markdown`` (title + text); with a link, an ``actionCard`` whose single button opens
  the record.
- Signing, when the robot has a secret (shown by DingTalk as ``SEC…``): ``timestamp`` in
  milliseconds and ``sign = urlencode(base64(HMAC-SHA256(key=secret,
  msg="{timestamp}\\n{secret}")))`` added to the query; DingTalk refuses a timestamp more than
  one hour away from its clock.
- Answer: ``{"errcode": 0, "errmsg": "ok"}``. 130101 and 410100 are "sending too fast"
  (20 messages a minute per robot) and -1 is "system busy": retried. 310000 (signature,
  keyword or IP allow-list refused), 300001 / 300005 / 400101 (token invalid or unknown) and
  the rest are permanent.
- Limits: DingTalk documents no markdown length; we keep the text within 16,000 bytes of JSON
  (UTF-8) and the title within 64 characters (the title is what the chat list previews), so a
  request stays under 20 KB like Feishu's documented limit.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime
from typing import Any

from accord.core.errors import FieldError

from .base import Robot, RobotMessage, add_query, cut_chars, cut_json_bytes, int_code, link_title

MAX_TEXT_BYTES = 16_000
MAX_TITLE_CHARS = 64


def sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's signature before URL encoding (``add_query`` encodes it once)."""
    digest = hmac.new(
        secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode("ascii")


class DingTalk(Robot):
    vendor = "dingtalk"
    label = {"en": "DingTalk", "zh": "钉钉"}
    retryable_codes = frozenset({-1, 130101, 410100})

    def check_secret(self, secret: str | None) -> list[FieldError]:
        problems = super().check_secret(secret)
        if secret and not problems and not secret.startswith("SEC"):
            problems.append(
                FieldError(
                    "secret",
                    "ROBOT_SECRET_INVALID",
                    "a DingTalk signing secret starts with SEC (robot security settings, 加签)",
                )
            )
        return problems

    def build(
        self, webhook_url: str, message: RobotMessage, *, secret: str | None, now: datetime
    ) -> tuple[str, dict[str, Any]]:
        title = cut_chars(message.title, MAX_TITLE_CHARS)
        # DingTalk shows `title` only in the chat list; the card shows `text`, so the title
        # leads the text as a heading.
        text = cut_json_bytes(f"#### {title}\n\n{message.text}", MAX_TEXT_BYTES)
        body: dict[str, Any]
        if message.url:
            body = {
                "msgtype": "actionCard",
                "actionCard": {
                    "title": title,
                    "text": text,
                    "singleTitle": link_title(self, message),
                    "singleURL": message.url,
                },
            }
        else:
            body = {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
        url = webhook_url
        if secret:
            timestamp = int(now.timestamp() * 1000)
            url = add_query(url, {"timestamp": str(timestamp), "sign": sign(secret, timestamp)})
        return url, body

    def answer_code(self, data: dict[str, Any]) -> tuple[int, str] | None:
        code = int_code(data.get("errcode"))
        return None if code is None else (code, str(data.get("errmsg", "")))
