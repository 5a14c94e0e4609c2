"""The gap heatmap: its matrix is the report's cells, the files are real PNG / SVG, and
nothing is written when there is nothing to draw."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.sqlite_store import SqliteStore
from recommender.gap_models import EmptyReport, GapGrouping, GapReportError
from recommender.gaps import gap_report
from recommender.heatmap import heatmap_data, render_heatmap
from tests.unit.test_gaps import build_org, person

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    store = SqliteStore(path=tmp_path / "gaps.sqlite")
    store.apply_schema()
    build_org(store)
    yield store
    store.close()


@pytest.mark.parametrize("by", list(GapGrouping))
def test_matrix_is_the_cells(store: SqliteStore, by: GapGrouping) -> None:
    report = gap_report(store=store, group_by=by)
    data = heatmap_data(report)
    assert data.groups == report.cell_rows
    # The category nobody wants to learn (cobol's, "(uncategorised)") would be a grey row: left out.
    assert data.categories == [c for c in report.categories if any(x.learners for x in report.cells if x.category == c)]
    assert "(uncategorised)" in data.categories  # cobol is wanted by sj1
    for cell in report.cells:
        if cell.category not in data.categories:
            assert cell.learners == 0
            continue
        i, j = data.categories.index(cell.category), data.groups.index(cell.group)
        assert data.values[i][j] == cell.unmet_demand
        assert data.coverage[i][j] == cell.coverage
        assert data.learners[i][j] == cell.learners


def test_png_and_svg_files(store: SqliteStore, tmp_path: Path) -> None:
    report = gap_report(store=store, group_by="department")
    png = render_heatmap(report=report, path=tmp_path / "out" / "gaps.png")
    assert png.read_bytes().startswith(PNG_SIGNATURE)
    assert len(png.read_bytes()) > 10_000
    svg = render_heatmap(report=report, path=tmp_path / "gaps.svg").read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml")
    assert "<svg" in svg
    # Text stays text in the SVG (searchable, accessible): the labels and each cell's numbers.
    for label in ("management skills", "Sales", "Board", "Unmet skill demand by skill category and department"):
        assert label in svg
    texts = re.findall(r">([^<>]*% met)<", svg)
    # IT x management: lead (1 learner, served from Board) + negotiate (2, half a teacher).
    assert "50% met" in texts
    cell = next(c for c in report.cells if (c.group, c.category) == ("IT", "management skills"))
    assert cell.coverage is not None
    assert f"{cell.coverage:.0%} met" in texts
    # The same report gives the same file (no timestamps inside).
    again = render_heatmap(report=report, path=tmp_path / "again.svg").read_text(encoding="utf-8")
    assert again == svg
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temp files left


def test_format_can_be_forced_and_bad_suffix_is_refused(store: SqliteStore, tmp_path: Path) -> None:
    report = gap_report(store=store, group_by="seniority")
    forced = render_heatmap(report=report, path=tmp_path / "heatmap.img", fmt="png")
    assert forced.read_bytes().startswith(PNG_SIGNATURE)
    with pytest.raises(GapReportError, match=r"\.png or \.svg"):
        render_heatmap(report=report, path=tmp_path / "heatmap.pdf")
    assert not (tmp_path / "heatmap.pdf").exists()


def test_nothing_to_draw_writes_no_file(tmp_path: Path) -> None:
    store = SqliteStore(path=tmp_path / "empty.sqlite")
    store.apply_schema()
    with pytest.raises(EmptyReport):
        render_heatmap(report=gap_report(store=store), path=tmp_path / "empty.png")
    build_org(store, [person("t1", "Sales", 4, {"lead": 5})])  # a teacher, but no learner
    with pytest.raises(EmptyReport, match="nobody in the organisation has a learning goal"):
        render_heatmap(report=gap_report(store=store), path=tmp_path / "empty.png")
    assert not (tmp_path / "empty.png").exists()
    store.close()


def test_the_cli_does_not_import_matplotlib() -> None:
    code = "import sys, mentorgraph.cli, recommender.gaps; print('matplotlib' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
