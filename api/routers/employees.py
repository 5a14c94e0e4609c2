"""Employees: create, read, update, erase (GDPR) and the caller's own profile."""

from __future__ import annotations

import tempfile
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, File, Path, Response, UploadFile, status
from pydantic import BaseModel, Field

from api.auth import Role
from api.deps import AdminRole, AnyRole, HrRole, NormaliserDep, StoreDep, ensure_may_act_for
from api.errors import ApiProblem, not_found, problem_responses
from api.models import (
    EMPLOYEE_EXAMPLE,
    SELF_SERVICE_FIELDS,
    EmployeeList,
    EmployeePatch,
    Me,
    PageParams,
    page_params,
)
from ingest.employees import FileFormat, InputFileError
from ingest.service import erase_employee as erase_employee_service
from ingest.service import ingest_employees
from schema import Employee
from schema.models import ID_PATTERN

router = APIRouter(prefix="/api/v1", tags=["employees"])

EmployeeId = Annotated[str, Path(pattern=ID_PATTERN, max_length=128, examples=["e00042"])]
EmployeeBody = Annotated[Employee, Body(openapi_examples={"employee": {"value": EMPLOYEE_EXAMPLE}})]


@router.get("/me", summary="Who this API key is", response_model=Me, responses=problem_responses(401, 503))
def me(principal: AnyRole, store: StoreDep) -> Me:
    employee = store.get_employee(employee_id=principal.employee_id) if principal.employee_id else None
    return Me(role=principal.role.label, employee_id=principal.employee_id, employee=employee)


@router.get(
    "/employees",
    summary="List employees (HR)",
    response_model=EmployeeList,
    responses=problem_responses(401, 403, 422, 503),
)
def list_employees(_: HrRole, store: StoreDep, page: Annotated[PageParams, Depends(page_params)]) -> EmployeeList:
    found = store.list_employees(offset=page.offset, limit=page.limit)
    return EmployeeList(items=found.items, total=found.total, offset=page.offset, limit=page.limit)


@router.post(
    "/employees",
    summary="Create an employee (HR)",
    status_code=status.HTTP_201_CREATED,
    response_model=Employee,
    responses=problem_responses(401, 403, 409, 413, 422, 503),
)
def create_employee(_: HrRole, store: StoreDep, employee: EmployeeBody, response: Response) -> Employee:
    if store.get_employee(employee_id=employee.id) is not None:
        raise ApiProblem("conflict", f"employee {employee.id!r} already exists; use PUT to replace it")
    store.upsert_employees(employees=[employee])
    response.headers["Location"] = f"/api/v1/employees/{employee.id}"
    return employee


@router.get(
    "/employees/{employee_id}",
    summary="Read a profile (your own, or anyone's for HR)",
    response_model=Employee,
    responses=problem_responses(401, 403, 404, 422, 503),
)
def get_employee(principal: AnyRole, store: StoreDep, employee_id: EmployeeId) -> Employee:
    ensure_may_act_for(principal, employee_id, what="the profile")
    employee = store.get_employee(employee_id=employee_id)
    if employee is None:
        raise not_found("employee", employee_id)
    return employee


@router.put(
    "/employees/{employee_id}",
    summary="Create or replace an employee (HR)",
    description="Replaces the whole profile; skills and goals are replaced by those sent. "
    "Answers 201 when the employee is new, 200 when replaced.",
    response_model=Employee,
    responses={201: {"description": "Created", "model": Employee}, **problem_responses(401, 403, 413, 422, 503)},
)
def put_employee(
    _: HrRole, store: StoreDep, employee_id: EmployeeId, employee: EmployeeBody, response: Response
) -> Employee:
    if employee.id != employee_id:
        raise ApiProblem("validation-error", f"the body's id {employee.id!r} differs from the path's {employee_id!r}")
    existed = store.get_employee(employee_id=employee_id) is not None
    store.upsert_employees(employees=[employee])
    if not existed:
        response.status_code = status.HTTP_201_CREATED
        response.headers["Location"] = f"/api/v1/employees/{employee.id}"
    return employee


@router.patch(
    "/employees/{employee_id}",
    summary="Update some fields of a profile",
    description="HR may change any field. An employee key may change its own skills, goals, "
    "capacity, opt-in, location and time zone.",
    response_model=Employee,
    responses=problem_responses(401, 403, 404, 413, 422, 503),
)
def patch_employee(principal: AnyRole, store: StoreDep, employee_id: EmployeeId, patch: EmployeePatch) -> Employee:
    ensure_may_act_for(principal, employee_id, what="the profile")
    changes: dict[str, Any] = {name: getattr(patch, name) for name in patch.model_fields_set}
    if not principal.at_least(Role.HR):
        refused = sorted(set(changes) - SELF_SERVICE_FIELDS)
        if refused:
            raise ApiProblem("forbidden", f"only HR can change {', '.join(refused)}")
    current = store.get_employee(employee_id=employee_id)
    if current is None:
        raise not_found("employee", employee_id)
    for name in ("skills", "goals"):
        if name in changes:
            changes[name] = tuple(changes[name] or ())
    updated = Employee.model_validate({**current.model_dump(), **changes})
    store.upsert_employees(employees=[updated])
    return updated


@router.delete(
    "/employees/{employee_id}",
    summary="Erase an employee (admin; GDPR erasure)",
    description="Removes the employee, every skill, goal and reporting edge they had, and their pairings.",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problem_responses(401, 403, 404, 422, 503),
)
def erase_employee(_: AdminRole, store: StoreDep, employee_id: EmployeeId) -> Response:
    if not erase_employee_service(store=store, employee_id=employee_id):
        raise not_found("employee", employee_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


class ImportProblem(BaseModel):
    field: str
    reason: str


class ImportRejection(BaseModel):
    line: int = Field(description="Line of the file (1-based; the header is line 1 in CSV).")
    employee_id: str
    problems: list[ImportProblem]


class ImportSkillMapping(BaseModel):
    """What a free-text skill became, for HR to review."""

    text: str
    skill_id: str
    label: str
    method: str
    confidence: float
    created: bool = Field(description="A new custom skill was created for this text.")
    nearest_label: str = ""


class ImportReport(BaseModel):
    file: str
    format: str
    read: int
    ingested: int
    rejected: int
    rejections: list[ImportRejection] = Field(description="The first rejected rows, in file order.")
    mappings: list[ImportSkillMapping]
    seconds: float


_FORMATS = {".csv": FileFormat.CSV, ".json": FileFormat.JSON, ".jsonl": FileFormat.JSONL, ".ndjson": FileFormat.JSONL}


@router.post(
    "/employees/import",
    summary="Bulk import employees from a CSV, JSON or JSONL file (admin)",
    description="Valid rows are imported (in batches, each one transaction); every rejected row is reported with "
    "its line, field and reason. Re-importing the same file changes nothing. Skills may be given by id, by label "
    "or in free text; the mapping of free text to skills is reported.",
    response_model=ImportReport,
    responses=problem_responses(401, 403, 413, 415, 422, 503),
)
def import_employees(
    _: AdminRole,
    store: StoreDep,
    normaliser: NormaliserDep,
    file: Annotated[UploadFile, File(description="employees.csv, .json or .jsonl (formats in the README)")],
) -> ImportReport:
    name = FilePath(file.filename or "upload").name
    file_format = _FORMATS.get(FilePath(name).suffix.lower())
    if file_format is None:
        raise ApiProblem("unsupported-media-type", "upload a .csv, .json or .jsonl file")
    with tempfile.TemporaryDirectory(prefix="mentorgraph-import-") as folder:
        path = FilePath(folder) / f"employees.{file_format.value}"
        with path.open("wb") as out:
            while chunk := file.file.read(1 << 20):
                out.write(chunk)
        try:
            report = ingest_employees(
                store=store,
                normaliser=normaliser,
                path=path,
                rejects_path=FilePath(folder) / f"rejects.{file_format.value}",
                mapping_path=FilePath(folder) / "mapping.csv",
                file_format=file_format,
            )
        except InputFileError as exc:
            # The message names the temporary file; the user knows it by its own name.
            raise ApiProblem("validation-error", str(exc).replace(str(path), name)) from exc
    return ImportReport(
        file=name,
        format=file_format.value,
        read=report.read,
        ingested=report.ingested,
        rejected=report.rejected,
        rejections=[
            ImportRejection(
                line=r.line,
                employee_id=r.employee_id,
                problems=[ImportProblem(field=p.field, reason=p.reason.replace(str(path), name)) for p in r.problems],
            )
            for r in report.rejections
        ],
        mappings=[
            ImportSkillMapping(
                text=m.text,
                skill_id=m.skill_id,
                label=m.label,
                method=m.method.value,
                confidence=m.confidence,
                created=m.created,
                nearest_label=m.nearest_label,
            )
            for m in report.mappings.values()
        ],
        seconds=round(report.seconds, 3),
    )
