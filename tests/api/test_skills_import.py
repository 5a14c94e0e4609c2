"""Skill search and autocomplete, and the bulk import (admin only)."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from graph.store import GraphStore
from tests.api.conftest import EMPLOYEES, Keys


def test_skill_search_in_own_words(client: TestClient, keys: Keys) -> None:
    response = client.get("/api/v1/skills/search", params={"q": "whatsapp business"}, headers=keys.auth("employee"))
    assert response.status_code == 200
    first = response.json()["results"][0]
    assert first["skill"]["id"] == "onet:whatsapp"
    assert first["method"] == "alt_label"
    assert client.get("/api/v1/skills/search", params={"q": "tiktok"}).status_code == 401


def test_autocomplete_and_skill_by_id(client: TestClient, keys: Keys) -> None:
    suggestions = client.get("/api/v1/skills/autocomplete", params={"q": "negotia"}, headers=keys.auth("employee"))
    assert suggestions.status_code == 200
    assert suggestions.json()[0]["label"] == "negotiate business deals"
    skill = client.get("/api/v1/skills/onet:pinterest", headers=keys.auth("employee"))
    assert skill.json()["label"] == "Pinterest"
    assert client.get("/api/v1/skills/onet:nothing", headers=keys.auth("employee")).status_code == 404


def _jsonl(rows: list[dict[str, object]]) -> bytes:
    return "\n".join(json.dumps(row) for row in rows).encode()


def test_bulk_import_keeps_valid_rows_and_reports_bad_ones(client: TestClient, keys: Keys, seeded: GraphStore) -> None:
    rows: list[dict[str, object]] = [
        {"id": "imp-1", "name": "Ines Duarte", "seniority": 2, "skills": [{"skill": "Pinterest", "level": 4}]},
        {"id": "imp-2", "name": "Omar Said", "seniority": 9},
        {"id": "imp-3", "name": "Zoe Li", "skills": "onet:tiktok:3"},
    ]
    files = {"file": ("staff.jsonl", _jsonl(rows), "application/x-ndjson")}
    response = client.post("/api/v1/employees/import", files=files, headers=keys.auth("admin"))
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["read"], report["ingested"], report["rejected"]) == (3, 2, 1)
    rejection = report["rejections"][0]
    assert rejection["line"] == 2
    assert rejection["employee_id"] == "imp-2"
    assert rejection["problems"][0]["field"] == "seniority"
    assert seeded.get_employee(employee_id="imp-1") is not None
    assert seeded.get_employee(employee_id="imp-2") is None
    assert seeded.counts().employees == len(EMPLOYEES) + 2


def test_import_needs_admin_and_a_known_format(client: TestClient, keys: Keys) -> None:
    files = {"file": ("staff.jsonl", b'{"id": "x", "name": "X"}', "application/x-ndjson")}
    assert client.post("/api/v1/employees/import", files=files, headers=keys.auth("hr")).status_code == 403
    assert client.post("/api/v1/employees/import", files=files).status_code == 401
    wrong = {"file": ("staff.xlsx", b"PK...", "application/octet-stream")}
    response = client.post("/api/v1/employees/import", files=wrong, headers=keys.auth("admin"))
    assert response.status_code == 415
    empty = {"file": ("staff.csv", b"", "text/csv")}
    broken = client.post("/api/v1/employees/import", files=empty, headers=keys.auth("admin"))
    assert broken.status_code == 422
    assert "staff.csv" in broken.json()["detail"]
    assert "/tmp" not in broken.json()["detail"]
