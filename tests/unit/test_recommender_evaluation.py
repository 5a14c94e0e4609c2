"""The evaluation harness on the fixed organisation, with one planted pair (Victor, Ana)."""

from __future__ import annotations

from pathlib import Path

from graph.sqlite_store import SqliteStore
from recommender.evaluation import Method, evaluate, paraphrase_planted
from recommender.policy import ProgrammePolicy
from tests.contract.test_recommender_contract import EMPLOYEES, build_org

PLANTED = [("ana", "vps")]
# Default rules: Dee (9 hours away) would otherwise be Victor's best partner.
POLICY = ProgrammePolicy()


def _store(tmp_path: Path) -> SqliteStore:
    store = SqliteStore(path=tmp_path / "org.sqlite")
    store.apply_schema()
    build_org(store)
    return store


def test_every_method_is_scored_and_the_two_way_recommender_finds_the_planted_pair(tmp_path: Path) -> None:
    store = _store(tmp_path)
    scores = {m.method: m for m in evaluate(store=store, employees=EMPLOYEES, planted=PLANTED, policy=POLICY, k=1)}
    assert set(scores) == set(Method)
    ours = scores[Method.MENTORGRAPH]
    assert ours.planted_queries == 2
    assert ours.hit_at_k == 1.0  # Ana's first partner is Victor and Victor's is Ana
    assert ours.mrr == 1.0
    assert 0 < ours.coverage_learn <= 1
    assert 0 < ours.coverage_teach <= 1
    assert ours.coverage_people == len([e for e in EMPLOYEES if e.goals]) - 2
    # Random partners cover less of people's goals than the recommender's first choice.
    assert scores[Method.RANDOM].coverage_learn < ours.coverage_learn
    assert all(score.planted_queries == 2 for score in scores.values())


def test_paraphrasing_hides_the_planted_pair_from_exact_label_matching(tmp_path: Path) -> None:
    store = _store(tmp_path)
    employees, replaced = paraphrase_planted(store=store, employees=EMPLOYEES, planted=PLANTED)
    assert replaced >= 1
    victor = next(e for e in employees if e.id == "vps")
    held = {s.skill_id: s.level for s in victor.skills}
    # Ana wants "negotiate business agreements"; Victor now holds its SIMILAR_TO neighbour.
    assert "negotiation" not in held
    assert held["negotiating"] == 5
    assert EMPLOYEES[1].skills != victor.skills  # the input is not mutated
    store.upsert_employees(employees=employees)
    scores = {m.method: m for m in evaluate(store=store, employees=employees, planted=PLANTED, policy=POLICY, k=1)}
    assert scores[Method.MENTORGRAPH].hit_at_k == 1.0
    assert scores[Method.MENTORGRAPH].coverage_learn >= scores[Method.RANDOM].coverage_learn
