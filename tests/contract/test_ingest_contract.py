"""Ingest against every store backend: the same files give the same graph, bad rows are
reported and skipped, re-runs change nothing, erasure removes everything."""

from __future__ import annotations

import shutil
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from graph.store import GraphStore
from ingest.embedder import Embedder
from ingest.employees import FIELDS, InputFileError
from ingest.normalise import MatchMethod, SkillNormaliser
from ingest.seed import seed_taxonomy
from ingest.service import IngestReport, erase_employee, ingest_employees
from ingest.taxonomy import load_skills
from schema import Pairing, Skill

ROOT = Path(__file__).resolve().parent.parent.parent
EXAMPLES = ROOT / "examples"
FIXTURES = ROOT / "tests" / "fixtures" / "ingest"
HEADER = ",".join(FIELDS)

#: Labels the examples and fixtures name, plus neighbours so that ranking has a choice.
SUBSET_LABELS = {
    "lead others", "develop business plans", "manage budgets", "strategic planning", "TikTok", "OpenAI ChatGPT",
    "apply social media marketing", "social media management", "perform market research", "Canva", "Instagram",
    "WhatsApp", "lead a team", "Slack", "use spreadsheets software", "coach employees", "apply change management",
    "Microsoft Excel", "Tableau", "communication", "Pinterest", "Python (computer programming)", "negotiation",
    "Facebook", "LinkedIn", "YouTube", "social media marketing techniques", "plan social media marketing campaigns",
    "public speaking", "negotiate buying conditions", "negotiate sales contracts", "think proactively",
    "think analytically", "JavaScript", "Java (computer programming)", "SQL", "manage a team", "motivate others",
    "Social media sites", "Microsoft PowerPoint", "Google Docs", "Zoom", "Microsoft Teams",
}  # fmt: skip


def subset_skills() -> list[Skill]:
    """A small real slice of the taxonomy: the skills above and their direct parents."""
    everything = load_skills()
    chosen = [skill for skill in everything if skill.label in SUBSET_LABELS]
    parents = {parent for skill in chosen for parent in skill.broader}
    return [skill for skill in everything if skill.label in SUBSET_LABELS or skill.id in parents]


def seed_subset(store: GraphStore, embedder: Embedder) -> list[Skill]:
    skills = subset_skills()
    seed_taxonomy(store=store, embedder=embedder, skills=skills)
    return skills


def skill_id(label: str) -> str:
    matches = sorted(skill.id for skill in subset_skills() if skill.label == label)
    assert matches, label
    return matches[0]


@pytest.fixture
def seeded(store: GraphStore, embedder: Embedder) -> GraphStore:
    seed_subset(store, embedder)
    return store


def run(store: GraphStore, embedder: Embedder, path: Path, **options: Any) -> IngestReport:
    normaliser = SkillNormaliser(store=store, embedder=embedder)
    return ingest_employees(store=store, normaliser=normaliser, path=path, **options)


def snapshot(store: GraphStore) -> dict[str, Any]:
    """Everything a user could see: employees with skills and goals, skills, edges."""
    ids = store.list_employee_ids()
    employees = store.get_employees(employee_ids=ids)
    skills = store.list_skills()
    return {
        "counts": asdict(store.counts()),
        "employees": [employees[i].model_dump() for i in ids],
        "skills": [s.model_dump() for s in skills],
        "similar": store.similar_skills(skill_ids=[s.id for s in skills]),
        "reporting": {i: sorted(store.reporting_chain(employee_id=i)) for i in ids},
    }


def copy(name: str, tmp_path: Path, folder: Path = FIXTURES) -> Path:
    """The file in a folder of its own (the embedded store lives in ``tmp_path``)."""
    target = tmp_path / "files" / name
    target.parent.mkdir(exist_ok=True)
    shutil.copyfile(folder / name, target)
    return target


# -- taxonomy ---------------------------------------------------------------------------


def test_seed_writes_skills_hierarchy_and_similarity_idempotently(store: GraphStore, embedder: Embedder) -> None:
    skills = subset_skills()
    first = seed_taxonomy(store=store, embedder=embedder, skills=skills)
    groups = [s for s in skills if s.skill_type == "group"]
    assert first.skills == len(skills) and first.embedded == len(skills) - len(groups)
    assert store.counts().skills == len(skills)
    # Groups carry no embedding; every other skill does.
    assert sorted(store.skill_ids_without_embedding()) == sorted(s.id for s in groups)
    child = next(s for s in skills if s.broader and all(p in {g.id for g in skills} for p in s.broader))
    assert {parent for _, parent in store.broader_edges(skill_ids=[child.id])} == set(child.broader)
    # Near-synonyms are linked both ways: the ESCO and O*NET views of social media.
    edges = store.similar_skills(skill_ids=[s.id for s in skills])
    assert first.similar_edges == len(edges) > 0
    assert all(edge.score >= 0.6 for edge in edges)
    before = snapshot(store)
    again = seed_taxonomy(store=store, embedder=embedder, skills=skills)
    assert again.texts_through_model == 0
    assert snapshot(store) == before


# -- employees: the happy path ----------------------------------------------------------


def test_examples_in_every_format_give_the_same_graph(seeded: GraphStore, embedder: Embedder, tmp_path: Path) -> None:
    states = []
    for name in ("employees.csv", "employees.json", "employees.jsonl"):
        for employee_id in seeded.list_employee_ids():
            seeded.delete_employee(employee_id=employee_id)
        report = run(seeded, embedder, copy(name, tmp_path, EXAMPLES))
        assert (report.read, report.ingested, report.rejected) == (6, 6, 0), report.rejections
        assert report.rejects_path is None and not (tmp_path / "files" / name.replace(".", ".rejects.")).exists()
        states.append(snapshot(seeded))
    assert states[0] == states[1] == states[2]
    e003 = seeded.get_employee(employee_id="e003")
    assert e003 is not None and e003.manager_id == "e002"
    assert seeded.reporting_chain(employee_id="e003") == {"e002", "e001"}
    # Ids, labels and free text all end up as skill ids; the mapping file lists the words.
    assert skill_id("Instagram") in {s.skill_id for s in e003.skills}
    assert report.mapping_path is not None
    mapping = report.mapping_path.read_text(encoding="utf-8")
    assert mapping.startswith("text,skill_id,skill_label,method,confidence,new_custom_skill,rows,nearest_skill_id")
    assert "pinterest mktg" in mapping and "Python 3" in mapping


def test_rerunning_the_same_file_changes_nothing(seeded: GraphStore, embedder: Embedder, tmp_path: Path) -> None:
    path = copy("employees.csv", tmp_path, EXAMPLES)
    first = run(seeded, embedder, path)
    before = snapshot(seeded)
    second = run(seeded, embedder, path)
    assert snapshot(seeded) == before
    assert (second.ingested, second.rejected) == (first.ingested, 0)
    # Custom skills made by the first run are found again, not made twice.
    assert second.custom_skills_created == 0
    assert {t: m.skill_id for t, m in second.mappings.items()} == {t: m.skill_id for t, m in first.mappings.items()}


def test_an_update_replaces_skills_and_goals(seeded: GraphStore, embedder: Embedder, tmp_path: Path) -> None:
    run(seeded, embedder, copy("employees.csv", tmp_path, EXAMPLES))
    update = tmp_path / "update.csv"
    update.write_text(
        f"{HEADER}\n"
        "e003,Lucía Fernández,Marketing Lead,Marketing,2,e002,Madrid,UTC+1,2,yes,Instagram:5,lead a team:5\n",
        encoding="utf-8",
    )
    report = run(seeded, embedder, update)
    assert report.ingested == 1
    e003 = seeded.get_employee(employee_id="e003")
    assert e003 is not None
    assert [(s.skill_id, s.level) for s in e003.skills] == [(skill_id("Instagram"), 5)]
    assert [(g.skill_id, g.priority) for g in e003.goals] == [(skill_id("lead a team"), 5)]
    assert (e003.title, e003.seniority, e003.capacity) == ("Marketing Lead", 2, 2)
    # The others are untouched.
    assert seeded.counts().employees == 6


def test_erase_removes_the_employee_and_every_edge(seeded: GraphStore, embedder: Embedder, tmp_path: Path) -> None:
    run(seeded, embedder, copy("employees.csv", tmp_path, EXAMPLES))
    seeded.upsert_pairings(pairings=[Pairing(id="p1", employee_ids=("e002", "e003"))])
    e002 = seeded.get_employee(employee_id="e002")
    assert e002 is not None
    before = seeded.counts()
    assert erase_employee(store=seeded, employee_id="e002") is True
    after = seeded.counts()
    assert seeded.get_employee(employee_id="e002") is None
    assert (after.employees, after.has_skill, after.wants_to_learn) == (
        before.employees - 1,
        before.has_skill - len(e002.skills),
        before.wants_to_learn - len(e002.goals),
    )
    # e002 reported to e001 and managed e003: both reporting edges are gone.
    assert after.reports_to == before.reports_to - 2
    assert after.pairings == 0
    assert "e002" not in {h.employee_id for h in seeded.holders(skill_ids=[s.skill_id for s in e002.skills])}
    assert "e002" not in seeded.reporting_chain(employee_id="e003")
    report = seeded.get_employee(employee_id="e003")
    assert report is not None and report.manager_id is None  # no trace of the erased manager
    assert erase_employee(store=seeded, employee_id="e002") is False


# -- employees: bad input ---------------------------------------------------------------


def rejected_fields(report: IngestReport) -> dict[str, set[str]]:
    return {r.employee_id or f"line {r.line}": {p.field for p in r.problems} for r in report.rejections}


def test_wrong_types_are_rejected_and_valid_rows_kept(seeded: GraphStore, embedder: Embedder, tmp_path: Path) -> None:
    report = run(seeded, embedder, copy("wrong_types.csv", tmp_path))
    assert (report.read, report.ingested, report.rejected) == (8, 1, 7)
    assert seeded.list_employee_ids() == ["w1"]
    assert rejected_fields(report) == {
        "w2": {"seniority"},
        "w3": {"capacity"},
        "w4": {"opt_in"},
        "w5": {"utc_offset"},
        "w6": {"skills"},
        "bad id!": {"id"},
        "w8": {"name"},
    }
    assert [r.line for r in report.rejections] == [3, 4, 5, 6, 7, 8, 9]
    # The rejects file has the same columns plus the reason, ready to fix and re-run.
    assert report.rejects_path == tmp_path / "files" / "wrong_types.rejects.csv"
    lines = report.rejects_path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == HEADER + ",rejected_because"
    assert lines[1].startswith("w2,Bad Seniority,") and lines[1].endswith(
        "seniority: 'senior' is not a whole number from 1 to 5"
    )


def test_fixed_rejects_file_completes_the_import(seeded: GraphStore, embedder: Embedder, tmp_path: Path) -> None:
    report = run(seeded, embedder, copy("level_nine.csv", tmp_path))
    assert report.rejects_path is not None
    fixed = report.rejects_path.read_text(encoding="utf-8").replace("Instagram:9", "Instagram:5")
    fixed = fixed.replace("lead others:0", "lead others:1")
    report.rejects_path.write_text(fixed, encoding="utf-8")
    again = run(seeded, embedder, report.rejects_path)
    assert (again.ingested, again.rejected) == (2, 0)
    assert seeded.list_employee_ids() == ["n1", "n2", "n3"]


def test_level_nine_names_the_field_and_value(seeded: GraphStore, embedder: Embedder, tmp_path: Path) -> None:
    report = run(seeded, embedder, copy("level_nine.csv", tmp_path))
    assert seeded.list_employee_ids() == ["n1"]
    reasons = {r.employee_id: [f"{p.field}: {p.reason}" for p in r.problems] for r in report.rejections}
    assert reasons == {
        "n2": ["skills: level 9 is out of range (1-5) for 'Instagram'"],
        "n3": ["goals: priority 0 is out of range (1-5) for 'lead others'"],
    }


def test_unknown_managers_are_rejected_but_later_rows_count(
    seeded: GraphStore, embedder: Embedder, tmp_path: Path
) -> None:
    report = run(seeded, embedder, copy("unknown_manager.csv", tmp_path))
    # u4's manager u5 comes later in the file: that is fine.
    assert seeded.list_employee_ids() == ["u1", "u2", "u4", "u5"]
    assert rejected_fields(report) == {"u3": {"manager_id"}}
    assert (
        "'nobody-here' is neither an employee in this file nor in the store" in report.rejections[0].problems[0].reason
    )
    assert seeded.reporting_chain(employee_id="u4") == {"u5", "u1"}
    # A manager already in the store is known to later files.
    later = tmp_path / "later.csv"
    later.write_text(f"{HEADER}\nu9,Uri New,Analyst,Sales,1,u5,Oslo,UTC+1,1,yes,Instagram:3,\n", encoding="utf-8")
    assert run(seeded, embedder, later).ingested == 1


def test_duplicate_ids_reject_the_later_row(seeded: GraphStore, embedder: Embedder, tmp_path: Path) -> None:
    report = run(seeded, embedder, copy("duplicate_ids.csv", tmp_path))
    assert (report.ingested, report.rejected) == (2, 1)
    (rejection,) = report.rejections
    assert rejection.line == 4
    assert rejection.problems[0].reason == "duplicate id 'd1': first given on line 2"
    d1 = seeded.get_employee(employee_id="d1")
    assert d1 is not None and d1.name == "Dana First"


def test_non_utf8_row_is_rejected_and_the_others_imported(
    seeded: GraphStore, embedder: Embedder, tmp_path: Path
) -> None:
    report = run(seeded, embedder, copy("non_utf8.csv", tmp_path))
    assert seeded.list_employee_ids() == ["x1", "x3"]
    assert rejected_fields(report) == {"x2": {"name"}}
    x3 = seeded.get_employee(employee_id="x3")
    assert x3 is not None and x3.name == "Zoé Utf"


def test_non_utf8_bytes_in_json_lines_never_reach_the_store(
    seeded: GraphStore, embedder: Embedder, tmp_path: Path
) -> None:
    report = run(seeded, embedder, copy("non_utf8.jsonl", tmp_path))
    assert seeded.list_employee_ids() == ["b1"]
    assert rejected_fields(report) == {"b2": {"skills"}, "b3": {"name"}}
    # No custom skill was made from the undecodable "Caf\xe9 culture".
    assert all(not skill.id.startswith("custom:") for skill in seeded.list_skills())


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty.csv", "the file is empty"),
        ("header_only.csv", "the file has no employee rows"),
        ("missing_column.csv", "line 1: missing column skills"),
        ("broken.json", "line 4: invalid JSON"),
    ],
)
def test_file_level_errors_write_nothing(
    seeded: GraphStore, embedder: Embedder, tmp_path: Path, name: str, message: str
) -> None:
    before = snapshot(seeded)
    with pytest.raises(InputFileError, match=message):
        run(seeded, embedder, copy(name, tmp_path))
    assert snapshot(seeded) == before
    # No rejects or mapping file either: there is nothing to fix row by row.
    assert sorted(p.name for p in (tmp_path / "files").iterdir()) == [name]


def test_jsonl_with_bad_lines(seeded: GraphStore, embedder: Embedder, tmp_path: Path) -> None:
    report = run(seeded, embedder, copy("mixed.jsonl", tmp_path))
    assert seeded.list_employee_ids() == ["l1", "l7"]
    assert [r.line for r in report.rejections] == [2, 3, 4, 5, 6]
    assert report.rejects_path is not None
    written = report.rejects_path.read_text(encoding="utf-8").splitlines()
    assert written[0] == '{"id": "l2", "name": "Lou Broken", "skills": ['  # not JSON: given back as it was
    assert '"rejected_because": "skills: level 9 is out of range (1-5) for \'Instagram\'"' in written[3]


def test_unknown_skill_ids_reject_the_row(seeded: GraphStore, embedder: Embedder, tmp_path: Path) -> None:
    path = tmp_path / "ids.csv"
    path.write_text(
        f"{HEADER}\nk1,Kim,,,,,,,,,esco:not-a-skill:3;Instagram:2,\nk2,Kai,,,,,,,,,Instagram:2,\n", encoding="utf-8"
    )
    report = run(seeded, embedder, path)
    assert seeded.list_employee_ids() == ["k2"]
    assert report.rejections[0].problems[0].reason == "unknown skill id 'esco:not-a-skill'"


# -- normalisation ----------------------------------------------------------------------


def test_free_text_maps_to_taxonomy_or_a_linked_custom_skill(seeded: GraphStore, embedder: Embedder) -> None:
    normaliser = SkillNormaliser(store=seeded, embedder=embedder)
    result = normaliser.resolve(["instagram", "Node-JS", "onet:tiktok", "Python 3", "underwater drone videography"])
    instagram = result["instagram"]
    assert instagram.skill_id == skill_id("Instagram") and instagram.method is MatchMethod.LABEL  # type: ignore[union-attr]
    assert result["onet:tiktok"].method is MatchMethod.ID  # type: ignore[union-attr]
    python = result["Python 3"]
    assert python.skill_id == skill_id("Python (computer programming)")  # type: ignore[union-attr]
    assert python.method is MatchMethod.SIMILARITY and python.confidence >= normaliser.threshold  # type: ignore[union-attr]
    drone = result["underwater drone videography"]
    assert drone.method is MatchMethod.CUSTOM and drone.created  # type: ignore[union-attr]
    assert drone.skill_id == "custom:underwater-drone-videography"  # type: ignore[union-attr]
    custom = seeded.get_skill(skill_id="custom:underwater-drone-videography")
    assert custom is not None and custom.source.value == "custom"
    # A fresh normaliser (a re-run) finds the custom skill by its label.
    again = SkillNormaliser(store=seeded, embedder=embedder).resolve(["Underwater drone videography"])
    assert again["Underwater drone videography"].skill_id == "custom:underwater-drone-videography"  # type: ignore[union-attr]
    assert seeded.counts().skills == len(subset_skills()) + 1 + (result["Node-JS"].method is MatchMethod.CUSTOM)  # type: ignore[union-attr]
