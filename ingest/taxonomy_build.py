"""Build the compact taxonomy files shipped in ``ingest/data/`` from the raw public downloads.

Run once by a maintainer, not at install or run time (the raw files are ~35 MB and not
shipped)::

    python -m ingest.taxonomy_build --shared ../shared/data

It reads the official ESCO v1.1.1 CSV zips, the O*NET 29.3 tab-separated files and the IBM
HR attrition CSV with the standard library only, and writes deterministic output (sorted
rows, gzip without time stamps) so that a rebuild from the same inputs is byte-identical and
reviewable.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import os
import re
import sys
import tempfile
import zipfile
from collections import Counter, defaultdict, deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel

from ingest.taxonomy import (
    OCCUPATIONS_FILE,
    ROLES_FILE,
    SKILLS_FILE,
    EscoOccupation,
    OnetOccupation,
    esco_id,
)
from schema.models import ID_PATTERN, Skill, SkillSource

ESCO_DIR = "esco-v1.1.1"
ESCO_CLASSIFICATION_ZIP = "ESCO dataset - v1.1.1 - classification - en - csv.zip"
ESCO_RELATIONS_ZIP = "ESCO dataset - v1.1.1 - classification -  - csv.zip"  # two spaces, as published
ONET_DIR = "onet-29.3"
IBM_FILE = Path("ibm-hr-attrition") / "emp_attrition.csv"

DESCRIPTION_CHARS = 400
ONET_CATEGORY = "technology and software"
ONET_ID_MAX = 128
#: Level-0 pillars whose Level-1 terms are informative enough to be the category; for the
#: transversal and language pillars the Level-0 term itself is the category.
_SPLIT_PILLARS = frozenset({"skills", "knowledge"})
_TRANSVERSAL = "transversal skills and competences"
_ID = re.compile(ID_PATTERN)
_SPACES = re.compile(r"\s+")


# --------------------------------------------------------------------------------------
# small helpers


def _clean(text: str) -> str:
    return _SPACES.sub(" ", text.replace("\u00a0", " ")).strip()


def truncate(text: str, *, limit: int = DESCRIPTION_CHARS) -> str:
    """Cut a description at a word boundary so that embeddings and pages stay short."""
    text = _clean(text)
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-") + "…"


def split_labels(raw: str, *, label: str) -> tuple[str, ...]:
    """ESCO alternative labels: one per line, de-duplicated case-insensitively, label excluded."""
    seen = {label.casefold()}
    labels: list[str] = []
    for line in raw.splitlines():
        alt = _clean(line)
        if alt and alt.casefold() not in seen and len(alt) <= 500:
            seen.add(alt.casefold())
            labels.append(alt)
    return tuple(labels)


def onet_slug(name: str) -> str:
    """Slug of an O*NET technology name; ``+`` and ``#`` are spelt out so C, C++ and C# differ."""
    text = name.lower().replace("+", " plus ").replace("#", " sharp ")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def onet_ids(names: Iterable[str]) -> dict[str, str]:
    """Map each O*NET technology name to a unique ``onet:<slug>`` id.

    Collisions get ``-2``, ``-3``... in sorted-name order, so the assignment does not
    depend on file order.
    """
    by_slug: dict[str, list[str]] = defaultdict(list)
    for name in sorted(set(names)):
        slug = onet_slug(name) or "technology"
        by_slug[slug[: ONET_ID_MAX - len("onet:") - 4].rstrip("-")].append(name)
    ids: dict[str, str] = {}
    for slug, group in by_slug.items():
        for rank, name in enumerate(group, start=1):
            ids[name] = f"onet:{slug}" if rank == 1 else f"onet:{slug}-{rank}"
    for name, ident in ids.items():
        if not _ID.match(ident):
            raise ValueError(f"O*NET technology {name!r}: id {ident!r} does not match {ID_PATTERN}")
    return ids


def _read_zip_csv(archive: Path, member: str) -> Iterator[dict[str, str]]:
    with zipfile.ZipFile(archive) as zipped, zipped.open(member) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        for row in csv.DictReader(text):
            yield {key: (value or "") for key, value in row.items()}


def _read_tsv(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            yield {key: (value or "") for key, value in row.items()}


# --------------------------------------------------------------------------------------
# ESCO


@dataclass
class EscoConcept:
    uri: str
    label: str
    alt_labels: tuple[str, ...]
    description: str
    skill_type: str
    broader: list[str] = field(default_factory=list)


@dataclass
class EscoData:
    skills: dict[str, EscoConcept]
    groups: dict[str, EscoConcept]
    #: Hierarchy concept URI -> its category term.
    hierarchy_category: dict[str, str]
    digital: set[str]
    transversal: set[str]
    occupations: list[EscoOccupation]
    dropped_broader: int


def _hierarchy(rows: Iterable[Mapping[str, str]]) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    """Category of each hierarchy concept, and (label, description) of every hierarchy node."""
    category: dict[str, str] = {}
    nodes: dict[str, tuple[str, str]] = {}
    for row in rows:
        level0 = _clean(row["Level 0 preferred term"])
        level1 = _clean(row["Level 1 preferred term"])
        for level in range(4):
            uri = row[f"Level {level} URI"].strip()
            if not uri:
                continue
            if level == 0 or level0 not in _SPLIT_PILLARS:
                category.setdefault(uri, level0)
            else:
                category.setdefault(uri, level1)
            deepest = all(not row[f"Level {deeper} URI"].strip() for deeper in range(level + 1, 4))
            description = _clean(row["Description"]) if deepest else ""
            label = _clean(row[f"Level {level} preferred term"])
            if uri not in nodes or (description and not nodes[uri][1]):
                nodes[uri] = (label, description)
    return category, nodes


def read_esco(folder: Path) -> EscoData:
    """Read the two ESCO zips into plain structures keyed by concept URI."""
    classification = folder / ESCO_CLASSIFICATION_ZIP
    relations = folder / ESCO_RELATIONS_ZIP

    skills: dict[str, EscoConcept] = {}
    for row in _read_zip_csv(classification, "skills_en.csv"):
        label = _clean(row["preferredLabel"])
        skills[row["conceptUri"]] = EscoConcept(
            uri=row["conceptUri"],
            label=label,
            alt_labels=split_labels(row["altLabels"], label=label),
            description=truncate(row["description"] or row["definition"]),
            skill_type=_clean(row["skillType"]),
        )

    hierarchy_category, hierarchy_nodes = _hierarchy(_read_zip_csv(classification, "skillsHierarchy_en.csv"))
    groups: dict[str, EscoConcept] = {}
    for row in _read_zip_csv(classification, "skillGroups_en.csv"):
        label = _clean(row["preferredLabel"])
        groups[row["conceptUri"]] = EscoConcept(
            uri=row["conceptUri"],
            label=label,
            alt_labels=split_labels(row["altLabels"], label=label),
            description=truncate(row["description"] or row["scopeNote"]),
            skill_type="group",
        )
    # A few hierarchy nodes (e.g. "positioning materials, tools or equipment") are missing
    # from skillGroups_en.csv although skills point to them; add them so no edge dangles.
    for uri, (label, description) in hierarchy_nodes.items():
        if uri not in groups and uri not in skills:
            groups[uri] = EscoConcept(
                uri=uri, label=label, alt_labels=(), description=truncate(description), skill_type="group"
            )

    known = skills.keys() | groups.keys()
    dropped = 0
    for row in _read_zip_csv(relations, "broaderRelationsSkillPillar.csv"):
        child, parent = row["conceptUri"], row["broaderUri"]
        concept = skills.get(child) or groups.get(child)
        if concept is None or parent not in known or parent == child:
            dropped += 1
            continue
        if parent not in concept.broader:
            concept.broader.append(parent)

    digital = {row["conceptUri"] for row in _read_zip_csv(classification, "digitalSkillsCollection_en.csv")}
    transversal = {row["conceptUri"] for row in _read_zip_csv(classification, "transversalSkillsCollection_en.csv")}

    links: dict[str, dict[str, set[str]]] = defaultdict(lambda: {"essential": set(), "optional": set()})
    for row in _read_zip_csv(relations, "occupationSkillRelations.csv"):
        if row["skillUri"] in skills and row["relationType"] in ("essential", "optional"):
            links[row["occupationUri"]][row["relationType"]].add(esco_id(row["skillUri"]))
    occupations: list[EscoOccupation] = []
    for row in _read_zip_csv(classification, "occupations_en.csv"):
        related = links.get(row["conceptUri"], {"essential": set(), "optional": set()})
        occupations.append(
            EscoOccupation(
                id=esco_id(row["conceptUri"]),
                label=_clean(row["preferredLabel"]),
                isco_group=row["iscoGroup"].strip(),
                essential=tuple(sorted(related["essential"])),
                optional=tuple(sorted(related["optional"] - related["essential"])),
            )
        )
    occupations.sort(key=lambda occupation: occupation.id)
    return EscoData(
        skills=skills,
        groups=groups,
        hierarchy_category=hierarchy_category,
        digital=digital,
        transversal=transversal,
        occupations=occupations,
        dropped_broader=dropped,
    )


def categorise(uri: str, *, broader: Mapping[str, Sequence[str]], hierarchy_category: Mapping[str, str]) -> str:
    """Category of a concept: that of the nearest hierarchy node above it (breadth-first).

    Ties at the same distance prefer a specific pillar over "transversal skills and
    competences" (so "Icelandic" is a language skill), then the alphabetically first term,
    which keeps the choice deterministic.
    """
    if uri in hierarchy_category:
        return hierarchy_category[uri]
    seen = {uri}
    frontier = deque([uri])
    while frontier:
        found: set[str] = set()
        next_frontier: deque[str] = deque()
        for node in frontier:
            for parent in broader.get(node, ()):
                if parent in seen:
                    continue
                seen.add(parent)
                if parent in hierarchy_category:
                    found.add(hierarchy_category[parent])
                else:
                    next_frontier.append(parent)
        if found:
            return min(found, key=lambda term: (term == _TRANSVERSAL, term))
        frontier = next_frontier
    return ""


def esco_skills(data: EscoData) -> list[Skill]:
    """ESCO skills and skill groups as ``Skill`` rows with category, digital flag and BROADER ids."""
    broader: dict[str, list[str]] = {uri: concept.broader for uri, concept in data.skills.items()}
    broader.update({uri: concept.broader for uri, concept in data.groups.items()})
    rows: list[Skill] = []
    for uri, concept in [*data.skills.items(), *data.groups.items()]:
        rows.append(
            Skill(
                id=esco_id(uri),
                label=concept.label,
                alt_labels=concept.alt_labels,
                description=concept.description,
                source=SkillSource.ESCO,
                skill_type=concept.skill_type,
                category=categorise(uri, broader=broader, hierarchy_category=data.hierarchy_category),
                digital=uri in data.digital,
                broader=tuple(sorted(esco_id(parent) for parent in concept.broader)),
            )
        )
    return rows


# --------------------------------------------------------------------------------------
# O*NET


@dataclass
class OnetData:
    skills: list[Skill]
    occupations: list[OnetOccupation]


def read_onet(folder: Path) -> OnetData:
    """One skill per distinct technology ``Example``; occupations with their technology ids."""
    rows = list(_read_tsv(folder / "Technology Skills.txt"))
    ids = onet_ids(row["Example"].strip() for row in rows if row["Example"].strip())
    commodity: dict[str, Counter[str]] = defaultdict(Counter)
    hot: set[str] = set()
    per_occupation: dict[str, dict[str, set[str]]] = defaultdict(
        lambda: {"technologies": set(), "hot": set(), "in_demand": set()}
    )
    for row in rows:
        name = row["Example"].strip()
        if not name:
            continue
        ident = ids[name]
        commodity[name][_clean(row["Commodity Title"])] += 1
        links = per_occupation[row["O*NET-SOC Code"].strip()]
        links["technologies"].add(ident)
        if row["Hot Technology"].strip().upper() == "Y":
            hot.add(name)
            links["hot"].add(ident)
        if row["In Demand"].strip().upper() == "Y":
            links["in_demand"].add(ident)

    skills = [
        Skill(
            id=ids[name],
            label=name,
            # The commodity title most often given for this technology, e.g. "Instant
            # messaging software"; ties broken alphabetically.
            description=min(titles.items(), key=lambda item: (-item[1], item[0]))[0],
            source=SkillSource.ONET,
            skill_type="technology",
            category=ONET_CATEGORY,
            digital=True,
            hot=name in hot,
        )
        for name, titles in commodity.items()
    ]

    zones = {
        row["O*NET-SOC Code"].strip(): int(row["Job Zone"])
        for row in _read_tsv(folder / "Job Zones.txt")
        if row["Job Zone"].strip().isdigit()
    }
    occupations = []
    for row in _read_tsv(folder / "Occupation Data.txt"):
        code = row["O*NET-SOC Code"].strip()
        links = per_occupation.get(code, {"technologies": set(), "hot": set(), "in_demand": set()})
        occupations.append(
            OnetOccupation(
                code=code,
                title=_clean(row["Title"]),
                job_zone=zones.get(code),
                technologies=tuple(sorted(links["technologies"])),
                hot=tuple(sorted(links["hot"])),
                in_demand=tuple(sorted(links["in_demand"])),
            )
        )
    occupations.sort(key=lambda occupation: occupation.code)
    return OnetData(skills=skills, occupations=occupations)


# --------------------------------------------------------------------------------------
# IBM HR roles


def read_ibm_roles(path: Path) -> list[tuple[str, str, int, int]]:
    """Joint distribution department x job role x job level (counts) of the IBM HR data set."""
    counts: Counter[tuple[str, str, int]] = Counter()
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            counts[(row["Department"].strip(), row["JobRole"].strip(), int(row["JobLevel"]))] += 1
    return [(department, role, level, count) for (department, role, level), count in sorted(counts.items())]


# --------------------------------------------------------------------------------------
# writing


def _atomic_write(path: Path, payload: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(payload)
        os.chmod(temporary, 0o644)  # mkstemp creates 0600; shipped data must be readable by all
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _jsonl_gz(rows: Iterable[BaseModel]) -> bytes:
    text = "".join(
        json.dumps(row.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":")) + "\n" for row in rows
    )
    buffer = io.BytesIO()
    # mtime=0 and no file name in the header: identical inputs give identical bytes.
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as zipped:
        zipped.write(text.encode("utf-8"))
    return buffer.getvalue()


def _roles_json(rows: Sequence[tuple[str, str, int, int]]) -> bytes:
    records = [
        {"department": department, "job_role": role, "job_level": level, "count": count}
        for department, role, level, count in rows
    ]
    lines = ",\n".join(" " + json.dumps(record, ensure_ascii=False) for record in records)
    return f"[\n{lines}\n]\n".encode()


def build(*, shared: Path, out: Path) -> dict[str, int]:
    """Read the raw data under ``shared`` and write the shipped files into ``out``; return counts."""
    esco = read_esco(shared / ESCO_DIR)
    onet = read_onet(shared / ONET_DIR)
    roles = read_ibm_roles(shared / IBM_FILE)

    skills = sorted([*esco_skills(esco), *onet.skills], key=lambda skill: skill.id)
    ids = [skill.id for skill in skills]
    if len(ids) != len(set(ids)):
        duplicates = sorted(ident for ident, count in Counter(ids).items() if count > 1)
        raise ValueError(f"duplicate skill ids: {duplicates[:10]}")
    known = set(ids)
    dangling = sorted({parent for skill in skills for parent in skill.broader if parent not in known})
    if dangling:
        raise ValueError(f"BROADER points to unknown skill ids: {dangling[:10]}")

    occupations: list[BaseModel] = [*esco.occupations, *onet.occupations]
    _atomic_write(out / SKILLS_FILE, _jsonl_gz(skills))
    _atomic_write(out / OCCUPATIONS_FILE, _jsonl_gz(occupations))
    _atomic_write(out / ROLES_FILE, _roles_json(roles))

    return {
        "esco_skills": len(esco.skills),
        "esco_groups": len(esco.groups),
        "esco_digital": sum(1 for uri in esco.skills if uri in esco.digital),
        "esco_uncategorised": sum(1 for skill in skills if skill.source == SkillSource.ESCO and not skill.category),
        "esco_broader_dropped": esco.dropped_broader,
        "onet_technologies": len(onet.skills),
        "onet_hot": sum(1 for skill in onet.skills if skill.hot),
        "esco_occupations": len(esco.occupations),
        "onet_occupations": len(onet.occupations),
        "ibm_role_cells": len(roles),
        "skills_bytes": (out / SKILLS_FILE).stat().st_size,
        "occupations_bytes": (out / OCCUPATIONS_FILE).stat().st_size,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: build the files and print the counts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--shared",
        type=Path,
        default=Path("../shared/data"),
        help="folder holding esco-v1.1.1/, onet-29.3/ ...",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parent / "data",
        help="output folder (ingest/data)",
    )
    args = parser.parse_args(argv)
    shared: Path = args.shared
    for required in (shared / ESCO_DIR / ESCO_CLASSIFICATION_ZIP, shared / ONET_DIR, shared / IBM_FILE):
        if not required.exists():
            print(f"error: {required} not found (is --shared the shared/data folder?)", file=sys.stderr)
            return 1
    counts = build(shared=shared, out=args.out)
    width = max(len(name) for name in counts)
    for name, value in counts.items():
        print(f"{name:<{width}}  {value:>10,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
