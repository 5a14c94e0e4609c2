"""``mentorgraph ingest`` and ``mentorgraph skills`` as a user runs them: exit codes, the
summary line, the tables, a kill in the middle of an import, a 50 MB file."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graph.neo4j_store import Neo4jStore
from graph.sqlite_store import SqliteStore
from graph.store import GraphStore
from ingest.embedder import Embedder
from ingest.service import BATCH_SIZE
from mentorgraph.cli import app
from mentorgraph.commands import common
from mentorgraph.context import AppContext
from mentorgraph.settings import get_settings
from tests.contract.test_ingest_contract import EXAMPLES, FIXTURES, HEADER, seed_subset, skill_id, snapshot

ROOT = Path(__file__).resolve().parent.parent.parent
runner = CliRunner()


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, embedder: Embedder) -> Iterator[dict[str, str]]:
    """Settings from a private home; the session's embedding model instead of a new one."""
    env = {
        "MENTORGRAPH_HOME": str(tmp_path / "home"),
        "MENTORGRAPH_EMBEDDING__CACHE_PATH": str(tmp_path / "home" / "embeddings.sqlite"),
        "MENTORGRAPH_NEO4J__PASSWORD": os.environ.get("MENTORGRAPH_NEO4J__PASSWORD", "unused-auth-is-off"),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    monkeypatch.setattr(AppContext, "embedder", property(lambda self: embedder))
    # Wide enough that table cells are not folded mid-word.
    monkeypatch.setattr(common.console, "width", 250)
    monkeypatch.setattr(common.err_console, "width", 250)
    yield env
    get_settings.cache_clear()


@pytest.fixture
def target(store: GraphStore, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """The ``--store`` value naming the ``store`` fixture's backend."""
    if isinstance(store, SqliteStore):
        return str(store.path)
    assert isinstance(store, Neo4jStore)
    return str(request.getfixturevalue("neo4j_uri"))


@pytest.fixture
def seeded_target(store: GraphStore, target: str, embedder: Embedder) -> str:
    seed_subset(store, embedder)
    return target


def copy(src: Path, tmp_path: Path) -> Path:
    out = tmp_path / src.name
    out.write_bytes(src.read_bytes())
    return out


def test_clean_file_exits_0_with_one_summary_line(
    cli_env: dict[str, str], seeded_target: str, store: GraphStore, tmp_path: Path
) -> None:
    path = copy(EXAMPLES / "employees.csv", tmp_path)
    result = runner.invoke(app, ["ingest", "employees", str(path), "--store", seeded_target])
    assert result.exit_code == 0, result.output
    summary = [line for line in result.output.splitlines() if "read 6 · ingested 6 · rejected 0" in line]
    assert len(summary) == 1 and summary[0].startswith(str(path))
    # The review table of free-text skills is printed, with the mapping file named.
    assert "free-text skills" in result.output and "pinterest mktg" in result.output
    assert (tmp_path / "employees.mapping.csv").exists()
    assert store.counts().employees == 6


def test_rejected_rows_exit_2_with_a_table_and_a_rejects_file(
    cli_env: dict[str, str], seeded_target: str, store: GraphStore, tmp_path: Path
) -> None:
    path = copy(FIXTURES / "level_nine.csv", tmp_path)
    result = runner.invoke(app, ["ingest", "employees", str(path), "--store", seeded_target])
    assert result.exit_code == 2, result.output
    assert "read 3 · ingested 1 · rejected 2" in result.output
    table = [line for line in result.output.splitlines() if "level_nine.csv" in line and "│" in line]
    assert any("│ 3 " in line and "skills" in line and "level 9 is out of range (1-5)" in line for line in table)
    assert any("│ 4 " in line and "goals" in line and "priority 0" in line for line in table)
    rejects = tmp_path / "level_nine.rejects.csv"
    assert f"fix the rows in {rejects}" in result.output
    assert len(rejects.read_text(encoding="utf-8").splitlines()) == 3
    assert store.list_employee_ids() == ["n1"]


def test_rejects_option_and_json_report(
    cli_env: dict[str, str], seeded_target: str, store: GraphStore, tmp_path: Path
) -> None:
    path = copy(FIXTURES / "mixed.jsonl", tmp_path)
    rejects = tmp_path / "out" / "to-fix.jsonl"
    result = runner.invoke(
        app, ["ingest", "employees", str(path), "--store", seeded_target, "--rejects", str(rejects), "--json"]
    )
    assert result.exit_code == 2, result.output
    report = json.loads(result.stdout)
    assert (report["read"], report["ingested"], report["rejected"]) == (7, 2, 5)
    assert report["rejects_file"] == str(rejects) and rejects.exists()
    assert {"line": 5, "id": "l5", "field": "skills", "reason": "level 9 is out of range (1-5) for 'Instagram'"} in (
        report["rejections"]
    )


@pytest.mark.parametrize(
    ("name", "message"),
    [("missing_column.csv", "missing column skills"), ("empty.csv", "the file is empty"), ("nope.csv", "no such file")],
)
def test_unusable_files_exit_1_with_one_line(
    cli_env: dict[str, str], seeded_target: str, store: GraphStore, tmp_path: Path, name: str, message: str
) -> None:
    source = FIXTURES / name
    path = copy(source, tmp_path) if source.exists() else tmp_path / name
    result = runner.invoke(app, ["ingest", "employees", str(path), "--store", seeded_target])
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output
    assert store.counts().employees == 0


def test_erase_command(cli_env: dict[str, str], seeded_target: str, store: GraphStore, tmp_path: Path) -> None:
    runner.invoke(
        app, ["ingest", "employees", str(copy(EXAMPLES / "employees.csv", tmp_path)), "--store", seeded_target]
    )
    result = runner.invoke(app, ["ingest", "erase", "e003", "--store", seeded_target])
    assert result.exit_code == 0 and "erased employee 'e003'" in result.output
    assert store.get_employee(employee_id="e003") is None
    assert "e003" not in {h.employee_id for h in store.holders(skill_ids=[skill_id("Instagram")])}
    again = runner.invoke(app, ["ingest", "erase", "e003", "--store", seeded_target])
    assert again.exit_code == 0 and "nothing to erase" in again.output


def test_skills_search_ranks_and_prints_json(cli_env: dict[str, str], seeded_target: str) -> None:
    result = runner.invoke(app, ["skills", "search", "instagram", "--store", seeded_target, "--json", "--limit", "3"])
    assert result.exit_code == 0, result.output
    ranking = json.loads(result.stdout)["results"]
    assert len(ranking) == 3
    assert ranking[0]["skill_id"] == skill_id("Instagram") and ranking[0]["method"] == "label"
    table = runner.invoke(app, ["skills", "search", "social media marketing", "--store", seeded_target])
    assert table.exit_code == 0 and "social media marketing techniques" in table.output


def test_skills_search_on_an_empty_store_says_what_to_do(cli_env: dict[str, str], target: str) -> None:
    result = runner.invoke(app, ["skills", "search", "python", "--store", target])
    assert result.exit_code == 1 and "mentorgraph ingest taxonomy" in result.output


# -- crash safety and size, in a real subprocess ---------------------------------------------


def synthetic_file(path: Path, *, rows: int, skills: list[str], seed: int = 3) -> None:
    """A CSV of ``rows`` employees with 20 skills and 5 goals each, by id."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER + "\n")
        for i in range(rows):
            chosen = rng.sample(skills, 25)
            held = ";".join(f"{s}:{rng.randint(1, 5)}" for s in chosen[:20])
            wanted = ";".join(f"{s}:{rng.randint(1, 5)}" for s in chosen[20:])
            manager = f"s{rng.randrange(i):06d}" if i else ""
            out.write(
                f"s{i:06d},Person {i},Analyst,Dept {i % 7},{1 + i % 5},{manager},City,UTC+1,1,yes,{held},{wanted}\n"
            )


def cli_process(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", "from mentorgraph.cli import app; app()", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@pytest.mark.slow
def test_kill_mid_ingest_leaves_a_consistent_store_and_a_rerun_completes(
    cli_env: dict[str, str], seeded_target: str, store: GraphStore, tmp_path: Path
) -> None:
    skills = sorted(s.id for s in store.list_skills() if s.skill_type != "group")
    rows = 20_000 if isinstance(store, SqliteStore) else 4_000
    path = tmp_path / "big.csv"
    synthetic_file(path, rows=rows, skills=skills)
    args = ["ingest", "employees", str(path), "--store", seeded_target]

    process = cli_process(args, cli_env)
    deadline = time.monotonic() + 600
    while store.counts().employees == 0:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "no batch was committed in time"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL

    # Consistent: whole batches only, and every employee present is complete.
    counts = store.counts()
    assert 0 < counts.employees < rows and counts.employees % BATCH_SIZE == 0
    present = store.get_employees(employee_ids=store.list_employee_ids())
    assert all(len(e.skills) == 20 and len(e.goals) == 5 for e in present.values())
    assert counts.has_skill == 20 * counts.employees and counts.wants_to_learn == 5 * counts.employees

    rerun = cli_process(args, cli_env)
    out, err = rerun.communicate(timeout=1200)
    assert rerun.returncode == 0, err.decode()
    assert f"read {rows:,} · ingested {rows:,} · rejected 0" in out.decode()
    after_rerun = snapshot(store)

    for employee_id in store.list_employee_ids():
        store.delete_employee(employee_id=employee_id)
    clean = cli_process(args, cli_env)
    _, err = clean.communicate(timeout=1200)
    assert clean.returncode == 0, err.decode()
    assert snapshot(store) == after_rerun
    assert after_rerun["counts"]["employees"] == rows


# Peak memory of the child itself: VmHWM of its own address space. (ru_maxrss would
# also count the pytest process it was spawned from, which holds the embedding model.)
MEMORY_PROBE = """
import re, sys
from mentorgraph.cli import app
try:
    app(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
status = open("/proc/self/status").read()
print("PEAK_KB", re.search(r"VmHWM:\\s+(\\d+)", status).group(1), file=sys.stderr)
sys.exit(code)
"""


def peak_mb(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    process = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, *args], cwd=ROOT, env={**os.environ, **env}, capture_output=True,
        timeout=3600,
    )  # fmt: skip
    assert process.returncode == 0, process.stderr.decode()[-2000:]
    return int(process.stderr.decode().split("PEAK_KB")[1].split()[0]) / 1024, process.stdout.decode()


@pytest.mark.slow
def test_a_50_mb_file_imports_in_bounded_memory(cli_env: dict[str, str], tmp_path: Path, embedder: Embedder) -> None:
    store = SqliteStore(path=tmp_path / "big.sqlite")
    store.apply_schema()
    seed_subset(store, embedder)
    skills = sorted(s.id for s in store.list_skills() if s.skill_type != "group")
    path = tmp_path / "fifty.csv"
    synthetic_file(path, rows=1_000, skills=skills)
    rows = 1_000 * (50 * 2**20 // path.stat().st_size + 2)  # rows are about the same size
    synthetic_file(path, rows=rows, skills=skills)
    size = path.stat().st_size
    assert size >= 50 * 2**20
    small = tmp_path / "small.csv"
    synthetic_file(small, rows=500, skills=skills, seed=5)
    args = ["ingest", "employees", "--store", str(store.path)]
    baseline, _ = peak_mb([*args, str(small)], cli_env)
    peak, out = peak_mb([*args, str(path)], cli_env)
    assert f"read {rows:,} · ingested {rows:,} · rejected 0" in out
    # Streaming: 100 times more rows cost little more memory than the small file
    # (SQLite's page cache, 64 MB, is most of the difference); holding the file as
    # Python objects would cost several times its 50 MB.
    assert peak - baseline < 120, f"peak {peak:.0f} MB for a {size / 2**20:.0f} MB file, {baseline:.0f} MB for 500 rows"
    assert store.counts().employees == rows
    store.close()
