"""Reading employee files (CSV, JSON, JSON Lines) row by row, and validating each row.

Why row by row: an HR export can be tens of megabytes, so nothing here holds a whole file
in memory: CSV and JSON Lines are read a line at a time and a JSON list is decoded one
element at a time (:class:`_JsonListReader`). Every row keeps the line it started on and
its original cells or text, so a rejected row can be reported as ``file:line field:
reason`` and written back, unchanged, to a rejects file in the input's own format.

Problems with the file as a whole (missing columns, an empty file, broken JSON syntax)
raise :class:`InputFileError`; problems with one row become :class:`FieldProblem` s on
that row and never stop the others.

Skill references are kept as text here (``SkillRef``): turning "pinterest mktg" into a
skill id is the normaliser's job (``ingest.normalise``), and the final ``Employee`` is
built by :func:`build_employee` once every reference is resolved.
"""

from __future__ import annotations

import codecs
import csv
import json
import math
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

from pydantic import ValidationError

from schema.models import Employee, EmployeeSkill, LearningGoal, parse_utc_offset

#: The columns of the CSV format, in the order the examples and the rejects file use.
FIELDS = (
    "id",
    "name",
    "title",
    "department",
    "seniority",
    "manager_id",
    "location",
    "utc_offset",
    "capacity",
    "opt_in",
    "skills",
    "goals",
)
#: Columns (CSV) or keys (JSON) every row must have. Every CSV column is required: a
#: file without a ``skills`` column would otherwise silently erase everyone's skills on
#: update, because an update replaces skills and goals.
REQUIRED_JSON_KEYS = ("id", "name")
#: The column / key added to rejected rows in the rejects file; readers ignore it, so the
#: fixed rejects file can be fed back as it is.
REJECT_REASON_FIELD = "rejected_because"
DEFAULT_PRIORITY = 3
#: A JSON list element bigger than this is not an employee: stop instead of buffering it.
MAX_JSON_ELEMENT_CHARS = 16 * 1024 * 1024
_CHUNK_CHARS = 1 << 16
_TRUE = frozenset({"true", "yes", "y", "1"})
_FALSE = frozenset({"false", "no", "n", "0"})


class FileFormat(StrEnum):
    CSV = "csv"
    JSON = "json"
    JSONL = "jsonl"


class InputFileError(ValueError):
    """The file cannot be read at all (nothing of it is imported); the message names the
    file, the line where it can, and what to do."""


@dataclass(frozen=True, slots=True)
class FieldProblem:
    field: str
    reason: str


@dataclass(frozen=True, slots=True)
class SkillRef:
    """One entry of ``skills`` or ``goals`` as the user wrote it: an id or free text."""

    text: str
    #: The level (skills) or priority (goals).
    value: int


@dataclass(slots=True)
class RawRow:
    """One row as read, before validation."""

    line: int
    #: CSV: the cells by column name (strings); JSON: the decoded object.
    fields: dict[str, Any]
    #: What is written back to the rejects file: CSV cells, a JSON object, or a raw line.
    original: list[str] | dict[str, Any] | str
    problems: list[FieldProblem] = field(default_factory=list)

    @property
    def employee_id(self) -> str:
        value = self.fields.get("id")
        return value.strip() if isinstance(value, str) else ""


@dataclass(slots=True)
class ParsedRow:
    """A row whose plain fields are valid; skill references still to be resolved."""

    line: int
    raw: RawRow
    values: dict[str, Any]
    skills: list[SkillRef]
    goals: list[SkillRef]


def detect_format(path: Path) -> FileFormat:
    """The format from the file name (.csv, .json, .jsonl / .ndjson), else from the first
    character: ``[`` is a JSON list, ``{`` JSON Lines, anything else CSV."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv", ".txt"):
        return FileFormat.CSV
    if suffix == ".json":
        return FileFormat.JSON
    if suffix in (".jsonl", ".ndjson"):
        return FileFormat.JSONL
    with path.open("rb") as handle:
        start = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    if start.startswith(b"["):
        return FileFormat.JSON
    if start.startswith(b"{"):
        return FileFormat.JSONL
    return FileFormat.CSV


def check_readable(path: Path) -> None:
    """Raise :class:`InputFileError` for a missing, unreadable or empty file."""
    if not path.exists():
        raise InputFileError(f"{path}: no such file")
    if not path.is_file():
        raise InputFileError(f"{path}: not a file")
    try:
        with path.open("rb") as handle:
            start = handle.read(65536)
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read it ({exc.strerror})") from exc
    if not start.lstrip(b"\xef\xbb\xbf \t\r\n"):
        raise InputFileError(f"{path}: the file is empty; expected a header line and one employee per row")


def read_rows(path: Path, *, file_format: FileFormat) -> Iterator[RawRow]:
    """Every data row of the file, in order, without holding the file in memory."""
    check_readable(path)
    if file_format is FileFormat.CSV:
        yield from _read_csv(path)
    elif file_format is FileFormat.JSONL:
        yield from _read_jsonl(path)
    else:
        yield from _read_json(path)


# -- CSV -------------------------------------------------------------------------------


def _open_text(path: Path) -> IO[str]:
    # surrogateescape keeps undecodable bytes as lone surrogates: the row that holds them
    # is rejected (naming line and column) and written back byte for byte, instead of the
    # whole file failing on one stray Latin-1 character.
    return path.open("r", encoding="utf-8-sig", errors="surrogateescape", newline="")


def read_csv_header(path: Path) -> list[str]:
    """The header of a CSV file; :class:`InputFileError` names any missing column."""
    with _open_text(path) as handle:
        header = next(csv.reader(handle), None)
    return _check_header(path, header)


def _check_header(path: Path, header: list[str] | None) -> list[str]:
    if not header or not any(cell.strip() for cell in header):
        raise InputFileError(f"{path}: the file is empty; expected the header line {','.join(FIELDS)}")
    columns = [cell.strip().lower() for cell in header]
    if _has_surrogates("".join(columns)):
        raise InputFileError(f"{path} line 1: the header is not valid UTF-8; save the file as UTF-8")
    missing = [name for name in FIELDS if name not in columns]
    if missing:
        plural = "s" if len(missing) > 1 else ""
        raise InputFileError(
            f"{path} line 1: missing column{plural} {', '.join(missing)} "
            f"(the header must name: {','.join(FIELDS)}; found: {','.join(columns)})"
        )
    duplicated = sorted({name for name in columns if name and columns.count(name) > 1})
    if duplicated:
        raise InputFileError(f"{path} line 1: column {', '.join(duplicated)} appears more than once")
    return columns


def _read_csv(path: Path) -> Iterator[RawRow]:
    with _open_text(path) as handle:
        reader = csv.reader(handle, strict=False)
        columns = _check_header(path, next(reader, None))
        end_of_previous = reader.line_num
        for cells in reader:
            line = end_of_previous + 1
            end_of_previous = reader.line_num
            if not cells or not any(cell.strip() for cell in cells):
                continue
            problems: list[FieldProblem] = []
            if len(cells) != len(columns):
                extra_reason = next((i for i, name in enumerate(columns) if name == REJECT_REASON_FIELD), None)
                # A fixed rejects file may have lost its trailing reason cell: that is fine.
                if not (extra_reason is not None and len(cells) == len(columns) - 1):
                    problems.append(FieldProblem("-", f"has {len(cells)} cells, the header has {len(columns)} columns"))
            values = {name: (cells[i] if i < len(cells) else "") for i, name in enumerate(columns) if name}
            problems.extend(_encoding_problems(values))
            original = list(cells)
            if REJECT_REASON_FIELD in columns:
                index = columns.index(REJECT_REASON_FIELD)
                original = [cell for i, cell in enumerate(cells) if i != index]
            yield RawRow(line=line, fields=values, original=original, problems=problems)


def _has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _encoding_problems(values: Mapping[str, Any]) -> list[FieldProblem]:
    """One problem per field holding undecodable bytes, looking inside JSON lists and
    objects too (a bad byte in a skill name must not reach the store)."""
    problems = []
    for name, value in values.items():
        bad = _undecodable(value)
        if bad is not None:
            raw = bad.encode("utf-8", errors="surrogateescape")
            byte = next(ord(ch) - 0xDC00 for ch in bad if "\udc80" <= ch <= "\udcff")
            problems.append(
                FieldProblem(name, f"is not valid UTF-8 (byte 0x{byte:02x} in {raw!r}); save the file as UTF-8")
            )
    return problems


def _undecodable(value: object) -> str | None:
    """The first string in ``value`` that holds undecodable bytes, if any."""
    if isinstance(value, str):
        return value if _has_surrogates(value) else None
    if isinstance(value, dict):
        value = [*value.keys(), *value.values()]
    if isinstance(value, list):
        for item in value:
            found = _undecodable(item)
            if found is not None:
                return found
    return None


# -- JSON Lines ------------------------------------------------------------------------


def _read_jsonl(path: Path) -> Iterator[RawRow]:
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            text = raw.decode("utf-8", errors="surrogateescape")
            if number == 1:
                text = text.removeprefix("\ufeff")
            stripped = text.strip()
            if not stripped:
                continue
            row = RawRow(line=number, fields={}, original=text.rstrip("\r\n"))
            try:
                # Undecodable bytes survive decoding as lone surrogates, so a line with a
                # stray Latin-1 byte still parses and the problem can name its field.
                value = json.loads(stripped)
            except json.JSONDecodeError as exc:
                if _has_surrogates(stripped):
                    row.problems.extend(_encoding_problems({"-": stripped}))
                else:
                    row.problems.append(FieldProblem("-", f"is not valid JSON ({exc.msg} at column {exc.colno})"))
                yield row
                continue
            _fill_object(row, value)
            yield row


def _fill_object(row: RawRow, value: object) -> None:
    if not isinstance(value, dict):
        row.problems.append(FieldProblem("-", f"expected a JSON object with the employee's fields, got {_kind(value)}"))
        return
    row.fields = value
    row.original = {key: item for key, item in value.items() if key != REJECT_REASON_FIELD}
    row.problems.extend(_encoding_problems(value))


def _kind(value: object) -> str:
    return {list: "a list", str: "a string", int: "a number", float: "a number", bool: "true/false"}.get(
        type(value), "null" if value is None else type(value).__name__
    )


# -- JSON (a list of objects) ----------------------------------------------------------


class _JsonListReader:
    """Decodes ``[{...}, {...}, ...]`` one element at a time from a text stream, keeping
    the line each element starts on. Memory is bounded by the largest element, not the
    file."""

    def __init__(self, path: Path, handle: IO[bytes]) -> None:
        self._path = path
        self._handle = handle
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="surrogateescape")
        self._json = json.JSONDecoder()
        self._buffer = ""
        self._pos = 0
        self._line = 1
        self._eof = False

    def _fill(self) -> bool:
        if self._eof:
            return False
        chunk = self._handle.read(_CHUNK_CHARS)
        if self._pos > _CHUNK_CHARS:
            self._buffer = self._buffer[self._pos :]
            self._pos = 0
        if chunk:
            self._buffer += self._decoder.decode(chunk)
        else:
            self._buffer += self._decoder.decode(b"", final=True)
            self._eof = True
        return True

    def _peek(self) -> str:
        """The next non-blank character ("" at the end of the file), counting lines."""
        while True:
            while self._pos < len(self._buffer) and self._buffer[self._pos] in " \t\r\n":
                if self._buffer[self._pos] == "\n":
                    self._line += 1
                self._pos += 1
            if self._pos < len(self._buffer):
                return self._buffer[self._pos]
            if not self._fill():
                return ""

    def _error(self, line: int, message: str) -> InputFileError:
        return InputFileError(f"{self._path} line {line}: {message}; nothing was imported")

    def __iter__(self) -> Iterator[tuple[int, object]]:
        if self._peek() != "[":
            raise InputFileError(
                f"{self._path} line {self._line}: expected a JSON list of employee objects ([{{...}}, ...]); "
                "for one object per line name the file .jsonl"
            )
        self._pos += 1
        if self._peek() == "]":
            self._pos += 1
            self._expect_end()
            return
        while True:
            if self._peek() == "":
                raise self._error(self._line, "the JSON list is not closed with ]")
            line = self._line
            value, end = self._decode(line)
            self._line += self._buffer.count("\n", self._pos, end)
            self._pos = end
            yield line, value
            following = self._peek()
            if following == ",":
                self._pos += 1
                continue
            if following == "]":
                self._pos += 1
                self._expect_end()
                return
            if following == "":
                raise self._error(self._line, "the JSON list is not closed with ]")
            raise self._error(self._line, f"expected ',' or ']' after the element that starts on line {line}")

    def _decode(self, line: int) -> tuple[object, int]:
        while True:
            try:
                value, end = self._json.raw_decode(self._buffer, self._pos)
            except json.JSONDecodeError as exc:
                if self._fill() and len(self._buffer) - self._pos <= MAX_JSON_ELEMENT_CHARS:
                    continue
                if len(self._buffer) - self._pos > MAX_JSON_ELEMENT_CHARS:
                    raise self._error(line, "one element of the list is larger than 16 MB") from exc
                error_line = line + self._buffer.count("\n", self._pos, exc.pos)
                raise self._error(error_line, f"invalid JSON ({exc.msg})") from exc
            # A number or literal may continue in the next chunk: decode again with more text.
            if end >= len(self._buffer) and self._fill():
                continue
            return value, end

    def _expect_end(self) -> None:
        if self._peek() != "":
            raise self._error(self._line, "unexpected text after the closing ] of the list")


def _read_json(path: Path) -> Iterator[RawRow]:
    with path.open("rb") as handle:
        for line, value in _JsonListReader(path, handle):
            row = RawRow(line=line, fields={}, original={})
            _fill_object(row, value)
            if not isinstance(value, dict):
                row.original = {"_invalid_element": value}
            yield row


# -- validating one row ----------------------------------------------------------------


def parse_row(row: RawRow, *, file_format: FileFormat) -> ParsedRow | None:
    """Check the plain fields of a row; add a :class:`FieldProblem` for each bad field.
    Returns None when the row has any problem."""
    if row.problems:
        return None
    fields = row.fields
    problems = row.problems
    if file_format is not FileFormat.CSV:
        for key in REQUIRED_JSON_KEYS:
            if key not in fields:
                problems.append(FieldProblem(key, "is missing"))
        for key in fields:
            if key not in FIELDS and key != REJECT_REASON_FIELD and not key.startswith("_"):
                problems.append(FieldProblem(key, f"is not a known field (known: {', '.join(FIELDS)})"))
    values: dict[str, Any] = {}
    for name, convert in _CONVERTERS.items():
        raw = fields.get(name)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        try:
            values[name] = convert(raw)
        except (ValueError, TypeError) as exc:
            problems.append(FieldProblem(name, str(exc)))
    skills = _refs(fields.get("skills"), "skills", "level", required=True, problems=problems)
    goals = _refs(fields.get("goals"), "goals", "priority", required=False, problems=problems)
    if problems:
        return None
    return ParsedRow(line=row.line, raw=row, values=values, skills=skills, goals=goals)


def build_employee(parsed: ParsedRow, *, skills: Sequence[EmployeeSkill], goals: Sequence[LearningGoal]) -> Employee:
    """The final model; raises :class:`RowInvalid` with field-level problems."""
    try:
        return Employee(**parsed.values, skills=tuple(skills), goals=tuple(goals))
    except ValidationError as exc:
        raise RowInvalid([_problem(error) for error in exc.errors()]) from exc


class RowInvalid(ValueError):
    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.reason}" for p in problems))
        self.problems = problems


def _problem(error: Mapping[str, Any]) -> FieldProblem:
    loc = [str(part) for part in error.get("loc", ())]
    name = loc[0] if loc else "-"
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    # Model-level checks already start with the field name ("manager_id: ...").
    if not loc and ":" in message:
        name, _, message = message.partition(":")
        return FieldProblem(name.strip(), message.strip())
    value = error.get("input")
    shown = f" (got {value!r})" if isinstance(value, str | int | float) else ""
    return FieldProblem(name, f"{message}{shown}")


def _text(value: object) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected text, got {_kind(value)} {value!r}")
    return str(value)


def _whole_number(value: object, *, low: int, high: int, what: str) -> int:
    if isinstance(value, bool):
        raise TypeError(f"expected a whole number from {low} to {high}, got {value!r}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            value = int(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a whole number from {low} to {high}") from None
    if not isinstance(value, int):
        raise TypeError(f"expected a whole number from {low} to {high}, got {_kind(value)} {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{what} {value} is out of range ({low}-{high})")
    return value


def _seniority(value: object) -> int:
    return _whole_number(value, low=1, high=5, what="seniority")


def _capacity(value: object) -> int:
    return _whole_number(value, low=0, high=20, what="capacity")


def _utc_offset(value: object) -> float:
    if isinstance(value, bool):
        raise TypeError(f"expected a UTC offset such as UTC+1 or -5:30, got {value!r}")
    if isinstance(value, int | float):
        hours = float(value)
    elif isinstance(value, str):
        try:
            hours = float(value.strip())
        except ValueError:
            hours = parse_utc_offset(value)
    else:
        raise TypeError(f"expected a UTC offset such as UTC+1 or -5:30, got {_kind(value)}")
    if math.isnan(hours) or not -12 <= hours <= 14:
        raise ValueError(f"{value!r} is not a UTC offset between -12 and +14 hours")
    return hours


def _opt_in(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{value!r} is not yes/no (true, false, yes, no, 1, 0)")


_CONVERTERS = {
    "id": _text,
    "name": _text,
    "title": _text,
    "department": _text,
    "seniority": _seniority,
    "manager_id": _text,
    "location": _text,
    "utc_offset": _utc_offset,
    "capacity": _capacity,
    "opt_in": _opt_in,
}


def _refs(value: object, name: str, unit: str, *, required: bool, problems: list[FieldProblem]) -> list[SkillRef]:
    """Parse ``skill:level;skill:level`` (or a JSON list of {"skill", "level"} objects)."""
    if value is None or value == "":
        return []
    items: list[tuple[str, object]] = []
    if isinstance(value, str):
        for item in value.split(";"):
            if not item.strip():
                continue
            # Ids contain colons themselves ("esco:<uuid>"): the level follows the last one.
            text, colon, number = item.rpartition(":")
            if not colon or not number.strip().lstrip("+-").isdigit():
                if required:
                    problems.append(FieldProblem(name, f"{item.strip()!r} has no {unit}: write skill:{unit} (1-5)"))
                    continue
                text, number = item, ""
            items.append((text.strip(), number.strip() or None))
    elif isinstance(value, list):
        for entry in value:
            if isinstance(entry, str):
                sub = _refs(entry, name, unit, required=required, problems=problems)
                items.extend((ref.text, ref.value) for ref in sub)
                continue
            if not isinstance(entry, dict):
                problems.append(FieldProblem(name, f'expected objects like {{"skill": ..., "{unit}": ...}}'))
                continue
            skill = entry.get("skill", entry.get("skill_id"))
            if not isinstance(skill, str) or not skill.strip():
                problems.append(FieldProblem(name, f'an entry has no "skill": {entry!r}'))
                continue
            items.append((skill.strip(), entry.get(unit)))
    elif isinstance(value, dict):
        items.extend((str(key).strip(), number) for key, number in value.items())
    else:
        problems.append(FieldProblem(name, f"expected a list of skills, got {_kind(value)}"))
        return []
    refs: list[SkillRef] = []
    seen: dict[str, str] = {}
    for skill_text, raw_number in items:
        if not skill_text:
            problems.append(FieldProblem(name, f"an entry has an empty skill name (in {value!r})"))
            continue
        if raw_number is None and required:
            problems.append(FieldProblem(name, f"{skill_text!r} has no {unit} (1-5)"))
            continue
        if raw_number is None:
            level = DEFAULT_PRIORITY
        else:
            try:
                level = _whole_number(raw_number, low=1, high=5, what=unit)
            except (ValueError, TypeError) as exc:
                problems.append(FieldProblem(name, f"{exc} for {skill_text!r}"))
                continue
        key = skill_text.casefold()
        if key in seen:
            problems.append(FieldProblem(name, f"{skill_text!r} is listed twice"))
            continue
        seen[key] = skill_text
        refs.append(SkillRef(text=skill_text, value=level))
    return refs


# -- the rejects file ------------------------------------------------------------------


class RejectsWriter:
    """Writes rejected rows in the input's format, plus a ``rejected_because`` column or
    key, to a temporary file renamed into place on success: the user fixes the rows and
    feeds the file back. Created lazily, so a clean run leaves no file."""

    def __init__(self, *, path: Path, file_format: FileFormat, columns: Sequence[str] | None = None) -> None:
        self.path = path
        self.file_format = file_format
        self.columns = list(columns or FIELDS)
        self.rows = 0
        self._temporary: Path | None = None
        self._handle: IO[str] | None = None
        self._csv: Any = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if kind is None:
            self.commit()
        else:
            self.abort()

    def _open(self) -> IO[str]:
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
            self._temporary = Path(name)
            # surrogateescape writes undecodable input bytes back exactly as they were.
            self._handle = os.fdopen(handle, "w", encoding="utf-8", errors="surrogateescape", newline="")
            if self.file_format is FileFormat.CSV:
                self._csv = csv.writer(self._handle, lineterminator="\n")
                self._csv.writerow([*self.columns, REJECT_REASON_FIELD])
            elif self.file_format is FileFormat.JSON:
                self._handle.write("[\n")
        return self._handle

    def write(self, row: RawRow, problems: Sequence[FieldProblem]) -> None:
        handle = self._open()
        reason = "; ".join(f"{p.field}: {p.reason}" if p.field != "-" else p.reason for p in problems)
        original = row.original
        if self.file_format is FileFormat.CSV:
            cells = list(original) if isinstance(original, list) else [str(original)]
            self._csv.writerow([*cells, reason])
        elif isinstance(original, dict):
            record = json.dumps({**original, REJECT_REASON_FIELD: reason}, ensure_ascii=False)
            if self.file_format is FileFormat.JSON:
                handle.write(("  " if self.rows == 0 else ",\n  ") + record)
            else:
                handle.write(record + "\n")
        else:
            # A line that is not JSON at all goes back as it was, for the user to repair.
            handle.write(f"{original}\n")
        self.rows += 1

    def commit(self) -> None:
        if self._handle is None:
            return
        if self.file_format is FileFormat.JSON:
            self._handle.write("\n]\n")
        self._handle.close()
        self._handle = None
        assert self._temporary is not None
        os.chmod(self._temporary, 0o644)
        os.replace(self._temporary, self.path)

    def abort(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        if self._temporary is not None:
            self._temporary.unlink(missing_ok=True)
