"""The GraphStore contract, run against every backend: same inputs, same results."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from graph.errors import InvalidReference
from graph.store import GraphStore, GroupField, RankedEmployee, SimilarEdge, SkillEdge, SkillTarget
from schema import Employee, EmployeeSkill, LearningGoal, Pairing, PairingFeedback, Skill, SkillSource

DIM = 384


def unit_vectors(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(n, DIM)).astype(np.float32)
    normalised: np.ndarray = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return normalised


def make_skills(n: int) -> list[Skill]:
    return [
        Skill(
            id=f"s{i:03d}",
            label=f"Skill {i}",
            alt_labels=(f"alias {i}",),
            source=SkillSource.ESCO,
            category="digital" if i % 2 else "management",
            digital=bool(i % 2),
            broader=("s000",) if i else (),
        )
        for i in range(n)
    ]


def person(pid: str, *, manager: str | None = None, skills: dict[str, int] | None = None,
           goals: dict[str, int] | None = None, department: str = "Sales", seniority: int = 2) -> Employee:  # fmt: skip
    return Employee(
        id=pid,
        name=f"Person {pid}",
        department=department,
        seniority=seniority,
        manager_id=manager,
        skills=tuple(EmployeeSkill(skill_id=s, level=lv) for s, lv in (skills or {}).items()),
        goals=tuple(LearningGoal(skill_id=s, priority=p) for s, p in (goals or {}).items()),
    )


@pytest.fixture
def seeded(store: GraphStore) -> GraphStore:
    skills = make_skills(20)
    store.upsert_skills(skills=skills, embeddings=unit_vectors(20))
    store.upsert_employees(
        employees=[
            person("ceo", skills={"s001": 5, "s002": 4}, goals={"s010": 5}, department="Board", seniority=5),
            person("vp", manager="ceo", skills={"s002": 3, "s003": 2}, goals={"s011": 3}, seniority=4),
            person("dev", manager="vp", skills={"s010": 4, "s011": 5}, goals={"s001": 4, "s002": 2}),
            person("intern", manager="dev", skills={"s010": 2}, goals={"s001": 1}, seniority=1),
            person("other", skills={"s011": 3}, department="HR", seniority=3),
        ]
    )
    return store


def test_new_store_is_empty(store: GraphStore) -> None:
    counts = store.counts()
    assert (counts.employees, counts.skills, counts.has_skill, counts.pairings) == (0, 0, 0, 0)
    assert store.list_employees().total == 0
    assert store.search_skills(vector=unit_vectors(1)[0], k=5) == []


def test_skill_round_trip_and_idempotent_upsert(store: GraphStore) -> None:
    skills = make_skills(5)
    store.upsert_skills(skills=skills, embeddings=unit_vectors(5))
    store.upsert_skills(skills=skills, embeddings=unit_vectors(5))
    assert store.counts().skills == 5
    assert store.get_skill(skill_id="s003") == skills[3]
    assert [s.id for s in store.list_skills()] == [s.id for s in skills]
    assert store.get_skill(skill_id="nope") is None
    assert store.skill_ids_without_embedding() == []


def test_upsert_does_not_mutate_inputs(store: GraphStore) -> None:
    vectors = unit_vectors(3)
    before = vectors.copy()
    skills = make_skills(3)
    store.upsert_skills(skills=skills, embeddings=vectors)
    assert np.array_equal(vectors, before)
    assert skills == make_skills(3)


def test_upsert_without_embedding_keeps_the_old_one(store: GraphStore) -> None:
    skills = make_skills(3)
    store.upsert_skills(skills=skills, embeddings=unit_vectors(3))
    store.upsert_skills(skills=[skills[1].model_copy(update={"label": "Renamed"})])
    assert store.get_skill(skill_id="s001").label == "Renamed"  # type: ignore[union-attr]
    assert store.skill_ids_without_embedding() == []
    store.upsert_skills(skills=[Skill(id="fresh", label="Fresh")])
    assert store.skill_ids_without_embedding() == ["fresh"]


def test_vector_search_ranks_nearest_first(store: GraphStore) -> None:
    vectors = unit_vectors(50, seed=3)
    store.upsert_skills(skills=make_skills(50), embeddings=vectors)
    query = vectors[7] * 0.9 + vectors[8] * 0.1
    query /= np.linalg.norm(query)
    hits = store.search_skills(vector=query, k=5)
    expected = np.argsort(-(vectors @ query))[:5]
    assert [h.skill.id for h in hits] == [f"s{i:03d}" for i in expected]
    assert hits[0].score == pytest.approx(float(vectors[7] @ query), abs=1e-4)
    assert all(a.score >= b.score for a, b in itertools.pairwise(hits))


def test_set_embeddings_later(store: GraphStore) -> None:
    store.upsert_skills(skills=make_skills(4))
    vectors = unit_vectors(4, seed=9)
    assert store.set_skill_embeddings(skill_ids=["s000", "s001", "s002", "s003"], embeddings=vectors) == 4
    hits = store.search_skills(vector=vectors[2], k=1)
    assert hits[0].skill.id == "s002"
    assert hits[0].score == pytest.approx(1.0, abs=1e-4)


def test_label_lookup_is_case_insensitive_and_prefers_preferred_labels(store: GraphStore) -> None:
    store.upsert_skills(
        skills=[Skill(id="a", label="Python", alt_labels=("py",)), Skill(id="b", label="Py", alt_labels=("Python",))]
    )
    found = store.skills_by_label(labels=["PYTHON", "py", "unknown"])
    assert found == {"python": ["a", "b"], "py": ["b", "a"]}


def test_hierarchy_and_similarity_edges(store: GraphStore) -> None:
    store.upsert_skills(skills=make_skills(4))
    assert store.broader_edges(skill_ids=["s001", "s002"]) == [("s001", "s000"), ("s002", "s000")]
    assert store.narrower_edges(skill_ids=["s000"]) == [("s000", "s001"), ("s000", "s002"), ("s000", "s003")]
    store.upsert_similar(
        edges=[SimilarEdge("s001", "s002", 0.9), SimilarEdge("s001", "s003", 0.7), SimilarEdge("s002", "s001", 0.9)]
    )
    assert store.similar_skills(skill_ids=["s001"], min_score=0.8) == [SimilarEdge("s001", "s002", 0.9)]
    # Re-upserting a source replaces its edges.
    store.upsert_similar(edges=[SimilarEdge("s001", "s003", 0.75)])
    assert store.similar_skills(skill_ids=["s001", "s002"]) == [
        SimilarEdge("s002", "s001", 0.9),
        SimilarEdge("s001", "s003", 0.75),
    ]
    assert store.counts().similar_to == 2


def test_employee_round_trip(seeded: GraphStore) -> None:
    dev = seeded.get_employee(employee_id="dev")
    assert dev is not None
    assert dev.manager_id == "vp"
    assert dev.skills == (EmployeeSkill(skill_id="s010", level=4), EmployeeSkill(skill_id="s011", level=5))
    assert dev.goals == (LearningGoal(skill_id="s001", priority=4), LearningGoal(skill_id="s002", priority=2))
    assert seeded.get_employee(employee_id="missing") is None
    page = seeded.list_employees(offset=1, limit=2)
    assert page.total == 5
    assert [e.id for e in page.items] == ["dev", "intern"]
    assert seeded.list_employee_ids() == ["ceo", "dev", "intern", "other", "vp"]


def test_update_replaces_skills_and_goals(seeded: GraphStore) -> None:
    seeded.upsert_employees(employees=[person("dev", manager="ceo", skills={"s005": 3}, goals={})])
    dev = seeded.get_employee(employee_id="dev")
    assert dev is not None
    assert dev.skills == (EmployeeSkill(skill_id="s005", level=3),)
    assert dev.goals == ()
    assert dev.manager_id == "ceo"
    assert seeded.reporting_chain(employee_id="dev") == {"ceo", "intern"}
    counts = seeded.counts()
    assert (counts.has_skill, counts.wants_to_learn, counts.reports_to) == (7, 3, 3)


def test_unknown_skill_is_rejected_and_nothing_written(store: GraphStore) -> None:
    store.upsert_skills(skills=make_skills(2))
    with pytest.raises(InvalidReference) as caught:
        store.upsert_employees(employees=[person("a", skills={"s000": 3}), person("b", goals={"ghost": 2})])
    assert caught.value.missing == ["ghost"]
    assert store.counts().employees == 0


def test_reporting_chain_up_and_down_at_any_depth(seeded: GraphStore) -> None:
    assert seeded.reporting_chain(employee_id="vp") == {"ceo", "dev", "intern"}
    assert seeded.reporting_chain(employee_id="intern") == {"dev", "vp", "ceo"}
    assert seeded.reporting_chain(employee_id="other") == set()
    assert seeded.reporting_chain(employee_id="missing") == set()


def test_reports_loaded_before_their_manager_are_linked(store: GraphStore) -> None:
    store.upsert_skills(skills=make_skills(1))
    store.upsert_employees(employees=[person("report", manager="boss")])
    assert store.reporting_chain(employee_id="report") == set()
    store.upsert_employees(employees=[person("boss")])
    assert store.reporting_chain(employee_id="report") == {"boss"}
    assert store.counts().reports_to == 1


def test_holders_and_learners_walks(seeded: GraphStore) -> None:
    holders = seeded.holders(skill_ids=["s001", "s002", "s011"], min_level=3)
    assert [(h.employee_id, h.skill_id, h.level) for h in holders] == [
        ("ceo", "s001", 5),
        ("ceo", "s002", 4),
        ("vp", "s002", 3),
        ("dev", "s011", 5),
        ("other", "s011", 3),
    ]
    assert [h.employee_id for h in seeded.holders(skill_ids=["s011"], exclude_ids=["dev"])] == ["other"]
    learners = seeded.learners(skill_ids=["s001"])
    assert [(x.employee_id, x.priority) for x in learners] == [("dev", 4), ("intern", 1)]


def test_erasure_removes_the_employee_and_every_edge(seeded: GraphStore) -> None:
    seeded.upsert_pairings(pairings=[Pairing(id="p1", employee_ids=("dev", "ceo"))])
    assert seeded.delete_employee(employee_id="dev") is True
    assert seeded.get_employee(employee_id="dev") is None
    assert seeded.holders(skill_ids=["s010", "s011"]) == seeded.holders(skill_ids=["s010", "s011"], exclude_ids=["dev"])
    assert all(h.employee_id != "dev" for h in seeded.holders(skill_ids=["s010", "s011"]))
    assert seeded.learners(skill_ids=["s001", "s002"])[0].employee_id != "dev"
    assert seeded.list_pairings() == []
    assert seeded.reporting_chain(employee_id="intern") == set()
    counts = seeded.counts()
    assert (counts.employees, counts.has_skill, counts.wants_to_learn, counts.reports_to) == (4, 6, 3, 1)
    # Deleting a missing id is not an error.
    assert seeded.delete_employee(employee_id="dev") is False


def test_delete_skill_removes_its_edges(seeded: GraphStore) -> None:
    assert seeded.delete_skill(skill_id="s011") is True
    assert seeded.delete_skill(skill_id="s011") is False
    assert seeded.holders(skill_ids=["s011"]) == []
    other = seeded.get_employee(employee_id="other")
    assert other is not None and other.skills == ()


def test_pairings_and_feedback(seeded: GraphStore) -> None:
    pairing = Pairing(id="p1", employee_ids=("ceo", "dev"), programme="2026 reverse mentoring")
    seeded.upsert_pairings(pairings=[pairing, Pairing(id="p2", employee_ids=("vp", "other"))])
    seeded.upsert_pairings(pairings=[pairing])
    assert [p.id for p in seeded.list_pairings(employee_id="dev")] == ["p1"]
    assert [p.id for p in seeded.list_pairings()] == ["p1", "p2"]
    feedback = PairingFeedback(by_employee_id="dev", rating=5, topics_covered=("strategy",), comment="great")
    updated = seeded.add_feedback(pairing_id="p1", feedback=feedback)
    assert updated is not None and updated.feedback == (feedback,)
    assert seeded.get_pairing(pairing_id="p1") == updated
    assert seeded.add_feedback(pairing_id="nope", feedback=feedback) is None
    assert seeded.delete_pairing(pairing_id="p2") is True
    assert seeded.delete_pairing(pairing_id="p2") is False


def test_group_counts_are_aggregated_in_the_store(seeded: GraphStore) -> None:
    rows = seeded.group_skill_counts(group_by=GroupField.DEPARTMENT)
    by_key = {(r.group, r.skill_id): r for r in rows}
    sales_s001 = by_key[("Sales", "s001")]
    assert (sales_s001.learners, sales_s001.demand, sales_s001.teachers, sales_s001.holders) == (2, 5, 0, 0)
    board_s001 = by_key[("Board", "s001")]
    assert (board_s001.learners, board_s001.teachers, board_s001.holders) == (0, 1, 1)
    sales_s010 = by_key[("Sales", "s010")]
    assert (sales_s010.teachers, sales_s010.holders) == (1, 2)
    assert [(r.group, r.skill_id) for r in rows] == sorted(by_key)
    seniority = {(r.group, r.skill_id) for r in seeded.group_skill_counts(group_by=GroupField.SENIORITY)}
    assert ("5", "s001") in seniority and ("1", "s001") in seniority
    total = seeded.group_skill_counts(group_by=GroupField.NONE)
    assert {r.group for r in total} == {"all"}
    assert sum(r.holders for r in total) == seeded.counts().has_skill


def test_clear_empties_everything(seeded: GraphStore) -> None:
    seeded.clear()
    assert seeded.counts().employees == 0
    assert seeded.counts().skills == 0


def test_warm_caches_change_no_answer_and_go_stale_on_a_write(seeded: GraphStore) -> None:
    targets = [SkillTarget("a", "s010", 1.0), SkillTarget("b", "s011", 0.5)]

    def answers() -> tuple[list[RankedEmployee], dict[str, Employee]]:
        ranked = seeded.rank_by_skills(edge=SkillEdge.HAS_SKILL, targets=targets, factors=[0, 0, 0.5, 0.8, 1])
        return ranked, seeded.get_employees(employee_ids=["dev", "other", "nobody"])

    before = answers()
    seeded.warm()
    assert answers() == before
    # A write after warming is seen at once: the caches are dropped, never served stale.
    seeded.upsert_employees(employees=[person("other", skills={"s011": 5, "s010": 5}, department="HR", seniority=3)])
    ranked, people = answers()
    assert people["other"].skills == (EmployeeSkill(skill_id="s010", level=5), EmployeeSkill(skill_id="s011", level=5))
    assert ranked[0].employee_id == "other"
