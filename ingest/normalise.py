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

The similarity score of a skill is a hybrid measured on the skill-extraction benchmark
(``benchmarks/bench_normalisation.py``; numbers in the README):

- semantic: the best cosine between the text and any of the skill's labels (preferred
  *and* alternative: ESCO's alternative labels carry the synonyms people actually write,
  e.g. "JS", "team player"), all MiniLM embeddings;
- lexical: TF-IDF cosine over character trigrams of the words, which catches spelling
  variants and morphology ("managing" / "management") that short-text embeddings blur;
- a light prior: how many occupations list the skill (ESCO) or the technology (O*NET),
  so that among near-ties the commonly needed skill wins.

Embedding every label (about 110,000 short texts) costs a few minutes once; the vectors
are cached by the :class:`~ingest.embedder.Embedder` like every other text, so the cost
is paid on the first free-text normalisation of a machine, not by the taxonomy seed, and
not by files that name skills by id or exact label (the index embeds lazily).
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt
import scipy.sparse as sparse

from graph.store import GraphStore, SimilarEdge, Vector
from ingest.embedder import Embedder
from schema.models import ID_PATTERN, Skill, SkillSource

#: Confidence from which a similarity match is accepted; below it the text becomes a
#: custom skill. Chosen on the benchmark (see ``bench_normalisation.py``).
ACCEPT_THRESHOLD = 0.75
#: Weights of the hybrid score (semantic + lexical + prior).
SEMANTIC_WEIGHT = 1.0
LEXICAL_WEIGHT = 0.2
PRIOR_WEIGHT = 0.05
#: A custom skill is linked to at most this many neighbours scoring at least this much.
CUSTOM_NEIGHBOURS = 5
CUSTOM_MIN_SCORE = 0.4
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

IndexProgress = Callable[[int, int], None]


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
    lexical: float  # character-trigram TF-IDF cosine
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


def _features(text: str) -> list[str]:
    """Character trigrams of the content words, with word boundaries marked."""
    grams: list[str] = []
    for word in _WORD.findall(text.casefold()):
        if word in _STOP:
            continue
        padded = f" {word} "
        grams.extend(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


class _Lexical:
    """TF-IDF over character trigrams of every label, as one sparse matrix."""

    def __init__(self, labels: Sequence[str]) -> None:
        vocabulary: dict[str, int] = {}
        rows: list[int] = []
        columns: list[int] = []
        for row, label in enumerate(labels):
            for gram in set(_features(label)):
                rows.append(row)
                columns.append(vocabulary.setdefault(gram, len(vocabulary)))
        self._vocabulary = vocabulary
        shape = (len(labels), max(len(vocabulary), 1))
        matrix = sparse.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, columns)), shape=shape)
        document_frequency = np.bincount(np.asarray(columns, dtype=np.int64), minlength=shape[1])
        self._idf = (np.log((1 + len(labels)) / (1 + document_frequency)) + 1).astype(np.float32)
        self._matrix_t = _normalise_rows(matrix @ sparse.diags(self._idf)).T.tocsr()

    def scores(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """[len(texts), labels] cosine similarities."""
        rows: list[int] = []
        columns: list[int] = []
        values: list[float] = []
        for row, text in enumerate(texts):
            for gram in set(_features(text)):
                column = self._vocabulary.get(gram)
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


class SkillIndex:
    """An in-memory view of the skill space for normalisation, built once per process
    from ``store.list_skills()``: exact label lookup, the label embeddings (lazily), the
    lexical matrix and the priors. Custom skills are found by label only."""

    def __init__(self, *, skills: Sequence[Skill], embedder: Embedder, priors: dict[str, float] | None = None) -> None:
        self._embedder = embedder
        self._lock = threading.Lock()
        self.by_id: dict[str, Skill] = {}
        self._keys: dict[str, list[tuple[int, str]]] = {}
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
            for label in dict.fromkeys((skill.label, *skill.alt_labels)):
                labels.append(label)
                owner.append(position)
        self.labels = labels
        self._owner = np.asarray(owner, dtype=np.int64)
        # Labels are grouped by skill, so a per-skill maximum is one reduceat per row.
        self._starts = np.flatnonzero(np.r_[True, np.diff(self._owner) != 0]) if owner else np.zeros(0, np.int64)
        self._lexical = _Lexical(labels)
        prior = np.array([(priors or {}).get(skill.id, 0.0) for skill in candidates], dtype=np.float32)
        self._prior = prior / prior.max() if prior.size and prior.max() > 0 else prior
        self._label_vectors: Vector | None = None

    # -- exact -------------------------------------------------------------------------
    def _add_keys(self, skill: Skill) -> None:
        for kind, label in [("label", skill.label), *(("alt", alt) for alt in skill.alt_labels)]:
            entries = self._keys.setdefault(label_key(label), [])
            if not any(existing == skill.id for _, existing in entries):
                entries.append((0 if kind == "label" else 1, skill.id))
                entries.sort(key=lambda entry: (entry[0], _preference(self.by_id[entry[1]])))

    def add(self, skill: Skill) -> None:
        """Make a newly created (custom) skill findable by its label."""
        with self._lock:
            self.by_id[skill.id] = skill
            self._add_keys(skill)

    def exact(self, text: str) -> tuple[Skill, MatchMethod] | None:
        entries = self._keys.get(label_key(text))
        if not entries:
            return None
        kind, skill_id = entries[0]
        return self.by_id[skill_id], MatchMethod.LABEL if kind == 0 else MatchMethod.ALT_LABEL

    # -- similarity --------------------------------------------------------------------
    def label_vectors(self, progress: IndexProgress | None = None) -> Vector:
        """Embeddings of every label (cached by the embedder after the first time)."""
        with self._lock:
            if self._label_vectors is None:
                done = 0

                def advance(count: int) -> None:
                    nonlocal done
                    done += count
                    if progress is not None:
                        progress(done, len(self.labels))

                # Shortest first: batches of similar length waste less padding.
                order = sorted(range(len(self.labels)), key=lambda i: len(self.labels[i]))
                vectors = self._embedder.embed([self.labels[i] for i in order], progress=advance)
                matrix = np.empty_like(vectors)
                matrix[np.asarray(order, dtype=np.int64)] = vectors
                self._label_vectors = matrix
            return self._label_vectors

    def score(self, texts: Sequence[str], vectors: Vector) -> tuple[npt.NDArray[np.float32], ...]:  # noqa: D401
        """(hybrid, semantic, lexical, best label index) per text and candidate skill."""
        labels = self.label_vectors()
        semantic_labels = vectors @ labels.T
        lexical_labels = self._lexical.scores(texts)
        semantic = np.maximum.reduceat(semantic_labels, self._starts, axis=1)
        lexical = np.maximum.reduceat(lexical_labels, self._starts, axis=1)
        hybrid = (SEMANTIC_WEIGHT * semantic + LEXICAL_WEIGHT * lexical) / (SEMANTIC_WEIGHT + LEXICAL_WEIGHT)
        return hybrid, semantic, lexical, semantic_labels + LEXICAL_WEIGHT * lexical_labels

    def rank(self, texts: Sequence[str], vectors: Vector, *, limit: int) -> list[list[RankedSkill]]:
        """The ``limit`` best candidates for each text, best first (ties by skill id order)."""
        out: list[list[RankedSkill]] = []
        if not self.candidates:
            return [[] for _ in texts]
        for start in range(0, len(texts), QUERY_BLOCK):
            chunk = texts[start : start + QUERY_BLOCK]
            hybrid, semantic, lexical, per_label = self.score(chunk, vectors[start : start + QUERY_BLOCK])
            ordering = hybrid + PRIOR_WEIGHT * self._prior
            k = min(limit, ordering.shape[1])
            for row in range(len(chunk)):
                top = np.argpartition(-ordering[row], k - 1)[:k]
                top = top[np.lexsort((top, -ordering[row][top]))]
                ranked = []
                for position in top:
                    first = self._starts[position]
                    last = self._starts[position + 1] if position + 1 < len(self._starts) else len(self.labels)
                    best_label = self.labels[first + int(np.argmax(per_label[row, first:last]))]
                    ranked.append(
                        RankedSkill(
                            skill=self.candidates[position],
                            score=_clip(float(hybrid[row, position])),
                            semantic=float(semantic[row, position]),
                            lexical=float(lexical[row, position]),
                            matched_label=best_label,
                            method=MatchMethod.SIMILARITY,
                        )
                    )
                out.append(ranked)
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
    ) -> None:
        self._store = store
        self._embedder = embedder
        self.threshold = threshold
        self.create_custom = create_custom
        self._priors = priors
        self._index: SkillIndex | None = None
        self._known_ids: set[str] = set()
        self._resolved: dict[str, SkillMatch | UnknownSkill] = {}
        self._index_progress = index_progress

    @property
    def index(self) -> SkillIndex:
        if self._index is None:
            priors = occupation_priors() if self._priors is None else self._priors
            self._index = SkillIndex(skills=self._store.list_skills(), embedder=self._embedder, priors=priors)
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
        if candidates and self._index is None:
            # Files that name skills by id never need the whole index: ask the store.
            self._known_ids.update(self._store.get_skills(skill_ids=candidates))
        elif candidates:
            self._known_ids.update(text for text in candidates if text in self._index.by_id)
        for text in texts:
            if text in self._known_ids:
                skill = self._index.by_id.get(text) if self._index is not None else None
                self._resolved[text] = SkillMatch(
                    text=text,
                    skill_id=text,
                    label=skill.label if skill else text,
                    method=MatchMethod.ID,
                    confidence=1.0,
                )
            elif text.lower().startswith(_ID_PREFIXES) and " " not in text.strip():
                self._resolved[text] = UnknownSkill(text, f"unknown skill id {text!r}")

    def _resolve_text(self, texts: list[str]) -> None:
        index = self.index
        pending: list[str] = []
        for text in texts:
            found = index.exact(text)
            if found is None:
                pending.append(text)
                continue
            skill, method = found
            self._resolved[text] = SkillMatch(
                text=text, skill_id=skill.id, label=skill.label, method=method, confidence=1.0
            )
        if not pending:
            return
        index.label_vectors(self._index_progress)
        vectors = self._embedder.embed(pending)
        rankings = index.rank(pending, vectors, limit=CUSTOM_NEIGHBOURS)
        new_customs: list[tuple[Skill, Vector, list[RankedSkill]]] = []
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
            skill = _custom_skill(skill_id, text, ranked)
            index.add(skill)
            new_customs.append((skill, vector, ranked))
            self._resolved[text] = SkillMatch(
                text, skill.id, skill.label, MatchMethod.CUSTOM, confidence, True, *nearest
            )
        if new_customs:
            self._store_customs(new_customs)

    def _store_customs(self, customs: list[tuple[Skill, Vector, list[RankedSkill]]]) -> None:
        """Write new custom skills, then their SIMILAR_TO edges (each call idempotent: an
        interrupted run redoes both on the next run, which finds the skill by label)."""
        skills = [skill for skill, _, _ in customs]
        vectors = np.stack([np.asarray(vector, dtype=np.float32) for _, vector, _ in customs])
        self._store.upsert_skills(skills=skills, embeddings=vectors)
        edges = [
            SimilarEdge(skill.id, hit.skill.id, round(hit.semantic, 6))
            for skill, _, ranked in customs
            for hit in ranked
            if hit.semantic >= CUSTOM_MIN_SCORE
        ]
        if edges:
            self._store.upsert_similar(edges=edges)

    def rank(self, text: str, *, limit: int = 10) -> list[RankedSkill]:
        """The ranking ``skills search`` shows: exact label matches first, then the
        hybrid similarity ranking."""
        index = self.index
        out: list[RankedSkill] = []
        found = index.exact(text)
        if found is not None:
            skill, method = found
            out.append(RankedSkill(skill, 1.0, 1.0, 1.0, skill.label, method))
        index.label_vectors(self._index_progress)
        vectors = self._embedder.embed([text])
        for hit in index.rank([text], vectors, limit=limit + 1)[0]:
            if all(hit.skill.id != seen.skill.id for seen in out):
                out.append(hit)
        return out[:limit]


def _custom_skill(skill_id: str, text: str, ranked: Sequence[RankedSkill]) -> Skill:
    """A custom skill for ``text``. It borrows the category and digital flag of its
    nearest taxonomy skill when that one is close, so gap analytics can still group it."""
    nearest = ranked[0] if ranked and ranked[0].semantic >= CUSTOM_MIN_SCORE else None
    return Skill(
        id=skill_id,
        label=text.strip()[:500],
        source=SkillSource.CUSTOM,
        category=nearest.skill.category if nearest else "",
        digital=nearest.skill.digital if nearest else False,
    )
