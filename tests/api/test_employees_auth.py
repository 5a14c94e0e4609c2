"""Employees through the API, and the 401/403 paths of every role."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import EMPLOYEES, Keys

PROBLEM = "application/problem+json"


def test_no_key_is_401_with_a_problem_document(client: TestClient) -> None:
    response = client.get("/api/v1/employees/junior-1")
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["www-authenticate"].startswith("Bearer")
    body = response.json()
    assert body["type"] == "/problems/unauthorized"
    assert body["status"] == 401
    assert "Bearer" in body["detail"]


def test_wrong_key_and_wrong_scheme_are_401(client: TestClient, keys: Keys) -> None:
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer mg_not-a-key"}).status_code == 401
    basic = client.get("/api/v1/me", headers={"Authorization": f"Basic {keys.hr}"})
    assert basic.status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer "}).status_code == 401


def test_me_says_who_the_key_is(client: TestClient, keys: Keys) -> None:
    employee = client.get("/api/v1/me", headers=keys.auth("employee")).json()
    assert employee["role"] == "employee"
    assert employee["employee"]["name"] == "Aiko Tanaka"
    hr = client.get("/api/v1/me", headers=keys.auth("hr")).json()
    assert hr == {"role": "hr", "employee_id": None, "employee": None}


def test_employee_reads_own_profile_but_not_others(client: TestClient, keys: Keys) -> None:
    own = client.get("/api/v1/employees/junior-1", headers=keys.auth("employee"))
    assert own.status_code == 200
    assert own.json()["name"] == "Aiko Tanaka"
    other = client.get("/api/v1/employees/ceo", headers=keys.auth("employee"))
    assert other.status_code == 403
    assert other.headers["content-type"] == PROBLEM
    assert other.json()["type"] == "/problems/forbidden"
    assert client.get("/api/v1/employees", headers=keys.auth("employee")).status_code == 403


def test_hr_reads_everyone_with_pagination(client: TestClient, keys: Keys) -> None:
    first = client.get("/api/v1/employees", params={"limit": 4}, headers=keys.auth("hr")).json()
    assert first["total"] == len(EMPLOYEES)
    assert [e["id"] for e in first["items"]] == sorted(e.id for e in EMPLOYEES)[:4]
    rest = client.get("/api/v1/employees", params={"offset": 4, "limit": 4}, headers=keys.auth("hr")).json()
    assert [e["id"] for e in rest["items"]] == sorted(e.id for e in EMPLOYEES)[4:]
    assert client.get("/api/v1/employees/ceo", headers=keys.auth("hr")).json()["name"] == "Margaret Okafor"


def test_unknown_employee_is_404(client: TestClient, keys: Keys) -> None:
    response = client.get("/api/v1/employees/nobody", headers=keys.auth("hr"))
    assert response.status_code == 404
    assert response.json()["detail"] == "employee 'nobody' does not exist"
    assert response.json()["instance"] == "/api/v1/employees/nobody"


def test_create_conflict_put_and_patch(client: TestClient, keys: Keys) -> None:
    new = {"id": "new-1", "name": "Noor Shah", "seniority": 2, "skills": [{"skill_id": "onet:tiktok", "level": 4}]}
    created = client.post("/api/v1/employees", json=new, headers=keys.auth("hr"))
    assert created.status_code == 201
    assert created.headers["location"] == "/api/v1/employees/new-1"
    again = client.post("/api/v1/employees", json=new, headers=keys.auth("hr"))
    assert again.status_code == 409
    assert again.json()["type"] == "/problems/conflict"
    replaced = client.put("/api/v1/employees/new-1", json={**new, "title": "Designer"}, headers=keys.auth("hr"))
    assert replaced.status_code == 200
    assert client.get("/api/v1/employees/new-1", headers=keys.auth("hr")).json()["title"] == "Designer"
    put_new = client.put("/api/v1/employees/new-2", json={**new, "id": "new-2"}, headers=keys.auth("hr"))
    assert put_new.status_code == 201
    mismatch = client.put("/api/v1/employees/new-3", json=new, headers=keys.auth("hr"))
    assert mismatch.status_code == 422
    patched = client.patch("/api/v1/employees/new-1", json={"department": "Design"}, headers=keys.auth("hr"))
    assert patched.json()["department"] == "Design"
    assert patched.json()["skills"] == [{"skill_id": "onet:tiktok", "level": 4}]


def test_employee_creates_nothing_and_patches_only_self_service_fields(client: TestClient, keys: Keys) -> None:
    new = {"id": "new-1", "name": "Noor Shah"}
    assert client.post("/api/v1/employees", json=new, headers=keys.auth("employee")).status_code == 403
    ok = client.patch(
        "/api/v1/employees/junior-1",
        json={"goals": [{"skill_id": "esco:strategy", "priority": 5}], "capacity": 3},
        headers=keys.auth("employee"),
    )
    assert ok.status_code == 200
    profile = client.get("/api/v1/employees/junior-1", headers=keys.auth("employee")).json()
    assert profile["goals"] == [{"skill_id": "esco:strategy", "priority": 5}]
    assert profile["capacity"] == 3
    promoted = client.patch("/api/v1/employees/junior-1", json={"seniority": 5}, headers=keys.auth("employee"))
    assert promoted.status_code == 403
    assert "seniority" in promoted.json()["detail"]
    other = client.patch("/api/v1/employees/ceo", json={"capacity": 0}, headers=keys.auth("employee"))
    assert other.status_code == 403


def test_unknown_skill_is_a_422_listing_the_missing_ids(client: TestClient, keys: Keys) -> None:
    body = {"id": "new-1", "name": "Noor Shah", "skills": [{"skill_id": "no-such-skill", "level": 3}]}
    response = client.post("/api/v1/employees", json=body, headers=keys.auth("hr"))
    assert response.status_code == 422
    assert response.json()["type"] == "/problems/unknown-reference"
    assert response.json()["missing"] == ["no-such-skill"]
    assert client.get("/api/v1/employees/new-1", headers=keys.auth("hr")).status_code == 404


def test_validation_errors_name_the_field(client: TestClient, keys: Keys) -> None:
    body = {"id": "new-1", "name": "Noor Shah", "skills": [{"skill_id": "onet:tiktok", "level": 9}]}
    response = client.post("/api/v1/employees", json=body, headers=keys.auth("hr"))
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["type"] == "/problems/validation-error"
    assert problem["errors"][0]["loc"] == ["body", "skills", 0, "level"]
    assert problem["detail"].startswith("body.skills.0.level")
    bad_page = client.get("/api/v1/employees", params={"limit": 0}, headers=keys.auth("hr"))
    assert bad_page.status_code == 422
    assert bad_page.json()["errors"][0]["loc"] == ["query", "limit"]
    broken = client.post(
        "/api/v1/employees", content=b"{not json", headers={**keys.auth("hr"), "Content-Type": "application/json"}
    )
    assert broken.status_code == 422
    assert broken.headers["content-type"] == PROBLEM


def test_only_admin_erases(client: TestClient, keys: Keys) -> None:
    assert client.delete("/api/v1/employees/junior-3", headers=keys.auth("hr")).status_code == 403
    assert client.delete("/api/v1/employees/junior-3", headers=keys.auth("employee")).status_code == 403
    assert client.delete("/api/v1/employees/junior-3", headers=keys.auth("admin")).status_code == 204
    assert client.get("/api/v1/employees/junior-3", headers=keys.auth("hr")).status_code == 404
    assert client.delete("/api/v1/employees/junior-3", headers=keys.auth("admin")).status_code == 404
