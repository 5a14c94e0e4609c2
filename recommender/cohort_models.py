"""Models of cohort matching: the cohort file, the proposal HR reviews, and the errors.

The API exposes these as they are, the CLI prints them and ``--json`` dumps them; a
proposal is saved as the JSON of :class:`Proposal`, so every field here survives between
two CLI invocations.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from recommender.models import DirectionScore, PersonRef
from recommender.policy import ProgrammePolicy

__all__ = [
    "PROPOSAL_FORMAT",
    "Cohort",
    "CohortEntry",
    "CohortError",
    "CohortProblem",
    "MatchOptions",
    "MatchStats",
    "Objective",
    "PairRule",
    "PairingNotFound",
    "Participant",
    "Proposal",
    "ProposalError",
    "ProposalStatus",
    "ProposedPair",
    "PublishResult",
    "ReviewStep",
    "Role",
    "Rule",
    "RuleCount",
    "Side",
    "Unmatched",
    "UnmatchedReason",
]

#: Version of the proposal file layout; bumped when a field changes meaning.
PROPOSAL_FORMAT: Literal[1] = 1

Capacity = Annotated[int, Field(ge=0, le=20)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Role(StrEnum):
    """The role a cohort file gives a participant."""

    SENIOR = "senior"
    JUNIOR = "junior"
    EITHER = "either"  # placed on a side by seniority, see ``recommender.cohort.split_sides``


class Side(StrEnum):
    """The side a participant ends up on: the solver pairs every senior with juniors."""

    SENIOR = "senior"
    JUNIOR = "junior"


class Objective(StrEnum):
    TOTAL = "total"  # the largest total two-way benefit
    COVERAGE = "coverage"  # as many people matched as possible, then the largest total


# --------------------------------------------------------------------------------------
# the cohort file


class CohortEntry(_Model):
    """One participant as the cohort file lists them."""

    id: str
    role: Role
    #: Partners this person takes in this programme; None = their profile's capacity less
    #: the active pairings they already have.
    capacity: Capacity | None = None
    must_pair: tuple[str, ...] = ()
    never_pair: tuple[str, ...] = ()
    line: int = Field(description="Line of the cohort file the participant is on (1-based).")


class PairRule(_Model):
    """A must-pair or never-pair as written, with the line it came from."""

    first: str
    second: str
    line: int


class Cohort(_Model):
    programme: str
    source: str = Field(description="The cohort file it was read from.")
    sha256: str = Field(description="SHA-256 of the cohort file, so a proposal names the exact input.")
    participants: tuple[CohortEntry, ...]
    must_pairs: tuple[PairRule, ...] = ()
    never_pairs: tuple[PairRule, ...] = ()


class CohortProblem(_Model):
    """One thing wrong with the input, where it is and what to do."""

    message: str
    line: int | None = None
    person_id: str | None = None

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line is not None else self.message


class CohortError(ValueError):
    """The cohort (or a review of it) cannot be matched as given. ``problems`` lists every
    problem found, each with its line, so HR can fix the file in one go."""

    def __init__(self, summary: str, problems: list[CohortProblem] | None = None) -> None:
        self.summary = summary
        self.problems = list(problems or [])
        super().__init__(summary if not self.problems else f"{summary}: " + "; ".join(map(str, self.problems)))


class ProposalError(ValueError):
    """A proposal file that cannot be read, reviewed or published."""


class PairingNotFound(LookupError):
    def __init__(self, pairing_id: str) -> None:
        super().__init__(f"pairing {pairing_id!r} not found")
        self.pairing_id = pairing_id

    def __str__(self) -> str:
        return str(self.args[0])


# --------------------------------------------------------------------------------------
# options and results


class MatchOptions(_Model):
    objective: Objective = Objective.TOTAL
    #: Only pairs where both directions have a benefit (the default); when False, the
    #: coverage objective may use one-sided pairs to give someone a partner (under
    #: ``total`` they add nothing: their harmonic mean is 0).
    require_two_way: bool = True
    ban_same_department: bool = False
    programme: str = ""


class Participant(_Model):
    """A participant after resolution: who they are, the side they are on, their capacity."""

    person: PersonRef
    role: Role
    side: Side
    declared_capacity: Capacity | None = Field(description="The capacity from the cohort file, if any.")
    capacity: int = Field(description="Partners this person can take in this run (0 if opted out).")
    line: int
    partners: int = Field(default=0, description="Partners in the current proposal.")
    benefit: float = Field(default=0.0, description="Sum of the mutual scores of this person's pairs.")


class ProposedPair(_Model):
    senior: PersonRef
    junior: PersonRef
    score: float = Field(description="Mutual score: harmonic mean of the two directions (0 if either is 0).")
    senior_teaches: DirectionScore = Field(description="What the junior learns from the senior.")
    junior_teaches: DirectionScore = Field(description="What the senior learns from the junior.")
    two_way: bool
    locked: bool = Field(description="Kept by every re-run: a must-pair of the cohort file or locked in review.")
    cross_department: bool
    utc_offset_difference: float
    explanation: str


class Rule(StrEnum):
    """Why a candidate partner is not allowed, in the order they are checked."""

    NO_CAPACITY = "no_capacity"  # the partner has capacity 0 or opted out
    NEVER_PAIR = "never_pair"  # a never-pair of the cohort file, or removed in review
    REPORTING_CHAIN = "reporting_chain"
    PREVIOUS_PAIRING = "previous_pairing"
    SAME_DEPARTMENT = "same_department"
    TIME_ZONE = "time_zone"
    NO_BENEFIT = "no_benefit"  # neither can teach the other anything the other wants
    ONE_SIDED = "one_sided"  # only one of them would learn


class RuleCount(_Model):
    rule: Rule
    count: int


class UnmatchedReason(StrEnum):
    OPTED_OUT = "opted_out"
    NO_CAPACITY = "no_capacity"
    NO_ALLOWED_PARTNER = "no_allowed_partner"
    LOST_TO_BETTER_PAIRS = "lost_to_better_pairs"
    REMOVED_IN_REVIEW = "removed_in_review"


class Unmatched(_Model):
    person: PersonRef
    side: Side
    reason: UnmatchedReason
    detail: str = Field(description="The reason in plain language, with the counts behind it.")
    candidates: int = Field(description="Partners on the other side that every rule allows.")
    blocked: list[RuleCount] = Field(
        default_factory=list, description="Other-side participants left out, by the first rule that excludes them."
    )


class MatchStats(_Model):
    participants: int
    seniors: int
    juniors: int
    pairs: int
    matched: int = Field(description="People with at least one partner.")
    unmatched: int
    total_benefit: float = Field(description="Sum of the mutual scores of all pairs.")
    min_benefit: float | None = Field(description="Lowest per-person benefit among matched people.")
    median_benefit: float | None = Field(description="Median per-person benefit among matched people.")
    two_way_share: float = Field(description="Share of pairs where both directions score above 0.")
    objective: Objective
    method: str = Field(description="How the pairs were found (solver engine, or 'review' for hand edits).")
    seconds: dict[str, float] = Field(default_factory=dict, description="Time per stage of the last run.")


class ProposalStatus(StrEnum):
    PROPOSED = "proposed"
    PUBLISHED = "published"


class ReviewStep(_Model):
    at: datetime
    action: Literal["propose", "lock", "remove", "swap", "rerun", "publish"]
    pairs: list[str] = Field(default_factory=list, description="The pairs touched, as SENIOR:JUNIOR.")


class Proposal(_Model):
    """A saved matching run. Reviews rewrite it; publishing marks it published."""

    format: Literal[1] = PROPOSAL_FORMAT
    status: ProposalStatus = ProposalStatus.PROPOSED
    programme: str
    cohort_file: str
    cohort_sha256: str
    created_at: datetime
    updated_at: datetime
    options: MatchOptions
    policy: ProgrammePolicy
    participants: list[Participant]
    must_pairs: list[PairRule] = Field(default_factory=list)
    never_pairs: list[PairRule] = Field(default_factory=list)
    locked: list[tuple[str, str]] = Field(default_factory=list, description="(senior, junior) pairs kept by re-runs.")
    removed: list[tuple[str, str]] = Field(
        default_factory=list, description="(senior, junior) pairs removed in review and never proposed again."
    )
    pairs: list[ProposedPair]
    unmatched: list[Unmatched]
    stats: MatchStats
    history: list[ReviewStep] = Field(default_factory=list)
    published_at: datetime | None = None
    pairing_ids: list[str] = Field(default_factory=list, description="Ids of the pairings written by publish.")


class PublishResult(_Model):
    programme: str
    pairing_ids: list[str]
    published_at: datetime
