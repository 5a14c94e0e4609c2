"""Benchmark of the cohort-matching core against the greedy and one-directional baselines.

Run from the repository root::

    .venv/bin/python benchmarks/bench_matching_solver.py            # full table
    .venv/bin/python benchmarks/bench_matching_solver.py --quick    # small cases only

Every (cohort, method) cell runs in a fresh subprocess so that its peak RSS
(``resource.getrusage``) is its own and not the maximum of everything run before it.
The reported time is the median of ``--runs`` timed runs; a further run under
``tracemalloc`` gives the peak of Python/numpy allocations made by the solver (memory
allocated inside scipy's C++ code is not traced, hence the RSS column as well).

Cohorts
-------
* ``uniform NxN``: capacity 1 each, independent uniform benefits in both directions
  (the sizing targets: 1,000 x 1,000 <= 5 s, 5,000 x 5,000 <= 60 s and <= 4 GB RSS).
* ``skills ...``: benefits derived from skill levels, seniors strong in one half of the
  skills and juniors in the other, ``benefit_lr[i, j]`` = how far ``i`` is above ``j``
  on average, with same-department pairs forbidden. This is where the baselines differ.
* ``caps 2x2 ...``: both sides with capacity 2, which exercises the exact LP engine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from recommender.matching import (
    MatchProblem,
    MatchResult,
    solve,
    solve_greedy,
    solve_one_directional,
    two_way_share,
)

METHODS: dict[str, Callable[[MatchProblem], MatchResult]] = {
    "optimal-total": lambda p: solve(replace(p, objective="total")),
    "optimal-coverage": lambda p: solve(replace(p, objective="coverage")),
    "greedy": solve_greedy,
    "one-directional": solve_one_directional,
}


@dataclass(frozen=True)
class Cohort:
    name: str
    kind: str  # "uniform" | "skills"
    n_left: int
    n_right: int
    cap_left: int
    cap_right: int


COHORTS: dict[str, Cohort] = {
    c.name: c
    for c in (
        Cohort("uniform 1000x1000", "uniform", 1000, 1000, 1, 1),
        Cohort("uniform 5000x5000", "uniform", 5000, 5000, 1, 1),
        Cohort("skills 60x300 cap 5/1", "skills", 60, 300, 5, 1),
        Cohort("skills 1000x1000", "skills", 1000, 1000, 1, 1),
        Cohort("caps 2x2 400x400", "uniform", 400, 400, 2, 2),
    )
}
QUICK = ("uniform 1000x1000", "skills 60x300 cap 5/1", "skills 1000x1000")


def _skill_benefits(
    rng: np.random.Generator, n_left: int, n_right: int, n_skills: int = 24, n_goals: int = 3
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``lr[i, j]``: mean of how far ``i`` is above ``j`` on the skills ``j`` wants to learn.

    Seniors (left) are strong on the first half of the skills and want skills from the
    second half; juniors the reverse. Levels vary, so many pairs help one way only.
    """
    half = n_skills // 2
    left = rng.beta(2, 5, (n_left, n_skills))
    right = rng.beta(2, 5, (n_right, n_skills))
    left[:, :half] = np.clip(left[:, :half] + rng.beta(4, 2, (n_left, half)) * 0.6, 0, 1)
    right[:, half:] = np.clip(right[:, half:] + rng.beta(4, 2, (n_right, half)) * 0.6, 0, 1)
    # Some seniors are digitally fluent already; some juniors have led teams.
    left[:, half:] = np.clip(left[:, half:] + (rng.random((n_left, 1)) < 0.3) * 0.5, 0, 1)
    right[:, :half] = np.clip(right[:, :half] + (rng.random((n_right, 1)) < 0.2) * 0.4, 0, 1)

    def goals(n: int, lo: int) -> NDArray[np.float64]:
        g = np.zeros((n, n_skills))
        picks = lo + np.argsort(rng.random((n, half)), axis=1)[:, :n_goals]
        np.put_along_axis(g, picks, 1.0, axis=1)
        return g / n_goals

    goals_l, goals_r = goals(n_left, half), goals(n_right, 0)
    lr = np.empty((n_left, n_right))
    rl = np.empty((n_left, n_right))
    step = max(1, 2_000_000 // max(1, n_right * n_skills))  # rows per chunk: bounded memory
    for s in range(0, n_left, step):
        diff = left[s : s + step, None, :] - right[None, :, :]
        lr[s : s + step] = (np.maximum(diff, 0) * goals_r[None, :, :]).sum(axis=2)
        rl[s : s + step] = (np.maximum(-diff, 0) * goals_l[s : s + step, None, :]).sum(axis=2)
    return lr, rl


def make_cohort(cohort: Cohort, seed: int = 2024) -> MatchProblem:
    rng = np.random.default_rng(seed)
    n_l, n_r = cohort.n_left, cohort.n_right
    forbidden: NDArray[np.bool_] | None = None
    if cohort.kind == "uniform":
        lr, rl = rng.random((n_l, n_r)), rng.random((n_l, n_r))
    else:
        lr, rl = _skill_benefits(rng, n_l, n_r)
        dept_l, dept_r = rng.integers(0, 8, n_l), rng.integers(0, 8, n_r)
        forbidden = dept_l[:, None] == dept_r[None, :]
    return MatchProblem(
        left_ids=[f"L{i}" for i in range(n_l)],
        right_ids=[f"R{j}" for j in range(n_r)],
        benefit_lr=lr,
        benefit_rl=rl,
        left_capacity=[cohort.cap_left] * n_l,
        right_capacity=[cohort.cap_right] * n_r,
        forbidden=forbidden,
    )


def run_cell(cohort_name: str, method: str, runs: int) -> dict[str, Any]:
    """Runs one cell in this process; called in a child process by :func:`main`."""
    problem = make_cohort(COHORTS[cohort_name])
    fn = METHODS[method]
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    times: list[float] = []
    result: MatchResult | None = None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn(problem)
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    fn(problem)
    traced_peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    assert result is not None
    n_people = cohort_size(problem)
    return {
        "cohort": cohort_name,
        "method": method,
        "engine": result.method,
        "time_median_s": statistics.median(times),
        "times_s": times,
        "pairs": len(result.pairs),
        "covered": result.n_covered,
        "people": n_people,
        "total": result.total_score,
        "two_way_share": two_way_share(problem, result, threshold=0.1),
        "min_benefit": result.min_benefit,
        "median_benefit": result.median_benefit,
        "traced_peak_mb": traced_peak,
        "rss_inputs_mb": rss_before,
        "rss_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def cohort_size(problem: MatchProblem) -> int:
    return len(problem.left_ids) + len(problem.right_ids)


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def print_table(rows: list[dict[str, Any]]) -> None:
    header = (
        "| cohort | method | engine | time (median) | pairs | covered | total two-way | "
        "two-way share | min benefit | median benefit | traced peak MB | RSS peak MB |"
    )
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for r in rows:
        print(
            f"| {r['cohort']} | {r['method']} | {r['engine']} | {r['time_median_s']:.2f} s "
            f"| {r['pairs']} | {r['covered']}/{r['people']} | {r['total']:.1f} "
            f"| {r['two_way_share']:.1%} | {_fmt(r['min_benefit'], '.3f')} "
            f"| {_fmt(r['median_benefit'], '.3f')} | {r['traced_peak_mb']:.0f} | {r['rss_peak_mb']:.0f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs per cell (median reported)")
    parser.add_argument("--quick", action="store_true", help="skip the 5,000 x 5,000 and LP cohorts")
    parser.add_argument("--cohort", action="append", choices=sorted(COHORTS), help="run only these")
    parser.add_argument("--method", action="append", choices=sorted(METHODS), help="run only these")
    parser.add_argument("--json", type=Path, help="also write the raw rows to this file")
    parser.add_argument("--child", nargs=2, metavar=("COHORT", "METHOD"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        print(json.dumps(run_cell(args.child[0], args.child[1], args.runs)))
        return

    cohorts = args.cohort or (list(QUICK) if args.quick else list(COHORTS))
    methods = args.method or list(METHODS)
    print(f"# cohort matching benchmark: {os.cpu_count()} CPU(s), {args.runs} timed runs per cell\n")
    rows: list[dict[str, Any]] = []
    for cohort in cohorts:
        for method in methods:
            proc = subprocess.run(
                [sys.executable, __file__, "--runs", str(args.runs), "--child", cohort, method],
                capture_output=True,
                text=True,
                check=False,
            )
            if proc.returncode != 0:
                print(f"{cohort} / {method} failed:\n{proc.stderr}", file=sys.stderr)
                continue
            rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
            print(f"  done: {cohort} / {method} ({rows[-1]['time_median_s']:.2f} s)", file=sys.stderr)
    print_table(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
