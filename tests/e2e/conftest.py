"""End-to-end fixtures: a real ``mentorgraph serve`` (uvicorn) on a free port over a
seeded embedded store, and headless Chromium (Debian's) driven by Playwright."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.auth import hash_key, new_key
from graph.sqlite_store import SqliteStore
from ingest.embedder import Embedder
from schema import Employee, EmployeeSkill, LearningGoal
from tests.api.conftest import EMPLOYEES, SKILLS

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: A colleague whose profile text is an HTML/script injection attempt.
HOSTILE_NAME = '<script>window.__owned = 1</script><img src=x onerror="window.__owned = 2">Eve'
HOSTILE = Employee(
    id="hostile",
    name=HOSTILE_NAME,
    title="<b>Growth</b> hacker",
    department="Marketing",
    seniority=1,
    capacity=2,
    skills=(EmployeeSkill(skill_id="onet:tiktok", level=5),),
    goals=(LearningGoal(skill_id="esco:strategy", priority=3),),
)


@dataclass(frozen=True)
class Server:
    url: str
    keys: dict[str, str]
    log: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("e2e")
    store_path = home / "store.sqlite"
    store = SqliteStore(path=store_path)
    store.apply_schema()
    store.upsert_skills(skills=SKILLS, embeddings=embedder.embed([s.embedding_text() for s in SKILLS]))
    store.upsert_employees(employees=[*EMPLOYEES, HOSTILE])
    store.close()

    keys = {"hr": new_key(), "junior-1": new_key(), "junior-2": new_key()}
    entries: list[dict[str, Any]] = [{"sha256": hash_key(keys["hr"]), "role": "hr"}]
    entries += [{"sha256": hash_key(keys[e]), "role": "employee", "employee_id": e} for e in ("junior-1", "junior-2")]
    port = _free_port()
    env = {
        **os.environ,
        "MENTORGRAPH_STORE": str(store_path),
        "MENTORGRAPH_HOME": str(home),
        "MENTORGRAPH_API__KEYS": json.dumps(entries),
        "HF_HUB_OFFLINE": "1",
    }
    log = home / "server.log"
    command = [str(Path(sys.executable).parent / "mentorgraph"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            if process.poll() is not None:
                pytest.fail(f"mentorgraph serve exited:\n{log.read_text()[-4000:]}", pytrace=False)
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"mentorgraph serve did not get ready:\n{log.read_text()[-4000:]}", pytrace=False)
            time.sleep(0.3)
        yield Server(url=url, keys=keys, log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium", pytrace=False)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"
