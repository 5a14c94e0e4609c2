"""``mentorgraph serve`` (the API and web UI under uvicorn) and ``mentorgraph api-key``."""

from __future__ import annotations

import inspect
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from typing import Annotated, Any, Literal

import typer

from mentorgraph.commands.common import StoreOption, console, fail, friendly_errors, settings_for

api_key_app = typer.Typer(help="Create API keys for the HTTP API.", no_args_is_help=True)

RoleOption = Annotated[
    str,
    typer.Option("--role", help="employee (own profile and recommendations), hr (gaps, matching) or admin."),
]


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.add_typer(api_key_app, name="api-key")


@friendly_errors
def serve(
    store: StoreOption = None,
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option("--workers", help="Worker processes (about one per core).", min=1)] = 1,
    access_log: Annotated[
        bool, typer.Option("--access-log/--no-access-log", help="One line per request: method, route, status, ms.")
    ] = True,
) -> None:
    """Serve the HTTP API (/docs) and the web UI (/) with uvicorn."""
    import uvicorn

    settings = settings_for(store)
    if store:
        # Worker processes build their own settings from the environment.
        os.environ["MENTORGRAPH_STORE"] = store
    if not settings.api.keys:
        console.print(
            "[yellow]warning:[/] no API keys configured: every /api/v1 request will get 401. "
            "Create one with: mentorgraph api-key create --role hr"
        )
    metrics_dir = None
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # /metrics then sums every worker's counters.
        metrics_dir = tempfile.mkdtemp(prefix="mentorgraph-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    console.print(f"mentorgraph API on http://{host}:{port} (store: {settings.store}, workers: {workers})")
    try:
        uvicorn.run(
            "api.app:app_from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            access_log=False,  # uvicorn's line has the raw path and query; ours has the route template
            log_config=log_config(access_log=access_log),
            proxy_headers=False,
            server_header=False,
            timeout_graceful_shutdown=10,
            **_healthcheck_timeout(uvicorn.run),
        )
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)


#: Seconds a worker may take to answer the supervisor's ping: a worker busy importing
#: torch and loading the embedding model on a loaded machine needs more than uvicorn's 5.
WORKER_HEALTHCHECK_SECONDS = 120


def _healthcheck_timeout(run: Callable[..., object]) -> dict[str, Any]:
    # Only uvicorn versions with a worker healthcheck take the option.
    if "timeout_worker_healthcheck" in inspect.signature(run).parameters:
        return {"timeout_worker_healthcheck": WORKER_HEALTHCHECK_SECONDS}
    return {}


def log_config(*, access_log: bool) -> dict[str, object]:
    from uvicorn.config import LOGGING_CONFIG

    config = json.loads(json.dumps(LOGGING_CONFIG))
    config["loggers"]["mentorgraph"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    config["loggers"]["mentorgraph.api.access"] = {
        "handlers": ["default"],
        "level": "INFO" if access_log else "WARNING",
        "propagate": False,
    }
    config["loggers"]["neo4j"] = {"handlers": ["default"], "level": "ERROR", "propagate": False}
    return dict(config)


@api_key_app.command("create")
def create_key(
    role: RoleOption,
    employee_id: Annotated[
        str | None, typer.Option("--employee-id", help="For --role employee: the employee the key acts as.")
    ] = None,
    label: Annotated[str, typer.Option("--label", help="A note for operators (never a person's name).")] = "",
) -> None:
    """Print a new random API key (once) and the MENTORGRAPH_API__KEYS entry holding its hash."""
    from api.auth import hash_key, new_key
    from mentorgraph.settings import ApiKeySetting, get_settings

    if role not in ("employee", "hr", "admin"):
        fail(f"--role {role!r}: use employee, hr or admin")
    checked_role: Literal["employee", "hr", "admin"] = role  # type: ignore[assignment]
    if role == "employee" and not employee_id:
        fail("--role employee needs --employee-id (the employee the key acts as)")
    if role != "employee" and employee_id:
        fail("--employee-id is only for --role employee")
    key = new_key()
    entry = ApiKeySetting(sha256=hash_key(key), role=checked_role, employee_id=employee_id, label=label)
    existing = [k.model_dump(exclude_defaults=True) for k in get_settings().api.keys]
    keys = json.dumps([*existing, entry.model_dump(exclude_defaults=True)], separators=(",", ":"))
    print(f"API key ({role}; shown once, only its hash is stored):")
    print(f"  {key}")
    print("Configure the server with (the existing keys are kept):")
    print(f"  export MENTORGRAPH_API__KEYS='{keys}'")
    print("Clients send it as:  Authorization: Bearer <key>")
