"""Reading cohort files: what HR writes, and every mistake reported with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from recommender.cohort import parse_cohort, read_cohort
from recommender.cohort_models import CohortError, Role

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cohorts"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "cohort.csv"


def _problems(name: str) -> list[str]:
    with pytest.raises(CohortError) as caught:
        read_cohort(path=FIXTURES / name)
    return [str(p) for p in caught.value.problems]


def test_csv_cohort_is_read_with_roles_capacities_and_lines() -> None:
    cohort = read_cohort(path=FIXTURES / "small.csv")
    assert cohort.programme == "small"  # the file name when neither the file nor the CLI names it
    first = cohort.participants[0]
    assert (first.id, first.role, first.capacity, first.line) == ("S1", Role.SENIOR, 2, 3)
    assert cohort.participants[1].capacity is None  # blank: the profile's capacity applies
    assert [p.id for p in cohort.participants][-1] == "J6"
    assert len(cohort.sha256) == 64


def test_json_cohort_gives_programme_pairs_and_lines() -> None:
    cohort = read_cohort(path=FIXTURES / "small.json")
    assert cohort.programme == "Reverse mentoring 2025"
    assert [(p.id, p.line) for p in cohort.participants[:2]] == [("S1", 4), ("S2", 5)]
    assert [(r.first, r.second, r.line) for r in cohort.must_pairs] == [("J2", "S3", 9)]
    assert [(r.first, r.second, r.line) for r in cohort.never_pairs] == [("S2", "J4", 5)]
    # The command line's name wins over the file's.
    assert read_cohort(path=FIXTURES / "small.json", programme="Pilot").programme == "Pilot"


def test_duplicate_id_is_rejected_with_both_lines() -> None:
    assert _problems("duplicate.csv") == ["line 5: S1 is listed twice (first on line 2)"]


def test_duplicate_id_in_json_names_the_line_the_object_starts_on() -> None:
    assert _problems("duplicate.json") == ["line 5: S1 is listed twice (first on line 3)"]


def test_pair_both_required_and_forbidden_is_rejected_with_both_lines() -> None:
    assert _problems("contradiction.csv") == ["line 4: S1 and J3 are both a must-pair and a never-pair (lines 2 and 4)"]


def test_every_bad_cell_is_reported_at_once() -> None:
    problems = _problems("bad_cells.csv")
    assert problems == [
        "line 2: S1: role 'mentor' must be senior, junior or either",
        "line 3: S2: capacity '25' must be a whole number from 0 to 20",
        "line 4: id 'bad id!' is not a valid employee id",
        "line 5: J1: lists itself in must_pair",
        "line 6: J2: capacity 'two' must be a whole number from 0 to 20",
    ]


def test_must_pair_with_someone_outside_the_cohort_is_rejected() -> None:
    assert _problems("outsider.csv") == ["line 2: S1: must_pair J9 is not a participant of this cohort"]


def test_empty_cohort_and_cohort_of_one_have_clear_messages() -> None:
    with pytest.raises(CohortError, match="lists nobody"):
        read_cohort(path=FIXTURES / "header_only.csv")
    with pytest.raises(CohortError, match=r"lists only S1 \(line 2\): a pairing needs at least one senior"):
        read_cohort(path=FIXTURES / "one.csv")


def test_broken_json_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(CohortError, match=r"broken.json line 5: invalid JSON"):
        read_cohort(path=FIXTURES / "broken.json")
    missing = tmp_path / "absent.csv"
    with pytest.raises(CohortError, match="cannot read the cohort file"):
        read_cohort(path=missing)


def test_unknown_column_is_rejected_naming_the_header(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("id,role,team\nS1,senior,a\nJ1,junior,b\n")
    with pytest.raises(CohortError, match=r"line 1: unknown column\(s\) 'team'"):
        read_cohort(path=path)


def test_shipped_example_is_a_valid_cohort() -> None:
    cohort = read_cohort(path=EXAMPLE)
    roles = {p.role for p in cohort.participants}
    assert roles == {Role.SENIOR, Role.JUNIOR, Role.EITHER}
    assert cohort.must_pairs
    assert cohort.never_pairs


def test_content_without_a_file_is_parsed_the_same_way() -> None:
    data = (FIXTURES / "small.json").read_bytes()
    from_file = read_cohort(path=FIXTURES / "small.json")
    from_body = parse_cohort(data=data, name="upload.json", source="request")
    assert from_body.participants == from_file.participants
    assert from_body.sha256 == from_file.sha256
    assert from_body.source == "request"
    with pytest.raises(CohortError, match=r"upload.csv has 1 problem"):
        parse_cohort(data=b"id,role\nS1,boss\nJ1,junior\n", name="upload.csv")
