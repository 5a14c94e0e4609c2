"""The gap report's metrics, checked against numbers worked out by hand on a small
organisation (on the embedded store), and the consistency of every output.

The organisation (k = 1 learner per teacher unless a test says otherwise):

- lead (management): wanted by 3 in Sales (priorities 5, 3, 1) and 1 in IT (4); taught
  by 1 in Sales and 3 in Board. Sales' own teacher takes 1, Board's spare teachers the
  other 3: nothing unmet, but 3 of the 4 learners are served across departments.
- negotiate (management): wanted by 2 in Sales (4, 4) and 2 in IT (2, 2); one teacher,
  in Board, shared half and half: 1.5 learners unmet in each, x average priority 3.
- tiktok (digital): wanted by the 3 Board seniors (5, 5, 2); taught by 2 Sales juniors:
  2 learners flow junior -> senior, 1 is unmet (x priority 4).
- sanskrit (language): wanted by 1 in IT (3), taught by nobody.
- cobol (no category): wanted by 1 Sales junior (2), held by one IT senior only (at risk).
- HR has one person with no skills and no goals.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.sqlite_store import SqliteStore
from graph.store import GraphStore
from recommender.gap_models import (
    NOT_SET,
    UNCATEGORISED,
    EmptyReport,
    GapGrouping,
    GapReport,
    GapReportError,
    UnknownGroup,
    UnknownGrouping,
)
from recommender.gaps import CSV_COLUMNS, cells_csv, gap_report, report_json, write_csv
from schema import Employee, EmployeeSkill, LearningGoal, Skill, SkillSource

SKILLS = {
    "lead": "management skills",
    "negotiate": "management skills",
    "tiktok": "digital technology",
    "sanskrit": "language skills and knowledge",
    "cobol": "",
    "unused": "management skills",
}


def person(pid: str, department: str, seniority: int, skills: dict[str, int] | None = None,
           goals: dict[str, int] | None = None) -> Employee:  # fmt: skip
    return Employee(
        id=pid,
        name=pid.upper(),
        department=department,
        seniority=seniority,
        location="Paris" if department != "IT" else "Pune",
        skills=tuple(EmployeeSkill(skill_id=s, level=v) for s, v in (skills or {}).items()),
        goals=tuple(LearningGoal(skill_id=s, priority=v) for s, v in (goals or {}).items()),
    )


ORG = [
    person("sj1", "Sales", 1, {"tiktok": 4}, {"lead": 5, "negotiate": 4, "cobol": 2}),
    person("sj2", "Sales", 2, {"tiktok": 3}, {"lead": 3, "negotiate": 4}),
    person("sm1", "Sales", 3, {"lead": 4}),
    person("sm2", "Sales", 3, goals={"lead": 1}),
    person("sx", "Sales", 3, {"tiktok": 2}),
    person("ij1", "IT", 1, goals={"lead": 4, "negotiate": 2, "sanskrit": 3}),
    person("ij2", "IT", 2, goals={"negotiate": 2}),
    person("is1", "IT", 4, {"cobol": 5}),
    person("b1", "Board", 5, {"lead": 5, "negotiate": 3}, {"tiktok": 5}),
    person("b2", "Board", 5, {"lead": 4}, {"tiktok": 5}),
    person("b3", "Board", 4, {"lead": 3}, {"tiktok": 2}),
    person("h1", "HR", 2),
]


def build_org(store: GraphStore, employees: list[Employee] = ORG) -> None:
    store.upsert_skills(
        skills=[
            Skill(id=sid, label=sid.title(), source=SkillSource.CUSTOM, category=cat, digital=sid == "tiktok")
            for sid, cat in SKILLS.items()
        ]
    )
    store.upsert_employees(employees=employees)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    store = SqliteStore(path=tmp_path / "gaps.sqlite")
    store.apply_schema()
    build_org(store)
    yield store
    store.close()


def metrics(model: object, *names: str) -> tuple[object, ...]:
    return tuple(getattr(model, name) for name in names)


CORE = ("learners", "demand", "teachers", "met_in_group", "met_across_groups", "unmet_learners", "unmet_demand")


def test_group_summaries_by_department(store: SqliteStore) -> None:
    report = gap_report(store=store, group_by="department")
    groups = {g.group: g for g in report.groups}
    assert [g.group for g in report.groups] == ["Board", "HR", "IT", "Sales"]
    assert metrics(groups["Board"], *CORE, "coverage") == (3, 12, 4, 0, 2, 1, 4, 0.6667)
    assert metrics(groups["IT"], *CORE, "coverage") == (4, 11, 1, 0, 1.5, 2.5, 7.5, 0.375)
    assert metrics(groups["Sales"], *CORE, "coverage") == (6, 19, 3, 1, 3.5, 1.5, 4.5, 0.75)
    assert (groups["Sales"].employees, groups["IT"].employees, groups["Board"].employees) == (5, 3, 3)


def test_a_group_where_nobody_wants_anything_shows_zeros_not_errors(store: SqliteStore) -> None:
    report = gap_report(store=store, group_by="department")
    hr = report.group("HR")
    assert (hr.employees, hr.learners, hr.unmet_demand, hr.coverage, hr.top_gaps) == (1, 0, 0, None, [])
    hr_cells = [c for c in report.cells if c.group == "HR"]
    assert len(hr_cells) == len(report.categories)
    assert all(c.learners == 0 and c.coverage is None for c in hr_cells)


def test_totals(store: SqliteStore) -> None:
    totals = gap_report(store=store, group_by="department").totals
    assert metrics(totals, *CORE) == (13, 42, 8, 1, 7, 5, 16)
    assert totals.coverage == round(8 / 13, 4)
    assert (totals.employees, totals.skills_wanted, totals.junior_to_senior, totals.senior_to_junior) == (12, 5, 2, 5)
    assert (totals.at_risk, totals.at_risk_wanted) == (2, 2)


def test_top_gaps_organisation_wide(store: SqliteStore) -> None:
    report = gap_report(store=store, group_by="department")
    assert [g.skill.id for g in report.top_gaps] == ["negotiate", "tiktok", "sanskrit"]  # lead, cobol: all met
    negotiate, tiktok, sanskrit = report.top_gaps
    assert metrics(negotiate, *CORE, "coverage") == (4, 12, 1, 0, 1, 3, 9, 0.25)
    assert (negotiate.skill.label, negotiate.category, negotiate.group) == ("Negotiate", "management skills", "")
    assert metrics(tiktok, "unmet_learners", "unmet_demand", "junior_to_senior") == (1, 4, 2)
    assert tiktok.skill.digital
    assert metrics(sanskrit, "teachers", "coverage", "unmet_demand") == (0, 0.0, 3)
    assert [g.skill.id for g in gap_report(store=store, top=1).top_gaps] == ["negotiate"]


def test_top_gaps_per_group(store: SqliteStore) -> None:
    report = gap_report(store=store, group_by="department")
    it = report.group("it")  # case-insensitive
    assert [(g.skill.id, g.unmet_demand, g.group) for g in it.top_gaps] == [
        ("negotiate", 4.5, "IT"),
        ("sanskrit", 3, "IT"),
    ]
    assert [g.skill.id for g in report.group("Board").top_gaps] == ["tiktok"]


def test_knowledge_at_risk(store: SqliteStore) -> None:
    report = gap_report(store=store, group_by="department")
    at_risk = [(r.skill.id, r.employee_id, r.group, r.level, r.learners, r.demand) for r in report.at_risk]
    assert at_risk == [("negotiate", "b1", "Board", 3, 4, 12), ("cobol", "is1", "IT", 5, 1, 2)]
    assert report.at_risk[1].category == UNCATEGORISED
    assert [r.group for r in gap_report(store=store, group_by="seniority").at_risk] == ["5", "4"]


def test_direction_of_flow(store: SqliteStore) -> None:
    report = gap_report(store=store, group_by="department")
    flows = {f.category: f for f in report.flows}
    assert metrics(flows["digital technology"], "junior_to_senior", "junior_to_senior_demand") == (2, 8)
    # lead: 3 junior learners, 3 senior teachers; negotiate: 4 junior learners, 1 senior teacher.
    assert metrics(flows["management skills"], "senior_to_junior", "senior_to_junior_demand") == (4, 15)
    assert metrics(flows[UNCATEGORISED], "senior_to_junior", "senior_to_junior_demand") == (1, 2)
    groups = {g.group: g for g in report.groups}
    assert (groups["Board"].junior_to_senior, groups["Sales"].senior_to_junior, groups["IT"].senior_to_junior) == (
        2,
        3.5,
        1.5,
    )


def test_cells_and_column_order(store: SqliteStore) -> None:
    report = gap_report(store=store, group_by="department")
    # Categories with the most unmet demand first; the category nobody wants comes last.
    assert report.categories == ["management skills", "digital technology", "language skills and knowledge",
                                 UNCATEGORISED]  # fmt: skip
    assert report.cell_rows == ["Board", "HR", "IT", "Sales"]
    assert len(report.cells) == 16
    cell = next(c for c in report.cells if (c.group, c.category) == ("Sales", "management skills"))
    assert metrics(cell, *CORE, "coverage", "skills_wanted", "employees") == (5, 17, 1, 1, 2.5, 1.5, 4.5, 0.7, 2, 5)


def test_learners_per_teacher(store: SqliteStore) -> None:
    report = gap_report(store=store, group_by="department", learners_per_teacher=2)
    negotiate = next(g for g in report.top_gaps if g.skill.id == "negotiate")
    assert metrics(negotiate, "met_across_groups", "unmet_learners", "coverage") == (2, 2, 0.5)
    assert "tiktok" not in {g.skill.id for g in report.top_gaps}  # 2 teachers x 2 places >= 3 learners


def test_teaching_level(store: SqliteStore) -> None:
    # At level 2, sx (Sales, tiktok 2) becomes the third tiktok teacher: tiktok is covered.
    report = gap_report(store=store, group_by="department", teaching_level=2)
    assert "tiktok" not in {g.skill.id for g in report.top_gaps}
    assert report.teaching_level == 2


def test_category_grouping_uses_seniority_bands_as_rows(store: SqliteStore) -> None:
    report = gap_report(store=store, group_by=GapGrouping.CATEGORY)
    assert report.cell_axis == "seniority band"
    assert report.cell_rows == ["junior (1-2)", "middle (3)", "senior (4-5)"]
    assert [(c.group, c.employees) for c in report.cells if c.category == "management skills"] == [
        ("junior (1-2)", 5),
        ("middle (3)", 3),
        ("senior (4-5)", 4),
    ]
    management = report.group("management skills")
    # lead: sm1 teaches sm2 inside the middle band; seniors teach the 3 juniors across bands.
    assert metrics(management, *CORE, "coverage") == (8, 25, 5, 1, 4, 3, 9, 0.625)
    assert management.employees == 0
    assert [g.skill.id for g in management.top_gaps] == ["negotiate"]
    assert report.at_risk[0].group == "senior (4-5)"


def test_bands_without_a_middle(store: SqliteStore) -> None:
    report = gap_report(store=store, group_by="category", junior_max=2, senior_min=3)
    assert report.cell_rows == ["junior (1-2)", "senior (3-5)"]


@pytest.mark.parametrize("by", list(GapGrouping))
def test_organisation_totals_do_not_depend_on_the_grouping(store: SqliteStore, by: GapGrouping) -> None:
    base = gap_report(store=store, group_by="department").totals
    totals = gap_report(store=store, group_by=by).totals
    same = ("learners", "demand", "teachers", "unmet_learners", "unmet_demand", "coverage", "employees",
            "junior_to_senior", "senior_to_junior", "at_risk")  # fmt: skip
    assert metrics(totals, *same) == metrics(base, *same)
    assert totals.met_in_group + totals.met_across_groups == pytest.approx(8)


def test_people_without_a_department_are_a_group_of_their_own(tmp_path: Path) -> None:
    store = SqliteStore(path=tmp_path / "blank.sqlite")
    store.apply_schema()
    build_org(store, [*ORG, person("nobody", "", 2, goals={"sanskrit": 5})])
    report = gap_report(store=store, group_by="department")
    assert report.cell_rows[-1] == NOT_SET
    assert report.group(NOT_SET).learners == 1
    store.close()


# -- bad input ---------------------------------------------------------------------------


def test_unknown_grouping_lists_the_valid_ones(store: SqliteStore) -> None:
    with pytest.raises(UnknownGrouping) as error:
        gap_report(store=store, group_by="team")
    assert str(error.value) == "cannot group by 'team': choose one of department, seniority, location, category"
    assert GapGrouping.parse(" Location ") is GapGrouping.LOCATION


def test_unknown_group_lists_the_groups(store: SqliteStore) -> None:
    report = gap_report(store=store, group_by="department")
    with pytest.raises(UnknownGroup) as error:
        report.group("Legal")
    assert str(error.value) == "nobody is in department 'Legal'; the department groups are: Board, HR, IT, Sales"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"top": 0}, "top must be at least 1"),
        ({"teaching_level": 6}, "teaching level must be between 1 and 5"),
        ({"learners_per_teacher": 0}, "learners per teacher must be at least 1"),
        ({"junior_max": 3, "senior_min": 3}, "junior max < senior min"),
    ],
)
def test_bad_parameters(store: SqliteStore, kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(GapReportError, match=message):
        gap_report(store=store, **kwargs)  # type: ignore[arg-type]


def test_empty_organisation(tmp_path: Path) -> None:
    store = SqliteStore(path=tmp_path / "empty.sqlite")
    store.apply_schema()
    for by in GapGrouping:
        report = gap_report(store=store, group_by=by)
        assert report.empty
        assert (report.totals.employees, report.groups, report.cells, report.top_gaps) == (0, [], [], [])
        assert report.totals.coverage is None
    with pytest.raises(EmptyReport):
        write_csv(report=report, path=tmp_path / "gaps.csv")
    assert not (tmp_path / "gaps.csv").exists()
    store.close()


def test_organisation_without_learning_goals_is_empty(tmp_path: Path) -> None:
    store = SqliteStore(path=tmp_path / "teachers.sqlite")
    store.apply_schema()
    build_org(store, [person("t1", "Sales", 4, {"lead": 5})])
    report = gap_report(store=store)
    assert report.empty
    assert (report.totals.employees, report.totals.teachers) == (1, 1)
    store.close()


# -- every output agrees ---------------------------------------------------------------------


def csv_rows(report: GapReport) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(cells_csv(report))))


@pytest.mark.parametrize("by", list(GapGrouping))
def test_csv_json_and_cells_agree(store: SqliteStore, by: GapGrouping) -> None:
    report = gap_report(store=store, group_by=by)
    rows = csv_rows(report)
    assert list(rows[0]) == list(CSV_COLUMNS)
    data = json.loads(report_json(report))
    assert GapReport.model_validate(data) == report
    assert len(rows) == len(data["cells"]) == len(report.cell_rows) * len(report.categories)
    for row, cell in zip(rows, data["cells"], strict=True):
        assert (row["group_by"], row["group"], row["category"]) == (report.cell_axis, cell["group"], cell["category"])
        for name in CSV_COLUMNS[3:]:
            expected = cell[name]
            assert row[name] == ("" if expected is None else str(expected)), name


@pytest.mark.parametrize("by", list(GapGrouping))
def test_cells_add_up_to_groups_and_totals(store: SqliteStore, by: GapGrouping) -> None:
    check_sums(gap_report(store=store, group_by=by))


def check_sums(report: GapReport) -> None:
    """Every group is the sum of its cells, the totals the sum of the cells, flows too."""
    by_category = report.group_by is GapGrouping.CATEGORY
    fields = (*CORE, "junior_to_senior", "senior_to_junior")
    for summary in report.groups:
        cells = [c for c in report.cells if (c.category if by_category else c.group) == summary.group]
        for name in fields:
            assert getattr(summary, name) == pytest.approx(sum(getattr(c, name) for c in cells), abs=1e-6), name
    for name in fields:
        assert getattr(report.totals, name) == pytest.approx(sum(getattr(c, name) for c in report.cells), abs=1e-6)
        assert getattr(report.totals, name) == pytest.approx(sum(getattr(g, name) for g in report.groups), abs=0.011)
    assert report.totals.junior_to_senior == pytest.approx(sum(f.junior_to_senior for f in report.flows), abs=1e-6)
    assert report.totals.senior_to_junior == pytest.approx(sum(f.senior_to_junior for f in report.flows), abs=1e-6)
    for item in (report.totals, *report.groups, *report.cells):
        if item.learners:
            assert item.coverage == round((item.met_in_group + item.met_across_groups) / item.learners, 4)
            assert item.unmet_learners == pytest.approx(item.learners - item.met_in_group - item.met_across_groups,
                                                        abs=0.011)  # fmt: skip
        else:
            assert item.coverage is None


@pytest.mark.slow
@pytest.mark.parametrize("by", list(GapGrouping))
def test_sums_hold_on_a_demo_organisation(tmp_path: Path, by: GapGrouping) -> None:
    from ingest.demo import generate_organisation
    from ingest.taxonomy import load_skills

    employees = generate_organisation(size=400, seed=3)
    used = {s.skill_id for e in employees for s in e.skills} | {g.skill_id for e in employees for g in e.goals}
    store = SqliteStore(path=tmp_path / "demo.sqlite")
    store.apply_schema()
    store.upsert_skills(skills=[s.model_copy(update={"broader": ()}) for s in load_skills() if s.id in used])
    store.upsert_employees(employees=employees)
    report = gap_report(store=store, group_by=by, top=5)
    assert report.totals.employees == 400
    assert report.totals.learners > 0
    check_sums(report)
    assert all(len(g.top_gaps) <= 5 for g in report.groups)
    # Whatever the grouping, nobody is served twice and nobody is lost.
    assert report.totals.unmet_learners == pytest.approx(
        sum(max(0, g.learners - g.teachers) for g in gap_report(store=store, group_by="category", top=10**6).top_gaps),
        abs=0.05,
    )
    store.close()
