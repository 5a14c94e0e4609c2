"""Cohort matching with review and publish, then pairings and their feedback."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from graph.store import GraphStore
from tests.api.conftest import Keys

COHORT: dict[str, Any] = {
    "programme": "Reverse 2025",
    "participants": [
        {"id": "cfo", "role": "senior", "capacity": 1},
        {"id": "sales-head", "role": "senior", "capacity": 1},
        {"id": "junior-1", "role": "junior"},
        {"id": "junior-2", "role": "junior"},
        {"id": "junior-3", "role": "junior"},
    ],
}


def _propose(client: TestClient, keys: Keys, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = client.post("/api/v1/cohorts", json=body or COHORT, headers=keys.auth("hr"))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    assert response.headers["location"] == f"/api/v1/cohorts/{created['id']}"
    return created


def test_cohort_propose_review_publish_and_feedback(client: TestClient, keys: Keys, seeded: GraphStore) -> None:
    created = _propose(client, keys)
    proposal = created["proposal"]
    pairs = {(p["senior"]["id"], p["junior"]["id"]) for p in proposal["pairs"]}
    assert ("sales-head", "junior-1") not in pairs  # her manager: never paired
    assert proposal["stats"]["pairs"] == len(pairs) >= 1
    assert all(p["senior_teaches"]["agenda"] and p["junior_teaches"]["agenda"] for p in proposal["pairs"])
    assert {u["person"]["id"] for u in proposal["unmatched"]}  # 5 people, 2 seniors of capacity 1

    listed = client.get("/api/v1/cohorts", headers=keys.auth("hr")).json()
    assert listed["items"][0]["id"] == created["id"]
    first = sorted(pairs)[0]
    reviewed = client.post(
        f"/api/v1/cohorts/{created['id']}/review", json={"lock": [list(first)], "rerun": True}, headers=keys.auth("hr")
    )
    assert reviewed.status_code == 200, reviewed.text
    assert [list(first)] == reviewed.json()["proposal"]["locked"]

    published = client.post(f"/api/v1/cohorts/{created['id']}/publish", headers=keys.auth("hr"))
    assert published.status_code == 200, published.text
    pairing_ids = published.json()["published"]["pairing_ids"]
    assert len(pairing_ids) == len(reviewed.json()["proposal"]["pairs"])
    again = client.post(f"/api/v1/cohorts/{created['id']}/publish", headers=keys.auth("hr"))
    assert again.status_code == 409
    assert again.json()["type"] == "/problems/conflict"

    # The published pairings are the graph's now, with feedback both ways.
    pairing = client.get(f"/api/v1/pairings/{pairing_ids[0]}", headers=keys.auth("hr")).json()
    member = pairing["employee_ids"][0]
    assert seeded.get_pairing(pairing_id=pairing_ids[0]) is not None
    feedback = client.post(
        f"/api/v1/pairings/{pairing_ids[0]}/feedback",
        json={"by_employee_id": member, "rating": 5, "topics_covered": ["Pinterest"], "comment": "Great"},
        headers=keys.auth("hr"),
    )
    assert feedback.status_code == 201, feedback.text
    assert feedback.json()["feedback"][0]["rating"] == 5


def test_cohort_input_errors_name_the_participant(client: TestClient, keys: Keys) -> None:
    twice = {"participants": [*COHORT["participants"], {"id": "cfo", "role": "senior"}]}
    response = client.post("/api/v1/cohorts", json=twice, headers=keys.auth("hr"))
    assert response.status_code == 422
    assert "participants[5]" in response.json()["detail"]
    assert "listed twice" in response.json()["detail"]
    contradiction = {
        "participants": [
            {"id": "cfo", "role": "senior", "must_pair": ["junior-2"], "never_pair": ["junior-2"]},
            {"id": "junior-2", "role": "junior"},
        ]
    }
    response = client.post("/api/v1/cohorts", json=contradiction, headers=keys.auth("hr"))
    assert response.status_code == 422
    assert "must-pair and a never-pair" in response.json()["detail"]
    unknown = {"participants": [{"id": "cfo", "role": "senior"}, {"id": "ghost", "role": "junior"}]}
    response = client.post("/api/v1/cohorts", json=unknown, headers=keys.auth("hr"))
    assert response.status_code == 422
    assert "ghost" in response.json()["detail"]


def test_cohort_upload_and_review_errors(client: TestClient, keys: Keys) -> None:
    csv = b"id,role,capacity\ncfo,senior,1\njunior-2,junior,1\njunior-3,junior,1\n"
    response = client.post(
        "/api/v1/cohorts/upload",
        files={"file": ("spring.csv", csv, "text/csv")},
        data={"objective": "coverage"},
        headers=keys.auth("hr"),
    )
    assert response.status_code == 201, response.text
    cohort_id = response.json()["id"]
    assert response.json()["proposal"]["programme"] == "spring"
    bad = client.post(f"/api/v1/cohorts/{cohort_id}/review", json={"remove": [["cfo", "ceo"]]}, headers=keys.auth("hr"))
    assert bad.status_code == 409
    assert "not a participant" in bad.json()["detail"]
    assert client.get("/api/v1/cohorts/cohort-000000000000", headers=keys.auth("hr")).status_code == 404
    assert client.get("/api/v1/cohorts/../../etc/passwd", headers=keys.auth("hr")).status_code == 404
    assert client.delete(f"/api/v1/cohorts/{cohort_id}", headers=keys.auth("hr")).status_code == 204


def test_cohorts_are_for_hr(client: TestClient, keys: Keys) -> None:
    assert client.post("/api/v1/cohorts", json=COHORT, headers=keys.auth("employee")).status_code == 403
    assert client.get("/api/v1/cohorts", headers=keys.auth("employee")).status_code == 403
    assert client.get("/api/v1/cohorts").status_code == 401


def test_pairings_by_role(client: TestClient, keys: Keys) -> None:
    created = client.post(
        "/api/v1/pairings", json={"employee_ids": ["junior-1", "cfo"], "programme": "pilot"}, headers=keys.auth("hr")
    )
    assert created.status_code == 201
    pairing = created.json()
    assert pairing["employee_ids"] == ["cfo", "junior-1"]
    assert client.post("/api/v1/pairings", json={"employee_ids": ["junior-1", "cfo"]},
                       headers=keys.auth("employee")).status_code == 403  # fmt: skip
    mine = client.get("/api/v1/pairings", headers=keys.auth("employee")).json()
    assert [p["id"] for p in mine["items"]] == [pairing["id"]]
    theirs = client.get("/api/v1/pairings", headers=keys.auth("other_employee")).json()
    assert theirs["items"] == []
    assert client.get(f"/api/v1/pairings/{pairing['id']}", headers=keys.auth("other_employee")).status_code == 403
    snooping = client.get("/api/v1/pairings", params={"employee_id": "cfo"}, headers=keys.auth("employee"))
    assert snooping.status_code == 403

    # The employee gives feedback as themselves, never as the partner.
    own = client.post(f"/api/v1/pairings/{pairing['id']}/feedback", json={"rating": 4, "comment": "<b>ok</b>"},
                      headers=keys.auth("employee"))  # fmt: skip
    assert own.status_code == 201
    assert own.json()["feedback"][0] == {
        "by_employee_id": "junior-1", "rating": 4, "topics_covered": [], "comment": "<b>ok</b>"
    }  # fmt: skip
    posing = client.post(f"/api/v1/pairings/{pairing['id']}/feedback",
                         json={"rating": 1, "by_employee_id": "cfo"}, headers=keys.auth("employee"))  # fmt: skip
    assert posing.status_code == 403
    outsider = client.post(f"/api/v1/pairings/{pairing['id']}/feedback", json={"rating": 3},
                           headers=keys.auth("other_employee"))  # fmt: skip
    assert outsider.status_code == 403
    rating = client.post(f"/api/v1/pairings/{pairing['id']}/feedback", json={"rating": 6},
                         headers=keys.auth("employee"))  # fmt: skip
    assert rating.status_code == 422

    ended = client.patch(f"/api/v1/pairings/{pairing['id']}", json={"status": "ended"}, headers=keys.auth("hr"))
    assert ended.json()["status"] == "ended"
    assert ended.json()["feedback"][0]["rating"] == 4
    assert client.delete(f"/api/v1/pairings/{pairing['id']}", headers=keys.auth("hr")).status_code == 204
    assert client.get(f"/api/v1/pairings/{pairing['id']}", headers=keys.auth("hr")).status_code == 404
