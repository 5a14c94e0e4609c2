"""``mentorgraph skills search``: how a free-text skill name ranks against the skill space
(the same ranking the employee import uses to normalise skills)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from mentorgraph.commands.common import (
    JsonOption,
    StoreOption,
    console,
    fail,
    friendly_errors,
    open_context,
    print_json,
)
from mentorgraph.commands.ingest import make_normaliser, progress_bars

skills_app = typer.Typer(help="Search the skill space.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(skills_app, name="skills")


@skills_app.command("search")
@friendly_errors
def search(
    text: Annotated[str, typer.Argument(help='A skill in your own words, e.g. "pinterest mktg".', show_default=False)],
    limit: Annotated[int, typer.Option(min=1, max=100, help="How many skills to show.")] = 10,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Rank the skills nearest to TEXT: exact labels first, then by similarity."""
    if not text.strip():
        fail('give a skill to search for, e.g. mentorgraph skills search "public speaking"')
    with open_context(store) as context, progress_bars() as progress:
        normaliser = make_normaliser(context, progress)
        if not normaliser.index.candidates:
            fail(f"the store {context.settings.store} has no skills yet; run: mentorgraph ingest taxonomy")
        ranking = normaliser.rank(text.strip(), limit=limit)
        threshold = normaliser.threshold
    if as_json:
        print_json(
            {
                "query": text,
                "accept_threshold": threshold,
                "results": [
                    {
                        "rank": rank,
                        "skill_id": hit.skill.id,
                        "label": hit.skill.label,
                        "source": hit.skill.source.value,
                        "score": round(hit.score, 4),
                        "semantic": round(hit.semantic, 4),
                        "lexical": round(hit.lexical, 4),
                        "matched_label": hit.matched_label,
                        "method": hit.method.value,
                    }
                    for rank, hit in enumerate(ranking, start=1)
                ],
            }
        )
        return
    table = Table(title=f"skills for {text.strip()!r} (accepted from {threshold:.2f})", title_justify="left")
    for column, justify in (("#", "right"), ("skill", "left"), ("label", "left"), ("source", "left"),
                            ("score", "right"), ("matched label", "left"), ("method", "left")):  # fmt: skip
        table.add_column(column, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for rank, hit in enumerate(ranking, start=1):
        style = "bold green" if rank == 1 and hit.score >= threshold else None
        table.add_row(
            str(rank),
            hit.skill.id,
            hit.skill.label,
            hit.skill.source.value,
            f"{hit.score:.3f}",
            hit.matched_label,
            hit.method.value,
            style=style,
        )
    console.print(table)
