"""The similarity edges and batch order of the taxonomy seed, checked against brute force."""

from __future__ import annotations

import numpy as np
import pytest

from ingest.seed import _parents_first, nearest_neighbours
from schema import Skill, SkillSource


def unit_rows(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    # Few dimensions so that many pairs are similar enough to pass the threshold.
    base = rng.normal(size=(n, 4)).astype(np.float32)
    vectors = np.concatenate([base, 0.05 * rng.normal(size=(n, 380)).astype(np.float32)], axis=1)
    normalised: np.ndarray = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return normalised


@pytest.mark.parametrize("block", [1, 7, 1024])
def test_neighbours_match_brute_force_whatever_the_block_size(block: int) -> None:
    vectors = unit_rows(60, seed=4)
    ids = [f"s{i:02d}" for i in range(60)]
    edges = [e for chunk, _ in nearest_neighbours(ids=ids, vectors=vectors, top_k=3, min_score=0.5, block=block)
             for e in chunk]  # fmt: skip
    scores = vectors @ vectors.T
    expected = []
    for i in range(60):
        others = sorted((-float(scores[i, j]), ids[j]) for j in range(60) if j != i)[:3]
        expected += [(ids[i], target, round(-negative, 4)) for negative, target in others if -negative >= 0.5]
    assert [(e.source_id, e.target_id) for e in edges] == [(source, target) for source, target, _ in expected]
    assert [e.score for e in edges] == pytest.approx([score for _, _, score in expected], abs=1e-4)
    assert all(e.source_id != e.target_id for e in edges)


def test_neighbours_report_every_row_once_so_progress_ends_full() -> None:
    vectors = unit_rows(25, seed=1)
    ids = [f"s{i}" for i in range(25)]
    rows = [count for _, count in nearest_neighbours(ids=ids, vectors=vectors, block=10)]
    assert rows == [10, 10, 5]


def test_ties_are_broken_by_target_id() -> None:
    vectors = np.zeros((4, 384), dtype=np.float32)
    vectors[:, 0] = 1.0  # all identical: every score ties at 1.0
    edges = [e for chunk, _ in nearest_neighbours(ids=["d", "c", "b", "a"], vectors=vectors, top_k=2) for e in chunk]
    assert [(e.source_id, e.target_id) for e in edges if e.source_id == "d"] == [("d", "a"), ("d", "b")]


def skill(ident: str, *parents: str) -> Skill:
    return Skill(id=ident, label=ident, source=SkillSource.ESCO, broader=parents)


def test_parents_are_written_before_their_children() -> None:
    skills = [skill("z-root"), skill("a-leaf", "m-mid"), skill("m-mid", "z-root"), skill("b-other", "unknown")]
    ordered = [s.id for s in _parents_first(skills)]
    assert ordered.index("z-root") < ordered.index("m-mid") < ordered.index("a-leaf")
    # A parent that is not in the taxonomy does not hold its child back.
    assert ordered[:2] == ["b-other", "z-root"]


def test_a_cycle_in_the_hierarchy_does_not_hang() -> None:
    ordered = _parents_first([skill("a", "b"), skill("b", "a"), skill("c", "a")])
    assert sorted(s.id for s in ordered) == ["a", "b", "c"]
    assert [s.id for s in ordered].index("a") < [s.id for s in ordered].index("c")
