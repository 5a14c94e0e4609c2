"""Latency and memory of the recommender (issue #4 targets) on demo organisations.

Run from the repository root::

    .venv/bin/python benchmarks/bench_recommend.py                    # 10k, both backends
    .venv/bin/python benchmarks/bench_recommend.py --sizes 10000,100000 --backends embedded
    .venv/bin/python benchmarks/bench_recommend.py --queries 100 --skip-teachers

Targets: on a 10,000-employee demo organisation, ``recommend`` p95 <= 30 ms embedded and
<= 150 ms on Neo4j; teacher search *including embedding the question* p95 <= 60 ms
embedded and <= 200 ms on Neo4j; at 100,000 employees ``recommend`` p95 <= 200 ms
embedded with a peak memory <= 2 GB.

Data: the real shipped taxonomy (ESCO + O*NET, ~23,000 skills) seeded with
:func:`ingest.seed.seed_taxonomy` (embeddings + SIMILAR_TO edges), and
:func:`ingest.demo.generate_demo_organisation` (seed 7, 1% planted pairs). Everything is
built once and cached in ``--workdir`` (default ``~/.cache/mentorgraph-bench``): the
seeded taxonomy as an SQLite file, copied for each organisation size. For Neo4j the
benchmark starts its **own** server (``scripts/neo4j_local.py`` with its own home
directory under the workdir and port 17787, stopped at the end) so that test suites
clearing the shared development server cannot spoil the run; ``--neo4j-uri`` uses a
server you give instead (its data is replaced).

Measured, each (backend, size, operation) in a fresh subprocess so that the peak RSS
(``resource.getrusage``) is that operation's own: on Neo4j first ``--neo4j-warmup`` untimed
requests for other employees (the benchmark's server is freshly started, with a cold JIT
and page cache), then everywhere 20 warm-up calls, then ``--queries``
timed calls on employees drawn at random (seeded) - ``recommend(limit=5)`` with the
default policy - or on distinct questions built from the labels of skills people hold
("who can teach me X or practical Y?"), each with at least one phrase that is not a skill
label, so the model embeds it (no cache: every question is new to the embedder), with
``--torch-threads`` intra-op threads (default 1). Reported: median, p95 and max in
milliseconds, and the peak RSS. The table is printed and written to
``benchmarks/results/recommend.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from graph.neo4j_store import Neo4jStore  # noqa: E402
from graph.sqlite_store import SqliteStore  # noqa: E402
from graph.store import GraphStore  # noqa: E402

DEFAULT_WORKDIR = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "mentorgraph-bench"
PRIVATE_NEO4J_PORT = 17787
ORG_SEED = 7
TARGETS_MS = {
    ("recommend", "embedded", 10_000): 30.0,
    ("recommend", "neo4j", 10_000): 150.0,
    ("teachers", "embedded", 10_000): 60.0,
    ("teachers", "neo4j", 10_000): 200.0,
    ("recommend", "embedded", 100_000): 200.0,
}
TARGET_RSS_MB = {("recommend", "embedded", 100_000): 2048.0}
# Every template has a phrase that is not a skill label ("practical X", "X in practice"...),
# so every question goes through the embedding model: that is the latency the target is
# about. Topics that are exact labels alone would be answered from SIMILAR_TO edges.
QUESTION_TEMPLATES = (
    "who can teach me {a} or practical {b}?",
    "someone good at {a} and {b} in practice",
    "I want to learn advanced {a}",
    "{a} for beginners, or {b}",
)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------
# data, built once and cached (shared with eval_recommender.py)


def embedder_for(workdir: Path) -> Any:
    from ingest.embedder import Embedder

    return Embedder(cache_path=workdir / "embeddings.sqlite")


def taxonomy_store(workdir: Path) -> Path:
    """An SQLite file holding the seeded taxonomy (skills, embeddings, SIMILAR_TO)."""
    from ingest.seed import seed_taxonomy

    path = workdir / "taxonomy.sqlite"
    if path.exists():
        return path
    workdir.mkdir(parents=True, exist_ok=True)
    partial = workdir / "taxonomy.sqlite.partial"
    partial.unlink(missing_ok=True)
    log("seeding the taxonomy (embeds ~23,000 skills the first time: several minutes)")
    store = SqliteStore(path=partial)
    store.apply_schema()
    report = seed_taxonomy(store=store, embedder=embedder_for(workdir))
    store.close()
    log(f"seeded: {report.skills} skills, {report.similar_edges} SIMILAR_TO edges in {report.seconds:.0f} s")
    partial.rename(path)
    return path


def organisation_store(workdir: Path, size: int, *, planted: int | None = None) -> Path:
    """The seeded taxonomy plus a demo organisation of ``size`` employees."""
    from ingest.demo import generate_demo_organisation

    planted = size // 100 if planted is None else planted
    path = workdir / f"org-{size}-{ORG_SEED}-{planted}.sqlite"
    if path.exists():
        return path
    base = taxonomy_store(workdir)
    partial = path.with_suffix(".partial")
    shutil.copyfile(base, partial)
    log(f"generating a {size:,}-employee organisation")
    org = generate_demo_organisation(size=size, seed=ORG_SEED, planted_pairs=planted)
    store = SqliteStore(path=partial)
    store.apply_schema()
    started = time.perf_counter()
    for start in range(0, len(org.employees), 5_000):
        store.upsert_employees(employees=org.employees[start : start + 5_000])
    store.close()
    log(f"loaded {size:,} employees in {time.perf_counter() - started:.0f} s")
    partial.rename(path)
    (workdir / f"org-{size}-{ORG_SEED}-{planted}.planted.json").write_text(json.dumps(org.planted_pairs))
    return path


def start_private_neo4j(workdir: Path) -> str:
    env = {**os.environ, "MENTORGRAPH_NEO4J_HOME": str(workdir / "neo4j"), "MENTORGRAPH_NEO4J_HEAP": "2g"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "neo4j_local.py"), "start", "--port", str(PRIVATE_NEO4J_PORT)],
        capture_output=True,
        text=True,
        env=env,
    )
    if result.returncode != 0:
        sys.exit(f"could not start the benchmark's Neo4j:\n{result.stdout}\n{result.stderr}")
    return result.stdout.strip().splitlines()[-1]


def stop_private_neo4j(workdir: Path) -> None:
    env = {**os.environ, "MENTORGRAPH_NEO4J_HOME": str(workdir / "neo4j")}
    subprocess.run([sys.executable, str(ROOT / "scripts" / "neo4j_local.py"), "stop"], env=env, check=False)


def load_neo4j(uri: str, workdir: Path, size: int) -> None:
    """Same data as the embedded file: the taxonomy (embeddings from the cache) and the org."""
    from ingest.demo import generate_demo_organisation
    from ingest.seed import seed_taxonomy

    store = Neo4jStore.connect(uri=uri, password="unused")
    try:
        store.apply_schema()
        marker = f"org-{size}-{ORG_SEED}"
        loaded = workdir / "neo4j.loaded"
        if store.counts().employees == size and loaded.exists() and loaded.read_text() == marker:
            log("Neo4j already holds this organisation")
            return
        log("loading Neo4j: clearing, seeding the taxonomy, loading the organisation")
        store.clear()
        seed_taxonomy(store=store, embedder=embedder_for(workdir))
        org = generate_demo_organisation(size=size, seed=ORG_SEED, planted_pairs=size // 100)
        for start in range(0, len(org.employees), 2_000):
            store.upsert_employees(employees=org.employees[start : start + 2_000])
        store.apply_schema()  # waits for the indexes to be online
        (workdir / "neo4j.loaded").write_text(marker)
    finally:
        store.close()


# --------------------------------------------------------------------------------------
# the measuring child


def peak_rss_mb() -> float:
    """This process's own peak RSS. Not ``ru_maxrss``: Linux carries it across ``exec``, so
    a child would report the (large) parent's peak at fork time."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def open_store(backend: str, target: str) -> GraphStore:
    if backend == "neo4j":
        return Neo4jStore.connect(uri=target, password="unused")
    return SqliteStore(path=target)


def questions(store: GraphStore, rng: random.Random, count: int) -> list[str]:
    """Distinct questions naming skills somebody holds, from the skill labels."""
    ids = rng.sample(store.list_employee_ids(), min(400, count * 2))
    people = store.get_employees(employee_ids=ids)
    held = sorted({s.skill_id for e in people.values() for s in e.skills if s.level >= 3})
    labels = [s.label for s in store.get_skills(skill_ids=held).values() if len(s.label) <= 60]
    out: dict[str, None] = {}
    while len(out) < count:
        a, b = rng.sample(labels, 2)
        out[rng.choice(QUESTION_TEMPLATES).format(a=a, b=b)] = None
    return list(out)


def round_trip_ms(store: GraphStore) -> float:
    """Median of 50 ``ping`` round trips: how busy the server is, to read the rest by."""
    times = []
    for _ in range(50):
        started = time.perf_counter()
        store.ping()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def warm_server(store: GraphStore, calls: int) -> None:
    """Untimed requests for other employees (another seed) before the row is measured.

    Why: the benchmark starts its own Neo4j, so its JVM has not yet compiled the query
    paths and its page cache is cold; a production server has been answering for days. The
    embedded store needs none of this (its 20 untimed calls per row are enough)."""
    from recommender.pairing import recommend

    ids = store.list_employee_ids()
    rng = random.Random(-1)
    for _ in range(calls):
        recommend(store=store, employee_id=ids[rng.randrange(len(ids))], limit=5)


def run_child(args: argparse.Namespace) -> dict[str, Any]:
    from recommender.pairing import recommend
    from recommender.teachers import find_teachers

    store = open_store(args.backend, args.target)
    if args.backend == "neo4j":
        warm_server(store, args.neo4j_warmup)
    rng = random.Random(args.seed)
    timings: list[float] = []
    cpu: list[float] = []
    shown = 0
    if args.operation == "recommend":
        ids = store.list_employee_ids()
        chosen = [ids[rng.randrange(len(ids))] for _ in range(args.queries + 20)]
        for i, employee_id in enumerate(chosen):
            started, started_cpu = time.perf_counter(), time.process_time()
            result = recommend(store=store, employee_id=employee_id, limit=5)
            elapsed = (time.perf_counter() - started) * 1000
            shown += len(result.recommendations)
            if i >= 20:
                timings.append(elapsed)
                cpu.append((time.process_time() - started_cpu) * 1000)
    else:
        import torch

        from ingest.embedder import Embedder

        # One intra-op thread: for one short text per request, a second thread only adds
        # synchronisation, and on a busy machine it costs up to ~9x (measured here).
        torch.set_num_threads(args.torch_threads)
        embedder = Embedder()  # no cache file: every question goes through the model
        embedder.embed(["warm-up"])
        asked = questions(store, rng, args.queries + 20)
        ids = store.list_employee_ids()
        for i, question in enumerate(asked):
            asker = ids[rng.randrange(len(ids))]
            started, started_cpu = time.perf_counter(), time.process_time()
            found = find_teachers(store=store, question=question, embedder=embedder, asker_id=asker)
            elapsed = (time.perf_counter() - started) * 1000
            shown += len(found.teachers)
            if i >= 20:
                timings.append(elapsed)
                cpu.append((time.process_time() - started_cpu) * 1000)
    baseline = round_trip_ms(store) if args.backend == "neo4j" else None
    store.close()
    return {
        "round_trip_ms": baseline,
        "median_ms": statistics.median(timings),
        "p95_ms": percentile(timings, 0.95),
        "max_ms": max(timings),
        "cpu_median_ms": statistics.median(cpu),
        "cpu_p95_ms": percentile(cpu, 0.95),
        "queries": len(timings),
        "results_per_query": shown / (len(timings) + 20),
        "peak_rss_mb": peak_rss_mb(),
    }


def measure(backend: str, target: str, operation: str, args: argparse.Namespace) -> dict[str, Any]:
    command = [
        sys.executable, __file__, "--child", "--backend", backend, "--target", target,
        "--operation", operation, "--queries", str(args.queries), "--seed", str(args.seed),
        "--torch-threads", str(args.torch_threads), "--neo4j-warmup", str(args.neo4j_warmup),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if result.returncode != 0:
        raise RuntimeError(f"{backend} {operation} failed:\n{result.stderr[-3000:]}")
    data: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return data


# --------------------------------------------------------------------------------------
# the report


def render(rows: list[dict[str, Any]], command: str, loadavg: str, neo4j_warmup: int) -> str:
    lines = [
        "# Recommender benchmark",
        "",
        f"`{command}` on {platform.node() or 'this machine'} ({os.cpu_count()} cores, Python "
        f"{platform.python_version()}); load average at start {loadavg}.",
        "",
        "| operation | backend | employees | median ms | p95 ms | max ms | target p95 | CPU median / p95 ms "
        "| peak RSS MB | queries | Neo4j ping ms |",
        "|---|---|---:|---:|---:|---:|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        key = (row["operation"], row["backend"], row["size"])
        target = TARGETS_MS.get(key)
        verdict = ""
        if target is not None:
            verdict = f"<= {target:.0f} {'met' if row['p95_ms'] <= target else '**missed**'}"
        rss_target = TARGET_RSS_MB.get(key)
        rss = f"{row['peak_rss_mb']:.0f}"
        if rss_target is not None:
            rss += f" (<= {rss_target:.0f} {'met' if row['peak_rss_mb'] <= rss_target else '**missed**'})"
        lines.append(
            f"| {row['operation']} | {row['backend']} | {row['size']:,} | {row['median_ms']:.1f} | "
            f"{row['p95_ms']:.1f} | {row['max_ms']:.1f} | {verdict} | "
            f"{row['cpu_median_ms']:.1f} / {row['cpu_p95_ms']:.1f} | {rss} | {row['queries']} | "
            + (f"{row['round_trip_ms']:.1f} |" if row.get("round_trip_ms") is not None else "- |")
        )
    lines += [
        "",
        "recommend: `recommend(limit=5)`, default policy, random employees. teachers: `find_teachers` on "
        "distinct questions naming one or two held skills, at least one phrase of each embedded "
        "(all-MiniLM-L6-v2 on CPU, torch intra-op threads as given by --torch-threads), random askers. "
        f"Each row is one fresh process after 20 warm-up calls (Neo4j rows first make {neo4j_warmup} "
        "untimed requests for other employees: the benchmark's server is freshly started, with a cold JIT "
        "and page cache); the machine is shared, so compare medians first. "
        "Neo4j ping: the median round trip of `verify_connectivity` + `RETURN 1` in the same process, "
        "a measure of how busy the server's machine was (a request makes about 14 round trips). "
        "CPU: this process's CPU time per call (`time.process_time`): on a saturated shared machine the "
        "closest measure of what a quiet one would show for the embedded store, where all the work is "
        "in-process; for Neo4j it leaves out the server's share.",
    ]
    return "\n".join(lines) + "\n"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000", help="comma-separated organisation sizes")
    parser.add_argument("--backends", default="embedded,neo4j", help="embedded, neo4j or both")
    parser.add_argument("--queries", type=int, default=300, help="timed calls per operation")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    parser.add_argument("--neo4j-uri", default=None, help="use this server instead of a private one")
    parser.add_argument("--neo4j-sizes", default="10000", help="sizes also measured on Neo4j")
    parser.add_argument("--skip-teachers", action="store_true")
    parser.add_argument("--torch-threads", type=int, default=1, help="intra-op threads of the embedding model")
    parser.add_argument(
        "--neo4j-warmup", type=int, default=200, help="untimed requests that warm a fresh Neo4j before each row"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "recommend.md")
    # internal: the measuring child
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--backend", help=argparse.SUPPRESS)
    parser.add_argument("--target", help=argparse.SUPPRESS)
    parser.add_argument("--operation", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.child:
        print(json.dumps(run_child(args)))
        return
    loadavg = " ".join(f"{x:.1f}" for x in os.getloadavg())
    sizes = [int(s) for s in args.sizes.split(",") if s]
    backends = [b for b in args.backends.split(",") if b]
    neo4j_sizes = {int(s) for s in args.neo4j_sizes.split(",") if s}
    operations = ["recommend"] + ([] if args.skip_teachers else ["teachers"])
    rows: list[dict[str, Any]] = []
    private = False
    try:
        for size in sizes:
            for backend in backends:
                if backend == "embedded":
                    target = str(organisation_store(args.workdir, size))
                elif size in neo4j_sizes:
                    if args.neo4j_uri is None and not private:
                        target = start_private_neo4j(args.workdir)
                        private = True
                    target = args.neo4j_uri or target
                    load_neo4j(target, args.workdir, size)
                else:
                    continue
                for operation in operations:
                    if operation == "teachers" and size not in (10_000,) and backend == "neo4j":
                        continue
                    log(f"measuring {operation} on {backend}, {size:,} employees")
                    data = measure(backend, target, operation, args)
                    rows.append({"operation": operation, "backend": backend, "size": size, **data})
                    cpu = f"CPU {data['cpu_median_ms']:.1f} / {data['cpu_p95_ms']:.1f}"
                    log(f"  median {data['median_ms']:.1f} ms, p95 {data['p95_ms']:.1f} ms ({cpu}), "
                        f"RSS {data['peak_rss_mb']:.0f} MB")  # fmt: skip
    finally:
        if private:
            stop_private_neo4j(args.workdir)
    command = "python benchmarks/bench_recommend.py " + " ".join(argv if argv is not None else sys.argv[1:])
    text = render(rows, command.strip(), loadavg, args.neo4j_warmup)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)


if __name__ == "__main__":
    main()
