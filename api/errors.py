"""One error model for every error the API returns: problem details (RFC 9457),
``application/problem+json``.

Domain errors raised by services (``StoreUnavailable``, ``InvalidReference``, not-found
errors...) are mapped to HTTP here, in one place, by :func:`install_problem_handlers`.
Routes document the problems they can return with :func:`problem_responses`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from graph.errors import InvalidReference, StoreError, StoreUnavailable

log = logging.getLogger("mentorgraph.api")

PROBLEM_MEDIA_TYPE = "application/problem+json"
#: Seconds a client should wait before retrying when the store is unavailable.
RETRY_AFTER_SECONDS = 5


@dataclass(frozen=True)
class ProblemType:
    slug: str
    status: int
    title: str
    description: str

    @property
    def uri(self) -> str:
        return "about:blank" if self.slug == "about:blank" else f"/problems/{self.slug}"


_TYPES = [
    ProblemType("bad-request", 400, "Bad request", "The request could not be understood (malformed syntax)."),
    ProblemType(
        "unauthorized",
        401,
        "Authentication required",
        "Send a valid API key as `Authorization: Bearer <key>`. Keys are created with "
        "`mentorgraph api-key create` and configured in MENTORGRAPH_API__KEYS.",
    ),
    ProblemType(
        "forbidden",
        403,
        "Not allowed",
        "The API key is valid but its role (employee, hr, admin) does not allow this, or an "
        "employee key tried to act on somebody else.",
    ),
    ProblemType("not-found", 404, "Not found", "The resource (employee, skill, pairing, cohort...) does not exist."),
    ProblemType("method-not-allowed", 405, "Method not allowed", "This path does not accept this HTTP method."),
    ProblemType(
        "conflict", 409, "Conflict", "The request conflicts with the current state (the id already exists...)."
    ),
    ProblemType(
        "payload-too-large",
        413,
        "Request body too large",
        "The body is larger than the configured limit (MENTORGRAPH_API__MAX_BODY_BYTES, or "
        "MENTORGRAPH_API__MAX_IMPORT_BYTES for bulk imports).",
    ),
    ProblemType(
        "unsupported-media-type", 415, "Unsupported media type", "Send the body in a media type the route accepts."
    ),
    ProblemType(
        "validation-error",
        422,
        "Invalid input",
        "Some fields are invalid; `errors` lists each one with its location and the reason.",
    ),
    ProblemType(
        "unknown-reference",
        422,
        "Unknown reference",
        "The input refers to something that does not exist (an unknown skill or employee id); `missing` lists the ids.",
    ),
    ProblemType(
        "internal-error", 500, "Internal error", "An unexpected error; it has been logged without personal data."
    ),
    ProblemType(
        "store-unavailable",
        503,
        "Store unavailable",
        "The graph store (Neo4j or the embedded file) does not answer. Retry after the number of "
        "seconds in Retry-After; /readyz reports when it is back.",
    ),
]
PROBLEM_TYPES: dict[str, ProblemType] = {t.slug: t for t in _TYPES}
_BY_STATUS: dict[int, ProblemType] = {}
for _t in _TYPES:
    _BY_STATUS.setdefault(_t.status, _t)


class FieldProblem(BaseModel):
    """One invalid field: where it is (``body.skills.0.level``), why, and the value sent."""

    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    """Problem details for HTTP APIs (RFC 9457)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "/problems/not-found",
                    "title": "Not found",
                    "status": 404,
                    "detail": "employee 'e00042' does not exist",
                    "instance": "/api/v1/employees/e00042",
                }
            ]
        }
    )

    type: str = Field(default="about:blank", description="A URI reference identifying the problem type.")
    title: str = Field(description="A short, human-readable summary of the problem type.")
    status: int = Field(description="The HTTP status code.")
    detail: str | None = Field(default=None, description="What went wrong in this occurrence, for humans.")
    instance: str | None = Field(default=None, description="The request path that produced the problem.")
    errors: list[FieldProblem] | None = Field(default=None, description="For validation errors: each invalid field.")
    missing: list[str] | None = Field(default=None, description="For unknown references: the ids that do not exist.")


class ApiProblem(Exception):
    """Raise from a route or dependency to answer with a problem document."""

    def __init__(
        self,
        slug: str,
        detail: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        missing: Sequence[str] | None = None,
    ) -> None:
        super().__init__(detail or slug)
        self.kind = PROBLEM_TYPES[slug]
        self.detail = detail
        self.headers = dict(headers or {})
        self.missing = list(missing) if missing is not None else None


def not_found(what: str, ident: str) -> ApiProblem:
    return ApiProblem("not-found", f"{what} {ident!r} does not exist")


def problem_response(
    kind: ProblemType,
    request: Request | None,
    *,
    detail: str | None = None,
    status: int | None = None,
    title: str | None = None,
    headers: Mapping[str, str] | None = None,
    errors: list[FieldProblem] | None = None,
    missing: list[str] | None = None,
) -> JSONResponse:
    problem = Problem(
        type=kind.uri,
        title=title or kind.title,
        status=status or kind.status,
        detail=detail,
        instance=request.url.path if request is not None else None,
        errors=errors,
        missing=missing,
    )
    return JSONResponse(
        problem.model_dump(mode="json", exclude_none=True),
        status_code=problem.status,
        headers=dict(headers or {}),
        media_type=PROBLEM_MEDIA_TYPE,
    )


def _kind_for_status(status: int) -> ProblemType:
    kind = _BY_STATUS.get(status)
    if kind is not None:
        return kind
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    return ProblemType("about:blank", status, phrase, phrase)


def _field_problems(errors: Iterable[Any]) -> list[FieldProblem]:
    out = []
    for error in errors:
        loc = [part if isinstance(part, int) else str(part) for part in error.get("loc", ())]
        # The value sent is not echoed: it may hold personal data, and the client has it.
        out.append(FieldProblem(loc=loc, msg=str(error.get("msg", "invalid")), type=str(error.get("type", "invalid"))))
    return out


async def _on_api_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiProblem)
    return problem_response(exc.kind, request, detail=exc.detail, headers=exc.headers, missing=exc.missing)


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = _field_problems(exc.errors())
    first = errors[0] if errors else None
    detail = f"{'.'.join(str(p) for p in first.loc)}: {first.msg}" if first else "invalid input"
    if len(errors) > 1:
        detail += f" (and {len(errors) - 1} more)"
    return problem_response(PROBLEM_TYPES["validation-error"], request, detail=detail, errors=errors)


async def _on_model_validation(request: Request, exc: Exception) -> JSONResponse:
    """A model built by a route or a service from valid-looking input failed its rules."""
    assert isinstance(exc, ValidationError)
    errors = _field_problems(exc.errors())
    first = errors[0] if errors else None
    detail = f"{'.'.join(str(p) for p in first.loc) or 'input'}: {first.msg}" if first else "invalid input"
    return problem_response(PROBLEM_TYPES["validation-error"], request, detail=detail, errors=errors)


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    kind = _kind_for_status(exc.status_code)
    phrase = HTTPStatus(exc.status_code).phrase if exc.status_code in HTTPStatus._value2member_map_ else ""
    generic = {kind.title.lower(), phrase.lower()}
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail.lower() not in generic else None
    return problem_response(kind, request, detail=detail, headers=exc.headers)


async def _on_store_unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.warning("store unavailable on %s %s", request.method, _route_template(request))
    return problem_response(
        PROBLEM_TYPES["store-unavailable"],
        request,
        detail=str(exc),
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


async def _on_invalid_reference(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InvalidReference)
    return problem_response(PROBLEM_TYPES["unknown-reference"], request, detail=str(exc), missing=list(exc.missing))


async def _on_store_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("store error on %s %s: %s", request.method, _route_template(request), type(exc).__name__)
    return problem_response(PROBLEM_TYPES["internal-error"], request, detail="the store could not answer this request")


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    # Only the exception type and route template: messages can carry personal data.
    log.error("unexpected %s on %s %s", type(exc).__name__, request.method, _route_template(request))
    return problem_response(PROBLEM_TYPES["internal-error"], request)


def _route_template(request: Request) -> str:
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "<unmatched>"


Handler = Callable[[Request, Exception], Any]


def install_problem_handlers(app: FastAPI, *, domain: Mapping[type[Exception], str] | None = None) -> None:
    """Map every error to a problem document. ``domain`` maps service error classes to a
    problem slug (their message becomes ``detail``)."""
    app.add_exception_handler(ApiProblem, _on_api_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(ValidationError, _on_model_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(StoreUnavailable, _on_store_unavailable)
    app.add_exception_handler(InvalidReference, _on_invalid_reference)
    app.add_exception_handler(StoreError, _on_store_error)
    for error_class, slug in (domain or {}).items():
        app.add_exception_handler(error_class, _domain_handler(PROBLEM_TYPES[slug]))
    app.add_exception_handler(Exception, _on_unexpected)


def _domain_handler(kind: ProblemType) -> Handler:
    async def handle(request: Request, exc: Exception) -> JSONResponse:
        return problem_response(kind, request, detail=str(exc))

    return handle


# -- OpenAPI ---------------------------------------------------------------------------

_EXAMPLE_DETAIL = {
    400: "the request body is not valid JSON",
    401: "send an API key as 'Authorization: Bearer <key>'",
    403: "an employee key can only read its own profile",
    404: "employee 'e00042' does not exist",
    409: "employee 'e00042' already exists; use PUT to replace it",
    413: "the request body is larger than 1048576 bytes",
    415: "upload a .csv, .json or .jsonl file",
    422: "body.skills.0.level: Input should be less than or equal to 5",
    500: None,
    503: "Neo4j at neo4j://neo4j:7687 does not answer; retry later",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the given problem statuses, plus the two any
    route can answer: 400 (a body or query that cannot be decoded) and 500."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in sorted({400, *statuses, 500}):
        kind = _kind_for_status(status)
        example: dict[str, Any] = {"type": kind.uri, "title": kind.title, "status": status}
        if _EXAMPLE_DETAIL.get(status):
            example["detail"] = _EXAMPLE_DETAIL[status]
        if status == 422:
            example["errors"] = [
                {"loc": ["body", "skills", 0, "level"], "msg": "Input should be less than or equal to 5",
                 "type": "less_than_equal"}
            ]  # fmt: skip
        entry: dict[str, Any] = {
            "description": kind.description,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}, "example": example}},
        }
        if status == 401:
            entry["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "Bearer"}}
        if status == 503:
            entry["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}}
        out[status] = entry
    return out


def problem_schemas() -> dict[str, Any]:
    """JSON schemas of :class:`Problem` and :class:`FieldProblem` for ``components``."""
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    defs = schema.pop("$defs", {})
    return {"Problem": schema, **defs}
