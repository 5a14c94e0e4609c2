"""``mentorgraph match`` / ``match review`` / ``match publish`` / ``pairings ...`` as HR
runs them: real cohort files, a real embedded store, proposals saved between commands."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graph.sqlite_store import SqliteStore
from mentorgraph.cli import app
from recommender.cohort_models import Proposal
from tests.fixtures.cohorts.org import load_small_org

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cohorts"
runner = CliRunner()


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    store = SqliteStore(path=tmp_path / "store.sqlite")
    store.apply_schema()
    load_small_org(store)
    store.close()
    for name in ("small.csv", "duplicate.csv", "unknown.csv", "one.csv"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    return tmp_path


def _invoke(workdir: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, [*args, "--store", str(workdir / "store.sqlite")])
    return result.exit_code, result.output


def test_match_prints_pairs_saves_the_proposal_and_writes_csv(workdir: Path) -> None:
    code, out = _invoke(workdir, "match", str(workdir / "small.csv"), "--csv", str(workdir / "pairs.csv"))
    assert code == 0, out
    assert "small: 3 pairs (total)" in out
    assert "none of the 6 juniors can be paired with them" in out  # S4, 9 hours away
    proposal = Proposal.model_validate_json((workdir / "small.proposal.json").read_text())
    assert [(p.senior.id, p.junior.id) for p in proposal.pairs] == [("S1", "J3"), ("S2", "J4"), ("S3", "J2")]
    rows = list(csv.DictReader((workdir / "pairs.csv").open()))
    assert [(r["senior_id"], r["junior_id"]) for r in rows[:3]] == [("S1", "J3"), ("S2", "J4"), ("S3", "J2")]
    assert {r["unmatched_reason"] for r in rows[3:]} == {"no_allowed_partner", "lost_to_better_pairs", "opted_out"}


def test_json_output_and_the_explicit_run_form(workdir: Path) -> None:
    code, out = _invoke(workdir, "match", "run", str(workdir / "small.csv"), "--objective", "coverage", "--json")
    assert code == 0, out
    document = json.loads(out)
    assert document["stats"]["objective"] == "coverage"
    assert document["options"]["require_two_way"] is True


def test_review_then_publish_then_feedback(workdir: Path) -> None:
    assert _invoke(workdir, "match", str(workdir / "small.csv"))[0] == 0
    proposal = str(workdir / "small.proposal.json")
    code, out = _invoke(workdir, "match", "review", proposal, "--remove", "J2:S3", "--rerun")
    assert code == 0, out
    saved = Proposal.model_validate_json(Path(proposal).read_text())
    assert ("S3", "J2") not in [(p.senior.id, p.junior.id) for p in saved.pairs]
    assert saved.removed == [("S3", "J2")]

    code, out = _invoke(workdir, "match", "review", proposal)
    assert code == 1
    assert "nothing to review" in out

    code, out = _invoke(workdir, "match", "publish", proposal)
    assert code == 0, out
    assert "published 3 pairing(s) of small" in out
    code, out = _invoke(workdir, "match", "publish", proposal)
    assert code == 1
    assert "already published" in out

    code, out = _invoke(workdir, "pairings", "list", "--json")
    listed = json.loads(out)
    assert [p["status"] for p in listed] == ["active"] * 3
    pairing_id = listed[0]["id"]
    member = listed[0]["employee_ids"][0]
    code, out = _invoke(
        workdir, "pairings", "feedback", pairing_id, "--by", member, "--rating", "4", "--topic", "TikTok"
    )
    assert code == 0, out
    code, out = _invoke(workdir, "pairings", "show", pairing_id)
    assert f"{member}: 4/5 | topics: TikTok" in out
    code, out = _invoke(workdir, "pairings", "feedback", pairing_id, "--by", "J5", "--rating", "4")
    assert code == 1
    assert "J5 is not a partner" in out
    code, out = _invoke(workdir, "pairings", "list", "S4")
    assert "no pairings for S4" in out


def test_bad_cohort_files_list_every_problem_with_its_line(workdir: Path) -> None:
    code, out = _invoke(workdir, "match", str(workdir / "duplicate.csv"))
    assert code == 1
    assert "line 5: S1 is listed twice (first on line 2)" in out
    code, out = _invoke(workdir, "match", str(workdir / "unknown.csv"))
    assert code == 1
    assert "line 3: unknown employee id X9" in out
    assert "line 6: unknown employee id X10" in out
    code, out = _invoke(workdir, "match", str(workdir / "one.csv"))
    assert code == 1
    assert "lists only S1" in out
    assert not (workdir / "unknown.proposal.json").exists()


def test_match_help_lists_the_workflow() -> None:
    result = runner.invoke(app, ["match", "--help"])
    assert result.exit_code == 0
    for command in ("run", "review", "publish"):
        assert command in result.output
