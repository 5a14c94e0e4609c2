"""Cohort matching commands: ``match`` (propose), ``match review``, ``match publish``, and
``pairings list / show / feedback`` for what was published.

``mentorgraph match COHORT_FILE`` is short for ``mentorgraph match run COHORT_FILE``: the
group runs ``run`` when its first argument is not one of its sub-commands.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.table import Table
from typer.core import TyperGroup

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
from recommender import cohort as service
from recommender.cohort_models import CohortError, MatchOptions, Objective, PairingNotFound, Proposal
from recommender.policy import ProgrammePolicy
from schema.models import Pairing, PairingStatus

T = TypeVar("T")


class _DefaultRunGroup(TyperGroup):
    """``match FILE ...`` runs ``match run FILE ...``; ``match review`` etc. stay commands."""

    # ``ctx`` is typed Any: Typer vendors click, and its Context class is private.

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


match_app = typer.Typer(
    cls=_DefaultRunGroup,
    help=(
        "Pair a whole programme cohort at once, review the proposal, publish it. "
        "`mentorgraph match COHORT_FILE ...` is short for `mentorgraph match run COHORT_FILE ...`."
    ),
    no_args_is_help=True,
)
pairings_app = typer.Typer(help="Published pairings and their feedback.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(match_app, name="match")
    app.add_typer(pairings_app, name="pairings")


ProposalArgument = Annotated[
    Path, typer.Argument(help="A proposal file written by `mentorgraph match` (COHORT.proposal.json).")
]


def _guarded(action: Callable[[], T]) -> T:
    """Run ``action``; print every problem of a :class:`CohortError` (each with its line)
    before the one-line error, so HR can fix the whole file in one go."""
    try:
        return action()
    except CohortError as exc:
        for problem in exc.problems:
            err_console.print(f"  - {problem}", highlight=False, soft_wrap=True)
        fail(exc.summary if exc.problems else str(exc))
    except PairingNotFound as exc:
        fail(str(exc))


# --------------------------------------------------------------------------------------
# match run / review / publish


@match_app.command("run")
@friendly_errors
def run(
    cohort_file: Annotated[Path, typer.Argument(help="The cohort: a .csv or .json file (see the README).")],
    objective: Annotated[
        Objective, typer.Option(help="total: the largest total two-way benefit; coverage: as many people matched.")
    ] = Objective.TOTAL,
    allow_one_sided: Annotated[
        bool, typer.Option("--allow-one-sided", help="Allow pairs where only one partner learns (coverage only).")
    ] = False,
    ban_same_department: Annotated[
        bool, typer.Option("--ban-same-department", help="Never pair two people of the same department.")
    ] = False,
    max_hours_apart: Annotated[
        float, typer.Option(min=0, max=26, help="Largest UTC offset difference of a pair (26 = no limit).")
    ] = 6.0,
    programme: Annotated[str | None, typer.Option(help="Programme name (default: the file's, else its name).")] = None,
    proposal: Annotated[
        Path | None, typer.Option(help="Where to save the proposal. Default: COHORT.proposal.json beside the file.")
    ] = None,
    csv_file: Annotated[
        Path | None, typer.Option("--csv", help="Also write the pairs and the unmatched as CSV.")
    ] = None,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Propose the best pairing of a whole cohort and save it for review."""
    cohort = _guarded(lambda: service.read_cohort(path=cohort_file, programme=programme or ""))
    options = MatchOptions(
        objective=objective,
        require_two_way=not allow_one_sided,
        ban_same_department=ban_same_department,
        programme=cohort.programme,
    )
    policy = ProgrammePolicy(max_utc_offset_difference=None if max_hours_apart >= 26 else max_hours_apart)
    with open_context(store) as context:
        result: Proposal = _guarded(
            lambda: service.propose(store=context.store, cohort=cohort, options=options, policy=policy)
        )
    path = service.save_proposal(path=proposal or service.default_proposal_path(cohort_file), proposal=result)
    _finish(result, path, csv_file, as_json)


def _pair_list(values: list[str] | None) -> list[tuple[str, str]]:
    return [service.parse_pair(v) for v in values or []]


@match_app.command("review")
@friendly_errors
def review_command(
    proposal: ProposalArgument,
    lock: Annotated[
        list[str] | None, typer.Option(help="Keep this pair in every re-run (A:B; adds it if new).")
    ] = None,
    remove: Annotated[list[str] | None, typer.Option(help="Drop this pair and never propose it again (A:B).")] = None,
    swap: Annotated[
        list[str] | None, typer.Option(help="Exchange partners: A:B,C:D becomes A:D and C:B, both locked.")
    ] = None,
    rerun: Annotated[
        bool, typer.Option("--rerun", help="Re-solve the rest of the cohort, keeping locked pairs.")
    ] = False,
    csv_file: Annotated[
        Path | None, typer.Option("--csv", help="Also write the pairs and the unmatched as CSV.")
    ] = None,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Lock, remove or swap pairs of a proposal, optionally re-run the rest; saves it in place."""
    current = service.load_proposal(path=proposal)
    swaps = []
    for value in swap or []:
        halves = value.split(",")
        if len(halves) != 2:
            fail(f"--swap {value!r}: write two pairs as A:B,C:D")
        swaps.append((service.parse_pair(halves[0]), service.parse_pair(halves[1])))
    if not (lock or remove or swaps or rerun):
        fail("nothing to review: give --lock, --remove, --swap or --rerun")
    with open_context(store) as context:
        result: Proposal = _guarded(
            lambda: service.review(
                store=context.store,
                proposal=current,
                lock=_pair_list(lock),
                remove=_pair_list(remove),
                swap=swaps,
                rerun=rerun,
            )
        )
    service.save_proposal(path=proposal, proposal=result)
    _finish(result, proposal, csv_file, as_json)


@match_app.command("publish")
@friendly_errors
def publish_command(proposal: ProposalArgument, store: StoreOption = None, as_json: JsonOption = False) -> None:
    """Store the proposal's pairs as active pairings (excluded from later proposals)."""
    current = service.load_proposal(path=proposal)
    with open_context(store) as context:
        published, result = service.publish(store=context.store, proposal=current)
    service.save_proposal(path=proposal, proposal=published)
    if as_json:
        print_json(result)
        return
    console.print(
        f"published {len(result.pairing_ids)} pairing(s) of [bold]{result.programme}[/]; "
        "partners give feedback with `mentorgraph pairings feedback PAIRING_ID --by ID --rating 1-5`"
    )


# --------------------------------------------------------------------------------------
# output


def _finish(result: Proposal, path: Path, csv_file: Path | None, as_json: bool) -> None:
    if csv_file is not None:
        write_csv(result, csv_file)
    if as_json:
        print_json(result)
        return
    _print_proposal(result)
    console.print(f"\nproposal saved to [bold]{path}[/]")
    console.print(
        f"review: mentorgraph match review {path} --lock A:B --remove A:B --swap A:B,C:D --rerun\n"
        f"publish: mentorgraph match publish {path}",
        highlight=False,
    )


def _print_proposal(result: Proposal) -> None:
    stats = result.stats
    table = Table(title=f"{result.programme}: {stats.pairs} pairs ({stats.objective.value})", show_lines=False)
    table.add_column("senior")
    table.add_column("junior")
    table.add_column("score", justify="right")
    table.add_column("senior teaches")
    table.add_column("junior teaches")
    for pair in result.pairs:
        table.add_row(
            f"{pair.senior.id} {pair.senior.name}" + (" (locked)" if pair.locked else ""),
            f"{pair.junior.id} {pair.junior.name}",
            f"{pair.score:.2f}",
            _topic_cell(pair.senior_teaches.agenda),
            _topic_cell(pair.junior_teaches.agenda),
        )
    console.print(table)
    med = "-" if stats.median_benefit is None else f"{stats.median_benefit:.3f}"
    low = "-" if stats.min_benefit is None else f"{stats.min_benefit:.3f}"
    console.print(
        f"total benefit {stats.total_benefit:.3f} | per-person benefit min {low}, median {med} | "
        f"{stats.matched} of {stats.participants} matched | two-way pairs {stats.two_way_share:.0%}",
        highlight=False,
    )
    if result.unmatched:
        left = Table(title=f"unmatched ({len(result.unmatched)})")
        left.add_column("who")
        left.add_column("side")
        left.add_column("why")
        for person in result.unmatched:
            left.add_row(f"{person.person.id} {person.person.name}", person.side.value, person.detail)
        console.print(left)


def _topic_cell(agenda: list[Any], most: int = 2) -> str:
    labels = [item.goal.label for item in agenda[:most]]
    more = len(agenda) - most
    return ", ".join(labels) + (f" +{more}" if more > 0 else "")


CSV_COLUMNS = (
    "senior_id",
    "senior_name",
    "junior_id",
    "junior_name",
    "score",
    "senior_teaches_score",
    "junior_teaches_score",
    "senior_teaches",
    "junior_teaches",
    "locked",
    "unmatched_reason",
    "detail",
)


def write_csv(result: Proposal, path: Path) -> None:
    """One row per pair, then one per unmatched person (partner columns empty)."""
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for pair in result.pairs:
            writer.writerow(
                [
                    pair.senior.id,
                    pair.senior.name,
                    pair.junior.id,
                    pair.junior.name,
                    f"{pair.score:.6f}",
                    f"{pair.senior_teaches.score:.6f}",
                    f"{pair.junior_teaches.score:.6f}",
                    "; ".join(item.goal.label for item in pair.senior_teaches.agenda),
                    "; ".join(item.goal.label for item in pair.junior_teaches.agenda),
                    "yes" if pair.locked else "",
                    "",
                    pair.explanation,
                ]
            )
        for person in result.unmatched:
            ids = [person.person.id, person.person.name, "", ""]
            if person.side.value == "junior":
                ids = ["", "", person.person.id, person.person.name]
            writer.writerow([*ids, "", "", "", "", "", "", person.reason.value, person.detail])


# --------------------------------------------------------------------------------------
# pairings


@pairings_app.command("list")
@friendly_errors
def pairings_list(
    employee_id: Annotated[str | None, typer.Argument(help="Only this employee's pairings.")] = None,
    programme: Annotated[str | None, typer.Option(help="Only this programme's pairings.")] = None,
    status: Annotated[PairingStatus | None, typer.Option(help="Only pairings with this status.")] = None,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """List pairings (all, or one employee's)."""
    with open_context(store) as context:
        found = service.list_pairings(store=context.store, employee_id=employee_id, programme=programme, status=status)
    if as_json:
        print_json([p.model_dump(mode="json") for p in found])
        return
    if not found:
        console.print("no pairings" + (f" for {employee_id}" if employee_id else ""))
        return
    table = Table(title=f"{len(found)} pairing(s)")
    for column in ("id", "partners", "programme", "status", "feedback"):
        table.add_column(column)
    for pairing in found:
        table.add_row(
            pairing.id,
            " & ".join(pairing.employee_ids),
            pairing.programme,
            pairing.status.value,
            _feedback_cell(pairing),
        )
    console.print(table)


def _feedback_cell(pairing: Pairing) -> str:
    if not pairing.feedback:
        return "-"
    latest = {f.by_employee_id: f.rating for f in pairing.feedback}
    return ", ".join(f"{who} {rating}/5" for who, rating in sorted(latest.items()))


@pairings_app.command("show")
@friendly_errors
def pairings_show(
    pairing_id: Annotated[str, typer.Argument(help="The pairing's id (see `pairings list`).")],
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """One pairing with every feedback entry."""
    with open_context(store) as context:
        pairing: Pairing = _guarded(lambda: service.get_pairing_or_raise(store=context.store, pairing_id=pairing_id))
    if as_json:
        print_json(pairing)
        return
    console.print(
        f"[bold]{pairing.id}[/]: {' & '.join(pairing.employee_ids)} | {pairing.programme} | {pairing.status.value}"
    )
    for entry in pairing.feedback:
        topics = f" | topics: {', '.join(entry.topics_covered)}" if entry.topics_covered else ""
        comment = f" | {entry.comment}" if entry.comment else ""
        console.print(f"  {entry.by_employee_id}: {entry.rating}/5{topics}{comment}", highlight=False)


@pairings_app.command("feedback")
@friendly_errors
def pairings_feedback(
    pairing_id: Annotated[str, typer.Argument(help="The pairing's id (see `pairings list`).")],
    by: Annotated[str, typer.Option("--by", help="The partner giving the feedback (employee id).")],
    rating: Annotated[int, typer.Option(min=1, max=5, help="1 (poor) .. 5 (excellent).")],
    topic: Annotated[list[str] | None, typer.Option(help="A topic covered (repeat for several).")] = None,
    comment: Annotated[str, typer.Option(help="Free comment.")] = "",
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record one partner's feedback on a published pairing (both partners can give it)."""
    with open_context(store) as context:
        updated: Pairing = _guarded(
            lambda: service.add_feedback(
                store=context.store,
                pairing_id=pairing_id,
                by_employee_id=by,
                rating=rating,
                topics_covered=topic or [],
                comment=comment,
            )
        )
    if as_json:
        print_json(updated)
        return
    entries = len(updated.feedback)
    console.print(f"feedback recorded on {updated.id} ({entries} entr{'y' if entries == 1 else 'ies'} in all)")
