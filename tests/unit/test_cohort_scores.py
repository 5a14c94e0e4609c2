"""The vectorised benefit matrices agree with the pairwise recommender's direction score.

A demo organisation on the real ESCO/O*NET taxonomy (BROADER edges, digital flags) with
deterministic SIMILAR_TO edges: for every (learner, teacher) pair the matrix entry must
equal ``score_direction`` computed the way ``recommend`` computes it (the learner's own
neighbourhood), with and without the reverse-mentoring digital filter; and the scores
``recommend`` itself returns must be the matrix entries.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from graph.sqlite_store import SqliteStore
from graph.store import SimilarEdge
from ingest.demo import generate_organisation
from ingest.taxonomy import load_skills
from recommender.cohort import direction_matrix, load_skill_space
from recommender.pairing import digital_goals_only, recommend
from recommender.policy import ProgrammePolicy
from recommender.scoring import load_neighbourhood, near_goals, score_direction
from schema import Employee

POLICY = ProgrammePolicy()


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SqliteStore, list[Employee]]]:
    employees = generate_organisation(size=120, seed=5)
    store = SqliteStore(path=Path(tmp_path_factory.mktemp("scores")) / "store.sqlite")
    store.apply_schema()
    store.upsert_skills(skills=load_skills())
    used = sorted({s.skill_id for e in employees for s in e.skills} | {g.skill_id for e in employees for g in e.goals})
    rng = random.Random(3)
    edges = []
    for source in used:
        # Scores span the policy's cut-off (0.5) and the near-duplicate cap (0.99).
        for target in rng.sample(used, 8):
            if target != source:
                edges.append(SimilarEdge(source, target, round(rng.choice([0.45, 0.55, 0.7, 0.85, 0.995]), 3)))
    edges.sort(key=lambda e: (e.source_id, -e.score, e.target_id))
    store.upsert_similar(edges=edges)
    store.upsert_employees(employees=employees)
    yield store, employees
    store.close()


def _reference(store: SqliteStore, learner: Employee, teachers: list[Employee], *, digital: bool) -> list[float]:
    """``score_direction`` as ``recommend`` runs it: the learner's own neighbourhood."""
    goal_ids = [g.skill_id for g in learner.goals]
    hood = load_neighbourhood(store=store, skill_ids=goal_ids, policy=POLICY)
    near = near_goals(goal_ids=goal_ids, hood=hood, policy=POLICY)
    allowed = digital_goals_only(store.get_skills(skill_ids=goal_ids)) if digital else None
    return [
        score_direction(learner=learner, teacher=t, near=near, policy=POLICY, allowed=allowed).score for t in teachers
    ]


@pytest.mark.parametrize("digital", [False, True])
def test_matrix_equals_score_direction_for_every_pair(org: tuple[SqliteStore, list[Employee]], digital: bool) -> None:
    store, employees = org
    space = load_skill_space(store=store, employees=employees, policy=POLICY)
    matrix = direction_matrix(learners=employees, teachers=employees, space=space, policy=POLICY, digital_only=digital)
    reference = np.asarray([_reference(store, learner, employees, digital=digital) for learner in employees])
    assert matrix.shape == (len(employees), len(employees))
    # Both round to 6 decimals; sums taken in a different order may differ by one unit there.
    np.testing.assert_allclose(matrix, reference, rtol=0, atol=1.5e-6)
    # The org is not trivial: many pairs score, and the digital filter removes some.
    assert (reference > 0).mean() > 0.1
    if digital:
        full = direction_matrix(learners=employees, teachers=employees, space=space, policy=POLICY)
        assert (matrix <= full + 1e-12).all()
        assert (matrix < full).any()


def test_scores_returned_by_recommend_are_the_matrix_entries(org: tuple[SqliteStore, list[Employee]]) -> None:
    store, employees = org
    index = {e.id: k for k, e in enumerate(employees)}
    space = load_skill_space(store=store, employees=employees, policy=POLICY)
    full = direction_matrix(learners=employees, teachers=employees, space=space, policy=POLICY)
    digital = direction_matrix(learners=employees, teachers=employees, space=space, policy=POLICY, digital_only=True)
    checked = 0
    for me in [e for e in employees if e.goals and e.seniority in (1, 4)][:12]:
        for rec in recommend(store=store, employee_id=me.id, limit=8).recommendations:
            other = index[rec.partner.id]
            mine = index[me.id]
            # Reverse mentoring: the junior partner teaches the senior digital topics only.
            if rec.partner.seniority < me.seniority:
                expected = (digital[mine, other], full[other, mine])
            else:
                expected = (full[mine, other], digital[other, mine])
            assert rec.you_learn.score == pytest.approx(expected[0], abs=1.5e-6)
            assert rec.you_teach.score == pytest.approx(expected[1], abs=1.5e-6)
            checked += 1
    assert checked >= 20


def test_chunked_join_gives_the_same_matrix(
    org: tuple[SqliteStore, list[Employee]], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, employees = org
    space = load_skill_space(store=store, employees=employees, policy=POLICY)
    whole = direction_matrix(learners=employees, teachers=employees, space=space, policy=POLICY)
    # Tiny chunks: every chunk boundary falls inside some teacher's skill list.
    monkeypatch.setattr("recommender.cohort._JOIN_CHUNK", 7)
    chunked = direction_matrix(learners=employees, teachers=employees, space=space, policy=POLICY)
    np.testing.assert_array_equal(whole, chunked)
