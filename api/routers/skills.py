"""The skill space: search in your own words, autocomplete, and one skill by id. The
ranking is the skill normaliser's (the same one the employee import uses)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from api.deps import AnyRole, NormaliserDep, StoreDep
from api.errors import not_found, problem_responses
from schema import Skill
from schema.models import ID_PATTERN

router = APIRouter(prefix="/api/v1/skills", tags=["skills"])

SkillText = Annotated[
    str, Query(min_length=1, max_length=200, description="A skill in your own words.", examples=["pinterest mktg"])
]


class RankedSkillRead(BaseModel):
    rank: int
    skill: Skill
    score: float = Field(description="Confidence 0-1 (1 for an exact label): semantic + spelling + prior.")
    semantic: float = Field(description="Best embedding cosine over the skill's labels.")
    lexical: float = Field(description="Character-trigram similarity.")
    matched_label: str = Field(description="The label that matched best.")
    method: str = Field(description="label, alt_label or similarity.")


class SkillSearchResult(BaseModel):
    query: str
    accept_threshold: float = Field(description="Scores from here are taken as the same skill by the import.")
    results: list[RankedSkillRead]


class SkillSuggestion(BaseModel):
    id: str
    label: str
    source: str
    matched_label: str


@router.get(
    "/search",
    summary="Search skills in your own words",
    description="Exact labels (preferred or alternative) first, then the nearest skills by meaning and spelling.",
    response_model=SkillSearchResult,
    responses=problem_responses(401, 422, 503),
)
def search_skills(
    _: AnyRole,
    normaliser: NormaliserDep,
    q: SkillText,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> SkillSearchResult:
    ranking = normaliser.rank(q.strip(), limit=limit) if q.strip() else []
    return SkillSearchResult(
        query=q,
        accept_threshold=normaliser.threshold,
        results=[
            RankedSkillRead(
                rank=rank,
                skill=hit.skill,
                score=round(hit.score, 4),
                semantic=round(hit.semantic, 4),
                lexical=round(hit.lexical, 4),
                matched_label=hit.matched_label,
                method=hit.method.value,
            )
            for rank, hit in enumerate(ranking, 1)
        ],
    )


@router.get(
    "/autocomplete",
    summary="Skill suggestions while typing",
    response_model=list[SkillSuggestion],
    responses=problem_responses(401, 422, 503),
)
def autocomplete(
    _: AnyRole,
    normaliser: NormaliserDep,
    q: Annotated[str, Query(min_length=1, max_length=100, examples=["pint"])],
    limit: Annotated[int, Query(ge=1, le=20)] = 8,
) -> list[SkillSuggestion]:
    text = q.strip()
    if not text:
        return []
    return [
        SkillSuggestion(id=h.skill.id, label=h.skill.label, source=h.skill.source.value, matched_label=h.matched_label)
        for h in normaliser.rank(text, limit=limit)
    ]


@router.get(
    "/{skill_id}",
    summary="One skill",
    response_model=Skill,
    responses=problem_responses(401, 404, 422, 503),
)
def get_skill(_: AnyRole, store: StoreDep, skill_id: Annotated[str, Path(pattern=ID_PATTERN, max_length=128)]) -> Skill:
    skill = store.get_skill(skill_id=skill_id)
    if skill is None:
        raise not_found("skill", skill_id)
    return skill
