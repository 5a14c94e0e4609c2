"""What every CLI command shares: the store option, friendly errors, consoles."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, NoReturn, ParamSpec, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console

from graph.errors import StoreError
from ingest.embedder import EmbeddingModelMissing
from mentorgraph.context import AppContext
from mentorgraph.settings import Settings, get_settings

console = Console()
# The driver logs every retry as a warning; the user gets one clear line instead.
logging.getLogger("neo4j").setLevel(logging.ERROR)
err_console = Console(stderr=True)

StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store",
        help="Embedded store file, or a neo4j:// / bolt:// URI. Default: MENTORGRAPH_STORE or ~/.mentorgraph.",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]

P = ParamSpec("P")
R = TypeVar("R")


def fail(message: str) -> NoReturn:
    """One line on stderr and exit code 1: what is wrong and what to do."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=1)


def friendly_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn the errors a user can cause or fix into one line instead of a traceback."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except StoreError as exc:
            fail(str(exc))
        except EmbeddingModelMissing as exc:
            fail(str(exc))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "input"
            fail(f"{where}: {first['msg']} (got {first.get('input')!r})")
        except ValueError as exc:
            fail(str(exc))

    return wrapper


def settings_for(store: str | None) -> Settings:
    settings = get_settings()
    return settings.model_copy(update={"store": store}) if store else settings


@contextmanager
def open_context(store: str | None, *, apply_schema: bool = True) -> Iterator[AppContext]:
    """The store the user chose, with its schema in place, closed afterwards."""
    context = AppContext(settings_for(store))
    try:
        context.store.ping()
        if apply_schema:
            context.store.apply_schema()
        yield context
    finally:
        context.close()


def print_json(value: Any) -> None:
    if isinstance(value, BaseModel):
        text = value.model_dump_json(indent=2)
    else:
        text = json.dumps(value, indent=2, default=_json_default)
    console.print_json(text) if console.is_terminal else print(text)


def _json_default(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    raise TypeError(f"cannot serialise {type(value).__name__}")
