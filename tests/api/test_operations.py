"""Liveness, readiness, metrics, OpenAPI, security headers and the body-size limit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from graph.store import GraphStore
from ingest.embedder import Embedder
from tests.api.conftest import Keys, api_settings, build_app

PROBLEM = "application/problem+json"


def test_liveness_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"


def test_metrics_count_requests_by_route_template_without_ids(client: TestClient, keys: Keys) -> None:
    client.get("/api/v1/employees/junior-1", headers=keys.auth("employee"))
    client.get("/api/v1/employees/ceo", headers=keys.auth("employee"))
    client.get("/api/v1/teachers", params={"q": "Margaret Okafor"}, headers=keys.auth("employee"))
    text = client.get("/metrics").text
    assert 'route="/api/v1/employees/{employee_id}",status="200"' in text
    assert 'route="/api/v1/employees/{employee_id}",status="403"' in text
    assert "mentorgraph_http_request_duration_seconds_bucket" in text
    for personal in ("junior-1", "ceo", "Margaret", "Okafor"):
        assert personal not in text


def test_openapi_documents_problems_security_and_examples(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["ApiKey"]["scheme"] == "bearer"
    assert "Problem" in spec["components"]["schemas"]
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    operation = spec["paths"]["/api/v1/employees/{employee_id}"]["get"]
    for status in ("401", "403", "404", "422", "503"):
        content = operation["responses"][status]["content"]
        assert list(content) == [PROBLEM]
        assert content[PROBLEM]["schema"] == {"$ref": "#/components/schemas/Problem"}
        assert content[PROBLEM]["example"]["status"] == int(status)
    create = spec["paths"]["/api/v1/employees"]["post"]
    assert "413" in create["responses"]
    assert create["requestBody"]["content"]["application/json"]["examples"]
    for path in ("/ui/fragments/teachers", "/"):
        assert path not in spec["paths"]


def test_problem_type_pages(client: TestClient) -> None:
    page = client.get("/problems/store-unavailable").json()
    assert page["status"] == 503
    assert client.get("/problems/nope").status_code == 404


def test_unknown_route_and_method_are_problems(client: TestClient, keys: Keys) -> None:
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == PROBLEM
    wrong = client.post("/healthz")
    assert wrong.status_code == 405
    assert wrong.json()["type"] == "/problems/method-not-allowed"


def test_security_headers_on_pages_and_api(client: TestClient, keys: Keys) -> None:
    for path in ("/", "/api/v1/me"):
        headers = client.get(path, headers=keys.auth("hr")).headers
        assert "script-src 'self'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["cache-control"] == "no-store"


@pytest.fixture
def small_limit_client(seeded: GraphStore, embedder: Embedder, keys: Keys, tmp_path: Path) -> Iterator[TestClient]:
    app = build_app(seeded, embedder, api_settings(keys, tmp_path, max_body_bytes=2048, max_import_bytes=4096))
    with TestClient(app) as test_client:
        yield test_client


def test_oversized_body_is_413_from_content_length(small_limit_client: TestClient, keys: Keys) -> None:
    body = {"id": "big", "name": "x" * 400, "title": "y" * 400, "department": "z" * 400, "location": "w" * 400,
            "skills": [{"skill_id": "onet:tiktok", "level": 3}] * 30}  # fmt: skip
    response = small_limit_client.post("/api/v1/employees", json=body, headers=keys.auth("hr"))
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["type"] == "/problems/payload-too-large"
    assert "2048" in response.json()["detail"]
    assert small_limit_client.get("/api/v1/employees/big", headers=keys.auth("hr")).status_code == 404


def test_oversized_streamed_body_is_413(small_limit_client: TestClient, keys: Keys) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"id": "big", "name": "'
        for _ in range(10):
            yield b"x" * 500
        yield b'"}'

    response = small_limit_client.post(
        "/api/v1/employees", content=chunks(), headers={**keys.auth("hr"), "Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["status"] == 413


def test_body_under_the_limit_passes(small_limit_client: TestClient, keys: Keys) -> None:
    response = small_limit_client.post("/api/v1/employees", json={"id": "small", "name": "Kim"},
                                       headers=keys.auth("hr"))  # fmt: skip
    assert response.status_code == 201


def test_unknown_query_parameters_are_refused(client: TestClient, keys: Keys) -> None:
    typo = client.get("/api/v1/employees", params={"limt": 5}, headers=keys.auth("hr"))
    assert typo.status_code == 422
    assert "unknown query parameter 'limt'" in typo.json()["detail"]
    assert "limit" in typo.json()["detail"]
    assert client.get("/api/v1/employees", params={"limit": 5}, headers=keys.auth("hr")).status_code == 200


def test_pages_ignore_extra_query_parameters(client: TestClient) -> None:
    page = client.get("/teach", params={"utm_source": "newsletter"})
    assert page.status_code == 200
    assert "Who can teach me" in page.text
