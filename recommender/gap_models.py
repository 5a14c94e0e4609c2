"""Result models of the organisation-wide gap report (:mod:`recommender.gaps`).

The CLI prints them, ``--json`` dumps them, the CSV and the heatmap are drawn from
:attr:`GapReport.cells`: one set of numbers, so every output agrees.

Every metric is defined once, here, and in the README's gap section. Notation for one
skill *s* and one group *g* (``k`` is ``learners_per_teacher``, 1 by default):

- ``learners`` L: people who want *s* (a WANTS_TO_LEARN edge);
- ``demand`` D: the sum of their priorities (1 nice to have ... 5 essential);
- ``teachers`` T: people holding *s* at the teaching level (3) or above - the supply;
- ``met_in_group`` = min(L_g, k * T_g): learners a teacher of their own group can take;
- ``met_across_groups``: learners left unserved in their group who can be served by the
  spare teachers of *other* groups. Organisation-wide that pool is
  min(sum of unserved learners, sum of spare teacher places), where a group's spare places
  are k * T_g - met_in_group; when several groups compete for it, it is shared in
  proportion to each group's unserved learners;
- ``unmet_learners`` = L - met_in_group - met_across_groups; summed over the groups this
  is max(0, L - k * T), whatever the grouping;
- ``unmet_demand`` = unmet_learners * D / L over the whole organisation (the skill's
  average priority), so that the organisation's total does not depend on the grouping;
- ``coverage`` = (met_in_group + met_across_groups) / L, in [0, 1]; None when nobody
  wants the skill (no demand is neither covered nor uncovered);
- ``junior_to_senior``: senior learners (seniority >= 4) that junior teachers
  (seniority <= 2) could take, min(L_senior, k * T_junior) per skill; ``senior_to_junior``
  the reverse. A group's share is in proportion to its senior (resp. junior) learners.
  These are potentials, independent of the matching above: what the reverse (and the
  traditional) direction could carry if every such teacher took part.

Numbers that can be fractional (shares of a pool) are rounded to 2 decimals once, in the
service; every output shows those same values.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from recommender.errors import RecommenderError
from recommender.models import SkillRef

NOT_SET = "(not set)"
UNCATEGORISED = "(uncategorised)"


class GapReportError(RecommenderError, ValueError):
    """Input the gap report cannot use; the message says what is valid."""


class UnknownGrouping(GapReportError):
    def __init__(self, value: str) -> None:
        valid = ", ".join(g.value for g in GapGrouping)
        super().__init__(f"cannot group by {value!r}: choose one of {valid}")
        self.value = value


class UnknownGroup(GapReportError, LookupError):
    def __init__(self, group: str, grouping: GapGrouping, known: list[str]) -> None:
        shown = ", ".join(known[:20]) + (f" (and {len(known) - 20} more)" if len(known) > 20 else "")
        super().__init__(f"nobody is in {grouping.value} {group!r}; the {grouping.value} groups are: {shown}")
        self.group = group

    def __str__(self) -> str:
        # LookupError would quote the message again (KeyError-style); keep it one clean line.
        return str(self.args[0])


class EmptyReport(GapReportError):
    """Nothing to analyse: no employees, or nobody wants or can teach anything."""


class GapGrouping(StrEnum):
    """What the report groups people (or skills) by."""

    DEPARTMENT = "department"
    SENIORITY = "seniority"
    LOCATION = "location"
    #: Skill categories (the top level of the taxonomy). The "teams" are then the
    #: seniority bands, which are also the heatmap's columns.
    CATEGORY = "category"

    @classmethod
    def parse(cls, value: str | GapGrouping) -> GapGrouping:
        """The grouping named by ``value`` (case-insensitive), or :class:`UnknownGrouping`."""
        if isinstance(value, GapGrouping):
            return value
        try:
            return cls(value.strip().lower())
        except ValueError:
            raise UnknownGrouping(value) from None


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True)


class GapMetrics(_Result):
    """Demand, supply and how much of the demand can be met; see the module docstring."""

    learners: int = 0
    demand: int = 0
    teachers: int = 0
    met_in_group: float = 0.0
    met_across_groups: float = 0.0
    unmet_learners: float = 0.0
    unmet_demand: float = 0.0
    coverage: float | None = Field(default=None, description="(met_in_group + met_across_groups) / learners")
    junior_to_senior: float = 0.0
    senior_to_junior: float = 0.0


class SkillGap(GapMetrics):
    """One skill, organisation-wide (``group`` empty) or inside one group."""

    skill: SkillRef
    category: str
    group: str = ""


class GroupSummary(GapMetrics):
    """One group: its skills' metrics summed, its head count and its own top gaps."""

    group: str
    employees: int = Field(description="people in the group; 0 for a skill category")
    skills_wanted: int = 0
    top_gaps: list[SkillGap] = []


class GapCell(GapMetrics):
    """One heatmap cell: the skills of one category, for the people of one row group."""

    group: str
    category: str
    employees: int = Field(default=0, description="people in the row group")
    skills_wanted: int = 0


class AtRiskSkill(_Result):
    """A skill exactly one person holds: if they leave, the organisation loses it."""

    skill: SkillRef
    category: str
    employee_id: str
    group: str = Field(description="the holder's group in the report's grouping")
    level: int
    learners: int = Field(description="people who want the skill")
    demand: int


class CategoryFlow(_Result):
    """Mentoring that could flow between juniors and seniors in one skill category."""

    category: str
    junior_to_senior: float = Field(description="senior learners junior teachers could take")
    junior_to_senior_demand: float
    senior_to_junior: float = Field(description="junior learners senior teachers could take")
    senior_to_junior_demand: float


class GapTotals(GapMetrics):
    employees: int = 0
    skills_wanted: int = 0
    at_risk: int = Field(default=0, description="skills held by exactly one person")
    at_risk_wanted: int = Field(default=0, description="of those, skills somebody wants")


class GapReport(_Result):
    """The whole report. ``cells`` is the heatmap table (``cell_rows`` x ``categories``),
    also written as CSV; ``groups`` sums it by row group (by category for a category
    grouping); ``totals`` sums everything."""

    group_by: GapGrouping
    #: What the cells are grouped by (the heatmap's columns): the grouping field, or
    #: "seniority band" for a category report.
    cell_axis: str
    teaching_level: int
    learners_per_teacher: int
    junior_max: int
    senior_min: int
    totals: GapTotals
    groups: list[GroupSummary]
    cell_rows: list[str]
    categories: list[str]
    cells: list[GapCell]
    top_gaps: list[SkillGap]
    at_risk: list[AtRiskSkill]
    flows: list[CategoryFlow]

    @property
    def empty(self) -> bool:
        """No gaps to show: no employees, or nobody wants to learn anything."""
        return self.totals.employees == 0 or self.totals.learners == 0

    def group(self, name: str) -> GroupSummary:
        """The summary of one group, or :class:`UnknownGroup` listing the groups there are."""
        for summary in self.groups:
            if summary.group == name:
                return summary
        lowered = [g for g in self.groups if g.group.lower() == name.strip().lower()]
        if len(lowered) == 1:
            return lowered[0]
        raise UnknownGroup(name, self.group_by, [g.group for g in self.groups])
