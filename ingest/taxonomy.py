"""The shipped skill taxonomy: ESCO v1.1.1 skills and skill groups, O*NET 29.3 technologies.

The raw ESCO and O*NET downloads are tens of megabytes; ``python -m ingest.taxonomy_build``
turns them into a few compact gzip'd JSON Lines files under ``ingest/data/`` so that the
application needs nothing outside its own package at run time. This module only reads
those files. Attribution for the data is in ``ingest/data/NOTICE.md``.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from schema.models import Identifier, Skill

SKILLS_FILE = "skills.jsonl.gz"
OCCUPATIONS_FILE = "occupations.jsonl.gz"
ROLES_FILE = "ibm_hr_roles.json"

_ESCO_PREFIX = "http://data.europa.eu/esco/"


def data_file(name: str) -> Traversable:
    """Return a shipped data file; resolved through the package so it works from a wheel too."""
    return resources.files("ingest").joinpath("data", name)


def esco_id(uri: str) -> str:
    """Shorten an ESCO concept URI to a stable skill id.

    Skills and most groups are ``.../skill/<uuid>`` and become ``esco:<uuid>``; the ISCED-F
    knowledge groups (``.../isced-f/0613``) keep their scheme so that their short codes do
    not collide with anything: ``esco:isced-f-0613``.
    """
    uri = uri.strip()
    if not uri.startswith(_ESCO_PREFIX):
        raise ValueError(f"{uri!r} is not an ESCO concept URI (expected it to start with {_ESCO_PREFIX})")
    kind, _, last = uri[len(_ESCO_PREFIX) :].rpartition("/")
    if not last:
        raise ValueError(f"{uri!r} has no concept identifier after the last '/'")
    if kind in ("skill", "occupation"):
        return f"esco:{last}"
    return f"esco:{kind.replace('/', '-')}-{last}"


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class EscoOccupation(_Record):
    """An ESCO occupation with the skills ESCO lists for it, used to seed demo profiles."""

    source: Literal["esco"] = "esco"
    id: Identifier
    label: str
    #: ISCO-08 unit group code, e.g. "1221" (sales and marketing managers); 1xxx = managers.
    isco_group: str
    essential: tuple[Identifier, ...] = ()
    optional: tuple[Identifier, ...] = ()


class OnetOccupation(_Record):
    """An O*NET-SOC occupation with its technology skills (ids of ``onet:`` skills)."""

    source: Literal["onet"] = "onet"
    #: O*NET-SOC code, e.g. "11-1011.00" (Chief Executives).
    code: str
    title: str
    #: O*NET Job Zone 1-5 (preparation needed); None where O*NET gives none.
    job_zone: int | None = None
    technologies: tuple[Identifier, ...] = ()
    #: Technologies flagged "Hot Technology" for this occupation.
    hot: tuple[Identifier, ...] = ()
    #: Technologies flagged "In Demand" (frequent in this occupation's job postings).
    in_demand: tuple[Identifier, ...] = ()


OccupationRecord = Annotated[EscoOccupation | OnetOccupation, Field(discriminator="source")]
_OCCUPATION = TypeAdapter[EscoOccupation | OnetOccupation](OccupationRecord)


class Occupations(_Record):
    """Both occupation lists, each sorted by id / code."""

    esco: tuple[EscoOccupation, ...]
    onet: tuple[OnetOccupation, ...]

    def esco_by_label(self) -> dict[str, EscoOccupation]:
        """Index ESCO occupations by preferred label (labels are unique in ESCO v1.1.1)."""
        return {occupation.label: occupation for occupation in self.esco}

    def onet_by_code(self) -> dict[str, OnetOccupation]:
        """Index O*NET occupations by O*NET-SOC code."""
        return {occupation.code: occupation for occupation in self.onet}


class TaxonomyFileError(ValueError):
    """A shipped taxonomy file is missing or does not parse; names the file and line."""


def _lines(name: str) -> Iterator[tuple[int, str]]:
    resource = data_file(name)
    if not resource.is_file():
        raise TaxonomyFileError(
            f"{name}: shipped taxonomy file is missing from the ingest package; "
            "rebuild it with `python -m ingest.taxonomy_build --shared ../shared/data`"
        )
    with resource.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as text:
        for number, line in enumerate(text, start=1):
            if line.strip():
                yield number, line


@cache
def _skills() -> tuple[Skill, ...]:
    skills: list[Skill] = []
    for number, line in _lines(SKILLS_FILE):
        try:
            skills.append(Skill.model_validate_json(line))
        except ValidationError as error:
            raise TaxonomyFileError(f"{SKILLS_FILE}, line {number}: {error}") from error
    return tuple(skills)


@cache
def _occupations() -> Occupations:
    esco: list[EscoOccupation] = []
    onet: list[OnetOccupation] = []
    for number, line in _lines(OCCUPATIONS_FILE):
        try:
            record = _OCCUPATION.validate_json(line)
        except ValidationError as error:
            raise TaxonomyFileError(f"{OCCUPATIONS_FILE}, line {number}: {error}") from error
        if isinstance(record, EscoOccupation):
            esco.append(record)
        else:
            onet.append(record)
    return Occupations(esco=tuple(esco), onet=tuple(onet))


def load_skills() -> list[Skill]:
    """All shipped skills (ESCO skills and groups, O*NET technologies), sorted by id.

    Parsed once per process and cached; the models are frozen, so sharing them is safe and
    the caller gets its own list.
    """
    return list(_skills())


def load_occupations() -> Occupations:
    """ESCO and O*NET occupations with their skill ids, for seeding demo organisations."""
    return _occupations()
