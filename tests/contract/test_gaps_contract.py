"""The gap report's store aggregations (``gap_counts``, ``sole_holders``, ``group_sizes``),
run against every backend, plus a check that both backends agree on a demo organisation."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.neo4j_store import Neo4jStore
from graph.sqlite_store import SqliteStore
from graph.store import GapCounts, GraphStore, GroupField, SoleHolder
from recommender.gap_models import GapGrouping
from recommender.gaps import gap_report
from schema import Employee, EmployeeSkill, LearningGoal, Skill, SkillSource

CATEGORIES = {"k1": "digital technology", "k2": "management skills", "k3": "management skills", "k4": ""}


def person(pid: str, *, department: str, seniority: int, location: str = "Paris",
           skills: dict[str, int] | None = None, goals: dict[str, int] | None = None) -> Employee:  # fmt: skip
    return Employee(
        id=pid,
        name=f"Person {pid}",
        department=department,
        seniority=seniority,
        location=location,
        skills=tuple(EmployeeSkill(skill_id=s, level=lv) for s, lv in (skills or {}).items()),
        goals=tuple(LearningGoal(skill_id=s, priority=p) for s, p in (goals or {}).items()),
    )


@pytest.fixture
def org(store: GraphStore) -> GraphStore:
    """Sales juniors know TikTok (k1) and want leadership (k2); Board seniors the reverse.
    k3 is held by one person only; k4 has no category; nobody in HR has skills or goals."""
    store.upsert_skills(
        skills=[
            Skill(id=sid, label=f"Skill {sid}", source=SkillSource.ESCO, category=category)
            for sid, category in CATEGORIES.items()
        ]
    )
    store.upsert_employees(
        employees=[
            person("j1", department="Sales", seniority=1, skills={"k1": 4}, goals={"k2": 5}),
            person("j2", department="Sales", seniority=2, skills={"k1": 2, "k4": 3}, goals={"k2": 3, "k1": 1}),
            person("m1", department="Sales", seniority=3, location="Lyon", skills={"k1": 3}, goals={"k4": 2}),
            person("s1", department="Board", seniority=5, skills={"k2": 5, "k3": 2}, goals={"k1": 4}),
            person("s2", department="Board", seniority=4, skills={"k2": 3, "k4": 1}, goals={"k1": 2}),
            person("h1", department="HR", seniority=3),
        ]
    )
    return store


def test_gap_counts_by_department(org: GraphStore) -> None:
    rows = org.gap_counts(group_by=GroupField.DEPARTMENT)
    assert rows == [
        GapCounts("Board", "k1", "digital technology", 2, 6, 0, 0, 0, 0, 2, 6, 0),
        GapCounts("Board", "k2", "management skills", 0, 0, 2, 0, 0, 0, 0, 0, 2),
        GapCounts("Sales", "k1", "digital technology", 1, 1, 2, 1, 1, 1, 0, 0, 0),
        GapCounts("Sales", "k2", "management skills", 2, 8, 0, 2, 8, 0, 0, 0, 0),
        GapCounts("Sales", "k4", "", 1, 2, 1, 0, 0, 1, 0, 0, 0),
    ]


def test_gap_counts_leave_out_holders_below_teaching_level(org: GraphStore) -> None:
    # k3 is held only at level 2 and wanted by nobody: no row at all.
    assert "k3" not in {r.skill_id for r in org.gap_counts(group_by=GroupField.NONE)}
    lenient = {r.skill_id: r for r in org.gap_counts(group_by=GroupField.NONE, teaching_level=2)}
    assert lenient["k3"].teachers == 1
    assert lenient["k1"].teachers == 3  # j2 at level 2 now counts


def test_gap_counts_whole_organisation_and_bands(org: GraphStore) -> None:
    rows = {r.skill_id: r for r in org.gap_counts(group_by=GroupField.NONE)}
    assert {r.group for r in rows.values()} == {"all"}
    k1 = rows["k1"]
    assert (k1.learners, k1.demand, k1.teachers) == (3, 7, 2)
    assert (k1.junior_learners, k1.senior_learners, k1.junior_teachers, k1.senior_teachers) == (1, 2, 1, 0)
    # Moving the band limits moves people between bands, inside the store.
    wide = {r.skill_id: r for r in org.gap_counts(group_by=GroupField.NONE, junior_max=3, senior_min=5)}
    assert (wide["k1"].junior_teachers, wide["k1"].senior_learners, wide["k1"].senior_demand) == (2, 1, 4)


def test_gap_counts_by_seniority_and_location(org: GraphStore) -> None:
    by_level = {(r.group, r.skill_id) for r in org.gap_counts(group_by=GroupField.SENIORITY)}
    assert by_level == {("1", "k1"), ("1", "k2"), ("2", "k1"), ("2", "k2"), ("2", "k4"),
                        ("3", "k1"), ("3", "k4"), ("4", "k1"), ("4", "k2"), ("5", "k1"), ("5", "k2")}  # fmt: skip
    by_place = {(r.group, r.skill_id): r for r in org.gap_counts(group_by=GroupField.LOCATION)}
    assert by_place[("Lyon", "k1")].teachers == 1
    assert by_place[("Paris", "k1")].teachers == 1


def test_group_totals_add_up_to_the_organisation(org: GraphStore) -> None:
    whole = {r.skill_id: r for r in org.gap_counts(group_by=GroupField.NONE)}
    for field in (GroupField.DEPARTMENT, GroupField.SENIORITY, GroupField.LOCATION):
        summed: dict[str, list[int]] = {}
        for r in org.gap_counts(group_by=field):
            acc = summed.setdefault(r.skill_id, [0] * 9)
            for i, value in enumerate(counts_of(r)):
                acc[i] += value
        for skill_id, r in whole.items():
            assert summed[skill_id] == counts_of(r)


def counts_of(r: GapCounts) -> list[int]:
    return [r.learners, r.demand, r.teachers, r.junior_learners, r.junior_demand, r.junior_teachers,
            r.senior_learners, r.senior_demand, r.senior_teachers]  # fmt: skip


def test_sole_holders(org: GraphStore) -> None:
    assert org.sole_holders(group_by=GroupField.DEPARTMENT) == [SoleHolder("k3", "s1", "Board", 2)]
    assert org.sole_holders(group_by=GroupField.SENIORITY) == [SoleHolder("k3", "s1", "5", 2)]
    # A second holder takes k3 out of danger.
    org.upsert_employees(employees=[person("h1", department="HR", seniority=3, skills={"k3": 4})])
    assert org.sole_holders(group_by=GroupField.NONE) == []


def test_group_sizes_count_people_without_skills(org: GraphStore) -> None:
    assert org.group_sizes(group_by=GroupField.DEPARTMENT) == {"Board": 2, "HR": 1, "Sales": 3}
    assert org.group_sizes(group_by=GroupField.SENIORITY) == {"1": 1, "2": 1, "3": 2, "4": 1, "5": 1}
    assert org.group_sizes(group_by=GroupField.NONE) == {"all": 6}


def test_empty_store(store: GraphStore) -> None:
    for field in GroupField:
        assert store.gap_counts(group_by=field) == []
        assert store.sole_holders(group_by=field) == []
        assert store.group_sizes(group_by=field) == {}


def test_backends_agree_on_a_demo_organisation(tmp_path: Path, neo4j_store: Neo4jStore) -> None:
    demo = pytest.importorskip("ingest.demo")
    taxonomy = pytest.importorskip("ingest.taxonomy")
    employees: list[Employee] = demo.generate_organisation(size=300, seed=11)
    used = {s.skill_id for e in employees for s in e.skills} | {g.skill_id for e in employees for g in e.goals}
    skills = [s for s in taxonomy.load_skills() if s.id in used]
    embedded = SqliteStore(path=tmp_path / "agree.sqlite")
    embedded.apply_schema()
    neo4j_store.clear()
    for backend in (embedded, neo4j_store):
        backend.upsert_skills(skills=[s.model_copy(update={"broader": ()}) for s in skills])
        backend.upsert_employees(employees=employees)
    try:
        for field in GroupField:
            rows = embedded.gap_counts(group_by=field)
            assert rows, field
            assert rows == neo4j_store.gap_counts(group_by=field)
            assert embedded.sole_holders(group_by=field) == neo4j_store.sole_holders(group_by=field)
            assert embedded.group_sizes(group_by=field) == neo4j_store.group_sizes(group_by=field)
        # And so the whole report, every number and every ranking, is the same.
        for by in GapGrouping:
            assert gap_report(store=embedded, group_by=by) == gap_report(store=neo4j_store, group_by=by)
    finally:
        embedded.close()
