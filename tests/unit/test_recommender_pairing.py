"""Two-way recommendations and pair agendas on the fixed organisation (embedded store):
the programme rules, the ranking, and what the user reads."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.sqlite_store import SqliteStore
from recommender.errors import EmployeeNotFound
from recommender.models import ExclusionReason, MatchKind, RecommendationList
from recommender.pairing import agenda, recommend
from recommender.policy import MentoringDirection, ProgrammePolicy
from tests.contract.test_recommender_contract import build_org

TRADITIONAL = ProgrammePolicy(direction=MentoringDirection.TRADITIONAL)


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqliteStore]:
    store = SqliteStore(path=Path(tmp_path_factory.mktemp("org")) / "org.sqlite")
    store.apply_schema()
    build_org(store)
    yield store
    store.close()


def partners(result: RecommendationList) -> list[str]:
    return [r.partner.id for r in result.recommendations]


def reasons(result: RecommendationList) -> dict[ExclusionReason, int]:
    assert result.diagnostics is not None
    return {r.reason: r.count for r in result.diagnostics.reasons}


def test_unknown_employee_is_a_clear_not_found(org: SqliteStore) -> None:
    with pytest.raises(EmployeeNotFound, match="employee 'nobody' not found"):
        recommend(store=org, employee_id="nobody")
    with pytest.raises(EmployeeNotFound):
        agenda(store=org, first_id="ana", second_id="nobody")


def test_best_partner_teaches_my_goals_and_learns_my_strengths(org: SqliteStore) -> None:
    result = recommend(store=org, employee_id="vps")
    best = result.recommendations[0]
    assert best.partner.id == "ana"
    assert best.two_way
    assert best.cross_department
    assert best.seniority_gap == -3
    # Ana teaches Victor Pinterest and Instagram (his digital goals), he teaches her back.
    assert [(i.goal.label, i.level, i.match) for i in best.you_learn.agenda] == [
        ("Pinterest", 5, MatchKind.EXACT),
        ("Instagram", 4, MatchKind.EXACT),
    ]
    assert [i.goal.label for i in best.you_teach.agenda] == ["negotiate business agreements", "leadership principles"]
    assert best.you_learn.goals_met == 2
    assert best.you_learn.goals == 3
    assert best.mutual_score == pytest.approx(
        2 * best.you_learn.score * best.you_teach.score / (best.you_learn.score + best.you_teach.score), abs=1e-5
    )
    assert best.score == pytest.approx(best.mutual_score * 1.1, abs=1e-5)  # cross-department bonus
    assert "Pinterest (level 5)" in best.explanation
    assert "crosses departments" in best.explanation


def test_one_sided_pairs_rank_after_every_two_way_pair(org: SqliteStore) -> None:
    result = recommend(store=org, employee_id="vps")
    flags = [r.two_way for r in result.recommendations]
    assert flags == sorted(flags, reverse=True)
    assert False in flags
    one_sided = next(r for r in result.recommendations if not r.two_way)
    assert one_sided.partner.id == "hal"
    assert one_sided.mutual_score == 0.0
    assert "helps only one way" in one_sided.explanation
    strict = recommend(store=org, employee_id="vps", policy=ProgrammePolicy(require_two_way=True))
    assert partners(strict) == ["ana", "lead"]


def test_never_the_reporting_chain_up_or_down(org: SqliteStore) -> None:
    # Ben reports to Vera; the CEO manages everybody, at some depth.
    assert "ben" not in partners(recommend(store=org, employee_id="vpi", policy=TRADITIONAL))
    ceo = recommend(store=org, employee_id="ceo", limit=5)
    assert ceo.recommendations == []
    assert reasons(ceo)[ExclusionReason.REPORTING_CHAIN] == 7  # everybody with some overlap
    assert "7 in your reporting chain" in ceo.notes[-1]


def test_previous_partners_only_when_asked(org: SqliteStore) -> None:
    assert "ben" not in partners(recommend(store=org, employee_id="vps"))
    again = recommend(store=org, employee_id="vps", policy=ProgrammePolicy(include_previous_partners=True))
    ben = next(r for r in again.recommendations if r.partner.id == "ben")
    assert ben.two_way  # Ben teaches WhatsApp Business through WhatsApp (similar)
    assert ben.you_learn.agenda[0].match is MatchKind.SIMILAR


def test_capacity_used_by_active_pairings_and_opt_out_exclude(org: SqliteStore) -> None:
    # Cy (capacity 1, one active pairing) and Eli (opted out) would both suit Vera.
    default = recommend(store=org, employee_id="vpi")
    assert "cy" not in partners(default)
    assert "eli" not in partners(default)
    assert reasons(default)[ExclusionReason.NO_CAPACITY] == 1
    assert reasons(default)[ExclusionReason.OPTED_OUT] == 1
    ignoring = recommend(store=org, employee_id="vpi", policy=ProgrammePolicy(respect_capacity=False))
    assert "cy" in partners(ignoring)
    assert "eli" not in partners(ignoring)


def test_time_zone_limit(org: SqliteStore) -> None:
    # Dee (UTC+9) teaches Victor two goals exactly and wants both of his strengths.
    assert "dee" not in partners(recommend(store=org, employee_id="vps"))
    anywhere = recommend(store=org, employee_id="vps", policy=ProgrammePolicy(max_utc_offset_difference=None))
    assert partners(anywhere)[0] == "dee"
    assert anywhere.recommendations[0].utc_offset_difference == 9.0


def test_reverse_mentoring_counts_only_digital_topics_taught_by_the_junior(org: SqliteStore) -> None:
    # Hal (junior) holds budgeting, which Lars wants; budgeting is not a digital topic.
    reverse = recommend(store=org, employee_id="lead")
    hal = next(r for r in reverse.recommendations if r.partner.id == "hal")
    assert not hal.two_way
    assert hal.you_learn.score == 0.0
    traditional = recommend(store=org, employee_id="lead", policy=TRADITIONAL)
    hal = next(r for r in traditional.recommendations if r.partner.id == "hal")
    assert hal.two_way
    assert hal.you_learn.agenda[0].goal.label == "manage budgets"


def test_seniority_gap_rule(org: SqliteStore) -> None:
    assert partners(recommend(store=org, employee_id="ana"))[:2] == ["vps", "vpi"]
    far = recommend(store=org, employee_id="ana", policy=ProgrammePolicy(min_seniority_gap=4))
    assert partners(far) == []  # only the CEO is 4 levels up, and she is in Ana's chain
    peers = recommend(store=org, employee_id="ana", policy=ProgrammePolicy(direction=MentoringDirection.ANY))
    assert "cy" not in partners(peers)  # a peer, but at capacity
    assert reasons(far)[ExclusionReason.SENIORITY] >= 1


def test_employee_without_goals_gets_people_they_can_teach_and_is_told_so(org: SqliteStore) -> None:
    fay = recommend(store=org, employee_id="fay")
    assert partners(fay) == ["hal"]
    assert fay.recommendations[0].you_teach.agenda[0].goal.label == "Microsoft Excel"
    assert any("no learning goals" in note for note in fay.notes)
    assert "you have no learning goals recorded" in fay.recommendations[0].explanation
    # Fay's own capacity is used up by her pairing with Cy: she is told, not hidden.
    assert any("capacity is used up" in note for note in fay.notes)


def test_nobody_possible_explains_why_with_counts(org: SqliteStore) -> None:
    gus = recommend(store=org, employee_id="gus")
    assert gus.recommendations == []
    assert gus.diagnostics is not None
    assert gus.diagnostics.colleagues == 11
    assert reasons(gus) == {ExclusionReason.NO_SKILL_OVERLAP: 11}
    assert "Found 0 two-way partners of the 5 asked for" in gus.notes[-1]


def test_limit_is_respected_and_validated(org: SqliteStore) -> None:
    assert len(recommend(store=org, employee_id="vps", limit=1).recommendations) == 1
    with pytest.raises(ValueError, match="limit"):
        recommend(store=org, employee_id="vps", limit=0)


def test_agenda_lists_what_each_teaches_the_other_best_first(org: SqliteStore) -> None:
    pair = agenda(store=org, first_id="vps", second_id="ana")
    assert pair.first.id == "vps"
    assert pair.second.id == "ana"
    assert [i.goal.label for i in pair.first_teaches.agenda] == [
        "negotiate business agreements",
        "leadership principles",
    ]
    assert all(i.learner_id == "ana" and i.teacher_id == "vps" for i in pair.first_teaches.agenda)
    scores = [i.score for i in pair.second_teaches.agenda]
    assert scores == sorted(scores, reverse=True)
    assert pair.mutual_score > 0.5
    assert pair.warnings == []
    assert "Victor Sato can help Ana Silva with 2 of 2 goals" in pair.explanation


def test_agenda_warns_about_broken_rules(org: SqliteStore) -> None:
    pair = agenda(store=org, first_id="ben", second_id="vpi")
    assert any("reporting chain" in w for w in pair.warnings)
    old = agenda(store=org, first_id="vps", second_id="ben")
    assert any("already paired" in w and "ended" in w for w in old.warnings)
    with pytest.raises(ValueError, match="two different employees"):
        agenda(store=org, first_id="ana", second_id="ana")
