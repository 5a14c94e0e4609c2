"""Skill normalisation quality on the skill-extraction benchmark (TECH and HOUSE).

    python benchmarks/bench_normalisation.py [--data DIR] [--cache EMBEDDING_CACHE]

Data: ``tech_validation_annotations.csv`` and ``house_validation_annotations.csv`` from
jensjorisdecorte/Skill-Extraction-benchmark (Decorte et al., RecSys-in-HR 2022), in
``../shared/data/skill-extraction-benchmark``. Each annotated span (its ``sub_span`` when
given: the annotators' narrower reading of a coordinated phrase) is a query; the gold
answer is the ESCO skill whose preferred label is the row's ``label``. Rows labelled
"LABEL NOT PRESENT" or "UNDERSPECIFIED" are dropped from the ranking metrics; the "not
present" ones are used below to see how often the threshold would wrongly accept a
match. Candidates: the ESCO skills of the shipped taxonomy (13,890 with skill groups
left out), the space the benchmark was labelled in.

Printed: MRR and Recall@5 of the plain baseline (MiniLM cosine over preferred labels
only), each ingredient of the hybrid added in turn, and the normaliser as
``mentorgraph skills search`` ranks (exact label first, then the hybrid); then the
confidence threshold trade-off. The weights were chosen on these two files (no separate
test split exists): the last table tunes on one file and scores the other, to show how
much of the gain survives on data the weights were not tuned on.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ingest.embedder import Embedder  # noqa: E402
from ingest.normalise import ACCEPT_THRESHOLD, QUERY_BLOCK, SkillIndex, Weights, occupation_priors  # noqa: E402
from ingest.taxonomy import load_skills  # noqa: E402
from schema.models import Skill, SkillSource  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "skill-extraction-benchmark"
FILES = ("tech_validation_annotations.csv", "house_validation_annotations.csv")
DROPPED = ("LABEL NOT PRESENT", "UNDERSPECIFIED")
BASELINE = "baseline: cosine over preferred labels"


@dataclass(frozen=True)
class Query:
    text: str
    gold: frozenset[int]  # candidate positions


def load_queries(path: Path, position_of: dict[str, list[int]]) -> tuple[list[Query], list[str]]:
    queries: list[Query] = []
    absent: list[str] = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            text = (row["sub_span"] or row["span"]).strip()
            if row["label"] == "LABEL NOT PRESENT":
                absent.append(text)
            if row["label"] in DROPPED:
                continue
            gold = position_of.get(row["label"])
            if gold:
                queries.append(Query(text, frozenset(gold)))
    return queries, absent


def ranks(
    index: SkillIndex, queries: list[Query], vectors: np.ndarray, *, exact_first: bool, weights: Weights | None = None
) -> np.ndarray:
    """The rank of the first gold skill for each query (ties broken by candidate order,
    as the normaliser breaks them)."""
    out = np.zeros(len(queries), dtype=np.int64)
    position = {skill.id: i for i, skill in enumerate(index.candidates)}
    for start in range(0, len(queries), QUERY_BLOCK):
        block = queries[start : start + QUERY_BLOCK]
        scores = index.score([q.text for q in block], vectors[start : start + QUERY_BLOCK], weights=weights).ordering
        for row, query in enumerate(block):
            ordering = scores[row].copy()
            if exact_first:
                found = index.exact(query.text)
                if found is not None and found[0].id in position:
                    ordering[position[found[0].id]] = np.inf
            best = min(
                int((ordering > ordering[g]).sum() + ((ordering == ordering[g]) & (np.arange(len(ordering)) < g)).sum())
                for g in query.gold
            )
            out[start + row] = best + 1
    return out


def metrics(rank: np.ndarray) -> tuple[float, float]:
    return float(np.mean(1.0 / rank)), float(np.mean(rank <= 5))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--cache", type=Path, default=None, help="embedding cache (default: the app's cache)")
    args = parser.parse_args()
    if args.cache is None:
        from mentorgraph.settings import get_settings

        args.cache = get_settings().embedding_cache_file()
    missing = [name for name in FILES if not (args.data / name).exists()]
    if missing:
        sys.exit(f"{args.data}: missing {', '.join(missing)}; pass --data")

    embedder = Embedder(cache_path=args.cache)
    esco: list[Skill] = [s for s in load_skills() if s.source is SkillSource.ESCO and s.skill_type != "group"]
    priors = occupation_priors()
    default = Weights()
    variants = {
        BASELINE: (Weights(1.0, 0.0, 0.0, 0.0, alt_labels=False), False),
        "+ alternative labels (max over labels)": (Weights(1.0, 0.0, 0.0, 0.0), False),
        f"+ description vector (x{default.description})": (Weights(1.0, default.description, 0.0, 0.0), False),
        f"+ lexical words and trigrams (x{default.lexical})": (replace(default, prior=0.0), False),
        f"+ occupation prior (x{default.prior}) = hybrid": (default, False),
        "normaliser: exact label first, then hybrid": (default, True),
    }

    started = time.perf_counter()
    index = SkillIndex(skills=esco, embedder=embedder, priors=priors)
    index.ensure_vectors()
    # Preferred labels only is a different set of label rows: an index of its own.
    preferred_only = SkillIndex(skills=esco, embedder=embedder, priors=priors, weights=variants[BASELINE][0])
    preferred_only.ensure_vectors()
    print(
        f"{len(index.candidates):,} ESCO candidates, {len(index.labels):,} labels; vectors ready in "
        f"{time.perf_counter() - started:.1f} s ({embedder.texts_embedded:,} texts through the model)",
        flush=True,
    )
    position_of: dict[str, list[int]] = {}
    for i, skill in enumerate(index.candidates):
        position_of.setdefault(skill.label, []).append(i)

    data = {name: load_queries(args.data / name, position_of) for name in FILES}
    vectors = {name: embedder.embed([q.text for q in queries]) for name, (queries, _) in data.items()}
    results: dict[str, dict[str, tuple[float, float]]] = {}
    for label, (weights, exact_first) in variants.items():
        scored = preferred_only if label == BASELINE else index
        results[label] = {
            name: metrics(ranks(scored, queries, vectors[name], exact_first=exact_first, weights=weights))
            for name, (queries, _) in data.items()
        }

    base = results[BASELINE]
    short = {FILES[0]: "TECH", FILES[1]: "HOUSE"}
    print()
    print("| ranking | " + " | ".join(f"{short[f]} MRR | {short[f]} R@5" for f in FILES) + " |")
    print("|---|" + "---:|---:|" * len(FILES))
    for label, by_file in results.items():
        cells = []
        for name in FILES:
            mrr, recall = by_file[name]
            delta = "" if label.startswith("baseline") else f" ({mrr - base[name][0]:+.3f})"
            cells += [f"{mrr:.3f}{delta}", f"{recall:.3f}"]
        print(f"| {label} | " + " | ".join(cells) + " |")
    counts = ", ".join(f"{short[f]} {len(data[f][0])} spans ({len(data[f][1])} not in ESCO)" for f in FILES)
    print(f"\nqueries: {counts}")

    print("\nconfidence threshold (hybrid, top-1): share of spans accepted, how many of those are right,")
    print("and share of the 'LABEL NOT PRESENT' spans that would wrongly be accepted")
    print("\n| threshold | " + " | ".join(f"{short[f]} accepted | right | not-in-ESCO accepted" for f in FILES) + " |")
    print("|---|" + "---:|---:|---:|" * len(FILES))
    tops: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for name, (queries, absent) in data.items():
        confidence, correct = top1(index, [q.text for q in queries], vectors[name], [q.gold for q in queries])
        absent_confidence, _ = top1(index, absent, embedder.embed(absent), None)
        tops[name] = (confidence, correct, absent_confidence)
    for threshold in (0.6, 0.65, ACCEPT_THRESHOLD, 0.75, 0.8):
        cells = []
        for name in FILES:
            confidence, correct, absent_confidence = tops[name]
            accepted = confidence >= threshold
            right = float(correct[accepted].mean()) if accepted.any() else 0.0
            cells += [f"{accepted.mean():.2f}", f"{right:.2f}", f"{(absent_confidence >= threshold).mean():.2f}"]
        marker = " (default)" if threshold == ACCEPT_THRESHOLD else ""
        print(f"| {threshold:.2f}{marker} | " + " | ".join(cells) + " |")

    cross_validate(index, data, vectors, base)

    query = data[FILES[0]][0][0].text
    started = time.perf_counter()
    for _ in range(20):
        index.rank([query], embedder.embed([query]), limit=10)
    print(f"\none ranking (cached query vector, {len(index.labels):,} labels): "
          f"{(time.perf_counter() - started) / 20 * 1000:.1f} ms")  # fmt: skip


def top1(
    index: SkillIndex, texts: list[str], vectors: np.ndarray, gold: list[frozenset[int]] | None
) -> tuple[np.ndarray, np.ndarray]:
    confidence = np.zeros(len(texts), dtype=np.float32)
    correct = np.zeros(len(texts), dtype=bool)
    for start in range(0, len(texts), QUERY_BLOCK):
        scores = index.score(texts[start : start + QUERY_BLOCK], vectors[start : start + QUERY_BLOCK])
        best = scores.ordering.argmax(axis=1)
        confidence[start : start + len(best)] = scores.confidence[np.arange(len(best)), best]
        if gold is not None:
            correct[start : start + len(best)] = [int(b) in g for b, g in zip(best, gold[start:], strict=False)]
    return confidence, correct


def cross_validate(
    index: SkillIndex,
    data: dict[str, tuple[list[Query], list[str]]],
    vectors: dict[str, np.ndarray],
    base: dict[str, tuple[float, float]],
) -> None:
    """Tune the weights on one file over a small grid, score them on the other."""
    grid = [
        Weights(1.0, d, lx, p)
        for d, lx, p in itertools.product((0.0, 0.3, 0.45, 0.6, 0.8, 1.0), (0.0, 0.2, 0.3, 0.4, 0.5, 0.6), (0.0, 0.01))
    ]
    scores: dict[Weights, dict[str, float]] = {
        weights: {
            name: metrics(ranks(index, queries, vectors[name], exact_first=True, weights=weights))[0]
            for name, (queries, _) in data.items()
        }
        for weights in grid
    }
    names = list(data)
    print("\ntuned on one file, scored on the other (MRR gain over the baseline on the unseen file)\n")
    print("| tuned on | best weights there (description, lexical, prior) | scored on | MRR gain |")
    print("|---|---|---|---:|")
    for tuned, unseen in ((names[0], names[1]), (names[1], names[0])):
        best = max(grid, key=lambda w: scores[w][tuned])
        gain = scores[best][unseen] - base[unseen][0]
        print(f"| {tuned.split('_')[0]} | {best.description}, {best.lexical}, {best.prior} | "
              f"{unseen.split('_')[0]} | {gain:+.3f} |")  # fmt: skip
    stable = sum(1 for w in grid if all(scores[w][n] - base[n][0] >= 0.05 for n in names))
    print(f"\n{stable} of {len(grid)} weight settings in the grid reach +0.05 MRR on both files")


if __name__ == "__main__":
    main()
