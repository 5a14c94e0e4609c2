"""The gap heatmap: skill categories x groups, coloured by unmet demand, as PNG or SVG.

Drawn from :attr:`GapReport.cells` only (through :func:`heatmap_data`), so the picture
shows exactly the numbers of the table, the CSV and the JSON. matplotlib is imported
inside :func:`render_heatmap`: it costs about half a second, which every other CLI
command would otherwise pay at start-up. A bare ``Figure`` (no pyplot) renders with the
Agg canvas and keeps no global state, so it is safe in the API's worker threads.

Orientation: categories are the rows because their names are long ("working with
machinery and specialised equipment") and read best horizontally; groups (a handful of
departments, levels or offices) are the columns.
"""

from __future__ import annotations

import io
import math
import textwrap
from dataclasses import dataclass
from pathlib import Path

from recommender.gap_models import EmptyReport, GapReport, GapReportError
from recommender.gaps import write_atomically

FORMATS = ("png", "svg")
#: Cells up to which each one is labelled with its numbers; beyond, only colours.
MAX_LABELLED_CELLS = 400
COLOUR_LABEL = "Unmet demand: learners who would find no teacher × average priority (square-root scale)"


@dataclass(frozen=True, slots=True)
class HeatmapData:
    """The matrix a heatmap shows: ``values[i][j]`` is the unmet demand of category
    ``categories[i]`` in group ``groups[j]``; ``coverage`` the share of its learners who
    could get a teacher, None where nobody there wants a skill of the category."""

    title: str
    groups: list[str]
    categories: list[str]
    values: list[list[float]]
    coverage: list[list[float | None]]
    learners: list[list[int]]


def heatmap_data(report: GapReport) -> HeatmapData:
    """The heatmap's matrix, straight from the report's cells (no other numbers).

    Categories nobody wants to learn are left out: their row would be all grey.
    """
    wanted = {cell.category for cell in report.cells if cell.learners}
    if not wanted:
        raise EmptyReport("nothing to draw: nobody in the organisation has a learning goal")
    categories = [c for c in report.categories if c in wanted]
    column = {group: j for j, group in enumerate(report.cell_rows)}
    row = {category: i for i, category in enumerate(categories)}
    shape = (len(categories), len(report.cell_rows))
    values = [[0.0] * shape[1] for _ in range(shape[0])]
    coverage: list[list[float | None]] = [[None] * shape[1] for _ in range(shape[0])]
    learners = [[0] * shape[1] for _ in range(shape[0])]
    for cell in report.cells:
        if cell.category not in row:
            continue
        i, j = row[cell.category], column[cell.group]
        values[i][j] = cell.unmet_demand
        coverage[i][j] = cell.coverage
        learners[i][j] = cell.learners
    title = f"Unmet skill demand by skill category and {report.cell_axis}"
    return HeatmapData(title, list(report.cell_rows), categories, values, coverage, learners)


def render_heatmap(*, report: GapReport, path: Path | str, fmt: str | None = None) -> Path:
    """Draw the heatmap to ``path`` as ``fmt`` ("png" or "svg"; default: the suffix of
    ``path``), atomically.

    Raises :class:`EmptyReport` (and writes nothing) when there is nothing to draw, and
    :class:`GapReportError` for another format.
    """
    target = Path(path)
    fmt = (fmt or target.suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise GapReportError(f"{target}: the heatmap is written as .png or .svg, not {target.suffix or 'no suffix'!r}")
    data = heatmap_data(report)
    payload = _draw(data, report=report, fmt=fmt)
    return write_atomically(path=target, data=payload)


def _draw(data: HeatmapData, *, report: GapReport, fmt: str) -> bytes:
    import matplotlib as mpl
    import numpy as np
    from matplotlib.colors import PowerNorm
    from matplotlib.figure import Figure

    n_rows, n_cols = len(data.categories), len(data.groups)
    labelled = n_rows * n_cols <= MAX_LABELLED_CELLS
    # Sized so that a wrapped group name (3 lines of 14 characters) and two lines of
    # numbers fit in a cell.
    cell_width, cell_height = (1.05, 0.52) if labelled else (0.4, 0.3)
    width = 3.6 + n_cols * cell_width + 1.6
    height = 2.4 + n_rows * cell_height
    matrix = np.ma.masked_invalid(
        np.array(
            [
                [v if c is not None or v else math.nan for v, c in zip(r, cr, strict=True)]
                for r, cr in zip(data.values, data.coverage, strict=True)
            ],
            dtype=float,
        )
    )
    # Grey: nobody in the group wants a skill of the category.
    cmap = mpl.colormaps["YlOrRd"].with_extremes(bad="#eeeeee")
    peak = float(matrix.max()) if matrix.count() else 0.0
    # Square-root scale: one big department would otherwise paint every other cell pale.
    norm = PowerNorm(gamma=0.5, vmin=0.0, vmax=max(peak, 1.0))

    # svg.hashsalt: deterministic element ids, so the same report gives the same file.
    with mpl.rc_context({"svg.fonttype": "none", "svg.hashsalt": "mentorgraph", "font.size": 9}):
        fig = Figure(figsize=(width, height), layout="constrained")
        ax = fig.add_subplot()
        image = ax.imshow(matrix, cmap=cmap, norm=norm, aspect="auto", interpolation="nearest")
        ax.set_xticks(range(n_cols), [_wrap(g, 14) for g in data.groups], fontsize=8)
        ax.set_yticks(range(n_rows), [_wrap(c, 34) for c in data.categories], fontsize=8)
        ax.xaxis.tick_top()
        ax.tick_params(length=0)
        ax.set_xticks(np.arange(-0.5, n_cols, 1), minor=True)
        ax.set_yticks(np.arange(-0.5, n_rows, 1), minor=True)
        ax.grid(which="minor", color="white", linewidth=1.5)
        ax.tick_params(which="minor", length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        if labelled:
            for i in range(n_rows):
                for j in range(n_cols):
                    share = data.coverage[i][j]
                    if share is None:
                        continue
                    value = data.values[i][j]
                    dark = norm(value) > 0.6
                    ax.text(
                        j,
                        i,
                        f"{_number(value)}\n{share:.0%} met",
                        ha="center",
                        va="center",
                        fontsize=7,
                        linespacing=1.1,
                        color="white" if dark else "#222222",
                    )
        bar = fig.colorbar(image, ax=ax, shrink=0.8, pad=0.02)
        bar.set_label(textwrap.fill(COLOUR_LABEL, 48), fontsize=8)
        bar.ax.tick_params(labelsize=7)
        totals = report.totals
        coverage = f"{totals.coverage:.0%}" if totals.coverage is not None else "n/a"
        fig.suptitle(data.title, fontsize=12, fontweight="bold")
        ax.set_title(
            f"{totals.employees:,} employees · {totals.learners:,} learners · {coverage} of them could get a "
            f"teacher (level ≥ {report.teaching_level}) · grey: nobody there wants these skills\n"
            "cell: unmet demand, and the share of the cell's learners a teacher in the organisation could take",
            fontsize=8,
            color="#444444",
            pad=12,
        )
        buffer = io.BytesIO()
        fig.savefig(buffer, format=fmt, dpi=150, metadata=_metadata(fmt))
    return buffer.getvalue()


def _metadata(fmt: str) -> dict[str, str | None]:
    # No creation date: the same report gives byte-identical files (diffable, cacheable).
    return {"Date": None} if fmt == "svg" else {"Software": "mentorgraph"}


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width=width, break_long_words=True)) or text


def _number(value: float) -> str:
    if value >= 10_000:
        return f"{value / 1000:.0f}k"
    if value >= 1_000:
        return f"{value / 1000:.1f}k"
    return f"{value:.0f}"
