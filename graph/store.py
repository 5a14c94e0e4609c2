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
class GroupSkillCounts:
    """Demand and supply of one skill inside one group of employees, counted by the store."""

    group: str
    skill_id: str
    learners: int  # people in the group who want the skill
    demand: int  # sum of their priorities
    teachers: int  # people in the group holding it at the teaching level or above
    holders: int  # people in the group holding it at any level


@dataclass(frozen=True, slots=True)
class StoreCounts:
    employees: int
    skills: int
    has_skill: int
    wants_to_learn: int
    reports_to: int
    similar_to: int
    pairings: int


class GraphStore(Protocol):
    # -- lifecycle ---------------------------------------------------------------------
    def apply_schema(self) -> None:
        """Create constraints, indexes and the vector index if they do not exist."""

    def ping(self) -> None:
        """Raise :class:`graph.errors.StoreUnavailable` if the store does not answer."""

    def close(self) -> None: ...

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

    def broader_edges(self, *, skill_ids: Sequence[str]) -> list[tuple[str, str]]:
        """(skill, parent) BROADER pairs for the given skills."""

    def narrower_edges(self, *, skill_ids: Sequence[str]) -> list[tuple[str, str]]:
        """(parent, child) pairs for the given parents."""

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

    # -- pairings ----------------------------------------------------------------------
    def upsert_pairings(self, *, pairings: Sequence[Pairing]) -> int: ...

    def get_pairing(self, *, pairing_id: str) -> Pairing | None: ...

    def list_pairings(self, *, employee_id: str | None = None) -> list[Pairing]: ...

    def add_feedback(self, *, pairing_id: str, feedback: PairingFeedback) -> Pairing | None: ...

    def delete_pairing(self, *, pairing_id: str) -> bool: ...

    # -- analytics ---------------------------------------------------------------------
    def counts(self) -> StoreCounts: ...

    def group_skill_counts(self, *, group_by: GroupField, teaching_level: int = 3) -> list[GroupSkillCounts]:
        """Demand and supply per (group, skill), aggregated inside the store. Only skills
        somebody holds or wants appear. Ordered by group, then skill id."""
