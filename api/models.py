"""Response and request models that belong to the HTTP surface only (pages, health,
patches). Domain models come from ``schema`` and the services."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field

from schema import Employee
from schema.models import EmployeeSkill, Identifier, LearningGoal, Seniority, ShortText

MAX_PAGE = 500

EMPLOYEE_EXAMPLE = {
    "id": "e00042",
    "name": "Amira Haddad",
    "title": "Marketing Assistant",
    "department": "Sales",
    "seniority": 1,
    "manager_id": "e00007",
    "location": "Paris",
    "utc_offset": 1.0,
    "capacity": 1,
    "opt_in": True,
    "skills": [{"skill_id": "onet:pinterest", "level": 4}],
    "goals": [{"skill_id": "esco:negotiate", "priority": 5}],
}


class PageParams(BaseModel):
    offset: int = Field(0, ge=0, le=10_000_000)
    limit: int = Field(50, ge=1, le=MAX_PAGE)


def page_params(
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip.")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Items per page.")] = 50,
) -> PageParams:
    return PageParams(offset=offset, limit=limit)


class EmployeeList(BaseModel):
    """One page of employees, ordered by id."""

    items: list[Employee]
    total: int = Field(description="Employees in the whole organisation.")
    offset: int
    limit: int


class EmployeePatch(BaseModel):
    """A partial update: only the fields sent change. ``skills`` and ``goals``, when sent,
    replace the whole list. Employee keys may change only the self-service fields
    (skills, goals, capacity, opt_in, location, utc_offset)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"skills": [{"skill_id": "onet:tiktok", "level": 3}], "capacity": 2}]},
    )

    name: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    title: ShortText | None = None
    department: ShortText | None = None
    seniority: Seniority | None = None
    manager_id: Identifier | None = Field(default=None, description="null removes the manager.")
    location: ShortText | None = None
    utc_offset: Annotated[float, Field(ge=-12, le=14)] | None = None
    capacity: Annotated[int, Field(ge=0, le=20)] | None = None
    opt_in: bool | None = None
    skills: list[EmployeeSkill] | None = None
    goals: list[LearningGoal] | None = None


SELF_SERVICE_FIELDS = frozenset({"skills", "goals", "capacity", "opt_in", "location", "utc_offset"})


class Me(BaseModel):
    """Who the API key belongs to."""

    role: Literal["employee", "hr", "admin"]
    employee_id: str | None = None
    employee: Employee | None = None


class Liveness(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ready", "unavailable"]
    store: Literal["embedded", "neo4j"]
    detail: str | None = None


class ProblemTypeDoc(BaseModel):
    type: str
    status: int
    title: str
    description: str
