"""In-memory index behind the embedded store's ranking walks (``rank_by_skills``).

Why: a ranking walk touches every holder (or learner) of a few hundred skills - a few
thousand edges at 10,000 employees, tens of thousands at 100,000. In SQL each edge costs
about a microsecond to join, filter and group, which alone is more than the
recommender's latency budget. Here the edges of each skill are read from SQLite once,
kept as numpy arrays together with the employee fields the walks filter on, and a walk
is a few vectorised operations.

Freshness: ``PRAGMA data_version`` on a dedicated, never-writing connection changes
whenever *any* other connection - another thread of this process or another process -
commits. Every walk checks it (a few microseconds) and drops the whole index when it
changed, so a walk never sees data older than the last commit before it started.

Memory: 5 bytes per cached edge (2 million HAS_SKILL edges at 100,000 employees is
~10 MB), plus each employee's id and filter fields, read in one scan when the index is
(re)built.

The same freshness rule keeps whole employee profiles (:meth:`WalkIndex.profiles`):
a recommendation reads a hundred of them, and decoding their skill rows was a quarter of
an API request's CPU. Profiles are immutable models, so threads share them; at most
:data:`MAX_PROFILES` are kept.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from graph.store import EmployeeFilter, RankedEmployee, SkillEdge, SkillTarget
from schema import Employee

#: Cached employee profiles at most (about 3 KB each); beyond it the cache starts again.
MAX_PROFILES = 20_000

# Rows per query when filling the index, to keep the json parameter small.
_FILL_CHUNK = 500
# Scores are rounded to this many decimals, as the Neo4j backend does.
_DECIMALS = 9

_EDGE_SQL = {
    SkillEdge.HAS_SKILL: (
        "SELECT skill_id, employee_id, level FROM has_skill "
        "WHERE skill_id IN (SELECT value FROM json_each(?)) ORDER BY skill_id"
    ),
    SkillEdge.WANTS_TO_LEARN: (
        "SELECT skill_id, employee_id, priority FROM wants_to_learn "
        "WHERE skill_id IN (SELECT value FROM json_each(?)) ORDER BY skill_id"
    ),
}
# Ordered by id, so an employee's number sorts like their id (ties in _top).
_EMPLOYEES_SQL = "SELECT id, opt_in, capacity, seniority, utc_offset FROM employee ORDER BY id"
# Every skill with at least one edge (``warm``).
_SKILLS_SQL = {
    SkillEdge.HAS_SKILL: "SELECT DISTINCT skill_id FROM has_skill",
    SkillEdge.WANTS_TO_LEARN: "SELECT DISTINCT skill_id FROM wants_to_learn",
}
# Per employee, how many edges of each value (1..5): the denominator of ``normalise``.
_TOTALS_SQL = {
    SkillEdge.HAS_SKILL: "SELECT employee_id, level, count(*) FROM has_skill GROUP BY employee_id, level",
    SkillEdge.WANTS_TO_LEARN: (
        "SELECT employee_id, priority, count(*) FROM wants_to_learn GROUP BY employee_id, priority"
    ),
}


@dataclass(frozen=True, slots=True)
class _Edges:
    """The edges into one skill: who (employee number) and at what level or priority."""

    employee: npt.NDArray[np.int32]
    value: npt.NDArray[np.int8]  # level or priority, 1..5


@dataclass(frozen=True, slots=True)
class _People:
    """The fields the walks filter on, indexed by employee number."""

    ids: list[str]
    numbers: dict[str, int]
    opt_in: npt.NDArray[np.bool_]
    capacity: npt.NDArray[np.int16]
    seniority: npt.NDArray[np.int8]
    utc_offset: npt.NDArray[np.float64]


_EMPTY = _Edges(employee=np.zeros(0, np.int32), value=np.zeros(0, np.int8))


class WalkIndex:
    """Cached edges per skill for :meth:`graph.sqlite_store.SqliteStore.rank_by_skills`.

    ``watch`` opens the change-detection connection (called on first use, so building
    the store does no I/O)."""

    def __init__(self, *, watch: Callable[[], sqlite3.Connection]) -> None:
        self._open_watch = watch
        self._watch: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._version: int | None = None
        self._people: _People | None = None
        self._edges: dict[SkillEdge, dict[str, _Edges]] = {edge: {} for edge in SkillEdge}
        self._value_counts: dict[SkillEdge, npt.NDArray[np.int32]] = {}
        self._profiles: dict[str, Employee] = {}

    # -- freshness -----------------------------------------------------------------------
    def _check(self) -> None:
        """Drop everything if any connection committed since the index was filled.
        Called with the lock held, *before* reading, so a commit racing with the read
        only makes the next walk refill."""
        if self._watch is None:
            self._watch = self._open_watch()
        version = int(self._watch.execute("PRAGMA data_version").fetchone()[0])
        if version != self._version:
            self._version = version
            self._people = None
            self._edges = {edge: {} for edge in SkillEdge}
            self._value_counts = {}
            self._profiles = {}

    def invalidate(self) -> None:
        with self._lock:
            self._version = None

    def _load_people(self, conn: sqlite3.Connection) -> _People:
        """Every employee's filter fields, once per generation of the index: one scan
        (~10 ms per 10,000 employees) instead of a join on every edge read."""
        rows = conn.execute(_EMPLOYEES_SQL).fetchall()
        ids = [row[0] for row in rows]
        columns = list(zip(*rows, strict=True)) if rows else [(), (), (), (), ()]
        people = _People(
            ids=ids,
            numbers={employee_id: number for number, employee_id in enumerate(ids)},
            opt_in=np.asarray(columns[1], np.bool_),
            capacity=np.asarray(columns[2], np.int16),
            seniority=np.asarray(columns[3], np.int8),
            utc_offset=np.asarray(columns[4], np.float64),
        )
        self._people = people
        return people

    def _fill(self, conn: sqlite3.Connection, edge: SkillEdge, skill_ids: Sequence[str], people: _People) -> None:
        cache = self._edges[edge]
        missing = sorted({s for s in skill_ids if s not in cache})
        numbers = people.numbers
        for start in range(0, len(missing), _FILL_CHUNK):
            chunk = missing[start : start + _FILL_CHUNK]
            rows = conn.execute(_EDGE_SQL[edge], (json.dumps(chunk),)).fetchall()
            for skill_id in chunk:
                cache[skill_id] = _EMPTY
            # An edge to an employee added after the people were loaded cannot exist: the
            # commit that added them changed data_version and emptied the index first.
            rows = [row for row in rows if row[1] in numbers]
            if not rows:
                continue
            skills, employees, values = zip(*rows, strict=True)
            employee = np.fromiter((numbers[e] for e in employees), np.int32, len(employees))
            value = np.asarray(values, np.int8)
            # Rows come ordered by skill: cut the columns where the skill changes.
            cuts = [0, *(i for i in range(1, len(skills)) if skills[i] != skills[i - 1]), len(skills)]
            for begin, end in itertools.pairwise(cuts):
                cache[skills[begin]] = _Edges(employee=employee[begin:end], value=value[begin:end])

    def _counts(self, conn: sqlite3.Connection, edge: SkillEdge, people: _People) -> npt.NDArray[np.int32]:
        """employee number x value 1..5 -> number of edges (for ``normalise``)."""
        counts = np.zeros((len(people.ids), 5), np.int32)
        for employee_id, value, count in conn.execute(_TOTALS_SQL[edge]):
            number = people.numbers.get(employee_id)
            if number is not None:
                counts[number, value - 1] = count
        self._value_counts[edge] = counts
        return counts

    def warm(self, conn: sqlite3.Connection) -> None:
        """Fill the whole edge index now (a server's start-up) instead of walk by walk."""
        with self._lock:
            self._check()
            people = self._people or self._load_people(conn)
            for edge, query in _SKILLS_SQL.items():
                self._fill(conn, edge, [row[0] for row in conn.execute(query)], people)

    # -- profiles ------------------------------------------------------------------------
    def profiles(
        self, employee_ids: Sequence[str], read: Callable[[list[str]], dict[str, Employee]]
    ) -> dict[str, Employee]:
        """The profiles of ``employee_ids`` that exist, by id in id order; ``read`` loads
        the ones not cached (outside the lock, so other threads are not held up)."""
        wanted = set(employee_ids)
        with self._lock:
            self._check()
            cached = self._profiles
            result = {i: cached[i] for i in wanted if i in cached}
        missing = sorted(wanted - result.keys())
        found = read(missing) if missing else {}
        result.update(found)
        with self._lock:
            if self._profiles is cached:  # not dropped by a commit meanwhile
                if len(cached) + len(found) > MAX_PROFILES:
                    cached.clear()
                cached.update(found)
        return {i: result[i] for i in sorted(result)}

    # -- the walk ------------------------------------------------------------------------
    def rank(
        self,
        *,
        conn: sqlite3.Connection,
        edge: SkillEdge,
        targets: Sequence[SkillTarget],
        factors: Sequence[float],
        where: EmployeeFilter,
        limit: int,
        normalise: bool,
    ) -> list[RankedEmployee]:
        factor = np.zeros(6, np.float64)
        factor[1:] = [float(f) for f in factors[:5]]
        allowed = np.ones(6, np.bool_)
        if where.seniorities is not None:
            allowed[:] = False
            for level in where.seniorities:
                if 1 <= level <= 5:
                    allowed[level] = True
        group_of: dict[str, int] = {}
        with self._lock:
            self._check()
            people = self._people or self._load_people(conn)
            self._fill(conn, edge, [t.skill_id for t in targets], people)
            cached = self._edges[edge]
            counts = None
            if normalise:
                counts = self._value_counts.get(edge)
                if counts is None:
                    counts = self._counts(conn, edge, people)

        blocked = np.zeros(len(people.ids), np.bool_)
        blocked[[people.numbers[i] for i in where.exclude_ids if i in people.numbers]] = True
        # All the targets' edges side by side, then one vectorised filter.
        parts = [(target, cached.get(target.skill_id, _EMPTY)) for target in targets]
        parts = [(target, edges) for target, edges in parts if len(edges.employee)]
        if not parts:
            return []
        lengths = [len(edges.employee) for _target, edges in parts]
        employee = np.concatenate([edges.employee for _t, edges in parts])
        value = np.concatenate([edges.value for _t, edges in parts])
        weight = np.repeat([target.weight for target, _e in parts], lengths) * factor[value]
        group = np.repeat([group_of.setdefault(target.group, len(group_of)) for target, _e in parts], lengths)
        utc = people.utc_offset[employee]
        keep = (
            (weight > 0)
            & allowed[people.seniority[employee]]
            & (people.capacity[employee] >= where.min_capacity)
            & (utc >= where.min_utc_offset)
            & (utc <= where.max_utc_offset)
            & ~blocked[employee]
        )
        if where.opt_in_only:
            keep &= people.opt_in[employee]
        if not keep.any():
            return []
        employee, weight, group = employee[keep], weight[keep], group[keep]
        # Best edge per (employee, group): sort by the pair, take the maximum of each run.
        key = employee.astype(np.int64) * len(group_of) + group
        order = np.argsort(key)  # (employee, group) keys are unique after the max: order-free
        key, weight, employee = key[order], weight[order], employee[order]
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        best = np.maximum.reduceat(weight, starts)
        owner = employee[starts]
        # Sum over groups per employee (owners are sorted, so runs again).
        firsts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
        total = np.add.reduceat(best, firsts)
        owners = owner[firsts]
        if normalise:
            assert counts is not None
            denominator = counts[owners] @ factor[1:]
            total = np.divide(total, denominator, out=np.zeros_like(total), where=denominator > 0)
        return _top(total, owners, people.ids, limit)


def _top(
    total: npt.NDArray[np.float64], people: npt.NDArray[np.int32], ids: Sequence[str], limit: int
) -> list[RankedEmployee]:
    """The ``limit`` best, rounded like the other backend, ties by employee id.

    numpy orders them (numbers follow ids, see ``_EMPLOYEES_SQL``); Python's ``round``
    then gives the exact scores the other backend returns. numpy's rounding may differ
    from Python's in the last digit, so everything within a hair of the cut is kept and
    the final sort, on nearly sorted tuples, settles any such difference."""
    rounded = np.round(total, _DECIMALS)
    positive = rounded > 0
    if not positive.any():
        return []
    rounded, total, people = rounded[positive], total[positive], people[positive]
    order = np.lexsort((people, -rounded))
    if len(order) > limit:
        cut = rounded[order[limit - 1]]
        order = order[rounded[order] >= cut - 1e-8]
    ranked = sorted(
        (-round(score, _DECIMALS), number)
        for score, number in zip(total[order].tolist(), people[order].tolist(), strict=True)
    )
    return [RankedEmployee(ids[number], -negative) for negative, number in ranked[:limit] if negative < 0]
