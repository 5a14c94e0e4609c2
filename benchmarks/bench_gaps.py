"""Benchmark of the organisation-wide gap report (issue #5) on both store backends.

Run from the repository root::

    .venv/bin/python benchmarks/bench_gaps.py                          # 100,000 employees, both backends
    .venv/bin/python benchmarks/bench_gaps.py --backend embedded --repeat 3
    .venv/bin/python benchmarks/bench_gaps.py --size 10000 --neo4j-uri bolt://127.0.0.1:17687

Targets: the full report on a 100,000-employee demo organisation in <= 10 s on the
embedded store and <= 30 s on Neo4j.

Data: ``ingest.demo.generate_organisation(size=, seed=)`` (real ESCO / O*NET skills, the
IBM HR department x role x level mix; about 20 skills and 5 learning goals per person,
so 2 M HAS_SKILL and 0.5 M WANTS_TO_LEARN edges at 100,000) and the whole shipped
taxonomy (23,000 skills, no embeddings: the report does not use them). Loading is done
once and kept: the embedded store in ``--data-dir`` (default ``~/.cache/mentorgraph/
bench-gaps``), and Neo4j is reused when it already holds exactly this organisation
(same counts). Loading times are printed when a load happens.

Neo4j: without ``--neo4j-uri`` the benchmark starts its **own** server with
``scripts/neo4j_local.py`` (state in ``<data-dir>/neo4j``, port 17688), because the shared
development server on 17687 is cleared by every contract test - a 100,000-employee load
there would be wiped mid-run, and would spoil the tests. Stop it afterwards with
``MENTORGRAPH_NEO4J_HOME=<data-dir>/neo4j python scripts/neo4j_local.py stop --port 17688``
(or pass ``--stop``). With ``--neo4j-uri`` the database is cleared and loaded if it does
not already hold the organisation.

Measured per backend and grouping: ``--repeat`` timed runs of ``gap_report`` (the full
report: the store's aggregation, the sole holders, the group sizes, the metrics and the
skill labels), after one untimed warm-up; the median is the headline and the range is in
brackets. Also the store's aggregation alone (``gap_counts``) and its number of rows (at
most groups x skills: the evidence that the graph is aggregated in the store), the CPU
seconds of this process and, for Neo4j, of the server process (``/proc/<pid>/stat``), and
the load average - the machine is shared (2 cores), so wall-clock numbers move with what
else runs; CPU seconds move much less. The results go to stdout and ``--out``
(default ``benchmarks/results/gaps.md``).
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from graph.neo4j_store import Neo4jStore
from graph.sqlite_store import SqliteStore
from graph.store import GraphStore, GroupField, StoreCounts
from recommender.gap_models import GapGrouping, GapReport
from recommender.gaps import cells_csv, gap_report
from schema import Employee

ROOT = Path(__file__).resolve().parents[1]
BENCH_PORT = 17688
LOAD_CHUNK = 5_000
TARGETS = {"embedded": 10.0, "neo4j": 30.0}
#: Where the time a load took is kept, so that later runs reusing the data can report it.
LOAD_NOTES = Path.home() / ".cache" / "mentorgraph" / "bench-gaps" / "load-times"


@dataclass
class Result:
    backend: str
    grouping: str
    report_seconds: list[float] = field(default_factory=list)
    counts_seconds: list[float] = field(default_factory=list)
    client_cpu: list[float] = field(default_factory=list)
    server_cpu: list[float] = field(default_factory=list)
    rows: int = 0
    groups: int = 0
    skills: int = 0
    cold_seconds: float = 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--backend", choices=["embedded", "neo4j", "both"], default="both")
    parser.add_argument("--groupings", default="department,seniority,location,category")
    parser.add_argument("--data-dir", type=Path, default=Path.home() / ".cache" / "mentorgraph" / "bench-gaps")
    parser.add_argument("--neo4j-uri", default=os.environ.get("MENTORGRAPH_NEO4J_URI"))
    parser.add_argument("--stop", action="store_true", help="Stop the benchmark's own Neo4j at the end.")
    parser.add_argument("--outputs", action="store_true", help="Also time writing CSV, PNG and SVG once.")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "gaps.md")
    args = parser.parse_args()
    # The driver logs a warning per notification ("relationship type does not exist" on an empty
    # database...); the benchmark's output is its table.
    logging.getLogger("neo4j").setLevel(logging.ERROR)
    groupings = [GapGrouping.parse(g) for g in args.groupings.split(",")]
    args.data_dir.mkdir(parents=True, exist_ok=True)
    global LOAD_NOTES
    LOAD_NOTES = args.data_dir / "load-times"

    notes: list[str] = [f"load average at start: {_load()}"]
    employees: list[Employee] | None = None

    def organisation() -> list[Employee]:
        nonlocal employees
        if employees is None:
            from ingest.demo import generate_organisation

            started = time.perf_counter()
            employees = generate_organisation(size=args.size, seed=args.seed)
            notes.append(f"demo organisation generated in {time.perf_counter() - started:.0f} s")
            print(notes[-1], flush=True)
        return employees

    results: list[Result] = []
    if args.backend in ("embedded", "both"):
        path = args.data_dir / f"org-{args.size}-{args.seed}.sqlite"
        embedded = SqliteStore(path=path)
        embedded.apply_schema()
        expected = _ensure_loaded(embedded, "embedded", organisation, notes, size=args.size)
        results += _measure(embedded, "embedded", groupings, args.repeat, server_pid=None)
        if args.outputs:
            notes += _time_outputs(embedded, args.data_dir)
        embedded.close()
    else:
        expected = None
    if args.backend in ("neo4j", "both"):
        uri, pid = _neo4j(args)
        neo4j = Neo4jStore.connect(uri=uri, user="neo4j", password="unused")
        neo4j.apply_schema()
        counts = _ensure_loaded(neo4j, "neo4j", organisation, notes, size=args.size)
        if expected is not None and counts != expected:
            notes.append(f"WARNING: Neo4j holds {counts}, the embedded store {expected}")
        results += _measure(neo4j, "neo4j", groupings, args.repeat, server_pid=pid)
        after = neo4j.counts()
        if after != counts:
            notes.append(f"INVALID: the Neo4j data changed during the run ({counts} -> {after})")
        neo4j.close()
        if args.stop and not args.neo4j_uri:
            _neo4j_local(args, "stop")
    notes.append(f"load average at end: {_load()}")
    text = _table(results, args, notes)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"written to {args.out}")


# --------------------------------------------------------------------------------------
# data


def _ensure_loaded(
    store: GraphStore, name: str, organisation: Callable[[], list[Employee]], notes: list[str], *, size: int
) -> StoreCounts:
    """Load the organisation unless the store already holds exactly it; return its counts."""
    counts = store.counts()
    remembered = LOAD_NOTES / f"{name}-{size}.txt"
    if counts.employees == size and counts.has_skill > 0:
        print(f"{name}: reusing the loaded organisation ({counts.employees:,} employees)", flush=True)
        if remembered.exists():
            notes.append(remembered.read_text(encoding="utf-8").strip() + " (when it was loaded)")
        return counts
    from ingest.taxonomy import load_skills

    employees = organisation()
    print(f"{name}: loading {len(employees):,} employees (once)...", flush=True)
    store.clear()
    started = time.perf_counter()
    store.upsert_skills(skills=load_skills())
    skills_done = time.perf_counter()
    for start in range(0, len(employees), LOAD_CHUNK):
        store.upsert_employees(employees=employees[start : start + LOAD_CHUNK])
        done = min(start + LOAD_CHUNK, len(employees))
        rate = done / (time.perf_counter() - skills_done)
        print(f"\r  {done:,}/{len(employees):,} employees, {rate:,.0f}/s", end="", flush=True)
    print(flush=True)
    counts = store.counts()
    notes.append(
        f"{name}: loaded {counts.skills:,} skills in {skills_done - started:.0f} s and {counts.employees:,} "
        f"employees ({counts.has_skill:,} HAS_SKILL, {counts.wants_to_learn:,} WANTS_TO_LEARN) in "
        f"{time.perf_counter() - skills_done:.0f} s"
    )
    print(notes[-1], flush=True)
    remembered.parent.mkdir(parents=True, exist_ok=True)
    remembered.write_text(notes[-1], encoding="utf-8")
    return counts


def _neo4j(args: argparse.Namespace) -> tuple[str, int | None]:
    if args.neo4j_uri:
        return args.neo4j_uri, None
    uri = _neo4j_local(args, "start").strip().splitlines()[-1]
    pid_file = args.data_dir / "neo4j" / "server.pid"
    return uri, int(pid_file.read_text().strip()) if pid_file.exists() else None


def _neo4j_local(args: argparse.Namespace, command: str) -> str:
    env = {**os.environ, "MENTORGRAPH_NEO4J_HOME": str(args.data_dir / "neo4j")}
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "neo4j_local.py"),
            command,
            "--port",
            str(BENCH_PORT),
            "--heap",
            "2g",
            "--pagecache",
            "1g",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if result.returncode != 0:
        sys.exit(f"could not {command} the benchmark's Neo4j:\n{result.stdout}\n{result.stderr}")
    return result.stdout


# --------------------------------------------------------------------------------------
# measuring


def _measure(
    store: GraphStore, backend: str, groupings: Sequence[GapGrouping], repeat: int, *, server_pid: int | None
) -> list[Result]:
    results = []
    for grouping in groupings:
        result = Result(backend=backend, grouping=grouping.value)
        field_ = GroupField.NONE if grouping is GapGrouping.CATEGORY else GroupField(grouping.value)
        with _timer() as cold:
            report = gap_report(store=store, group_by=grouping)
        result.cold_seconds = cold()
        result.groups, result.skills = len(report.groups), report.totals.skills_wanted
        for _ in range(repeat):
            with _timer() as wall, _cpu(server_pid) as cpu:
                report = gap_report(store=store, group_by=grouping)
            result.report_seconds.append(wall())
            client, server = cpu()
            result.client_cpu.append(client)
            if server is not None:
                result.server_cpu.append(server)
            with _timer() as counts_wall:
                rows = store.gap_counts(group_by=field_)
            result.counts_seconds.append(counts_wall())
            result.rows = len(rows)
        distinct_groups = len({r.group for r in rows})
        distinct_skills = len({r.skill_id for r in rows})
        assert result.rows <= distinct_groups * distinct_skills, "the store returned more than groups x skills rows"
        _check(report)
        print(
            f"{backend:8} {grouping.value:10} median {statistics.median(result.report_seconds):6.2f} s "
            f"(cold {result.cold_seconds:.2f} s), gap_counts {statistics.median(result.counts_seconds):.2f} s, "
            f"{result.rows:,} rows",
            flush=True,
        )
        results.append(result)
    return results


def _check(report: GapReport) -> None:
    """The report is whole: the cells add up to the totals (a benchmark of a wrong answer is worthless)."""
    unmet = sum(c.unmet_demand for c in report.cells)
    assert abs(unmet - report.totals.unmet_demand) < 0.01 * len(report.cells) + 1e-6
    assert report.totals.learners == sum(c.learners for c in report.cells)


def _time_outputs(store: GraphStore, folder: Path) -> list[str]:
    from recommender.heatmap import render_heatmap

    report = gap_report(store=store, group_by=GapGrouping.DEPARTMENT)
    lines = []
    for what, write in (
        ("CSV", lambda: (folder / "gaps.csv").write_text(cells_csv(report), encoding="utf-8")),
        ("JSON", lambda: (folder / "gaps.json").write_text(report.model_dump_json(indent=2), encoding="utf-8")),
        ("PNG", lambda: render_heatmap(report=report, path=folder / "gaps.png")),
        ("SVG", lambda: render_heatmap(report=report, path=folder / "gaps.svg")),
    ):
        with _timer() as wall:
            write()
        lines.append(f"writing the {what} output: {wall():.2f} s")
    return lines


@contextmanager
def _timer() -> Iterator[Callable[[], float]]:
    started = time.perf_counter()
    elapsed: list[float] = []
    yield lambda: elapsed[0]
    elapsed.append(time.perf_counter() - started)


@contextmanager
def _cpu(server_pid: int | None) -> Iterator[Callable[[], tuple[float, float | None]]]:
    client, server = time.process_time(), _process_cpu(server_pid)
    measured: list[tuple[float, float | None]] = []
    yield lambda: measured[0]
    after = _process_cpu(server_pid)
    measured.append((time.process_time() - client, None if server is None or after is None else after - server))


def _process_cpu(pid: int | None) -> float | None:
    """User + system CPU seconds of a process (the Neo4j server) from /proc."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    text = f"{one:.1f} / {five:.1f} / {fifteen:.1f} (1 / 5 / 15 min, {os.cpu_count()} cores)"
    try:
        # Pressure stall information: the share of time runnable tasks waited for a CPU.
        some = Path("/proc/pressure/cpu").read_text().splitlines()[0].split()
        text += f", CPU pressure {dict(kv.split('=') for kv in some[1:])['avg60']}% over the last minute"
    except (OSError, KeyError, IndexError, ValueError):
        pass
    return text


# --------------------------------------------------------------------------------------
# report


def _table(results: list[Result], args: argparse.Namespace, notes: list[str]) -> str:
    lines = [
        f"# Gap report benchmark: {args.size:,}-employee demo organisation (seed {args.seed})",
        "",
        f"`python benchmarks/bench_gaps.py --size {args.size} --repeat {args.repeat}` on {platform.node()} "
        f"({os.cpu_count()} cores, shared), Python {platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M')}.",
        f"Medians of {args.repeat} runs after one warm-up (range in brackets). Targets: full report "
        f"<= {TARGETS['embedded']:.0f} s embedded, <= {TARGETS['neo4j']:.0f} s Neo4j.",
        "",
        "| backend | grouping | full report | target | store aggregation | rows (groups x skills) "
        "| CPU here | CPU Neo4j server | first run |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        report = statistics.median(r.report_seconds)
        verdict = "met" if report <= TARGETS[r.backend] else "MISSED"
        server = f"{statistics.median(r.server_cpu):.1f} s" if r.server_cpu else "-"
        lines.append(
            f"| {r.backend} | {r.grouping} | {report:.2f} s [{min(r.report_seconds):.2f}-{max(r.report_seconds):.2f}]"
            f" | {verdict} | {statistics.median(r.counts_seconds):.2f} s | {r.rows:,} ({r.groups} groups) "
            f"| {statistics.median(r.client_cpu):.1f} s | {server} | {r.cold_seconds:.2f} s |"
        )
    lines += ["", *(f"- {note}" for note in notes), ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
