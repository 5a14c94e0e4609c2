"""``mentorgraph gaps``: the organisation's skill gaps, grouped by department, seniority,
location or skill category, as Rich tables, JSON, CSV and a PNG / SVG heatmap.

Thin: one call to :func:`recommender.gaps.gap_report` (the API calls the same), then
printing. Every output is drawn from that one report, so their numbers agree. Notices
about written files go to stderr, so ``--json`` output on stdout stays pure JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from mentorgraph.commands.common import (
    JsonOption,
    StoreOption,
    console,
    err_console,
    fail,
    friendly_errors,
    open_context,
    print_json,
)
from recommender.gap_models import GapGrouping, GapMetrics, GapReport, GroupSummary, SkillGap
from recommender.gaps import gap_report, write_csv
from schema.models import TEACHING_LEVEL

BY_HELP = "Group by: " + ", ".join(g.value for g in GapGrouping) + "."


def register(app: typer.Typer) -> None:
    app.command("gaps")(gaps)


@friendly_errors
def gaps(
    by: Annotated[str, typer.Option("--by", help=BY_HELP, show_default=True)] = GapGrouping.DEPARTMENT.value,
    top: Annotated[int, typer.Option("--top", min=1, max=1000, help="Gaps (and skills at risk) listed.")] = 10,
    group: Annotated[
        str | None, typer.Option("--group", help="Show one group's own top gaps (e.g. --group Sales).")
    ] = None,
    csv_file: Annotated[
        Path | None, typer.Option("--csv", metavar="FILE", help="Write the heatmap table (group x category) as CSV.")
    ] = None,
    png_file: Annotated[Path | None, typer.Option("--png", metavar="FILE", help="Write the heatmap as PNG.")] = None,
    svg_file: Annotated[Path | None, typer.Option("--svg", metavar="FILE", help="Write the heatmap as SVG.")] = None,
    teaching_level: Annotated[
        int, typer.Option("--teaching-level", min=1, max=5, help="Lowest skill level that counts as able to teach.")
    ] = TEACHING_LEVEL,
    per_teacher: Annotated[
        int, typer.Option("--per-teacher", min=1, max=20, help="Learners one teacher can take.")
    ] = 1,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Organisation-wide skill gaps: demand, supply, coverage, what can be closed across
    teams, knowledge held by one person, and the junior <-> senior flow."""
    # A wrong --by fails before the store is opened: the message lists the valid ones.
    grouping = GapGrouping.parse(by)
    with open_context(store) as context:
        report = gap_report(
            store=context.store,
            group_by=grouping,
            top=top,
            teaching_level=teaching_level,
            learners_per_teacher=per_teacher,
        )
        where = context.settings.store
    if report.totals.employees == 0:
        fail(f"nothing to analyse: the store {where} has no employees (load some with `mentorgraph ingest employees`)")
    if report.empty:
        fail(f"no gaps to show: none of the {report.totals.employees:,} employees has a learning goal")
    selected = report.group(group) if group is not None else None
    _write_files(report, csv_file=csv_file, png_file=png_file, svg_file=svg_file)
    if as_json:
        print_json(selected if selected is not None else report)
        return
    if selected is not None:
        _print_group(report, selected)
        return
    _print_report(report)


def _write_files(report: GapReport, *, csv_file: Path | None, png_file: Path | None, svg_file: Path | None) -> None:
    if csv_file is not None:
        err_console.print(f"wrote {write_csv(report=report, path=csv_file)}", highlight=False)
    for path, fmt in ((png_file, "png"), (svg_file, "svg")):
        if path is not None:
            # Imported here: matplotlib is only loaded when a picture is asked for.
            from recommender.heatmap import render_heatmap

            err_console.print(f"wrote {render_heatmap(report=report, path=path, fmt=fmt)}", highlight=False)


# --------------------------------------------------------------------------------------
# printing


def num(value: float) -> str:
    """A fractional metric as printed: one decimal, always, so that columns line up."""
    return f"{value:,.1f}"


def pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _print_report(report: GapReport) -> None:
    totals = report.totals
    console.print(
        f"[bold]Skill gaps by {report.group_by.value}[/]: {totals.employees:,} employees, "
        f"{totals.learners:,} learning goals on {totals.skills_wanted:,} skills, {pct(totals.coverage)} of them "
        f"could get a teacher (level >= {report.teaching_level}, {report.learners_per_teacher} learner(s) each).",
        highlight=False,
    )
    console.print(_groups_table(report))
    console.print(_gaps_table(f"Top {len(report.top_gaps)} gaps, organisation-wide", report.top_gaps))
    console.print(_at_risk_table(report))
    console.print(_flow_table(report))
    console.print(
        "[dim]unmet demand = learners who would find no teacher x the skill's average priority; "
        "met across = learners taught by a spare teacher from another "
        f"{'seniority band' if report.group_by is GapGrouping.CATEGORY else report.group_by.value}. "
        "Definitions: README, section 'Skill gaps'.[/]"
    )


@dataclass(frozen=True, slots=True)
class _Column:
    header: str
    value: Callable[[GapMetrics], str]
    #: Shown only on consoles at least this wide, so that on a narrow terminal the
    #: columns left keep whole names instead of "Res…" (the JSON has everything).
    min_console: int = 0


_METRICS = (
    _Column("learners", lambda m: f"{m.learners:,}"),
    _Column("demand", lambda m: f"{m.demand:,}", 100),
    _Column("teachers", lambda m: f"{m.teachers:,}"),
    _Column("covered", lambda m: pct(m.coverage)),
    _Column("met across", lambda m: num(m.met_across_groups), 100),
    _Column("unmet demand", lambda m: num(m.unmet_demand)),
    _Column("jr->sr", lambda m: num(m.junior_to_senior), 140),
    _Column("sr->jr", lambda m: num(m.senior_to_junior), 140),
)
WIDE = 140
MEDIUM = 100


def _fits(min_console: int) -> bool:
    return console.width >= min_console


def _groups_table(report: GapReport) -> Table:
    people = report.group_by is not GapGrouping.CATEGORY and _fits(MEDIUM)
    metrics = [c for c in _METRICS if _fits(c.min_console)]
    top_gap = _fits(WIDE)
    table = Table(title=f"By {report.group_by.value}", show_footer=True, header_style="bold")
    totals = report.totals
    table.add_column(report.group_by.value, footer="organisation", min_width=12)
    if people:
        table.add_column("people", justify="right", footer=f"{totals.employees:,}")
    for column in metrics:
        table.add_column(column.header, justify="right", footer=column.value(totals))
    if top_gap:
        table.add_column("top gap", footer="")
    for summary in report.groups:
        cells = [escape(summary.group)]
        if people:
            cells.append(f"{summary.employees:,}")
        cells += [column.value(summary) for column in metrics]
        if top_gap:
            cells.append(escape(summary.top_gaps[0].skill.label) if summary.top_gaps else "[dim]-[/]")
        table.add_row(*cells)
    return table


def _gaps_table(title: str, gaps: list[SkillGap]) -> Table:
    category = _fits(MEDIUM)
    metrics = [c for c in _METRICS[:6] if _fits(c.min_console)]
    table = Table(title=title, header_style="bold")
    table.add_column("#", justify="right")
    table.add_column("skill", min_width=16)
    if category:
        table.add_column("category")
    for column in metrics:
        table.add_column(column.header, justify="right")
    for rank, gap in enumerate(gaps, start=1):
        cells = [str(rank), escape(gap.skill.label) + (" [cyan](digital)[/]" if gap.skill.digital else "")]
        if category:
            cells.append(escape(gap.category))
        table.add_row(*cells, *(column.value(gap) for column in metrics))
    return table


def _at_risk_table(report: GapReport) -> Table:
    totals = report.totals
    table = Table(
        title=f"Knowledge at risk: {totals.at_risk:,} skills held by one person ({totals.at_risk_wanted:,} wanted)",
        header_style="bold",
    )
    table.add_column("skill")
    table.add_column("category")
    table.add_column("held by")
    table.add_column("level", justify="right")
    table.add_column("learners", justify="right")
    table.add_column("demand", justify="right")
    for item in report.at_risk:
        table.add_row(
            escape(item.skill.label),
            escape(item.category),
            f"{escape(item.employee_id)} ({escape(item.group)})",
            str(item.level),
            f"{item.learners:,}",
            f"{item.demand:,}",
        )
    return table


def _flow_table(report: GapReport) -> Table:
    junior = f"1-{report.junior_max}" if report.junior_max > 1 else "1"
    senior = f"{report.senior_min}-5" if report.senior_min < 5 else "5"
    table = Table(
        title=f"Direction of flow: juniors ({junior}) <-> seniors ({senior}), learners who could be taught",
        show_footer=True,
        header_style="bold",
    )
    flows = [f for f in report.flows if f.junior_to_senior or f.senior_to_junior]
    table.add_column("category", footer="all categories")
    for header, values in (
        ("juniors teach seniors", [f.junior_to_senior for f in flows]),
        ("demand", [f.junior_to_senior_demand for f in flows]),
        ("seniors teach juniors", [f.senior_to_junior for f in flows]),
        ("demand", [f.senior_to_junior_demand for f in flows]),
    ):
        table.add_column(header, justify="right", footer=num(round(sum(values), 2)))
    for flow in flows:
        table.add_row(
            escape(flow.category),
            num(flow.junior_to_senior),
            num(flow.junior_to_senior_demand),
            num(flow.senior_to_junior),
            num(flow.senior_to_junior_demand),
        )
    return table


def _print_group(report: GapReport, summary: GroupSummary) -> None:
    people = f"{summary.employees:,} people, " if report.group_by is not GapGrouping.CATEGORY else ""
    console.print(
        f"[bold]{escape(summary.group)}[/] ({report.group_by.value}): {people}{summary.learners:,} learning goals, "
        f"{pct(summary.coverage)} could get a teacher, {num(summary.met_in_group)} inside the group and "
        f"{num(summary.met_across_groups)} from other groups; unmet demand {num(summary.unmet_demand)}.",
        highlight=False,
    )
    console.print(_gaps_table(f"Top {len(summary.top_gaps)} gaps in {escape(summary.group)}", summary.top_gaps))
