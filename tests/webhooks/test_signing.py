"""Signatures: what receivers check. ``verify`` refuses anything not signed over exactly these
bytes with this secret, and anything outside the replay window; the recipe in the README agrees
with it."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from accord.webhooks.model import check_url
from accord.webhooks.signing import new_secret, signature, signature_header, verify

NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
BODY = '{"id":7,"event":"record.updated","record":{"name":"合同"}}'.encode()
README = Path(__file__).resolve().parents[2] / "accord" / "webhooks" / "README.md"


def test_a_fresh_signature_over_the_exact_body_is_accepted() -> None:
    secret = new_secret()
    header = signature_header(secret, BODY, NOW)
    assert re.fullmatch(r"t=\d+,v1=[0-9a-f]{64}", header)
    assert verify(secret, header, BODY, now=NOW)
    assert verify(secret, header, BODY, now=NOW + timedelta(seconds=299))


def test_a_replayed_signature_outside_the_window_is_refused() -> None:
    secret = new_secret()
    header = signature_header(secret, BODY, NOW)
    assert not verify(secret, header, BODY, now=NOW + timedelta(seconds=301))
    assert not verify(secret, header, BODY, now=NOW + timedelta(days=1))
    assert verify(secret, header, BODY, now=NOW + timedelta(seconds=500), tolerance=600)
    # a timestamp from the future is as suspect as an old one
    assert not verify(secret, header, BODY, now=NOW - timedelta(seconds=301))


@pytest.mark.parametrize(
    "tamper",
    [
        lambda s, h, b: (s, h, b + b" "),  # a changed body
        lambda s, h, b: ("whsec_other", h, b),  # another secret
        lambda s, h, b: (s, h.replace("t=", "t=1"), b),  # a changed timestamp
        lambda s, h, b: (s, h[:-1] + ("0" if h[-1] != "0" else "1"), b),  # a changed signature
        lambda s, h, b: (s, "", b),
        lambda s, h, b: (s, None, b),
        lambda s, h, b: (s, "v1=" + h.split("v1=")[1], b),  # no timestamp
        lambda s, h, b: (s, h.split(",")[0], b),  # no signature
        lambda s, h, b: (s, "t=abc,v1=00", b),
        lambda s, h, b: ("", h, b),
    ],
)
def test_anything_else_is_refused(tamper: Any) -> None:
    secret = new_secret()
    s, h, b = tamper(secret, signature_header(secret, BODY, NOW), BODY)
    assert not verify(s, h, b, now=NOW)


def test_any_matching_v1_value_is_accepted() -> None:
    secret = new_secret()
    t = int(NOW.timestamp())
    header = f"t={t},v1={'0' * 64},v1={signature(secret, t, BODY)}"
    assert verify(secret, header, BODY, now=NOW)


def test_the_readme_recipe_agrees_with_verify() -> None:
    text = README.read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", text, re.S)
    assert code is not None
    scope: dict[str, Any] = {}
    exec(compile(code.group(1), "README recipe", "exec"), scope)
    recipe = scope["verify"]
    secret, now = new_secret(), datetime.now(UTC)
    header = signature_header(secret, BODY, now)
    assert recipe(secret, header, BODY) and verify(secret, header, BODY, now=now)
    assert not recipe(secret, header, BODY + b"x")
    stale = signature_header(secret, BODY, now - timedelta(seconds=400))
    assert not recipe(secret, stale, BODY)
    assert time.time() - now.timestamp() < 60


@pytest.mark.parametrize(
    "url",
    [
        "https://erp.example.com/hooks/accord",
        "http://127.0.0.1:8080/x?token=abc",
        "https://[2001:db8::1]/hook",
        "https://xn--fiqs8s.example/hook",
    ],
)
def test_good_urls_pass(url: str) -> None:
    assert check_url(url) == []


@pytest.mark.parametrize(
    "url",
    [None, 42, "javascript:alert(1)", "https:///path", "http://a b", "https://h:0/", "http://@/"],
)
def test_bad_urls_are_named(url: Any) -> None:
    [err] = check_url(url)
    assert err.code == "WEBHOOK_URL_INVALID" and err.field == "url" and err.message
