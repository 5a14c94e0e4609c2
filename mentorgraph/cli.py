"""The ``mentorgraph`` command line. Commands are thin: they call the same services as
the API and print Rich tables (or ``--json``)."""

from __future__ import annotations

import typer

from mentorgraph.commands import demo as demo_commands
from mentorgraph.commands import gaps as gaps_commands
from mentorgraph.commands import ingest as ingest_commands
from mentorgraph.commands import match as match_commands
from mentorgraph.commands import recommend as recommend_commands
from mentorgraph.commands import serve as serve_commands
from mentorgraph.commands import skills as skills_commands
from mentorgraph.commands import store as store_commands

app = typer.Typer(
    name="mentorgraph",
    help="A skills graph and recommendation engine for two-way (reverse) mentoring.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)

store_commands.register(app)
demo_commands.register(app)
serve_commands.register(app)
ingest_commands.register(app)
skills_commands.register(app)
match_commands.register(app)
recommend_commands.register(app)
gaps_commands.register(app)
