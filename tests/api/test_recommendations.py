"""Recommendations, teacher search and pair agendas through the API, per role."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import Keys


def test_my_recommendations_have_both_agendas(client: TestClient, keys: Keys) -> None:
    response = client.get("/api/v1/employees/junior-1/recommendations", headers=keys.auth("employee"))
    assert response.status_code == 200
    result = response.json()
    assert result["employee"]["id"] == "junior-1"
    best = result["recommendations"][0]
    assert best["partner"]["id"] == "cfo"  # not the CEO or the head of sales: both in her reporting chain
    assert best["two_way"] is True
    assert [i["goal"]["label"] for i in best["you_learn"]["agenda"]] == ["negotiate business deals"]
    assert {i["goal"]["label"] for i in best["you_teach"]["agenda"]} == {"Pinterest", "WhatsApp"}
    assert "Henrik" in best["explanation"]


def test_recommendations_of_someone_else_need_hr(client: TestClient, keys: Keys) -> None:
    assert client.get("/api/v1/employees/cfo/recommendations", headers=keys.auth("employee")).status_code == 403
    hr = client.get("/api/v1/employees/cfo/recommendations", params={"limit": 2}, headers=keys.auth("hr"))
    assert hr.status_code == 200
    assert len(hr.json()["recommendations"]) <= 2


def test_recommendation_policy_and_errors(client: TestClient, keys: Keys) -> None:
    missing = client.get("/api/v1/employees/nobody/recommendations", headers=keys.auth("hr"))
    assert missing.status_code == 404
    assert missing.json()["detail"] == "employee 'nobody' not found"
    bad = client.get(
        "/api/v1/employees/junior-1/recommendations", params={"direction": "sideways"}, headers=keys.auth("hr")
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"] == ["query", "direction"]
    peers = client.get(
        "/api/v1/employees/junior-1/recommendations",
        params={"direction": "any", "min_seniority_gap": 0},
        headers=keys.auth("hr"),
    ).json()
    assert peers["policy"]["direction"] == "any"


def test_teacher_search_finds_a_teacher_and_what_i_teach_back(client: TestClient, keys: Keys) -> None:
    response = client.get(
        "/api/v1/teachers", params={"q": "who can teach me negotiation?"}, headers=keys.auth("other_employee")
    )
    assert response.status_code == 200
    result = response.json()
    assert result["asker"]["id"] == "junior-2"
    names = [t["person"]["name"] for t in result["teachers"]]
    assert "Lucia Ferreira" in names or "Margaret Okafor" in names
    assert all(t["topics"][0]["level"] >= 3 for t in result["teachers"])


def test_teacher_search_rejects_an_empty_question(client: TestClient, keys: Keys) -> None:
    empty = client.get("/api/v1/teachers", params={"q": "who can teach me"}, headers=keys.auth("employee"))
    assert empty.status_code == 422
    assert "e.g." in empty.json()["detail"]
    assert client.get("/api/v1/teachers", headers=keys.auth("employee")).status_code == 422
    assert client.get("/api/v1/teachers", params={"q": "Pinterest"}).status_code == 401


def test_agenda_for_a_pair(client: TestClient, keys: Keys) -> None:
    response = client.get(
        "/api/v1/agenda", params={"first_id": "junior-1", "second_id": "cfo"}, headers=keys.auth("employee")
    )
    assert response.status_code == 200
    agenda = response.json()
    assert agenda["first_teaches"]["agenda"][0]["goal"]["label"] == "Pinterest"
    assert agenda["second_teaches"]["agenda"][0]["goal"]["label"] == "negotiate business deals"
    others = client.get("/api/v1/agenda", params={"first_id": "ceo", "second_id": "cfo"}, headers=keys.auth("employee"))
    assert others.status_code == 403
    same = client.get("/api/v1/agenda", params={"first_id": "cfo", "second_id": "cfo"}, headers=keys.auth("hr"))
    assert same.status_code == 422
    chain = client.get(
        "/api/v1/agenda", params={"first_id": "junior-1", "second_id": "ceo"}, headers=keys.auth("hr")
    ).json()
    assert any("reporting chain" in w for w in chain["warnings"])
