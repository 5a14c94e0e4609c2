"""Programme policy: the rules and weights a mentoring programme chooses, with defaults.

The defaults describe a classic reverse-mentoring programme: the more junior person
teaches the digital topics, the senior teaches back whatever the junior wants to learn,
partners are at least one seniority level apart, never in each other's reporting chain,
within six hours of each other, and pairs across departments are preferred.

Every number the scorer uses lives here so that a programme can tune it and an
explanation can cite it.
"""

from __future__ import annotations

from enum import StrEnum
from itertools import pairwise
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schema.models import TEACHING_LEVEL

UnitFloat = Annotated[float, Field(ge=0.0, le=1.0)]


class MentoringDirection(StrEnum):
    """Who teaches what.

    * ``reverse``: the more junior partner teaches the senior *digital* topics
      (``Skill.digital``: ESCO's digital collection, O*NET technologies); the senior
      teaches back any topic. Partners must be ``min_seniority_gap`` levels apart.
    * ``traditional``: the more senior partner mentors; both directions count any topic.
      Partners must be ``min_seniority_gap`` levels apart.
    * ``any``: peers allowed, no seniority gap and no topic restriction.
    """

    REVERSE = "reverse"
    TRADITIONAL = "traditional"
    ANY = "any"


class ProgrammePolicy(BaseModel):
    """The rules of a mentoring programme and the weights of the scorer.

    Direction score (how much ``learner`` gains from ``teacher``)::

        score = sum_g  w(g) * best_h [ quality(g, h) * level_factor(level_h) ]  /  sum_g w(g)

    over the learner's goals ``g`` (``w(g)`` = the goal's priority 1-5), where ``h``
    ranges over the teacher's skills held at ``teaching_level`` or above. The maximum,
    1.0, means every goal is met by an exact skill held at level 5, so the score reads as
    "the priority-weighted share of my goals this person can teach, discounted for
    inexact matches and lower levels". ``quality`` is 1.0 for the same skill, the
    SIMILAR_TO cosine for a similar skill (at least ``min_similarity``), and the taxonomy
    constants below for a narrower, broader or sibling skill.

    Mutual score: the harmonic mean ``2ab / (a + b)`` of the two directions, so a pair
    where only one side learns scores 0 and a lopsided pair scores near its weaker side.
    Ranking score: the mutual score times ``1 + cross_department_bonus`` when the
    partners work in different departments.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    # -- rules -------------------------------------------------------------------------
    direction: MentoringDirection = MentoringDirection.REVERSE
    #: Partners must be at least this many seniority levels apart (not for ``any``).
    min_seniority_gap: Annotated[int, Field(ge=0, le=4)] = 1
    #: Ranking bonus for pairs across departments: new networks are half the point.
    cross_department_bonus: Annotated[float, Field(ge=0.0, le=1.0)] = 0.1
    #: Largest difference in UTC offset (hours) so that working hours overlap; None = no limit.
    max_utc_offset_difference: Annotated[float, Field(ge=0.0, le=26.0)] | None = 6.0
    #: Skip people whose capacity is used up by their active pairings.
    respect_capacity: bool = True
    #: Allow partners the employee is or was already paired with (any status).
    include_previous_partners: bool = False
    #: Drop pairs where only one side learns (by default they rank after every two-way pair).
    require_two_way: bool = False

    # -- scoring -----------------------------------------------------------------------
    #: Lowest level at which someone can teach a skill (3 = practitioner).
    teaching_level: Annotated[int, Field(ge=1, le=5)] = TEACHING_LEVEL
    #: Weight of a teacher's level 1..5; levels below ``teaching_level`` never count.
    #: An expert (5) teaches a goal fully, a practitioner (3) most of it.
    level_factors: tuple[UnitFloat, UnitFloat, UnitFloat, UnitFloat, UnitFloat] = (0.0, 0.0, 0.7, 0.85, 1.0)
    #: SIMILAR_TO edges below this cosine are ignored (all-MiniLM-L6-v2: ~0.5 is "related").
    min_similarity: UnitFloat = 0.5
    #: At most this many similar skills per goal (the strongest edges).
    similar_per_goal: Annotated[int, Field(ge=0, le=100)] = 10
    #: Quality when the teacher's skill is a narrower (more specific) skill of the goal.
    narrower_quality: UnitFloat = 0.6
    #: Quality when the teacher's skill is the broader (parent) skill of the goal.
    broader_quality: UnitFloat = 0.5
    #: Quality when the two skills share a parent in the taxonomy.
    sibling_quality: UnitFloat = 0.4
    #: Siblings only count under a parent with at most this many children: being two of
    #: 150 skills in a broad ESCO group says little about one another.
    max_sibling_group: Annotated[int, Field(ge=0, le=1000)] = 30

    # -- performance -------------------------------------------------------------------
    #: Candidates scored exactly from their full profiles, chosen by the in-store
    #: estimates of both directions (at least twice the number of partners asked for).
    #: Measured on a 10,000-employee demo: the top 5 found from 15 lose 0.7% of their
    #: total score on average against scoring 100, at a third of the cost.
    candidate_pool: Annotated[int, Field(ge=5, le=5000)] = 15

    @model_validator(mode="after")
    def _level_factors_rise(self) -> Self:
        counted = self.level_factors[self.teaching_level - 1 :]
        if any(later < earlier for earlier, later in pairwise(counted)):
            raise ValueError(f"level_factors: must not decrease with the level, got {self.level_factors}")
        return self

    def teaching_factors(self) -> tuple[float, ...]:
        """``level_factors`` with the levels below ``teaching_level`` set to 0."""
        return tuple(f if level >= self.teaching_level else 0.0 for level, f in enumerate(self.level_factors, 1))

    def level_factor(self, level: int) -> float:
        return self.level_factors[level - 1] if level >= self.teaching_level else 0.0

    def needs_seniority_gap(self) -> bool:
        return self.direction is not MentoringDirection.ANY and self.min_seniority_gap > 0


#: Priority 1..5 -> weight of a goal: linear, so an essential goal counts five times a
#: nice-to-have.
PRIORITY_WEIGHTS: tuple[float, float, float, float, float] = (1.0, 2.0, 3.0, 4.0, 5.0)
