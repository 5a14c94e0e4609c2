"""The FastAPI application factory.

``create_app(settings)`` builds the app; its lifespan opens the store (an
:class:`~mentorgraph.context.AppContext`), applies the schema if the store answers, and
loads the embedding model once. Nothing happens at import time.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
from fastapi import Depends, FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.staticfiles import StaticFiles
from prometheus_client import CollectorRegistry

from api.auth import KeyRing
from api.deps import NormaliserCache, reject_unknown_query
from api.errors import install_problem_handlers, problem_schemas
from api.middleware import BodyLimitMiddleware, Metrics, MetricsMiddleware, SecurityHeadersMiddleware
from api.routers import ROUTERS, domain_errors
from graph.errors import StoreUnavailable
from mentorgraph import __version__
from mentorgraph.context import AppContext
from mentorgraph.settings import Settings

log = logging.getLogger("mentorgraph.api")

PACKAGE_DIR = Path(__file__).resolve().parent
IMPORT_PATH = "/api/v1/employees/import"

DESCRIPTION = """\
A skills graph and recommendation engine for two-way (reverse) mentoring.

**Authentication**: every `/api/v1` route needs an API key sent as
`Authorization: Bearer <key>`. Keys have a role: `employee` (bound to one employee: their
own profile and recommendations, skill and teacher search), `hr` (everyone's profiles, gap
reports, cohort matching, pairings) or `admin` (all of that, plus bulk import and erasure).
Create one with `mentorgraph api-key create --role hr`.

**Errors** are problem details (RFC 9457, `application/problem+json`) with `type`,
`title`, `status`, `detail`, and `errors` (each invalid field) for validation errors.

**Pagination**: list routes take `offset` and `limit` and return `items` and `total`.
"""

TAGS = [
    {"name": "employees", "description": "Profiles: what each person can teach and wants to learn."},
    {"name": "skills", "description": "The skill space (ESCO, O*NET, custom): search and autocomplete."},
    {"name": "recommendations", "description": "Two-way partners, teacher search and pair agendas."},
    {"name": "gaps", "description": "Organisation-wide skill gaps for HR."},
    {"name": "cohorts", "description": "Whole-programme matching with review and publish."},
    {"name": "pairings", "description": "Mentoring pairs and their feedback."},
    {"name": "operations", "description": "Liveness, readiness, metrics and problem types."},
]


def create_app(settings: Settings, *, context: AppContext | None = None, serving: bool = False) -> FastAPI:
    """Build the API. ``context`` lets a caller (a test, a benchmark) supply the store
    and embedder; by default the lifespan builds one from ``settings`` and closes it.
    ``serving``: the app is the whole process (``mentorgraph serve``), so its start-up
    may tune process-wide settings (the garbage collector)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = context is None
        ctx = context if context is not None else AppContext(settings)
        app.state.context = ctx
        app.state.schema_ready = False
        anyio.to_thread.current_default_thread_limiter().total_tokens = _concurrent_requests(settings)
        try:
            await anyio.to_thread.run_sync(_prepare_store, app, ctx)
            if settings.api.preload_model:
                await anyio.to_thread.run_sync(_load_model, ctx)
            if serving:
                await anyio.to_thread.run_sync(_warm_store, app, ctx)
                _tune_garbage_collector()
            yield
        finally:
            app.state.context = None
            if owned:
                ctx.close()

    app = FastAPI(
        title="mentorgraph",
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        dependencies=[Depends(reject_unknown_query)],
        license_info={"name": "Apache-2.0", "identifier": "Apache-2.0"},
    )
    app.state.settings = settings
    app.state.keyring = KeyRing(settings.api.keys)
    app.state.normalisers = NormaliserCache()
    app.state.context = context
    app.state.schema_ready = False

    install_problem_handlers(app, domain=domain_errors())
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=PACKAGE_DIR / "static"), name="static")

    metrics = Metrics(CollectorRegistry(auto_describe=True))
    app.state.metrics = metrics
    limit, import_limit = settings.api.max_body_bytes, settings.api.max_import_bytes
    app.add_middleware(
        BodyLimitMiddleware, limit=limit, limit_for=lambda path: import_limit if path == IMPORT_PATH else limit
    )
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(MetricsMiddleware, metrics=metrics)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
                license_info=app.license_info,
            )
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(problem_schemas())
            for unused in ("HTTPValidationError", "ValidationError"):
                components.pop(unused, None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


#: Requests a worker serves at once when the settings do not say (see ``ApiSettings``).
EMBEDDED_CONCURRENT_REQUESTS = 2
NEO4J_CONCURRENT_REQUESTS = 16


def _concurrent_requests(settings: Settings) -> int:
    if settings.api.concurrent_requests is not None:
        return settings.api.concurrent_requests
    return NEO4J_CONCURRENT_REQUESTS if settings.uses_neo4j else EMBEDDED_CONCURRENT_REQUESTS


#: Collection thresholds of the serving process (Python's default: 700, 10, 10).
GC_THRESHOLDS = (2_000, 10, 100)


def _warm_store(app: FastAPI, context: AppContext) -> None:
    """Fill the store's caches before the first request (before the collector freezes
    what is alive), so the first minute is served like the rest."""
    if app.state.schema_ready:
        started = time.perf_counter()
        context.store.warm()
        log.info("store caches filled in %.1f s", time.perf_counter() - started)


def _tune_garbage_collector() -> None:
    """Why: a worker holds hundreds of thousands of long-lived objects (the embedding model,
    the store's cached profiles), and every full collection walks all of them: pauses of
    up to 258 ms, which made the API's p99 (``benchmarks/profile_recommend.py``). Objects
    alive after start-up (the store's caches were filled just before) are frozen out of
    collection, and full collections run a tenth as often; refcounting still frees
    everything that is not in a cycle at once."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def _prepare_store(app: FastAPI, context: AppContext) -> None:
    """Apply the schema if the store answers; otherwise start anyway: /readyz reports it
    and the first successful readiness probe applies the schema."""
    try:
        context.store.apply_schema()
        context.store.ping()
        app.state.schema_ready = True
    except StoreUnavailable as exc:
        log.warning("store not answering at start-up (%s); /readyz will report when it is back", type(exc).__name__)


def _load_model(context: AppContext) -> None:
    # Loading the model once here keeps the first search from paying the import (seconds).
    context.embedder._load()


def app_from_environment() -> FastAPI:
    """The uvicorn factory used by ``mentorgraph serve``: settings from the environment."""
    from mentorgraph.settings import get_settings

    return create_app(get_settings(), serving=True)
