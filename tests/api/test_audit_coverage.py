"""What the audit log records besides sign-ins and roles: metadata changes and deletions of
records (searchable through the audit API)."""

from __future__ import annotations

from fastapi.testclient import TestClient


def _actions(client: TestClient, target_id: str) -> list[str]:
    r = client.get("/api/v1/audit", params={"target_id": target_id, "limit": 50})
    assert r.status_code == 200, r.text
    return [e["action"] for e in r.json()["data"]]


def test_metadata_changes_and_record_deletions_are_audited(client: TestClient, unique: str) -> None:
    name = f"audited_{unique}"
    r = client.post(
        "/api/v1/objects",
        json={
            "name": name,
            "label": {"en": "Audited", "zh": "审计"},
            "plural_label": {"en": "Audited", "zh": "审计"},
            "fields": [{"name": "name", "type": "text", "label": {"en": "N", "zh": "名"}}],
        },
    )
    assert r.status_code == 201, r.text
    assert "meta.create_object" in _actions(client, name)
    rec = client.post(f"/api/v1/records/{name}", json={"name": "x"}).json()
    assert client.delete(f"/api/v1/records/{name}/{rec['id']}").status_code == 204
    assert client.post(f"/api/v1/records/{name}/{rec['id']}/restore").status_code == 200
    assert _actions(client, rec["id"]) == ["record.restore", "record.delete"]  # newest first
