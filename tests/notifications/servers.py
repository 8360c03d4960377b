"""Real servers on loopback for the delivery tests: an SMTP server (aiosmtpd) that keeps every
message it receives, and an HTTP server that plays a group robot — it records each request
and answers as the test says (a vendor's success, an error, a 500)."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(msg)  # type: ignore[arg-type]
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def smtp_server() -> Iterator[tuple[int, _Inbox]]:
    """(port, inbox) of an SMTP server on 127.0.0.1 for the duration of the block."""
    inbox = _Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


@dataclass
class RobotCall:
    path: str
    query: dict[str, str]
    body: dict[str, Any]


@dataclass
class Robot:
    """What the fake robot received, and how it answers next (``answers`` are used in turn;
    the last one repeats)."""

    port: int = 0
    calls: list[RobotCall] = field(default_factory=list)
    answers: list[tuple[int, dict[str, Any]]] = field(
        default_factory=lambda: [(200, {"errcode": 0, "errmsg": "ok"})]
    )

    def url(self, path: str = "/robot/send?access_token=tok-0123456789abcdef") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@contextmanager
def robot_server() -> Iterator[Robot]:
    robot = Robot()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            robot.calls.append(RobotCall(parts.path, query, json.loads(raw or b"{}")))
            status, body = robot.answers[min(len(robot.calls), len(robot.answers)) - 1]
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    robot.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield robot
    finally:
        server.shutdown()
        server.server_close()
