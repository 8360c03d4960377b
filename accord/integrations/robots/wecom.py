"""WeCom (企业微信) group robot.

Format: https://developer.work.weixin.qq.com/document/path/91770 ("群机器人配置说明"). The
webhook is ``https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…``; the key in the URL is the
only credential (WeCom robots have no signing secret).

- Body: ``{"msgtype": "markdown", "markdown": {"content": …}}``; the title is a bold first line
  and the link back to the record a markdown link ``[label](url)`` on the last line.
- Answer: ``{"errcode": 0, "errmsg": "ok"}``. 45009 ("api freq out of limit", 20 messages a
  minute per robot) and -1 ("system busy") are retried; 93000 (invalid webhook URL or key),
  93004 / 93008 (robot disabled or removed) and the rest are permanent.
- Limits: the markdown content is at most 4,096 UTF-8 bytes (documented); the text is cut so
  that the title and the link always fit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from accord.core.errors import FieldError

from .base import Robot, RobotMessage, cut_bytes, cut_chars, int_code, link_title

MAX_CONTENT_BYTES = 4096
MAX_TITLE_CHARS = 128


class WeCom(Robot):
    vendor = "wecom"
    label = {"en": "WeCom", "zh": "企业微信"}
    retryable_codes = frozenset({-1, 45009})

    def check_secret(self, secret: str | None) -> list[FieldError]:
        if secret:
            return [
                FieldError(
                    "secret",
                    "ROBOT_SECRET_UNSUPPORTED",
                    "WeCom group robots have no signing secret; the key is part of the URL",
                )
            ]
        return []

    def build(
        self, webhook_url: str, message: RobotMessage, *, secret: str | None, now: datetime
    ) -> tuple[str, dict[str, Any]]:
        head = f"**{cut_chars(message.title, MAX_TITLE_CHARS)}**\n"
        tail = f"\n[{link_title(self, message)}]({message.url})" if message.url else ""
        room = MAX_CONTENT_BYTES - len(head.encode("utf-8")) - len(tail.encode("utf-8"))
        content = head + cut_bytes(message.text, max(room, 0)) + tail
        return webhook_url, {"msgtype": "markdown", "markdown": {"content": content}}

    def answer_code(self, data: dict[str, Any]) -> tuple[int, str] | None:
        code = int_code(data.get("errcode"))
        return None if code is None else (code, str(data.get("errmsg", "")))
