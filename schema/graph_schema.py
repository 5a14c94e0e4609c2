"""The graph schema as data: node labels, relationship types, constraints and indexes.

The Neo4j backend turns these into ``IF NOT EXISTS`` DDL; the embedded backend mirrors
them as SQLite tables and indexes. Labels and types are a closed enum so no label or
relationship type is ever built from user input.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

EMBEDDING_DIMENSIONS = 384


class Label(StrEnum):
    EMPLOYEE = "Employee"
    SKILL = "Skill"
    PAIRING = "Pairing"


class Rel(StrEnum):
    HAS_SKILL = "HAS_SKILL"  # (Employee)-[{level}]->(Skill)
    WANTS_TO_LEARN = "WANTS_TO_LEARN"  # (Employee)-[{priority}]->(Skill)
    REPORTS_TO = "REPORTS_TO"  # (Employee)->(Employee manager)
    BROADER = "BROADER"  # (Skill)->(Skill parent in the taxonomy)
    SIMILAR_TO = "SIMILAR_TO"  # (Skill)-[{score}]->(Skill), derived from embeddings
    MEMBER_OF = "MEMBER_OF"  # (Employee)->(Pairing)


@dataclass(frozen=True)
class UniqueConstraint:
    name: str
    label: Label
    property: str


@dataclass(frozen=True)
class PropertyIndex:
    name: str
    label: Label
    property: str


@dataclass(frozen=True)
class VectorIndex:
    name: str
    label: Label
    property: str
    dimensions: int
    similarity: str = "cosine"


CONSTRAINTS = (
    UniqueConstraint("employee_id", Label.EMPLOYEE, "id"),
    UniqueConstraint("skill_id", Label.SKILL, "id"),
    UniqueConstraint("pairing_id", Label.PAIRING, "id"),
)
INDEXES = (
    PropertyIndex("employee_manager", Label.EMPLOYEE, "manager_id"),
    PropertyIndex("employee_department", Label.EMPLOYEE, "department"),
    PropertyIndex("skill_label_lower", Label.SKILL, "label_lower"),
)
VECTOR_INDEXES = (VectorIndex("skill_embedding", Label.SKILL, "embedding", EMBEDDING_DIMENSIONS),)
