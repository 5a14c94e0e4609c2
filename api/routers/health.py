"""Operations: liveness, readiness, Prometheus metrics and the problem-type pages."""

from __future__ import annotations

import os
from typing import Literal

import anyio
from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from api.deps import StoreDep
from api.errors import PROBLEM_TYPES, ApiProblem, not_found, problem_responses
from api.models import Liveness, ProblemTypeDoc, Readiness
from graph.errors import StoreUnavailable

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness: the process answers", response_model=Liveness)
def healthz() -> Liveness:
    return Liveness()


@router.get(
    "/readyz",
    summary="Readiness: the store answers",
    response_model=Readiness,
    responses=problem_responses(503),
)
async def readyz(request: Request, store: StoreDep) -> Readiness:
    kind: Literal["embedded", "neo4j"] = "neo4j" if type(store).__name__ == "Neo4jStore" else "embedded"
    try:
        if not request.app.state.schema_ready:
            await anyio.to_thread.run_sync(store.apply_schema)
            request.app.state.schema_ready = True
        await anyio.to_thread.run_sync(store.ping)
    except StoreUnavailable as exc:
        raise ApiProblem("store-unavailable", str(exc), headers={"Retry-After": "5"}) from exc
    return Readiness(status="ready", store=kind)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    description="Request counts and latency by method, route template and status. No personal data.",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}, "description": "Metrics"}},
)
def metrics(request: Request) -> Response:
    registry = request.app.state.metrics.registry
    if _multiprocess():
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


@router.get(
    "/problems/{slug}",
    summary="What a problem type means",
    response_model=ProblemTypeDoc,
    responses=problem_responses(404, 422),
)
def problem_type(slug: str) -> ProblemTypeDoc:
    kind = PROBLEM_TYPES.get(slug)
    if kind is None:
        raise not_found("problem type", slug)
    return ProblemTypeDoc(type=kind.uri, status=kind.status, title=kind.title, description=kind.description)


def _multiprocess() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
