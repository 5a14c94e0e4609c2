"""The gap report, its heatmap and its CSV, for HR only."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient

from graph.store import GraphStore
from tests.api.conftest import EMPLOYEES, Keys


def test_gap_report_numbers_agree_with_the_organisation(client: TestClient, keys: Keys) -> None:
    response = client.get("/api/v1/gaps", params={"group_by": "department"}, headers=keys.auth("hr"))
    assert response.status_code == 200
    report = response.json()
    goals = sum(len(e.goals) for e in EMPLOYEES)
    assert report["totals"]["employees"] == len(EMPLOYEES)
    assert report["totals"]["learners"] == goals
    assert {g["group"] for g in report["groups"]} == {e.department for e in EMPLOYEES}
    assert sum(g["learners"] for g in report["groups"]) == goals


def test_heatmap_png_and_svg(client: TestClient, keys: Keys) -> None:
    png = client.get("/api/v1/gaps/heatmap.png", headers=keys.auth("hr"))
    assert png.status_code == 200
    assert png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
    svg = client.get("/api/v1/gaps/heatmap.svg", params={"group_by": "category"}, headers=keys.auth("hr"))
    assert svg.headers["content-type"] == "image/svg+xml"
    assert b"<svg" in svg.content[:500]
    assert client.get("/api/v1/gaps/heatmap.gif", headers=keys.auth("hr")).status_code == 422


def test_cells_csv_matches_the_report(client: TestClient, keys: Keys) -> None:
    report = client.get("/api/v1/gaps", headers=keys.auth("hr")).json()
    response = client.get("/api/v1/gaps/cells.csv", headers=keys.auth("hr"))
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == len(report["cells"])
    assert sum(int(r["learners"]) for r in rows) == report["totals"]["learners"]


def test_gaps_are_for_hr(client: TestClient, keys: Keys) -> None:
    assert client.get("/api/v1/gaps", headers=keys.auth("employee")).status_code == 403
    assert client.get("/api/v1/gaps/heatmap.png", headers=keys.auth("employee")).status_code == 403
    assert client.get("/api/v1/gaps").status_code == 401
    assert client.get("/ui/fragments/gaps", headers=keys.auth("employee")).status_code == 403


def test_empty_organisation(client: TestClient, keys: Keys, seeded: GraphStore) -> None:
    for employee in EMPLOYEES:
        seeded.delete_employee(employee_id=employee.id)
    report = client.get("/api/v1/gaps", headers=keys.auth("hr"))
    assert report.status_code == 200
    assert report.json()["totals"]["employees"] == 0
    image = client.get("/api/v1/gaps/heatmap.png", headers=keys.auth("hr"))
    assert image.status_code == 404
    assert "nothing to draw" in image.json()["detail"]
    page = client.get("/ui/fragments/gaps", headers=keys.auth("hr"))
    assert "No gaps to show yet" in page.text
