"""Result models of the recommender. The API answers with these, the CLI prints them and
``--json`` dumps them: every number in an explanation is also a field here."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from recommender.errors import EmployeeNotFound, InvalidQuestion, RecommenderError
from recommender.policy import ProgrammePolicy
from schema.models import Employee, Skill

__all__ = [
    "AgendaItem",
    "Diagnostics",
    "DirectionScore",
    "EmployeeNotFound",
    "ExclusionReason",
    "InvalidQuestion",
    "MatchKind",
    "PairAgenda",
    "PersonRef",
    "ReasonCount",
    "Recommendation",
    "RecommendationList",
    "RecommenderError",
    "SkillRef",
    "TeacherMatch",
    "TeacherSearchResult",
    "TopicResult",
    "TopicSkill",
    "TopicTeacher",
]


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True)


class MatchKind(StrEnum):
    """How the teacher's skill meets the learner's goal, best first."""

    EXACT = "exact"  # the same skill
    SIMILAR = "similar"  # a SIMILAR_TO edge from the goal (embedding cosine)
    NARROWER = "narrower"  # a more specific skill of the goal in the taxonomy
    BROADER = "broader"  # the goal's parent skill in the taxonomy
    SIBLING = "sibling"  # shares a (small) parent with the goal


class SkillRef(_Result):
    id: str
    label: str
    digital: bool = False

    @classmethod
    def of(cls, skill: Skill | None, skill_id: str) -> SkillRef:
        # A skill deleted between two reads still shows up, by id.
        if skill is None:
            return cls(id=skill_id, label=skill_id)
        return cls(id=skill.id, label=skill.label, digital=skill.digital)


class PersonRef(_Result):
    id: str
    name: str
    title: str = ""
    department: str = ""
    seniority: int = 1
    location: str = ""
    utc_offset: float = 0.0

    @classmethod
    def of(cls, employee: Employee) -> PersonRef:
        return cls(
            id=employee.id,
            name=employee.name,
            title=employee.title,
            department=employee.department,
            seniority=employee.seniority,
            location=employee.location,
            utc_offset=employee.utc_offset,
        )


class AgendaItem(_Result):
    """One topic of a learning agenda: ``teacher`` helps ``learner`` with ``goal``."""

    learner_id: str
    teacher_id: str
    goal: SkillRef = Field(description="The learner's gap (a learning goal).")
    priority: int = Field(description="The goal's priority, 1 (nice to have) .. 5 (essential).")
    skill: SkillRef = Field(description="The teacher's skill that meets the goal.")
    level: int = Field(description="The teacher's level in that skill, 3..5.")
    match: MatchKind
    similarity: float = Field(
        description="How close the skill is to the goal: 1 exact, the SIMILAR_TO cosine, or the taxonomy constant."
    )
    score: float = Field(description="This topic's share of the direction score.")


class DirectionScore(_Result):
    """What ``learner`` can learn from ``teacher``."""

    learner_id: str
    teacher_id: str
    score: float = Field(description="0..1: priority-weighted share of the learner's goals met, see ProgrammePolicy.")
    goals: int = Field(description="How many learning goals the learner has.")
    goals_met: int = Field(description="How many of them the teacher can help with.")
    agenda: list[AgendaItem] = Field(description="Topics, most valuable first.")


class Recommendation(_Result):
    rank: int
    partner: PersonRef
    score: float = Field(description="Ranking score: the mutual score with the cross-department bonus.")
    mutual_score: float = Field(description="Harmonic mean of the two direction scores (0 if either is 0).")
    you_learn: DirectionScore = Field(description="What the employee learns from the partner.")
    you_teach: DirectionScore = Field(description="What the partner learns from the employee.")
    two_way: bool
    cross_department: bool
    seniority_gap: int = Field(description="Partner's seniority minus the employee's.")
    utc_offset_difference: float
    explanation: str


class ExclusionReason(StrEnum):
    REPORTING_CHAIN = "reporting_chain"
    PREVIOUS_PAIRING = "previous_pairing"
    OPTED_OUT = "opted_out"
    NO_CAPACITY = "no_capacity"
    SENIORITY = "seniority"
    TIME_ZONE = "time_zone"
    ONE_SIDED = "one_sided"
    NO_SKILL_OVERLAP = "no_skill_overlap"


class ReasonCount(_Result):
    reason: ExclusionReason
    count: int
    detail: str


class Diagnostics(_Result):
    """Why there are fewer partners than asked for, counted over the colleagues whose
    skills or goals overlap with the employee's at all."""

    summary: str = Field(description='One sentence: "Found 2 two-way partners of the 5 asked for."')
    colleagues: int = Field(description="Everyone else in the organisation.")
    examined: int = Field(description="Colleagues with any skill overlap, examined for the rules.")
    examined_all: bool = Field(description="False if only the best-overlapping colleagues were examined.")
    can_teach_you: int
    can_learn_from_you: int
    reasons: list[ReasonCount]


class RecommendationList(_Result):
    employee: PersonRef
    policy: ProgrammePolicy
    recommendations: list[Recommendation]
    notes: list[str] = Field(description="Plain-language remarks: no goals, no capacity, fewer partners than asked.")
    diagnostics: Diagnostics | None = Field(
        default=None, description="Present when fewer partners than asked for were found."
    )


class PairAgenda(_Result):
    first: PersonRef
    second: PersonRef
    first_teaches: DirectionScore
    second_teaches: DirectionScore
    mutual_score: float
    explanation: str
    warnings: list[str] = Field(description="Programme rules this pair would break.")


class TopicSkill(_Result):
    skill: SkillRef
    via: Literal["label", "similar", "embedding"] = Field(
        description="label: the topic is this skill's name; similar: a SIMILAR_TO neighbour of that skill; "
        "embedding: nearest to the topic's embedding."
    )
    similarity: float


class TopicTeacher(_Result):
    topic: str
    person: PersonRef
    skill: SkillRef
    level: int
    similarity: float
    score: float = Field(description="similarity x level factor.")


class TopicResult(_Result):
    topic: str
    skills: list[TopicSkill]
    teachers: list[TopicTeacher]
    message: str | None = None


class TeacherMatch(_Result):
    rank: int
    person: PersonRef
    score: float = Field(description="Sum over the question's topics of the best similarity x level factor.")
    topics: list[TopicTeacher]
    can_teach_back: DirectionScore | None = Field(
        default=None, description="What the asker could teach this person (when the asker is known)."
    )
    has_capacity: bool
    in_reporting_chain: bool = False


class TeacherSearchResult(_Result):
    question: str
    asker: PersonRef | None = None
    topics: list[TopicResult]
    teachers: list[TeacherMatch]
    message: str | None = Field(default=None, description="Why the answer is empty or partial, in plain language.")
