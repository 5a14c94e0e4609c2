"""The scorer: match qualities, direction scores and the harmonic mean, on hand-made data."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from graph.store import RankedSimilarEdge
from recommender.models import MatchKind
from recommender.policy import ProgrammePolicy
from recommender.scoring import (
    Near,
    Neighbourhood,
    goals_met_by,
    harmonic,
    near_goals,
    score_direction,
)
from schema import Employee, EmployeeSkill, LearningGoal

POLICY = ProgrammePolicy()


def person(pid: str, skills: dict[str, int] | None = None, goals: dict[str, int] | None = None) -> Employee:
    return Employee(
        id=pid,
        name=pid.title(),
        skills=tuple(EmployeeSkill(skill_id=s, level=v) for s, v in (skills or {}).items()),
        goals=tuple(LearningGoal(skill_id=s, priority=p) for s, p in (goals or {}).items()),
    )


def hood() -> Neighbourhood:
    # goal "g" has a similar skill "sim", a child "kid", a parent "mum" whose other child is
    # "sis"; "big" is a parent with too many children for siblings to count.
    h = Neighbourhood(
        similar={"g": [("sim", 0.8), ("weak", 0.61)]},
        parents={"g": ["mum", "big"]},
        children={"g": ["kid"], "mum": ["g", "sis"], "big": ["g", *[f"x{i}" for i in range(40)]]},
    )
    return h


def test_every_kind_of_match_gets_its_documented_quality() -> None:
    near = near_goals(goal_ids=["g"], hood=hood(), policy=POLICY)["g"]
    assert near["g"] == Near("g", MatchKind.EXACT, 1.0)
    assert near["sim"] == Near("sim", MatchKind.SIMILAR, 0.8)
    assert near["kid"] == Near("kid", MatchKind.NARROWER, POLICY.narrower_quality)
    assert near["mum"] == Near("mum", MatchKind.BROADER, POLICY.broader_quality)
    assert near["sis"] == Near("sis", MatchKind.SIBLING, POLICY.sibling_quality)
    # Siblings under a parent with 41 children say nothing about each other.
    assert "x0" not in near
    assert near["big"].match is MatchKind.BROADER


def test_the_best_relation_wins_when_several_hold() -> None:
    h = hood()
    h.similar["g"] = [("sis", 0.7)]  # "sis" is both a sibling (0.4) and similar (0.7)
    assert near_goals(goal_ids=["g"], hood=h, policy=POLICY)["g"]["sis"] == Near("sis", MatchKind.SIMILAR, 0.7)


def test_the_inverse_walk_finds_the_same_relations_from_the_teachers_side() -> None:
    # The teacher holds "kid", "sis" and "sim": which goals do they meet? The similar edge
    # points from the goal into "sim"; it counts only if it is one of the goal's 10 best.
    teacher_hood = Neighbourhood(parents={"kid": ["g"], "sis": ["mum"]}, children={"mum": ["g", "sis"]})
    inverse = goals_met_by(
        skill_ids=["kid", "sis", "sim"],
        hood=teacher_hood,
        policy=POLICY,
        incoming=[RankedSimilarEdge("g", "sim", 0.8, 0), RankedSimilarEdge("h", "sim", 0.9, 10)],
    )
    outward = near_goals(goal_ids=["g"], hood=hood(), policy=POLICY)["g"]
    for skill in ("kid", "sis", "sim"):
        assert inverse["g"][skill] == outward[skill]
    assert "h" not in inverse  # "sim" is only h's 11th strongest neighbour


def test_direction_score_is_the_priority_weighted_share_of_goals_met() -> None:
    learner = person("lea", goals={"g": 5, "h": 3, "i": 2})
    teacher = person("tom", skills={"g": 5, "sim": 4, "i": 2})
    near = {"g": {"g": Near("g", MatchKind.EXACT, 1.0)}, "h": {"sim": Near("sim", MatchKind.SIMILAR, 0.8)}}
    direction = score_direction(learner=learner, teacher=teacher, near=near, policy=POLICY)
    # g: 5 x 1.0 x 1.0; h: 3 x 0.8 x 0.85 (level 4); i: held at level 2, below teaching level.
    assert direction.score == pytest.approx((5 * 1.0 + 3 * 0.8 * 0.85) / 10, abs=1e-6)
    assert [(t.goal_id, t.skill_id, t.level) for t in direction.topics] == [("g", "g", 5), ("h", "sim", 4)]
    assert direction.goals == 3


def test_a_perfect_teacher_scores_one_and_a_stranger_zero() -> None:
    learner = person("lea", goals={"g": 3, "h": 1})
    near = {"g": {"g": Near("g", MatchKind.EXACT, 1.0)}, "h": {"h": Near("h", MatchKind.EXACT, 1.0)}}
    expert = person("exp", skills={"g": 5, "h": 5})
    stranger = person("str", skills={"z": 5})
    assert score_direction(learner=learner, teacher=expert, near=near, policy=POLICY).score == 1.0
    assert score_direction(learner=learner, teacher=stranger, near=near, policy=POLICY).score == 0.0
    assert score_direction(learner=person("none"), teacher=expert, near=near, policy=POLICY).score == 0.0


def test_an_exact_skill_beats_a_similar_one_and_a_filter_can_forbid_topics() -> None:
    learner = person("lea", goals={"g": 3})
    teacher = person("tom", skills={"g": 3, "sim": 5})
    near = {"g": {"g": Near("g", MatchKind.EXACT, 1.0), "sim": Near("sim", MatchKind.SIMILAR, 0.9)}}
    best = score_direction(learner=learner, teacher=teacher, near=near, policy=POLICY).topics[0]
    # exact at level 3: 0.7; similar at level 5: 0.9 -> the similar skill is worth more
    assert (best.skill_id, best.near.match) == ("sim", MatchKind.SIMILAR)
    forbidden = score_direction(learner=learner, teacher=teacher, near=near, policy=POLICY, allowed=lambda g, s: False)
    assert forbidden.score == 0.0
    assert forbidden.topics == ()


def test_harmonic_mean_punishes_one_sided_pairs() -> None:
    assert harmonic(0.8, 0.8) == pytest.approx(0.8)
    assert harmonic(0.9, 0.1) == pytest.approx(0.18)
    assert harmonic(0.9, 0.1) < harmonic(0.5, 0.5)
    assert harmonic(1.0, 0.0) == 0.0


def test_policy_rejects_level_factors_that_fall_with_the_level() -> None:
    with pytest.raises(ValidationError, match="level_factors"):
        ProgrammePolicy(level_factors=(0, 0, 1.0, 0.5, 0.2))
    assert ProgrammePolicy().teaching_factors() == (0.0, 0.0, 0.7, 0.85, 1.0)
    assert ProgrammePolicy(teaching_level=4).level_factor(3) == 0.0
