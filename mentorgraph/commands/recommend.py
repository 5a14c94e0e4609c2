"""Recommender commands: ``recommend ID``, ``teachers "QUESTION"``, ``agenda ID1 ID2``.

Thin: each calls the service the API calls and prints Rich tables (or ``--json``).
An unknown id is one "not found" line and exit code 1.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, TypeVar

import typer
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from mentorgraph.commands.common import (
    JsonOption,
    StoreOption,
    console,
    fail,
    friendly_errors,
    open_context,
    print_json,
)
from recommender.errors import RecommenderError
from recommender.models import (
    AgendaItem,
    DirectionScore,
    PairAgenda,
    PersonRef,
    RecommendationList,
    TeacherSearchResult,
)
from recommender.pairing import agenda as agenda_service
from recommender.pairing import recommend as recommend_service
from recommender.policy import MentoringDirection, ProgrammePolicy
from recommender.teachers import find_teachers

T = TypeVar("T")
_DEFAULT = ProgrammePolicy()


def register(app: typer.Typer) -> None:
    app.command("recommend")(recommend)
    app.command("teachers")(teachers)
    app.command("agenda")(agenda)


def _service(call: Callable[[], T]) -> T:
    """Domain errors (not found, meaningless question) as one line and exit code 1."""
    try:
        return call()
    except RecommenderError as exc:
        fail(str(exc))


# --------------------------------------------------------------------------------------
# recommend


@friendly_errors
def recommend(
    employee_id: Annotated[str, typer.Argument(help="The employee to find partners for.")],
    limit: Annotated[int, typer.Option(min=1, max=50, help="How many partners.")] = 5,
    direction: Annotated[
        MentoringDirection,
        typer.Option(help="reverse: the junior teaches the digital topics; traditional; any (peers allowed)."),
    ] = _DEFAULT.direction,
    min_gap: Annotated[
        int, typer.Option("--min-gap", min=0, max=4, help="Seniority levels between partners.")
    ] = _DEFAULT.min_seniority_gap,
    max_hours: Annotated[
        float,
        typer.Option("--max-hours", min=0, max=26, help="Largest time-zone difference in hours (26 = no limit)."),
    ] = _DEFAULT.max_utc_offset_difference or 26.0,
    include_previous: Annotated[
        bool, typer.Option("--include-previous", help="Allow people already paired with, now or before.")
    ] = False,
    two_way_only: Annotated[
        bool, typer.Option("--two-way-only", help="Drop partners where only one side learns.")
    ] = False,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """The best two-way mentoring partners for an employee, with both learning agendas."""
    policy = ProgrammePolicy(
        direction=direction,
        min_seniority_gap=min_gap,
        max_utc_offset_difference=None if max_hours >= 26 else max_hours,
        include_previous_partners=include_previous,
        require_two_way=two_way_only,
    )
    with open_context(store) as context:
        result = _service(
            lambda: recommend_service(store=context.store, employee_id=employee_id, limit=limit, policy=policy)
        )
    if as_json:
        print_json(result)
        return
    _print_recommendations(result)


def _who(person: PersonRef) -> str:
    details = ", ".join(part for part in (person.title, person.department) if part)
    return f"[bold]{escape(person.name)}[/] ({escape(person.id)})" + (f"\n{escape(details)}" if details else "")


def _topics(direction: DirectionScore, most: int = 3) -> str:
    if not direction.agenda:
        return "[dim]-[/]"
    goals = "goal" if direction.goals == 1 else "goals"
    lines = [f"{direction.score:.2f}: {direction.goals_met} of {direction.goals} {goals}"]
    for item in direction.agenda[:most]:
        lines.append(f"• {escape(_item_text(item))}")
    if len(direction.agenda) > most:
        lines.append(f"[dim]+ {len(direction.agenda) - most} more[/]")
    return "\n".join(lines)


def _item_text(item: AgendaItem) -> str:
    if item.match == "exact":
        return f"{item.goal.label} (L{item.level})"
    return f"{item.goal.label} via {item.skill.label} ({item.match.value} {item.similarity:.2f}, L{item.level})"


def _print_recommendations(result: RecommendationList) -> None:
    me = result.employee
    policy = result.policy
    hours = "any" if policy.max_utc_offset_difference is None else f"<= {policy.max_utc_offset_difference:g} h"
    table = Table(
        title=f"Partners for {escape(me.name)} ({escape(me.id)}, seniority {me.seniority})",
        caption=f"policy: {policy.direction.value}, seniority gap >= {policy.min_seniority_gap}, time zones {hours}",
        show_lines=True,
    )
    table.add_column("#", justify="right")
    table.add_column("partner")
    table.add_column("score", justify="right")
    table.add_column("you learn")
    table.add_column("you teach")
    for rec in result.recommendations:
        score = f"{rec.score:.2f}" + ("" if rec.two_way else "\n[yellow]one-way[/]")
        table.add_row(str(rec.rank), _who(rec.partner), score, _topics(rec.you_learn), _topics(rec.you_teach))
    if result.recommendations:
        console.print(table)
        for rec in result.recommendations:
            console.print(f"[bold]{rec.rank}.[/] {escape(rec.explanation)}", soft_wrap=False)
    else:
        console.print(f"No partner found for {escape(me.name)} ({escape(me.id)}).")
    diagnostics = result.diagnostics
    for note in result.notes:
        # The shortfall note is the table below, in words: print it once.
        if diagnostics is None or not diagnostics.reasons or not note.startswith(diagnostics.summary):
            console.print(f"[yellow]note:[/] {escape(note)}")
    if diagnostics is not None and diagnostics.reasons:
        scope = "" if diagnostics.examined_all else f" (the {diagnostics.examined} best-overlapping colleagues)"
        reasons = Table(title=f"{diagnostics.summary} Why not the others{scope}:", title_justify="left")
        reasons.add_column("colleagues", justify="right")
        reasons.add_column("reason")
        for reason in diagnostics.reasons:
            reasons.add_row(str(reason.count), escape(reason.detail))
        console.print(reasons)


# --------------------------------------------------------------------------------------
# teachers


@friendly_errors
def teachers(
    question: Annotated[str, typer.Argument(help='A question, e.g. "who can teach me Pinterest or negotiation?"')],
    asker: Annotated[
        str | None, typer.Option("--as", help="Your employee id: shows what you could teach each of them back.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=50, help="How many colleagues overall.")] = 10,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Who can teach me ...? Colleagues per topic of a free-text question, and overall."""
    with open_context(store) as context:
        result = _service(
            lambda: find_teachers(
                store=context.store, question=question, embedder=context.embedder, asker_id=asker, limit=limit
            )
        )
    if as_json:
        print_json(result)
        return
    _print_teachers(result)


def _print_teachers(result: TeacherSearchResult) -> None:
    for topic in result.topics:
        skills = ", ".join(
            f"{s.skill.label}" + ("" if s.via == "label" else f" ({s.similarity:.2f})") for s in topic.skills
        )
        heading = f"[bold]{escape(topic.topic)}[/]" + (f" -> {escape(skills)}" if skills else "")
        if not topic.teachers:
            console.print(Panel(f"[yellow]{escape(topic.message or 'nobody found')}[/]", title=heading, expand=False))
            continue
        table = Table(title=heading, title_justify="left")
        table.add_column("colleague")
        table.add_column("skill")
        table.add_column("level", justify="right")
        table.add_column("match", justify="right")
        for teacher in topic.teachers:
            table.add_row(_who(teacher.person), escape(teacher.skill.label), str(teacher.level),
                          f"{teacher.similarity:.2f}")  # fmt: skip
        console.print(table)
    if len(result.topics) > 1 and result.teachers:
        table = Table(title="[bold]Overall[/]", title_justify="left", show_lines=True)
        table.add_column("#", justify="right")
        table.add_column("colleague")
        table.add_column("score", justify="right")
        table.add_column("teaches")
        if result.asker is not None:
            table.add_column("you could teach back")
        table.add_column("free?")
        for match in result.teachers:
            teaches = "\n".join(f"{escape(t.topic)}: {escape(t.skill.label)} L{t.level}" for t in match.topics)
            row = [str(match.rank), _who(match.person), f"{match.score:.2f}", teaches]
            if result.asker is not None:
                row.append(_topics(match.can_teach_back, most=2) if match.can_teach_back else "[dim]-[/]")
            row.append("yes" if match.has_capacity else "[yellow]full[/]")
            table.add_row(*row)
        console.print(table)
    elif result.asker is not None and result.teachers:
        back = [m for m in result.teachers if m.can_teach_back is not None and m.can_teach_back.agenda]
        for match in back:
            assert match.can_teach_back is not None
            items = ", ".join(_item_text(i) for i in match.can_teach_back.agenda[:3])
            console.print(f"You could teach {escape(match.person.name)} back: {escape(items)}")
    if result.message:
        console.print(f"[yellow]note:[/] {escape(result.message)}")


# --------------------------------------------------------------------------------------
# agenda


@friendly_errors
def agenda(
    first_id: Annotated[str, typer.Argument(help="One employee.")],
    second_id: Annotated[str, typer.Argument(help="The other employee.")],
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """What two employees can teach each other, best topics first."""
    with open_context(store) as context:
        result = _service(lambda: agenda_service(store=context.store, first_id=first_id, second_id=second_id))
    if as_json:
        print_json(result)
        return
    _print_agenda(result)


def _agenda_table(teacher: PersonRef, learner: PersonRef, items: Sequence[AgendaItem], score: float) -> Table:
    table = Table(
        title=f"{escape(teacher.name)} teaches {escape(learner.name)}  (score {score:.2f})", title_justify="left"
    )
    table.add_column("#", justify="right")
    table.add_column(f"{escape(learner.name)}'s goal")
    table.add_column("priority", justify="right")
    table.add_column(f"{escape(teacher.name)}'s skill")
    table.add_column("level", justify="right")
    table.add_column("match")
    for index, item in enumerate(items, 1):
        match = "exact" if item.match == "exact" else f"{item.match.value} ({item.similarity:.2f})"
        table.add_row(str(index), escape(item.goal.label), str(item.priority), escape(item.skill.label),
                      str(item.level), match)  # fmt: skip
    return table


def _print_agenda(result: PairAgenda) -> None:
    for teacher, learner, direction in (
        (result.first, result.second, result.first_teaches),
        (result.second, result.first, result.second_teaches),
    ):
        if direction.agenda:
            console.print(_agenda_table(teacher, learner, direction.agenda, direction.score))
        else:
            console.print(f"{escape(teacher.name)} cannot help {escape(learner.name)} with any of their goals.")
    console.print(escape(result.explanation))
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/] {escape(warning)}")
