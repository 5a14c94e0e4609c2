"""The API's routers, in the order they appear in the OpenAPI document."""

from __future__ import annotations

from fastapi import APIRouter

from api.proposals import ProposalMissing
from api.routers import cohorts, employees, gaps, health, pairings, recommendations, skills, ui
from recommender.cohort_models import CohortError, PairingNotFound, ProposalError
from recommender.errors import EmployeeNotFound, InvalidQuestion
from recommender.gap_models import EmptyReport, GapReportError
from recommender.matching import MatchInputError

ROUTERS: list[APIRouter] = [
    employees.router,
    skills.router,
    recommendations.router,
    gaps.router,
    cohorts.router,
    pairings.router,
    health.router,
    ui.router,
]


def domain_errors() -> dict[type[Exception], str]:
    """Service errors and the problem type each one maps to (the message is the detail)."""
    return {
        EmployeeNotFound: "not-found",
        PairingNotFound: "not-found",
        ProposalMissing: "not-found",
        InvalidQuestion: "validation-error",
        CohortError: "validation-error",
        MatchInputError: "validation-error",
        ProposalError: "conflict",
        GapReportError: "validation-error",
        EmptyReport: "not-found",
    }
