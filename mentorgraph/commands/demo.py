"""``mentorgraph demo``: the main job of a first run, end to end on real data.

Seeds the ESCO + O*NET taxonomy (embedded once, cached), builds a reproducible demo
organisation from the IBM HR mix and ESCO occupations, loads it, and prints what the
product is for: two-way recommendations with both agendas, an answer to "who can teach
me ...?", and the organisation's top skill gaps. It writes to its own store file by
default so it never touches real data.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from graph import GraphStore
from ingest.demo import generate_demo_organisation, write_employees_csv
from ingest.seed import seed_taxonomy
from ingest.taxonomy import load_skills
from mentorgraph.commands.common import console, friendly_errors, open_context
from mentorgraph.context import AppContext
from mentorgraph.settings import get_settings
from recommender.gap_models import GapGrouping
from recommender.gaps import gap_report
from recommender.heatmap import render_heatmap
from recommender.models import PersonRef, RecommendationList
from recommender.pairing import recommend
from recommender.teachers import find_teachers
from schema import Employee

DEMO_QUESTION = "who can teach me Pinterest or WhatsApp marketing?"
EMPLOYEE_BATCH = 1_000


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


@friendly_errors
def demo(
    size: Annotated[
        int, typer.Option(help="Employees in the demo organisation (100 to 100,000).", min=100, max=100_000)
    ] = 500,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same organisation.")] = 7,
    store: Annotated[
        str | None, typer.Option(help="Store to fill. Default: demo.sqlite in MENTORGRAPH_HOME (~/.mentorgraph).")
    ] = None,
    people: Annotated[int, typer.Option(help="How many employees to show recommendations for.", min=1)] = 2,
) -> None:
    """Build a demo organisation from real taxonomy data and show two-way recommendations."""
    target = store or str(get_settings().home / "demo.sqlite")
    started = time.perf_counter()
    with open_context(target) as context, _progress() as progress:
        taxonomy_size = len(load_skills())
        if context.store.counts().skills < taxonomy_size or context.store.skill_ids_without_embedding():
            report = seed_taxonomy(store=context.store, embedder=context.embedder, progress=progress)
            console.print(
                f"taxonomy: {report.skills:,} skills, {report.similar_edges:,} similarity edges "
                f"({report.texts_through_model:,} texts embedded, {report.seconds:.0f} s)"
            )
        organisation = generate_demo_organisation(size=size, seed=seed)
        _replace_employees(context.store, organisation.employees, progress)
        csv_path = Path(get_settings().home) / f"demo-{size}-employees.csv"
        write_employees_csv(path=csv_path, employees=organisation.employees)

    with open_context(target) as context:
        _summary(context.store, target, csv_path, organisation.employees)
        juniors = [e for e in organisation.employees if e.seniority <= 2 and e.goals and e.opt_in][:people]
        for employee in juniors:
            _show_recommendations(recommend(store=context.store, employee_id=employee.id, limit=3))
        asker = juniors[0].id if juniors else None
        _show_teachers(context, asker)
        _show_gaps(context.store, Path(get_settings().home) / "demo-gaps.png")
    console.print(f"[dim]demo finished in {time.perf_counter() - started:.0f} s; store: {target}[/]")


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description:<24}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=False,
    )  # fmt: skip


def _replace_employees(store: GraphStore, employees: list[Employee], progress: Progress) -> None:
    """The demo store holds exactly this organisation: earlier demo employees go first."""
    wanted = {employee.id for employee in employees}
    for stale in set(store.list_employee_ids()) - wanted:
        store.delete_employee(employee_id=stale)
    task = progress.add_task("loading employees", total=len(employees))
    for start in range(0, len(employees), EMPLOYEE_BATCH):
        batch = employees[start : start + EMPLOYEE_BATCH]
        store.upsert_employees(employees=batch)
        progress.advance(task, len(batch))


def _summary(store: GraphStore, target: str, csv_path: Path, employees: list[Employee]) -> None:
    counts = store.counts()
    departments = Counter(e.department for e in employees)
    seniority = Counter(e.seniority for e in employees)
    table = Table(title="demo organisation", show_header=False)
    table.add_row("store", target)
    table.add_row("employee file", str(csv_path))
    table.add_row("employees", f"{counts.employees:,}")
    table.add_row("skills (ESCO + O*NET)", f"{counts.skills:,}")
    table.add_row("skill edges / learning goals", f"{counts.has_skill:,} / {counts.wants_to_learn:,}")
    table.add_row("reporting lines", f"{counts.reports_to:,}")
    table.add_row("departments", ", ".join(f"{name} {n}" for name, n in departments.most_common()))
    table.add_row("seniority 1..5", " / ".join(str(seniority.get(level, 0)) for level in range(1, 6)))
    console.print(table)


def _show_recommendations(result: RecommendationList) -> None:
    me = result.employee
    table = Table(title=f"two-way partners for {me.name} ({me.title}, {me.department}, seniority {me.seniority})")
    table.add_column("#", justify="right")
    table.add_column("partner")
    table.add_column("mutual", justify="right")
    table.add_column("you learn", justify="right")
    table.add_column("you teach", justify="right")
    table.add_column("top topics: you learn / you teach")
    for rec in result.recommendations:
        learn = ", ".join(item.goal.label for item in rec.you_learn.agenda[:2]) or "-"
        teach = ", ".join(item.goal.label for item in rec.you_teach.agenda[:2]) or "-"
        table.add_row(
            str(rec.rank),
            f"{rec.partner.name}\n[dim]{_describe(rec.partner)}[/]",
            f"{rec.mutual_score:.2f}",
            f"{rec.you_learn.score:.2f}",
            f"{rec.you_teach.score:.2f}",
            f"{learn}\n[dim]{teach}[/]",
        )
    console.print(table)
    if result.recommendations:
        console.print(Panel(result.recommendations[0].explanation, title="why the first one", expand=False))
    for note in result.notes:
        console.print(f"[yellow]note:[/] {note}")


def _describe(person: PersonRef) -> str:
    return f"{person.title}, {person.department}, seniority {person.seniority}"


def _show_teachers(context: AppContext, asker_id: str | None) -> None:
    result = find_teachers(
        store=context.store, question=DEMO_QUESTION, embedder=context.embedder, asker_id=asker_id, limit=5
    )
    table = Table(title=f'"{DEMO_QUESTION}"')
    table.add_column("colleague")
    table.add_column("teaches")
    table.add_column("score", justify="right")
    for teacher in result.teachers[:5]:
        topics = "; ".join(f"{t.skill.label} (level {t.level})" for t in teacher.topics[:2])
        table.add_row(f"{teacher.person.name}\n[dim]{teacher.person.title}[/]", topics, f"{teacher.score:.2f}")
    console.print(table)


def _show_gaps(store: GraphStore, heatmap_path: Path) -> None:
    report = gap_report(store=store, group_by=GapGrouping.DEPARTMENT, top=5)
    if report.empty:
        return
    table = Table(title="organisation-wide top skill gaps (demand the organisation cannot meet itself)")
    table.add_column("skill")
    table.add_column("category")
    table.add_column("learners", justify="right")
    table.add_column("teachers", justify="right")
    table.add_column("unmet learners", justify="right")
    for gap in report.top_gaps[:5]:
        table.add_row(gap.skill.label, gap.category, str(gap.learners), str(gap.teachers), f"{gap.unmet_learners:g}")
    console.print(table)
    render_heatmap(report=report, path=heatmap_path)
    console.print(f"gap heatmap (departments x skill categories): {heatmap_path}")
