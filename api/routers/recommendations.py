"""Two-way partner recommendations, teacher search and pair agendas: thin calls to the
recommender's services."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from api.deps import AnyRole, EmbedderDep, StoreDep, ensure_may_act_for
from api.errors import ApiProblem, problem_responses
from recommender import pairing, teachers
from recommender.models import PairAgenda, RecommendationList, TeacherSearchResult
from recommender.policy import MentoringDirection, ProgrammePolicy
from schema.models import ID_PATTERN

router = APIRouter(prefix="/api/v1", tags=["recommendations"])

EmployeeId = Annotated[str, Path(pattern=ID_PATTERN, max_length=128, examples=["e00042"])]
QueryId = Annotated[str, Query(pattern=ID_PATTERN, max_length=128)]
_DEFAULT = ProgrammePolicy()


def policy_params(
    direction: Annotated[
        MentoringDirection,
        Query(description="reverse: the junior teaches the digital topics; traditional; any (peers allowed)."),
    ] = _DEFAULT.direction,
    min_seniority_gap: Annotated[int, Query(ge=0, le=4, description="Seniority levels between partners.")] = (
        _DEFAULT.min_seniority_gap
    ),
    max_utc_offset_difference: Annotated[
        float | None, Query(ge=0, le=26, description="Largest time-zone difference in hours (omit: the default, 6).")
    ] = _DEFAULT.max_utc_offset_difference,
    require_two_way: Annotated[bool, Query(description="Drop partners where only one side learns.")] = (
        _DEFAULT.require_two_way
    ),
    include_previous_partners: Annotated[bool, Query(description="Allow people already paired with.")] = (
        _DEFAULT.include_previous_partners
    ),
) -> ProgrammePolicy:
    return ProgrammePolicy(
        direction=direction,
        min_seniority_gap=min_seniority_gap,
        max_utc_offset_difference=max_utc_offset_difference,
        require_two_way=require_two_way,
        include_previous_partners=include_previous_partners,
    )


PolicyDep = Annotated[ProgrammePolicy, Depends(policy_params)]


@router.get(
    "/employees/{employee_id}/recommendations",
    summary="Two-way partners for an employee, with both agendas and an explanation",
    description="The best partners under the programme policy: each with a mutual score, the score and learning "
    "agenda of each direction, and a plain-language explanation. An employee key may ask only for itself.",
    response_model=RecommendationList,
    responses=problem_responses(401, 403, 404, 422, 503),
)
def recommendations(
    principal: AnyRole,
    store: StoreDep,
    employee_id: EmployeeId,
    policy: PolicyDep,
    limit: Annotated[int, Query(ge=1, le=50, description="How many partners.")] = 5,
) -> RecommendationList:
    ensure_may_act_for(principal, employee_id, what="recommendations")
    return pairing.recommend(store=store, employee_id=employee_id, limit=limit, policy=policy)


@router.get(
    "/agenda",
    summary="What two employees can teach each other",
    description="Topics each can teach the other, best first, with the programme rules the pair would break. "
    "An employee key may ask only about pairs it is part of.",
    response_model=PairAgenda,
    responses=problem_responses(401, 403, 404, 422, 503),
)
def pair_agenda(principal: AnyRole, store: StoreDep, first_id: QueryId, second_id: QueryId) -> PairAgenda:
    if not (principal.may_act_for(first_id) or principal.may_act_for(second_id)):
        raise ApiProblem("forbidden", "an employee key can only ask for agendas of pairs it is part of")
    if first_id == second_id:
        raise ApiProblem("validation-error", f"an agenda needs two different employees, got {first_id!r} twice")
    return pairing.agenda(store=store, first_id=first_id, second_id=second_id)


Question = Annotated[
    str,
    Query(
        min_length=1,
        max_length=teachers.MAX_QUESTION_LENGTH,
        description="Free text: the topics are split on 'or', 'and' and commas; filler words are ignored.",
        examples=["who can teach me Pinterest or WhatsApp marketing?"],
    ),
]


@router.get(
    "/teachers",
    summary="Who can teach me ...? (free text)",
    description="The question's topics, each mapped to skills through the taxonomy and embeddings; colleagues "
    "ranked per topic and overall with their level, and what the asker could teach each of them back. For an "
    "employee key the asker is that employee; HR may pass asker_id.",
    response_model=TeacherSearchResult,
    responses=problem_responses(401, 403, 404, 422, 503),
)
def find_teachers(
    principal: AnyRole,
    store: StoreDep,
    embedder: EmbedderDep,
    q: Question,
    asker_id: Annotated[str | None, Query(pattern=ID_PATTERN, max_length=128)] = None,
    limit: Annotated[int, Query(ge=1, le=50, description="How many colleagues overall.")] = 10,
) -> TeacherSearchResult:
    asker = teacher_search_asker(principal, asker_id)
    return teachers.find_teachers(store=store, question=q, embedder=embedder, asker_id=asker, limit=limit)


def teacher_search_asker(principal: AnyRole, asker_id: str | None) -> str | None:
    """An employee key always asks as itself; HR and admin as whoever they name (or nobody)."""
    if asker_id is not None:
        ensure_may_act_for(principal, asker_id, what="teacher searches")
        return asker_id
    return principal.employee_id
