"""The composition root: settings -> store + embedder, shared by the CLI and the API."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from graph import GraphStore, open_store
from ingest.embedder import Embedder
from mentorgraph.settings import Settings


@dataclass
class AppContext:
    """What a command or a request needs. Building it does no I/O; the embedding model
    loads on first use, so commands that do not embed never pay for it."""

    settings: Settings
    store: GraphStore = field(init=False)

    def __post_init__(self) -> None:
        self.store = open_store(
            target=self.settings.store,
            user=self.settings.neo4j.user,
            password=self.settings.neo4j.password.get_secret_value(),
            database=self.settings.neo4j.database,
        )

    @cached_property
    def embedder(self) -> Embedder:
        return Embedder(
            model=self.settings.embedding.model,
            cache_path=self.settings.embedding_cache_file(),
            batch_size=self.settings.embedding.batch_size,
        )

    def close(self) -> None:
        self.store.close()
