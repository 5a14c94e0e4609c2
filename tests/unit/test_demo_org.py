"""Demo organisations: reproducible, a valid org chart, realistic reverse-mentoring signal.

The README's main command, the benchmarks and the recommender's evaluation all stand on
these organisations, so what is checked here is what those users would notice.
"""

from __future__ import annotations

import csv
import os
import statistics
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.demo import (
    CSV_COLUMNS,
    DemoOrganisation,
    format_utc_offset,
    generate_demo_organisation,
    generate_organisation,
    write_employees_csv,
    write_employees_jsonl,
)
from ingest.taxonomy import load_occupations, load_skills
from schema.models import Employee, Skill, parse_utc_offset

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def skills() -> dict[str, Skill]:
    return {skill.id: skill for skill in load_skills()}


@pytest.fixture(scope="module")
def org() -> DemoOrganisation:
    return generate_demo_organisation(size=2_000, seed=11, planted_pairs=20)


@pytest.fixture(scope="module")
def by_id(org: DemoOrganisation) -> dict[str, Employee]:
    return {employee.id: employee for employee in org.employees}


def _chain(by_id: dict[str, Employee], employee_id: str) -> list[str]:
    """Managers above an employee, nearest first; fails on a cycle."""
    chain: list[str] = []
    manager = by_id[employee_id].manager_id
    while manager is not None:
        assert manager not in chain, f"reporting cycle through {manager} above {employee_id}"
        chain.append(manager)
        manager = by_id[manager].manager_id
    return chain


# -- reproducibility ------------------------------------------------------------------


def test_same_seed_gives_identical_organisation() -> None:
    first = generate_demo_organisation(size=300, seed=3, planted_pairs=5)
    second = generate_demo_organisation(size=300, seed=3, planted_pairs=5)
    assert [e.model_dump() for e in first.employees] == [e.model_dump() for e in second.employees]
    assert first.planted_pairs == second.planted_pairs
    assert first.isolated_ids == second.isolated_ids


def test_different_seeds_give_different_organisations() -> None:
    first = generate_organisation(size=300, seed=3)
    second = generate_organisation(size=300, seed=4)
    assert [e.model_dump() for e in first] != [e.model_dump() for e in second]


_DIGEST_SCRIPT = """
import hashlib, json
from ingest.demo import generate_demo_organisation
org = generate_demo_organisation(size=400, seed=5, planted_pairs=4)
text = json.dumps([e.model_dump(mode="json") for e in org.employees] + [org.planted_pairs, org.isolated_ids])
print(hashlib.sha256(text.encode()).hexdigest())
"""


def test_output_does_not_depend_on_string_hash_seed() -> None:
    # Iterating over a set of strings would make the output differ between processes.
    digests = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        result = subprocess.run(
            [sys.executable, "-c", _DIGEST_SCRIPT],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        digests.add(result.stdout.strip())
    assert len(digests) == 1


# -- size and identity ----------------------------------------------------------------


@pytest.mark.parametrize("size", [100, 1_000])
def test_organisation_has_the_requested_size_and_unique_ids(size: int) -> None:
    employees = generate_organisation(size=size)
    assert len(employees) == size
    ids = [employee.id for employee in employees]
    assert len(set(ids)) == size
    assert all(len(ident) == 7 and ident.startswith("E") and ident[1:].isdigit() for ident in ids)


@pytest.mark.parametrize("size", [99, 100_001, 0])
def test_size_outside_the_supported_range_is_refused(size: int) -> None:
    with pytest.raises(ValueError, match="size"):
        generate_organisation(size=size)


def test_too_many_planted_pairs_is_refused() -> None:
    with pytest.raises(ValueError, match="planted_pairs"):
        generate_demo_organisation(size=100, planted_pairs=50)


# -- the org chart --------------------------------------------------------------------


def test_reporting_lines_form_one_tree(org: DemoOrganisation, by_id: dict[str, Employee]) -> None:
    roots = [employee for employee in org.employees if employee.manager_id is None]
    assert [root.id for root in roots] == ["E000001"]
    for employee in org.employees:
        assert employee.manager_id != employee.id
        if employee.manager_id is not None:
            assert employee.manager_id in by_id, f"{employee.id} reports to unknown {employee.manager_id}"
        chain = _chain(by_id, employee.id)  # asserts there is no cycle
        assert employee.manager_id is None or chain[-1] == "E000001"


def test_managers_are_more_senior(org: DemoOrganisation, by_id: dict[str, Employee]) -> None:
    for employee in org.employees:
        if employee.manager_id is None:
            continue
        manager = by_id[employee.manager_id]
        if employee.seniority < 5:
            assert manager.seniority > employee.seniority, (employee.id, manager.id)
        else:  # the executive band (seniority 5) reports within the band, up to the CEO
            assert manager.seniority == 5, (employee.id, manager.id)


def test_reporting_lines_mostly_stay_in_the_department(org: DemoOrganisation, by_id: dict[str, Employee]) -> None:
    lines = [
        (employee, by_id[employee.manager_id])
        for employee in org.employees
        if employee.manager_id is not None and employee.manager_id != "E000001"
    ]
    same = sum(employee.department == manager.department for employee, manager in lines)
    assert same / len(lines) > 0.9
    assert same < len(lines)  # a few matrix lines exist


def test_spans_of_control_are_plausible(org: DemoOrganisation) -> None:
    spans = Counter(employee.manager_id for employee in org.employees if employee.manager_id is not None)
    assert max(spans.values()) <= 60
    assert 3 <= statistics.mean(spans.values()) <= 15


def test_departments_offices_and_flags(org: DemoOrganisation) -> None:
    departments = Counter(employee.department for employee in org.employees)
    assert {"Research & Development", "Sales", "Human Resources"} <= departments.keys()
    assert departments.most_common(1)[0][0] == "Research & Development"  # as in the IBM data
    offsets: dict[str, float] = {}
    for employee in org.employees:
        assert employee.location
        assert offsets.setdefault(employee.location, employee.utc_offset) == employee.utc_offset
    assert len(offsets) >= 4
    assert all(1 <= employee.capacity <= 3 for employee in org.employees)
    opted_in = sum(employee.opt_in for employee in org.employees) / len(org.employees)
    assert 0.8 < opted_in < 1.0
    seniority = Counter(employee.seniority for employee in org.employees)
    assert seniority[1] + seniority[2] > len(org.employees) / 2  # the IBM pyramid
    assert seniority[4] + seniority[5] > 0


# -- skills and goals -----------------------------------------------------------------


def test_every_skill_and_goal_exists_in_the_shipped_taxonomy(org: DemoOrganisation, skills: dict[str, Skill]) -> None:
    for employee in org.employees:
        for held in employee.skills:
            assert held.skill_id in skills, (employee.id, held.skill_id)
            assert skills[held.skill_id].skill_type != "group"
        for goal in employee.goals:
            assert goal.skill_id in skills, (employee.id, goal.skill_id)
        assert not {goal.skill_id for goal in employee.goals} & {held.skill_id for held in employee.skills}


def test_profile_sizes(org: DemoOrganisation) -> None:
    skill_counts = [len(employee.skills) for employee in org.employees]
    goal_counts = [len(employee.goals) for employee in org.employees]
    assert min(skill_counts) >= 12
    assert max(skill_counts) <= 30
    assert 17 <= statistics.mean(skill_counts) <= 23
    assert min(goal_counts) >= 3
    assert max(goal_counts) <= 7
    levels = Counter(held.level for employee in org.employees for held in employee.skills)
    assert set(levels) == {1, 2, 3, 4, 5}


def _mean(values: list[float]) -> float:
    return statistics.mean(values) if values else 0.0


def test_juniors_hold_more_digital_skills_and_seniors_more_management(
    org: DemoOrganisation, skills: dict[str, Skill]
) -> None:
    juniors = [employee for employee in org.employees if employee.seniority <= 2]
    seniors = [employee for employee in org.employees if employee.seniority >= 4]

    def digital(employee: Employee) -> float:
        return sum(skills[held.skill_id].digital for held in employee.skills)

    def digital_level(group: list[Employee]) -> float:
        return _mean([held.level for e in group for held in e.skills if skills[held.skill_id].digital])

    def management(employee: Employee) -> float:
        return sum(skills[held.skill_id].category == "management skills" for held in employee.skills)

    assert _mean([digital(e) for e in juniors]) > 1.3 * _mean([digital(e) for e in seniors])
    assert digital_level(juniors) > digital_level(seniors) + 0.5
    assert _mean([management(e) for e in seniors]) > 2 * _mean([management(e) for e in juniors])
    # ... with noise: some seniors are digitally strong.
    assert any(digital(e) >= 10 for e in seniors)


def test_juniors_want_leadership_and_seniors_want_digital(org: DemoOrganisation, skills: dict[str, Skill]) -> None:
    def digital_goals(group: list[Employee]) -> float:
        return _mean([sum(skills[g.skill_id].digital for g in e.goals) / len(e.goals) for e in group])

    juniors = [employee for employee in org.employees if employee.seniority <= 2]
    seniors = [employee for employee in org.employees if employee.seniority >= 4]
    assert digital_goals(seniors) > 0.6
    assert digital_goals(juniors) < 0.35


def test_hot_technologies_and_social_media_are_held_by_juniors(org: DemoOrganisation, skills: dict[str, Skill]) -> None:
    labels = Counter(
        skills[held.skill_id].label for employee in org.employees if employee.seniority <= 2 for held in employee.skills
    )
    for label in ("TikTok", "Instagram", "WhatsApp", "Pinterest", "OpenAI ChatGPT", "Python"):
        assert labels[label] > 0, label


def test_isolated_learners_want_what_nobody_holds(org: DemoOrganisation, by_id: dict[str, Employee]) -> None:
    assert 10 <= len(org.isolated_ids) <= 30  # about 1% of 2,000
    held = {skill.skill_id for employee in org.employees for skill in employee.skills}
    for employee_id in org.isolated_ids:
        goals = by_id[employee_id].goals
        assert goals
        assert not {goal.skill_id for goal in goals} & held, employee_id


def test_planted_pairs_are_exactly_complementary(org: DemoOrganisation, by_id: dict[str, Employee]) -> None:
    assert len(org.planted_pairs) == 20
    people = [person for pair in org.planted_pairs for person in pair]
    assert len(set(people)) == len(people), "a person is planted in two pairs"
    for junior_id, senior_id in org.planted_pairs:
        junior, senior = by_id[junior_id], by_id[senior_id]
        assert junior.seniority <= 2
        assert senior.seniority >= 4
        assert junior.department != senior.department
        assert senior_id not in _chain(by_id, junior_id)
        assert junior_id not in _chain(by_id, senior_id)
        senior_strong = {held.skill_id for held in senior.skills if held.level >= 4}
        junior_strong = {held.skill_id for held in junior.skills if held.level >= 4}
        assert len(junior.goals) >= 3
        assert len(senior.goals) >= 3
        assert {goal.skill_id for goal in junior.goals} <= senior_strong, junior_id
        assert {goal.skill_id for goal in senior.goals} <= junior_strong, senior_id
        for person in (junior, senior):
            assert person.opt_in
            assert person.capacity >= 1
            assert person.id not in org.isolated_ids


def test_no_pairs_are_planted_unless_asked() -> None:
    assert generate_demo_organisation(size=200).planted_pairs == []


# -- writers --------------------------------------------------------------------------


def test_jsonl_round_trips(tmp_path: Path, org: DemoOrganisation) -> None:
    path = tmp_path / "org.jsonl"
    employees = org.employees[:50]
    assert write_employees_jsonl(path=path, employees=employees) == 50
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [Employee.model_validate_json(line) for line in lines] == employees


def test_csv_has_the_agreed_columns_and_round_trips(tmp_path: Path, org: DemoOrganisation) -> None:
    path = tmp_path / "org.csv"
    employees = org.employees[:50]
    assert write_employees_csv(path=path, employees=employees) == 50
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == CSV_COLUMNS == (
            "id", "name", "title", "department", "seniority", "manager_id",
            "location", "utc_offset", "capacity", "opt_in", "skills", "goals",
        )  # fmt: skip
        rows = list(reader)
    for row, employee in zip(rows, employees, strict=True):
        rebuilt = Employee(
            id=row["id"],
            name=row["name"],
            title=row["title"],
            department=row["department"],
            seniority=int(row["seniority"]),
            manager_id=row["manager_id"] or None,
            location=row["location"],
            utc_offset=parse_utc_offset(row["utc_offset"]),
            capacity=int(row["capacity"]),
            opt_in=row["opt_in"] == "true",
            skills=tuple(
                {"skill_id": item.rsplit(":", 1)[0], "level": int(item.rsplit(":", 1)[1])}
                for item in row["skills"].split(";")
            ),
            goals=tuple(
                {"skill_id": item.rsplit(":", 1)[0], "priority": int(item.rsplit(":", 1)[1])}
                for item in row["goals"].split(";")
            ),
        )
        assert rebuilt == employee


@pytest.mark.parametrize("hours", [-8.0, -3.0, 0.0, 1.0, 5.5, 5.75, -9.5, 14.0])
def test_utc_offset_is_written_the_way_the_schema_reads_it(hours: float) -> None:
    assert parse_utc_offset(format_utc_offset(hours)) == hours


def test_writers_leave_no_partial_file_on_error(tmp_path: Path) -> None:
    path = tmp_path / "org.csv"
    path.write_text("previous content", encoding="utf-8")

    def exploding() -> Iterator[Employee]:
        yield generate_organisation(size=100)[0]
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_employees_csv(path=path, employees=exploding())
    assert path.read_text(encoding="utf-8") == "previous content"
    assert list(tmp_path.iterdir()) == [path]


# -- the shipped taxonomy the demo stands on ------------------------------------------


def test_shipped_taxonomy_is_complete_and_consistent(skills: dict[str, Skill]) -> None:
    sources = Counter(skill.source.value for skill in skills.values())
    assert sources["esco"] == 13_896 + 647  # skills + skill groups (hierarchy nodes)
    assert sources["onet"] == 8_775
    assert all(parent in skills for skill in skills.values() for parent in skill.broader)
    hot = {skill.label for skill in skills.values() if skill.hot}
    assert {"TikTok", "Python", "Slack", "Microsoft Excel"} <= hot
    by_label = {skill.label: skill for skill in skills.values() if skill.source.value == "onet"}
    assert by_label["WhatsApp"].description == "Instant messaging software"
    assert len({by_label[name].id for name in ("C", "C++", "C#")}) == 3
    lead = next(s for s in skills.values() if s.label == "lead a team")
    assert lead.category == "management skills"
    assert not lead.digital


def test_shipped_occupations_reference_shipped_skills(skills: dict[str, Skill]) -> None:
    occupations = load_occupations()
    assert len(occupations.esco) == 3_007
    assert len(occupations.onet) == 1_016
    for occupation in occupations.esco:
        assert set(occupation.essential) <= skills.keys()
        assert set(occupation.optional) <= skills.keys()
    ceo = occupations.onet_by_code()["11-1011.00"]
    assert ceo.title == "Chief Executives"
    assert ceo.job_zone == 5
    assert set(ceo.hot) <= set(ceo.technologies) <= skills.keys()
