"""Importing an employee file into the store: the service the CLI (and the API) call.

How a file goes in (``ingest_employees``):

1. **Scan** (pass 1, streaming): file-level problems (missing columns, empty file,
   broken JSON) stop everything before anything is written; the ids in the file and the
   line each first appears on are collected, so a manager may come after their reports
   and a duplicate id can name the line of the first one.
2. **Import** (pass 2, streaming): each row is validated; valid rows are collected into
   batches of :data:`BATCH_SIZE`; the batch's skill references are resolved by the
   :class:`~ingest.normalise.SkillNormaliser` (ids, labels, free text), and the batch is
   written with one ``upsert_employees`` call, i.e. one transaction. Rejected rows go to
   the rejects file, in the input's format, with the reason.

Consequences the README documents: a kill or crash loses at most the batch in flight,
never half an employee; running the same file again writes the same state (upserts
replace an employee's skills and goals with the file's); memory holds one batch, the ids
of the file and the distinct skill texts, never the file.
"""

from __future__ import annotations

import csv
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rich.progress import Progress

from graph.errors import InvalidReference
from graph.store import GraphStore
from ingest.employees import (
    FIELDS,
    REJECT_REASON_FIELD,
    FieldProblem,
    FileFormat,
    InputFileError,
    ParsedRow,
    RawRow,
    RejectsWriter,
    RowInvalid,
    SkillRef,
    build_employee,
    check_readable,
    detect_format,
    parse_row,
    read_csv_header,
    read_rows,
)
from ingest.normalise import MatchMethod, SkillMatch, SkillNormaliser, UnknownSkill
from schema.models import Employee, EmployeeSkill, LearningGoal

BATCH_SIZE = 500
#: Rejections kept in memory for the report table; all of them go to the rejects file.
MAX_REPORTED_REJECTIONS = 200
MAPPING_COLUMNS = (
    "text",
    "skill_id",
    "skill_label",
    "method",
    "confidence",
    "new_custom_skill",
    "rows",
    # For custom skills: the nearest taxonomy skill, which HR may prefer to map the text to.
    "nearest_skill_id",
    "nearest_skill_label",
)

__all__ = [
    "BATCH_SIZE",
    "FIELDS",
    "IngestReport",
    "InputFileError",
    "Rejection",
    "default_mapping_path",
    "default_rejects_path",
    "erase_employee",
    "ingest_employees",
]


@dataclass(frozen=True, slots=True)
class Rejection:
    path: Path
    line: int
    employee_id: str
    problems: tuple[FieldProblem, ...]


@dataclass(slots=True)
class IngestReport:
    path: Path
    file_format: FileFormat
    read: int = 0
    ingested: int = 0
    rejected: int = 0
    #: The first :data:`MAX_REPORTED_REJECTIONS` rejections, in file order.
    rejections: list[Rejection] = field(default_factory=list)
    #: Free-text skill mappings (ids given as ids are not listed), by text.
    mappings: dict[str, SkillMatch] = field(default_factory=dict)
    rejects_path: Path | None = None
    mapping_path: Path | None = None
    seconds: float = 0.0

    @property
    def custom_skills_created(self) -> int:
        return sum(1 for match in self.mappings.values() if match.created)

    def summary(self) -> str:
        return f"{self.path}: read {self.read:,} · ingested {self.ingested:,} · rejected {self.rejected:,}"


def default_rejects_path(path: Path) -> Path:
    """``staff.csv`` -> ``staff.rejects.csv``, next to the input."""
    return path.with_name(f"{path.stem}.rejects{path.suffix or '.csv'}")


def default_mapping_path(rejects_path: Path, source: Path) -> Path:
    """The skill mapping goes next to the rejects file: ``staff.mapping.csv``."""
    return rejects_path.with_name(f"{source.stem}.mapping.csv")


def ingest_employees(
    *,
    store: GraphStore,
    normaliser: SkillNormaliser,
    path: Path,
    rejects_path: Path | None = None,
    mapping_path: Path | None = None,
    file_format: FileFormat | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
) -> IngestReport:
    """Import the employees of ``path``; see the module docstring for the guarantees.

    Raises :class:`~ingest.employees.InputFileError` (nothing written) when the file
    cannot be read as a whole.
    """
    started = time.perf_counter()
    path = Path(path)
    check_readable(path)
    file_format = file_format or detect_format(path)
    rejects_path = rejects_path or default_rejects_path(path)
    mapping_path = mapping_path or default_mapping_path(rejects_path, path)
    if rejects_path.resolve() == path.resolve() or mapping_path.resolve() == path.resolve():
        raise InputFileError(f"{path}: the rejects or mapping file would overwrite the input; choose another --rejects")
    columns = [c for c in read_csv_header(path) if c != REJECT_REASON_FIELD] if file_format is FileFormat.CSV else None

    # Pass 1: the ids in the file (and where each first appears), the managers they name.
    scan = _scan(path, file_format, progress)
    if scan.rows == 0:
        raise InputFileError(f"{path}: the file has no employee rows")
    outside = sorted(scan.managers - scan.first_line.keys())
    known_managers = set(scan.first_line)
    if outside:
        in_store = set(store.list_employee_ids())
        known_managers |= {manager for manager in outside if manager in in_store}

    report = IngestReport(path=path, file_format=file_format)
    task = progress.add_task(f"importing {path.name}", total=scan.rows) if progress is not None else None
    seen: set[str] = set()
    batch: list[ParsedRow] = []
    rows_of_text: dict[str, int] = {}

    with RejectsWriter(path=rejects_path, file_format=file_format, columns=columns) as rejects:

        def reject(row: RawRow, problems: Sequence[FieldProblem]) -> None:
            report.rejected += 1
            if len(report.rejections) < MAX_REPORTED_REJECTIONS:
                report.rejections.append(Rejection(path, row.line, row.employee_id, tuple(problems)))
            rejects.write(row, problems)

        def flush() -> None:
            if batch:
                _import_batch(store, normaliser, batch, report, reject, rows_of_text)
                batch.clear()

        for row in read_rows(path, file_format=file_format):
            report.read += 1
            if progress is not None and task is not None:
                progress.advance(task)
            employee_id = row.employee_id
            if employee_id and not row.problems:
                if employee_id in seen:
                    first = scan.first_line[employee_id]
                    reject(row, [FieldProblem("id", f"duplicate id {employee_id!r}: first given on line {first}")])
                    continue
                seen.add(employee_id)
            parsed = parse_row(row, file_format=file_format)
            if parsed is None:
                reject(row, row.problems)
                continue
            manager = parsed.values.get("manager_id")
            if manager and manager not in known_managers:
                reject(
                    row,
                    [FieldProblem("manager_id", f"{manager!r} is neither an employee in this file nor in the store")],
                )
                continue
            batch.append(parsed)
            if len(batch) >= batch_size:
                flush()
        flush()
        # An old rejects file would now be wrong: a clean run removes it.
        if report.rejected == 0:
            rejects.abort()
            rejects_path.unlink(missing_ok=True)
        else:
            report.rejects_path = rejects_path

    if report.mappings:
        _write_mapping(mapping_path, report.mappings, rows_of_text)
        report.mapping_path = mapping_path
    else:
        mapping_path.unlink(missing_ok=True)  # a mapping from an earlier run of this file
    report.seconds = time.perf_counter() - started
    return report


@dataclass(slots=True)
class _Scan:
    rows: int = 0
    first_line: dict[str, int] = field(default_factory=dict)
    managers: set[str] = field(default_factory=set)


def _scan(path: Path, file_format: FileFormat, progress: Progress | None) -> _Scan:
    scan = _Scan()
    # The number of rows is not known yet: a spinner with a running count.
    task = progress.add_task(f"checking {path.name}", total=None) if progress is not None else None
    for row in read_rows(path, file_format=file_format):
        scan.rows += 1
        employee_id = row.employee_id
        if employee_id and not row.problems:
            scan.first_line.setdefault(employee_id, row.line)
        manager = row.fields.get("manager_id")
        if isinstance(manager, str) and manager.strip():
            scan.managers.add(manager.strip())
        if progress is not None and task is not None and scan.rows % 1000 == 0:
            progress.update(task, completed=scan.rows)
    if progress is not None and task is not None:
        progress.update(task, total=scan.rows, completed=scan.rows)
    return scan


def _import_batch(
    store: GraphStore,
    normaliser: SkillNormaliser,
    batch: list[ParsedRow],
    report: IngestReport,
    reject: Callable[[RawRow, Sequence[FieldProblem]], None],
    rows_of_text: dict[str, int],
) -> None:
    texts = list(dict.fromkeys(ref.text for parsed in batch for ref in (*parsed.skills, *parsed.goals)))
    resolved = normaliser.resolve(texts)
    employees: list[tuple[ParsedRow, Employee]] = []
    for parsed in batch:
        problems: list[FieldProblem] = []
        skills = _resolve_refs(parsed.skills, resolved, "skills", problems)
        goals = _resolve_refs(parsed.goals, resolved, "goals", problems)
        if problems:
            reject(parsed.raw, problems)
            continue
        try:
            employee = build_employee(
                parsed,
                skills=[EmployeeSkill(skill_id=s, level=v) for s, v in skills.items()],
                goals=[LearningGoal(skill_id=s, priority=v) for s, v in goals.items()],
            )
        except RowInvalid as exc:
            reject(parsed.raw, exc.problems)
            continue
        employees.append((parsed, employee))
        for ref in (*parsed.skills, *parsed.goals):
            match = resolved[ref.text]
            if isinstance(match, SkillMatch) and match.method is not MatchMethod.ID:
                report.mappings.setdefault(ref.text, match)
                rows_of_text[ref.text] = rows_of_text.get(ref.text, 0) + 1
    if not employees:
        return
    try:
        store.upsert_employees(employees=[employee for _, employee in employees])
    except InvalidReference:
        # A skill vanished between resolving and writing (deleted concurrently): write
        # row by row so only the rows that name it are rejected.
        for parsed, employee in employees:
            try:
                store.upsert_employees(employees=[employee])
            except InvalidReference as exc:
                reject(parsed.raw, [FieldProblem("skills", f"unknown skill ids: {', '.join(exc.missing)}")])
                continue
            report.ingested += 1
        return
    report.ingested += len(employees)


def _resolve_refs(
    refs: Sequence[SkillRef],
    resolved: dict[str, SkillMatch | UnknownSkill],
    name: str,
    problems: list[FieldProblem],
) -> dict[str, int]:
    """Skill id -> level (or priority). Two texts naming the same skill ("JS" and
    "JavaScript") keep the higher value."""
    out: dict[str, int] = {}
    for ref in refs:
        match = resolved[ref.text]
        if isinstance(match, UnknownSkill):
            problems.append(FieldProblem(name, match.reason))
            continue
        out[match.skill_id] = max(out.get(match.skill_id, 0), ref.value)
    return out


def _write_mapping(path: Path, mappings: dict[str, SkillMatch], rows_of_text: dict[str, int]) -> None:
    """What each free-text skill became, weakest first, so HR reviews the doubtful ones."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(MAPPING_COLUMNS)
            for match in sorted(mappings.values(), key=lambda m: (m.confidence, m.text)):
                writer.writerow(
                    [
                        match.text,
                        match.skill_id,
                        match.label,
                        match.method.value,
                        f"{match.confidence:.3f}",
                        "yes" if match.created else "no",
                        rows_of_text.get(match.text, 0),
                        match.nearest_id,
                        match.nearest_label,
                    ]
                )
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def erase_employee(*, store: GraphStore, employee_id: str) -> bool:
    """GDPR erasure: the employee, their skills, goals, reporting line and pairings.
    False if there was nobody with that id (not an error)."""
    return store.delete_employee(employee_id=employee_id)
