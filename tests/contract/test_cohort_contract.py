"""Cohort matching against every store backend: the store calls it relies on (batched
profile reads for the reporting chain, ``list_pairings_for``, pairing upserts and
feedback) give the same proposal, the same published pairings and the same feedback."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from graph.store import GraphStore
from recommender.cohort import (
    add_feedback,
    build_context,
    list_pairings,
    propose,
    publish,
    read_cohort,
    review,
)
from recommender.cohort_models import MatchOptions, Rule, UnmatchedReason
from schema import Pairing, PairingStatus
from tests.fixtures.cohorts.org import load_small_org

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cohorts"
NOW = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def test_reporting_chain_rule_is_the_stores_reporting_chain(store: GraphStore) -> None:
    load_small_org(store)
    ctx = build_context(store=store, cohort=read_cohort(path=FIXTURES / "small.csv"), options=MatchOptions())
    chain = ctx.rules[Rule.REPORTING_CHAIN]
    for i, senior in enumerate(ctx.seniors):
        above_and_below = store.reporting_chain(employee_id=senior.id)
        assert [j.id for k, j in enumerate(ctx.juniors) if chain[i, k]] == [
            j.id for j in ctx.juniors if j.id in above_and_below
        ]
    assert chain[ctx.index("S1", "J1")]  # S1 -> S2 -> M1 -> J1


def test_a_deleted_manager_breaks_the_chain_as_in_the_store(store: GraphStore) -> None:
    load_small_org(store)
    store.delete_employee(employee_id="M1")
    ctx = build_context(store=store, cohort=read_cohort(path=FIXTURES / "small.csv"), options=MatchOptions())
    assert "J1" not in store.reporting_chain(employee_id="S2")
    assert not ctx.rules[Rule.REPORTING_CHAIN][ctx.index("S2", "J1")]


def test_propose_review_publish_and_feedback(store: GraphStore) -> None:
    load_small_org(store)
    store.upsert_pairings(pairings=[Pairing(id="earlier", employee_ids=("J4", "S2"), status=PairingStatus.ENDED)])
    first = propose(store=store, cohort=read_cohort(path=FIXTURES / "small.csv"), now=NOW)
    # S2:J4 were paired before, so S2 gets nobody this time; S1 (capacity 2) takes J4 too.
    assert [(p.senior.id, p.junior.id) for p in first.pairs] == [("S1", "J3"), ("S1", "J4"), ("S3", "J2")]
    assert {u.person.id: u.reason for u in first.unmatched}["J6"] is UnmatchedReason.OPTED_OUT

    edited = review(store=store, proposal=first, remove=[("S1", "J4")], rerun=True, now=NOW)
    assert ("S1", "J4") not in [(p.senior.id, p.junior.id) for p in edited.pairs]

    published, result = publish(store=store, proposal=edited, now=NOW)
    members = [sorted((p.senior.id, p.junior.id)) for p in edited.pairs]
    assert result.pairing_ids == sorted(f"small.{a}.{b}" for a, b in members)
    active = list_pairings(store=store, status=PairingStatus.ACTIVE)
    assert [p.id for p in active] == result.pairing_ids
    assert all(p.programme == "small" and p.created_at == NOW for p in active)

    pairing_id = result.pairing_ids[0]
    first_member, second_member = active[0].employee_ids
    add_feedback(store=store, pairing_id=pairing_id, by_employee_id=first_member, rating=5, topics_covered=["TikTok"])
    add_feedback(store=store, pairing_id=pairing_id, by_employee_id=second_member, rating=3, comment="too short")
    # Publishing the same proposal again (an interrupted run resumed) keeps the feedback.
    publish(store=store, proposal=edited, now=NOW)
    stored = store.get_pairing(pairing_id=pairing_id)
    assert stored is not None
    assert [(f.by_employee_id, f.rating) for f in stored.feedback] == [(first_member, 5), (second_member, 3)]
    assert published.status.value == "published"

    # The published pairs are previous pairings for the next proposal.
    again = propose(store=store, cohort=read_cohort(path=FIXTURES / "small.csv"), now=NOW)
    assert not {(p.senior.id, p.junior.id) for p in again.pairs} & {(p.senior.id, p.junior.id) for p in edited.pairs}
