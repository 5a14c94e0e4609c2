"""``mentorgraph gaps`` on the hand-built organisation of ``tests/unit/test_gaps.py``:
the table, JSON, CSV and heatmap files carry the same numbers; bad input is one line and
exit code 1."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graph.sqlite_store import SqliteStore
from mentorgraph.cli import app
from mentorgraph.commands import common
from mentorgraph.commands.gaps import num, pct
from mentorgraph.settings import get_settings
from recommender.gap_models import GapReport
from recommender.gaps import cells_csv
from tests.unit.test_gaps import build_org


@pytest.fixture(scope="module")
def store_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = Path(tmp_path_factory.mktemp("gaps-cli")) / "org.sqlite"
    store = SqliteStore(path=path)
    store.apply_schema()
    build_org(store)
    store.close()
    return path


@pytest.fixture(autouse=True)
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("COLUMNS", "220")  # wide enough for every column of every table
    monkeypatch.setenv("MENTORGRAPH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MENTORGRAPH_STORE", str(tmp_path / "home" / "default.sqlite"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["gaps", *args], terminal_width=220)
    return result.exit_code, result.stdout, result.stderr


def tables(text: str) -> list[dict[str, list[str]]]:
    """The rows of each Rich table printed, in order, keyed by their first cell."""
    found: list[dict[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith("┏"):
            found.append({})
        elif line.startswith("│"):
            cells = [cell.strip() for cell in line.strip("│").split("│")]
            found[-1][cells[0]] = cells[1:]
    return found


def report_of(store_file: Path, *args: str) -> GapReport:
    code, out, err = run("--json", "--store", str(store_file), *args)
    assert code == 0, err
    return GapReport.model_validate(json.loads(out))


def test_table_json_and_csv_agree(store_file: Path, tmp_path: Path) -> None:
    report = report_of(store_file, "--by", "department")
    code, out, err = run("--by", "department", "--store", str(store_file), "--csv", str(tmp_path / "gaps.csv"))
    assert code == 0, err
    assert "Skill gaps by department: 12 employees, 13 learning goals on 5 skills, 62% of them could get a teacher" in (
        " ".join(out.split())
    )
    groups, top_gaps, at_risk, flows = tables(out)
    for summary in [*report.groups, report.totals]:
        name = getattr(summary, "group", "organisation")
        people = f"{getattr(summary, 'employees', 0):,}"
        expected = [
            people,
            f"{summary.learners:,}",
            f"{summary.demand:,}",
            f"{summary.teachers:,}",
            pct(summary.coverage),
            num(summary.met_across_groups),
            num(summary.unmet_demand),
            num(summary.junior_to_senior),
            num(summary.senior_to_junior),
        ]
        assert groups[name][:9] == expected, name
    assert groups["IT"][9] == "Negotiate"  # the group's top gap
    assert groups["Sales"][4:7] == ["75%", "3.5", "4.5"]  # the hand-worked numbers of test_gaps
    for rank, gap in enumerate(report.top_gaps, start=1):
        assert top_gaps[str(rank)] == [gap.skill.label + (" (digital)" if gap.skill.digital else ""), gap.category,
                                   str(gap.learners), str(gap.demand), str(gap.teachers), pct(gap.coverage),
                                   num(gap.met_across_groups), num(gap.unmet_demand)]  # fmt: skip
    assert at_risk["Cobol"][1:] == ["is1 (IT)", "5", "1", "2"]
    assert "Knowledge at risk: 2 skills held by one person (2 wanted)" in out
    assert flows["digital technology"] == ["2.0", "8.0", "0.0", "0.0"]
    written = (tmp_path / "gaps.csv").read_text(encoding="utf-8")
    assert written == cells_csv(report)
    csv_rows = list(csv.DictReader(io.StringIO(written)))
    sales = [r for r in csv_rows if r["group"] == "Sales"]
    assert sum(float(r["unmet_demand"]) for r in sales) == pytest.approx(report.group("Sales").unmet_demand)
    assert f"wrote {tmp_path / 'gaps.csv'}" in " ".join(err.split())


def test_heatmap_files_and_json_on_stdout(store_file: Path, tmp_path: Path) -> None:
    png, svg = tmp_path / "gaps.png", tmp_path / "gaps.svg"
    code, out, err = run("--by", "location", "--store", str(store_file), "--json", "--png", str(png), "--svg", str(svg))
    assert code == 0, err
    report = GapReport.model_validate(json.loads(out))  # notices went to stderr, stdout is pure JSON
    assert report.cell_rows == ["Paris", "Pune"]
    assert png.read_bytes().startswith(b"\x89PNG")
    assert "Unmet skill demand by skill category and location" in svg.read_text(encoding="utf-8")
    assert "wrote" in err


def test_by_category(store_file: Path) -> None:
    code, out, err = run("--by", "Category", "--store", str(store_file))
    assert code == 0, err
    assert tables(out)[0]["management skills"][:3] == ["8", "25", "5"]
    assert "met across = learners taught by a spare teacher from another seniority band" in " ".join(out.split())


def test_one_group(store_file: Path) -> None:
    code, out, err = run("--group", "it", "--store", str(store_file))
    assert code == 0, err
    assert "IT (department): 3 people, 4 learning goals, 38% could get a teacher" in " ".join(out.split())
    (gaps,) = tables(out)
    assert [gaps["1"][0], gaps["2"][0]] == ["Negotiate", "Sanskrit"]
    code, out, _ = run("--group", "IT", "--json", "--store", str(store_file))
    assert json.loads(out)["group"] == "IT"


def test_unknown_grouping_is_one_line_and_exit_1(store_file: Path) -> None:
    code, out, err = run("--by", "team", "--store", str(store_file))
    assert code == 1
    assert out == ""
    assert " ".join(err.split()) == (
        "error: cannot group by 'team': choose one of department, seniority, location, category"
    )


def test_unknown_group_lists_the_groups(store_file: Path) -> None:
    code, _, err = run("--group", "Legal", "--store", str(store_file))
    assert code == 1
    assert "nobody is in department 'Legal'; the department groups are: Board, HR, IT, Sales" in " ".join(err.split())


def test_empty_organisation_writes_nothing(tmp_path: Path) -> None:
    empty = tmp_path / "empty.sqlite"
    outputs = [tmp_path / "gaps.csv", tmp_path / "gaps.png", tmp_path / "gaps.svg"]
    code, out, err = run("--store", str(empty), "--csv", str(outputs[0]), "--png", str(outputs[1]),
                         "--svg", str(outputs[2]))  # fmt: skip
    assert code == 1
    assert "nothing to analyse" in err
    assert "has no employees" in err
    assert "Traceback" not in err + out
    assert not any(path.exists() for path in outputs)


def test_bad_options_are_refused(store_file: Path) -> None:
    code, _, err = run("--top", "0", "--store", str(store_file))
    assert code != 0
    assert "--top" in err


def test_narrow_terminal_keeps_whole_names(store_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    # The shared console read its width at import time (the suite sets a wide one).
    monkeypatch.setattr(common.console, "width", 80)
    result = CliRunner().invoke(app, ["gaps", "--store", str(store_file)], terminal_width=80)
    assert result.exit_code == 0, result.stderr
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    groups = tables(result.stdout)[0]
    # Fewer columns (the JSON has them all), but the ones shown are whole and right.
    assert groups["Sales"] == ["6", "3", "75%", "4.5"]
    assert "…" not in result.stdout.split("Top")[0]
