"""Text holding Cypher, SQL or HTML injection attempts is stored and returned verbatim,
changes nothing else, and is rendered escaped in the web UI (on both stores)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from graph.store import GraphStore
from tests.api.conftest import EMPLOYEES, Keys

CYPHER = "x'}) MATCH (n) DETACH DELETE n //"
SQL = "Robert'); DROP TABLE employee;--"
HTML = '<script>alert("owned")</script><img src=x onerror=alert(1)>'
TEMPLATE = "{{ 7*7 }} {% raw %}"

ATTACKER = {
    "id": "attacker",
    "name": HTML,
    "title": TEMPLATE,
    "department": CYPHER,
    "location": SQL,
    "seniority": 5,
    "skills": [{"skill_id": "esco:negotiate", "level": 5}],
    "goals": [{"skill_id": "onet:pinterest", "priority": 5}],
}


def test_injection_text_round_trips_verbatim_and_harms_nothing(
    client: TestClient, keys: Keys, seeded: GraphStore
) -> None:
    created = client.post("/api/v1/employees", json=ATTACKER, headers=keys.auth("hr"))
    assert created.status_code == 201
    back = client.get("/api/v1/employees/attacker", headers=keys.auth("hr")).json()
    assert (back["name"], back["title"], back["department"], back["location"]) == (HTML, TEMPLATE, CYPHER, SQL)
    assert seeded.counts().employees == len(EMPLOYEES) + 1
    listed = client.get("/api/v1/employees", params={"limit": 100}, headers=keys.auth("hr")).json()
    assert listed["total"] == len(EMPLOYEES) + 1
    patched = client.patch("/api/v1/employees/attacker", json={"title": SQL + CYPHER}, headers=keys.auth("hr"))
    assert patched.json()["title"] == SQL + CYPHER
    assert seeded.get_employee(employee_id="ceo") is not None


def test_injection_text_is_rendered_escaped(client: TestClient, keys: Keys) -> None:
    client.post("/api/v1/employees", json=ATTACKER, headers=keys.auth("hr"))
    page = client.get("/ui/fragments/recommendations", headers=keys.auth("employee"))
    assert page.status_code == 200
    html = page.text
    assert "&lt;script&gt;alert(&#34;owned&#34;)&lt;/script&gt;" in html
    assert "<script" not in html
    assert "<img" not in html
    assert "{{ 7*7 }} {% raw %}" in html  # shown as typed, never evaluated
    assert "x&#39;}) MATCH (n) DETACH DELETE n //" in html

    own = client.get("/ui/fragments/recommendations", params={"employee_id": "attacker"}, headers=keys.auth("hr"))
    assert own.status_code == 200
    assert "&lt;script&gt;" in own.text
    assert "<script" not in own.text


def test_injection_in_a_search_question_is_harmless(client: TestClient, keys: Keys, seeded: GraphStore) -> None:
    for question in (CYPHER, SQL, HTML + " or negotiation"):
        api = client.get("/api/v1/teachers", params={"q": question}, headers=keys.auth("employee"))
        assert api.status_code in (200, 422), api.text
        page = client.get("/ui/fragments/teachers", params={"q": question}, headers=keys.auth("employee"))
        assert page.status_code in (200, 422)
        assert "<script" not in page.text
    assert seeded.counts().employees == len(EMPLOYEES)
