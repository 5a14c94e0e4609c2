"""The organisation-wide skill gap report: where the gaps are, and which of them the
organisation can close itself.

The store counts (``GraphStore.gap_counts``: one row per group and skill, aggregated in
SQL or Cypher), and this service turns those rows into the metrics defined in
:mod:`recommender.gap_models` - coverage, demand met inside a group and across groups,
unmet demand, knowledge held by one person, and the junior <-> senior flow - then sums
them per heatmap cell (group x skill category), per group and for the organisation.
Python only ever sees aggregated rows (at most groups x skills of them), never edges.

It also writes the table the heatmap shows as CSV and JSON; the heatmap itself is drawn
by :mod:`recommender.heatmap` from the same cells.
"""

from __future__ import annotations

import csv
import heapq
import io
import os
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from graph.store import GapCounts, GraphStore, GroupField, SoleHolder
from recommender.gap_models import (
    NOT_SET,
    UNCATEGORISED,
    AtRiskSkill,
    CategoryFlow,
    EmptyReport,
    GapCell,
    GapGrouping,
    GapReport,
    GapReportError,
    GapTotals,
    GroupSummary,
    SkillGap,
)
from recommender.models import SkillRef
from schema.models import TEACHING_LEVEL, Skill

#: Seniority bands of the flow metrics: juniors are levels 1-2, seniors 4-5 (1 entry
#: level ... 5 executive, the IBM HR JobLevel scale the demo organisation uses).
JUNIOR_MAX = 2
SENIOR_MIN = 4
#: Digits every fractional number is rounded to, once, before any output sees it.
DIGITS = 2
CSV_COLUMNS = (
    "group_by",
    "group",
    "category",
    "employees",
    "skills_wanted",
    "learners",
    "demand",
    "teachers",
    "met_in_group",
    "met_across_groups",
    "unmet_learners",
    "unmet_demand",
    "coverage",
    "junior_to_senior",
    "senior_to_junior",
)


def gap_report(
    *,
    store: GraphStore,
    group_by: GapGrouping | str = GapGrouping.DEPARTMENT,
    top: int = 10,
    teaching_level: int = TEACHING_LEVEL,
    learners_per_teacher: int = 1,
    junior_max: int = JUNIOR_MAX,
    senior_min: int = SENIOR_MIN,
) -> GapReport:
    """Build the gap report grouped by department, seniority, location or category.

    ``top`` bounds every ranked list (organisation-wide gaps, each group's gaps, skills at
    risk). ``learners_per_teacher`` is how many learners one teacher can take. An empty
    organisation gives an empty report (``report.empty``), not an error; an unknown
    grouping raises :class:`~recommender.gap_models.UnknownGrouping`.
    """
    grouping = GapGrouping.parse(group_by)
    _check(
        top=top,
        teaching_level=teaching_level,
        learners_per_teacher=learners_per_teacher,
        junior_max=junior_max,
        senior_min=senior_min,
    )
    bands = _Bands(junior_max=junior_max, senior_min=senior_min)
    if grouping is GapGrouping.CATEGORY:
        # One row per skill for the whole organisation, split into seniority bands here:
        # the bands are the "teams" of a category report and the heatmap's columns.
        counts = store.gap_counts(
            group_by=GroupField.NONE, teaching_level=teaching_level, junior_max=junior_max, senior_min=senior_min
        )
        rows = [band_row for row in counts for band_row in bands.split(row)]
        sizes = bands.sizes(store.group_sizes(group_by=GroupField.SENIORITY))
        holders = [
            SoleHolder(h.skill_id, h.employee_id, bands.label_of(int(h.group)), h.level)
            for h in store.sole_holders(group_by=GroupField.SENIORITY)
        ]
        row_order = [label for label in bands.labels if label in sizes]
    else:
        field_ = GroupField(grouping.value)
        rows = [
            _Row.of(row)
            for row in store.gap_counts(
                group_by=field_, teaching_level=teaching_level, junior_max=junior_max, senior_min=senior_min
            )
        ]
        sizes = {_group_label(name): n for name, n in store.group_sizes(group_by=field_).items()}
        holders = [
            SoleHolder(h.skill_id, h.employee_id, _group_label(h.group), h.level)
            for h in store.sole_holders(group_by=field_)
        ]
        row_order = sorted(sizes, key=_group_sort_key)
    return _Builder(
        grouping=grouping,
        cell_axis="seniority band" if grouping is GapGrouping.CATEGORY else grouping.value,
        k=learners_per_teacher,
        top=top,
        rows=rows,
        sizes=sizes,
        row_order=row_order,
        holders=holders,
        store=store,
        settings={
            "teaching_level": teaching_level,
            "learners_per_teacher": learners_per_teacher,
            "junior_max": junior_max,
            "senior_min": senior_min,
        },
    ).build()


def _check(*, top: int, teaching_level: int, learners_per_teacher: int, junior_max: int, senior_min: int) -> None:
    if top < 1:
        raise GapReportError(f"top must be at least 1, got {top}")
    if not 1 <= teaching_level <= 5:
        raise GapReportError(f"teaching level must be between 1 and 5, got {teaching_level}")
    if learners_per_teacher < 1:
        raise GapReportError(f"learners per teacher must be at least 1, got {learners_per_teacher}")
    if not 1 <= junior_max < senior_min <= 5:
        raise GapReportError(
            f"seniority bands need 1 <= junior max < senior min <= 5, got junior max {junior_max}, "
            f"senior min {senior_min}"
        )


# --------------------------------------------------------------------------------------
# rows and bands


@dataclass(frozen=True, slots=True)
class _Row:
    """One (group, skill) row from the store, with display labels for group and category."""

    group: str
    skill_id: str
    category: str
    learners: int
    demand: int
    teachers: int
    junior_learners: int
    junior_demand: int
    junior_teachers: int
    senior_learners: int
    senior_demand: int
    senior_teachers: int

    @classmethod
    def of(cls, row: GapCounts, group: str | None = None) -> _Row:
        return cls(
            _group_label(row.group) if group is None else group,
            row.skill_id,
            row.category or UNCATEGORISED,
            row.learners,
            row.demand,
            row.teachers,
            row.junior_learners,
            row.junior_demand,
            row.junior_teachers,
            row.senior_learners,
            row.senior_demand,
            row.senior_teachers,
        )


@dataclass(frozen=True)
class _Bands:
    junior_max: int
    senior_min: int

    @property
    def labels(self) -> list[str]:
        # No middle band when the junior and senior bands touch (e.g. 1-2 and 3-5).
        middle = [self.middle] if self.senior_min - self.junior_max > 1 else []
        return [self.junior, *middle, self.senior]

    @property
    def junior(self) -> str:
        return f"junior ({_levels(1, self.junior_max)})"

    @property
    def middle(self) -> str:
        return f"middle ({_levels(self.junior_max + 1, self.senior_min - 1)})"

    @property
    def senior(self) -> str:
        return f"senior ({_levels(self.senior_min, 5)})"

    def label_of(self, seniority: int) -> str:
        if seniority <= self.junior_max:
            return self.junior
        return self.senior if seniority >= self.senior_min else self.middle

    def sizes(self, by_level: Mapping[str, int]) -> dict[str, int]:
        sizes: dict[str, int] = defaultdict(int)
        for level, n in by_level.items():
            sizes[self.label_of(int(level))] += n
        return dict(sizes)

    def split(self, row: GapCounts) -> Iterable[_Row]:
        """The organisation-wide row of one skill as one row per band (empty bands left out)."""
        j = (row.junior_learners, row.junior_demand, row.junior_teachers)
        s = (row.senior_learners, row.senior_demand, row.senior_teachers)
        m = (row.learners - j[0] - s[0], row.demand - j[1] - s[1], row.teachers - j[2] - s[2])
        category = row.category or UNCATEGORISED
        for label, (learners, demand, teachers), junior, senior in (
            (self.junior, j, j, (0, 0, 0)),
            (self.middle, m, (0, 0, 0), (0, 0, 0)),
            (self.senior, s, (0, 0, 0), s),
        ):
            if learners or teachers:
                yield _Row(label, row.skill_id, category, learners, demand, teachers, *junior, *senior)


def _levels(low: int, high: int) -> str:
    return str(low) if low == high else f"{low}-{high}"


def _group_label(group: str) -> str:
    return group if group.strip() else NOT_SET


def _group_sort_key(group: str) -> tuple[int, str]:
    # "(not set)" last; numbers (seniority levels) sort as text correctly (1-5).
    return (group == NOT_SET, group.lower())


# --------------------------------------------------------------------------------------
# metrics


@dataclass(slots=True)
class _Sum:
    """Running sums of the metrics, unrounded."""

    learners: int = 0
    demand: int = 0
    teachers: int = 0
    met_in_group: float = 0.0
    met_across_groups: float = 0.0
    unmet_learners: float = 0.0
    unmet_demand: float = 0.0
    junior_to_senior: float = 0.0
    senior_to_junior: float = 0.0
    skills_wanted: int = 0

    def add(self, other: _Sum) -> None:
        self.learners += other.learners
        self.demand += other.demand
        self.teachers += other.teachers
        self.met_in_group += other.met_in_group
        self.met_across_groups += other.met_across_groups
        self.unmet_learners += other.unmet_learners
        self.unmet_demand += other.unmet_demand
        self.junior_to_senior += other.junior_to_senior
        self.senior_to_junior += other.senior_to_junior
        self.skills_wanted += other.skills_wanted

    def metrics(self) -> dict[str, float | int | None]:
        met_in, across = round(self.met_in_group, DIGITS), round(self.met_across_groups, DIGITS)
        return {
            "learners": self.learners,
            "demand": self.demand,
            "teachers": self.teachers,
            "met_in_group": met_in,
            "met_across_groups": across,
            "unmet_learners": round(self.unmet_learners, DIGITS),
            "unmet_demand": round(self.unmet_demand, DIGITS),
            # From the rounded parts, so that a reader can check it from the printed numbers.
            "coverage": round((met_in + across) / self.learners, 4) if self.learners else None,
            "junior_to_senior": round(self.junior_to_senior, DIGITS),
            "senior_to_junior": round(self.senior_to_junior, DIGITS),
        }


@dataclass(slots=True)
class _SkillResult:
    """Everything computed for one skill: its per-group metrics and its organisation total."""

    skill_id: str
    category: str
    per_group: dict[str, _Sum]
    total: _Sum
    junior_to_senior_demand: float
    senior_to_junior_demand: float


def _skill_metrics(skill_id: str, rows: Sequence[_Row], k: int) -> _SkillResult:
    """The metrics of one skill, per group and in total (definitions: ``gap_models``)."""
    learners = sum(r.learners for r in rows)
    demand = sum(r.demand for r in rows)
    met_in = [min(r.learners, k * r.teachers) for r in rows]
    unserved = [r.learners - m for r, m in zip(rows, met_in, strict=True)]
    spare = [k * r.teachers - m for r, m in zip(rows, met_in, strict=True)]
    total_unserved = sum(unserved)
    pool = min(total_unserved, sum(spare))
    average_priority = demand / learners if learners else 0.0

    senior_learners = sum(r.senior_learners for r in rows)
    junior_learners = sum(r.junior_learners for r in rows)
    to_seniors = min(senior_learners, k * sum(r.junior_teachers for r in rows))
    to_juniors = min(junior_learners, k * sum(r.senior_teachers for r in rows))

    per_group: dict[str, _Sum] = {}
    total = _Sum(skills_wanted=1 if learners else 0)
    for row, in_group, left in zip(rows, met_in, unserved, strict=True):
        across = pool * left / total_unserved if total_unserved else 0.0
        unmet = left - across
        metrics = _Sum(
            learners=row.learners,
            demand=row.demand,
            teachers=row.teachers,
            met_in_group=in_group,
            met_across_groups=across,
            unmet_learners=unmet,
            unmet_demand=unmet * average_priority,
            junior_to_senior=to_seniors * row.senior_learners / senior_learners if senior_learners else 0.0,
            senior_to_junior=to_juniors * row.junior_learners / junior_learners if junior_learners else 0.0,
            skills_wanted=1 if row.learners else 0,
        )
        per_group[row.group] = metrics
        total.add(metrics)
    total.skills_wanted = 1 if learners else 0
    senior_demand = sum(r.senior_demand for r in rows)
    junior_demand = sum(r.junior_demand for r in rows)
    return _SkillResult(
        skill_id=skill_id,
        category=rows[0].category,
        per_group=per_group,
        total=total,
        junior_to_senior_demand=to_seniors * senior_demand / senior_learners if senior_learners else 0.0,
        senior_to_junior_demand=to_juniors * junior_demand / junior_learners if junior_learners else 0.0,
    )


def _gap_key(metrics: _Sum, skill_id: str) -> tuple[float, int, str]:
    """Rank gaps: most unmet demand, then most demand, then skill id (stable on ties)."""
    return (-round(metrics.unmet_demand, DIGITS), -metrics.demand, skill_id)


@dataclass
class _Builder:
    grouping: GapGrouping
    cell_axis: str
    k: int
    top: int
    rows: list[_Row]
    sizes: dict[str, int]
    row_order: list[str]
    holders: list[SoleHolder]
    store: GraphStore
    settings: dict[str, int]
    _labels: dict[str, Skill] = field(default_factory=dict)

    def build(self) -> GapReport:
        by_skill: dict[str, list[_Row]] = defaultdict(list)
        for row in self.rows:
            by_skill[row.skill_id].append(row)
        results = [_skill_metrics(skill_id, rows, self.k) for skill_id, rows in by_skill.items()]

        cell_sums: dict[tuple[str, str], _Sum] = defaultdict(_Sum)
        category_totals: dict[str, _Sum] = defaultdict(_Sum)
        for result in results:
            category_totals[result.category].add(result.total)
            for group, metrics in result.per_group.items():
                cell_sums[group, result.category].add(metrics)

        # Columns: the categories with the most unmet demand first, where the eye starts.
        categories = sorted(category_totals, key=lambda c: (-round(category_totals[c].unmet_demand, DIGITS), c))
        row_order = self.row_order + sorted({g for g, _ in cell_sums} - set(self.row_order), key=_group_sort_key)
        cells = [
            GapCell(
                group=group,
                category=category,
                employees=self.sizes.get(group, 0),
                **self._cell_fields(cell_sums.get((group, category))),
            )
            for group in row_order
            for category in categories
        ]
        top_gaps = self._top_gaps(results)
        group_tops = self._group_top_gaps(results)
        at_risk = self._at_risk(results)
        self._load_labels(
            [g.skill_id for g in top_gaps]
            + [skill_id for tops in group_tops.values() for _, skill_id, _ in tops]
            + [h.skill_id for h in at_risk]
        )
        groups = self._groups(cells, row_order, categories, category_totals, group_tops)
        totals = self._totals(cells, results)
        by_id = {r.skill_id: r for r in results}
        return GapReport(
            group_by=self.grouping,
            cell_axis=self.cell_axis,
            teaching_level=self.settings["teaching_level"],
            learners_per_teacher=self.settings["learners_per_teacher"],
            junior_max=self.settings["junior_max"],
            senior_min=self.settings["senior_min"],
            totals=totals,
            groups=groups,
            cell_rows=row_order,
            categories=categories,
            cells=cells,
            top_gaps=[self._skill_gap(r.skill_id, r.category, r.total) for r in top_gaps],
            at_risk=[self._at_risk_model(h, by_id.get(h.skill_id)) for h in at_risk],
            flows=self._flows(results, cells, categories),
        )

    # -- pieces ------------------------------------------------------------------------
    @staticmethod
    def _cell_fields(metrics: _Sum | None) -> dict[str, float | int | None]:
        metrics = metrics or _Sum()
        return {**metrics.metrics(), "skills_wanted": metrics.skills_wanted}

    def _top_gaps(self, results: list[_SkillResult]) -> list[_SkillResult]:
        wanted = (r for r in results if round(r.total.unmet_demand, DIGITS) > 0)
        return heapq.nsmallest(self.top, wanted, key=lambda r: _gap_key(r.total, r.skill_id))

    def _group_top_gaps(self, results: list[_SkillResult]) -> dict[str, list[tuple[str, str, _Sum]]]:
        """Each group's own top gaps: (category, skill id, metrics) per group."""
        candidates: dict[str, list[tuple[str, str, _Sum]]] = defaultdict(list)
        for result in results:
            if self.grouping is GapGrouping.CATEGORY:
                # The groups are the categories: a category's gaps are its skills' totals.
                if round(result.total.unmet_demand, DIGITS) > 0:
                    candidates[result.category].append((result.category, result.skill_id, result.total))
                continue
            for group, metrics in result.per_group.items():
                if round(metrics.unmet_demand, DIGITS) > 0:
                    candidates[group].append((result.category, result.skill_id, metrics))
        return {
            group: heapq.nsmallest(self.top, items, key=lambda item: _gap_key(item[2], item[1]))
            for group, items in candidates.items()
        }

    def _at_risk(self, results: list[_SkillResult]) -> list[SoleHolder]:
        totals = {r.skill_id: r.total for r in results}

        def key(holder: SoleHolder) -> tuple[int, int, str]:
            metrics = totals.get(holder.skill_id)
            return (-(metrics.demand if metrics else 0), -(metrics.learners if metrics else 0), holder.skill_id)

        return heapq.nsmallest(self.top, self.holders, key=key)

    def _load_labels(self, skill_ids: list[str]) -> None:
        unique = sorted(set(skill_ids))
        self._labels = self.store.get_skills(skill_ids=unique) if unique else {}

    def _skill_gap(self, skill_id: str, category: str, metrics: _Sum, group: str = "") -> SkillGap:
        return SkillGap(
            skill=SkillRef.of(self._labels.get(skill_id), skill_id),
            category=category,
            group=group,
            **metrics.metrics(),
        )

    def _at_risk_model(self, holder: SoleHolder, result: _SkillResult | None) -> AtRiskSkill:
        skill = self._labels.get(holder.skill_id)
        category = result.category if result else ((skill.category if skill else "") or UNCATEGORISED)
        return AtRiskSkill(
            skill=SkillRef.of(skill, holder.skill_id),
            category=category,
            employee_id=holder.employee_id,
            group=holder.group,
            level=holder.level,
            learners=result.total.learners if result else 0,
            demand=result.total.demand if result else 0,
        )

    def _groups(
        self,
        cells: list[GapCell],
        row_order: list[str],
        categories: list[str],
        category_totals: dict[str, _Sum],
        group_tops: dict[str, list[tuple[str, str, _Sum]]],
    ) -> list[GroupSummary]:
        """Group summaries, summed from the (rounded) cells so that they agree to the cent."""
        by_category = self.grouping is GapGrouping.CATEGORY
        names = categories if by_category else row_order
        sums: dict[str, _Sum] = {name: _Sum() for name in names}
        for cell in cells:
            sums[cell.category if by_category else cell.group].add(_from_model(cell))
        summaries = []
        for name in names:
            fields = sums[name].metrics()
            skills_wanted = category_totals[name].skills_wanted if by_category else sums[name].skills_wanted
            tops = [
                self._skill_gap(skill_id, category, metrics, group=name)
                for category, skill_id, metrics in group_tops.get(name, [])
            ]
            summaries.append(
                GroupSummary(
                    group=name,
                    employees=0 if by_category else self.sizes.get(name, 0),
                    skills_wanted=skills_wanted,
                    top_gaps=tops,
                    **fields,
                )
            )
        return summaries

    def _totals(self, cells: list[GapCell], results: list[_SkillResult]) -> GapTotals:
        total = _Sum()
        for cell in cells:
            total.add(_from_model(cell))
        wanted = {r.skill_id for r in results if r.total.learners}
        return GapTotals(
            employees=sum(self.sizes.values()),
            at_risk=len(self.holders),
            at_risk_wanted=sum(1 for h in self.holders if h.skill_id in wanted),
            **{**total.metrics(), "skills_wanted": len(wanted)},
        )

    @staticmethod
    def _flows(results: list[_SkillResult], cells: list[GapCell], categories: list[str]) -> list[CategoryFlow]:
        """Flows per category. The learner counts are summed from the (rounded) cells, like
        every other total, so that they agree with the table and the CSV to the cent."""
        sums: dict[str, list[float]] = {c: [0.0, 0.0, 0.0, 0.0] for c in categories}
        for cell in cells:
            sums[cell.category][0] += cell.junior_to_senior
            sums[cell.category][2] += cell.senior_to_junior
        for r in results:
            sums[r.category][1] += r.junior_to_senior_demand
            sums[r.category][3] += r.senior_to_junior_demand
        return [
            CategoryFlow(
                category=c,
                junior_to_senior=round(v[0], DIGITS),
                junior_to_senior_demand=round(v[1], DIGITS),
                senior_to_junior=round(v[2], DIGITS),
                senior_to_junior_demand=round(v[3], DIGITS),
            )
            for c, v in sums.items()
        ]


def _from_model(model: GapCell) -> _Sum:
    return _Sum(
        learners=model.learners,
        demand=model.demand,
        teachers=model.teachers,
        met_in_group=model.met_in_group,
        met_across_groups=model.met_across_groups,
        unmet_learners=model.unmet_learners,
        unmet_demand=model.unmet_demand,
        junior_to_senior=model.junior_to_senior,
        senior_to_junior=model.senior_to_junior,
        skills_wanted=model.skills_wanted,
    )


# --------------------------------------------------------------------------------------
# CSV and JSON


def cells_csv(report: GapReport) -> str:
    """The heatmap table as CSV: one line per (group, category) cell, in the report's
    order; empty coverage where nobody wants the category's skills."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for cell in report.cells:
        writer.writerow(
            [
                report.cell_axis,
                cell.group,
                cell.category,
                cell.employees,
                cell.skills_wanted,
                cell.learners,
                cell.demand,
                cell.teachers,
                cell.met_in_group,
                cell.met_across_groups,
                cell.unmet_learners,
                cell.unmet_demand,
                "" if cell.coverage is None else cell.coverage,
                cell.junior_to_senior,
                cell.senior_to_junior,
            ]
        )
    return buffer.getvalue()


def write_csv(*, report: GapReport, path: Path | str) -> Path:
    """Write :func:`cells_csv` to ``path`` atomically; :class:`EmptyReport` if there is nothing."""
    if report.empty:
        raise EmptyReport("nothing to write: the report is empty")
    return write_atomically(path=Path(path), data=cells_csv(report).encode("utf-8"))


def report_json(report: GapReport) -> str:
    return report.model_dump_json(indent=2)


def write_atomically(*, path: Path, data: bytes) -> Path:
    """Write through a temporary file in the same folder and rename it into place, so a
    crash or a full disk never leaves a half-written file under the user's name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
