"""Benchmark of the two graph-store backends against the targets of issue #2.

Run from the repository root::

    .venv/bin/python benchmarks/bench_store.py                       # both backends, 3 runs
    .venv/bin/python benchmarks/bench_store.py --backend embedded --repeat 1
    .venv/bin/python benchmarks/bench_store.py --backend neo4j --neo4j-uri bolt://127.0.0.1:17687

Without ``--neo4j-uri`` (or ``MENTORGRAPH_NEO4J_URI``) the project's local Neo4j is started
with ``scripts/neo4j_local.py start`` (idempotent: a running server is reused).

**The Neo4j run deletes every Employee, Skill and Pairing node of the database** (before
loading, and again afterwards unless ``--keep``). Community edition has one database, so on
the shared development server this wipes whatever tests or demos loaded there, and a test
that clears the store while the benchmark runs spoils that run (the benchmark checks the
counts after loading and at the end, and marks such a run invalid) - while the benchmark's
own clear and load break that test. So it refuses to start on a database holding nodes it
did not create unless ``--allow-clear`` is given; better, give it a server of its own::

    MENTORGRAPH_NEO4J_HOME=/tmp/bench-neo4j python scripts/neo4j_local.py start --port 17697
    MENTORGRAPH_NEO4J_HOME=/tmp/bench-neo4j python benchmarks/bench_store.py --neo4j-uri bolt://127.0.0.1:17697
    MENTORGRAPH_NEO4J_HOME=/tmp/bench-neo4j python scripts/neo4j_local.py stop

Data (deterministic, ``--seed``): 20,000 skills whose 384-dim L2-normalised float32
vectors are drawn around 500 random cluster centres (noise 0.05 per dimension, so a skill
has cosine ~0.7 to its centre and ~0.5 to its cluster mates, ~0 to the rest, roughly as
sentence embeddings of a taxonomy behave), one BROADER edge per skill to its cluster's
head skill; 10,000 employees with 20 skills (levels 1-5) and 5 learning goals each, drawn
with a mild popularity skew (weight ~ rank^-0.5: the most common skill has ~700 holders,
the median one ~5), managers forming an 8-ary tree.

Measured, per backend, each (repeat, backend) in a fresh subprocess so that the peak RSS
(``resource.getrusage``) is that run's own:

* bulk load: ``apply_schema`` + ``upsert_skills`` (with embeddings) + ``upsert_employees``
  (+ ``CALL db.awaitIndexes(300)`` on Neo4j, so queries hit a populated vector index);
* top-10 vector query (``search_skills``): 20 warm-up then ``--queries`` timed queries, each
  a fresh vector near a random cluster centre; recall@10 against the exact brute-force top
  10 over the generated matrix;
* neighbourhood walk (``holders`` of 10 skills at ``min_level=3``): 20 warm-up then
  ``--queries`` timed random skill sets, drawn with the same popularity skew as the
  employees' goals (the skills a recommender asks about); every result is checked
  against the generated data;
* peak RSS of the benchmark process, and for Neo4j the server's RSS, which is separate
  (from ``/proc/<pid>/status`` of the pid in ``.neo4j/server.pid``).

The table (medians over the valid runs, range in brackets) is printed and written to
``benchmarks/results/store.md``; ``--profile`` adds a cProfile of the query loops and, on
Neo4j, the server-side share of each query (``result_available_after`` +
``result_consumed_after`` from the driver's result summary).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import logging
import os
import platform
import pstats
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np
import numpy.typing as npt
from neo4j import RoutingControl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from graph.neo4j_store import Neo4jStore
from graph.sqlite_store import SqliteStore
from graph.store import GraphStore, StoreCounts
from schema import Employee, EmployeeSkill, LearningGoal, Skill, SkillSource
from schema.graph_schema import EMBEDDING_DIMENSIONS

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = ROOT / "benchmarks" / "results" / "store.md"
DEFAULT_NEO4J_URI = "bolt://127.0.0.1:17687"
BACKENDS = ("embedded", "neo4j")
TARGETS: dict[str, dict[str, float]] = {
    "embedded": {"load_s": 10.0, "search_p95_ms": 10.0, "holders_p95_ms": 10.0},
    "neo4j": {"load_s": 60.0, "search_p95_ms": 30.0, "holders_p95_ms": 50.0},
}
CLUSTERS = 500
NOISE = 0.05
SKILLS_PER_EMPLOYEE = 20
GOALS_PER_EMPLOYEE = 5
MANAGER_FANOUT = 8
K = 10
SET_SIZE = 10
MIN_LEVEL = 3
WARMUP = 20
LEVEL_WEIGHTS = (0.15, 0.25, 0.30, 0.20, 0.10)
DEPARTMENTS = ("Engineering", "Sales", "Marketing", "Finance", "HR", "Operations", "Legal", "Support", "Research")
LOCATIONS = (("Paris", 1.0), ("London", 0.0), ("New York", -5.0), ("Bangalore", 5.5), ("Singapore", 8.0))
# Nodes the benchmark did not create (its ids start with "bench-"): it refuses to clear them unasked.
FOREIGN_NODES = (
    "MATCH (n) WHERE (n:Employee OR n:Skill OR n:Pairing) AND NOT n.id STARTS WITH 'bench-' RETURN count(n) AS n"
)
CATEGORIES = ("digital technology", "communication", "management", "data", "design", "languages", "finance", "law")

Matrix = npt.NDArray[np.float32]
Index = npt.NDArray[np.int64]


def log(message: str) -> None:
    print(f"bench_store: {message}", file=sys.stderr, flush=True)


# -- synthetic data ------------------------------------------------------------------------
@dataclass(frozen=True)
class Dataset:
    skills: list[Skill]
    embeddings: Matrix
    employees: list[Employee]
    queries: Matrix  # WARMUP + n query vectors for search_skills
    skill_sets: list[list[str]]  # WARMUP + n skill-id sets for holders
    holders: dict[str, list[tuple[str, int]]]  # skill id -> (employee id, level) for every HAS_SKILL edge
    expected: StoreCounts


def skill_id(i: int) -> str:
    return f"bench-skill-{i:05d}"


def employee_id(i: int) -> str:
    return f"bench-emp-{i:05d}"


def _normalised(rows: npt.NDArray[np.float64]) -> Matrix:
    normalised: Matrix = (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)
    return normalised


def make_dataset(*, n_skills: int, n_employees: int, n_queries: int, seed: int) -> Dataset:
    rng = np.random.default_rng(seed)
    dim = EMBEDDING_DIMENSIONS
    clusters = min(CLUSTERS, n_skills)
    centres = _normalised(rng.standard_normal((clusters, dim)))
    cluster_of = rng.integers(0, clusters, size=n_skills)
    cluster_of[:clusters] = np.arange(clusters)  # every cluster has a skill; the first is its head
    embeddings = _normalised(centres[cluster_of] + rng.normal(0.0, NOISE, size=(n_skills, dim)))
    skills = [
        Skill(
            id=skill_id(i),
            label=f"benchmark skill {i} of topic {cluster_of[i]}",
            alt_labels=(f"bench skill {i}", f"topic {cluster_of[i]} skill {i}"),
            description=f"A synthetic skill of topic {cluster_of[i]}, generated to measure the graph store.",
            source=SkillSource.CUSTOM,
            skill_type="skill/competence",
            category=CATEGORIES[int(cluster_of[i]) % len(CATEGORIES)],
            digital=bool(i % 3 == 0),
            broader=() if i < clusters else (skill_id(int(cluster_of[i])),),
        )
        for i in range(n_skills)
    ]

    # Popularity: a random permutation of the skills gets weights rank^-0.5.
    weights = np.empty(n_skills, dtype=np.float64)
    weights[rng.permutation(n_skills)] = 1.0 / np.sqrt(np.arange(1, n_skills + 1))
    weights /= weights.sum()
    per_person = SKILLS_PER_EMPLOYEE + GOALS_PER_EMPLOYEE
    draws = rng.choice(n_skills, size=(n_employees, 2 * per_person), p=weights)
    levels = rng.choice(5, size=(n_employees, SKILLS_PER_EMPLOYEE), p=LEVEL_WEIGHTS) + 1
    priorities = rng.integers(1, 6, size=(n_employees, GOALS_PER_EMPLOYEE))
    employees: list[Employee] = []
    holders: dict[str, list[tuple[str, int]]] = {}
    for e in range(n_employees):
        chosen = list(dict.fromkeys(int(x) for x in draws[e]))
        while len(chosen) < per_person:  # vanishingly rare: too many repeats among the draws
            chosen = list(dict.fromkeys([*chosen, *(int(x) for x in rng.choice(n_skills, size=per_person, p=weights))]))
        held, wanted = chosen[:SKILLS_PER_EMPLOYEE], chosen[SKILLS_PER_EMPLOYEE:per_person]
        eid = employee_id(e)
        location, offset = LOCATIONS[e % len(LOCATIONS)]
        employees.append(
            Employee(
                id=eid,
                name=f"Employee {e}",
                title="Manager" if e < n_employees // MANAGER_FANOUT else "Specialist",
                department=DEPARTMENTS[e % len(DEPARTMENTS)],
                seniority=1 + e % 5,
                manager_id=None if e == 0 else employee_id((e - 1) // MANAGER_FANOUT),
                location=location,
                utc_offset=offset,
                capacity=1 + e % 3,
                skills=tuple(
                    EmployeeSkill(skill_id=skill_id(s), level=int(level))
                    for s, level in zip(held, levels[e], strict=True)
                ),
                goals=tuple(
                    LearningGoal(skill_id=skill_id(s), priority=int(p))
                    for s, p in zip(wanted, priorities[e], strict=True)
                ),
            )
        )
        for s, level in zip(held, levels[e], strict=True):
            holders.setdefault(skill_id(s), []).append((eid, int(level)))

    total = WARMUP + n_queries
    query_clusters = rng.integers(0, clusters, size=total)
    queries = _normalised(centres[query_clusters] + rng.normal(0.0, NOISE, size=(total, dim)))
    skill_sets = [
        [skill_id(int(s)) for s in rng.choice(n_skills, size=min(SET_SIZE, n_skills), replace=False, p=weights)]
        for _ in range(total)
    ]
    expected = StoreCounts(
        employees=n_employees,
        skills=n_skills,
        has_skill=n_employees * SKILLS_PER_EMPLOYEE,
        wants_to_learn=n_employees * GOALS_PER_EMPLOYEE,
        reports_to=max(n_employees - 1, 0),
        similar_to=0,
        pairings=0,
    )
    return Dataset(skills, embeddings, employees, queries, skill_sets, holders, expected)


def expected_holders(data: Dataset, skill_ids: Sequence[str]) -> list[tuple[str, str, int]]:
    return sorted((e, s, level) for s in skill_ids for e, level in data.holders.get(s, []) if level >= MIN_LEVEL)


def exact_top_k(data: Dataset, query: Matrix) -> set[str]:
    scores = data.embeddings @ query
    return {skill_id(int(i)) for i in np.argpartition(-scores, K - 1)[:K]}


# -- measurement helpers -------------------------------------------------------------------
def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q))


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def runqueue_wait_s() -> float:
    """Time this (main) thread has spent runnable but waiting for a CPU, from schedstat."""
    try:
        return int(Path("/proc/thread-self/schedstat").read_text().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return 0.0


@dataclass
class Usage:
    """Wall time, process CPU time and the main thread's wait for a CPU over spans of the run,
    and the CPU time the local Neo4j server used meanwhile (when its pid is known).

    On a shared machine wall ~ CPU + run-queue wait + waiting for the server: the split tells
    starvation apart from work, and CPU seconds are what a quiet machine would still pay."""

    server_pid: int | None = None
    wall: float = 0.0
    cpu: float = 0.0
    runq: float = 0.0
    server_cpu: float = 0.0
    _marks: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)

    def _now(self) -> tuple[float, float, float, float]:
        rusage = resource.getrusage(resource.RUSAGE_SELF)
        return time.perf_counter(), rusage.ru_utime + rusage.ru_stime, runqueue_wait_s(), process_cpu_s(self.server_pid)

    def start(self) -> None:
        self._marks = self._now()

    def stop(self) -> float:
        """Close the span; return its run-queue wait in seconds."""
        now = self._now()
        self.wall += now[0] - self._marks[0]
        self.cpu += now[1] - self._marks[1]
        waited = now[2] - self._marks[2]
        self.runq += waited
        self.server_cpu += now[3] - self._marks[3]
        return waited

    def as_dict(self) -> dict[str, float]:
        found = {"wall_s": self.wall, "cpu_s": self.cpu, "runq_s": self.runq}
        if self.server_pid is not None:
            found["server_cpu_s"] = self.server_cpu
        return found


def process_cpu_s(pid: int | None) -> float:
    """User + system CPU seconds of another process, from /proc/<pid>/stat (0 if unknown)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def neo4j_home() -> Path:
    return Path(os.environ.get("MENTORGRAPH_NEO4J_HOME", ROOT / ".neo4j"))


def neo4j_server_pid(uri: str) -> int | None:
    """The pid of the local server (``.neo4j/server.pid``, or ``$MENTORGRAPH_NEO4J_HOME``) if it
    is a running ``Neo4jServer`` listening on the URI's port; None for any other server."""
    try:
        pid = int((neo4j_home() / "server.pid").read_text().strip())
        arguments = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError):
        return None
    port = str(urlparse(uri).port or 7687).encode()
    if not any(arg.endswith(b"Neo4jServer.java") for arg in arguments) or port not in arguments:
        return None
    return pid


def process_memory_mb(pid: int | None) -> dict[str, float] | None:
    """VmRSS (now) and VmHWM (peak since the process started) of a process, in MB."""
    if pid is None:
        return None
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found: dict[str, float] = {}
    for line in status.splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0]) / 1024
    return found


# -- one run of one backend (child process) ------------------------------------------------
def open_backend(backend: str, *, uri: str, workdir: Path) -> GraphStore:
    if backend == "embedded":
        return SqliteStore(path=workdir / "bench.sqlite")
    return Neo4jStore.connect(
        uri=uri,
        user=os.environ.get("MENTORGRAPH_NEO4J__USER", "neo4j"),
        password=os.environ.get("MENTORGRAPH_NEO4J__PASSWORD", "unused-auth-is-off"),
        database=os.environ.get("MENTORGRAPH_NEO4J__DATABASE", "neo4j"),
    )


def neo4j_query(store: GraphStore, query: str, **params: Any) -> list[dict[str, Any]]:
    assert isinstance(store, Neo4jStore)
    driver = store._driver
    result = driver.execute_query(query, params, database_=store._database)
    return [record.data() for record in result.records]


def load(store: GraphStore, backend: str, data: Dataset, server_pid: int | None) -> tuple[dict[str, float], Usage]:
    """The timed bulk load; returns the wall time of each step and the usage of the whole."""
    steps: list[tuple[str, Callable[[], object]]] = [
        ("apply_schema", store.apply_schema),
        ("upsert_skills", lambda: store.upsert_skills(skills=data.skills, embeddings=data.embeddings)),
        ("upsert_employees", lambda: store.upsert_employees(employees=data.employees)),
    ]
    if backend == "neo4j":
        steps.append(("await_indexes", lambda: neo4j_query(store, "CALL db.awaitIndexes(300)")))
    splits: dict[str, float] = {}
    usage = Usage(server_pid)
    usage.start()
    for name, step in steps:
        splits[name] = timed(step)
    usage.stop()
    return splits, usage


def run_child(args: argparse.Namespace) -> dict[str, Any]:
    backend: str = args.child
    # The driver logs a warning per query that names a relationship type not in the database yet
    # (the store's counts name SIMILAR_TO, which the benchmark never creates).
    logging.getLogger("neo4j.notifications").setLevel(logging.ERROR)
    result: dict[str, Any] = {"backend": backend, "notes": [], "loadavg_start": os.getloadavg()[0]}
    start = time.perf_counter()
    data = make_dataset(n_skills=args.skills, n_employees=args.employees, n_queries=args.queries, seed=args.seed)
    result["generate_s"] = time.perf_counter() - start
    result["rss_after_generate_mb"] = peak_rss_mb()
    log(f"{backend}: generated {len(data.skills)} skills, {len(data.employees)} employees")

    server_pid = neo4j_server_pid(args.neo4j_uri) if backend == "neo4j" else None
    if backend == "neo4j" and server_pid is None:
        result["notes"].append("server pid unknown (not the local server): no server CPU or memory figures")
    workdir = Path(tempfile.mkdtemp(prefix="bench_store_"))
    store = open_backend(backend, uri=args.neo4j_uri, workdir=workdir)
    try:
        if backend == "neo4j":
            store.ping()
            components = neo4j_query(store, "CALL dbms.components() YIELD name, versions, edition RETURN *")
            result["server"] = ", ".join(f"{c['name']} {c['versions'][0]} {c['edition']}" for c in components)
            foreign = neo4j_query(store, FOREIGN_NODES)[0]["n"]
            if foreign and not args.allow_clear:
                raise SystemExit(
                    f"bench_store: {args.neo4j_uri} holds {foreign} Employee/Skill/Pairing nodes that the "
                    "benchmark did not create, and the benchmark deletes every such node. Point --neo4j-uri at "
                    "a server of its own (see benchmarks/README.md), or pass --allow-clear if they may go."
                )
            existing = store.counts()
            log(f"neo4j: clearing the database ({existing.employees} employees, {existing.skills} skills)")
            result["clear_s"] = timed(store.clear)

        log(f"{backend}: loading")
        splits, load_usage = load(store, backend, data, server_pid)
        result["load_splits_s"] = splits
        result["load_s"] = load_usage.wall
        result["load_usage"] = load_usage.as_dict()
        counts_after_load = store.counts()
        log(f"{backend}: loaded in {result['load_s']:.1f} s ({_fmt_splits(splits)})")

        # -- vector search -------------------------------------------------------------
        result["search_first_ms"] = 1000 * timed(lambda: store.search_skills(vector=data.queries[0], k=K))
        for query in data.queries[1:WARMUP]:
            store.search_skills(vector=query, k=K)
        latencies: list[float] = []
        net: list[float] = []  # latency minus the time this thread waited for a CPU
        found: list[set[str]] = []
        usage = Usage(server_pid)
        for query in data.queries[WARMUP:]:
            usage.start()
            t0 = time.perf_counter()
            hits = store.search_skills(vector=query, k=K)
            latencies.append(1000 * (time.perf_counter() - t0))
            net.append(latencies[-1] - 1000 * usage.stop())
            found.append({hit.skill.id for hit in hits})
        result["search_usage"] = usage.as_dict()
        result["search_p50_ms"] = percentile(latencies, 50)
        result["search_p95_ms"] = percentile(latencies, 95)
        result["search_max_ms"] = max(latencies)
        result["search_net_p95_ms"] = percentile(net, 95)
        truth = [exact_top_k(data, query) for query in data.queries[WARMUP:]]
        result["recall_at_10"] = statistics.fmean(len(f & t) / K for f, t in zip(found, truth, strict=True))
        result["search_exact_queries"] = sum(f == t for f, t in zip(found, truth, strict=True))

        # -- neighbourhood walk --------------------------------------------------------
        for skill_set in data.skill_sets[:WARMUP]:
            store.holders(skill_ids=skill_set, min_level=MIN_LEVEL)
        latencies, net = [], []
        answers: list[list[tuple[str, str, int]]] = []
        usage = Usage(server_pid)
        for skill_set in data.skill_sets[WARMUP:]:
            usage.start()
            t0 = time.perf_counter()
            rows = store.holders(skill_ids=skill_set, min_level=MIN_LEVEL)
            latencies.append(1000 * (time.perf_counter() - t0))
            net.append(latencies[-1] - 1000 * usage.stop())
            answers.append(sorted((r.employee_id, r.skill_id, r.level) for r in rows))
        result["holders_usage"] = usage.as_dict()
        result["holders_p50_ms"] = percentile(latencies, 50)
        result["holders_p95_ms"] = percentile(latencies, 95)
        result["holders_max_ms"] = max(latencies)
        result["holders_net_p95_ms"] = percentile(net, 95)
        result["holders_rows_mean"] = statistics.fmean(len(a) for a in answers)
        result["holders_rows_max"] = max(len(a) for a in answers)
        result["holders_correct"] = sum(
            a == expected_holders(data, s) for a, s in zip(answers, data.skill_sets[WARMUP:], strict=True)
        )

        if args.profile:
            result["profile"] = profile_queries(store, data)
            if backend == "neo4j":
                result["server_split"] = neo4j_server_split(store, data)

        counts_at_end = store.counts()
        result["valid"] = counts_after_load == data.expected and counts_at_end == data.expected
        if not result["valid"]:
            result["notes"].append(
                f"store counts changed: expected {data.expected}, after load {counts_after_load}, "
                f"at end {counts_at_end} (another client wrote to or cleared the store?)"
            )
        if backend == "neo4j":
            result["server_memory_mb"] = process_memory_mb(server_pid)
            if not args.keep:
                log("neo4j: clearing the benchmark data")
                store.clear()
    finally:
        store.close()
        shutil.rmtree(workdir, ignore_errors=True)
    result["peak_rss_mb"] = peak_rss_mb()
    result["loadavg_end"] = os.getloadavg()[0]
    return result


def neo4j_server_split(store: GraphStore, data: Dataset) -> dict[str, float]:
    """Server time (available + consumed) of the store's own Cypher, next to the client's wall time."""
    from graph import cypher
    from graph.neo4j_store import VECTOR_OVERSAMPLING

    assert isinstance(store, Neo4jStore)
    driver = store._driver
    split: dict[str, float] = {}
    cases: list[tuple[str, str, list[dict[str, Any]]]] = [
        (
            "search",
            cypher.VECTOR_SEARCH,
            [
                {
                    "index": store._vector_index,
                    "k": K,
                    "candidates": max(K * VECTOR_OVERSAMPLING, 100),
                    "vector": q.astype(float).tolist(),
                }
                for q in data.queries[WARMUP:]
            ],
        ),
        (
            "holders",
            cypher.HOLDERS,
            [{"ids": s, "min_level": MIN_LEVEL, "exclude": []} for s in data.skill_sets[WARMUP:]],
        ),
    ]
    for name, query, params in cases:
        server: list[float] = []
        wall: list[float] = []
        for p in params:
            t0 = time.perf_counter()
            result = driver.execute_query(query, p, database_=store._database, routing_=RoutingControl.READ)
            wall.append(1000 * (time.perf_counter() - t0))
            summary = result.summary
            server.append(float((summary.result_available_after or 0) + (summary.result_consumed_after or 0)))
        split[f"{name}_server_p50_ms"] = percentile(server, 50)
        split[f"{name}_server_p95_ms"] = percentile(server, 95)
        split[f"{name}_driver_wall_p50_ms"] = percentile(wall, 50)
        split[f"{name}_driver_wall_p95_ms"] = percentile(wall, 95)
    return split


def profile_queries(store: GraphStore, data: Dataset) -> str:
    """cProfile of one more pass of both query loops (after the timed ones, so as not to slow them)."""
    profiler = cProfile.Profile()
    profiler.enable()
    for query in data.queries[WARMUP:]:
        store.search_skills(vector=query, k=K)
    for skill_set in data.skill_sets[WARMUP:]:
        store.holders(skill_ids=skill_set, min_level=MIN_LEVEL)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(20)
    stats.sort_stats("cumulative").print_stats(30)
    return out.getvalue()


def _fmt_splits(splits: dict[str, float]) -> str:
    return ", ".join(f"{name} {seconds:.2f} s" for name, seconds in splits.items())


# -- the parent: runs, medians, the table --------------------------------------------------
def resolve_neo4j_uri(explicit: str | None) -> str:
    uri = explicit or os.environ.get("MENTORGRAPH_NEO4J_URI")
    if uri:
        return uri
    log("starting (or reusing) the local Neo4j with scripts/neo4j_local.py start")
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "neo4j_local.py"), "start"], capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"bench_store: could not start Neo4j:\n{done.stdout}{done.stderr}")
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else DEFAULT_NEO4J_URI


def run_once(backend: str, args: argparse.Namespace, uri: str) -> dict[str, Any]:
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        backend,
        "--neo4j-uri",
        uri,
        "--skills",
        str(args.skills),
        "--employees",
        str(args.employees),
        "--queries",
        str(args.queries),
        "--seed",
        str(args.seed),
        *(["--profile"] if args.profile else []),
        *(["--keep"] if args.keep else []),
        *(["--allow-clear"] if args.allow_clear else []),
    ]
    env = dict(os.environ)
    if args.blas_threads is not None:  # must be set before numpy loads OpenBLAS / MKL
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env[name] = str(args.blas_threads)
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, env=env)
    if done.returncode != 0:
        raise SystemExit(f"bench_store: the {backend} run failed (exit code {done.returncode})")
    parsed: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return parsed


def _median(runs: list[dict[str, Any]], key: str) -> float | None:
    values = [float(run[key]) for run in runs if run.get(key) is not None]
    return statistics.median(values) if values else None


def _cell(runs: list[dict[str, Any]], key: str, unit: str, spec: str = ".1f") -> str:
    values = [float(run[key]) for run in runs if run.get(key) is not None]
    if not values:
        return "n/a"
    median = format(statistics.median(values), spec)
    if len(values) == 1:
        return f"{median} {unit}".strip()
    spread = f"({format(min(values), spec)}-{format(max(values), spec)})"
    return f"{median} {unit} {spread}" if unit else f"{median} {spread}"


def _verdict(value: float | None, target: float) -> str:
    if value is None:
        return "n/a"
    return "pass" if value <= target else "**FAIL**"


def _usage_text(usage: dict[str, float] | None) -> str:
    if not usage or usage["wall_s"] <= 0:
        return "n/a"
    text = (
        f"{usage['wall_s']:.2f} / {usage['cpu_s']:.2f} / {usage['runq_s']:.2f} "
        f"({100 * usage['runq_s'] / usage['wall_s']:.0f}% waiting for a CPU)"
    )
    if "server_cpu_s" in usage:
        text += f"; server CPU {usage['server_cpu_s']:.2f}"
    return text


def render(
    results: dict[str, list[dict[str, Any]]], args: argparse.Namespace, started: str, command: str, loadavg: str
) -> str:
    lines = [
        f"# Graph store benchmark ({args.skills:,} skills, {args.employees:,} employees)",
        "",
        f"`{command}` on {started}; {os.cpu_count()} CPUs, load average (1/5/15 min) at start {loadavg}; "
        f"Python {platform.python_version()}, numpy {np.__version__}.",
        f"Measured: median over the valid runs (range over them in brackets); latencies are p50/p95 of {args.queries} "
        f"timed calls after {WARMUP} warm-up calls, each a whole store call as the recommender makes it.",
        "",
        "| metric | target | measured | pass/fail |",
        "|---|---|---|---|",
    ]
    for backend, all_runs in results.items():
        runs = [run for run in all_runs if run.get("valid")] or all_runs
        target = TARGETS[backend]
        name = "embedded (SQLite)" if backend == "embedded" else "Neo4j"
        load_label = "bulk load (schema + skills with vectors + employees"
        load_label += " + index online)" if backend == "neo4j" else ")"
        rows = [
            (f"{name}: {load_label}", f"<= {target['load_s']:.0f} s", _cell(runs, "load_s", "s"),
             _verdict(_median(runs, "load_s"), target["load_s"])),
            (f"{name}: top-10 vector query p50", "", _cell(runs, "search_p50_ms", "ms", ".2f"), ""),
            (f"{name}: top-10 vector query p95", f"<= {target['search_p95_ms']:.0f} ms",
             _cell(runs, "search_p95_ms", "ms", ".2f"),
             _verdict(_median(runs, "search_p95_ms"), target["search_p95_ms"])),
            (f"{name}: recall@10 vs exact brute force", "", _cell(runs, "recall_at_10", "", ".4f"), ""),
            (f"{name}: holders of 10 skills (level >= 3) p50", "", _cell(runs, "holders_p50_ms", "ms", ".2f"), ""),
            (f"{name}: holders of 10 skills (level >= 3) p95", f"<= {target['holders_p95_ms']:.0f} ms",
             _cell(runs, "holders_p95_ms", "ms", ".2f"),
             _verdict(_median(runs, "holders_p95_ms"), target["holders_p95_ms"])),
            (f"{name}: peak RSS of the benchmark process", "reported", _cell(runs, "peak_rss_mb", "MB", ".0f"), ""),
        ]  # fmt: skip
        if backend == "neo4j":
            for run in all_runs:
                memory = run.get("server_memory_mb") or {}
                run["server_rss_mb"] = memory.get("VmRSS")
                run["server_hwm_mb"] = memory.get("VmHWM")
            rows.append(
                (f"{name}: server RSS after the run (separate JVM process)", "reported",
                 f"{_cell(runs, 'server_rss_mb', 'MB', '.0f')}; peak since server start "
                 f"{_cell(runs, 'server_hwm_mb', 'MB', '.0f')}", "")
            )  # fmt: skip
        lines.extend(f"| {' | '.join(row)} |" for row in rows)
    lines += ["", "## Per run", ""]
    lines.append(
        "Usage columns are wall / process CPU / main thread's run-queue wait, in seconds: on a busy machine the "
        'wait shows how much of the wall time was spent waiting for a CPU rather than working. "p95 net of wait" '
        "is the p95 of each call's latency minus the time the calling thread sat runnable without a CPU (it "
        'cannot see waits of other threads, such as BLAS workers or the Neo4j server\'s). "server CPU" is the '
        "CPU time the local Neo4j JVM used in the same spans (all its threads, and whatever else it served meanwhile)."
    )
    lines.append("")
    for backend, all_runs in results.items():
        valid = sum(bool(run.get("valid")) for run in all_runs)
        lines.append(f"**{backend}**: {valid} of {len(all_runs)} runs valid (store counts as loaded, throughout).")
        if all_runs and all_runs[0].get("server"):
            lines.append(f"Server: {all_runs[0]['server']}.")
        lines.append("")
        lines.append(
            "| run | load avg start/end | load steps (wall s) | load usage | search usage | search p95 net of wait "
            "| recall@10; exact top-10 | first query (ms) | holders usage | holders p95 net of wait "
            "| holders rows mean / max; correct | peak RSS MB: data / end |"
        )
        lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for i, run in enumerate(all_runs, 1):
            cells = [
                f"{i}{'' if run.get('valid') else ' (invalid)'}",
                f"{run['loadavg_start']:.1f} / {run['loadavg_end']:.1f}",
                _fmt_splits(run["load_splits_s"]),
                _usage_text(run.get("load_usage")),
                _usage_text(run.get("search_usage")),
                f"{run['search_net_p95_ms']:.2f} ms",
                f"{run['recall_at_10']:.4f}; {run['search_exact_queries']}/{args.queries}",
                f"{run['search_first_ms']:.1f}",
                _usage_text(run.get("holders_usage")),
                f"{run['holders_net_p95_ms']:.2f} ms",
                f"{run['holders_rows_mean']:.0f} / {run['holders_rows_max']}; {run['holders_correct']}/{args.queries}",
                f"{run['rss_after_generate_mb']:.0f} / {run['peak_rss_mb']:.0f}",
            ]
            lines.append(f"| {' | '.join(cells)} |")
        lines.append("")
        for i, run in enumerate(all_runs, 1):
            for note in run.get("notes", []):
                lines.append(f"Run {i} note: {note}")
            if run.get("clear_s") is not None:
                lines.append(f"Run {i}: clearing the database before the load took {run['clear_s']:.1f} s (not timed).")
            if run.get("server_split"):
                split = ", ".join(f"{key} {value:.2f}" for key, value in run["server_split"].items())
                lines.append(f"Run {i} server-side split (ms): {split}.")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=[*BACKENDS, "both"], default="both")
    parser.add_argument("--neo4j-uri", default=None, help="default: $MENTORGRAPH_NEO4J_URI, else the local server")
    parser.add_argument("--repeat", type=int, default=3, help="whole runs per backend; medians are reported")
    parser.add_argument("--skills", type=int, default=20_000)
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200, help="timed queries per kind (after 20 warm-up)")
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="where the Markdown table goes")
    parser.add_argument("--profile", action="store_true", help="cProfile the query loops; Neo4j server split")
    parser.add_argument("--keep", action="store_true", help="leave the benchmark data in Neo4j")
    parser.add_argument(
        "--allow-clear", action="store_true", help="clear the Neo4j database even if it holds data of others"
    )
    parser.add_argument(
        "--blas-threads", type=int, default=None, help="cap numpy's BLAS threads in the runs (default: library's)"
    )
    parser.add_argument("--child", choices=BACKENDS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.queries < 1 or args.skills < K or args.employees < 1:
        parser.error("--repeat, --queries and --employees must be >= 1 and --skills >= 10")
    return args


def main() -> None:
    args = parse_args()
    if args.child:
        print(json.dumps(run_child(args)))
        return
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    loadavg = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    command = " ".join(["python benchmarks/bench_store.py", *sys.argv[1:]])
    backends = list(BACKENDS) if args.backend == "both" else [args.backend]
    uri = resolve_neo4j_uri(args.neo4j_uri) if "neo4j" in backends else (args.neo4j_uri or DEFAULT_NEO4J_URI)
    results: dict[str, list[dict[str, Any]]] = {backend: [] for backend in backends}
    for repeat in range(args.repeat):
        for backend in backends:
            log(f"run {repeat + 1}/{args.repeat}: {backend}")
            results[backend].append(run_once(backend, args, uri))
    table = render(results, args, started, command, loadavg)
    print(table)
    for backend, runs in results.items():
        for i, run in enumerate(runs, 1):
            if run.get("profile"):
                print(f"--- cProfile of the {backend} query loops, run {i} ---\n{run['profile']}", file=sys.stderr)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(table)
    log(f"wrote {args.output}")


if __name__ == "__main__":
    main()
