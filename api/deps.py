"""FastAPI dependencies: the store, the embedder and the caller.

Tests override :func:`get_store` and :func:`get_embedder` (``app.dependency_overrides``)
to run the API over any store backend.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.auth import KeyRing, Principal, Role
from api.errors import ApiProblem
from graph.store import GraphStore
from ingest.embedder import Embedder
from ingest.normalise import SkillNormaliser
from mentorgraph.context import AppContext

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key from `mentorgraph api-key create`, sent as `Authorization: Bearer <key>`.",
)


def get_context(request: Request) -> AppContext:
    context: AppContext | None = getattr(request.app.state, "context", None)
    if context is None:
        raise ApiProblem(
            "store-unavailable", "the service is starting; retry in a few seconds", headers={"Retry-After": "5"}
        )
    return context


def get_store(context: Annotated[AppContext, Depends(get_context)]) -> GraphStore:
    return context.store


def get_embedder(context: Annotated[AppContext, Depends(get_context)]) -> Embedder:
    return context.embedder


class NormaliserCache:
    """One :class:`SkillNormaliser` per store, shared by the requests of a process (its
    skill index costs seconds to build). It is rebuilt when the number of skills in the
    store changes (a taxonomy seed while the server runs), checked at most every
    ``recheck_seconds``."""

    def __init__(self, recheck_seconds: float = 60.0) -> None:
        self._lock = threading.Lock()
        self._recheck = recheck_seconds
        self._entries: dict[int, tuple[SkillNormaliser, int, float]] = {}

    def get(self, store: GraphStore, embedder: Embedder) -> SkillNormaliser:
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(id(store))
        if entry is not None and now - entry[2] < self._recheck:
            return entry[0]
        skills = store.counts().skills
        if entry is not None and entry[1] == skills:
            normaliser = entry[0]
        else:
            normaliser = SkillNormaliser(store=store, embedder=embedder)
        with self._lock:
            self._entries[id(store)] = (normaliser, skills, now)
        return normaliser


def get_normaliser(
    request: Request,
    store: Annotated[GraphStore, Depends(get_store)],
    embedder: Annotated[Embedder, Depends(get_embedder)],
) -> SkillNormaliser:
    cache: NormaliserCache = request.app.state.normalisers
    return cache.get(store, embedder)


_QUERY_NAMES: dict[int, frozenset[str]] = {}


def reject_unknown_query(request: Request) -> None:
    """A query parameter the route does not take is an error, not silently ignored: a typo
    such as ``?limt=5`` would otherwise return the default page without a word."""
    if not request.query_params:
        return
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None or not getattr(route, "include_in_schema", True):
        return  # web pages keep working with tracking parameters (?utm_source=...) in their links
    allowed = _QUERY_NAMES.get(id(route))
    if allowed is None:
        allowed = frozenset(_query_names(dependant))
        _QUERY_NAMES[id(route)] = allowed
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        accepted = ", ".join(sorted(allowed)) or "none"
        raise ApiProblem(
            "validation-error",
            f"unknown query parameter {', '.join(map(repr, unknown))} (this route takes: {accepted})",
        )


def _query_names(dependant: Dependant) -> Iterator[str]:
    for param in dependant.query_params:
        yield param.alias
    for sub in dependant.dependencies:
        yield from _query_names(sub)


def get_keyring(request: Request) -> KeyRing:
    keyring: KeyRing = request.app.state.keyring
    return keyring


_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="mentorgraph"'}


def get_principal(
    keyring: Annotated[KeyRing, Depends(get_keyring)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise ApiProblem("unauthorized", "send an API key as 'Authorization: Bearer <key>'", headers=_CHALLENGE)
    principal = keyring.authenticate(credentials.credentials)
    if principal is None:
        raise ApiProblem(
            "unauthorized",
            "the API key is not valid",
            headers={"WWW-Authenticate": 'Bearer realm="mentorgraph", error="invalid_token"'},
        )
    return principal


def require(role: Role) -> Any:
    """A dependency allowing ``role`` and every more powerful role."""

    def check(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        if not principal.at_least(role):
            raise ApiProblem("forbidden", f"this needs the {role.label} role (the key has {principal.role.label})")
        return principal

    return Depends(check)


def ensure_may_act_for(principal: Principal, employee_id: str, *, what: str = "this") -> None:
    if not principal.may_act_for(employee_id):
        raise ApiProblem("forbidden", f"an employee key can only access {what} for its own employee")


StoreDep = Annotated[GraphStore, Depends(get_store)]
EmbedderDep = Annotated[Embedder, Depends(get_embedder)]
NormaliserDep = Annotated[SkillNormaliser, Depends(get_normaliser)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
AnyRole = Annotated[Principal, require(Role.EMPLOYEE)]
HrRole = Annotated[Principal, require(Role.HR)]
AdminRole = Annotated[Principal, require(Role.ADMIN)]
