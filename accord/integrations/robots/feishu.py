"""Feishu / Lark (飞书) custom bot.

Format: https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot (message types,
"签名校验"). The webhook is ``https://open.feishu.cn/open-apis/bot/v2/hook/…`` (Lark:
``open.larksuite.com``).

- Body: an interactive card: a header with the title, a ``markdown`` element with the text and,
  with a link, an action element holding one button that opens the record.
- Signing, when the bot has a secret: body fields ``timestamp`` (seconds, as a string) and
  ``sign = base64(HMAC-SHA256(key="{timestamp}\\n{secret}", msg=b""))``; Feishu refuses a
  timestamp more than one hour away from its clock (code 19021).
- Answer: ``{"code": 0, "msg": "success"}`` (older deployments: ``{"StatusCode": 0}``). 11232
  (frequency limited: 100 a minute, 5 a second per bot) is retried; 19021 (signature or
  timestamp), 19022 (IP not allowed), 19024 (keyword missing), 9499 (bad request) and the rest
  are permanent.
- Limits: a request body is at most 20 KB (documented); the text is kept within 16,000 bytes of
  JSON (UTF-8) and the title within 100 characters so the card's JSON stays under it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime
from typing import Any

from .base import Robot, RobotMessage, cut_chars, cut_json_bytes, int_code, link_title

MAX_TEXT_BYTES = 16_000
MAX_TITLE_CHARS = 100


def sign(secret: str, timestamp_s: int) -> str:
    """Feishu's signature: the string to sign is the HMAC *key*, the message is empty."""
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode("ascii")


class Feishu(Robot):
    vendor = "feishu"
    label = {"en": "Feishu / Lark", "zh": "飞书"}
    retryable_codes = frozenset({11232})

    def build(
        self, webhook_url: str, message: RobotMessage, *, secret: str | None, now: datetime
    ) -> tuple[str, dict[str, Any]]:
        elements: list[dict[str, Any]] = [
            {"tag": "markdown", "content": cut_json_bytes(message.text, MAX_TEXT_BYTES)}
        ]
        if message.url:
            button = {
                "tag": "button",
                "text": {"tag": "plain_text", "content": link_title(self, message)},
                "type": "primary",
                "url": message.url,
            }
            elements.append({"tag": "action", "actions": [button]})
        body: dict[str, Any] = {
            "msg_type": "interactive",
            "card": {
                "config": {"wide_screen_mode": True},
                "header": {
                    "title": {
                        "tag": "plain_text",
                        "content": cut_chars(message.title, MAX_TITLE_CHARS),
                    },
                    "template": "blue",
                },
                "elements": elements,
            },
        }
        if secret:
            timestamp = int(now.timestamp())
            body = {"timestamp": str(timestamp), "sign": sign(secret, timestamp), **body}
        return webhook_url, body

    def answer_code(self, data: dict[str, Any]) -> tuple[int, str] | None:
        for key, text in (("code", "msg"), ("StatusCode", "StatusMessage")):
            code = int_code(data.get(key))
            if code is not None:
                return code, str(data.get(text, ""))
        return None
