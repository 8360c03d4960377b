"""Group robots: post a notification into a DingTalk, WeCom or Feishu group chat.

Public surface (what other packages may use):

- ``RobotMessage``, ``RobotError``, ``Robot`` — the message, the failure, the vendor base class.
- ``VENDORS`` — every robot by vendor name (the one list; adding a vendor = one module + a line
  here); ``get(vendor)``.
- ``check(vendor, webhook_url, secret)`` — save-time validation, all problems as ``FieldError``.
- ``send(vendor, webhook_url, secret, message, *, now, timeout)`` — one delivery attempt.
"""

from __future__ import annotations

import json
from datetime import datetime
from types import MappingProxyType

from accord.core.errors import FieldError, Invalid
from accord.integrations import http

from .base import Robot, RobotError, RobotMessage
from .dingtalk import DingTalk
from .feishu import Feishu
from .wecom import WeCom

__all__ = ["VENDORS", "Robot", "RobotError", "RobotMessage", "check", "get", "send"]

VENDORS: MappingProxyType[str, Robot] = MappingProxyType(
    {robot.vendor: robot for robot in (DingTalk(), WeCom(), Feishu())}
)


def get(vendor: str) -> Robot:
    """The robot for ``vendor``; ``Invalid`` (``ROBOT_VENDOR_UNKNOWN``) for any other name."""
    robot = VENDORS.get(vendor)
    if robot is None:
        raise Invalid(
            "ROBOT_VENDOR_UNKNOWN",
            f"unknown robot vendor {vendor!r}",
            [FieldError("vendor", "ROBOT_VENDOR_UNKNOWN", f"one of: {', '.join(VENDORS)}")],
        )
    return robot


def check(vendor: str, webhook_url: str, secret: str | None) -> list[FieldError]:
    """Every problem with a robot channel's settings (empty when it may be saved)."""
    robot = VENDORS.get(vendor)
    if robot is None:
        return [FieldError("vendor", "ROBOT_VENDOR_UNKNOWN", f"one of: {', '.join(VENDORS)}")]
    return robot.check(webhook_url, secret or None)


def send(
    vendor: str,
    webhook_url: str,
    secret: str | None,
    message: RobotMessage,
    *,
    now: datetime,
    timeout: float = 10.0,
) -> http.HttpAnswer:
    """Post ``message`` once; return the vendor's answer when it accepted the message.

    Raises ``RobotError`` otherwise, with ``retryable`` set: no answer at all (refused, reset,
    timeout), HTTP 408/429/5xx and the vendor's rate-limit codes are retryable. ``now`` signs
    the request (pass ``ctx.clock.now()``); nothing is retried here — the caller's job does."""
    robot = get(vendor)
    url, body = robot.build(webhook_url, message, secret=secret or None, now=now)
    # ensure_ascii=False: vendors count bytes, and Chinese escaped as \\uXXXX takes six.
    payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    try:
        answer = http.post(
            url, payload, {"Content-Type": "application/json; charset=utf-8"}, timeout=timeout
        )
    except http.TransportError as exc:
        raise RobotError(f"{vendor}: no answer ({exc.detail})", True) from None
    robot.interpret(answer)
    return answer
