"""Black-box REST tests through the ASGI app."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient


def _customer(client: TestClient, name: str, **extra: object) -> dict:
    r = client.post("/api/v1/records/customer", json={"name": name, **extra})
    assert r.status_code == 201, r.text
    return r.json()


def test_create_get_patch_with_if_match(client: TestClient, unique: str) -> None:
    c = _customer(client, f"杭州{unique}有限公司", industry="it_internet")
    r = client.get(f"/api/v1/records/customer/{c['id']}")
    assert r.status_code == 200
    assert r.headers["etag"] == '"1"'
    r = client.patch(
        f"/api/v1/records/customer/{c['id']}",
        json={"industry": "finance"},
        headers={"If-Match": '"1"'},
    )
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2
    stale = client.patch(
        f"/api/v1/records/customer/{c['id']}",
        json={"industry": "education"},
        headers={"If-Match": '"1"'},
    )
    assert stale.status_code == 412
    assert stale.headers["content-type"] == "application/problem+json"
    assert client.get(f"/api/v1/records/customer/{c['id']}").json()["industry"] == "finance"


def test_patch_without_version_is_refused(client: TestClient, unique: str) -> None:
    c = _customer(client, f"no-version {unique}")
    r = client.patch(f"/api/v1/records/customer/{c['id']}", json={"industry": "finance"})
    assert r.status_code == 422
    assert r.json()["code"] == "VERSION_REQUIRED"


def test_list_filter_sort_and_keyset_pages(client: TestClient, unique: str) -> None:
    for i in range(7):
        _customer(client, f"page {unique} {i:02d}", level="a" if i % 2 else "b")
    flt = json.dumps({"field": "name", "op": "starts_with", "value": f"page {unique}"})
    seen: list[str] = []
    cursor = None
    while True:
        params = {"filter": flt, "sort": "name", "limit": "3"}
        if cursor:
            params["cursor"] = cursor
        r = client.get("/api/v1/records/customer", params=params)
        assert r.status_code == 200, r.text
        body = r.json()
        seen += [x["name"] for x in body["data"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == [f"page {unique} {i:02d}" for i in range(7)]


def test_query_pair_filters(client: TestClient, unique: str) -> None:
    _customer(client, f"pair {unique} x", industry="finance")
    _customer(client, f"pair {unique} y", industry="education")
    r = client.get(
        "/api/v1/records/customer",
        params={"name__starts_with": f"pair {unique}", "industry": "finance"},
    )
    assert r.status_code == 200, r.text
    assert [x["name"] for x in r.json()["data"]] == [f"pair {unique} x"]


def test_delete_restore_history_and_timeline(client: TestClient, unique: str) -> None:
    c = _customer(client, f"timeline {unique}")
    r = client.post(
        "/api/v1/records/activity",
        json={
            "subject": "首次拜访",
            "type": "visit",
            "customer": c["id"],
            "occurred_at": "2026-01-10T02:00:00Z",
        },
    )
    assert r.status_code == 201, r.text
    client.patch(f"/api/v1/records/customer/{c['id']}", json={"industry": "finance", "version": 1})
    tl = client.get(f"/api/v1/records/customer/{c['id']}/timeline").json()["data"]
    kinds = {(i["kind"], i["object"]) for i in tl}
    assert ("record", "activity") in kinds and ("change", "customer") in kinds
    hist = client.get(f"/api/v1/records/customer/{c['id']}/history").json()["data"]
    assert hist[0]["field"] == "industry"
    assert client.delete(f"/api/v1/records/customer/{c['id']}").status_code == 204
    assert client.get(f"/api/v1/records/customer/{c['id']}").status_code == 404
    assert client.post(f"/api/v1/records/customer/{c['id']}/restore").status_code == 200


def test_bulk_endpoint_gives_per_row_results(client: TestClient, unique: str) -> None:
    rows = [{"name": f"bulk api {unique} {i}"} for i in range(3)] + [{"name": 5, "x": 1}]
    r = client.post("/api/v1/records/customer:bulk", json={"records": rows})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["created"] == 3 and body["error"] == 1
    assert body["results"][3]["errors"]


def test_search_finds_chinese_and_latin_substrings(client: TestClient, unique: str) -> None:
    _customer(client, f"深圳市腾飞{unique}科技有限公司")
    _customer(client, f"Northwind {unique} Traders")
    r = client.get("/api/v1/search", params={"q": f"腾飞{unique}", "objects": "customer"})
    assert r.status_code == 200, r.text
    assert len(r.json()["data"]) == 1
    r = client.get("/api/v1/search", params={"q": f"wind {unique}", "objects": "customer"})
    assert len(r.json()["data"]) == 1


def test_openapi_describes_object_fields(client: TestClient) -> None:
    doc = client.get("/api/v1/openapi.json").json()
    props = doc["components"]["schemas"]["Customer"]["properties"]
    assert "industry" in props and "annual_revenue" in props
    assert "/api/v1/records/opportunity" in doc["paths"]


def test_metadata_api_adds_field_visible_in_openapi(client: TestClient, unique: str) -> None:
    name = f"api_obj_{unique}"
    r = client.post(
        "/api/v1/objects",
        json={
            "name": name,
            "label": {"en": "Api obj", "zh": "接口对象"},
            "fields": [{"name": "name", "type": "text", "label": {"en": "Name", "zh": "名称"}}],
        },
    )
    assert r.status_code == 201, r.text
    r = client.post(
        f"/api/v1/objects/{name}/fields",
        json={"name": "score", "type": "integer", "label": {"en": "Score", "zh": "分数"}},
    )
    assert r.status_code == 201, r.text
    schema_name = "".join(p.capitalize() for p in name.split("_"))
    doc = client.get("/api/v1/openapi.json").json()
    assert "score" in doc["components"]["schemas"][schema_name]["properties"]


def test_healthz_and_metrics(client: TestClient) -> None:
    assert client.get("/healthz").text == "ok"
    client.get("/api/v1/records/customer", params={"limit": "1"})
    text = client.get("/metrics").text
    assert 'route="/api/v1/records/{object}"' in text
    assert "accord_jobs" in text
