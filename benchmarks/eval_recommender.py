"""Quality of the two-way recommender against the usual alternatives (issue #4).

Run from the repository root::

    .venv/bin/python benchmarks/eval_recommender.py                 # 2,000 employees, seeds 7 8 9
    .venv/bin/python benchmarks/eval_recommender.py --size 5000 --seeds 7 --sample 300

For each seed, a demo organisation with planted complementary pairs is generated and
loaded into an embedded store on top of the seeded taxonomy (cached in ``--workdir``, see
``bench_recommend.py``), then every method of :mod:`recommender.evaluation` is scored in
the ``planted`` and ``paraphrased`` scenarios: hit@k and MRR of the planted partner, and
the coverage of both people's goals by the first partner proposed. The policy is the
default reverse-mentoring policy without the time-zone limit (the demo plants pairs
regardless of offices, and a rule that removes the planted partner would measure the
rule, not the ranking). Results per seed and their mean are printed and written to
``benchmarks/results/eval_recommender.md``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_recommend import DEFAULT_WORKDIR, log, taxonomy_store  # noqa: E402
from graph.sqlite_store import SqliteStore  # noqa: E402
from ingest.demo import generate_demo_organisation  # noqa: E402
from recommender.evaluation import (  # noqa: E402
    EvaluationReport,
    Method,
    MethodScore,
    evaluate,
    paraphrase_planted,
    report_rows,
)
from recommender.policy import ProgrammePolicy  # noqa: E402

SCENARIOS = ("planted", "paraphrased")


def run_seed(*, workdir: Path, size: int, seed: int, planted: int, sample: int, k: int) -> list[EvaluationReport]:
    policy = ProgrammePolicy(max_utc_offset_difference=None)
    org = generate_demo_organisation(size=size, seed=seed, planted_pairs=planted)
    reports = []
    for scenario in SCENARIOS:
        path = workdir / f"eval-{size}-{seed}-{scenario}.sqlite"
        path.unlink(missing_ok=True)
        shutil.copyfile(taxonomy_store(workdir), path)
        store = SqliteStore(path=path)
        store.apply_schema()
        employees = list(org.employees)
        if scenario == "paraphrased":
            employees, replaced = paraphrase_planted(
                store=store, employees=employees, planted=org.planted_pairs, seed=seed
            )
            log(f"  paraphrased {replaced} planted skills")
        for start in range(0, len(employees), 5_000):
            store.upsert_employees(employees=employees[start : start + 5_000])
        started = time.perf_counter()
        methods = evaluate(
            store=store, employees=employees, planted=org.planted_pairs, policy=policy, k=k, sample=sample, seed=seed
        )
        store.close()
        path.unlink(missing_ok=True)
        reports.append(
            EvaluationReport(
                scenario=scenario,
                size=size,
                seed=seed,
                planted_pairs=len(org.planted_pairs),
                k=k,
                policy=policy,
                methods=methods,
                seconds=round(time.perf_counter() - started, 1),
            )
        )
        log(f"  {scenario}: " + ", ".join(f"{m.method.value} hit@{k} {m.hit_at_k:.2f}" for m in methods))
    return reports


def mean_report(reports: Sequence[EvaluationReport]) -> EvaluationReport:
    """The per-method mean over seeds of one scenario."""
    first = reports[0]
    methods = []
    for method in Method:
        scores = [m for r in reports for m in r.methods if m.method is method]
        if not scores:
            continue
        fields = {
            name: round(statistics.mean(getattr(s, name) for s in scores), 4)
            for name in (
                "hit_at_k", "mrr", "coverage_learn", "coverage_teach", "coverage_learn_exact",
                "coverage_teach_exact", "two_way", "ms_per_query",
            )
        }  # fmt: skip
        methods.append(
            MethodScore(
                method=method,
                planted_queries=sum(s.planted_queries for s in scores),
                coverage_people=sum(s.coverage_people for s in scores),
                **fields,
            )
        )
    return first.model_copy(update={"seed": -1, "methods": methods, "seconds": sum(r.seconds for r in reports)})


def markdown(report: EvaluationReport, title: str) -> str:
    rows = report_rows(report)
    header = list(rows[0])
    lines = [f"### {title}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row[h] for h in header) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=2_000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[7, 8, 9])
    parser.add_argument("--planted", type=int, default=None, help="planted pairs (default: 2%% of the size)")
    parser.add_argument("--sample", type=int, default=200, help="employees sampled for the coverage metrics")
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "eval_recommender.md")
    parser.add_argument("--json", type=Path, default=None, help="also write every report as JSON")
    args = parser.parse_args(argv)
    planted = args.planted if args.planted is not None else max(1, args.size // 50)

    reports: list[EvaluationReport] = []
    for seed in args.seeds:
        log(f"seed {seed}: {args.size:,} employees, {planted} planted pairs")
        reports.extend(
            run_seed(workdir=args.workdir, size=args.size, seed=seed, planted=planted, sample=args.sample, k=args.k)
        )
    parts = [
        "# Recommender evaluation",
        "",
        f"`python benchmarks/eval_recommender.py {' '.join(argv if argv is not None else sys.argv[1:])}`".replace(
            " `", "`"
        ),
        "",
        f"{args.size:,}-employee demo organisations, {planted} planted pairs each, seeds "
        f"{', '.join(map(str, args.seeds))}; coverage over {args.sample} sampled employees per seed; "
        f"k = {args.k}. Mean over the seeds:",
        "",
    ]
    for scenario in SCENARIOS:
        parts.append(markdown(mean_report([r for r in reports if r.scenario == scenario]), scenario))
    text = "\n".join(parts)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    if args.json is not None:
        args.json.write_text(json.dumps([r.model_dump(mode="json") for r in reports], indent=2))


if __name__ == "__main__":
    main()
