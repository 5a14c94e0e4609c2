"""Contract of the store walks added for the recommender (``rank_by_skills``,
``list_pairings_for``), run against every backend: same inputs, same answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.sqlite_store import SqliteStore
from graph.store import (
    EmployeeFilter,
    GraphStore,
    RankedEmployee,
    RankedSimilarEdge,
    SimilarEdge,
    SkillEdge,
    SkillTarget,
)
from schema import Employee, EmployeeSkill, LearningGoal, Pairing, PairingStatus, Skill

TEACH = (0.0, 0.0, 0.7, 0.85, 1.0)  # levels 1-2 ignored
PRIORITY = (1.0, 2.0, 3.0, 4.0, 5.0)


def _person(pid: str, *, skills: dict[str, int] | None = None, goals: dict[str, int] | None = None,
            seniority: int = 2, utc: float = 0.0, capacity: int = 1, opt_in: bool = True) -> Employee:  # fmt: skip
    return Employee(
        id=pid,
        name=f"Person {pid}",
        seniority=seniority,
        utc_offset=utc,
        capacity=capacity,
        opt_in=opt_in,
        skills=tuple(EmployeeSkill(skill_id=s, level=v) for s, v in (skills or {}).items()),
        goals=tuple(LearningGoal(skill_id=s, priority=p) for s, p in (goals or {}).items()),
    )


@pytest.fixture
def org(store: GraphStore) -> GraphStore:
    store.upsert_skills(skills=[Skill(id=f"k{i}", label=f"Skill {i}") for i in range(6)])
    store.upsert_employees(
        employees=[
            _person("a", skills={"k0": 5, "k1": 3}, goals={"k4": 5}, seniority=1),
            _person("b", skills={"k0": 3, "k2": 4}, goals={"k4": 2, "k5": 3}, seniority=4, utc=5.5),
            _person("c", skills={"k1": 5, "k2": 2}, goals={"k5": 1}, seniority=5, opt_in=False),
            _person("d", skills={"k0": 2, "k3": 4}, seniority=3, capacity=0),
            _person("e", skills={"k2": 5}, goals={"k4": 4}, seniority=2, utc=-8),
        ]
    )
    return store


TARGETS = [
    # group g1: k0 exact, or k1 at 0.5; group g2: k2.
    SkillTarget("g1", "k0", 1.0),
    SkillTarget("g1", "k1", 0.5),
    SkillTarget("g2", "k2", 0.8),
]


def test_rank_sums_the_best_target_per_group(org: GraphStore) -> None:
    ranked = org.rank_by_skills(edge=SkillEdge.HAS_SKILL, targets=TARGETS, factors=TEACH)
    # a: g1 max(1.0*1.0, 0.5*0.7) = 1.0 -> 1.0; b: g1 0.7, g2 0.8*0.85 = 0.68 -> 1.38;
    # c: g1 0.5*1.0 = 0.5 (k2 at level 2 ignored); e: g2 0.8; d: k0 at level 2 ignored.
    assert ranked == [
        RankedEmployee("b", 1.38),
        RankedEmployee("a", 1.0),
        RankedEmployee("e", 0.8),
        RankedEmployee("c", 0.5),
    ]


def test_rank_applies_every_filter_and_the_limit(org: GraphStore) -> None:
    def ids(where: EmployeeFilter, limit: int = 50) -> list[str]:
        ranked = org.rank_by_skills(edge=SkillEdge.HAS_SKILL, targets=TARGETS, factors=TEACH, where=where, limit=limit)
        return [r.employee_id for r in ranked]

    assert ids(EmployeeFilter(exclude_ids=["b"])) == ["a", "e", "c"]
    assert ids(EmployeeFilter(opt_in_only=True)) == ["b", "a", "e"]
    assert ids(EmployeeFilter(min_capacity=1, seniorities=[1, 5])) == ["a", "c"]
    assert ids(EmployeeFilter(min_utc_offset=-1, max_utc_offset=5.5)) == ["b", "a", "c"]
    assert ids(EmployeeFilter(), limit=2) == ["b", "a"]
    assert org.rank_by_skills(edge=SkillEdge.HAS_SKILL, targets=[], factors=TEACH) == []


def test_rank_learners_weighs_priorities_and_breaks_ties_by_id(org: GraphStore) -> None:
    targets = [SkillTarget("k4", "k4", 1.0), SkillTarget("k5", "k5", 0.5)]
    ranked = org.rank_by_skills(edge=SkillEdge.WANTS_TO_LEARN, targets=targets, factors=PRIORITY)
    # a: 5; b: 2 + 1.5 = 3.5; e: 4; c: 0.5
    assert ranked == [
        RankedEmployee("a", 5.0),
        RankedEmployee("e", 4.0),
        RankedEmployee("b", 3.5),
        RankedEmployee("c", 0.5),
    ]
    tied = org.rank_by_skills(edge=SkillEdge.WANTS_TO_LEARN, targets=targets, factors=(1.0,) * 5)
    assert [(r.employee_id, r.score) for r in tied] == [("b", 1.5), ("a", 1.0), ("e", 1.0), ("c", 0.5)]


def test_rank_does_not_mutate_inputs(org: GraphStore) -> None:
    targets = list(TARGETS)
    factors = list(TEACH)
    where = EmployeeFilter(exclude_ids=["a"], seniorities=[4, 5])
    org.rank_by_skills(edge=SkillEdge.HAS_SKILL, targets=targets, factors=factors, where=where)
    assert targets == TARGETS
    assert factors == list(TEACH)
    assert list(where.exclude_ids) == ["a"]


def test_list_pairings_for_many_people(org: GraphStore) -> None:
    assert org.list_pairings_for(employee_ids=["a", "b"]) == []
    pairings = [
        Pairing(id="p1", employee_ids=("a", "b")),
        Pairing(id="p2", employee_ids=("b", "c"), status=PairingStatus.ENDED),
        Pairing(id="p3", employee_ids=("d", "e")),
    ]
    org.upsert_pairings(pairings=pairings)
    assert [p.id for p in org.list_pairings_for(employee_ids=["c", "a"])] == ["p1", "p2"]
    assert org.list_pairings_for(employee_ids=["e"]) == [pairings[2]]
    assert org.list_pairings_for(employee_ids=["nobody"]) == []


def test_rank_normalised_divides_by_all_the_employees_edges(org: GraphStore) -> None:
    targets = [SkillTarget("k4", "k4", 1.0), SkillTarget("k5", "k5", 0.5)]
    ranked = org.rank_by_skills(edge=SkillEdge.WANTS_TO_LEARN, targets=targets, factors=PRIORITY, normalise=True)
    # a: 5/5; e: 4/4; b: (2 + 1.5)/(2 + 3); c: 0.5/1
    assert ranked == [
        RankedEmployee("a", 1.0),
        RankedEmployee("e", 1.0),
        RankedEmployee("b", 0.7),
        RankedEmployee("c", 0.5),
    ]
    # Holders: a holds k0 (5) and k1 (3): 1.0 / (1.0 + 0.7).
    holders = org.rank_by_skills(
        edge=SkillEdge.HAS_SKILL, targets=[SkillTarget("g", "k0", 1.0)], factors=TEACH, normalise=True, limit=1
    )
    assert holders == [RankedEmployee("a", round(1.0 / 1.7, 9))]


def test_rank_sees_every_write_at_once(org: GraphStore) -> None:
    before = org.rank_by_skills(edge=SkillEdge.HAS_SKILL, targets=TARGETS, factors=TEACH)
    assert before[0] == RankedEmployee("b", 1.38)
    # b drops k2; c learns k0 at level 5; a is erased.
    org.upsert_employees(
        employees=[
            _person("b", skills={"k0": 3}, goals={"k4": 2, "k5": 3}, seniority=4, utc=5.5),
            _person("c", skills={"k0": 5, "k1": 5}, goals={"k5": 1}, seniority=5, opt_in=False),
        ]
    )
    org.delete_employee(employee_id="a")
    after = org.rank_by_skills(edge=SkillEdge.HAS_SKILL, targets=TARGETS, factors=TEACH)
    assert after == [RankedEmployee("c", 1.0), RankedEmployee("e", 0.8), RankedEmployee("b", 0.7)]


def test_embedded_rank_sees_commits_from_another_connection(tmp_path: Path) -> None:
    """The embedded store caches the walk's edges; a commit by another store object (as by
    another process) on the same file must still be seen by the next walk."""
    reader = SqliteStore(path=tmp_path / "shared.sqlite")
    reader.apply_schema()
    reader.upsert_skills(skills=[Skill(id="k0", label="Skill 0")])
    reader.upsert_employees(employees=[_person("a", skills={"k0": 3})])
    targets = [SkillTarget("g", "k0", 1.0)]
    assert reader.rank_by_skills(edge=SkillEdge.HAS_SKILL, targets=targets, factors=TEACH) == [RankedEmployee("a", 0.7)]
    writer = SqliteStore(path=tmp_path / "shared.sqlite")
    writer.upsert_employees(employees=[_person("a", skills={"k0": 5}), _person("z", skills={"k0": 4})])
    writer.close()
    assert reader.rank_by_skills(edge=SkillEdge.HAS_SKILL, targets=targets, factors=TEACH) == [
        RankedEmployee("a", 1.0),
        RankedEmployee("z", 0.85),
    ]
    reader.close()
    # Usable again after close, and still fresh.
    assert len(reader.rank_by_skills(edge=SkillEdge.HAS_SKILL, targets=targets, factors=TEACH)) == 2
    reader.close()


def test_similar_into_ranks_each_edge_among_its_sources_edges(store: GraphStore) -> None:
    store.upsert_skills(skills=[Skill(id=i, label=f"Skill {i}") for i in ("a", "b", "c", "x", "y", "z")])
    store.upsert_similar(
        edges=[
            SimilarEdge("a", "a", 1.0),  # a self loop: neither returned nor counted
            SimilarEdge("a", "x", 0.9),
            SimilarEdge("a", "y", 0.8),
            SimilarEdge("a", "z", 0.8),
            SimilarEdge("b", "x", 0.7),
            SimilarEdge("c", "y", 0.95),
            SimilarEdge("x", "a", 0.9),
        ]
    )
    assert store.similar_into(skill_ids=["x", "y"], min_score=0.5) == [
        RankedSimilarEdge("c", "y", 0.95, 0),
        RankedSimilarEdge("a", "x", 0.9, 0),
        RankedSimilarEdge("a", "y", 0.8, 1),  # below x; ahead of z on the tie (y < z)
        RankedSimilarEdge("b", "x", 0.7, 0),
    ]
    assert store.similar_into(skill_ids=["z"]) == [RankedSimilarEdge("a", "z", 0.8, 2)]
    assert store.similar_into(skill_ids=["x"], min_score=0.75) == [RankedSimilarEdge("a", "x", 0.9, 0)]
    assert store.similar_into(skill_ids=["nothing"]) == []


def test_narrower_edges_can_leave_out_big_parents(store: GraphStore) -> None:
    store.upsert_skills(
        skills=[
            Skill(id="small", label="Small group"),
            Skill(id="big", label="Big group"),
            *[Skill(id=f"s{i}", label=f"Small child {i}", broader=("small",)) for i in range(2)],
            *[Skill(id=f"b{i}", label=f"Big child {i}", broader=("big",)) for i in range(4)],
        ]
    )
    everything = store.narrower_edges(skill_ids=["big", "small"])
    assert len(everything) == 6
    assert store.narrower_edges(skill_ids=["big", "small"], max_children=3) == [("small", "s0"), ("small", "s1")]
    assert store.narrower_edges(skill_ids=["big", "small"], max_children=4) == everything
    assert store.narrower_edges(skill_ids=["small"], max_children=0) == []
