"""Session fixtures: one real Neo4j server and one embedding model per test session;
every test gets clean data in whichever store backend it runs against."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

# CLI output is asserted on: a wide console (also inherited by CLI subprocesses) keeps
# Rich from wrapping sentences, whatever order the modules are imported in.
os.environ["COLUMNS"] = "200"

import pytest

from graph.neo4j_store import Neo4jStore
from graph.sqlite_store import SqliteStore
from graph.store import GraphStore
from ingest.embedder import Embedder

ROOT = Path(__file__).resolve().parent.parent
BACKENDS = ["embedded", "neo4j"]


@pytest.fixture(scope="session")
def neo4j_uri() -> str:
    """A Neo4j that answers: ``MENTORGRAPH_NEO4J_URI`` when set, else the local server,
    started once (and reused if already running). A failure to start fails the tests:
    Neo4j-backed tests never skip."""
    uri = os.environ.get("MENTORGRAPH_NEO4J_URI")
    if uri:
        return uri
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "neo4j_local.py"), "start"], capture_output=True, text=True
    )
    if result.returncode != 0:
        pytest.fail(f"could not start Neo4j:\n{result.stdout}\n{result.stderr}", pytrace=False)
    return result.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="session")
def neo4j_store(neo4j_uri: str) -> Iterator[Neo4jStore]:
    store = Neo4jStore.connect(
        uri=neo4j_uri,
        user=os.environ.get("MENTORGRAPH_NEO4J__USER", "neo4j"),
        password=os.environ.get("MENTORGRAPH_NEO4J__PASSWORD", "unused-auth-is-off"),
    )
    store.apply_schema()
    yield store
    store.close()


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    """Each backend in turn, empty."""
    if request.param == "neo4j":
        neo4j: Neo4jStore = request.getfixturevalue("neo4j_store")
        neo4j.clear()
        yield neo4j
        return
    embedded = SqliteStore(path=tmp_path / "store.sqlite")
    embedded.apply_schema()
    yield embedded
    embedded.close()


@pytest.fixture(scope="session")
def embedder(tmp_path_factory: pytest.TempPathFactory) -> Embedder:
    """The real all-MiniLM-L6-v2 model, loaded once per session."""
    return Embedder(cache_path=tmp_path_factory.mktemp("embeddings") / "cache.sqlite")
