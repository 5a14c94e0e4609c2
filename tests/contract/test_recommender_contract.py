"""The recommender on a fixed organisation, against every store backend: the same
rankings, scores, agendas and teacher answers from the embedded store and from Neo4j.

``build_org`` is also the small organisation the recommender's unit tests use.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.sqlite_store import SqliteStore
from graph.store import GraphStore, SimilarEdge
from ingest.embedder import Embedder
from recommender.pairing import agenda, recommend
from recommender.policy import MentoringDirection, ProgrammePolicy
from recommender.teachers import find_teachers
from schema import Employee, EmployeeSkill, LearningGoal, Pairing, PairingStatus, Skill

# (id, label, digital, broader, skill_type)
SKILLS: list[tuple[str, str, bool, tuple[str, ...], str]] = [
    ("g-social", "social media", True, (), "group"),
    ("g-mgmt", "management skills", False, (), "group"),
    ("pinterest", "Pinterest", True, ("g-social",), "technology"),
    ("instagram", "Instagram", True, ("g-social",), "technology"),
    ("tiktok", "TikTok", True, ("g-social",), "technology"),
    ("social-mkt", "social media marketing", True, ("g-social",), "skill/competence"),
    ("whatsapp", "WhatsApp", True, (), "technology"),
    ("whatsapp-biz", "WhatsApp Business", True, (), "technology"),
    ("genai", "generative AI tools", True, (), "knowledge"),
    ("chatgpt", "ChatGPT", True, ("genai",), "technology"),
    ("excel", "Microsoft Excel", True, (), "technology"),
    ("leadership", "leadership principles", False, ("g-mgmt",), "knowledge"),
    ("negotiation", "negotiate business agreements", False, ("g-mgmt",), "skill/competence"),
    ("strategy", "strategic planning", False, ("g-mgmt",), "skill/competence"),
    ("coaching", "coach employees", False, ("g-mgmt",), "skill/competence"),
    ("budgets", "manage budgets", False, (), "skill/competence"),
    ("speaking", "public speaking", False, (), "skill/competence"),
    ("negotiating", "negotiation", False, (), "skill/competence"),
    ("r-and-d", "research and development", False, (), "knowledge"),
    ("sanskrit", "Sanskrit", False, (), "knowledge"),
    ("falconry", "falconry", False, (), "skill/competence"),
]
SIMILAR = [
    ("whatsapp", "whatsapp-biz", 0.85),
    ("whatsapp-biz", "whatsapp", 0.85),
    ("instagram", "pinterest", 0.65),
    ("pinterest", "instagram", 0.65),
    ("negotiation", "negotiating", 0.8),
    ("negotiating", "negotiation", 0.8),
    ("strategy", "leadership", 0.62),
    ("leadership", "strategy", 0.62),
]


def _person(
    pid: str,
    name: str,
    *,
    title: str,
    department: str,
    seniority: int,
    manager: str | None = None,
    skills: dict[str, int] | None = None,
    goals: dict[str, int] | None = None,
    utc: float = 0.0,
    capacity: int = 1,
    opt_in: bool = True,
) -> Employee:
    return Employee(
        id=pid,
        name=name,
        title=title,
        department=department,
        seniority=seniority,
        manager_id=manager,
        utc_offset=utc,
        capacity=capacity,
        opt_in=opt_in,
        skills=tuple(EmployeeSkill(skill_id=s, level=v) for s, v in (skills or {}).items()),
        goals=tuple(LearningGoal(skill_id=s, priority=p) for s, p in (goals or {}).items()),
    )


EMPLOYEES = [
    _person("ceo", "Carmen Ortiz", title="Chief Executive Officer", department="Board", seniority=5,
            skills={"strategy": 5, "leadership": 5, "negotiation": 4}, goals={"genai": 5, "tiktok": 3}),
    _person("vps", "Victor Sato", title="VP Sales", department="Sales", seniority=4, manager="ceo",
            skills={"negotiation": 5, "leadership": 4, "budgets": 4, "speaking": 3},
            goals={"pinterest": 5, "whatsapp-biz": 4, "instagram": 2}, capacity=2),
    _person("vpi", "Vera Ilic", title="VP IT", department="IT", seniority=4, manager="ceo",
            skills={"strategy": 4, "coaching": 4, "excel": 5}, goals={"tiktok": 4, "social-mkt": 3}),
    _person("lead", "Lars Berg", title="Marketing Lead", department="Marketing", seniority=3, manager="ceo",
            skills={"social-mkt": 5, "coaching": 3, "speaking": 4}, goals={"budgets": 3}),
    _person("ana", "Ana Silva", title="Marketing Specialist", department="Marketing", seniority=1, manager="lead",
            skills={"pinterest": 5, "instagram": 4, "tiktok": 4, "social-mkt": 3, "negotiating": 2},
            goals={"negotiation": 5, "leadership": 3}),
    _person("ben", "Ben Okafor", title="Software Developer", department="IT", seniority=2, manager="vpi",
            skills={"genai": 5, "chatgpt": 5, "whatsapp": 4, "excel": 3}, goals={"strategy": 4, "speaking": 2},
            capacity=2),
    _person("cy", "Cy Novak", title="Data Analyst", department="Finance", seniority=1, manager="vps",
            skills={"chatgpt": 4, "tiktok": 3, "negotiation": 5}, goals={"coaching": 4}),
    _person("dee", "Dee Park", title="Sales Representative", department="Sales", seniority=2, manager="lead",
            skills={"instagram": 5, "whatsapp-biz": 5}, goals={"negotiation": 4, "budgets": 3}, utc=9.0),
    _person("eli", "Eli Moss", title="Designer", department="Marketing", seniority=1, manager="lead",
            skills={"pinterest": 4, "tiktok": 5}, goals={"leadership": 4}, opt_in=False),
    _person("fay", "Fay Lund", title="Senior Analyst", department="Finance", seniority=3, manager="ceo",
            skills={"excel": 4}, goals={}),
    _person("hal", "Hal Reed", title="Accountant", department="Finance", seniority=2, manager="ceo",
            skills={"budgets": 5}, goals={"leadership": 3, "excel": 4}),
    _person("gus", "Gus Hale", title="Archivist", department="Library", seniority=3, manager="ceo",
            skills={"sanskrit": 4}, goals={"falconry": 5}),
]  # fmt: skip


def build_org(store: GraphStore, embedder: Embedder | None = None) -> GraphStore:
    """Load the fixed organisation (skill embeddings only when an embedder is given)."""
    skills = [
        Skill(id=sid, label=label, digital=digital, broader=broader, skill_type=kind)
        for sid, label, digital, broader, kind in SKILLS
    ]
    groups = [s for s in skills if s.skill_type == "group"]
    others = [s for s in skills if s.skill_type != "group"]
    store.upsert_skills(skills=groups)
    embeddings = embedder.embed([s.embedding_text() for s in others]) if embedder is not None else None
    store.upsert_skills(skills=others, embeddings=embeddings)
    store.upsert_similar(edges=[SimilarEdge(a, b, score) for a, b, score in SIMILAR])
    store.upsert_employees(employees=EMPLOYEES)
    # Cy is busy: capacity 1, one active pairing. Ben and Victor were paired before.
    store.upsert_pairings(
        pairings=[
            Pairing(id="p-cy", employee_ids=("cy", "fay"), status=PairingStatus.ACTIVE),
            Pairing(id="p-old", employee_ids=("ben", "vps"), status=PairingStatus.ENDED),
        ]
    )
    return store


@pytest.fixture
def org(store: GraphStore, embedder: Embedder) -> GraphStore:
    return build_org(store, embedder)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[GraphStore]:
    """The same organisation in a separate embedded store: the answers every backend must give."""
    store = SqliteStore(path=Path(tmp_path_factory.mktemp("reference")) / "org.sqlite")
    store.apply_schema()
    yield build_org(store, embedder)
    store.close()


def _ranking(store: GraphStore, employee_id: str, policy: ProgrammePolicy | None = None) -> list[tuple[str, float]]:
    result = recommend(store=store, employee_id=employee_id, limit=10, policy=policy or ProgrammePolicy())
    return [(r.partner.id, r.score) for r in result.recommendations]


@pytest.mark.parametrize("employee_id", [e.id for e in EMPLOYEES])
def test_recommendations_are_identical_on_every_backend(
    org: GraphStore, reference: GraphStore, employee_id: str
) -> None:
    for policy in (
        ProgrammePolicy(),
        ProgrammePolicy(direction=MentoringDirection.ANY, max_utc_offset_difference=None),
    ):
        assert recommend(store=org, employee_id=employee_id, limit=10, policy=policy) == recommend(
            store=reference, employee_id=employee_id, limit=10, policy=policy
        )


def test_the_reverse_mentoring_ranking_on_the_fixed_organisation(org: GraphStore) -> None:
    # Victor (VP Sales) wants Pinterest, WhatsApp Business and Instagram. Ana teaches two of
    # them exactly and wants his negotiation and leadership; Lars only through a sibling
    # skill (social media marketing) and wants his budgeting. Ben was his partner before;
    # Dee is 9 hours away; Eli opted out; the CEO is his manager. Hal only learns from him
    # (one-sided, so last, with score 0).
    assert _ranking(org, "vps") == [("ana", 0.814395), ("lead", 0.430946), ("hal", 0.0)]
    # Traditional mentoring without the time-zone rule: Dee, 9 hours away, comes first (she
    # teaches WhatsApp Business and Instagram exactly and wants both of his strengths).
    # Ben is still a previous partner and Cy still reports to him.
    policy = ProgrammePolicy(direction=MentoringDirection.TRADITIONAL, max_utc_offset_difference=None)
    assert [pid for pid, _ in _ranking(org, "vps", policy)] == ["dee", "ana", "lead", "hal"]


def test_agenda_is_identical_on_every_backend(org: GraphStore, reference: GraphStore) -> None:
    for first, second in [("vps", "ana"), ("ben", "vpi"), ("gus", "ceo")]:
        assert agenda(store=org, first_id=first, second_id=second) == agenda(
            store=reference, first_id=first, second_id=second
        )


@pytest.mark.parametrize(
    "question",
    ["who can teach me Pinterest or WhatsApp marketing?", "research and development", "someone good at falconry"],
)
def test_teacher_search_is_identical_on_every_backend(
    org: GraphStore, reference: GraphStore, embedder: Embedder, question: str
) -> None:
    ours = find_teachers(store=org, question=question, embedder=embedder, asker_id="vps")
    theirs = find_teachers(store=reference, question=question, embedder=embedder, asker_id="vps")
    assert [t.model_dump(exclude={"skills"}) for t in ours.topics] == [
        t.model_dump(exclude={"skills"}) for t in theirs.topics
    ]
    # Vector scores differ in the last float digits between an exact scan and Neo4j's
    # index; the skills found and their order must not.
    assert [[s.skill.id for s in t.skills] for t in ours.topics] == [
        [s.skill.id for s in t.skills] for t in theirs.topics
    ]
    assert [(m.person.id, m.score) for m in ours.teachers] == [(m.person.id, m.score) for m in theirs.teachers]
    assert ours.teachers == theirs.teachers
