"""A store that goes away: 503 with a clear problem document, and recovery when it is
back. Runs against a separate, throwaway Neo4j (never the shared test server), which
the test stops and starts again."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from graph.neo4j_store import Neo4jStore
from ingest.embedder import Embedder
from tests.api.conftest import EMPLOYEES, SKILLS, Keys, api_settings, build_app

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.neo4j, pytest.mark.slow]


class ThrowawayNeo4j:
    def __init__(self, home: Path) -> None:
        self.home = home
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port: int = sock.getsockname()[1]

    def _run(self, command: str) -> str:
        env = {**os.environ, "MENTORGRAPH_NEO4J_HOME": str(self.home)}
        result = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "neo4j_local.py"), command, "--port", str(self.port),
             "--heap", "512m", "--pagecache", "64m"],
            env=env, capture_output=True, text=True, timeout=400,
        )  # fmt: skip
        if result.returncode != 0:
            pytest.fail(f"neo4j_local {command} failed:\n{result.stdout}\n{result.stderr}", pytrace=False)
        return result.stdout.strip()

    def start(self) -> str:
        return self._run("start").splitlines()[-1]

    def stop(self) -> None:
        self._run("stop")


@pytest.fixture(scope="module")
def throwaway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThrowawayNeo4j]:
    server = ThrowawayNeo4j(tmp_path_factory.mktemp("neo4j-outage"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _wait(client: TestClient, path: str, headers: dict[str, str], status: int, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while True:
        response = client.get(path, headers=headers)
        if response.status_code == status:
            return
        assert time.monotonic() < deadline, f"{path} still answers {response.status_code}: {response.text}"
        time.sleep(1)


def test_store_outage_is_503_and_the_service_recovers(
    throwaway: ThrowawayNeo4j, embedder: Embedder, keys: Keys, tmp_path: Path
) -> None:
    store = Neo4jStore.connect(uri=f"bolt://127.0.0.1:{throwaway.port}", user="neo4j", password="unused")
    store.apply_schema()
    store.upsert_skills(skills=SKILLS, embeddings=embedder.embed([s.embedding_text() for s in SKILLS]))
    store.upsert_employees(employees=EMPLOYEES)
    hr = keys.auth("hr")
    try:
        with TestClient(build_app(store, embedder, api_settings(keys, tmp_path))) as client:
            assert client.get("/api/v1/employees/cfo", headers=hr).status_code == 200
            assert client.get("/readyz").status_code == 200

            throwaway.stop()
            down = client.get("/api/v1/employees/cfo", headers=hr)
            assert down.status_code == 503
            assert down.headers["content-type"] == "application/problem+json"
            assert down.headers["retry-after"] == "5"
            problem = down.json()
            assert problem["type"] == "/problems/store-unavailable"
            assert problem["title"] == "Store unavailable"
            assert "does not answer" in problem["detail"]
            assert "neo4j_local.py start" in problem["detail"]  # says what to do
            recs = client.get("/api/v1/employees/junior-1/recommendations", headers=hr)
            assert recs.status_code == 503
            ready = client.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["type"] == "/problems/store-unavailable"
            assert client.get("/healthz").status_code == 200  # alive, just not ready

            throwaway.start()  # the same data folder: the data is still there
            _wait(client, "/readyz", {}, 200)
            back = client.get("/api/v1/employees/cfo", headers=hr)
            assert back.status_code == 200
            assert back.json()["name"] == "Henrik Dahl"
            assert client.get("/api/v1/employees/junior-1/recommendations", headers=hr).status_code == 200
    finally:
        store.close()
