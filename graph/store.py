"""The ``GraphStore`` contract that every backend satisfies.

Two backends implement it: :class:`graph.sqlite_store.SqliteStore` (embedded, the
default) and :class:`graph.neo4j_store.Neo4jStore`. The contract test suite in
``tests/contract`` runs against both, so results are identical on identical data.

Conventions every backend keeps:
- keyword-only arguments; results are ``schema`` models or plain tuples, never driver
  records;
- lists come back in a stable order (score descending, then ids ascending);
- upserts are idempotent; deleting a missing id returns False and is not an error;
- inputs are never mutated;
- vector scores are cosine similarities in [-1, 1].
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

import numpy as np
import numpy.typing as npt

from schema import (
    Employee,
    EmployeePage,
    Pairing,
    PairingFeedback,
    Skill,
    SkillHit,
    SkillHolding,
    SkillLearner,
)

Vector = npt.NDArray[np.float32]


class GroupField(StrEnum):
    """Employee fields that analytics can group by (a closed set: never user text in a query)."""

    NONE = "none"
    DEPARTMENT = "department"
    SENIORITY = "seniority"
    LOCATION = "location"


@dataclass(frozen=True, slots=True)
class SimilarEdge:
    source_id: str
    target_id: str
    score: float


@dataclass(frozen=True, slots=True)
class RankedSimilarEdge:
    """A SIMILAR_TO edge with its rank among its source's edges (0 = the strongest)."""

    source_id: str
    target_id: str
    score: float
    rank: int


@dataclass(frozen=True, slots=True)
class GroupSkillCounts:
    """Demand and supply of one skill inside one group of employees, counted by the store."""

    group: str
    skill_id: str
    learners: int  # people in the group who want the skill
    demand: int  # sum of their priorities
    teachers: int  # people in the group holding it at the teaching level or above
    holders: int  # people in the group holding it at any level


class SkillEdge(StrEnum):
    """The employee -> skill relationships :meth:`GraphStore.rank_by_skills` can walk
    (a closed set: the query for each is fixed in the backend)."""

    HAS_SKILL = "HAS_SKILL"
    WANTS_TO_LEARN = "WANTS_TO_LEARN"


@dataclass(frozen=True, slots=True)
class SkillTarget:
    """One skill a ranking walk looks for. Targets sharing a ``group`` (typically one
    learning goal and the skills near it) count once per employee: the best of them."""

    group: str
    skill_id: str
    weight: float


@dataclass(frozen=True, slots=True)
class EmployeeFilter:
    """Hard conditions on the employees a ranking walk may return."""

    exclude_ids: Sequence[str] = ()
    opt_in_only: bool = False
    min_capacity: int = 0
    #: Allowed seniority levels; None allows every level.
    seniorities: Sequence[int] | None = None
    #: Inclusive bounds on ``utc_offset``.
    min_utc_offset: float = -24.0
    max_utc_offset: float = 24.0


@dataclass(frozen=True, slots=True)
class RankedEmployee:
    employee_id: str
    score: float


@dataclass(frozen=True, slots=True)
class StoreCounts:
    employees: int
    skills: int
    has_skill: int
    wants_to_learn: int
    reports_to: int
    similar_to: int
    pairings: int


@dataclass(frozen=True, slots=True)
class GapCounts:
    """Demand and teaching supply of one skill inside one group, split by seniority band,
    counted by the store for the gap report (``recommender.gaps``).

    Juniors are employees with ``seniority <= junior_max``, seniors those with
    ``seniority >= senior_min``; the middle band is what is left of the totals. Holders
    below the teaching level are not counted here (the report does not need them per
    group, and leaving them out halves the rows the store has to sort).
    """

    group: str
    skill_id: str
    category: str  # the skill's top-level taxonomy category ("" when it has none)
    learners: int  # people in the group who want the skill
    demand: int  # sum of their priorities (1-5)
    teachers: int  # people in the group holding it at the teaching level or above
    junior_learners: int
    junior_demand: int
    junior_teachers: int
    senior_learners: int
    senior_demand: int
    senior_teachers: int


@dataclass(frozen=True, slots=True)
class SoleHolder:
    """A skill exactly one employee holds (at any level): knowledge at risk."""

    skill_id: str
    employee_id: str
    group: str
    level: int


class GraphStore(Protocol):
    #: True when every call is a network round trip, so a request's independent calls are
    #: worth running at once (Neo4j); False when calls run in-process and threads would
    #: only contend for the GIL and for cold per-thread caches (the embedded store).
    concurrent_calls: bool

    # -- lifecycle ---------------------------------------------------------------------
    def apply_schema(self) -> None:
        """Create constraints, indexes and the vector index if they do not exist."""

    def ping(self) -> None:
        """Raise :class:`graph.errors.StoreUnavailable` if the store does not answer."""

    def close(self) -> None: ...

    def warm(self) -> None:
        """Fill the backend's in-process caches ahead of the first requests (a server's
        start-up); answers are the same with or without it."""

    def clear(self) -> None:
        """Delete every node and edge (tests, demo rebuilds). Keeps the schema."""

    # -- skills ------------------------------------------------------------------------
    def upsert_skills(self, *, skills: Sequence[Skill], embeddings: Vector | None = None) -> int:
        """Insert or replace skills (and their BROADER edges); ``embeddings[i]`` belongs to
        ``skills[i]`` and must be L2-normalised. Returns the number written."""

    def set_skill_embeddings(self, *, skill_ids: Sequence[str], embeddings: Vector) -> int: ...

    def get_skill(self, *, skill_id: str) -> Skill | None: ...

    def get_skills(self, *, skill_ids: Sequence[str]) -> dict[str, Skill]: ...

    def list_skills(self) -> list[Skill]:
        """Every skill, ordered by id."""

    def skill_ids_without_embedding(self) -> list[str]: ...

    def delete_skill(self, *, skill_id: str) -> bool: ...

    def search_skills(self, *, vector: Vector, k: int = 10) -> list[SkillHit]:
        """The ``k`` skills whose embeddings are nearest to ``vector`` (cosine)."""

    def skills_by_label(self, *, labels: Sequence[str]) -> dict[str, list[str]]:
        """Exact, case-insensitive lookup of preferred and alternative labels:
        lower-cased label -> matching skill ids (preferred-label matches first)."""

    def upsert_similar(self, *, edges: Sequence[SimilarEdge]) -> int:
        """Replace the SIMILAR_TO edges leaving each source id given, with these."""

    def similar_skills(self, *, skill_ids: Sequence[str], min_score: float = 0.0) -> list[SimilarEdge]:
        """SIMILAR_TO edges leaving the given skills, best first."""

    def similar_into(self, *, skill_ids: Sequence[str], min_score: float = 0.0) -> list[RankedSimilarEdge]:
        """SIMILAR_TO edges *into* the given skills scoring at least ``min_score`` (self
        loops left out), each with its rank among all its source's outgoing edges (0 =
        strongest; equal scores ordered by target id), best first, then by source and
        target: what the recommender's inverse walk needs from the teacher's side."""

    def broader_edges(self, *, skill_ids: Sequence[str]) -> list[tuple[str, str]]:
        """(skill, parent) BROADER pairs for the given skills."""

    def narrower_edges(self, *, skill_ids: Sequence[str], max_children: int | None = None) -> list[tuple[str, str]]:
        """(parent, child) pairs for the given parents; with ``max_children``, parents with
        more children than that are left out (the recommender's sibling rule)."""

    # -- employees ---------------------------------------------------------------------
    def upsert_employees(self, *, employees: Sequence[Employee]) -> int:
        """Insert or replace employees. An update replaces the employee's skills and goals
        with those given. Raises :class:`graph.errors.InvalidReference` (writing nothing
        of the batch) if a skill id is unknown."""

    def get_employee(self, *, employee_id: str) -> Employee | None: ...

    def get_employees(self, *, employee_ids: Sequence[str]) -> dict[str, Employee]: ...

    def list_employees(self, *, offset: int = 0, limit: int = 50) -> EmployeePage: ...

    def list_employee_ids(self) -> list[str]: ...

    def delete_employee(self, *, employee_id: str) -> bool:
        """Erase the employee and every edge they had (GDPR erasure); their reports keep
        their ``manager_id`` but lose the REPORTS_TO edge. Pairings they were in are removed."""

    # -- walks for the recommender -----------------------------------------------------
    def holders(
        self, *, skill_ids: Sequence[str], min_level: int = 1, exclude_ids: Sequence[str] = ()
    ) -> list[SkillHolding]:
        """HAS_SKILL edges into the given skills at ``min_level`` or above."""

    def learners(self, *, skill_ids: Sequence[str], exclude_ids: Sequence[str] = ()) -> list[SkillLearner]:
        """WANTS_TO_LEARN edges into the given skills."""

    def reporting_chain(self, *, employee_id: str) -> set[str]:
        """Everyone above the employee (managers at any depth) and below (reports at any
        depth), the employee excluded."""

    def rank_by_skills(
        self,
        *,
        edge: SkillEdge,
        targets: Sequence[SkillTarget],
        factors: Sequence[float],
        where: EmployeeFilter | None = None,
        limit: int = 50,
        normalise: bool = False,
    ) -> list[RankedEmployee]:
        """Employees ranked by how well their ``edge`` relationships meet ``targets``,
        aggregated inside the store so that the recommender never pulls every holder of a
        popular skill into Python.

        ``factors[v - 1]`` weighs an edge whose level (HAS_SKILL) or priority
        (WANTS_TO_LEARN) is ``v``; a factor of 0 ignores the edge. An employee's score is
        the sum over target groups of the best ``target.weight * factors[v - 1]`` among
        the group's skills they have an edge to. With ``normalise`` that sum is divided by
        the sum of ``factors[v - 1]`` over *all* the employee's ``edge`` relationships
        (for WANTS_TO_LEARN with priority weights: the share of their learning goals met).
        Scores are rounded to 9 decimals (so that both backends break ties identically).
        Only employees passing ``where`` (default: no condition) and scores above 0 are
        returned, best first, then by employee id; at most ``limit``."""

    # -- pairings ----------------------------------------------------------------------
    def upsert_pairings(self, *, pairings: Sequence[Pairing]) -> int: ...

    def get_pairing(self, *, pairing_id: str) -> Pairing | None: ...

    def list_pairings(self, *, employee_id: str | None = None) -> list[Pairing]: ...

    def list_pairings_for(self, *, employee_ids: Sequence[str]) -> list[Pairing]:
        """Every pairing (any status) that involves at least one of the ids, ordered by
        id: one call to check the capacity of many candidates."""

    def add_feedback(self, *, pairing_id: str, feedback: PairingFeedback) -> Pairing | None: ...

    def delete_pairing(self, *, pairing_id: str) -> bool: ...

    # -- analytics ---------------------------------------------------------------------
    def counts(self) -> StoreCounts: ...

    def group_skill_counts(self, *, group_by: GroupField, teaching_level: int = 3) -> list[GroupSkillCounts]:
        """Demand and supply per (group, skill), aggregated inside the store. Only skills
        somebody holds or wants appear. Ordered by group, then skill id."""

    def gap_counts(
        self, *, group_by: GroupField, teaching_level: int = 3, junior_max: int = 2, senior_min: int = 4
    ) -> list[GapCounts]:
        """Learners, demand and teachers per (group, skill), each also split into juniors
        and seniors, with the skill's category; aggregated inside the store, so the result
        has at most groups x skills rows. Only skills somebody in the group wants or can
        teach appear. Ordered by group, then skill id."""

    def sole_holders(self, *, group_by: GroupField) -> list[SoleHolder]:
        """Skills held by exactly one employee, with that employee, their group and level.
        Ordered by skill id."""

    def group_sizes(self, *, group_by: GroupField) -> dict[str, int]:
        """Employees per group (every group that has at least one employee), by group."""
