"""Cohort matching: optimality against brute force, rules, edge cases and baselines."""

from __future__ import annotations

from collections import Counter
from typing import Literal

import numpy as np
import pytest
from numpy.typing import NDArray
from scipy.sparse import csr_array
from scipy.sparse.csgraph import maximum_bipartite_matching

from recommender.matching import (
    MatchInputError,
    MatchProblem,
    MatchResult,
    mutual_score,
    solve,
    solve_greedy,
    solve_one_directional,
    two_way_share,
)

Objective = Literal["total", "coverage"]


def make_problem(
    lr: list[list[float]] | NDArray[np.floating],
    rl: list[list[float]] | NDArray[np.floating],
    *,
    left_capacity: list[int] | None = None,
    right_capacity: list[int] | None = None,
    forbidden: NDArray[np.bool_] | None = None,
    must_pair: tuple[tuple[int, int], ...] = (),
    require_two_way: bool = True,
    min_direction_benefit: float = 0.0,
    objective: Objective = "total",
) -> MatchProblem:
    a = np.asarray(lr, dtype=np.float64)
    b = np.asarray(rl, dtype=np.float64)
    n_l, n_r = a.shape
    return MatchProblem(
        left_ids=[f"L{i}" for i in range(n_l)],
        right_ids=[f"R{j}" for j in range(n_r)],
        benefit_lr=a,
        benefit_rl=b,
        left_capacity=left_capacity if left_capacity is not None else [1] * n_l,
        right_capacity=right_capacity if right_capacity is not None else [1] * n_r,
        forbidden=forbidden,
        must_pair=must_pair,
        require_two_way=require_two_way,
        min_direction_benefit=min_direction_benefit,
        objective=objective,
    )


def harmonic(a: float, b: float) -> float:
    return 2 * a * b / (a + b) if a > 0 and b > 0 else 0.0


def brute_force(problem: MatchProblem) -> tuple[int, float]:
    """Best (people covered, total score) by enumerating every subset of allowed pairs.

    Written from the specification, independently of the solver: for ``total`` the
    returned coverage is that of one optimal subset and only the total is compared.
    """
    a = np.asarray(problem.benefit_lr, dtype=np.float64)
    b = np.asarray(problem.benefit_rl, dtype=np.float64)
    n_l, n_r = a.shape
    no_rule = np.zeros((n_l, n_r), dtype=bool)
    forbidden = no_rule if problem.forbidden is None else np.asarray(problem.forbidden)
    m = problem.min_direction_benefit
    must = set(problem.must_pair)
    two_way = problem.require_two_way
    optional = [
        (i, j)
        for i in range(n_l)
        for j in range(n_r)
        if (i, j) not in must and not forbidden[i, j] and (not two_way or (a[i, j] > m and b[i, j] > m))
    ]
    edges = list(must) + optional
    n_e = len(edges)
    inc_l = np.zeros((n_e, n_l))
    inc_r = np.zeros((n_e, n_r))
    for k, (i, j) in enumerate(edges):
        inc_l[k, i] = 1
        inc_r[k, j] = 1
    weight = np.array([harmonic(a[i, j], b[i, j]) for i, j in edges])
    n_opt = len(optional)
    subsets = ((np.arange(2**n_opt)[:, None] >> np.arange(n_opt)) & 1).astype(np.float64)
    chosen = np.hstack([np.ones((subsets.shape[0], len(must))), subsets])
    deg_l = chosen @ inc_l
    deg_r = chosen @ inc_r
    ok = (deg_l <= np.asarray(problem.left_capacity)).all(axis=1)
    ok &= (deg_r <= np.asarray(problem.right_capacity)).all(axis=1)
    total = chosen @ weight
    covered = (deg_l > 0).sum(axis=1) + (deg_r > 0).sum(axis=1)
    assert ok.any(), "generator produced infeasible must-pairs"
    if problem.objective == "total":
        k = int(np.flatnonzero(ok)[np.argmax(total[ok])])
    else:
        key = covered * 1e6 + total  # covered dominates: totals here are < 20
        k = int(np.flatnonzero(ok)[np.argmax(key[ok])])
    return int(covered[k]), float(total[k])


def random_problem(rng: np.random.Generator, objective: Objective) -> MatchProblem:
    n_l = int(rng.integers(1, 5))
    n_r = int(rng.integers(1, 5))
    lr = rng.random((n_l, n_r)) * (rng.random((n_l, n_r)) > 0.25)
    rl = rng.random((n_l, n_r)) * (rng.random((n_l, n_r)) > 0.25)
    if rng.random() < 0.3:
        # Ties are where tie-breaking bugs hide.
        lr = np.round(lr * 2) / 2
        rl = np.round(rl * 2) / 2
    cap_l = rng.choice([0, 1, 2, 3], size=n_l, p=[0.1, 0.4, 0.3, 0.2]).tolist()
    cap_r = rng.choice([0, 1, 2, 3], size=n_r, p=[0.1, 0.4, 0.3, 0.2]).tolist()
    forbidden = rng.random((n_l, n_r)) < 0.2 if rng.random() < 0.7 else None
    must: list[tuple[int, int]] = []
    if rng.random() < 0.35:
        used_l = [0] * n_l
        used_r = [0] * n_r
        for _ in range(int(rng.integers(1, 3))):
            i, j = int(rng.integers(n_l)), int(rng.integers(n_r))
            ok = forbidden is None or not forbidden[i, j]
            if ok and (i, j) not in must and used_l[i] < cap_l[i] and used_r[j] < cap_r[j]:
                must.append((i, j))
                used_l[i] += 1
                used_r[j] += 1
    two_way = bool(rng.random() < 0.7)
    return make_problem(
        lr,
        rl,
        left_capacity=cap_l,
        right_capacity=cap_r,
        forbidden=forbidden,
        must_pair=tuple(must),
        require_two_way=two_way,
        min_direction_benefit=float(rng.choice([0.0, 0.3])) if two_way else 0.0,
        objective=objective,
    )


def assert_feasible(problem: MatchProblem, result: MatchResult) -> None:
    """Every rule a user would check by hand on the result."""
    a = np.asarray(problem.benefit_lr)
    b = np.asarray(problem.benefit_rl)
    keys = [(p.left_idx, p.right_idx) for p in result.pairs]
    assert len(set(keys)) == len(keys), "a pair is used twice"
    assert set(problem.must_pair) <= set(keys), "a must-pair is missing"
    deg_l = Counter(i for i, _ in keys)
    deg_r = Counter(j for _, j in keys)
    assert all(deg_l[i] <= c for i, c in enumerate(problem.left_capacity))
    assert all(deg_r[j] <= c for j, c in enumerate(problem.right_capacity))
    for p in result.pairs:
        assert p.score == pytest.approx(harmonic(a[p.left_idx, p.right_idx], b[p.left_idx, p.right_idx]))
        if (p.left_idx, p.right_idx) in problem.must_pair:
            continue
        if problem.forbidden is not None:
            assert not problem.forbidden[p.left_idx, p.right_idx]
        if problem.require_two_way:
            m = problem.min_direction_benefit
            assert a[p.left_idx, p.right_idx] > m
            assert b[p.left_idx, p.right_idx] > m
    assert result.total_score == pytest.approx(sum(p.score for p in result.pairs))
    assert result.n_covered == len(deg_l) + len(deg_r)
    n_people = len(problem.left_ids) + len(problem.right_ids)
    assert len(result.unmatched) == n_people - result.n_covered


# --- scoring ---------------------------------------------------------------


def test_mutual_score_is_the_harmonic_mean_and_zero_when_one_sided() -> None:
    got = mutual_score([1.0, 2.0, 1.0, 0.0, 0.9], [1.0, 1.0, 0.0, 0.0, 0.1])
    np.testing.assert_allclose(got, [1.0, 4.0 / 3.0, 0.0, 0.0, 0.18])
    grid = mutual_score(np.full((2, 3), 0.5, dtype=np.float32), np.full((2, 3), 0.5))
    assert grid.shape == (2, 3)
    assert grid.dtype == np.float64
    np.testing.assert_allclose(grid, 0.5)


# --- optimality ------------------------------------------------------------


@pytest.mark.parametrize("engine", ["auto", "lp"])
@pytest.mark.parametrize("objective", ["total", "coverage"])
def test_optimal_against_brute_force(objective: Objective, engine: Literal["auto", "lp"]) -> None:
    rng = np.random.default_rng(12345 if objective == "total" else 54321)
    methods: Counter[str] = Counter()
    for _ in range(250):
        problem = random_problem(rng, objective)
        result = solve(problem, engine=engine)
        assert_feasible(problem, result)
        best_covered, best_total = brute_force(problem)
        assert result.total_score == pytest.approx(best_total, abs=1e-9)
        if objective == "coverage":
            assert result.n_covered == best_covered
        methods[result.method] += 1
    if engine == "auto":
        # Both engines of "auto" must have been exercised for this test to mean anything.
        assert methods["assignment"] > 0, methods
        assert methods["lp"] > 0, methods


def test_engines_agree_on_medium_instances_with_capacities() -> None:
    rng = np.random.default_rng(7)
    for objective in ("total", "coverage"):
        for _ in range(5):
            n_l, n_r = 25, 40
            lr = rng.random((n_l, n_r)) * (rng.random((n_l, n_r)) > 0.3)
            rl = rng.random((n_l, n_r)) * (rng.random((n_l, n_r)) > 0.3)
            problem = make_problem(
                lr,
                rl,
                left_capacity=rng.integers(0, 4, n_l).tolist(),
                right_capacity=rng.integers(0, 3, n_r).tolist(),
                forbidden=rng.random((n_l, n_r)) < 0.5,
                objective=objective,
            )
            auto, lp = solve(problem), solve(problem, engine="lp")
            assert_feasible(problem, auto)
            assert_feasible(problem, lp)
            assert auto.total_score == pytest.approx(lp.total_score, abs=1e-7)
            assert auto.n_covered == lp.n_covered or objective == "total"


def test_coverage_reaches_maximum_cardinality_on_a_sparse_cohort() -> None:
    rng = np.random.default_rng(3)
    n_l, n_r = 120, 150
    allowed = rng.random((n_l, n_r)) < 0.02
    lr = rng.random((n_l, n_r)) * allowed
    rl = rng.random((n_l, n_r)) * allowed
    result = solve(make_problem(lr, rl, objective="coverage"))
    max_card = int((maximum_bipartite_matching(csr_array(allowed), perm_type="column") >= 0).sum())
    assert len(result.pairs) == max_card
    assert result.n_covered == 2 * max_card


def test_coverage_matches_everyone_when_total_does_not() -> None:
    # A-X is the single best pair, but A-Y + B-X pairs everybody.
    lr = [[1.0, 0.1], [0.1, 0.0]]
    rl = [[1.0, 0.1], [0.1, 0.0]]
    total = solve(make_problem(lr, rl, objective="total"))
    coverage = solve(make_problem(lr, rl, objective="coverage"))
    assert [(p.left_idx, p.right_idx) for p in total.pairs] == [(0, 0)]
    assert total.n_covered == 2
    assert {(u.person_id, u.reason) for u in total.unmatched} == {
        ("L1", "lost to better pairs"),
        ("R1", "lost to better pairs"),
    }
    assert [(p.left_idx, p.right_idx) for p in coverage.pairs] == [(0, 1), (1, 0)]
    assert coverage.n_covered == 4
    assert coverage.unmatched == ()
    assert coverage.total_score < total.total_score


def test_coverage_breaks_ties_by_total_score() -> None:
    # Both perfect matchings cover everyone; the better-scoring one must win.
    lr = [[0.9, 0.2], [0.2, 0.8]]
    result = solve(make_problem(lr, lr, objective="coverage"))
    assert [(p.left_idx, p.right_idx) for p in result.pairs] == [(0, 0), (1, 1)]


def test_capacity_gives_several_partners_without_repeating_a_pair() -> None:
    # Both sides have capacity 2 and one dominant pair: the expansion would reuse it.
    lr = [[1.0, 0.3], [0.3, 0.2]]
    problem = make_problem(lr, lr, left_capacity=[2, 2], right_capacity=[2, 2])
    result = solve(problem)
    assert_feasible(problem, result)
    assert result.method == "lp"
    assert len(result.pairs) == 4
    assert result.left_benefit.tolist() == pytest.approx([1.3, 0.5])


# --- rules -----------------------------------------------------------------


def test_one_sided_pairs_are_excluded_when_two_way_is_required() -> None:
    # L0-R0 teaches a lot one way and almost nothing back.
    lr = [[0.9, 0.4]]
    rl = [[0.05, 0.4]]
    strict = solve(make_problem(lr, rl, min_direction_benefit=0.1, right_capacity=[1, 0]))
    assert strict.pairs == ()
    assert [(u.person_id, u.reason) for u in strict.unmatched] == [
        ("L0", "no allowed partner"),
        ("R0", "no allowed partner"),
        ("R1", "capacity 0"),
    ]
    loose = solve(make_problem(lr, rl, require_two_way=False, right_capacity=[1, 0]))
    assert [(p.left_idx, p.right_idx) for p in loose.pairs] == [(0, 0)]
    # With both partners open, the two-way pair wins over the one-sided one.
    both = solve(make_problem(lr, rl, require_two_way=False))
    assert [(p.left_idx, p.right_idx) for p in both.pairs] == [(0, 1)]


def test_forbidden_pairs_are_never_chosen() -> None:
    lr = np.array([[1.0, 0.2], [0.2, 1.0]])
    forbidden = np.array([[True, False], [False, True]])
    result = solve(make_problem(lr, lr, forbidden=forbidden))
    assert [(p.left_idx, p.right_idx) for p in result.pairs] == [(0, 1), (1, 0)]


def test_must_pairs_are_honoured_and_use_capacity() -> None:
    lr = [[1.0, 0.2], [0.2, 1.0]]
    problem = make_problem(lr, lr, must_pair=((0, 1),), objective="coverage")
    result = solve(problem)
    assert_feasible(problem, result)
    # The must-pair takes L0 and R1, so the two strong diagonal pairs are impossible.
    assert [(p.left_idx, p.right_idx) for p in result.pairs] == [(0, 1), (1, 0)]
    assert result.total_score == pytest.approx(0.4)


def test_one_sided_must_pair_is_kept() -> None:
    result = solve(make_problem([[0.9]], [[0.0]], must_pair=((0, 0),)))
    assert [(p.left_idx, p.right_idx, p.score) for p in result.pairs] == [(0, 0, 0.0)]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"forbidden": np.array([[True, False], [False, False]]), "must_pair": ((0, 0),)}, "forbidden"),
        ({"must_pair": ((0, 0), (0, 1))}, "capacity is 1"),
        ({"must_pair": ((0, 0), (0, 0)), "left_capacity": [2, 2]}, "listed twice"),
        ({"must_pair": ((0, 5),)}, "out of range"),
        ({"left_capacity": [0, 1], "must_pair": ((0, 1),)}, "capacity is 0"),
    ],
)
def test_infeasible_must_pairs_are_rejected(kwargs: dict[str, object], message: str) -> None:
    problem = make_problem([[0.5, 0.5], [0.5, 0.5]], [[0.5, 0.5], [0.5, 0.5]], **kwargs)  # type: ignore[arg-type]
    with pytest.raises(MatchInputError, match=message):
        solve(problem)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"benefit_lr": np.full((2, 3), 0.5)}, "shape"),
        ({"benefit_rl": np.array([[0.5, -1.0], [0.5, 0.5]])}, "negative"),
        ({"benefit_rl": np.array([[0.5, np.nan], [0.5, 0.5]])}, "NaN"),
        ({"left_capacity": [1]}, "entries"),
        ({"right_capacity": [1.5, 1.0]}, "integers"),
        ({"right_capacity": [1, -1]}, "negative"),
        ({"right_ids": ["L0", "R1"]}, "both sides"),
        ({"left_ids": ["L0", "L0"]}, "duplicates"),
        ({"forbidden": np.zeros((2, 2))}, "bool"),
    ],
)
def test_malformed_input_is_rejected(change: dict[str, object], message: str) -> None:
    base = make_problem([[0.5, 0.5], [0.5, 0.5]], [[0.5, 0.5], [0.5, 0.5]])
    fields = {k: getattr(base, k) for k in base.__dataclass_fields__} | change
    with pytest.raises(MatchInputError, match=message):
        solve(MatchProblem(**fields))


# --- edge cases ------------------------------------------------------------


def test_cohort_of_nobody() -> None:
    problem = MatchProblem(
        left_ids=[],
        right_ids=[],
        benefit_lr=np.zeros((0, 0)),
        benefit_rl=np.zeros((0, 0)),
        left_capacity=[],
        right_capacity=[],
        forbidden=None,
        must_pair=(),
    )
    for objective in ("total", "coverage"):
        result = solve(MatchProblem(**{**problem.__dict__, "objective": objective}))
        assert result.pairs == ()
        assert result.unmatched == ()
        assert result.total_score == 0.0
        assert result.n_covered == 0
        assert result.min_benefit is None
        assert result.median_benefit is None
    assert solve_greedy(problem).pairs == ()
    assert solve_one_directional(problem).pairs == ()


def test_one_side_empty() -> None:
    problem = MatchProblem(
        left_ids=["s1"],
        right_ids=[],
        benefit_lr=np.zeros((1, 0)),
        benefit_rl=np.zeros((1, 0)),
        left_capacity=[3],
        right_capacity=[],
    )
    result = solve(problem)
    assert result.pairs == ()
    reasons = [(u.side, u.person_id, u.reason) for u in result.unmatched]
    assert reasons == [("left", "s1", "no allowed partner")]


def test_cohort_of_one_pair() -> None:
    result = solve(make_problem([[0.6]], [[0.3]]))
    assert [(p.left_idx, p.right_idx) for p in result.pairs] == [(0, 0)]
    assert result.total_score == pytest.approx(0.4)
    assert result.min_benefit == pytest.approx(0.4)
    assert result.median_benefit == pytest.approx(0.4)
    [(left, right, score)] = result.id_pairs()
    assert (left, right) == ("L0", "R0")
    assert score == pytest.approx(0.4)
    assert result.benefit_by_id() == {"L0": pytest.approx(0.4), "R0": pytest.approx(0.4)}
    closed = solve(make_problem([[0.6]], [[0.3]], left_capacity=[0]))
    assert [(u.person_id, u.reason) for u in closed.unmatched] == [
        ("L0", "capacity 0"),
        ("R0", "no allowed partner"),
    ]


def test_per_person_benefit_and_summary_statistics() -> None:
    lr = [[0.5, 0.5, 0.0], [0.0, 0.0, 0.8]]
    problem = make_problem(lr, lr, left_capacity=[2, 1], right_capacity=[1, 1, 1])
    result = solve(problem)
    assert result.left_benefit.tolist() == pytest.approx([1.0, 0.8])
    assert result.right_benefit.tolist() == pytest.approx([0.5, 0.5, 0.8])
    assert result.min_benefit == pytest.approx(0.5)
    assert result.median_benefit == pytest.approx(0.8)


def test_float32_input_is_accepted() -> None:
    rng = np.random.default_rng(0)
    lr = rng.random((6, 5)).astype(np.float32)
    rl = rng.random((6, 5)).astype(np.float32)
    result = solve(make_problem(lr.astype(np.float64), rl.astype(np.float64)))
    problem32 = MatchProblem(**{**make_problem(lr, rl).__dict__, "benefit_lr": lr, "benefit_rl": rl})
    assert solve(problem32).total_score == pytest.approx(result.total_score, rel=1e-6)


# --- baselines -------------------------------------------------------------


def test_greedy_is_never_better_than_optimal() -> None:
    rng = np.random.default_rng(99)
    strictly_worse = 0
    for _ in range(200):
        problem = random_problem(rng, "total")
        greedy, best = solve_greedy(problem), solve(problem)
        assert_feasible(problem, greedy)
        assert greedy.total_score <= best.total_score + 1e-9
        strictly_worse += greedy.total_score < best.total_score - 1e-9
    assert strictly_worse > 0


def test_greedy_takes_the_best_pair_first() -> None:
    lr = [[1.0, 0.9], [0.9, 0.0]]
    greedy = solve_greedy(make_problem(lr, lr))
    assert [(p.left_idx, p.right_idx) for p in greedy.pairs] == [(0, 0)]
    assert solve(make_problem(lr, lr)).total_score == pytest.approx(1.8)


def test_one_directional_ignores_what_the_junior_teaches() -> None:
    # Senior L0 teaches R0 the most, but R0 teaches nothing back; R1 is a two-way fit.
    lr = [[0.9, 0.6]]
    rl = [[0.0, 0.6]]
    problem = make_problem(lr, rl)
    one_dir = solve_one_directional(problem)
    assert [(p.left_idx, p.right_idx, p.score) for p in one_dir.pairs] == [(0, 0, 0.0)]
    assert two_way_share(problem, one_dir) == 0.0
    best = solve(problem)
    assert [(p.left_idx, p.right_idx) for p in best.pairs] == [(0, 1)]
    assert two_way_share(problem, best) == 1.0


def test_one_directional_maximises_the_one_direction() -> None:
    rng = np.random.default_rng(5)
    for _ in range(100):
        problem = random_problem(rng, "total")
        result = solve_one_directional(problem)
        assert len({(p.left_idx, p.right_idx) for p in result.pairs}) == len(result.pairs)
        # Brute force on benefit_lr alone: the same problem with lr in both directions
        # and no two-way rule scores each pair lr, so its optimum is the lr optimum.
        a = np.asarray(problem.benefit_lr)
        changes = {"benefit_rl": a, "require_two_way": False, "objective": "total"}
        mirrored = MatchProblem(**{**problem.__dict__, **changes})
        _, best_lr = brute_force(mirrored)
        got = sum(float(a[p.left_idx, p.right_idx]) for p in result.pairs)
        assert got == pytest.approx(best_lr, abs=1e-9)
