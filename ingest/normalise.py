"""Free-text skill names -> canonical skills, with a confidence HR can review.

An employee file may name a skill by id ("esco:...", "onet:pinterest") or in words
("pinterest mktg", "Python 3", "public speaking"). :class:`SkillNormaliser` resolves each
distinct text once, in this order:

1. **id** - the text is the id of a skill in the store;
2. **label / alt_label** - the text equals a preferred or alternative label, compared
   case-, space- and punctuation-insensitively ("node.js" = "Node JS"); custom skills
   created earlier are found here too, so a re-run maps a text to the same custom skill;
3. **similarity** - otherwise every taxonomy skill is scored (:class:`SkillIndex`) and
   the best one is taken if its confidence reaches :data:`ACCEPT_THRESHOLD`;
4. **custom** - below the threshold the text becomes a custom skill (id
   ``custom:<slug>``, source ``custom``) with ``SIMILAR_TO`` edges to its nearest
   taxonomy neighbours, so the recommender can still walk from it.

The similarity score is a hybrid; each part was measured on the skill-extraction
benchmark (``benchmarks/bench_normalisation.py``; the table is in the README):

- the best cosine between the text and any of the skill's labels, preferred *and*
  alternative (ESCO's alternative labels carry what people actually write: "JS",
  "team player");
- the cosine with the skill's own vector ("label: description", as stored), which
  brings in what the label alone does not say;
- a lexical TF-IDF score over the words and their character trigrams, best label: it
  keeps exact tokens ("C#", "SQL") and morphology ("managing" / "management") that
  short-text embeddings blur;
- a very light prior, how many occupations list the skill, which only breaks near-ties.

Embedding every label (about 110,000 short texts) costs a few minutes once per machine:
lazily, on the first free text that needs it (files naming skills by id or exact label
never pay it), or up front with ``mentorgraph ingest taxonomy --with-labels``. The
vectors are cached by the embedder, and the finished matrix in one ``.npy`` file.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import tempfile
import threading
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt
import scipy.sparse as sparse

from graph.store import GraphStore, SimilarEdge, Vector
from ingest.embedder import Embedder
from schema.models import ID_PATTERN, Skill, SkillHit, SkillSource

#: Confidence from which a similarity match is accepted; below it the text becomes a
#: custom skill. On the benchmark's spans, 0.7 accepts about half of the ones ESCO has a
#: skill for, 75-82 % of them correctly, and only 13 % of the spans ESCO has no skill for
#: (``bench_normalisation.py`` prints the whole trade-off).
ACCEPT_THRESHOLD = 0.7
#: A custom skill is linked to at most this many taxonomy neighbours whose vector scores
#: at least this much (cosine, the same measure as the taxonomy's SIMILAR_TO edges).
#: Lower than the taxonomy's own 0.6: a custom skill's vector is its bare label while
#: taxonomy vectors include a description, so even a close pair scores lower; 0.5 is
#: also the recommender's floor for "related" (``recommender.policy.min_similarity``).
CUSTOM_NEIGHBOURS = 5
CUSTOM_MIN_SCORE = 0.5
#: Queries scored at once: 64 x 110,000 label scores is about 28 MB.
QUERY_BLOCK = 64
#: Skill types that are hierarchy nodes, not skills a person holds.
GROUP_TYPE = "group"

_WORD = re.compile(r"[\w+#]+")
_ID = re.compile(ID_PATTERN)
_ID_PREFIXES = tuple(f"{source.value}:" for source in SkillSource)
# Words that carry no skill: they would only make "manage the team" look like every
# label containing "the".
_STOP = frozenset(
    ("a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "is", "it", "its", "of", "on", "or",
     "our", "the", "this", "that", "to", "use", "using", "we", "with", "you", "your")
)  # fmt: skip

_MATRIX_PREFIX = "skill-index-"
_SUFFIXES = ("ations", "ation", "ments", "ment", "ings", "ing", "ies", "es", "s", "ed")

IndexProgress = Callable[[int, int], None]
Scores = npt.NDArray[np.float32]


class MatchMethod(StrEnum):
    ID = "id"
    LABEL = "label"
    ALT_LABEL = "alt_label"
    SIMILARITY = "similarity"
    CUSTOM = "custom"


@dataclass(frozen=True, slots=True)
class SkillMatch:
    """What a text became. ``confidence`` is 1 for ids and labels; for similarity and
    custom matches it is the hybrid score of the best taxonomy skill (0-1)."""

    text: str
    skill_id: str
    label: str
    method: MatchMethod
    confidence: float
    created: bool = False
    #: For custom skills: the nearest taxonomy skill, for HR to consider instead.
    nearest_id: str = ""
    nearest_label: str = ""


@dataclass(frozen=True, slots=True)
class UnknownSkill:
    """A text that looks like a skill id but names no skill."""

    text: str
    reason: str


@dataclass(frozen=True, slots=True)
class RankedSkill:
    skill: Skill
    score: float  # the hybrid confidence, 0-1 (1 for an exact label)
    semantic: float  # best cosine over the skill's labels
    lexical: float  # TF-IDF cosine of words and character trigrams, best label
    matched_label: str  # the label that scored best
    method: MatchMethod


def label_key(text: str) -> str:
    """The form labels are compared in: case-folded words, punctuation dropped except
    ``+`` and ``#`` (C++, C#), so "Node.js", "node js" and "NODE-JS" are one key."""
    return " ".join(_WORD.findall(unicodedata.normalize("NFKC", text).casefold()))


def custom_skill_id(text: str) -> str:
    """``custom:<slug>`` from the words of ``text`` ("Pinterest mktg" -> custom:pinterest-mktg)."""
    key = label_key(text).replace("+", " plus ").replace("#", " sharp ")
    ascii_key = unicodedata.normalize("NFKD", key).encode("ascii", "ignore").decode()
    slug = "-".join(re.findall(r"[a-z0-9]+", ascii_key))[:100]
    if not slug:
        # Nothing ASCII to keep (e.g. a label in another script): a stable digest instead.
        slug = "h" + hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"custom:{slug}"


def _stem(word: str) -> str:
    """A light suffix stripper, enough to let "managing" meet "management"."""
    for suffix in _SUFFIXES:
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


@lru_cache(maxsize=200_000)
def _word_features(word: str) -> frozenset[str]:
    """The stemmed word and its character trigrams with the word boundaries marked
    (" py", "pyt", ... "on "). Cached: the ~110,000 labels share a few tens of
    thousands of words, which makes building the index several times faster."""
    padded = f" {word} "
    return frozenset(("w:" + _stem(word), *(padded[i : i + 3] for i in range(len(padded) - 2))))


def _features(text: str) -> set[str]:
    """Lexical features of a text: those of its content words."""
    features: set[str] = set()
    for word in _WORD.findall(text.casefold()):
        if word not in _STOP:
            features |= _word_features(word)
    return features


class _Lexical:
    """TF-IDF over the lexical features of every label, as one sparse matrix."""

    def __init__(self, labels: Sequence[str]) -> None:
        vocabulary: dict[str, int] = {}
        columns: list[int] = []
        counts = np.zeros(len(labels), dtype=np.int64)
        for row, label in enumerate(labels):
            features = _features(label)
            counts[row] = len(features)
            columns.extend(vocabulary.setdefault(feature, len(vocabulary)) for feature in features)
        self._vocabulary = vocabulary
        shape = (len(labels), max(len(vocabulary), 1))
        rows = np.repeat(np.arange(len(labels), dtype=np.int64), counts)
        column_array = np.asarray(columns, dtype=np.int64)
        matrix = sparse.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, column_array)), shape=shape)
        document_frequency = np.bincount(column_array, minlength=shape[1])
        self._idf = (np.log((1 + len(labels)) / (1 + document_frequency)) + 1).astype(np.float32)
        self._matrix_t = _normalise_rows(matrix @ sparse.diags(self._idf)).T.tocsr()

    def scores(self, texts: Sequence[str]) -> Scores:
        """[len(texts), labels] cosine similarities."""
        rows: list[int] = []
        columns: list[int] = []
        values: list[float] = []
        for row, text in enumerate(texts):
            for feature in _features(text):
                column = self._vocabulary.get(feature)
                if column is not None:
                    rows.append(row)
                    columns.append(column)
                    values.append(float(self._idf[column]))
        query = sparse.csr_matrix(
            (np.asarray(values, dtype=np.float32), (rows, columns)), shape=(len(texts), len(self._idf))
        )
        return np.asarray((_normalise_rows(query) @ self._matrix_t).toarray(), dtype=np.float32)


def _normalise_rows(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms) @ matrix)


@dataclass(frozen=True, slots=True)
class Weights:
    """How the parts of the hybrid score are mixed (tuned on the skill-extraction
    benchmark; ``bench_normalisation.py`` prints each part's contribution)."""

    labels: float = 1.0  # best cosine over preferred and alternative labels
    description: float = 0.6  # cosine with "label: description", the store's skill vector
    lexical: float = 0.5  # TF-IDF cosine of words and character trigrams, best label
    #: Occupations listing the skill, normalised to [0, 1]: only a tie-breaker (on the
    #: benchmark, weights up to 0.02 change nothing measurable; 0.03 and more hurt).
    prior: float = 0.01
    alt_labels: bool = True  # False: preferred labels only (for the ablation)

    @property
    def total(self) -> float:
        return self.labels + self.description + self.lexical


@dataclass(frozen=True, slots=True)
class ScoreMatrix:
    """Scores of a block of texts against every candidate skill."""

    confidence: Scores  # the hybrid score scaled to [0, 1]: what the threshold applies to
    ordering: Scores  # confidence plus the prior: what ranks the candidates
    semantic: Scores  # best label cosine
    lexical: Scores  # best label lexical score
    per_label: Scores  # the label-level mix, to tell which label explains a match


class SkillIndex:
    """An in-memory view of the skill space for normalisation, built once per process
    from ``store.list_skills()``: exact label lookup, the label and description
    embeddings (lazily, through the embedder cache), the lexical matrix and the priors.
    Custom skills are found by label only, so what a text maps to never depends on
    which custom skills earlier files happened to create."""

    def __init__(
        self,
        *,
        skills: Sequence[Skill],
        embedder: Embedder,
        priors: dict[str, float] | None = None,
        weights: Weights | None = None,
        vectors_dir: Path | None = None,
    ) -> None:
        self._embedder = embedder
        self._vectors_dir = vectors_dir
        self.weights = weights or Weights()
        self._lock = threading.RLock()
        self.by_id: dict[str, Skill] = {}
        self._keys: dict[str, list[tuple[int, tuple[int, str]]]] = {}
        candidates: list[Skill] = []
        for skill in sorted(skills, key=_preference):
            if skill.skill_type == GROUP_TYPE:
                continue
            self.by_id[skill.id] = skill
            self._add_keys(skill)
            if skill.source is not SkillSource.CUSTOM:
                candidates.append(skill)
        #: The skills similarity can pick: taxonomy skills, in a fixed order.
        self.candidates = candidates
        labels: list[str] = []
        owner: list[int] = []
        for position, skill in enumerate(candidates):
            alternatives = skill.alt_labels if self.weights.alt_labels else ()
            for label in dict.fromkeys((skill.label, *alternatives)):
                labels.append(label)
                owner.append(position)
        self.labels = labels
        owners = np.asarray(owner, dtype=np.int64)
        # Labels are grouped by skill, so a per-skill maximum is one reduceat per row.
        self._starts = np.flatnonzero(np.r_[True, np.diff(owners) != 0]) if owner else np.zeros(0, np.int64)
        self._ends = np.r_[self._starts[1:], len(labels)].astype(np.int64)
        self._lexical = _Lexical(labels)
        prior = np.array([(priors or {}).get(skill.id, 0.0) for skill in candidates], dtype=np.float32)
        self._prior = prior / prior.max() if prior.size and prior.max() > 0 else prior
        self._label_vectors: Vector | None = None
        self._description_vectors: Vector | None = None

    # -- exact -------------------------------------------------------------------------
    def _add_keys(self, skill: Skill) -> None:
        for kind, label in [(0, skill.label), *((1, alt) for alt in skill.alt_labels)]:
            entries = self._keys.setdefault(label_key(label), [])
            if all(existing[1] != skill.id for _, existing in entries):
                entries.append((kind, _preference(skill)))
                entries.sort()

    def add(self, skill: Skill) -> None:
        """Make a newly created (custom) skill findable by its label."""
        with self._lock:
            self.by_id[skill.id] = skill
            self._add_keys(skill)

    def exact(self, text: str) -> tuple[Skill, MatchMethod] | None:
        """The skill whose label is ``text``: preferred labels before alternative ones,
        then ESCO, O*NET, custom, then by id."""
        entries = self._keys.get(label_key(text))
        if not entries:
            return None
        kind, (_, skill_id) = entries[0]
        skill = self.by_id[skill_id]
        if skill.source is SkillSource.CUSTOM:
            return skill, MatchMethod.CUSTOM
        return skill, MatchMethod.LABEL if kind == 0 else MatchMethod.ALT_LABEL

    # -- vectors -----------------------------------------------------------------------
    def ensure_vectors(self, progress: IndexProgress | None = None) -> None:
        """Embed every label and skill text once. The embedder caches each text, but
        reading ~130,000 vectors back one key at a time takes seconds, so the finished
        matrices are also kept as one ``.npy`` file in ``vectors_dir`` (named by a hash
        of the model and every text, so a changed taxonomy or model never reads a stale
        file), loaded memory-mapped in well under a second."""
        with self._lock:
            if self._label_vectors is not None and self._description_vectors is not None:
                return
            descriptions = [skill.embedding_text() for skill in self.candidates]
            cached = self._read_matrix(descriptions)
            if cached is not None:
                self._description_vectors = cached[len(self.labels) :]
                self._label_vectors = cached[: len(self.labels)]
                return
            total = len(self.labels) + len(descriptions)
            done = 0

            def advance(count: int) -> None:
                nonlocal done
                done += count
                if progress is not None:
                    progress(done, total)

            description_vectors = self._embedder.embed(descriptions, progress=advance)
            # Shortest first: batches of similar length waste less padding.
            order = np.asarray(sorted(range(len(self.labels)), key=lambda i: len(self.labels[i])), dtype=np.int64)
            vectors = self._embedder.embed([self.labels[i] for i in order], progress=advance)
            label_vectors = np.empty_like(vectors)
            label_vectors[order] = vectors
            self._label_vectors, self._description_vectors = label_vectors, description_vectors
            self._write_matrix(descriptions, np.concatenate([label_vectors, description_vectors]))

    def _matrix_path(self, descriptions: Sequence[str]) -> Path | None:
        if self._vectors_dir is None:
            return None
        digest = hashlib.sha256(self._embedder.model_name.encode())
        for text in (*self.labels, "\x00", *descriptions):
            digest.update(text.encode("utf-8", errors="surrogatepass"))
            digest.update(b"\x01")
        return self._vectors_dir / f"{_MATRIX_PREFIX}{digest.hexdigest()[:24]}.npy"

    def _read_matrix(self, descriptions: Sequence[str]) -> Vector | None:
        path = self._matrix_path(descriptions)
        if path is None or not path.exists():
            return None
        try:
            matrix: Vector = np.load(path, mmap_mode="r")
        except (OSError, ValueError):
            return None  # a damaged file is rebuilt from the embedding cache
        if matrix.shape != (len(self.labels) + len(descriptions), self._embedder.dimensions):
            return None
        return matrix

    def _write_matrix(self, descriptions: Sequence[str], matrix: Vector) -> None:
        path = self._matrix_path(descriptions)
        if path is None:
            return
        temporary: Path | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            temporary = Path(name)
            with os.fdopen(handle, "wb") as out:
                np.save(out, np.ascontiguousarray(matrix, dtype=np.float32))
            os.replace(temporary, path)
            for old in path.parent.glob(f"{_MATRIX_PREFIX}*.npy"):
                if old != path:
                    old.unlink(missing_ok=True)
        except OSError:
            # Only a speed-up: without the file the next process reads the embedding cache.
            if temporary is not None:
                temporary.unlink(missing_ok=True)

    # -- similarity --------------------------------------------------------------------
    def score(self, texts: Sequence[str], vectors: Vector, *, weights: Weights | None = None) -> ScoreMatrix:
        """Every candidate scored for each text (one block: keep ``texts`` short).
        ``weights`` overrides the index's own (the benchmark's ablations)."""
        self.ensure_vectors()
        assert self._label_vectors is not None
        assert self._description_vectors is not None
        weights = weights or self.weights
        per_label_semantic = vectors @ self._label_vectors.T
        per_label_lexical = self._lexical.scores(texts)
        semantic = np.maximum.reduceat(per_label_semantic, self._starts, axis=1)
        lexical = np.maximum.reduceat(per_label_lexical, self._starts, axis=1)
        description = vectors @ self._description_vectors.T
        confidence = np.asarray(
            (weights.labels * semantic + weights.description * description + weights.lexical * lexical) / weights.total,
            dtype=np.float32,
        )
        ordering = np.asarray(confidence + weights.prior * self._prior, dtype=np.float32)
        per_label = np.asarray(weights.labels * per_label_semantic + weights.lexical * per_label_lexical, np.float32)
        return ScoreMatrix(confidence, ordering, semantic, lexical, per_label)

    def best_label(self, scores: ScoreMatrix, row: int, position: int) -> str:
        """The label of candidate ``position`` that explains its score for text ``row``."""
        first, last = int(self._starts[position]), int(self._ends[position])
        return self.labels[first + int(np.argmax(scores.per_label[row, first:last]))]

    def rank(self, texts: Sequence[str], vectors: Vector, *, limit: int) -> list[list[RankedSkill]]:
        """The ``limit`` best candidates for each text, best first (ties by position,
        i.e. source then id)."""
        out: list[list[RankedSkill]] = []
        if not self.candidates:
            return [[] for _ in texts]
        for start in range(0, len(texts), QUERY_BLOCK):
            chunk = texts[start : start + QUERY_BLOCK]
            scores = self.score(chunk, vectors[start : start + QUERY_BLOCK])
            k = min(limit, len(self.candidates))
            for row in range(len(chunk)):
                ordering = scores.ordering[row]
                top = np.argpartition(-ordering, k - 1)[:k]
                top = top[np.lexsort((top, -ordering[top]))]
                out.append(
                    [
                        RankedSkill(
                            skill=self.candidates[position],
                            score=_clip(float(scores.confidence[row, position])),
                            semantic=float(scores.semantic[row, position]),
                            lexical=float(scores.lexical[row, position]),
                            matched_label=self.best_label(scores, row, int(position)),
                            method=MatchMethod.SIMILARITY,
                        )
                        for position in top
                    ]
                )
        return out


def _preference(skill: Skill) -> tuple[int, str]:
    """Which skill wins a tie on the same label: ESCO (with its hierarchy), then O*NET,
    then custom; then the id, so the choice never depends on load order."""
    order = {SkillSource.ESCO: 0, SkillSource.ONET: 1, SkillSource.CUSTOM: 2}
    return order[skill.source], skill.id


def _clip(value: float) -> float:
    return 0.0 if math.isnan(value) else max(0.0, min(1.0, value))


def occupation_priors() -> dict[str, float]:
    """log(1 + number of occupations listing the skill), from the shipped occupations."""
    from ingest.taxonomy import load_occupations

    counts: dict[str, int] = {}
    occupations = load_occupations()
    for esco in occupations.esco:
        for skill_id in (*esco.essential, *esco.optional):
            counts[skill_id] = counts.get(skill_id, 0) + 1
    for onet in occupations.onet:
        for skill_id in onet.technologies:
            counts[skill_id] = counts.get(skill_id, 0) + 1
    return {skill_id: math.log1p(count) for skill_id, count in counts.items()}


class SkillNormaliser:
    """Resolves skill texts against one store; see the module docstring. Building one
    does no I/O: the index is read from the store on first use."""

    def __init__(
        self,
        *,
        store: GraphStore,
        embedder: Embedder,
        threshold: float = ACCEPT_THRESHOLD,
        create_custom: bool = True,
        priors: dict[str, float] | None = None,
        index_progress: IndexProgress | None = None,
        vectors_dir: Path | None = None,
    ) -> None:
        self._store = store
        self._vectors_dir = vectors_dir
        self._embedder = embedder
        self.threshold = threshold
        self.create_custom = create_custom
        self._priors = priors
        self._index: SkillIndex | None = None
        self._known_ids: set[str] = set()
        self._resolved: dict[str, SkillMatch | UnknownSkill] = {}
        self._checked_customs: set[str] = set()
        self.index_progress = index_progress

    @property
    def index(self) -> SkillIndex:
        if self._index is None:
            priors = occupation_priors() if self._priors is None else self._priors
            self._index = SkillIndex(
                skills=self._store.list_skills(), embedder=self._embedder, priors=priors, vectors_dir=self._vectors_dir
            )
        return self._index

    def resolve(self, texts: Iterable[str]) -> dict[str, SkillMatch | UnknownSkill]:
        """What each text names. Creates the custom skills it needs (unless
        ``create_custom`` is False, in which case low-confidence texts are
        :class:`UnknownSkill`). Results are remembered for the life of the normaliser."""
        wanted = [text for text in dict.fromkeys(texts) if text not in self._resolved]
        if wanted:
            self._resolve_ids(wanted)
            remaining = [text for text in wanted if text not in self._resolved]
            if remaining:
                self._resolve_text(remaining)
        return {text: self._resolved[text] for text in texts}

    def _resolve_ids(self, texts: list[str]) -> None:
        candidates = [text for text in texts if _ID.match(text) and text not in self._known_ids]
        labels: dict[str, str] = {}
        if candidates:
            # Ask the store, not the index: files that name skills by id never need the
            # index (nor its embeddings), and any skill, taxonomy group included, counts.
            found = self._store.get_skills(skill_ids=candidates)
            self._known_ids.update(found)
            labels = {skill_id: skill.label for skill_id, skill in found.items()}
        for text in texts:
            if text in self._known_ids:
                self._resolved[text] = SkillMatch(
                    text=text, skill_id=text, label=labels.get(text, text), method=MatchMethod.ID, confidence=1.0
                )
            elif text.lower().startswith(_ID_PREFIXES) and " " not in text.strip():
                self._resolved[text] = UnknownSkill(text, f"unknown skill id {text!r}")

    def _resolve_text(self, texts: list[str]) -> None:
        index = self.index
        pending: list[str] = []
        found_customs: list[Skill] = []
        for text in texts:
            found = index.exact(text)
            if found is None:
                pending.append(text)
                continue
            skill, method = found
            self._resolved[text] = SkillMatch(
                text=text, skill_id=skill.id, label=skill.label, method=method, confidence=1.0
            )
            if method is MatchMethod.CUSTOM:
                found_customs.append(skill)
        if found_customs:
            self._heal_customs(found_customs)
        if not pending:
            return
        index.ensure_vectors(self.index_progress)
        vectors = self._embedder.embed(pending)
        rankings = index.rank(pending, vectors, limit=1)
        new_customs: list[tuple[Skill, Vector]] = []
        for text, vector, ranked in zip(pending, vectors, rankings, strict=True):
            best = ranked[0] if ranked else None
            if best is not None and best.score >= self.threshold:
                self._resolved[text] = SkillMatch(
                    text=text,
                    skill_id=best.skill.id,
                    label=best.skill.label,
                    method=MatchMethod.SIMILARITY,
                    confidence=round(best.score, 4),
                )
                continue
            confidence = round(best.score, 4) if best is not None else 0.0
            nearest = (best.skill.id, best.skill.label) if best is not None else ("", "")
            if not self.create_custom:
                self._resolved[text] = UnknownSkill(text, f"no skill matches {text!r} well enough")
                continue
            skill_id = custom_skill_id(text)
            existing = index.by_id.get(skill_id)
            if existing is not None:
                # Another spelling of a custom skill made earlier ("data-viz" / "data viz").
                self._resolved[text] = SkillMatch(
                    text, existing.id, existing.label, MatchMethod.CUSTOM, confidence, False, *nearest
                )
                continue
            neighbours = self._neighbours(vector)
            skill = _custom_skill(skill_id, text, neighbours)
            index.add(skill)
            self._checked_customs.add(skill.id)
            new_customs.append((skill, vector))
            self._resolved[text] = SkillMatch(
                text, skill.id, skill.label, MatchMethod.CUSTOM, confidence, True, *nearest
            )
        if new_customs:
            self._store_customs(new_customs)

    def _neighbours(self, vector: Vector) -> list[SkillHit]:
        """The taxonomy skills nearest to a custom skill, by the store's own skill
        vectors: the same measure as the SIMILAR_TO edges of the taxonomy."""
        hits = self._store.search_skills(vector=vector, k=CUSTOM_NEIGHBOURS * 4)
        return [
            hit
            for hit in hits
            if hit.skill.source is not SkillSource.CUSTOM and hit.skill.skill_type != GROUP_TYPE
            and hit.score >= CUSTOM_MIN_SCORE
        ][:CUSTOM_NEIGHBOURS]  # fmt: skip

    def _store_customs(self, customs: list[tuple[Skill, Vector]]) -> None:
        """Write new custom skills, then their SIMILAR_TO edges. Two transactions: if the
        process dies between them, the next run finds the skill by its label and
        :meth:`_heal_customs` adds the missing edges."""
        skills = [skill for skill, _ in customs]
        vectors = np.stack([np.asarray(vector, dtype=np.float32) for _, vector in customs])
        self._store.upsert_skills(skills=skills, embeddings=vectors)
        edges = [
            SimilarEdge(skill.id, hit.skill.id, round(hit.score, 6))
            for skill, vector in customs
            for hit in self._neighbours(vector)
        ]
        if edges:
            self._store.upsert_similar(edges=edges)

    def _heal_customs(self, skills: list[Skill]) -> None:
        unchecked = [skill for skill in skills if skill.id not in self._checked_customs]
        if not unchecked:
            return
        self._checked_customs.update(skill.id for skill in unchecked)
        linked = {edge.source_id for edge in self._store.similar_skills(skill_ids=[s.id for s in unchecked])}
        missing = [skill for skill in unchecked if skill.id not in linked]
        if missing:
            vectors = self._embedder.embed([skill.embedding_text() for skill in missing])
            edges = [
                SimilarEdge(skill.id, hit.skill.id, round(hit.score, 6))
                for skill, vector in zip(missing, vectors, strict=True)
                for hit in self._neighbours(vector)
            ]
            if edges:
                self._store.upsert_similar(edges=edges)

    def rank(self, text: str, *, limit: int = 10) -> list[RankedSkill]:
        """The ranking ``skills search`` shows: an exact label match first, then the
        hybrid similarity ranking."""
        index = self.index
        out: list[RankedSkill] = []
        found = index.exact(text)
        if found is not None:
            skill, method = found
            out.append(RankedSkill(skill, 1.0, 1.0, 1.0, skill.label, method))
        index.ensure_vectors(self.index_progress)
        vectors = self._embedder.embed([text])
        for hit in index.rank([text], vectors, limit=limit + 1)[0]:
            if all(hit.skill.id != seen.skill.id for seen in out):
                out.append(hit)
        return out[:limit]


def _custom_skill(skill_id: str, text: str, neighbours: Sequence[SkillHit]) -> Skill:
    """A custom skill for ``text``. It borrows the category and digital flag of its
    nearest taxonomy skill, if it has one, so gap analytics can still group it."""
    nearest = neighbours[0].skill if neighbours else None
    return Skill(
        id=skill_id,
        label=text.strip()[:500],
        source=SkillSource.CUSTOM,
        category=nearest.category if nearest else "",
        digital=nearest.digital if nearest else False,
    )
