"""``mentorgraph recommend / teachers / agenda`` on the fixed organisation (embedded store)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graph.sqlite_store import SqliteStore
from ingest.embedder import Embedder
from mentorgraph.cli import app
from mentorgraph.commands import common
from mentorgraph.settings import get_settings
from tests.contract.test_recommender_contract import build_org

runner = CliRunner()


@pytest.fixture(scope="module")
def store_file(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Path:
    path = Path(tmp_path_factory.mktemp("cli")) / "org.sqlite"
    store = SqliteStore(path=path)
    store.apply_schema()
    build_org(store, embedder)
    store.close()
    return path


@pytest.fixture(autouse=True)
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Wide enough that no asserted sentence is wrapped. Set on the consoles themselves:
    # another test may have pinned their width, so COLUMNS alone is not enough.
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setattr(common.console, "width", 200)
    monkeypatch.setattr(common.err_console, "width", 200)
    monkeypatch.setenv("MENTORGRAPH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MENTORGRAPH_EMBEDDING__CACHE_PATH", str(tmp_path / "home" / "embeddings.sqlite"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), terminal_width=200)
    return result.exit_code, result.stdout, result.stderr


def test_recommend_prints_a_table_the_explanations_and_the_notes(store_file: Path) -> None:
    code, out, _ = run("recommend", "vps", "--store", str(store_file))
    assert code == 0
    assert "Partners for Victor Sato (vps, seniority 4)" in out
    assert "Ana Silva (ana)" in out
    assert "Pinterest (L5)" in out
    assert "1. Ana Silva (Marketing Specialist, Marketing) and you make a strong two-way pair" in out
    assert "Found 2 two-way partners of the 5 asked for. Why not the others:" in out
    assert "in your reporting chain" in out


def test_recommend_json_is_the_service_model(store_file: Path) -> None:
    code, out, _ = run("recommend", "vps", "--limit", "1", "--json", "--store", str(store_file))
    assert code == 0
    data = json.loads(out)
    assert [r["partner"]["id"] for r in data["recommendations"]] == ["ana"]
    assert data["recommendations"][0]["you_learn"]["agenda"][0]["goal"]["label"] == "Pinterest"
    assert data["policy"]["direction"] == "reverse"


def test_recommend_policy_options(store_file: Path) -> None:
    code, out, _ = run("recommend", "vps", "--max-hours", "26", "--json", "--store", str(store_file))
    assert code == 0
    assert json.loads(out)["recommendations"][0]["partner"]["id"] == "dee"  # 9 hours away
    code, out, _ = run("recommend", "vps", "--two-way-only", "--json", "--store", str(store_file))
    assert [r["partner"]["id"] for r in json.loads(out)["recommendations"]] == ["ana", "lead"]


def test_no_partner_says_why(store_file: Path) -> None:
    code, out, _ = run("recommend", "gus", "--store", str(store_file))
    assert code == 0
    assert "No partner found for Gus Hale (gus)." in out
    assert "neither holds what the other wants to learn" in out


@pytest.mark.parametrize(
    "args",
    [
        ("recommend", "ghost"),
        ("agenda", "vps", "ghost"),
        ("teachers", "TikTok", "--as", "ghost"),
    ],
)
def test_unknown_id_is_one_not_found_line_and_exit_1(store_file: Path, args: tuple[str, ...]) -> None:
    code, out, err = run(*args, "--store", str(store_file))
    assert code == 1
    assert err.strip() == "error: employee 'ghost' not found"
    assert out == ""


def test_agenda_prints_both_directions(store_file: Path) -> None:
    code, out, _ = run("agenda", "vps", "ana", "--store", str(store_file))
    assert code == 0
    assert "Victor Sato teaches Ana Silva" in out
    assert "Ana Silva teaches Victor Sato" in out
    assert "negotiate business agreements" in out
    code, out, _ = run("agenda", "ben", "vpi", "--json", "--store", str(store_file))
    assert any("reporting chain" in w for w in json.loads(out)["warnings"])


def test_teachers_answers_per_topic_and_overall(store_file: Path) -> None:
    code, out, _ = run("teachers", "who can teach me Pinterest or WhatsApp marketing?", "--as", "vps",
                       "--store", str(store_file))  # fmt: skip
    assert code == 0, out
    assert "pinterest -> Pinterest" in out
    assert "Overall" in out
    assert "you could teach back" in out
    assert "Dee Park (dee)" in out


def test_teachers_meaningless_question_is_explained(store_file: Path) -> None:
    code, _, err = run("teachers", "who can teach me?", "--store", str(store_file))
    assert code == 1
    assert "no topic found" in err
    assert "who can teach me Pinterest or negotiation?" in err
    code, out, _ = run("teachers", "xqzvbnm", "--store", str(store_file))
    assert code == 0
    assert "No skill in the taxonomy is close to 'xqzvbnm'" in out
