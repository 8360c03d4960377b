"""Bad input of every kind gets a clear 4xx problem and leaves the database unchanged."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


def _count(client: TestClient) -> int:
    n, cursor = 0, None
    while True:
        params = {"limit": "500", "fields": "name"}
        if cursor:
            params["cursor"] = cursor
        body = client.get("/api/v1/records/product", params=params).json()
        n += len(body["data"])
        cursor = body["next_cursor"]
        if not cursor:
            return n


def _assert_problem(r, status: int | tuple[int, ...]) -> dict:  # type: ignore[no-untyped-def]
    statuses = status if isinstance(status, tuple) else (status,)
    assert r.status_code in statuses, (r.status_code, r.text)
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert {"type", "title", "status", "detail", "errors"} <= set(body)
    return body


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        (b"\xff\xfe\xfa", 400),
        (b"[]", 422),
        (b'{"name": 12, "list_price": "abc"}', 422),
        (b'{"name": "x", "unknown_field": 1}', 422),
        (
            b'{"name": "x\'; DROP TABLE obj_product; --", "product_code": "SQL-%s", '
            b'"product_line": "software", "list_price": "1"}',
            201,
        ),
        (
            b'{"name": "<script>alert(1)</script>", "product_code": "XSS-%s", '
            b'"product_line": "software", "list_price": "1"}',
            201,
        ),
        (b'{"name": "x", "list_price": {"amount": "NaN", "currency": "CNY"}}', 422),
        (b'{"name": "x", "list_price": {"amount": "1", "currency": "XXXX"}}', 422),
    ],
)
def test_bad_bodies_get_4xx_and_change_nothing(
    client: TestClient, body: bytes, status: int, unique: str
) -> None:
    if b"%s" in body:
        body = body.replace(b"%s", unique.upper().encode())
    before = _count(client)
    r = client.post(
        "/api/v1/records/product", content=body, headers={"content-type": "application/json"}
    )
    if status == 201:
        assert r.status_code == 201, r.text  # stored verbatim as text, never executed
        assert _count(client) == before + 1
        return
    _assert_problem(r, status)
    assert _count(client) == before


def test_unknown_object_is_404(client: TestClient) -> None:
    _assert_problem(client.get("/api/v1/records/no_such_object"), 404)
    _assert_problem(client.get('/api/v1/records/"; drop table x/1'), 404)


def test_invalid_filters_name_the_bad_part(client: TestClient) -> None:
    for flt in (
        '{"field": "nope", "op": "eq", "value": 1}',
        '{"and": 5}',
        "[]",
        "{bad",
        '{"field": "name", "op": "gt_or_so", "value": 1}',
    ):
        body = _assert_problem(
            client.get("/api/v1/records/customer", params={"filter": flt}), (400, 422)
        )
        assert body["errors"], flt


def test_huge_payload_is_refused_with_413(client: TestClient, runtime) -> None:  # type: ignore[no-untyped-def]
    big = b'{"name": "' + b"x" * (runtime.settings.max_body_bytes + 10) + b'"}'
    _assert_problem(
        client.post(
            "/api/v1/records/product", content=big, headers={"content-type": "application/json"}
        ),
        413,
    )


def test_missing_or_wrong_token_is_401(client: TestClient) -> None:
    r = client.get("/api/v1/records/customer", headers={"Authorization": "Bearer acc_nope"})
    _assert_problem(r, 401)
    r = client.get("/api/v1/records/customer", headers={"Authorization": ""})
    _assert_problem(r, 401)


def test_bad_ids_limits_and_cursors(client: TestClient) -> None:
    _assert_problem(client.get("/api/v1/records/customer/not-a-uuid"), 404)
    _assert_problem(client.get("/api/v1/records/customer", params={"limit": "0"}), 422)
    _assert_problem(client.get("/api/v1/records/customer", params={"limit": "x"}), 422)
    _assert_problem(
        client.get("/api/v1/records/customer", params={"cursor": "garbage!"}), (400, 422)
    )
    _assert_problem(client.get("/api/v1/records/customer", params={"sort": "nope"}), (400, 422))
