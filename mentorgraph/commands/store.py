"""Store housekeeping: ``init`` (create the schema) and ``status`` (what is in it)."""

from __future__ import annotations

from dataclasses import asdict

import typer
from rich.table import Table

from mentorgraph.commands.common import JsonOption, StoreOption, console, friendly_errors, open_context, print_json


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("status")(status)


@friendly_errors
def init(store: StoreOption = None) -> None:
    """Create the store's constraints and indexes (safe to run again)."""
    with open_context(store) as context:
        context.store.ping()
        console.print(f"store ready: {context.settings.store}")


@friendly_errors
def status(store: StoreOption = None, as_json: JsonOption = False) -> None:
    """Show what the store holds."""
    with open_context(store) as context:
        counts = context.store.counts()
    if as_json:
        print_json({"store": context.settings.store, **asdict(counts)})
        return
    table = Table(title=f"mentorgraph store: {context.settings.store}")
    table.add_column("what")
    table.add_column("count", justify="right")
    for name, value in asdict(counts).items():
        table.add_row(name.replace("_", " "), f"{value:,}")
    console.print(table)
