"""The ``mentorgraph`` command line. Commands are thin: they call the same services as
the API and print Rich tables (or ``--json``)."""

from __future__ import annotations

import typer

from mentorgraph.commands import store as store_commands

app = typer.Typer(
    name="mentorgraph",
    help="A skills graph and recommendation engine for two-way (reverse) mentoring.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)

store_commands.register(app)
