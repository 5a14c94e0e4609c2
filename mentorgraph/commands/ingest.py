"""``mentorgraph ingest``: the skill taxonomy, employee files, and GDPR erasure.

Exit codes of ``ingest employees``: 0 every row was imported; 2 the file was read but
some rows were rejected (the valid ones are imported; the others are in the rejects
file); 1 nothing could be done (unreadable file, missing column, store down).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from ingest.employees import FileFormat, check_readable
from ingest.normalise import MatchMethod, SkillNormaliser
from ingest.seed import seed_taxonomy
from ingest.service import IngestReport, erase_employee, ingest_employees
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
from mentorgraph.context import AppContext

#: Exit code when the file was read but some rows were rejected.
EXIT_REJECTED = 2
#: Rows of the rejection and mapping tables printed; the files hold all of them.
SHOWN_ROWS = 30

ingest_app = typer.Typer(help="Load the skill taxonomy and employee files; erase an employee.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(ingest_app, name="ingest")


@contextmanager
def progress_bars() -> Iterator[Progress]:
    """Progress on stderr, so ``--json`` output on stdout stays clean; Rich draws nothing
    when stderr is not a terminal."""
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as progress:
        yield progress


@ingest_app.command("taxonomy")
@friendly_errors
def taxonomy(
    store: StoreOption = None,
    with_labels: Annotated[
        bool,
        typer.Option(
            "--with-labels",
            help="Also embed every alternative label now (about 110,000 short texts, a few minutes once), "
            "instead of on the first free-text skill search or import.",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Load the shipped ESCO and O*NET skills, embed them, and link similar skills (safe to re-run)."""
    with open_context(store) as context, progress_bars() as progress:
        report = seed_taxonomy(store=context.store, embedder=context.embedder, progress=progress)
        if with_labels:
            normaliser = make_normaliser(context, progress)
            normaliser.index.ensure_vectors(normaliser.index_progress)
    if as_json:
        print_json({"store": context.settings.store, **_fields(report), "seconds": round(report.seconds, 2)})
        return
    console.print(
        f"taxonomy: {report.skills:,} skills ({report.embedded:,} embedded, {report.texts_through_model:,} "
        f"new to the embedding cache), {report.similar_edges:,} SIMILAR_TO edges in {report.seconds:.1f} s "
        f"-> {context.settings.store}",
        highlight=False,
        soft_wrap=True,
    )


@ingest_app.command("employees")
@friendly_errors
def employees(
    file: Annotated[
        Path, typer.Argument(help="A CSV, JSON (a list of objects) or JSON Lines file.", show_default=False)
    ],
    store: StoreOption = None,
    rejects: Annotated[
        Path | None,
        typer.Option(help="Where rejected rows go, in the input's format. Default: FILE.rejects.<ext> next to FILE."),
    ] = None,
    file_format: Annotated[
        FileFormat | None, typer.Option("--format", help="Input format. Default: from the file name.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Import employees; rejected rows are reported and written to a rejects file (exit code 2)."""
    check_readable(file)  # before connecting: a typo in the name is the commonest mistake
    with open_context(store) as context, progress_bars() as progress:
        normaliser = make_normaliser(context, progress)
        try:
            report = ingest_employees(
                store=context.store,
                normaliser=normaliser,
                path=file,
                rejects_path=rejects,
                file_format=file_format,
                progress=progress,
            )
        except OSError as exc:
            # Batches already written stay written (each is whole); re-running completes.
            fail(f"cannot write {exc.filename or 'the rejects file'}: {exc.strerror}; choose a place with --rejects")
    if as_json:
        print_json(_report_json(report))
    else:
        _print_report(report)
    if report.rejected:
        raise typer.Exit(code=EXIT_REJECTED)


@ingest_app.command("erase")
@friendly_errors
def erase(
    employee_id: Annotated[str, typer.Argument(help="The id of the employee to erase.", show_default=False)],
    store: StoreOption = None,
) -> None:
    """Erase an employee and every edge they had: skills, goals, reporting line, pairings (GDPR)."""
    with open_context(store) as context:
        erased = erase_employee(store=context.store, employee_id=employee_id)
    if erased:
        console.print(
            f"erased employee {employee_id!r} and all their skills, goals, reporting line and pairings",
            highlight=False,
            soft_wrap=True,
        )
    else:
        console.print(
            f"no employee {employee_id!r} in {context.settings.store}: nothing to erase",
            highlight=False,
            soft_wrap=True,
        )


def make_normaliser(context: AppContext, progress: Progress) -> SkillNormaliser:
    """The normaliser the commands share: its label matrix is kept next to the embedding
    cache, and its one-off embedding shows a progress bar."""
    return SkillNormaliser(
        store=context.store,
        embedder=context.embedder,
        index_progress=label_progress(progress),
        vectors_dir=context.settings.embedding_cache_file().parent,
    )


def label_progress(progress: Progress) -> Callable[[int, int], None]:
    """A progress bar for the one-off embedding of every skill label, shown only if it happens."""
    task: list[TaskID] = []

    def update(done: int, total: int) -> None:
        if not task:
            task.append(progress.add_task("embedding skill labels (first time only)", total=total))
        progress.update(task[0], completed=done)

    return update


def _print_report(report: IngestReport) -> None:
    if report.rejections:
        table = Table(title=f"rejected rows ({report.rejected:,})", title_justify="left")
        for column in ("file", "line", "id", "field", "reason"):
            table.add_column(column, overflow="fold")
        shown = 0
        for rejection in report.rejections:
            for problem in rejection.problems:
                if shown < SHOWN_ROWS:
                    table.add_row(
                        rejection.path.name, str(rejection.line), rejection.employee_id, problem.field, problem.reason
                    )
                shown += 1
        err_console.print(table)
        if report.rejected > len(report.rejections) or shown > SHOWN_ROWS:
            err_console.print(f"... the rest are in {report.rejects_path}", highlight=False, soft_wrap=True)
    doubtful = sorted(
        (m for m in report.mappings.values() if m.method in (MatchMethod.SIMILARITY, MatchMethod.CUSTOM)),
        key=lambda m: (m.confidence, m.text),
    )
    if doubtful:
        # Exact label matches are not in doubt: the table shows what HR should look at.
        table = Table(
            title=f"free-text skills matched by similarity or made custom ({len(doubtful):,}; weakest first)",
            title_justify="left",
        )
        for column in ("text", "skill", "label", "method", "confidence"):
            table.add_column(column, overflow="fold")
        for match in doubtful[:SHOWN_ROWS]:
            method = f"{match.method.value} (new)" if match.created else match.method.value
            style = "yellow" if match.method is MatchMethod.CUSTOM else None
            table.add_row(match.text, match.skill_id, match.label, method, f"{match.confidence:.2f}", style=style)
        console.print(table)
    if report.mapping_path is not None:
        exact = len(report.mappings) - len(doubtful)
        console.print(
            f"skill mapping of {len(report.mappings):,} free-text skills ({exact:,} exact labels) for review: "
            f"{report.mapping_path}",
            highlight=False,
            soft_wrap=True,
        )
    if report.rejects_path is not None:
        err_console.print(
            f"fix the rows in {report.rejects_path} and run the command on it again", highlight=False, soft_wrap=True
        )
    # One unwrapped line, so logs and scripts can grep it whatever the terminal width.
    console.print(f"{report.summary()} in {report.seconds:.1f} s", highlight=False, soft_wrap=True)


def _report_json(report: IngestReport) -> dict[str, Any]:
    return {
        "file": str(report.path),
        "format": report.file_format.value,
        "read": report.read,
        "ingested": report.ingested,
        "rejected": report.rejected,
        "rejects_file": str(report.rejects_path) if report.rejects_path else None,
        "mapping_file": str(report.mapping_path) if report.mapping_path else None,
        "custom_skills_created": report.custom_skills_created,
        "seconds": round(report.seconds, 2),
        "rejections": [
            {"line": r.line, "id": r.employee_id, "field": p.field, "reason": p.reason}
            for r in report.rejections
            for p in r.problems
        ],
        "mappings": [
            {
                "text": m.text,
                "skill_id": m.skill_id,
                "label": m.label,
                "method": m.method.value,
                "confidence": m.confidence,
                "created": m.created,
            }
            for m in sorted(report.mappings.values(), key=lambda m: (m.confidence, m.text))
        ],
    }


def _fields(report: Any) -> dict[str, Any]:
    return {name: getattr(report, name) for name in report.__dataclass_fields__}
