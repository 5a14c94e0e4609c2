"""End-to-end cohort matching on real demo cohorts: optimal vs greedy vs one-directional.

Run from the repository root::

    .venv/bin/python benchmarks/bench_matching.py                  # every cohort below
    .venv/bin/python benchmarks/bench_matching.py --cohorts 60x300,1000x1000
    .venv/bin/python benchmarks/bench_matching.py --embedding-cache ~/.mentorgraph/embeddings.sqlite

Data: the real ESCO / O*NET taxonomy, embedded with all-MiniLM-L6-v2 and linked by
SIMILAR_TO edges exactly as ``mentorgraph demo`` seeds it (the embedding cache makes this
seconds after the first time), plus demo organisations from
``ingest.demo.generate_demo_organisation(size, seed=7)``, each in its own embedded store
under ``--work-dir`` (built once, then reused). A cohort takes the opted-in employees with
the highest seniority as seniors and the lowest as juniors, written as a real cohort CSV.

Cohorts
-------
* ``60x300``: 60 seniors (capacity 5) x 300 juniors (capacity 1) from a 2,000-person org;
* ``1000x1000``: capacity 1 each, from a 10,000-person org (target <= 5 s end to end);
* ``5000x5000``: capacity 1 each, from a 20,000-person demo org (a 20k org has about
  5,400 people at seniority 3+, enough for 5,000 real seniors; target <= 60 s, <= 4 GB).

Measured, each cohort in a fresh subprocess (so the peak RSS is its own):

* end to end, as ``mentorgraph match`` runs it: read the CSV, load profiles, pairings and
  reporting chains, build both benefit matrices, solve, explain every pair and unmatched
  person, save the proposal JSON; with the time of each stage and the peak RSS;
* on the same ``MatchProblem``: the optimum (``solve``, objective total, and objective
  coverage: as many people matched as possible, then the total), the greedy baseline
  (``solve_greedy``, best mutual score first) and the one-directional Hungarian baseline
  (``solve_one_directional``, mentor -> mentee scores only, as ``mentor-match`` does):
  total two-way benefit (sum of the pairs' harmonic means), pairs, share of pairs useful
  both ways (both directions > 0), min and median per-person benefit over the matched,
  people matched, solver seconds.

Results go to stdout and ``benchmarks/results/matching.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from graph.sqlite_store import SqliteStore  # noqa: E402
from ingest.demo import generate_demo_organisation  # noqa: E402
from recommender.cohort import build_context, propose, read_cohort, save_proposal  # noqa: E402
from recommender.cohort_models import MatchOptions  # noqa: E402
from recommender.matching import (  # noqa: E402
    MatchProblem,
    MatchResult,
    solve,
    solve_greedy,
    solve_one_directional,
    two_way_share,
)

SEED = 7
EMPLOYEE_BATCH = 2_000


@dataclass(frozen=True)
class Case:
    name: str
    org_size: int
    seniors: int
    juniors: int
    senior_capacity: int


CASES = {
    c.name: c
    for c in (
        Case("60x300", 2_000, 60, 300, 5),
        Case("1000x1000", 10_000, 1_000, 1_000, 1),
        Case("5000x5000", 20_000, 5_000, 5_000, 1),
    )
}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------
# data


def taxonomy_store(work: Path, cache: Path) -> Path:
    target = work / "taxonomy.sqlite"
    if target.exists():
        return target
    temp = work / "taxonomy.sqlite.tmp"
    temp.unlink(missing_ok=True)
    # Imported here: the measured child process never loads the embedding model's stack.
    from ingest.embedder import Embedder
    from ingest.seed import seed_taxonomy

    store = SqliteStore(path=temp)
    store.apply_schema()
    log(f"seeding the taxonomy (embedding cache {cache})")
    report = seed_taxonomy(store=store, embedder=Embedder(cache_path=cache))
    log(f"seeded {report.skills} skills, {report.similar_edges} similar edges in {report.seconds:.0f} s")
    store.close()
    temp.rename(target)
    return target


def org_store(work: Path, taxonomy: Path, size: int) -> Path:
    target = work / f"org{size}.sqlite"
    if target.exists():
        return target
    temp = work / f"org{size}.sqlite.tmp"
    shutil.copy(taxonomy, temp)
    log(f"generating a {size:,}-person demo organisation")
    employees = generate_demo_organisation(size=size, seed=SEED).employees
    store = SqliteStore(path=temp)
    store.apply_schema()
    for start in range(0, len(employees), EMPLOYEE_BATCH):
        store.upsert_employees(employees=employees[start : start + EMPLOYEE_BATCH])
    store.close()
    temp.rename(target)
    return target


def cohort_file(work: Path, store_path: Path, case: Case) -> Path:
    path = work / f"cohort-{case.name}.csv"
    if path.exists():
        return path
    store = SqliteStore(path=store_path)
    ids = store.list_employee_ids()
    people = [e for e in store.get_employees(employee_ids=ids).values() if e.opt_in]
    store.close()
    people.sort(key=lambda e: (-e.seniority, e.id))
    seniors = people[: case.seniors]
    juniors = sorted(people[case.seniors :], key=lambda e: (e.seniority, e.id))[: case.juniors]
    if len(seniors) < case.seniors or len(juniors) < case.juniors:
        raise SystemExit(f"{case.name}: the {case.org_size:,} org has too few opted-in people")
    lines = ["id,role,capacity"]
    lines += [f"{e.id},senior,{case.senior_capacity}" for e in seniors]
    lines += [f"{e.id},junior,1" for e in juniors]
    path.write_text("\n".join(lines) + "\n")
    return path


# --------------------------------------------------------------------------------------
# one measured run (in a subprocess)


def metrics(problem: MatchProblem, result: MatchResult, seconds: float) -> dict[str, Any]:
    return {
        "method": result.method,
        "seconds": round(seconds, 3),
        "pairs": len(result.pairs),
        "total": round(result.total_score, 3),
        "two_way_share": round(two_way_share(problem, result, threshold=0.0), 4),
        "min_benefit": None if result.min_benefit is None else round(result.min_benefit, 4),
        "median_benefit": None if result.median_benefit is None else round(result.median_benefit, 4),
        "matched": result.n_covered,
    }


def peak_rss_mb() -> float:
    """Peak RSS of this process. ``VmHWM`` rather than ``ru_maxrss``: Linux carries
    ``ru_maxrss`` over ``exec``, so a child would report its parent's peak (the parent
    held the embedding model while seeding)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(store_path: Path, cohort_path: Path, proposal_path: Path) -> dict[str, Any]:
    store = SqliteStore(path=store_path)
    options = MatchOptions()
    started = time.perf_counter()
    cohort = read_cohort(path=cohort_path)
    read = time.perf_counter() - started
    proposal = propose(store=store, cohort=cohort, options=options)
    saved = time.perf_counter()
    save_proposal(path=proposal_path, proposal=proposal)
    end_to_end = time.perf_counter() - started
    stages = {"read": round(read, 3), **proposal.stats.seconds, "save": round(time.perf_counter() - saved, 3)}
    peak_mb = peak_rss_mb()

    ctx = build_context(store=store, cohort=cohort, options=options)
    problem = MatchProblem(
        left_ids=[e.id for e in ctx.seniors],
        right_ids=[e.id for e in ctx.juniors],
        benefit_lr=ctx.teach_sj,
        benefit_rl=ctx.teach_js,
        left_capacity=ctx.cap_s.tolist(),
        right_capacity=ctx.cap_j.tolist(),
        forbidden=ctx.forbidden,
        require_two_way=True,
    )
    store.close()
    runs = {}
    for name, method in (
        ("optimal", solve),
        ("optimal, coverage", lambda p: solve(replace(p, objective="coverage"))),
        ("greedy", solve_greedy),
        ("one-directional", solve_one_directional),
    ):
        clock = time.perf_counter()
        result = method(problem)
        runs[name] = metrics(problem, result, time.perf_counter() - clock)
    return {
        "end_to_end_seconds": round(end_to_end, 3),
        "stages": stages,
        "peak_rss_mb": round(peak_mb),
        "proposal_pairs": proposal.stats.pairs,
        "proposal_mb": round(proposal_path.stat().st_size / 1e6, 1),
        "allowed_share": round(float((~ctx.forbidden).mean()), 3),
        "runs": runs,
    }


# --------------------------------------------------------------------------------------
# report


def markdown(results: dict[str, dict[str, Any]]) -> str:
    cpu = os.cpu_count()
    lines = [
        "# Cohort matching on real demo cohorts",
        "",
        f"`benchmarks/bench_matching.py`, {cpu} cores, embedded store; demo orgs seed {SEED}.",
        "",
        "End to end = read the cohort CSV, load profiles / pairings / reporting chains, build both",
        "benefit matrices, solve, explain every pair and unmatched person, save the proposal JSON.",
        "",
        "| cohort | end to end (s) | load | matrices | rules | solve | report | save | peak RSS (MB) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        s = r["stages"]
        lines.append(
            f"| {name} | {r['end_to_end_seconds']:.2f} | {s.get('load', 0):.2f} | {s.get('benefit_matrices', 0):.2f} "
            f"| {s.get('rules', 0):.2f} | {s.get('solve', 0):.2f} | {s.get('report', 0):.2f} | {s.get('save', 0):.2f} "
            f"| {r['peak_rss_mb']:,} |"
        )
    lines += [
        "",
        "Same problem, three methods (benefit = harmonic mean of the two directions; per-person",
        "benefit over matched people; two-way = both directions > 0; seconds = solver only):",
        "",
        "| cohort | method | total benefit | pairs | two-way pairs | min per person | median | matched | s |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        for method, m in r["runs"].items():
            low = "-" if m["min_benefit"] is None else f"{m['min_benefit']:.3f}"
            med = "-" if m["median_benefit"] is None else f"{m['median_benefit']:.3f}"
            lines.append(
                f"| {name} | {method} | {m['total']:.2f} | {m['pairs']:,} | {m['two_way_share']:.0%} | {low} | {med} "
                f"| {m['matched']:,} | {m['seconds']:.2f} |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cohorts", default=",".join(CASES), help="Comma-separated: " + ", ".join(CASES))
    parser.add_argument("--work-dir", type=Path, default=Path.home() / ".mentorgraph" / "bench-matching")
    parser.add_argument("--embedding-cache", type=Path, default=Path.home() / ".mentorgraph" / "embeddings.sqlite")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "matching.md")
    parser.add_argument("--child", nargs=3, metavar=("STORE", "COHORT", "PROPOSAL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(Path(args.child[0]), Path(args.child[1]), Path(args.child[2]))))
        return

    work: Path = args.work_dir.expanduser()
    work.mkdir(parents=True, exist_ok=True)
    taxonomy = taxonomy_store(work, args.embedding_cache.expanduser())
    results: dict[str, dict[str, Any]] = {}
    for name in args.cohorts.split(","):
        case = CASES[name.strip()]
        store_path = org_store(work, taxonomy, case.org_size)
        cohort = cohort_file(work, store_path, case)
        log(f"{case.name}: running")
        done = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                str(store_path),
                str(cohort),
                str(work / f"{case.name}.proposal.json"),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"{case.name} failed:\n{done.stderr}")
        results[case.name] = json.loads(done.stdout.strip().splitlines()[-1])
        log(f"{case.name}: {json.dumps(results[case.name])}")
    text = markdown(results)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)


if __name__ == "__main__":
    main()
