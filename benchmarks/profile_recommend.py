"""Where a recommendation's time goes: the numbers behind the API benchmark's analysis.

    .venv/bin/python benchmarks/profile_recommend.py                  # both parts, 10,000 employees
    .venv/bin/python benchmarks/profile_recommend.py --part neo4j --requests 300

``embedded``: ``SqliteStore.warm()`` time, then ``--requests`` recommendations in one
process with Python's default garbage collector and with the serving process's settings
(``api.app.GC_THRESHOLDS`` after ``gc.freeze()``): latency percentiles and every garbage
collection's pause, from ``gc.callbacks``. ``neo4j``: the CPU one recommendation costs
the client (this process) and the server (the local Neo4j's JVM, from ``/proc``), one
request at a time, then the server CPU of each kind of query, replayed alone.

Data: the cache of ``bench_recommend.py`` (``~/.cache/mentorgraph-bench``: the seeded
taxonomy and the 10,000-employee demo organisation, built there if missing; its private
Neo4j on port 17787, started and loaded like that benchmark does). Linux only (``/proc``).
Prints Markdown; ``--out`` also writes it.
"""

from __future__ import annotations

import argparse
import collections
import gc
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api.app import GC_THRESHOLDS  # noqa: E402
from benchmarks.bench_recommend import (  # noqa: E402
    DEFAULT_WORKDIR,
    PRIVATE_NEO4J_PORT,
    load_neo4j,
    organisation_store,
    start_private_neo4j,
    stop_private_neo4j,
)
from graph.neo4j_store import Neo4jStore  # noqa: E402
from graph.sqlite_store import SqliteStore  # noqa: E402
from graph.store import GraphStore  # noqa: E402
from recommender.pairing import recommend  # noqa: E402


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def sample_ids(store: GraphStore, count: int, seed: int) -> list[str]:
    ids = store.list_employee_ids()
    rng = random.Random(seed)
    return [ids[rng.randrange(len(ids))] for _ in range(count)]


# -- embedded: warm-up time and garbage-collection pauses ------------------------------


def run_with_gc_log(store: GraphStore, ids: Sequence[str]) -> tuple[list[float], list[tuple[int, float]]]:
    """Latency of each call (ms) and (generation, pause ms) of every collection meanwhile."""
    pauses: list[tuple[int, float]] = []
    started = [0.0]

    def on_gc(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            pauses.append((info["generation"], (time.perf_counter() - started[0]) * 1000))

    gc.callbacks.append(on_gc)
    latencies = []
    try:
        for employee_id in ids:
            begun = time.perf_counter()
            recommend(store=store, employee_id=employee_id, limit=5)
            latencies.append((time.perf_counter() - begun) * 1000)
    finally:
        gc.callbacks.remove(on_gc)
    return latencies, pauses


def profile_embedded(workdir: Path, requests: int) -> list[str]:
    source = organisation_store(workdir, 10_000)
    lines = ["## Embedded store: warm-up and garbage collection", ""]
    lines += ["| collector | warm() s | p50 ms | p95 ms | p99 ms | max ms | full collections | longest full ms |"]
    lines += ["|---|---:|---:|---:|---:|---:|---:|---:|"]
    for label, tuned in (("Python's defaults, caches filled on demand", False), ("as `mentorgraph serve`", True)):
        # Each configuration in its own child: freezing and thresholds are process-wide.
        lines.append(_child_row(source, requests, label, tuned))
    return lines


def _child_row(source: Path, requests: int, label: str, tuned: bool) -> str:
    command = [sys.executable, __file__, "--child-embedded", str(source), str(requests), "1" if tuned else "0"]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return f"| {label} | {result.stdout.strip().splitlines()[-1]}"


def child_embedded(source: Path, requests: int, tuned: bool) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "org.sqlite"
        shutil.copyfile(source, path)
        store = SqliteStore(path=path)
        warm_s = "-"
        if tuned:
            begun = time.perf_counter()
            store.warm()
            warm_s = f"{time.perf_counter() - begun:.1f}"
            gc.collect()
            gc.freeze()
            gc.set_threshold(*GC_THRESHOLDS)
        ids = sample_ids(store, requests + 50, seed=3)
        for employee_id in ids[:50]:
            recommend(store=store, employee_id=employee_id, limit=5)
        latencies, pauses = run_with_gc_log(store, ids[50:])
        full = [ms for generation, ms in pauses if generation == 2]
        print(
            f"{warm_s} | {statistics.median(latencies):.1f} | {percentile(latencies, 0.95):.1f} | "
            f"{percentile(latencies, 0.99):.1f} | {max(latencies):.1f} | {len(full)} | "
            f"{max(full, default=0.0):.0f} |"
        )


# -- Neo4j: client and server CPU per recommendation ------------------------------------


def jvm_cpu_seconds(port: int) -> Callable[[], float]:
    listing = subprocess.run(["ss", "-ltnp"], capture_output=True, text=True, check=True).stdout
    line = next(row for row in listing.splitlines() if f":{port} " in row)
    pid = line.split("pid=")[1].split(",")[0]
    ticks = os.sysconf("SC_CLK_TCK")

    def read() -> float:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / ticks

    return read


def profile_neo4j(workdir: Path, requests: int) -> list[str]:
    uri = start_private_neo4j(workdir)
    try:
        load_neo4j(uri, workdir, 10_000)
        store = Neo4jStore.connect(uri=uri, password="unused")
        server_cpu = jvm_cpu_seconds(PRIVATE_NEO4J_PORT)
        ids = sample_ids(store, requests + 200, seed=5)
        for employee_id in ids[:200]:  # the server's JIT and page cache
            recommend(store=store, employee_id=employee_id, limit=5)
        queries: list[tuple[str, dict[str, Any]]] = []
        read = store._read

        def capture(query: Any, **params: Any) -> Any:
            queries.append((query, params))
            return read(query, **params)

        store._read = capture  # type: ignore[method-assign]
        server0, client0, wall0 = server_cpu(), time.process_time(), time.perf_counter()
        for employee_id in ids[200:]:
            recommend(store=store, employee_id=employee_id, limit=5)
        wall, client, server = time.perf_counter() - wall0, time.process_time() - client0, server_cpu() - server0
        store._read = read  # type: ignore[method-assign]
        lines = ["## Neo4j: CPU per recommendation (one request at a time)", ""]
        lines += ["| wall ms | client CPU ms | server CPU ms |", "|---:|---:|---:|"]
        lines += [f"| {wall / requests * 1000:.1f} | {client / requests * 1000:.1f} | {server / requests * 1000:.1f} |"]
        lines += ["", "Server CPU per recommendation by kind of query, each kind replayed alone:", ""]
        lines += ["| query | calls per request | server CPU ms per request |", "|---|---:|---:|"]
        kinds: dict[str, list[tuple[str, dict[str, Any]]]] = collections.defaultdict(list)
        for query, params in queries:
            kinds[" ".join(query.split())[:80]].append((query, params))
        rows = []
        for kind, calls in kinds.items():
            before = server_cpu()
            for query, params in calls:
                read(query, **params)
            rows.append(((server_cpu() - before) / requests * 1000, len(calls) / requests, kind))
        lines += [f"| `{kind}` | {per:.1f} | {ms:.1f} |" for ms, per, kind in sorted(rows, reverse=True)]
        store.close()
        return lines
    finally:
        stop_private_neo4j(workdir)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child-embedded":
        child_embedded(Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1")
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", choices=["embedded", "neo4j", "both"], default="both")
    parser.add_argument("--requests", type=int, default=1500, help="timed recommendations per part")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    lines = [f"# Where a recommendation's time goes (10,000 employees; load at start {load})", ""]
    if args.part in ("embedded", "both"):
        lines += [*profile_embedded(args.workdir, args.requests), ""]
    if args.part in ("neo4j", "both"):
        lines += profile_neo4j(args.workdir, min(args.requests, 300))
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
