"""pydantic v2 models for employees, skills, levels, learning goals and pairings.

Every layer takes and returns these; validation messages name the field and the value.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

#: Stable identifiers: letters, digits and a few separators, so they are safe in URLs,
#: file names and CSV cells. ESCO URIs are shortened to "esco:<uuid>" by ingest.
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:@\-]{0,127}$"
Identifier = Annotated[str, StringConstraints(strip_whitespace=True, pattern=ID_PATTERN)]
NonEmptyText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]

#: Proficiency on the usual 1-5 scale: 1 aware, 2 beginner, 3 practitioner (can teach the
#: basics), 4 advanced, 5 expert.
SkillLevel = Annotated[int, Field(ge=1, le=5)]
#: Priority of a learning goal: 1 nice to have ... 5 essential for my role.
Priority = Annotated[int, Field(ge=1, le=5)]
#: Seniority: 1 entry level ... 5 executive (IBM HR JobLevel scale).
Seniority = Annotated[int, Field(ge=1, le=5)]

TEACHING_LEVEL = 3
_UTC_OFFSET = re.compile(r"^UTC([+-])(\d{1,2})(?::?(\d{2}))?$")


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class SkillSource(StrEnum):
    ESCO = "esco"
    ONET = "onet"
    CUSTOM = "custom"


class Skill(Frozen):
    """A node of the skill space: an ESCO skill, an O*NET technology or a custom skill."""

    id: Identifier
    label: NonEmptyText
    alt_labels: tuple[NonEmptyText, ...] = ()
    description: Annotated[str, StringConstraints(max_length=4000)] = ""
    source: SkillSource = SkillSource.CUSTOM
    #: ESCO skill type ("skill/competence", "knowledge"), "group" for ESCO skill groups
    #: (hierarchy nodes), "technology" for O*NET technologies, "" for custom skills.
    skill_type: ShortText = ""
    #: Top-level group from the taxonomy hierarchy ("communication, collaboration and
    #: creativity", "digital technology" ...), used to group analytics.
    category: ShortText = ""
    #: True for skills the reverse-mentoring programme counts as digital / trend topics
    #: (ESCO digital collection, O*NET technologies).
    digital: bool = False
    #: O*NET "Hot Technology" flag.
    hot: bool = False
    #: Parent skill ids in the taxonomy hierarchy (BROADER edges).
    broader: tuple[Identifier, ...] = ()

    def embedding_text(self) -> str:
        """The text embedded for this skill: its label plus a short description."""
        if self.description:
            return f"{self.label}: {self.description[:200]}"
        return self.label


class EmployeeSkill(Frozen):
    skill_id: Identifier
    level: SkillLevel


class LearningGoal(Frozen):
    skill_id: Identifier
    priority: Priority = 3


class Employee(Frozen):
    """An employee profile: who they are, what they can teach and what they want to learn."""

    id: Identifier
    name: NonEmptyText
    title: ShortText = ""
    department: ShortText = ""
    seniority: Seniority = 1
    manager_id: Identifier | None = None
    location: ShortText = ""
    #: Offset from UTC in hours (e.g. 1.0 for Paris in winter). Used for time-zone overlap.
    utc_offset: Annotated[float, Field(ge=-12, le=14)] = 0.0
    #: How many mentoring partners this person can take at once; 0 means none now.
    capacity: Annotated[int, Field(ge=0, le=20)] = 1
    opt_in: bool = True
    skills: tuple[EmployeeSkill, ...] = ()
    goals: tuple[LearningGoal, ...] = ()

    @field_validator("manager_id", mode="before")
    @classmethod
    def _blank_manager_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _check_consistency(self) -> Self:
        if self.manager_id == self.id:
            raise ValueError(f"manager_id: employee {self.id!r} cannot be their own manager")
        seen: set[str] = set()
        for skill in self.skills:
            if skill.skill_id in seen:
                raise ValueError(f"skills: skill {skill.skill_id!r} is listed twice")
            seen.add(skill.skill_id)
        seen.clear()
        for goal in self.goals:
            if goal.skill_id in seen:
                raise ValueError(f"goals: skill {goal.skill_id!r} is listed twice")
            seen.add(goal.skill_id)
        return self


def parse_utc_offset(text: str) -> float:
    """Parse "UTC+5:30", "UTC-3" or "+2" into hours; raise ValueError naming the value."""
    raw = text.strip().upper()
    if not raw:
        return 0.0
    if not raw.startswith("UTC"):
        raw = "UTC" + (raw if raw[0] in "+-" else "+" + raw)
    match = _UTC_OFFSET.match(raw)
    if match is None:
        raise ValueError(f"{text!r} is not a UTC offset such as UTC+1 or UTC-5:30")
    sign = -1.0 if match.group(1) == "-" else 1.0
    hours = int(match.group(2)) + int(match.group(3) or 0) / 60
    return sign * hours


class EmployeePage(BaseModel):
    items: list[Employee]
    total: int


class SkillHit(BaseModel):
    """A skill found by similarity, with its cosine score in [-1, 1]."""

    skill: Skill
    score: float


class SkillHolding(BaseModel):
    """One HAS_SKILL edge: an employee holds a skill at a level."""

    model_config = ConfigDict(frozen=True)
    employee_id: str
    skill_id: str
    level: int


class SkillLearner(BaseModel):
    """One WANTS_TO_LEARN edge: an employee wants a skill with a priority."""

    model_config = ConfigDict(frozen=True)
    employee_id: str
    skill_id: str
    priority: int


class PairingStatus(StrEnum):
    PROPOSED = "proposed"
    ACTIVE = "active"
    ENDED = "ended"


class PairingFeedback(Frozen):
    by_employee_id: Identifier
    rating: Annotated[int, Field(ge=1, le=5)]
    topics_covered: tuple[NonEmptyText, ...] = ()
    comment: Annotated[str, StringConstraints(max_length=4000)] = ""


class Pairing(Frozen):
    """A two-way mentoring pair. The pair is unordered; ids are stored sorted."""

    id: Identifier
    employee_ids: tuple[Identifier, Identifier]
    status: PairingStatus = PairingStatus.ACTIVE
    programme: ShortText = ""
    created_at: datetime | None = None
    feedback: tuple[PairingFeedback, ...] = ()

    @model_validator(mode="after")
    def _distinct_people(self) -> Self:
        first, second = self.employee_ids
        if first == second:
            raise ValueError(f"employee_ids: a pairing needs two different people, got {first!r} twice")
        return self
