"""Reading and validating employee files, without a store: what a user sees for each
kind of broken input (the files are in tests/fixtures/ingest)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.employees import (
    FIELDS,
    FieldProblem,
    FileFormat,
    InputFileError,
    RawRow,
    RejectsWriter,
    detect_format,
    parse_row,
    read_csv_header,
    read_rows,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ingest"
EXAMPLES = Path(__file__).resolve().parent.parent.parent / "examples"
HEADER = ",".join(FIELDS)


def rows_of(path: Path) -> list[RawRow]:
    return list(read_rows(path, file_format=detect_format(path)))


def problems_by_id(path: Path) -> dict[str, list[FieldProblem]]:
    out: dict[str, list[FieldProblem]] = {}
    file_format = detect_format(path)
    for row in read_rows(path, file_format=file_format):
        parse_row(row, file_format=file_format)
        out[row.employee_id or f"line {row.line}"] = row.problems
    return out


@pytest.mark.parametrize("name", ["employees.csv", "employees.json", "employees.jsonl"])
def test_the_examples_read_without_problems_and_agree(name: str) -> None:
    path = EXAMPLES / name
    parsed = []
    for row in rows_of(path):
        result = parse_row(row, file_format=detect_format(path))
        assert result is not None, (row.line, row.problems)
        parsed.append(result)
    assert [p.values["id"] for p in parsed] == ["e001", "e002", "e003", "e004", "e005", "e006"]
    e005 = parsed[4]
    assert e005.values["utc_offset"] == 5.5
    assert (e005.skills[0].text, e005.skills[0].value) == ("negotiate contracts", 5)
    # Ids keep their own colon: the level follows the last one.
    assert ("onet:whatsapp", 4) in [(ref.text, ref.value) for ref in e005.goals]
    assert parsed[5].values["opt_in"] is False and parsed[5].values["capacity"] == 0


def test_wrong_types_name_the_field_and_the_value() -> None:
    problems = problems_by_id(FIXTURES / "wrong_types.csv")
    assert problems["w1"] == []
    assert problems["w2"] == [FieldProblem("seniority", "'senior' is not a whole number from 1 to 5")]
    assert problems["w3"] == [FieldProblem("capacity", "'lots' is not a whole number from 0 to 20")]
    assert problems["w4"][0].field == "opt_in" and "'maybe'" in problems["w4"][0].reason
    assert problems["w5"][0].field == "utc_offset" and "Mars time" in problems["w5"][0].reason
    assert problems["w6"] == [FieldProblem("skills", "'Microsoft Excel' has no level: write skill:level (1-5)")]


def test_a_level_of_nine_is_rejected_naming_field_and_value() -> None:
    problems = problems_by_id(FIXTURES / "level_nine.csv")
    assert problems["n1"] == []
    assert problems["n2"] == [FieldProblem("skills", "level 9 is out of range (1-5) for 'Instagram'")]
    assert problems["n3"] == [FieldProblem("goals", "priority 0 is out of range (1-5) for 'lead others'")]


def test_missing_column_is_a_file_error_naming_it() -> None:
    with pytest.raises(InputFileError, match=r"line 1: missing column skills"):
        read_csv_header(FIXTURES / "missing_column.csv")
    with pytest.raises(InputFileError, match="missing column skills"):
        rows_of(FIXTURES / "missing_column.csv")


def test_empty_file_is_a_clear_error() -> None:
    with pytest.raises(InputFileError, match="the file is empty"):
        rows_of(FIXTURES / "empty.csv")
    assert rows_of(FIXTURES / "header_only.csv") == []


def test_non_utf8_bytes_reject_only_their_row_with_line_and_field() -> None:
    rows = rows_of(FIXTURES / "non_utf8.csv")
    assert [row.line for row in rows] == [2, 3, 4]
    assert rows[0].problems == [] and rows[2].problems == []
    assert len(rows[1].problems) == 1
    problem = rows[1].problems[0]
    assert problem.field == "name"
    assert "not valid UTF-8 (byte 0xe9" in problem.reason


def test_csv_line_numbers_count_quoted_line_breaks(tmp_path: Path) -> None:
    path = tmp_path / "multiline.csv"
    path.write_text(
        f'{HEADER}\na1,"Ann\nMulti",,,,,,,,,Instagram:3,\n\na2,Bob Next,,,,,,,,,Instagram:9,\n',
        encoding="utf-8",
    )
    rows = rows_of(path)
    assert [row.line for row in rows] == [2, 5]
    parse_row(rows[1], file_format=FileFormat.CSV)
    assert rows[1].problems[0].field == "skills"


def test_a_row_with_the_wrong_number_of_cells_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "cells.csv"
    path.write_text(f"{HEADER}\nz1,Zed,only three\n", encoding="utf-8")
    (row,) = rows_of(path)
    assert row.problems == [FieldProblem("-", "has 3 cells, the header has 12 columns")]


def test_json_list_is_streamed_with_the_line_of_each_element(tmp_path: Path) -> None:
    path = tmp_path / "people.json"
    people = [{"id": f"p{i}", "name": f"Person {i}", "skills": [{"skill": "Instagram", "level": 3}]} for i in range(3)]
    path.write_text("[\n" + ",\n".join(json.dumps(p, indent=1) for p in people) + "\n]\n", encoding="utf-8")
    rows = rows_of(path)
    assert [row.employee_id for row in rows] == ["p0", "p1", "p2"]
    lines = path.read_text(encoding="utf-8").splitlines()
    for row in rows:
        assert f'"{row.employee_id}"' in lines[row.line - 1 + 1]  # the id is on the line after "{"


def test_broken_json_is_a_file_error_with_the_line() -> None:
    with pytest.raises(
        InputFileError, match=r"broken\.json line 4: invalid JSON \(Expecting ',' delimiter\); nothing was imported"
    ):
        rows_of(FIXTURES / "broken.json")


def test_json_that_is_not_a_list_says_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    path.write_text('{"id": "a"}', encoding="utf-8")
    with pytest.raises(InputFileError, match=r"expected a JSON list .* name the file \.jsonl"):
        rows_of(path)


def test_jsonl_rejects_bad_lines_and_keeps_the_rest() -> None:
    problems = problems_by_id(FIXTURES / "mixed.jsonl")
    assert problems["l1"] == [] and problems["l7"] == []
    assert problems["line 2"][0].reason.startswith("is not valid JSON")
    assert {p.field for p in problems["l3"]} == {"seniority", "capacity"}
    assert problems["line 4"] == [FieldProblem("-", "expected a JSON object with the employee's fields, got a list")]
    assert problems["l5"] == [FieldProblem("skills", "level 9 is out of range (1-5) for 'Instagram'")]
    assert problems["l6"][0].field == "skils" and "not a known field" in problems["l6"][0].reason


def test_format_detection_by_name_then_content(tmp_path: Path) -> None:
    assert detect_format(Path("a.CSV")) is FileFormat.CSV
    assert detect_format(Path("a.ndjson")) is FileFormat.JSONL
    mystery = tmp_path / "export.dat"
    mystery.write_text('  [{"id": "a"}]', encoding="utf-8")
    assert detect_format(mystery) is FileFormat.JSON


def test_rejects_file_round_trips_csv_bytes_and_adds_the_reason(tmp_path: Path) -> None:
    rows = rows_of(FIXTURES / "non_utf8.csv")
    target = tmp_path / "rejects.csv"
    with RejectsWriter(path=target, file_format=FileFormat.CSV, columns=FIELDS) as writer:
        writer.write(rows[1], rows[1].problems)
    raw = target.read_bytes()
    # The user's own (Latin-1) byte is written back unchanged, with the reason after it.
    assert b"Chlo\xe9 Latin" in raw
    assert raw.splitlines()[0].endswith(b",rejected_because")
    # Fed back, the rejects file reads as the same row (the reason column is ignored).
    (again,) = rows_of(target)
    assert again.original == rows[1].original
    assert again.problems[0].field == "name"


def test_rejects_file_for_json_is_valid_json_in_the_same_shape(tmp_path: Path) -> None:
    rows = rows_of(FIXTURES / "mixed.jsonl")
    target = tmp_path / "rejects.json"
    with RejectsWriter(path=target, file_format=FileFormat.JSON) as writer:
        for row in rows:
            if parse_row(row, file_format=FileFormat.JSONL) is None and isinstance(row.original, dict):
                writer.write(row, row.problems)
    data = json.loads(target.read_text(encoding="utf-8"))
    assert [item["id"] for item in data] == ["l3", "l5", "l6"]
    assert "seniority" in data[0]["rejected_because"]


def test_rejects_writer_leaves_nothing_when_aborted(tmp_path: Path) -> None:
    rows = rows_of(FIXTURES / "level_nine.csv")
    target = tmp_path / "rejects.csv"

    def crash_while_writing() -> None:
        with RejectsWriter(path=target, file_format=FileFormat.CSV) as writer:
            writer.write(rows[1], [FieldProblem("skills", "bad")])
            raise RuntimeError("crash")

    with pytest.raises(RuntimeError):
        crash_while_writing()
    assert list(tmp_path.iterdir()) == []


def test_non_utf8_bytes_in_json_lines_name_the_field_even_inside_skills(tmp_path: Path) -> None:
    rows = rows_of(FIXTURES / "non_utf8.jsonl")
    assert [(row.line, [p.field for p in row.problems]) for row in rows] == [(1, []), (2, ["skills"]), (3, ["name"])]
    assert "byte 0xe9" in rows[1].problems[0].reason
    target = tmp_path / "rejects.jsonl"
    with RejectsWriter(path=target, file_format=FileFormat.JSONL) as writer:
        writer.write(rows[1], rows[1].problems)
    # The user's byte goes back as it was, inside a line that is otherwise valid JSON.
    assert b"Caf\xe9 culture" in target.read_bytes()
    (again,) = rows_of(target)
    assert again.employee_id == "b2" and again.problems[0].field == "skills"


def test_a_json_list_larger_than_the_read_chunk_streams_with_exact_lines(tmp_path: Path) -> None:
    path = tmp_path / "many.json"
    people = [
        {"id": f"p{i}", "name": f"Person {i}", "seniority": i % 5 + 1, "skills": "Instagram:3"} for i in range(4000)
    ]
    path.write_text("[\n" + ",\n".join(json.dumps(p) for p in people) + "\n]\n", encoding="utf-8")
    assert path.stat().st_size > 4 * 65536  # several chunks: elements straddle chunk ends
    rows = rows_of(path)
    assert [row.employee_id for row in rows] == [p["id"] for p in people]
    assert [row.line for row in rows] == list(range(2, 4002))
    assert [row.fields for row in rows] == people
