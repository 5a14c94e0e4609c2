"""Cohort matching (HR): propose the whole programme's pairs at once, review them (lock,
remove, swap, re-run the rest), then publish them as pairings. Calls the cohort service
(:mod:`recommender.cohort`); proposals are kept by :class:`api.proposals.ProposalStore`."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path as FilePath
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, Path, Request, Response, UploadFile, status
from pydantic import BaseModel, ConfigDict, Field

from api.deps import HrRole, StoreDep
from api.errors import ApiProblem, problem_responses
from api.models import PageParams, page_params
from api.proposals import PROPOSAL_ID, ProposalStore
from graph.store import GraphStore
from recommender import cohort as cohort_service
from recommender.cohort_models import Cohort, CohortError, MatchOptions, Objective, Proposal, PublishResult
from recommender.policy import ProgrammePolicy
from schema.models import Identifier, ShortText

router = APIRouter(prefix="/api/v1/cohorts", tags=["cohorts"])

ProposalId = Annotated[str, Path(pattern=PROPOSAL_ID, examples=["cohort-3f2a9c1d7e4b"])]
Pair = tuple[Identifier, Identifier]
MAX_PARTICIPANTS = 20_000


def get_proposals(request: Request) -> ProposalStore:
    return ProposalStore(FilePath(request.app.state.settings.home) / "proposals")


ProposalsDep = Annotated[ProposalStore, Depends(get_proposals)]


class CohortParticipant(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Identifier
    role: Literal["senior", "junior", "either"]
    capacity: Annotated[int, Field(ge=0, le=20)] | None = Field(
        default=None, description="Partners in this programme; omit to use the profile's free capacity."
    )
    must_pair: list[Identifier] = Field(default=[], max_length=100)
    never_pair: list[Identifier] = Field(default=[], max_length=100)


class CohortCreate(BaseModel):
    """A cohort to match. Participants are checked like a cohort file: duplicate ids and
    contradictory must/never pairs are refused, each named by its position."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "programme": "reverse-mentoring-2025",
                    "participants": [
                        {"id": "e00007", "role": "senior", "capacity": 2},
                        {"id": "e00042", "role": "junior"},
                        {"id": "e00043", "role": "junior", "never_pair": ["e00007"]},
                    ],
                    "objective": "coverage",
                }
            ]
        },
    )

    programme: ShortText = ""
    participants: list[CohortParticipant] = Field(max_length=MAX_PARTICIPANTS)
    objective: Objective = Objective.TOTAL
    require_two_way: bool = True
    ban_same_department: bool = False
    policy: ProgrammePolicy = ProgrammePolicy()


class CohortReview(BaseModel):
    """HR's edits, applied in this order: remove, swap, lock, then re-run the rest. Pairs
    are written ``[senior_id, junior_id]`` (either order)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"lock": [["e00007", "e00042"]], "remove": [], "rerun": True}]},
    )

    lock: list[Pair] = Field(default=[], max_length=1000)
    remove: list[Pair] = Field(default=[], max_length=1000)
    swap: list[tuple[Pair, Pair]] = Field(default=[], max_length=1000)
    rerun: bool = False


class CohortRead(BaseModel):
    id: str
    proposal: Proposal


class CohortSummary(BaseModel):
    id: str
    programme: str
    status: str
    created_at: str
    updated_at: str
    pairs: int
    matched: int
    unmatched: int
    total_benefit: float


class CohortList(BaseModel):
    items: list[CohortSummary]
    total: int
    offset: int
    limit: int


class CohortPublished(BaseModel):
    id: str
    published: PublishResult
    proposal: Proposal


def propose_cohort(*, store: GraphStore, proposals: ProposalStore, body: CohortCreate) -> CohortRead:
    """Check the participants as the cohort service checks a file, solve, keep the proposal."""
    programme = body.programme or "cohort"
    with tempfile.TemporaryDirectory(prefix="mentorgraph-cohort-") as folder:
        path = FilePath(folder) / "participants.json"
        # One participant per line, so the service's line numbers map back to positions.
        lines = [json.dumps(p.model_dump(exclude_defaults=True)) for p in body.participants]
        path.write_text('{"participants": [\n' + ",\n".join(lines) + "\n]}\n", encoding="utf-8")
        try:
            cohort = cohort_service.read_cohort(path=path, programme=programme)
        except CohortError as exc:
            raise _positions(exc) from exc
    return _propose(store=store, proposals=proposals, cohort=cohort.model_copy(update={"source": "request"}),
                    body=body)  # fmt: skip


def _positions(exc: CohortError) -> ApiProblem:
    parts = [
        f"participants[{problem.line - 2}]: {problem.message}" if problem.line else problem.message
        for problem in exc.problems
    ]
    summary = exc.summary.replace("participants.json", "the cohort")
    return ApiProblem("validation-error", f"{summary}: {'; '.join(parts)}" if parts else summary)


def _propose(*, store: GraphStore, proposals: ProposalStore, cohort: Cohort, body: CohortCreate) -> CohortRead:
    options = MatchOptions(
        objective=body.objective,
        require_two_way=body.require_two_way,
        ban_same_department=body.ban_same_department,
        programme=cohort.programme,
    )
    proposal = cohort_service.propose(store=store, cohort=cohort, options=options, policy=body.policy)
    return CohortRead(id=proposals.add(proposal), proposal=proposal)


@router.post(
    "",
    summary="Propose pairs for a whole cohort (HR)",
    description="Solves the cohort at once for the largest total two-way benefit (or the most people matched, "
    "objective=coverage) under capacities and the programme rules. Every pair comes with both agendas and an "
    "explanation; every unmatched person with the reason. The proposal is kept for review.",
    status_code=status.HTTP_201_CREATED,
    response_model=CohortRead,
    responses=problem_responses(401, 403, 413, 422, 503),
)
def create_cohort(
    _: HrRole, store: StoreDep, proposals: ProposalsDep, body: CohortCreate, response: Response
) -> CohortRead:
    created = propose_cohort(store=store, proposals=proposals, body=body)
    response.headers["Location"] = f"/api/v1/cohorts/{created.id}"
    return created


@router.post(
    "/upload",
    summary="Propose pairs for a cohort file (HR; CSV or JSON as for `mentorgraph match`)",
    status_code=status.HTTP_201_CREATED,
    response_model=CohortRead,
    responses=problem_responses(401, 403, 413, 415, 422, 503),
)
def upload_cohort(
    _: HrRole,
    store: StoreDep,
    proposals: ProposalsDep,
    response: Response,
    file: Annotated[UploadFile, File(description="cohort.csv (id,role,capacity,must_pair,never_pair) or .json")],
    programme: Annotated[str, Form(max_length=500)] = "",
    objective: Annotated[Objective, Form()] = Objective.TOTAL,
    require_two_way: Annotated[bool, Form()] = True,
    ban_same_department: Annotated[bool, Form()] = False,
) -> CohortRead:
    name = FilePath(file.filename or "cohort.csv").name
    suffix = FilePath(name).suffix.lower()
    if suffix not in (".csv", ".json"):
        raise ApiProblem("unsupported-media-type", "upload a .csv or .json cohort file")
    with tempfile.TemporaryDirectory(prefix="mentorgraph-cohort-") as folder:
        path = FilePath(folder) / f"cohort{suffix}"
        with path.open("wb") as out:
            while chunk := file.file.read(1 << 20):
                out.write(chunk)
        try:
            cohort = cohort_service.read_cohort(path=path, programme=programme.strip() or FilePath(name).stem)
        except CohortError as exc:
            raise ApiProblem("validation-error", str(exc).replace(path.name, name)) from exc
    body = CohortCreate(
        programme=cohort.programme, participants=[], objective=objective,
        require_two_way=require_two_way, ban_same_department=ban_same_department,
    )  # fmt: skip
    created = _propose(store=store, proposals=proposals, cohort=cohort.model_copy(update={"source": name}), body=body)
    response.headers["Location"] = f"/api/v1/cohorts/{created.id}"
    return created


@router.get(
    "",
    summary="List cohort proposals, newest first (HR)",
    response_model=CohortList,
    responses=problem_responses(401, 403, 422, 503),
)
def list_cohorts(_: HrRole, proposals: ProposalsDep, page: Annotated[PageParams, Depends(page_params)]) -> CohortList:
    found = proposals.list()
    items = [
        CohortSummary(
            id=pid,
            programme=p.programme,
            status=p.status.value,
            created_at=p.created_at.isoformat(),
            updated_at=p.updated_at.isoformat(),
            pairs=p.stats.pairs,
            matched=p.stats.matched,
            unmatched=p.stats.unmatched,
            total_benefit=p.stats.total_benefit,
        )
        for pid, p in found[page.offset : page.offset + page.limit]
    ]
    return CohortList(items=items, total=len(found), offset=page.offset, limit=page.limit)


@router.get(
    "/{proposal_id}",
    summary="A cohort proposal with every pair, agenda and unmatched person (HR)",
    response_model=CohortRead,
    responses=problem_responses(401, 403, 404, 422, 503),
)
def get_cohort(_: HrRole, proposals: ProposalsDep, proposal_id: ProposalId) -> CohortRead:
    return CohortRead(id=proposal_id, proposal=proposals.get(proposal_id))


@router.post(
    "/{proposal_id}/review",
    summary="Review a proposal: lock, remove or swap pairs, re-run the rest (HR)",
    response_model=CohortRead,
    responses=problem_responses(401, 403, 404, 409, 413, 422, 503),
)
def review_cohort(
    _: HrRole, store: StoreDep, proposals: ProposalsDep, proposal_id: ProposalId, body: CohortReview
) -> CohortRead:
    def change(proposal: Proposal) -> tuple[Proposal, None]:
        reviewed = cohort_service.review(
            store=store,
            proposal=proposal,
            lock=body.lock,
            remove=body.remove,
            swap=body.swap,
            rerun=body.rerun,
        )
        return reviewed, None

    updated, _none = proposals.update(proposal_id, change)
    return CohortRead(id=proposal_id, proposal=updated)


@router.post(
    "/{proposal_id}/publish",
    summary="Publish a proposal: its pairs become active pairings (HR)",
    description="Refuses (writing nothing) if a pair is already paired in the store under another pairing. "
    "Published pairings are excluded from later proposals and recommendations and take feedback.",
    response_model=CohortPublished,
    responses=problem_responses(401, 403, 404, 409, 422, 503),
)
def publish_cohort(_: HrRole, store: StoreDep, proposals: ProposalsDep, proposal_id: ProposalId) -> CohortPublished:
    updated, result = proposals.update(
        proposal_id, lambda proposal: cohort_service.publish(store=store, proposal=proposal)
    )
    return CohortPublished(id=proposal_id, published=result, proposal=updated)


@router.delete(
    "/{proposal_id}",
    summary="Discard a proposal (HR); published pairings stay",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problem_responses(401, 403, 404, 422, 503),
)
def delete_cohort(_: HrRole, proposals: ProposalsDep, proposal_id: ProposalId) -> Response:
    if not proposals.delete(proposal_id):
        raise ApiProblem("not-found", f"cohort proposal {proposal_id!r} does not exist")
    return Response(status_code=status.HTTP_204_NO_CONTENT)
