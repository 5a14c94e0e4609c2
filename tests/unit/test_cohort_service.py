"""Cohort matching end to end on a small organisation: rules, objectives, the "either"
split, bad input, review, publish and feedback."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from graph.sqlite_store import SqliteStore
from recommender.cohort import (
    add_feedback,
    build_context,
    list_pairings,
    load_proposal,
    propose,
    publish,
    read_cohort,
    review,
    save_proposal,
    split_sides,
)
from recommender.cohort_models import (
    CohortError,
    MatchOptions,
    Objective,
    PairingNotFound,
    Proposal,
    ProposalError,
    Rule,
    Side,
    UnmatchedReason,
)
from recommender.policy import ProgrammePolicy
from schema import Pairing, PairingStatus
from tests.fixtures.cohorts.org import EMPLOYEES, load_small_org

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cohorts"
NOW = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    embedded = SqliteStore(path=tmp_path / "store.sqlite")
    embedded.apply_schema()
    load_small_org(embedded)
    yield embedded
    embedded.close()


def _run(store: SqliteStore, name: str, **options: object) -> Proposal:
    policy = options.pop("policy", ProgrammePolicy())
    assert isinstance(policy, ProgrammePolicy)
    return propose(
        store=store,
        cohort=read_cohort(path=FIXTURES / name),
        options=MatchOptions.model_validate(options),
        policy=policy,
        now=NOW,
    )


def _pairs(proposal: Proposal) -> list[tuple[str, str]]:
    return [(p.senior.id, p.junior.id) for p in proposal.pairs]


def _reasons(proposal: Proposal) -> dict[str, UnmatchedReason]:
    return {u.person.id: u.reason for u in proposal.unmatched}


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cohort.csv"
    path.write_text(text)
    return path


# -- propose --------------------------------------------------------------------------


def test_best_total_respects_every_rule_and_explains_the_unmatched(store: SqliteStore) -> None:
    proposal = _run(store, "small.csv")
    # S2 manages J2 and (through M1) J1; S4 is 9 hours ahead of everyone.
    assert _pairs(proposal) == [("S1", "J3"), ("S2", "J4"), ("S3", "J2")]
    assert _reasons(proposal) == {
        "S4": UnmatchedReason.NO_ALLOWED_PARTNER,
        "J1": UnmatchedReason.LOST_TO_BETTER_PAIRS,
        "J5": UnmatchedReason.NO_ALLOWED_PARTNER,
        "J6": UnmatchedReason.OPTED_OUT,
    }
    s4 = next(u for u in proposal.unmatched if u.person.id == "S4")
    assert {b.rule: b.count for b in s4.blocked} == {Rule.NO_CAPACITY: 1, Rule.TIME_ZONE: 5}
    assert "more than 6 hours away" in s4.detail
    j5 = next(u for u in proposal.unmatched if u.person.id == "J5")
    assert j5.blocked[-1].rule is Rule.ONE_SIDED  # J5 holds nothing at a teaching level
    stats = proposal.stats
    scores = sorted(p.score for p in proposal.pairs)
    assert stats.total_benefit == pytest.approx(sum(scores))
    assert stats.min_benefit == pytest.approx(scores[0])
    assert stats.median_benefit == pytest.approx(scores[1])  # six people, two per pair
    assert (stats.pairs, stats.matched, stats.unmatched, stats.two_way_share) == (3, 6, 4, 1.0)
    for pair in proposal.pairs:
        # Each agenda adds up to the score it explains.
        assert sum(item.score for item in pair.senior_teaches.agenda) == pytest.approx(pair.senior_teaches.score, 1e-5)
        assert pair.two_way
        assert pair.senior_teaches.score > 0
        assert pair.junior_teaches.score > 0
    s3 = next(p for p in proposal.pairs if p.senior.id == "S3")
    # Reverse mentoring: the junior teaches digital goals only (ChatGPT through Generative AI).
    assert [(i.goal.id, i.skill.id, i.match.value) for i in s3.junior_teaches.agenda] == [
        ("chatgpt", "genai", "similar")
    ]
    assert "ChatGPT (through Generative AI, similar)" in s3.explanation


def test_time_zone_rule_can_be_lifted(store: SqliteStore) -> None:
    lifted = ProgrammePolicy(max_utc_offset_difference=None)
    proposal = _run(store, "small.csv", policy=lifted)
    assert _reasons(proposal)["S4"] is UnmatchedReason.LOST_TO_BETTER_PAIRS
    assert "S4" in {p.senior.id for p in _run(store, "small.csv", policy=lifted, objective=Objective.COVERAGE).pairs}


def test_same_department_ban(store: SqliteStore, tmp_path: Path) -> None:
    path = _write(tmp_path, "id,role\nS3,senior\nJ4,junior\nJ1,junior\n")
    cohort = read_cohort(path=path)
    allowed = propose(store=store, cohort=cohort, options=MatchOptions())
    banned = propose(store=store, cohort=cohort, options=MatchOptions(ban_same_department=True))
    assert _pairs(allowed) == [("S3", "J4")]  # both in Finance
    assert _pairs(banned) == [("S3", "J1")]
    assert {b.rule for u in banned.unmatched for b in u.blocked} == {Rule.SAME_DEPARTMENT}


def test_previous_pairings_are_never_proposed_again(store: SqliteStore) -> None:
    store.upsert_pairings(pairings=[Pairing(id="old", employee_ids=("J3", "S1"), status=PairingStatus.ENDED)])
    proposal = _run(store, "small.csv")
    assert ("S1", "J3") not in _pairs(proposal)
    assert proposal.pairs  # the others still pair


def test_coverage_matches_everyone_the_best_total_leaves_out(store: SqliteStore) -> None:
    total = _run(store, "coverage.csv")
    coverage = _run(store, "coverage.csv", objective=Objective.COVERAGE)
    assert _pairs(total) == [("S1", "J3")]
    assert _reasons(total) == {"E2": UnmatchedReason.LOST_TO_BETTER_PAIRS, "J4": UnmatchedReason.LOST_TO_BETTER_PAIRS}
    assert "--objective coverage" in total.unmatched[0].detail
    assert sorted(_pairs(coverage)) == [("E2", "J3"), ("S1", "J4")]
    assert coverage.unmatched == []
    assert coverage.stats.total_benefit < total.stats.total_benefit


def test_one_sided_pairs_only_when_allowed(store: SqliteStore) -> None:
    strict = _run(store, "small.csv", objective=Objective.COVERAGE)
    loose = _run(store, "small.csv", objective=Objective.COVERAGE, require_two_way=False)
    assert "J5" not in {p.junior.id for p in strict.pairs}
    one_sided = [p for p in loose.pairs if not p.two_way]
    assert one_sided
    assert loose.stats.matched > strict.stats.matched
    assert loose.stats.two_way_share < 1.0


def test_either_participants_are_split_by_the_median_deterministically(store: SqliteStore) -> None:
    cohort = read_cohort(path=FIXTURES / "either.csv")
    profiles = store.get_employees(employee_ids=[p.id for p in cohort.participants])
    sides = split_sides(entries=cohort.participants, employees=profiles)
    # Seniorities 5,4,4,3,3,1,2: median 3. Above -> senior, below -> junior; E1 and E2 sit
    # on the median and go to the side with less capacity (the juniors, 2 against 4).
    assert sides == {
        "S1": Side.SENIOR,
        "S2": Side.SENIOR,
        "S3": Side.SENIOR,
        "E1": Side.JUNIOR,
        "E2": Side.JUNIOR,
        "J3": Side.JUNIOR,
        "J4": Side.JUNIOR,
    }
    assert split_sides(entries=cohort.participants, employees=profiles) == sides


def test_either_goes_opposite_its_must_pair_partner(store: SqliteStore, tmp_path: Path) -> None:
    cohort = read_cohort(path=_write(tmp_path, "id,role,must_pair\nE1,either,E2\nE2,junior,\nS1,senior,\nJ3,junior,\n"))
    profiles = store.get_employees(employee_ids=[p.id for p in cohort.participants])
    assert (
        split_sides(entries=cohort.participants, employees=profiles, must_pairs=cohort.must_pairs)["E1"] is Side.SENIOR
    )


def test_must_and_never_pairs_from_a_json_cohort(store: SqliteStore) -> None:
    proposal = _run(store, "small.json")
    assert proposal.programme == "Reverse mentoring 2025"
    assert ("S3", "J2") in _pairs(proposal)
    assert ("S2", "J4") not in _pairs(proposal)
    assert proposal.locked == [("S3", "J2")]
    assert [p.locked for p in proposal.pairs if p.senior.id == "S3"] == [True]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("must_chain.csv", "line 3: must-pair S2:J2 cannot be kept: one is in the other's reporting chain"),
        ("must_capacity.csv", "line 2: S3 (senior) has 2 must-pairs but capacity 1"),
        ("unknown.csv", "line 3: unknown employee id X9"),
    ],
)
def test_infeasible_input_is_reported_with_its_line(store: SqliteStore, name: str, message: str) -> None:
    with pytest.raises(CohortError) as caught:
        _run(store, name)
    assert message in [str(p) for p in caught.value.problems]


def test_unknown_ids_are_all_listed(store: SqliteStore) -> None:
    with pytest.raises(CohortError, match="2 participant") as caught:
        _run(store, "unknown.csv")
    assert [str(p) for p in caught.value.problems] == [
        "line 3: unknown employee id X9",
        "line 6: unknown employee id X10",
    ]


def test_cohort_with_nobody_on_one_side(store: SqliteStore) -> None:
    with pytest.raises(CohortError, match="no juniors"):
        _run(store, "no_juniors.csv")


def test_reporting_chain_matches_the_store_at_any_depth(store: SqliteStore) -> None:
    cohort = read_cohort(path=FIXTURES / "small.csv")
    ctx = build_context(store=store, cohort=cohort, options=MatchOptions())
    for i, senior in enumerate(ctx.seniors):
        chain = store.reporting_chain(employee_id=senior.id)
        for j, junior in enumerate(ctx.juniors):
            assert ctx.rules[Rule.REPORTING_CHAIN][i, j] == (junior.id in chain), (senior.id, junior.id)
    assert ctx.rules[Rule.REPORTING_CHAIN][ctx.index("S1", "J1")]  # three levels down


# -- review ---------------------------------------------------------------------------


def test_remove_then_rerun_never_proposes_the_pair_again(store: SqliteStore) -> None:
    first = _run(store, "small.csv")
    edited = review(store=store, proposal=first, remove=[("J2", "S3")], now=NOW)
    assert ("S3", "J2") not in _pairs(edited)
    assert _reasons(edited)["J2"] is UnmatchedReason.REMOVED_IN_REVIEW
    assert edited.stats.method == "review"
    assert edited.removed == [("S3", "J2")]
    assert first.pairs != edited.pairs  # the input proposal is not modified
    rerun = review(store=store, proposal=edited, rerun=True, now=NOW)
    assert ("S3", "J2") not in _pairs(rerun)
    assert len(rerun.pairs) == 3
    assert ("S3", "J1") in _pairs(rerun)
    assert [step.action for step in rerun.history] == ["propose", "remove", "rerun"]


def test_locked_pairs_survive_a_rerun(store: SqliteStore) -> None:
    first = _run(store, "small.csv")
    # Lock a pair the optimiser did not choose: J3's and S3's weaker pairs make room.
    locked = review(store=store, proposal=first, lock=[("S3", "J3")], now=NOW)
    assert ("S3", "J3") in _pairs(locked)
    assert ("S1", "J3") not in _pairs(locked)
    assert ("S3", "J2") not in _pairs(locked)
    rerun = review(store=store, proposal=locked, rerun=True, now=NOW)
    assert ("S3", "J3") in _pairs(rerun)
    assert rerun.locked == [("S3", "J3")]
    assert next(p for p in rerun.pairs if p.senior.id == "S3").locked


def test_swap_exchanges_partners_and_locks_them(store: SqliteStore) -> None:
    first = _run(store, "small.csv")
    swapped = review(store=store, proposal=first, swap=[(("S1", "J3"), ("J4", "S2"))], now=NOW)
    assert sorted(_pairs(swapped)) == [("S1", "J4"), ("S2", "J3"), ("S3", "J2")]
    assert sorted(swapped.locked) == [("S1", "J4"), ("S2", "J3")]
    assert sorted(swapped.removed) == [("S1", "J3"), ("S2", "J4")]


def test_review_rejects_pairs_that_break_a_rule(store: SqliteStore) -> None:
    first = _run(store, "small.csv")
    with pytest.raises(CohortError) as caught:
        review(store=store, proposal=first, lock=[("S2", "J2")])
    assert "S2:J2 cannot be paired: one is in the other's reporting chain" in str(caught.value)
    with pytest.raises(ProposalError, match="not a pair of this proposal"):
        review(store=store, proposal=first, remove=[("S4", "J5")])
    with pytest.raises(ProposalError, match="both are seniors"):
        review(store=store, proposal=first, lock=[("S1", "S2")])


# -- publish and feedback -------------------------------------------------------------


def test_publish_writes_active_pairings_excluded_from_the_next_proposal(store: SqliteStore, tmp_path: Path) -> None:
    first = _run(store, "small.csv")
    path = save_proposal(path=tmp_path / "p.json", proposal=first)
    assert load_proposal(path=path) == first  # survives between invocations
    published, result = publish(store=store, proposal=load_proposal(path=path), now=NOW)
    assert result.pairing_ids == ["small.J2.S3", "small.J3.S1", "small.J4.S2"]
    stored = list_pairings(store=store, programme="small")
    assert [(p.id, p.employee_ids, p.status) for p in stored] == [
        ("small.J2.S3", ("J2", "S3"), PairingStatus.ACTIVE),
        ("small.J3.S1", ("J3", "S1"), PairingStatus.ACTIVE),
        ("small.J4.S2", ("J4", "S2"), PairingStatus.ACTIVE),
    ]
    with pytest.raises(ProposalError, match="already published"):
        publish(store=store, proposal=published)
    with pytest.raises(ProposalError, match="already published"):
        review(store=store, proposal=published, rerun=True)
    again = _run(store, "small.csv")
    assert not set(_pairs(again)) & set(_pairs(first))
    # S1 declared capacity 2 in the file, so only S1 still has room.
    assert {p.senior.id for p in again.pairs} <= {"S1", "S4"}


def test_publish_refuses_pairs_published_by_another_proposal(store: SqliteStore) -> None:
    first = _run(store, "small.csv")
    second = _run(store, "small.csv")
    publish(store=store, proposal=first, now=NOW)
    renamed = second.model_copy(update={"programme": "other"})
    with pytest.raises(ProposalError, match="already paired in the store"):
        publish(store=store, proposal=renamed)
    assert {p.programme for p in list_pairings(store=store)} == {"small"}  # nothing written


def test_feedback_both_ways(store: SqliteStore) -> None:
    publish(store=store, proposal=_run(store, "small.csv"), now=NOW)
    add_feedback(store=store, pairing_id="small.J3.S1", by_employee_id="J3", rating=5, topics_covered=["Strategy"])
    updated = add_feedback(store=store, pairing_id="small.J3.S1", by_employee_id="S1", rating=4, comment="TikTok!")
    assert [(f.by_employee_id, f.rating) for f in updated.feedback] == [("J3", 5), ("S1", 4)]
    assert updated.feedback[0].topics_covered == ("Strategy",)
    with pytest.raises(ValueError, match="not a partner"):
        add_feedback(store=store, pairing_id="small.J3.S1", by_employee_id="J4", rating=3)
    with pytest.raises(ValidationError):
        add_feedback(store=store, pairing_id="small.J3.S1", by_employee_id="J3", rating=6)
    with pytest.raises(PairingNotFound):
        add_feedback(store=store, pairing_id="nope", by_employee_id="J3", rating=3)


def test_small_org_fixture_is_what_the_tests_assume() -> None:
    by_id = {e.id: e for e in EMPLOYEES}
    assert by_id["J1"].manager_id == "M1"
    assert by_id["M1"].manager_id == "S2"
    assert not by_id["J6"].opt_in
    assert by_id["S4"].utc_offset == 9.0
