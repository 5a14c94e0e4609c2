"""The web UI: server-rendered pages (Jinja2, autoescaped) and HTML fragments.

Pages are shells that hold no data, so they need no key. The browser keeps the API key
in sessionStorage and fetches the fragments with it as a bearer token; fragments call
the same services as the JSON API and go through the same auth and error handling.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Annotated, Any

import jinja2
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from api.auth import Role
from api.deps import AnyRole, EmbedderDep, HrRole, StoreDep, ensure_may_act_for
from api.errors import ApiProblem
from api.models import PageParams
from api.proposals import PROPOSAL_ID
from api.routers.cohorts import CohortCreate, CohortParticipant, ProposalsDep, list_cohorts, propose_cohort
from api.routers.gaps import ReportDep, heatmap_bytes
from api.routers.recommendations import PolicyDep, Question, teacher_search_asker
from recommender import pairing, teachers
from recommender.cohort_models import Objective
from schema.models import ID_PATTERN

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
templates = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,  # every value rendered is escaped, whatever the file name
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
)

router = APIRouter(include_in_schema=False)

_PAGES = {
    "/": ("index.html", "home", "Sign in"),
    "/teach": ("teach.html", "teach", "Who can teach me?"),
    "/recommendations": ("recommendations.html", "recommendations", "Recommendations"),
    "/hr/gaps": ("gaps.html", "gaps", "Skill gaps"),
    "/hr/cohorts": ("cohorts.html", "cohorts", "Cohort matching"),
}


def _page(template: str, page: str, title: str) -> Any:
    def render(request: Request) -> HTMLResponse:
        return templates.TemplateResponse(request, template, {"page": page, "title": title})

    return render


for _path, (_template, _name, _title) in _PAGES.items():
    router.add_api_route(_path, _page(_template, _name, _title), methods=["GET"], response_class=HTMLResponse)


def fragment(request: Request, template: str, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, f"fragment_{template}", context)


@router.get("/ui/fragments/recommendations", response_class=HTMLResponse)
def recommendations_fragment(
    request: Request,
    principal: AnyRole,
    store: StoreDep,
    policy: PolicyDep,
    employee_id: Annotated[str | None, Query(pattern=ID_PATTERN, max_length=128)] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 5,
) -> HTMLResponse:
    target = employee_id or principal.employee_id
    if target is None:
        raise ApiProblem("validation-error", "enter the id of the employee to recommend partners for")
    ensure_may_act_for(principal, target, what="recommendations")
    result = pairing.recommend(store=store, employee_id=target, limit=limit, policy=policy)
    return fragment(request, "recommendations.html", result=result, hr=principal.at_least(Role.HR))


@router.get("/ui/fragments/teachers", response_class=HTMLResponse)
def teachers_fragment(
    request: Request,
    principal: AnyRole,
    store: StoreDep,
    embedder: EmbedderDep,
    q: Question,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> HTMLResponse:
    asker = teacher_search_asker(principal, None)
    result = teachers.find_teachers(store=store, question=q, embedder=embedder, asker_id=asker, limit=limit)
    return fragment(request, "teachers.html", result=result)


_IDS = re.compile(r"[\s,;]+")


@router.get("/ui/fragments/cohorts", response_class=HTMLResponse)
def cohort_list_fragment(request: Request, principal: HrRole, proposals: ProposalsDep) -> HTMLResponse:
    page = list_cohorts(principal, proposals, PageParams(offset=0, limit=50))
    return fragment(request, "cohort_list.html", items=page.items)


@router.post("/ui/fragments/cohorts", response_class=HTMLResponse)
def cohort_new_fragment(
    request: Request,
    _: HrRole,
    store: StoreDep,
    proposals: ProposalsDep,
    seniors: Annotated[str, Form(max_length=200_000)] = "",
    juniors: Annotated[str, Form(max_length=200_000)] = "",
    programme: Annotated[str, Form(max_length=500)] = "",
    objective: Annotated[Objective, Form()] = Objective.TOTAL,
) -> HTMLResponse:
    participants = [CohortParticipant(id=i, role="senior") for i in _IDS.split(seniors) if i]
    participants += [CohortParticipant(id=i, role="junior") for i in _IDS.split(juniors) if i]
    body = CohortCreate(programme=programme.strip(), participants=participants, objective=objective)
    created = propose_cohort(store=store, proposals=proposals, body=body)
    return fragment(request, "cohort.html", cohort_id=created.id, proposal=created.proposal)


@router.get("/ui/fragments/cohort", response_class=HTMLResponse)
def cohort_fragment(
    request: Request,
    _: HrRole,
    proposals: ProposalsDep,
    id: Annotated[str, Query(pattern=PROPOSAL_ID)],
) -> HTMLResponse:
    return fragment(request, "cohort.html", cohort_id=id, proposal=proposals.get(id))


@router.get("/ui/fragments/gaps", response_class=HTMLResponse)
def gaps_fragment(request: Request, _: HrRole, store: StoreDep, params: ReportDep) -> HTMLResponse:
    report = params.report(store)
    heatmap = None
    if not report.empty:
        # An <img> with a data: URI: the picture needs no second, authenticated request,
        # and an image never runs scripts.
        heatmap = "data:image/svg+xml;base64," + base64.b64encode(heatmap_bytes(report, "svg")).decode("ascii")
    return fragment(request, "gaps.html", report=report, heatmap=heatmap)
