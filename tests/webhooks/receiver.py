"""A real webhook receiver on 127.0.0.1, in a thread: it checks each request's signature the
way a customer's receiver would (``accord.webhooks.signing.verify`` against the raw body, at
the test's clock), records what it got, and answers with the statuses the test asks for."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from accord.webhooks.signing import verify


@dataclass(frozen=True)
class Got:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool
    answered: int

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)  # type: ignore[no-any-return]


class Receiver:
    """``url`` to subscribe; set ``secret`` from the create answer; ``answers`` is consumed
    one status per request (then ``default`` is answered)."""

    def __init__(self, now: Callable[[], datetime], default: int = 200) -> None:
        self.now = now
        self.secret = ""
        self.default = default
        self.answers: list[int] = []
        self.got: list[Got] = []
        self._lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hooks/accord"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    def answer(self) -> int:
        with self._lock:
            return self.answers.pop(0) if self.answers else self.default

    def record(self, got: Got) -> None:
        with self._lock:
            self.got.append(got)

    def about(self, record_id: str) -> list[Got]:
        """What arrived about one record (other tests' records share the database)."""
        return [g for g in self.got if g.json.get("record_id") == record_id]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)


def _handler(rx: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            ok = verify(rx.secret, self.headers.get("Accord-Signature"), body, now=rx.now())
            status = rx.answer() if ok else 401
            rx.record(Got(self.path, dict(self.headers.items()), body, ok, status))
            reply = b'{"ok": true}' if 200 <= status < 300 else b"receiver says no"
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
