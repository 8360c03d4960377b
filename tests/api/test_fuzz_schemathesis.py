"""Fuzz the REST API with Schemathesis: no 5xx for any input, valid or malformed.

A short, bounded run (a few examples per operation plus Schemathesis' coverage phase), against
the session database. Every generic and metadata operation is fuzzed; of the per-object concrete
paths only a few objects are (customer, opportunity, contact), to bound the time.

Random path parameters would mostly hit 404 before any body is read, so a share of the cases is
pointed at things that exist: a custom object of this module (metadata writes only ever touch
it, never the built-in objects other tests rely on), its fields, and live records — with their
current version as ``If-Match`` on a share of the updates, so body validation is reached.

Every 500 the fuzzing found has a plain regression test at the end of this module. A bug found
later outside ``accord/api`` that cannot be fixed at once: tolerate exactly that case here with a
narrow predicate and pin it with a ``xfail(strict=True)`` test, so it fails loudly when fixed.
"""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Mapping
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from accord.core.context import Runtime

CONCRETE = ("customer", "opportunity", "contact")
RECORD_PATH = re.compile(r"^/api/v1/records/([a-z0-9_]+)(?:[/:]|$)")


@pytest.fixture(scope="module")
def targets(client: TestClient) -> dict[str, Any]:
    """A custom object with a few fields and one live record per fuzzed object."""
    name = f"fz_{uuid.uuid4().hex[:8]}"
    r = client.post(
        "/api/v1/objects",
        json={
            "name": name,
            "label": {"en": "Fuzz", "zh": "模糊"},
            "fields": [
                {"name": "name", "type": "text", "label": "Name", "required": True},
                {"name": "score", "type": "integer", "label": "Score"},
                {"name": "price", "type": "currency", "label": "Price"},
                {"name": "due", "type": "date", "label": "Due"},
                {"name": "note", "type": "text", "label": "Note"},
            ],
        },
    )
    assert r.status_code == 201, r.text
    stage = _first_choice(client, "opportunity", "stage")
    ids: dict[str, str] = {}
    bodies = {
        name: {"name": "fuzz", "score": 1, "price": {"amount": "1.00", "currency": "CNY"}},
        "customer": {"name": f"Fuzz customer {name}"},
    }
    for obj, body in bodies.items():
        r = client.post(f"/api/v1/records/{obj}", json=body)
        assert r.status_code == 201, r.text
        ids[obj] = r.json()["id"]
    r = client.post("/api/v1/records/contact", json={"name": "Fuzz", "customer": ids["customer"]})
    assert r.status_code == 201, r.text
    ids["contact"] = r.json()["id"]
    r = client.post(
        "/api/v1/records/opportunity",
        json={
            "name": "Fuzz deal",
            "customer": ids["customer"],
            "stage": stage,
            "close_date": "2030-01-01",
            "amount": {"amount": "100.00", "currency": "CNY"},
        },
    )
    assert r.status_code == 201, r.text
    ids["opportunity"] = r.json()["id"]
    return {
        "object": name,
        "fields": ["score", "price", "due", "note"],
        "ids": ids,
    }


def _first_choice(client: TestClient, obj: str, field: str) -> str:
    [f] = [f for f in client.get(f"/api/v1/objects/{obj}").json()["fields"] if f["name"] == field]
    choices = f["options"]["choices"]
    first = choices[0]
    return first["value"] if isinstance(first, Mapping) else str(first)


@pytest.fixture(scope="module")
def api_schema(runtime: Runtime, targets: dict[str, Any]) -> Any:
    from accord.api.app import create_app

    return schemathesis.openapi.from_asgi(
        "/api/v1/openapi.json", _KeepResponse(create_app(runtime))
    )


class _KeepResponse:
    """Starlette re-raises an unhandled error after sending its 500; keep the 500 response, so
    the check reports it (and a known bug can be told apart from a new one)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        started = False

        async def watch(message: Any) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:
            if not started:
                raise


def _wanted(ctx: Any) -> bool:
    if ctx.operation.path == "/api/v1/notifications/stream":
        return False  # an endless text/event-stream: tested over a socket in its own module
    m = RECORD_PATH.match(ctx.operation.path)
    return (
        m is None
        or m.group(1) in CONCRETE
        or ctx.operation.path.startswith("/api/v1/records/{object}")
    )


schema = schemathesis.pytest.from_fixture("api_schema").include(_wanted)


def _aim(case: Any, targets: dict[str, Any], client: TestClient) -> None:
    """Point a share of the cases at existing objects, fields and records (deterministically)."""
    params = case.path_parameters
    if not params:
        return
    rng = random.Random(f"{case.method} {case.path} {sorted(params.items())!r} {case.body!r}")
    path, method = case.path, case.method.upper()
    if "object" in params and path.startswith("/api/v1/objects/"):
        if not (method == "DELETE" and path == "/api/v1/objects/{object}") and rng.random() < 0.75:
            params["object"] = targets["object"]
            if "field" in params and rng.random() < 0.75:
                params["field"] = rng.choice(targets["fields"])
        return
    if "object" in params and rng.random() < 0.75:
        params["object"] = rng.choice([targets["object"], *CONCRETE])
    m = RECORD_PATH.match(path)
    obj = params.get("object", m.group(1) if m else None)
    if "id" in params and method != "DELETE" and obj in targets["ids"] and rng.random() < 0.75:
        params["id"] = targets["ids"][obj]
        if method == "PATCH" and rng.random() < 0.5:
            current = client.get(f"/api/v1/records/{obj}/{params['id']}")
            if current.status_code == 200:
                case.headers = {**(case.headers or {}), "If-Match": str(current.json()["version"])}


@schema.parametrize()
@settings(max_examples=4, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_no_server_error(
    case: Any, admin_token: str, targets: dict[str, Any], client: TestClient
) -> None:
    _aim(case, targets, client)
    response = case.call(headers={"Authorization": f"Bearer {admin_token}"})
    case.validate_response(response, checks=[not_a_server_error])


# --- regressions the fuzzing found ------------------------------------------------------------


@pytest.mark.parametrize("value", [{"currency": "CNY"}, {"amount": "", "currency": "CNY"}, " "])
def test_currency_without_amount_is_not_a_server_error(client: TestClient, value: Any) -> None:
    """Was a 500 (accord/records/prepare.py coerce_input called .get on the None that
    CurrencyType.coerce returns for a currency value without an amount)."""
    r = client.post("/api/v1/records/customer", json={"name": "Money", "annual_revenue": value})
    assert r.status_code < 500, r.text
    rows = [{"name": "Money", "annual_revenue": value}]
    r = client.post("/api/v1/records/customer:bulk", json={"records": rows})
    assert r.status_code == 200, r.text
    assert r.json()["results"][0]["status"] in ("created", "error"), r.text


def _custom_object(client: TestClient, unique: str) -> str:
    name = f"fr_{unique}"
    r = client.post(
        "/api/v1/objects",
        json={
            "name": name,
            "label": "Fuzz regression",
            "fields": [{"name": "name", "type": "text", "label": "Name"}],
        },
    )
    assert r.status_code == 201, r.text
    return name


def test_object_history_is_served(client: TestClient, unique: str) -> None:
    """Was a 500: history rows carried SQLAlchemy ``quoted_name`` keys, which orjson refuses."""
    name = _custom_object(client, unique)
    for obj in (name, "customer"):
        r = client.get(f"/api/v1/objects/{obj}/history")
        assert r.status_code == 200, r.text
        assert r.json()["data"], obj
    assert r.json()["data"][0]["object_name"] == "customer"


def test_integer_beyond_64_bits_in_field_options_is_not_a_server_error(
    client: TestClient, unique: str
) -> None:
    """Was a 500: orjson cannot write integers beyond 64 bits into the response."""
    name = _custom_object(client, unique)
    r = client.post(
        f"/api/v1/objects/{name}/fields",
        json={"name": "big", "type": "text", "label": "Big", "options": {"x": 10**30}},
    )
    assert r.status_code < 500, r.text
    assert client.get(f"/api/v1/objects/{name}").status_code == 200


def test_huge_integer_default_does_not_poison_the_object(client: TestClient, unique: str) -> None:
    """Was broken on SQLite: a JSON column has NUMERIC affinity there, so the default
    1000000000000000000000000000000 came back as the float 1e30, failed meta.E008, and every
    later change to the object was refused."""
    name = _custom_object(client, unique)
    r = client.post(
        f"/api/v1/objects/{name}/fields",
        json={"name": "a", "type": "text", "label": "A", "default": 10**30},
    )
    assert r.status_code in (201, 422), r.text
    r = client.post(
        f"/api/v1/objects/{name}/fields", json={"name": "b", "type": "text", "label": "B"}
    )
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("body", [b"objects:\n  - name: [a]\n", b'{"objects": [{"name": {}}]}'])
def test_config_import_with_a_non_text_object_name_is_4xx(client: TestClient, body: bytes) -> None:
    r = client.post("/api/v1/config", params={"dry_run": "true"}, content=body)
    assert r.status_code == 422, r.text
