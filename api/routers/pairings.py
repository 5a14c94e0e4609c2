"""Mentoring pairs and their feedback (both ways)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Role
from api.deps import AnyRole, HrRole, StoreDep
from api.errors import ApiProblem, not_found, problem_responses
from api.models import PageParams, page_params
from recommender import cohort as cohort_service
from schema import Pairing, PairingStatus
from schema.models import ID_PATTERN, Identifier, ShortText

router = APIRouter(prefix="/api/v1", tags=["pairings"])

PairingId = Annotated[str, Path(pattern=ID_PATTERN, max_length=128, examples=["pair-3f2a9c1d7e4b"])]

PAIRING_EXAMPLE = {
    "id": "pair-3f2a9c1d7e4b",
    "employee_ids": ["e00007", "e00042"],
    "status": "active",
    "programme": "reverse-mentoring-2025",
    "created_at": "2025-03-01T09:00:00Z",
    "feedback": [
        {"by_employee_id": "e00042", "rating": 5, "topics_covered": ["Pinterest"], "comment": "Great first session"}
    ],
}


class PairingList(BaseModel):
    items: list[Pairing]
    total: int
    offset: int
    limit: int


class PairingCreate(BaseModel):
    """A pair HR decides on directly (cohort matching publishes its own)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"employee_ids": ["e00007", "e00042"], "programme": "reverse-mentoring-2025"}]},
    )

    employee_ids: tuple[Identifier, Identifier]
    programme: ShortText = ""
    status: PairingStatus = PairingStatus.ACTIVE


class PairingStatusUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"status": "ended"}]})

    status: PairingStatus


class FeedbackCreate(BaseModel):
    """Feedback from one member of the pair. Employee keys give feedback as themselves;
    HR and admin keys must say who it is from."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"rating": 5, "topics_covered": ["Pinterest", "negotiation"], "comment": "Very useful"}]
        },
    )

    by_employee_id: Identifier | None = None
    rating: Annotated[int, Field(ge=1, le=5)]
    topics_covered: list[Annotated[str, Field(min_length=1, max_length=500)]] = Field(default=[], max_length=50)
    comment: Annotated[str, Field(max_length=4000)] = ""


@router.get(
    "/pairings",
    summary="List pairings (HR: all or one employee's; employee: their own)",
    response_model=PairingList,
    responses=problem_responses(401, 403, 422, 503),
)
def list_pairings(
    principal: AnyRole,
    store: StoreDep,
    page: Annotated[PageParams, Depends(page_params)],
    employee_id: Annotated[str | None, Query(pattern=ID_PATTERN, max_length=128)] = None,
    status_: Annotated[PairingStatus | None, Query(alias="status")] = None,
    programme: Annotated[str | None, Query(max_length=500)] = None,
) -> PairingList:
    if not principal.at_least(Role.HR):
        if employee_id is not None and not principal.is_self(employee_id):
            raise ApiProblem("forbidden", "an employee key can only list its own pairings")
        employee_id = principal.employee_id
    found = cohort_service.list_pairings(store=store, employee_id=employee_id, programme=programme, status=status_)
    return PairingList(
        items=found[page.offset : page.offset + page.limit], total=len(found), offset=page.offset, limit=page.limit
    )


@router.post(
    "/pairings",
    summary="Create a pairing (HR)",
    status_code=status.HTTP_201_CREATED,
    response_model=Pairing,
    responses=problem_responses(401, 403, 413, 422, 503),
)
def create_pairing(_: HrRole, store: StoreDep, body: PairingCreate, response: Response) -> Pairing:
    first, second = sorted(body.employee_ids)
    if first == second:
        raise ApiProblem("validation-error", f"a pairing needs two different people, got {first!r} twice")
    found = store.get_employees(employee_ids=[first, second])
    missing = [i for i in (first, second) if i not in found]
    if missing:
        raise ApiProblem("unknown-reference", f"unknown employee ids: {', '.join(missing)}", missing=missing)
    pairing = Pairing(
        id=f"pair-{uuid.uuid4().hex[:12]}",
        employee_ids=(first, second),
        status=body.status,
        programme=body.programme,
        created_at=datetime.now(UTC),
    )
    store.upsert_pairings(pairings=[pairing])
    response.headers["Location"] = f"/api/v1/pairings/{pairing.id}"
    return pairing


@router.get(
    "/pairings/{pairing_id}",
    summary="Read a pairing (HR, or one of its members)",
    response_model=Pairing,
    responses=problem_responses(401, 403, 404, 422, 503),
)
def get_pairing(principal: AnyRole, store: StoreDep, pairing_id: PairingId) -> Pairing:
    return _visible_pairing(principal_role_ok=principal.at_least(Role.HR), member=principal.employee_id,
                            store=store, pairing_id=pairing_id)  # fmt: skip


@router.patch(
    "/pairings/{pairing_id}",
    summary="Change a pairing's status (HR)",
    response_model=Pairing,
    responses=problem_responses(401, 403, 404, 413, 422, 503),
)
def update_pairing(_: HrRole, store: StoreDep, pairing_id: PairingId, body: PairingStatusUpdate) -> Pairing:
    pairing = store.get_pairing(pairing_id=pairing_id)
    if pairing is None:
        raise not_found("pairing", pairing_id)
    updated = pairing.model_copy(update={"status": body.status})
    store.upsert_pairings(pairings=[updated])
    return updated


@router.delete(
    "/pairings/{pairing_id}",
    summary="Delete a pairing (HR)",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problem_responses(401, 403, 404, 422, 503),
)
def delete_pairing(_: HrRole, store: StoreDep, pairing_id: PairingId) -> Response:
    if not store.delete_pairing(pairing_id=pairing_id):
        raise not_found("pairing", pairing_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/pairings/{pairing_id}/feedback",
    summary="Give feedback on a pairing (a member; rating 1-5, topics covered, comment)",
    status_code=status.HTTP_201_CREATED,
    response_model=Pairing,
    responses=problem_responses(401, 403, 404, 413, 422, 503),
)
def add_feedback(
    principal: AnyRole,
    store: StoreDep,
    pairing_id: PairingId,
    body: Annotated[FeedbackCreate, Body()],
) -> Pairing:
    is_hr = principal.at_least(Role.HR)
    pairing = _visible_pairing(principal_role_ok=is_hr, member=principal.employee_id, store=store,
                               pairing_id=pairing_id)  # fmt: skip
    author = body.by_employee_id if is_hr else principal.employee_id
    if author is None:
        raise ApiProblem("validation-error", "by_employee_id: say which member of the pair the feedback is from")
    if not is_hr and body.by_employee_id not in (None, author):
        raise ApiProblem("forbidden", "an employee key can only give feedback as itself")
    if author not in pairing.employee_ids:
        raise ApiProblem("validation-error", f"by_employee_id: {author!r} is not a member of this pairing")
    if pairing.status is PairingStatus.PROPOSED:
        raise ApiProblem("conflict", f"pairing {pairing.id} is only proposed; feedback opens once it is published")
    return cohort_service.add_feedback(
        store=store,
        pairing_id=pairing.id,
        by_employee_id=author,
        rating=body.rating,
        topics_covered=body.topics_covered,
        comment=body.comment,
    )


def _visible_pairing(*, principal_role_ok: bool, member: str | None, store: StoreDep, pairing_id: str) -> Pairing:
    pairing = cohort_service.get_pairing_or_raise(store=store, pairing_id=pairing_id)
    if not principal_role_ok and member not in pairing.employee_ids:
        raise ApiProblem("forbidden", "an employee key can only see pairings it is part of")
    return pairing
