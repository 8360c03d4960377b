"""A local stand-in for the three robot vendors, on 127.0.0.1 in a thread.

It does what the vendors document, independently of the code under test: it looks the robot up
by the token in its URL, recomputes the signature from the secret it was given (DingTalk: query
``timestamp`` in ms and ``sign``; Feishu: body ``timestamp`` in seconds and ``sign``), refuses
timestamps more than an hour off, checks the payload's shape and size, and answers with the
vendor's success or error bodies. Tests can force an answer (rate limit, HTTP 500, …) for one
robot to exercise the error paths.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

ONE_HOUR_MS = 3_600_000


@dataclass
class FakeRobot:
    vendor: str
    token: str
    secret: str | None = None
    force: str | None = None  # "rate_limit", "http500", "http400", "html", "legacy_ok"
    received: list[dict[str, Any]] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)


class VendorServer:
    def __init__(self) -> None:
        self.robots: dict[str, FakeRobot] = {}
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def add(self, vendor: str, *, secret: str | None = None, force: str | None = None) -> str:
        """Register a robot and return its webhook URL, shaped like the vendor's."""
        token = secrets.token_hex(8)
        self.robots[token] = robot = FakeRobot(vendor, token, secret, force)
        return self.url(robot)

    def url(self, robot: FakeRobot) -> str:
        return {
            "dingtalk": f"{self.base}/robot/send?access_token={robot.token}",
            "wecom": f"{self.base}/cgi-bin/webhook/send?key={robot.token}",
            "feishu": f"{self.base}/open-apis/bot/v2/hook/{robot.token}",
        }[robot.vendor]

    def robot(self, url: str) -> FakeRobot:
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        token = (query.get("access_token") or query.get("key") or [parts.path.rsplit("/", 1)[-1]])[
            0
        ]
        return self.robots[token]


def _handler(server: VendorServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
            pass

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            try:
                body = json.loads(raw.decode("utf-8"))
            except ValueError:
                body = None
            if parts.path == "/robot/send":
                status, answer = dingtalk(server, query, body, raw)
            elif parts.path == "/cgi-bin/webhook/send":
                status, answer = wecom(server, query, body, raw)
            elif parts.path.startswith("/open-apis/bot/v2/hook/"):
                status, answer = feishu(server, parts.path.rsplit("/", 1)[-1], body, raw)
            else:
                status, answer = 404, "not found"
            out = answer if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False)
            data = out.encode("utf-8")
            self.send_response(status)
            ctype = "application/json" if not isinstance(answer, str) else "text/html"
            self.send_header("Content-Type", f"{ctype}; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


Answer = tuple[int, dict[str, Any] | str]


def _forced(robot: FakeRobot, rate_limited: dict[str, Any]) -> Answer | None:
    return {
        "rate_limit": (200, rate_limited),
        "http500": (500, "<html>internal error</html>"),
        "http400": (400, "<html>bad request</html>"),
        "html": (200, "<html>please sign in</html>"),
    }.get(robot.force or "")


def _fresh(timestamp_ms: int) -> bool:
    return abs(time.time() * 1000 - timestamp_ms) <= ONE_HOUR_MS


def dingtalk(server: VendorServer, query: dict[str, str], body: Any, raw: bytes) -> Answer:
    robot = server.robots.get(query.get("access_token", ""))
    if robot is None or robot.vendor != "dingtalk":
        return 200, {"errcode": 300005, "errmsg": "token is not exist"}
    if robot.secret is not None:
        ts, sign = query.get("timestamp", ""), query.get("sign", "")
        if not ts.isdigit() or not _fresh(int(ts)):
            return 200, {"errcode": 310000, "errmsg": "sign not match, timestamp is invalid"}
        expected = base64.b64encode(
            hmac.new(robot.secret.encode(), f"{ts}\n{robot.secret}".encode(), "sha256").digest()
        ).decode()
        if not hmac.compare_digest(sign, expected):
            return 200, {"errcode": 310000, "errmsg": "sign not match"}
    ok_shape = isinstance(body, dict) and (
        (
            body.get("msgtype") == "markdown"
            and all(isinstance(body.get("markdown", {}).get(k), str) for k in ("title", "text"))
        )
        or (
            body.get("msgtype") == "actionCard"
            and all(
                isinstance(body.get("actionCard", {}).get(k), str)
                for k in ("title", "text", "singleTitle", "singleURL")
            )
        )
    )
    if not ok_shape:
        return 200, {"errcode": 40035, "errmsg": "缺少参数 json"}
    forced = _forced(robot, {"errcode": 130101, "errmsg": "send too fast, exceed 20 times"})
    if forced:
        return forced
    robot.received.append(body)
    robot.raw.append(raw)
    return 200, {"errcode": 0, "errmsg": "ok"}


def wecom(server: VendorServer, query: dict[str, str], body: Any, raw: bytes) -> Answer:
    robot = server.robots.get(query.get("key", ""))
    if robot is None or robot.vendor != "wecom":
        return 200, {"errcode": 93000, "errmsg": "invalid webhook url"}
    content = body.get("markdown", {}).get("content") if isinstance(body, dict) else None
    if (
        not isinstance(body, dict)
        or body.get("msgtype") != "markdown"
        or not isinstance(content, str)
    ):
        return 200, {"errcode": 40008, "errmsg": "invalid message type"}
    if len(content.encode("utf-8")) > 4096:
        return 200, {"errcode": 40058, "errmsg": "markdown.content exceed max length 4096"}
    forced = _forced(robot, {"errcode": 45009, "errmsg": "api freq out of limit"})
    if forced:
        return forced
    robot.received.append(body)
    robot.raw.append(raw)
    return 200, {"errcode": 0, "errmsg": "ok"}


def feishu(server: VendorServer, token: str, body: Any, raw: bytes) -> Answer:
    robot = server.robots.get(token)
    if robot is None or robot.vendor != "feishu":
        return 200, {"code": 19001, "msg": "param invalid: incoming webhook access token invalid"}
    if len(raw) > 20 * 1024:
        return 400, {"code": 9499, "msg": "Bad Request"}
    if not isinstance(body, dict):
        return 400, {"code": 9499, "msg": "Bad Request"}
    if robot.secret is not None:
        ts, sign = body.get("timestamp"), body.get("sign")
        if not isinstance(ts, str) or not ts.isdigit() or not _fresh(int(ts) * 1000):
            return 200, {
                "code": 19021,
                "msg": "sign match fail or timestamp is not within one hour",
            }
        key = f"{ts}\n{robot.secret}".encode()
        expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
        if not isinstance(sign, str) or not hmac.compare_digest(sign, expected):
            return 200, {
                "code": 19021,
                "msg": "sign match fail or timestamp is not within one hour",
            }
    card = body.get("card")
    ok_shape = (
        body.get("msg_type") == "interactive"
        and isinstance(card, dict)
        and isinstance(card.get("header", {}).get("title", {}).get("content"), str)
        and isinstance(card.get("elements"), list)
    )
    if not ok_shape:
        return 200, {"code": 19002, "msg": "params error, msg_type need"}
    forced = _forced(
        robot, {"code": 11232, "msg": "frequency limited psm[lark.oapi.app_platform_runtime]"}
    )
    if forced:
        return forced
    robot.received.append(body)
    robot.raw.append(raw)
    if robot.force == "legacy_ok":
        return 200, {"Extra": None, "StatusCode": 0, "StatusMessage": "success"}
    return 200, {"code": 0, "data": {}, "msg": "success"}


@pytest.fixture(scope="module")
def vendors() -> Iterator[VendorServer]:
    server = VendorServer()
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()
    thread.join()
