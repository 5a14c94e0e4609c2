"""Organisation-wide skill gaps for HR: the report, its heatmap (PNG or SVG) and the
heatmap's table as CSV. One call to :func:`recommender.gaps.gap_report` each."""

from __future__ import annotations

import tempfile
from pathlib import Path as FilePath
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Response

from api.deps import HrRole, StoreDep
from api.errors import problem_responses
from graph.store import GraphStore
from recommender.gap_models import GapGrouping, GapReport
from recommender.gaps import cells_csv, gap_report
from recommender.heatmap import render_heatmap

router = APIRouter(prefix="/api/v1/gaps", tags=["gaps"])

IMAGE_TYPES = {"png": "image/png", "svg": "image/svg+xml"}


class ReportParams:
    def __init__(
        self,
        group_by: Annotated[
            GapGrouping, Query(description="Rows of the report: department, seniority, location or category.")
        ] = GapGrouping.DEPARTMENT,
        top: Annotated[int, Query(ge=1, le=100, description="Length of every ranked list.")] = 10,
    ) -> None:
        self.group_by = group_by
        self.top = top

    def report(self, store: GraphStore) -> GapReport:
        return gap_report(store=store, group_by=self.group_by, top=self.top)


ReportDep = Annotated[ReportParams, Depends()]


@router.get(
    "",
    summary="The gap report (HR)",
    description="For each skill and category: demand (learners weighted by priority), supply (teachers), "
    "coverage, demand met inside a group and across groups, skills held by a single person, and the flow "
    "between juniors and seniors; top gaps organisation-wide and per group.",
    response_model=GapReport,
    responses=problem_responses(401, 403, 422, 503),
)
def get_gap_report(_: HrRole, store: StoreDep, params: ReportDep) -> GapReport:
    return params.report(store)


def heatmap_bytes(report: GapReport, fmt: Literal["png", "svg"]) -> bytes:
    """The heatmap image, drawn by :func:`recommender.heatmap.render_heatmap`."""
    with tempfile.TemporaryDirectory(prefix="mentorgraph-heatmap-") as folder:
        path = render_heatmap(report=report, path=FilePath(folder) / f"heatmap.{fmt}", fmt=fmt)
        return path.read_bytes()


@router.get(
    "/heatmap.{fmt}",
    summary="The gap heatmap: skill categories x groups, coloured by unmet demand (HR)",
    response_class=Response,
    responses={
        200: {
            "description": "The heatmap image.",
            "content": {media: {"schema": {"type": "string", "format": "binary"}} for media in IMAGE_TYPES.values()},
        },
        **problem_responses(401, 403, 404, 422, 503),
    },
)
def get_heatmap(
    _: HrRole, store: StoreDep, params: ReportDep, fmt: Annotated[Literal["png", "svg"], Path()]
) -> Response:
    image = heatmap_bytes(params.report(store), fmt)
    return Response(image, media_type=IMAGE_TYPES[fmt])


@router.get(
    "/cells.csv",
    summary="The heatmap's table as CSV (HR)",
    response_class=Response,
    responses={
        200: {
            "description": "One line per (group, category) cell.",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        },
        **problem_responses(401, 403, 422, 503),
    },
)
def get_cells_csv(_: HrRole, store: StoreDep, params: ReportDep) -> Response:
    return Response(
        cells_csv(params.report(store)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="gaps-by-{params.group_by.value}.csv"'},
    )
