"""Reproducible demo organisations built from real taxonomy and HR data.

Why: the README's main command, the benchmarks and the recommender's evaluation need an
organisation that looks like a real one without shipping anybody's personal data. The
shape comes from the IBM HR attrition data set (department x job role x job level counts,
shipped as ``ingest/data/ibm_hr_roles.csv``), the skills from the ESCO occupations those
roles map to and from O*NET technologies, and the reverse-mentoring signal is built in:
juniors hold more digital / social-media / hot-technology skills and want leadership,
strategy and negotiation; seniors the reverse, with noise. Planted complementary pairs
give the recommender a ground truth to be scored against.

Everything is drawn from one ``random.Random(seed)`` and never iterates over a ``set``,
so the same arguments give identical output on every run and platform.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import random
import tempfile
from bisect import bisect_right
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from ingest.taxonomy import ROLES_FILE, data_file, load_occupations, load_skills
from schema.models import Employee, EmployeeSkill, LearningGoal, Skill, SkillSource

MIN_SIZE = 100
MAX_SIZE = 100_000
CSV_COLUMNS = (
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

EXECUTIVE_OFFICE = "Executive Office"
#: Share of employees (approximately) whose goals are skills nobody in the organisation holds.
ISOLATED_SHARE = 0.01
#: A people manager leads about this many direct reports from one level below.
TARGET_SPAN = 7
#: Share of reporting lines that cross departments (matrix organisations).
CROSS_DEPARTMENT_SHARE = 0.03


# --------------------------------------------------------------------------------------
# hand-written tables (role -> occupations, skill pools, offices, names)


@dataclass(frozen=True)
class RoleMap:
    """ESCO occupation labels and O*NET-SOC codes a job role draws its skills from."""

    esco: tuple[str, ...]
    onet: tuple[str, ...]


#: (department, job role) -> occupations. IBM's generic "Manager" role depends on the department.
ROLE_OCCUPATIONS: Mapping[tuple[str, str], RoleMap] = {
    ("Sales", "Sales Executive"): RoleMap(
        ("sales account manager", "commercial sales representative", "sales manager", "advertising manager"),
        ("41-4011.00", "11-2022.00"),
    ),
    ("Sales", "Sales Representative"): RoleMap(
        ("commercial sales representative", "medical sales representative", "technical sales representative"),
        ("41-4011.00", "41-4012.00"),
    ),
    ("Sales", "Manager"): RoleMap(
        ("sales manager", "commercial director", "chief marketing officer"), ("11-2022.00", "11-2021.00")
    ),
    ("Research & Development", "Research Scientist"): RoleMap(
        ("biochemist", "pharmacologist", "biomedical scientist", "chemist"), ("19-1021.00", "19-1042.00")
    ),
    ("Research & Development", "Laboratory Technician"): RoleMap(
        (
            "scientific laboratory technician",
            "biochemistry technician",
            "chemistry technician",
            "medical laboratory assistant",
        ),
        ("19-4021.00", "19-4031.00", "29-2012.00"),
    ),
    ("Research & Development", "Research Director"): RoleMap(
        ("research and development manager", "research manager", "pharmacologist"), ("11-9121.00",)
    ),
    ("Research & Development", "Manufacturing Director"): RoleMap(
        ("manufacturing manager", "chemical production manager", "quality services manager"),
        ("11-3051.00", "11-3051.01"),
    ),
    ("Research & Development", "Healthcare Representative"): RoleMap(
        ("medical sales representative", "healthcare consultant", "pharmaceutical quality specialist"),
        ("41-4011.00", "11-9121.01"),
    ),
    ("Research & Development", "Manager"): RoleMap(
        ("research and development manager", "chief technology officer"), ("11-9121.00", "11-1021.00")
    ),
    ("Human Resources", "Human Resources"): RoleMap(
        (
            "human resources officer",
            "human resources assistant",
            "recruitment consultant",
            "corporate trainer",
        ),
        ("13-1071.00", "43-4161.00", "13-1151.00"),
    ),
    ("Human Resources", "Manager"): RoleMap(
        ("human resources manager", "corporate training manager"), ("11-3121.00", "11-3131.00")
    ),
    ("Marketing", "Marketing Specialist"): RoleMap(
        ("marketing assistant", "online marketer", "online community manager", "marketing consultant"),
        ("13-1161.00", "13-1161.01", "27-3031.00"),
    ),
    ("Marketing", "Marketing Manager"): RoleMap(
        ("marketing manager", "digital marketing manager", "advertising manager", "public relations manager"),
        ("11-2021.00", "11-2011.00", "11-2032.00"),
    ),
    ("Information Technology", "Software Developer"): RoleMap(
        ("software developer", "web developer"), ("15-1252.00", "15-1254.00")
    ),
    ("Information Technology", "Data Scientist"): RoleMap(("data scientist",), ("15-2051.00",)),
    ("Information Technology", "IT Manager"): RoleMap(
        ("ICT project manager", "chief information officer", "ICT operations manager"), ("11-3021.00",)
    ),
    ("Finance", "Financial Analyst"): RoleMap(("financial analyst", "accountant"), ("13-2051.00", "13-2011.00")),
    ("Finance", "Finance Manager"): RoleMap(("financial manager", "financial controller"), ("11-3031.00",)),
    (EXECUTIVE_OFFICE, "Chief Executive Officer"): RoleMap(
        ("chief executive officer", "chief operating officer"), ("11-1011.00", "11-1021.00")
    ),
}

#: Extra ISCO 1xxx manager occupations mixed into the profiles of seniority 4-5.
EXECUTIVE_OCCUPATIONS: Mapping[str, RoleMap] = {
    "Sales": RoleMap(("sales manager", "chief marketing officer", "commercial director"), ("11-2022.00",)),
    "Research & Development": RoleMap(
        ("research and development manager", "chief technology officer"), ("11-9121.00",)
    ),
    "Human Resources": RoleMap(("human resources manager",), ("11-3121.00",)),
    "Marketing": RoleMap(("marketing manager", "chief marketing officer"), ("11-2021.00",)),
    "Information Technology": RoleMap(("chief information officer", "ICT project manager"), ("11-3021.00",)),
    "Finance": RoleMap(("financial manager",), ("11-3031.00",)),
    EXECUTIVE_OFFICE: RoleMap(("chief executive officer", "chief operating officer"), ("11-1011.00",)),
}
GENERAL_EXECUTIVE = RoleMap(("chief operating officer", "project manager"), ("11-1021.00",))

#: Departments the IBM data does not have, with counts on the IBM scale (1,470 people);
#: hand-written, so that digital natives (marketing, IT) are part of the demo.
SYNTHETIC_ROLES: tuple[tuple[str, str, int, int], ...] = (
    ("Marketing", "Marketing Specialist", 1, 45),
    ("Marketing", "Marketing Specialist", 2, 35),
    ("Marketing", "Marketing Specialist", 3, 12),
    ("Marketing", "Marketing Manager", 3, 8),
    ("Marketing", "Marketing Manager", 4, 8),
    ("Marketing", "Marketing Manager", 5, 4),
    ("Information Technology", "Software Developer", 1, 50),
    ("Information Technology", "Software Developer", 2, 45),
    ("Information Technology", "Software Developer", 3, 20),
    ("Information Technology", "Data Scientist", 1, 10),
    ("Information Technology", "Data Scientist", 2, 15),
    ("Information Technology", "Data Scientist", 3, 8),
    ("Information Technology", "IT Manager", 3, 6),
    ("Information Technology", "IT Manager", 4, 8),
    ("Information Technology", "IT Manager", 5, 4),
    ("Finance", "Financial Analyst", 1, 35),
    ("Finance", "Financial Analyst", 2, 30),
    ("Finance", "Financial Analyst", 3, 12),
    ("Finance", "Finance Manager", 3, 6),
    ("Finance", "Finance Manager", 4, 6),
    ("Finance", "Finance Manager", 5, 3),
)

#: Digital and trend topics juniors typically teach in reverse-mentoring programmes.
TREND_ONET = (
    "Instagram",
    "TikTok",
    "Pinterest",
    "WhatsApp",
    "Snapchat",
    "Twitter",
    "Facebook",
    "LinkedIn",
    "YouTube",
    "Slack",
    "OpenAI ChatGPT",
    "Python",
    "Canva",
    "Figma",
    "Google Analytics",
    "HubSpot software",
    "Microsoft Teams",
    "Zoom",
    "Tableau",
    "Microsoft Power BI",
    "Asana",
    "GitHub",
    "WordPress",
    "Atlassian JIRA",
    "Google Workspace software",
)
TREND_ESCO = (
    "social media management",
    "apply social media marketing",
    "stay up to date with social media",
    "social media marketing techniques",
    "plan social media marketing campaigns",
    "digital marketing techniques",
    "plan digital marketing",
    "web analytics",
    "conduct search engine optimisation",
    "machine learning",
    "utilise machine learning",
    "principles of artificial intelligence",
    "data analytics",
    "perform data analysis",
    "use online tools to collaborate",
    "conduct mobile marketing",
    "e-commerce systems",
    "cloud technologies",
    "online ads campaign techniques",
    "manage online communications",
    "Python (computer programming)",
    "mobile operating systems",
    "develop digital content",
)
#: Leadership, strategy and negotiation topics seniors typically teach back.
LEADERSHIP_ESCO = (
    "lead a team",
    "leadership principles",
    "manage staff",
    "manage budgets",
    "apply strategic thinking",
    "implement strategic planning",
    "strategic planning",
    "make strategic business decisions",
    "negotiate with stakeholders",
    "negotiate sales contracts",
    "negotiate terms with suppliers",
    "moderate in negotiations",
    "apply business acumen",
    "apply change management",
    "coach employees",
    "mentor individuals",
    "provide mentorship",
    "delegate responsibilities",
    "manage relationships with stakeholders",
    "build business relationships",
    "apply conflict management",
    "develop professional network",
    "represent the organisation",
    "show an exemplary leading role in an organisation",
    "exert a goal-oriented leadership role towards colleagues",
    "plan medium to long term objectives",
    "set organisational policies",
    "liaise with managers",
    "ensure cross-department cooperation",
    "present reports",
    "perform public relations",
    "conduct performance measurement",
    "recruit employees",
    "manage contracts",
    "track key performance indicators",
    "business management principles",
    "create a financial plan",
    "analyse financial performance of a company",
    "align efforts towards business development",
    "impart business plans to collaborators",
    "lead managers of company departments",
    "motivate employees",
    "strive for company growth",
    "develop business plans",
)
#: Learning goals for the ~1% of people nobody in the organisation can help: rare languages.
RARE_ESCO = (
    "Icelandic",
    "Sanskrit",
    "Ancient Greek",
    "Latin",
    "Basque",
    "Maltese",
    "Limburgish",
    "Walloon",
    "Occitan",
    "Sardinian",
    "Yiddish",
    "Berber",
    "Javanese",
    "Romani",
    "Bihari",
    "Georgian",
    "Armenian",
    "Kazakh",
    "Belarusian",
    "Welsh",
)

#: Offices with their standard-time UTC offset and share of the headcount.
OFFICES: tuple[tuple[str, float, int], ...] = (
    ("New York", -5.0, 24),
    ("San Francisco", -8.0, 8),
    ("São Paulo", -3.0, 8),
    ("London", 0.0, 20),
    ("Paris", 1.0, 10),
    ("Bangalore", 5.5, 20),
    ("Singapore", 8.0, 10),
)
#: Share of people who sit in their manager's office.
SAME_OFFICE_AS_MANAGER = 0.75

FIRST_NAMES = (
    "Aisha", "Akira", "Alejandro", "Amara", "Ana", "Andrei", "Anika", "Arjun", "Beatriz", "Ben",
    "Carlos", "Chen", "Chloe", "Daniel", "Deepa", "Diego", "Elena", "Emeka", "Emma", "Fatima",
    "Felix", "Freya", "Gabriel", "Grace", "Hana", "Hiroshi", "Ibrahim", "Ines", "Isabel", "Ivan",
    "Jamal", "James", "Jia", "Jonas", "Julia", "Kofi", "Laila", "Lars", "Leila", "Liam",
    "Lucas", "Lucia", "Maya", "Mei", "Miguel", "Mohammed", "Nadia", "Naomi", "Nikhil", "Noah",
    "Olga", "Omar", "Priya", "Rafael", "Ravi", "Rosa", "Sakura", "Samuel", "Sara", "Sofia",
    "Tariq", "Thomas", "Valentina", "Wei", "Yara", "Yusuf", "Zanele", "Zoe",
)  # fmt: skip
LAST_NAMES = (
    "Abebe", "Adeyemi", "Andersen", "Bauer", "Bianchi", "Chen", "Costa", "Dubois", "Dvorak", "Evans",
    "Fernandes", "Fischer", "Garcia", "Gupta", "Haddad", "Hansen", "Hernandez", "Ivanova", "Jensen",
    "Kapoor", "Kim", "Kowalski", "Kumar", "Larsen", "Lee", "Lopez", "Martin", "Mensah", "Moreau",
    "Müller", "Nakamura", "Nguyen", "Novak", "O'Brien", "Okafor", "Park", "Patel", "Petrov", "Rahman",
    "Reddy", "Rossi", "Santos", "Schmidt", "Silva", "Singh", "Smith", "Suzuki", "Tanaka", "Taylor",
    "Uddin", "Van Dijk", "Wang", "Williams", "Wong", "Yamamoto", "Yilmaz", "Zhang",
)  # fmt: skip

# Share of each kind of skill in a profile, by seniority 1..5: trend, broad digital,
# leadership, occupational. Juniors are digital natives; seniors hold the leadership skills.
_SKILL_MIX: Mapping[int, tuple[float, float, float, float]] = {
    1: (0.25, 0.15, 0.04, 0.56),
    2: (0.20, 0.14, 0.08, 0.58),
    3: (0.10, 0.10, 0.16, 0.64),
    4: (0.04, 0.05, 0.30, 0.61),
    5: (0.02, 0.04, 0.40, 0.54),
}
# Share of each kind of learning goal, by seniority: trend, broad digital, leadership,
# occupational growth (skills of the manager occupations of one's department).
_GOAL_MIX: Mapping[int, tuple[float, float, float, float]] = {
    1: (0.10, 0.05, 0.65, 0.20),
    2: (0.10, 0.05, 0.60, 0.25),
    3: (0.25, 0.10, 0.40, 0.25),
    4: (0.60, 0.20, 0.05, 0.15),
    5: (0.65, 0.20, 0.05, 0.10),
}
# Levels (1..5) with weights, by kind of skill and by seniority.
_DIGITAL_LEVELS: Mapping[int, tuple[float, ...]] = {
    1: (0, 1, 3, 4, 3),
    2: (0, 1, 3, 4, 3),
    3: (1, 2, 4, 3, 1),
    4: (3, 4, 2, 1, 0),
    5: (4, 4, 2, 1, 0),
}
_LEADERSHIP_LEVELS: Mapping[int, tuple[float, ...]] = {
    1: (5, 4, 1, 0, 0),
    2: (3, 5, 2, 0, 0),
    3: (1, 3, 4, 2, 0),
    4: (0, 0, 2, 5, 3),
    5: (0, 0, 1, 4, 5),
}
_OCCUPATION_LEVELS: Mapping[int, tuple[float, ...]] = {
    1: (3, 5, 3, 1, 0),
    2: (1, 3, 5, 2, 0),
    3: (0, 1, 4, 4, 1),
    4: (0, 0, 3, 5, 2),
    5: (0, 0, 2, 5, 3),
}
_PRIORITY_WEIGHTS: tuple[float, ...] = (1, 2, 4, 4, 2)
#: Share of people whose profile is the opposite of what their seniority suggests
#: (a digitally savvy executive, a junior who already leads).
_FLIP_SHARE = 0.08


# --------------------------------------------------------------------------------------
# the catalogue: pools of skill ids resolved against the shipped taxonomy


@dataclass(frozen=True)
class Pool:
    """Skill ids with cumulative weights, for fast weighted sampling."""

    ids: tuple[str, ...]
    cumulative: tuple[float, ...]
    weights: Mapping[str, float]

    @classmethod
    def of(cls, weights: Mapping[str, float]) -> Pool:
        ids = tuple(weights)
        cumulative: list[float] = []
        total = 0.0
        for ident in ids:
            total += weights[ident]
            cumulative.append(total)
        return cls(ids=ids, cumulative=tuple(cumulative), weights=dict(weights))

    @classmethod
    def mix(cls, parts: Sequence[tuple[Pool, float]]) -> Pool:
        """One pool drawing from each part with the given share (an id in two parts adds up)."""
        weights: dict[str, float] = {}
        for pool, share in parts:
            if not pool.ids or share <= 0:
                continue
            scale = share / pool.cumulative[-1]
            for ident, weight in pool.weights.items():
                weights[ident] = weights.get(ident, 0.0) + weight * scale
        return cls.of(weights)

    def draw(self, rng: random.Random, count: int, *, exclude: Container[str] | None = None) -> list[str]:
        """Up to ``count`` distinct ids, none of them in ``exclude``."""
        ids, cumulative = self.ids, self.cumulative
        if not ids or count <= 0:
            return []
        total, last, rand = cumulative[-1], len(ids) - 1, rng.random
        picked: dict[str, None] = {}
        for _attempt in range(count * 4 + 8):
            ident = ids[min(bisect_right(cumulative, rand() * total), last)]
            if ident not in picked and (exclude is None or ident not in exclude):
                picked[ident] = None
                if len(picked) == count:
                    break
        return list(picked)


@dataclass(frozen=True)
class Catalogue:
    skills: Mapping[str, Skill]
    trend: Pool
    digital: Pool
    leadership: Pool
    leadership_ids: frozenset[str]
    rare: tuple[str, ...]
    #: (department, role, senior?) -> occupational pool
    occupational: Mapping[tuple[str, str, bool], Pool]
    #: department -> pool of manager-occupation skills (growth goals)
    growth: Mapping[str, Pool]
    #: (department, role, level, weight) cells of the organisation's shape
    roles: tuple[tuple[str, str, int, float], ...]
    #: skill id -> index into the level tables: 0 digital, 1 leadership (absent: occupational)
    kind: Mapping[str, int]
    _mixed: dict[tuple[object, ...], Pool] = field(default_factory=dict)

    def skill_pool(self, *, department: str, role: str, seniority: int, profile: int) -> Pool:
        """Where a profile's skills come from: trend, digital, leadership, occupation."""
        key = ("skills", department, role, seniority >= 4, profile)
        pool = self._mixed.get(key)
        if pool is None:
            occupational = self.occupational[(department, role, seniority >= 4)]
            parts = (self.trend, self.digital, self.leadership, occupational)
            pool = self._mixed[key] = Pool.mix(list(zip(parts, _SKILL_MIX[profile], strict=True)))
        return pool

    def goal_pool(self, *, department: str, role: str, seniority: int, profile: int) -> Pool:
        """Where a profile's learning goals come from: trend, digital, leadership, growth."""
        key = ("goals", department, role, seniority >= 4, profile)
        pool = self._mixed.get(key)
        if pool is None:
            growth = self.growth.get(department, self.occupational[(department, role, seniority >= 4)])
            parts = (self.trend, self.digital, self.leadership, growth)
            pool = self._mixed[key] = Pool.mix(list(zip(parts, _GOAL_MIX[profile], strict=True)))
        return pool


def _read_roles() -> list[tuple[str, str, int, int]]:
    records: list[dict[str, str | int]] = json.loads(data_file(ROLES_FILE).read_text(encoding="utf-8"))
    return [(str(row["department"]), str(row["job_role"]), int(row["job_level"]), int(row["count"])) for row in records]


def _by_label(skills: Iterable[Skill], source: SkillSource, labels: Sequence[str], what: str) -> list[str]:
    index = {skill.label: skill.id for skill in skills if skill.source == source}
    missing = [label for label in labels if label not in index]
    if missing:
        raise LookupError(f"{what}: labels not found in the shipped {source.value} taxonomy: {missing}")
    return [index[label] for label in labels]


@cache
def catalogue() -> Catalogue:
    """Resolve the hand-written tables against the shipped taxonomy once per process."""
    skills = load_skills()
    by_id = {skill.id: skill for skill in skills}
    occupations = load_occupations()
    esco = occupations.esco_by_label()
    onet = occupations.onet_by_code()

    def occupational_weights(maps: Sequence[RoleMap]) -> dict[str, float]:
        weights: dict[str, float] = {}
        for role_map in maps:
            for label in role_map.esco:
                if label not in esco:
                    raise LookupError(f"ESCO occupation {label!r} not found in the shipped taxonomy")
                for ident in esco[label].essential:
                    weights[ident] = weights.get(ident, 0.0) + 3.0
                for ident in esco[label].optional:
                    weights[ident] = weights.get(ident, 0.0) + 1.0
            for code in role_map.onet:
                if code not in onet:
                    raise LookupError(f"O*NET occupation {code!r} not found in the shipped taxonomy")
                occupation = onet[code]
                hot = frozenset(occupation.hot) | frozenset(occupation.in_demand)
                for ident in occupation.technologies:
                    # Technologies are many per occupation; weight them so that they make up a
                    # minority of an occupational profile, favouring the hot ones.
                    weights[ident] = weights.get(ident, 0.0) + (1.5 if ident in hot else 0.4)
        return weights

    trend_ids = _by_label(skills, SkillSource.ONET, TREND_ONET, "TREND_ONET") + _by_label(
        skills, SkillSource.ESCO, TREND_ESCO, "TREND_ESCO"
    )
    leadership_ids = _by_label(skills, SkillSource.ESCO, LEADERSHIP_ESCO, "LEADERSHIP_ESCO")
    rare_candidates = _by_label(skills, SkillSource.ESCO, RARE_ESCO, "RARE_ESCO")

    digital_weights: dict[str, float] = {}
    for skill in skills:
        if skill.source == SkillSource.ESCO and skill.digital and skill.skill_type != "group":
            digital_weights[skill.id] = 1.0
        elif skill.source == SkillSource.ONET and skill.hot:
            digital_weights[skill.id] = 3.0

    # Leadership: the hand-picked list, plus the "management skills" ESCO lists for the
    # manager occupations the organisation uses.
    leadership_weights = {ident: 6.0 for ident in leadership_ids}
    for role_map in [*EXECUTIVE_OCCUPATIONS.values(), GENERAL_EXECUTIVE]:
        for label in role_map.esco:
            for ident in esco[label].essential:
                if by_id[ident].category == "management skills" and not by_id[ident].digital:
                    leadership_weights.setdefault(ident, 1.0)

    shape: list[tuple[str, str, int, float]] = [
        (department, role, level, float(count)) for department, role, level, count in _read_roles()
    ]
    shape.extend((department, role, level, float(count)) for department, role, level, count in SYNTHETIC_ROLES)
    occupational: dict[tuple[str, str, bool], Pool] = {}
    for department, role, _level, _count in [*shape, (EXECUTIVE_OFFICE, "Chief Executive Officer", 5, 0.0)]:
        mapped = ROLE_OCCUPATIONS.get((department, role))
        if mapped is None:
            raise LookupError(f"no occupation mapping for job role {role!r} in department {department!r}")
        executive = EXECUTIVE_OCCUPATIONS.get(department, GENERAL_EXECUTIVE)
        occupational[(department, role, False)] = Pool.of(occupational_weights([mapped]))
        occupational[(department, role, True)] = Pool.of(occupational_weights([mapped, executive, GENERAL_EXECUTIVE]))
    growth = {
        department: Pool.of(occupational_weights([executive, GENERAL_EXECUTIVE]))
        for department, executive in EXECUTIVE_OCCUPATIONS.items()
    }

    # Rare goals must be held by nobody: drop any that a profile could ever draw.
    holdable: set[str] = set(trend_ids) | set(digital_weights) | set(leadership_weights)
    for pool in occupational.values():
        holdable.update(pool.ids)
    rare = tuple(ident for ident in rare_candidates if ident not in holdable)
    if len(rare) < 5:
        raise LookupError("fewer than 5 rare skills are left for the isolated learners")

    return Catalogue(
        skills=by_id,
        trend=Pool.of({ident: 1.0 for ident in trend_ids}),
        digital=Pool.of(digital_weights),
        leadership=Pool.of(leadership_weights),
        leadership_ids=frozenset(leadership_weights),
        rare=rare,
        occupational=occupational,
        growth=growth,
        roles=tuple(shape),
        kind={
            **{ident: 1 for ident in leadership_weights if not by_id[ident].digital},
            **{ident: 0 for ident, skill in by_id.items() if skill.digital},
        },
    )


# --------------------------------------------------------------------------------------
# generation


@dataclass
class _Person:
    index: int
    department: str
    role: str
    seniority: int
    title: str = ""
    name: str = ""
    manager: int | None = None
    location: str = ""
    utc_offset: float = 0.0
    capacity: int = 1
    opt_in: bool = True
    skills: dict[str, int] = field(default_factory=dict)
    goals: dict[str, int] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return employee_id(self.index)


@dataclass(frozen=True)
class DemoOrganisation:
    """A generated organisation plus the ground truth planted in it."""

    employees: list[Employee]
    #: (junior id, senior id): each one's goals are skills the other holds at level >= 4.
    planted_pairs: list[tuple[str, str]]
    #: People whose learning goals nobody in the organisation holds.
    isolated_ids: list[str]


def employee_id(index: int) -> str:
    """Employee ids are "E" plus six digits, so they sort in creation order."""
    return f"E{index + 1:06d}"


@cache
def _cumulative(weights: tuple[float, ...]) -> tuple[tuple[float, ...], float]:
    running = 0.0
    cumulative: list[float] = []
    for weight in weights:
        running += weight
        cumulative.append(running)
    return tuple(cumulative), running


def _weighted(rng: random.Random, weights: tuple[float, ...]) -> int:
    """A level or priority 1..5 drawn with the given weights (zero weight is never drawn)."""
    cumulative, total = _cumulative(weights)
    return bisect_right(cumulative, rng.random() * total) + 1


def _title(person: _Person, *, head: bool) -> str:
    if person.department == EXECUTIVE_OFFICE:
        return person.role
    if head:
        return f"Head of {person.department}"
    role = person.role
    if role == "Manager":
        short = {"Research & Development": "R&D", "Human Resources": "HR"}.get(person.department, person.department)
        return {3: f"{short} Manager", 4: f"Senior {short} Manager"}.get(person.seniority, f"{short} Director")
    if "Director" in role or "Manager" in role:
        return f"Senior {role}" if person.seniority == 5 else role
    prefix = {3: "Senior ", 4: "Lead ", 5: "Principal "}.get(person.seniority, "")
    return prefix + role


def _sample_people(rng: random.Random, size: int, cat: Catalogue) -> list[_Person]:
    ceo = _Person(index=0, department=EXECUTIVE_OFFICE, role="Chief Executive Officer", seniority=5)
    cells = cat.roles
    cells_cumulative: list[float] = []
    running = 0.0
    for _department, _role, _level, weight in cells:
        running += weight
        cells_cumulative.append(running)
    picks = rng.choices(range(len(cells)), cum_weights=cells_cumulative, k=size - 1)
    people = [ceo]
    for index, pick in enumerate(picks, start=1):
        department, role, level, _weight = cells[pick]
        people.append(_Person(index=index, department=department, role=role, seniority=level))
    return people


def _build_tree(rng: random.Random, people: list[_Person]) -> list[int]:
    """Assign managers; return the department heads' indexes.

    Below the executive band everybody reports to someone of strictly higher seniority,
    mostly in the same department, with people managers leading about ``TARGET_SPAN``
    reports. Seniority-5 executives report to their department head (or, for the heads,
    to the CEO), along a balanced tree so that no executive has thousands of reports.
    Managers always come earlier in a top-down order, so there is no cycle.
    """
    members: dict[str, dict[int, list[int]]] = {}
    for person in people[1:]:
        members.setdefault(person.department, {}).setdefault(person.seniority, []).append(person.index)
    everybody: dict[int, list[int]] = {}
    for person in people[1:]:
        everybody.setdefault(person.seniority, []).append(person.index)

    heads: list[int] = []
    for department in sorted(members):
        by_level = members[department]
        top_level = max(by_level)
        band = by_level[top_level]
        rng.shuffle(band)
        band.sort(key=lambda index: not _leads(people[index].role))  # stable: managers first
        head = band[0]
        heads.append(head)
        people[head].manager = 0
        for rank in range(1, len(band)):
            if top_level == 5:
                # Executives report to the head along a balanced tree (nobody has thousands
                # of direct reports); this is the only place where seniority is equal.
                people[band[rank]].manager = band[(rank - 1) // TARGET_SPAN]
            else:
                # A small department without executives: its most senior people all report
                # to the CEO, so every manager stays more senior than their reports.
                people[band[rank]].manager = 0
        for level in range(top_level - 1, 0, -1):
            reports = by_level.get(level, [])
            if not reports:
                continue
            # Choose each report's manager level: usually one step up, sometimes two.
            higher = [candidate for candidate in range(level + 1, top_level + 1) if by_level.get(candidate)]
            wanted: dict[int, list[int]] = {}
            for report in reports:
                target = higher[0] if (len(higher) == 1 or rng.random() < 0.8) else higher[1]
                wanted.setdefault(target, []).append(report)
            for target, group in wanted.items():
                _assign_managers(rng, people, reports=group, band=by_level[target])

    # A few matrix reporting lines across departments, still to someone more senior.
    for person in people[1:]:
        if person.index in heads or person.seniority == 5 or rng.random() >= CROSS_DEPARTMENT_SHARE:
            continue
        candidates = everybody.get(person.seniority + 1, [])
        if candidates:
            choice = candidates[rng.randrange(len(candidates))]
            if people[choice].department != person.department:
                person.manager = choice
    return heads


def _leads(role: str) -> bool:
    return "Manager" in role or "Director" in role


def _assign_managers(rng: random.Random, people: list[_Person], *, reports: list[int], band: list[int]) -> None:
    """Give each report a manager from ``band`` (one seniority band of the department).

    People report to someone in their own job role or in a managing role (a laboratory
    technician to a research scientist or director, not to a healthcare representative)
    unless those are too few to keep spans of control plausible; only about
    ``len(reports) / TARGET_SPAN`` of the candidates become people managers.
    """
    by_role: dict[str, list[int]] = {}
    for report in reports:
        by_role.setdefault(people[report].role, []).append(report)
    leaders = [index for index in band if _leads(people[index].role)]
    for role, group in by_role.items():
        candidates = [index for index in band if people[index].role == role] + leaders
        if len(candidates) < math.ceil(len(group) / (2 * TARGET_SPAN)):
            candidates = band
        managers = rng.sample(candidates, max(1, min(len(candidates), math.ceil(len(group) / TARGET_SPAN))))
        for report in group:
            people[report].manager = rng.choice(managers)


def _top_down(people: Sequence[_Person]) -> list[int]:
    children: dict[int, list[int]] = {}
    for person in people[1:]:
        assert person.manager is not None
        children.setdefault(person.manager, []).append(person.index)
    order = [0]
    for index in order:  # grows while iterating: breadth-first
        order.extend(children.get(index, ()))
    if len(order) != len(people):
        raise AssertionError("reporting lines do not form a single tree")
    return order


def _fill_profile(rng: random.Random, person: _Person, cat: Catalogue) -> None:
    seniority = person.seniority
    # Noise: a few people have the mix of skills of the opposite end of the pyramid, held
    # at a middling level (a digitally curious executive, a junior who already leads).
    flipped = rng.random() < _FLIP_SHARE
    profile = 6 - seniority if flipped else seniority
    level_profile = 3 if flipped else seniority

    where = (person.department, person.role, seniority, profile)
    skill_pool = cat.skill_pool(department=where[0], role=where[1], seniority=where[2], profile=where[3])
    goal_pool = cat.goal_pool(department=where[0], role=where[1], seniority=where[2], profile=where[3])
    level_tables = (
        _cumulative(_DIGITAL_LEVELS[level_profile]),
        _cumulative(_LEADERSHIP_LEVELS[level_profile]),
        _cumulative(_OCCUPATION_LEVELS[seniority]),
    )
    kind, rand = cat.kind, rng.random
    skills: dict[str, int] = {}
    for ident in skill_pool.draw(rng, 15 + int(rand() * 11)):
        cumulative, total = level_tables[kind.get(ident, 2)]
        skills[ident] = bisect_right(cumulative, rand() * total) + 1
    person.skills = skills

    priorities, total = _cumulative(_PRIORITY_WEIGHTS)
    person.goals = {
        ident: bisect_right(priorities, rand() * total) + 1
        for ident in goal_pool.draw(rng, 3 + int(rand() * 5), exclude=skills)
    }


class _Union:
    """Membership in either of two dicts, without copying them."""

    def __init__(self, first: Container[str], second: Container[str]) -> None:
        self._first = first
        self._second = second

    def __contains__(self, key: object) -> bool:
        return key in self._first or key in self._second


def _chain(people: Sequence[_Person], index: int) -> set[int]:
    """Everybody above ``index`` in the reporting lines."""
    above: set[int] = set()
    manager = people[index].manager
    while manager is not None and manager not in above:
        above.add(manager)
        manager = people[manager].manager
    return above


def _plant_pairs(
    rng: random.Random, people: list[_Person], cat: Catalogue, count: int, excluded: set[int]
) -> list[tuple[int, int]]:
    """Make ``count`` junior/senior pairs whose goals are exactly the other's strong skills."""
    juniors = [p.index for p in people[1:] if p.seniority <= 2 and p.index not in excluded]
    seniors = [p.index for p in people[1:] if p.seniority >= 4 and p.index not in excluded]
    rng.shuffle(juniors)
    rng.shuffle(seniors)
    used: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for junior_index in juniors:
        if len(pairs) == count:
            break
        junior = people[junior_index]
        junior_chain = _chain(people, junior_index)
        for senior_index in seniors:
            senior = people[senior_index]
            if (
                senior_index in used
                or senior.department == junior.department
                or senior_index in junior_chain
                or junior_index in _chain(people, senior_index)
            ):
                continue
            _make_complementary(rng, junior, senior, cat)
            used.add(senior_index)
            pairs.append((junior_index, senior_index))
            break
    if len(pairs) < count:
        raise ValueError(f"planted_pairs={count}: only {len(pairs)} complementary pairs fit an organisation this size")
    return pairs


def _make_complementary(rng: random.Random, junior: _Person, senior: _Person, cat: Catalogue) -> None:
    """Senior teaches leadership it holds at 4-5; junior teaches digital skills it holds at 4-5."""
    teach_down = [s for s in senior.skills if s in cat.leadership_ids and s not in junior.skills]
    wanted = rng.randint(3, 5)
    if len(teach_down) < wanted:
        extra = cat.leadership.draw(rng, wanted - len(teach_down), exclude=_Union(senior.skills, junior.skills))
        teach_down.extend(extra)
    teach_down = rng.sample(teach_down, min(wanted, len(teach_down)))

    teach_up = [s for s in junior.skills if cat.skills[s].digital and s not in senior.skills]
    wanted = rng.randint(3, 5)
    if len(teach_up) < wanted:
        extra = cat.trend.draw(rng, wanted - len(teach_up), exclude=_Union(senior.skills, junior.skills))
        teach_up.extend(extra)
    teach_up = rng.sample(teach_up, min(wanted, len(teach_up)))

    for ident in teach_down:
        senior.skills[ident] = max(senior.skills.get(ident, 0), rng.choice((4, 5)))
        junior.skills.pop(ident, None)
    for ident in teach_up:
        junior.skills[ident] = max(junior.skills.get(ident, 0), rng.choice((4, 5)))
        senior.skills.pop(ident, None)
    junior.goals = {ident: rng.choice((3, 4, 5)) for ident in teach_down}
    senior.goals = {ident: rng.choice((3, 4, 5)) for ident in teach_up}
    for person in (junior, senior):
        person.opt_in = True
        person.capacity = max(person.capacity, 1)


def generate_demo_organisation(*, size: int, seed: int = 7, planted_pairs: int = 0) -> DemoOrganisation:
    """Generate ``size`` employees (100..100,000) with reporting lines, skills and goals.

    ``planted_pairs`` junior/senior pairs are made exactly complementary (each one's goals
    are skills the other holds at level >= 4), in different departments and outside each
    other's reporting chain, so that a recommender can be scored on finding them.
    """
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise ValueError(f"size: {size} is outside {MIN_SIZE}..{MAX_SIZE}")
    if planted_pairs < 0 or planted_pairs > size // 20:
        raise ValueError(f"planted_pairs: {planted_pairs} is outside 0..{size // 20} for size {size}")
    cat = catalogue()
    rng = random.Random(seed)
    people = _sample_people(rng, size, cat)
    heads = _build_tree(rng, people)
    for person in people:
        person.title = _title(person, head=person.index in heads)
        person.name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        person.capacity = rng.choices((1, 2, 3), weights=(5, 3, 2) if person.seniority <= 2 else (6, 3, 1))[0]
        person.opt_in = rng.random() < 0.9
        _fill_profile(rng, person, cat)

    offices = [(name, offset) for name, offset, _share in OFFICES]
    office_weights = [share for _name, _offset, share in OFFICES]
    for index in _top_down(people):
        person = people[index]
        if person.manager is not None and rng.random() < SAME_OFFICE_AS_MANAGER:
            manager = people[person.manager]
            person.location, person.utc_offset = manager.location, manager.utc_offset
        else:
            person.location, person.utc_offset = rng.choices(offices, weights=office_weights)[0]

    # About 1% of people want to learn only things nobody here can teach.
    isolated_count = max(1, round(size * ISOLATED_SHARE))
    isolated = sorted(rng.sample(range(1, size), isolated_count))
    for index in isolated:
        person = people[index]
        person.goals = {
            ident: _weighted(rng, _PRIORITY_WEIGHTS)
            for ident in rng.sample(cat.rare, rng.randint(3, min(5, len(cat.rare))))
        }
        person.opt_in = True

    pairs = _plant_pairs(rng, people, cat, planted_pairs, set(isolated))

    # The skill and goal models are frozen, so identical ones are shared between employees:
    # a 100k organisation holds ~2M skill entries but only a few thousand distinct ones.
    skill_cache: dict[tuple[int, str], EmployeeSkill] = {}
    goal_cache: dict[tuple[int, str], LearningGoal] = {}

    def held(key: tuple[int, str]) -> EmployeeSkill:
        found = skill_cache.get(key)
        if found is None:
            found = skill_cache[key] = EmployeeSkill(skill_id=key[1], level=-key[0])
        return found

    def wanted(key: tuple[int, str]) -> LearningGoal:
        found = goal_cache.get(key)
        if found is None:
            found = goal_cache[key] = LearningGoal(skill_id=key[1], priority=-key[0])
        return found

    employees: list[Employee] = []
    for person in people:
        # Strongest skills and most urgent goals first; ties by id. Keys are (-level, id).
        skills = tuple(map(held, sorted([(-level, ident) for ident, level in person.skills.items()])))
        goals = tuple(map(wanted, sorted([(-priority, ident) for ident, priority in person.goals.items()])))
        employees.append(
            Employee(
                id=person.id,
                name=person.name,
                title=person.title,
                department=person.department,
                seniority=person.seniority,
                manager_id=None if person.manager is None else employee_id(person.manager),
                location=person.location,
                utc_offset=person.utc_offset,
                capacity=person.capacity,
                opt_in=person.opt_in,
                skills=skills,
                goals=goals,
            )
        )
    return DemoOrganisation(
        employees=employees,
        planted_pairs=[(employee_id(junior), employee_id(senior)) for junior, senior in pairs],
        isolated_ids=[employee_id(index) for index in isolated],
    )


def generate_organisation(*, size: int, seed: int = 7, planted_pairs: int = 0) -> list[Employee]:
    """The employees of :func:`generate_demo_organisation` (same arguments, same output)."""
    return generate_demo_organisation(size=size, seed=seed, planted_pairs=planted_pairs).employees


# --------------------------------------------------------------------------------------
# writers


def format_utc_offset(hours: float) -> str:
    """Write an offset the way ``schema.models.parse_utc_offset`` reads it: "UTC+5:30", "UTC-5"."""
    sign = "-" if hours < 0 else "+"
    minutes = round(abs(hours) * 60)
    whole, rest = divmod(minutes, 60)
    return f"UTC{sign}{whole}" + (f":{rest:02d}" if rest else "")


def _atomic_write_text(path: Path, text: str) -> None:
    """Write to a temporary file and rename, so a crash never leaves half a file behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_employees_jsonl(*, path: Path | str, employees: Iterable[Employee]) -> int:
    """One ``Employee.model_dump(mode="json")`` per line; returns the number of rows written."""
    lines = [
        json.dumps(employee.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":")) + "\n"
        for employee in employees
    ]
    _atomic_write_text(Path(path), "".join(lines))
    return len(lines)


def employee_csv_row(employee: Employee) -> list[str]:
    """The CSV cells of one employee, in ``CSV_COLUMNS`` order.

    ``skills`` is ``skill_id:level;...`` and ``goals`` is ``skill_id:priority;...``. Skill
    ids contain colons themselves ("esco:<uuid>"), so a reader splits each item on its
    *last* colon.
    """
    return [
        employee.id,
        employee.name,
        employee.title,
        employee.department,
        str(employee.seniority),
        employee.manager_id or "",
        employee.location,
        format_utc_offset(employee.utc_offset),
        str(employee.capacity),
        "true" if employee.opt_in else "false",
        ";".join(f"{skill.skill_id}:{skill.level}" for skill in employee.skills),
        ";".join(f"{goal.skill_id}:{goal.priority}" for goal in employee.goals),
    ]


def write_employees_csv(*, path: Path | str, employees: Iterable[Employee]) -> int:
    """Write the CSV format the ingest loader reads (columns ``CSV_COLUMNS``); returns rows written."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    rows = 0
    for employee in employees:
        writer.writerow(employee_csv_row(employee))
        rows += 1
    _atomic_write_text(Path(path), buffer.getvalue())
    return rows
