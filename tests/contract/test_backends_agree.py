"""The two backends, loaded with the same data, answer every read identically."""

from __future__ import annotations

import numpy as np
import pytest

from graph.neo4j_store import Neo4jStore
from graph.sqlite_store import SqliteStore
from graph.store import GraphStore, GroupField, SimilarEdge
from schema import Employee, EmployeeSkill, LearningGoal, Skill
from tests.contract.test_store_contract import unit_vectors

N_SKILLS = 300
N_EMPLOYEES = 200


def load(store: GraphStore) -> None:
    rng = np.random.default_rng(42)
    skills = [
        Skill(id=f"k{i:04d}", label=f"Skill {i}", broader=(f"k{i // 10:04d}",) if i >= 10 else ())
        for i in range(N_SKILLS)
    ]
    store.upsert_skills(skills=skills, embeddings=unit_vectors(N_SKILLS, seed=1))
    store.upsert_similar(
        edges=[
            SimilarEdge(f"k{i:04d}", f"k{(i * 7 + 3) % N_SKILLS:04d}", round(float(rng.random()), 4))
            for i in range(N_SKILLS)
        ]
    )
    people = []
    for i in range(N_EMPLOYEES):
        held = rng.choice(N_SKILLS, size=12, replace=False)
        wanted = rng.choice(N_SKILLS, size=4, replace=False)
        people.append(
            Employee(
                id=f"e{i:04d}",
                name=f"Employee {i}",
                department=["Sales", "R&D", "HR"][i % 3],
                seniority=1 + i % 5,
                manager_id=f"e{(i - 1) // 3:04d}" if i else None,
                skills=tuple(EmployeeSkill(skill_id=f"k{s:04d}", level=int(1 + rng.integers(5))) for s in sorted(held)),
                goals=tuple(
                    LearningGoal(skill_id=f"k{s:04d}", priority=int(1 + rng.integers(5))) for s in sorted(wanted)
                ),
            )
        )
    store.upsert_employees(employees=people)


def test_identical_answers(tmp_path: object, neo4j_store: Neo4jStore) -> None:
    embedded = SqliteStore(path=f"{tmp_path}/agree.sqlite")
    embedded.apply_schema()
    neo4j_store.clear()
    for store in (embedded, neo4j_store):
        load(store)
    queries = unit_vectors(10, seed=77)
    for query in queries:
        a = embedded.search_skills(vector=query, k=10)
        b = neo4j_store.search_skills(vector=query, k=10)
        assert [h.skill.id for h in a] == [h.skill.id for h in b]
        assert [h.score for h in a] == pytest.approx([h.score for h in b], abs=1e-4)
    some = [f"k{i:04d}" for i in range(0, N_SKILLS, 29)]
    assert embedded.holders(skill_ids=some, min_level=3) == neo4j_store.holders(skill_ids=some, min_level=3)
    assert embedded.learners(skill_ids=some) == neo4j_store.learners(skill_ids=some)
    assert embedded.similar_skills(skill_ids=some) == neo4j_store.similar_skills(skill_ids=some)
    assert embedded.broader_edges(skill_ids=some) == neo4j_store.broader_edges(skill_ids=some)
    ids = ["e0000", "e0007", "e0100", "e0199"]
    assert embedded.get_employees(employee_ids=ids) == neo4j_store.get_employees(employee_ids=ids)
    for employee_id in ids:
        assert embedded.reporting_chain(employee_id=employee_id) == neo4j_store.reporting_chain(employee_id=employee_id)
    for field in GroupField:
        assert embedded.group_skill_counts(group_by=field) == neo4j_store.group_skill_counts(group_by=field)
    assert embedded.counts() == neo4j_store.counts()
    embedded.close()
