"""Cohort matching: a whole programme paired at once, reviewed by HR, then published.

The service behind ``mentorgraph match`` (and the API's cohort routes):

1. :func:`read_cohort` reads a cohort file (CSV or JSON, see the README) and rejects
   duplicate ids, contradictory must/never pairs and malformed cells, each with its line;
2. :func:`propose` resolves the participants against the store (unknown ids are listed
   with their lines), places "either" participants on a side (:func:`split_sides`), builds
   the rules (reporting chain at any depth, previous pairings, time zones, optional
   same-department ban, never-pairs) and the two benefit matrices, solves the whole cohort
   with :func:`recommender.matching.solve`, and explains every pair and every unmatched
   person;
3. :func:`review` locks, removes or swaps pairs and optionally re-runs the rest;
4. :func:`publish` writes the pairs as active :class:`schema.Pairing` nodes, which every
   later proposal treats as previous pairings; :func:`add_feedback` records each partner's
   feedback on them.

Benefit matrices
----------------
How much learner ``l`` gains from teacher ``t`` is the pairwise recommender's direction
score (:func:`recommender.scoring.score_direction`, see :class:`ProgrammePolicy`)::

    score(l, t) = sum_g  w_l(g) * max_h  Q[g, h] * F[t, h]

with ``w_l(g)`` the goal's priority weight over the sum of ``l``'s weights, ``Q[g, h]``
how well skill ``h`` meets goal ``g`` (exact, SIMILAR_TO cosine, taxonomy relation: the
recommender's own :func:`recommender.scoring.near_goals`) and ``F[t, h]`` the level factor
of ``t``'s level in ``h``. The inner max is a max-product of two sparse matrices, computed
as one vectorised join (every teacher skill against the goals it meets) reduced with
``np.maximum.at``; the outer sum is a sparse x dense product. No Python loop runs over
pairs: 1,000 x 1,000 takes well under a second. In reverse mentoring the junior teaches the
senior's *digital* goals only, exactly as :func:`recommender.pairing.recommend` restricts
that direction.

Why proposals are JSON files and not ``proposed`` pairings in the store: a proposal is
much more than its pairs (locks, removed pairs, the rules and options it was made with,
unmatched people and why), which ``Pairing`` cannot hold; and proposed pairings in the
graph would already count as "previous partners" for the pairwise recommender and the next
proposal, hiding people before HR has decided anything. A file next to the cohort survives
between CLI runs, can be diffed and mailed, and needs no store write until publish, which
re-checks the store for pairings published in between.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import statistics
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydantic import ValidationError
from scipy import sparse

from graph.store import GraphStore
from recommender.cohort_models import (
    Cohort,
    CohortEntry,
    CohortError,
    CohortProblem,
    MatchOptions,
    MatchStats,
    Objective,
    PairingNotFound,
    PairRule,
    Participant,
    Proposal,
    ProposalError,
    ProposalStatus,
    ProposedPair,
    PublishResult,
    ReviewStep,
    Role,
    Rule,
    RuleCount,
    Side,
    Unmatched,
    UnmatchedReason,
)
from recommender.matching import MatchInputError, MatchProblem, mutual_score, solve
from recommender.models import DirectionScore, PersonRef
from recommender.pairing import digital_goals_only, direction_model
from recommender.policy import PRIORITY_WEIGHTS, MentoringDirection, ProgrammePolicy
from recommender.scoring import Direction, NearMap, load_neighbourhood, near_goals, score_direction
from schema.models import ID_PATTERN, Employee, Pairing, PairingFeedback, PairingStatus, Skill

__all__ = [
    "CohortContext",
    "SkillSpace",
    "add_feedback",
    "build_context",
    "default_proposal_path",
    "direction_matrix",
    "get_pairing_or_raise",
    "list_pairings",
    "load_proposal",
    "load_skill_space",
    "pairing_id",
    "parse_cohort",
    "parse_pair",
    "propose",
    "publish",
    "read_cohort",
    "review",
    "save_proposal",
    "split_sides",
]

F64 = NDArray[np.float64]
Mask = NDArray[np.bool_]

DEFAULT_POLICY = ProgrammePolicy()
_ID = re.compile(ID_PATTERN)
_LIST_SPLIT = re.compile(r"[;,\s]+")
#: Columns (CSV) and keys (JSON) of a participant; "name" and "comment" are for people
#: reading the file and are ignored.
_FIELDS = ("id", "role", "capacity", "must_pair", "never_pair")
_IGNORED_FIELDS = ("name", "comment")
#: Entries of the max-product join handled per chunk: bounds the transient memory
#: (about 40 bytes an entry) whatever the cohort size.
_JOIN_CHUNK = 2_000_000


# ======================================================================================
# reading the cohort file


def read_cohort(*, path: Path | str, programme: str = "") -> Cohort:
    """Read and check a cohort file (``.csv`` or ``.json``; other names are sniffed).

    Raises :class:`CohortError` listing every problem with its line: malformed cells,
    duplicate ids, must/never pairs naming someone outside the cohort, a pair both required
    and forbidden, an empty cohort or a cohort of one.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CohortError(f"cannot read the cohort file {str(path)!r}: {exc.strerror or exc}") from exc
    return parse_cohort(data=raw, name=path.name, programme=programme, source=str(path))


def parse_cohort(*, data: bytes, name: str, programme: str = "", source: str = "") -> Cohort:
    """:func:`read_cohort` for content that is not in a file (an upload, a request body):
    ``name`` tells the format (``.csv`` / ``.json``, else sniffed) and names it in messages."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CohortError(f"{name} is not UTF-8 text (byte {exc.start})") from exc
    suffix = Path(name).suffix.lower()
    is_json = suffix == ".json" or (suffix != ".csv" and text.lstrip()[:1] in ("{", "["))
    file_programme, rows = _json_rows(text, name) if is_json else ("", _csv_rows(text, name))
    entries, problems = _entries(rows)
    must, never = _pair_rules(entries, problems)
    if problems:
        raise CohortError(f"{name} has {len(problems)} problem(s)", problems)
    if not entries:
        raise CohortError(f"{name} lists nobody: add one participant per line (id, role, capacity)")
    if len(entries) == 1:
        only = entries[0]
        raise CohortError(
            f"{name} lists only {only.id} (line {only.line}): a pairing needs at least one senior "
            "and one junior (or two 'either' participants)"
        )
    return Cohort(
        programme=programme or file_programme or Path(name).stem,
        source=source or name,
        sha256=hashlib.sha256(data).hexdigest(),
        participants=tuple(entries),
        must_pairs=tuple(must),
        never_pairs=tuple(never),
    )


# A raw participant: its line and its fields as written (strings or JSON values).
_Row = tuple[int, dict[str, Any]]


def _norm_key(key: str) -> str:
    return re.sub(r"[\s\-]+", "_", key.strip().lower())


def _csv_rows(text: str, name: str) -> list[_Row]:
    lines = text.splitlines()
    # Comment lines ('#...') and blank lines are dropped, but line numbers stay those of the file.
    kept = [(n, line) for n, line in enumerate(lines, 1) if line.strip() and not line.lstrip().startswith("#")]
    if not kept:
        return []
    reader = csv.reader(io.StringIO("\n".join(line for _n, line in kept)))
    rows = list(reader)
    header_line, header = kept[0][0], [_norm_key(cell) for cell in rows[0]]
    unknown = [h for h in header if h not in _FIELDS + _IGNORED_FIELDS]
    missing = [h for h in ("id", "role") if h not in header]
    if unknown or missing:
        parts = []
        if missing:
            parts.append(f"missing column(s) {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown column(s) {', '.join(repr(u) for u in unknown)}")
        raise CohortError(
            f"{name} line {header_line}: {'; '.join(parts)} (the header is id,role,capacity,must_pair,never_pair)"
        )
    if len(rows) != len(kept):
        raise CohortError(f"{name}: a quoted cell spans several lines; keep one participant per line")
    out: list[_Row] = []
    for (line_no, _line), cells in zip(kept[1:], rows[1:], strict=True):
        if len(cells) > len(header):
            extra = ", ".join(repr(c) for c in cells[len(header) :] if c.strip())
            if extra:
                out.append((line_no, {"__error__": f"more cells than columns ({extra})"}))
                continue
        out.append((line_no, {key: (cells[i] if i < len(cells) else "") for i, key in enumerate(header)}))
    return out


def _json_rows(text: str, name: str) -> tuple[str, list[_Row]]:
    """Participants of a JSON cohort with the line each object starts on.

    ``json.loads`` keeps no positions, so the document is walked with ``raw_decode``: the
    top-level object key by key, then the participants array element by element.
    """
    decoder = json.JSONDecoder()

    def fail(pos: int, message: str) -> CohortError:
        return CohortError(f"{name} line {text.count(chr(10), 0, pos) + 1}: {message}")

    def skip(pos: int) -> int:
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        return pos

    def value(pos: int) -> tuple[Any, int]:
        try:
            return decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise fail(exc.pos, f"invalid JSON: {exc.msg}") from exc

    def array(pos: int) -> tuple[list[_Row], int]:
        if text[pos : pos + 1] != "[":
            raise fail(pos, '"participants" must be a list of objects')
        pos = skip(pos + 1)
        rows: list[_Row] = []
        if text[pos : pos + 1] == "]":
            return rows, pos + 1
        while True:
            line = text.count("\n", 0, pos) + 1
            item, pos = value(pos)
            if not isinstance(item, dict):
                rows.append((line, {"__error__": f"a participant must be an object, got {json.dumps(item)[:40]}"}))
            else:
                rows.append((line, {_norm_key(str(k)): v for k, v in item.items()}))
            pos = skip(pos)
            if text[pos : pos + 1] == ",":
                pos = skip(pos + 1)
                continue
            if text[pos : pos + 1] == "]":
                return rows, pos + 1
            raise fail(pos, "expected ',' or ']' in the participants list")

    pos = skip(0)
    if text[pos : pos + 1] == "[":
        rows, pos = array(pos)
        programme = ""
    elif text[pos : pos + 1] == "{":
        pos = skip(pos + 1)
        programme, rows_found = "", None
        while text[pos : pos + 1] != "}":
            key, pos = value(pos)
            pos = skip(pos)
            if not isinstance(key, str) or text[pos : pos + 1] != ":":
                raise fail(pos, "invalid JSON: expected a key and ':'")
            pos = skip(pos + 1)
            if key == "participants":
                rows_found, pos = array(pos)
            else:
                start = pos
                found, pos = value(pos)
                if key == "programme":
                    if not isinstance(found, str):
                        raise fail(start, '"programme" must be a string')
                    programme = found.strip()
                else:
                    raise fail(start, f"unknown key {key!r} (expected programme, participants)")
            pos = skip(pos)
            if text[pos : pos + 1] == ",":
                pos = skip(pos + 1)
            elif text[pos : pos + 1] != "}":
                raise fail(pos, "invalid JSON: expected ',' or '}'")
        pos += 1
        if rows_found is None:
            raise fail(0, 'no "participants" list')
        rows = rows_found
    else:
        raise fail(pos, "a JSON cohort is an object with a participants list, or a list of participants")
    if skip(pos) != len(text):
        raise fail(skip(pos), "invalid JSON: extra data after the document")
    return programme, rows


def _id_list(value: Any) -> tuple[list[str], str | None]:
    if value is None or value == "":
        return [], None
    if isinstance(value, str):
        return [part for part in _LIST_SPLIT.split(value.strip()) if part], None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [v.strip() for v in value if v.strip()], None
    return [], f"must be a list of ids, got {json.dumps(value)[:40]}"


def _entries(rows: Sequence[_Row]) -> tuple[list[CohortEntry], list[CohortProblem]]:
    problems: list[CohortProblem] = []
    entries: list[CohortEntry] = []
    first_line: dict[str, int] = {}

    def problem(line: int, message: str, person: str | None = None) -> None:
        problems.append(CohortProblem(line=line, message=message, person_id=person))

    for line, row in rows:
        if "__error__" in row:
            problem(line, str(row["__error__"]))
            continue
        unknown = sorted(k for k in row if k not in _FIELDS + _IGNORED_FIELDS)
        if unknown:
            problem(line, f"unknown field(s) {', '.join(unknown)} (expected {', '.join(_FIELDS)})")
            continue
        raw_id = row.get("id")
        pid = raw_id.strip() if isinstance(raw_id, str) else ""
        if not pid or not _ID.match(pid):
            problem(line, f"id {raw_id!r} is not a valid employee id")
            continue
        ok = True
        raw_role = row.get("role")
        role_text = raw_role.strip().lower() if isinstance(raw_role, str) else ""
        if role_text not in {r.value for r in Role}:
            problem(line, f"{pid}: role {raw_role!r} must be senior, junior or either", pid)
            ok = False
        capacity: int | None = None
        raw_cap = row.get("capacity")
        if raw_cap is not None and raw_cap != "":
            text = str(raw_cap).strip()
            if isinstance(raw_cap, bool) or not re.fullmatch(r"\d{1,2}", text) or int(text) > 20:
                problem(line, f"{pid}: capacity {raw_cap!r} must be a whole number from 0 to 20", pid)
                ok = False
            else:
                capacity = int(text)
        lists: dict[str, list[str]] = {}
        for key in ("must_pair", "never_pair"):
            ids, error = _id_list(row.get(key))
            if error:
                problem(line, f"{pid}: {key} {error}", pid)
                ok = False
            bad = [i for i in ids if not _ID.match(i)]
            if bad:
                problem(line, f"{pid}: {key} has invalid id(s) {', '.join(map(repr, bad))}", pid)
                ok = False
            if pid in ids:
                problem(line, f"{pid}: lists itself in {key}", pid)
                ok = False
            lists[key] = list(dict.fromkeys(ids))
        if pid in first_line:
            problem(line, f"{pid} is listed twice (first on line {first_line[pid]})", pid)
            continue
        first_line[pid] = line
        if ok:
            entries.append(
                CohortEntry(
                    id=pid,
                    role=Role(role_text),
                    capacity=capacity,
                    must_pair=tuple(lists["must_pair"]),
                    never_pair=tuple(lists["never_pair"]),
                    line=line,
                )
            )
    return entries, problems


def _pair_rules(entries: Sequence[CohortEntry], problems: list[CohortProblem]) -> tuple[list[PairRule], list[PairRule]]:
    """Must and never pairs, each once (listing a pair on both rows is fine), checked
    against each other and against the cohort."""
    members = {e.id for e in entries}
    rules: dict[str, dict[frozenset[str], PairRule]] = {"must_pair": {}, "never_pair": {}}
    for entry in entries:
        for key, ids in (("must_pair", entry.must_pair), ("never_pair", entry.never_pair)):
            for other in ids:
                if other not in members:
                    problems.append(
                        CohortProblem(
                            line=entry.line,
                            person_id=entry.id,
                            message=f"{entry.id}: {key} {other} is not a participant of this cohort",
                        )
                    )
                    continue
                rules[key].setdefault(
                    frozenset((entry.id, other)), PairRule(first=entry.id, second=other, line=entry.line)
                )
    for pair, rule in rules["must_pair"].items():
        clash = rules["never_pair"].get(pair)
        if clash is not None:
            lines = sorted({rule.line, clash.line})
            where = f"line {lines[0]}" if len(lines) == 1 else f"lines {lines[0]} and {lines[1]}"
            problems.append(
                CohortProblem(
                    line=max(rule.line, clash.line),
                    person_id=rule.first,
                    message=f"{rule.first} and {rule.second} are both a must-pair and a never-pair ({where})",
                )
            )
    return list(rules["must_pair"].values()), list(rules["never_pair"].values())


# ======================================================================================
# sides


def split_sides(
    *, entries: Sequence[CohortEntry], employees: Mapping[str, Employee], must_pairs: Sequence[PairRule] = ()
) -> dict[str, Side]:
    """Place every participant on the senior or the junior side, deterministically.

    Fixed roles stay. An "either" participant goes opposite a must-pair partner whose role
    is fixed; otherwise above the cohort's median seniority (over all participants) is
    senior, below is junior, and people *at* the median are dealt, in id order, to the
    side with the smaller total capacity so far (junior on a tie), which keeps the sides
    balanced. Two "either" participants who must pair and landed on the same side are
    separated: the less senior (then the larger id) moves to the junior side.
    """
    side: dict[str, Side] = {}
    for entry in entries:
        if entry.role is Role.SENIOR:
            side[entry.id] = Side.SENIOR
        elif entry.role is Role.JUNIOR:
            side[entry.id] = Side.JUNIOR
    either = sorted((e for e in entries if e.role is Role.EITHER), key=lambda e: e.id)
    if not either:
        return side
    partners: dict[str, list[str]] = {}
    for rule in must_pairs:
        partners.setdefault(rule.first, []).append(rule.second)
        partners.setdefault(rule.second, []).append(rule.first)
    flip = {Side.SENIOR: Side.JUNIOR, Side.JUNIOR: Side.SENIOR}
    for entry in either:
        fixed = {side[p] for p in partners.get(entry.id, ()) if p in side}
        if len(fixed) == 1:
            side[entry.id] = flip[fixed.pop()]
    median = statistics.median(employees[e.id].seniority for e in entries)
    by_id = {e.id: e for e in entries}

    def capacity(pid: str) -> int:
        declared = by_id[pid].capacity
        return employees[pid].capacity if declared is None else declared

    load = {Side.SENIOR: 0, Side.JUNIOR: 0}
    for pid, s in side.items():
        load[s] += capacity(pid)
    ties = []
    for entry in either:
        if entry.id in side:
            continue
        seniority = employees[entry.id].seniority
        if seniority == median:
            ties.append(entry.id)
            continue
        side[entry.id] = Side.SENIOR if seniority > median else Side.JUNIOR
        load[side[entry.id]] += capacity(entry.id)
    for pid in ties:
        chosen = Side.SENIOR if load[Side.SENIOR] < load[Side.JUNIOR] else Side.JUNIOR
        side[pid] = chosen
        load[chosen] += capacity(pid)
    for rule in must_pairs:
        a, b = rule.first, rule.second
        if by_id[a].role is Role.EITHER and by_id[b].role is Role.EITHER and side[a] == side[b]:
            lower = min((a, b), key=lambda p: (employees[p].seniority, [-ord(c) for c in p]))
            higher = b if lower == a else a
            side[lower], side[higher] = Side.JUNIOR, Side.SENIOR
    return side


# ======================================================================================
# benefit matrices


@dataclass(frozen=True, kw_only=True)
class SkillSpace:
    """The skill graph around a cohort's goals: which skills meet each goal and how well
    (the recommender's :func:`near_goals`), and the goal skills themselves (digital flags)."""

    near: NearMap
    skills: dict[str, Skill]


def load_skill_space(
    *, store: GraphStore, employees: Iterable[Employee], policy: ProgrammePolicy = DEFAULT_POLICY
) -> SkillSpace:
    """Four batched store calls whatever the cohort's size."""
    goal_ids = sorted({g.skill_id for e in employees for g in e.goals})
    if not goal_ids:
        return SkillSpace(near={}, skills={})
    hood = load_neighbourhood(store=store, skill_ids=goal_ids, policy=policy)
    return SkillSpace(
        near=near_goals(goal_ids=goal_ids, hood=hood, policy=policy),
        skills=store.get_skills(skill_ids=goal_ids),
    )


def direction_matrix(
    *,
    learners: Sequence[Employee],
    teachers: Sequence[Employee],
    space: SkillSpace,
    policy: ProgrammePolicy = DEFAULT_POLICY,
    digital_only: bool = False,
) -> F64:
    """``out[l, t]``: what ``learners[l]`` gains from ``teachers[t]``, equal (to the 6
    decimals both round to) to ``score_direction(learner=l, teacher=t, ...)``, with the
    reverse-mentoring filter ``digital_goals_only`` when ``digital_only``.

    Built from three sparse matrices: goal weights ``W[l, g]`` (priority weight over the
    learner's total, so the normalisation is the recommender's), match quality ``Q[g, h]``
    and teaching factors ``F[t, h]``; ``out = W @ maxprod(Q, F)``.
    """
    n_l, n_t = len(learners), len(teachers)
    goal_index: dict[str, int] = {}
    w_rows: list[int] = []
    w_cols: list[int] = []
    w_vals: list[float] = []
    for row, learner in enumerate(learners):
        total = sum(PRIORITY_WEIGHTS[g.priority - 1] for g in learner.goals)
        for goal in learner.goals:
            if digital_only:
                skill = space.skills.get(goal.skill_id)
                if skill is None or not skill.digital:
                    continue  # not taught in this direction, but still counted in ``total``
            w_rows.append(row)
            w_cols.append(goal_index.setdefault(goal.skill_id, len(goal_index)))
            w_vals.append(PRIORITY_WEIGHTS[goal.priority - 1] / total)
    skill_index: dict[str, int] = {}
    f_rows: list[int] = []
    f_cols: list[int] = []
    f_vals: list[float] = []
    for row, teacher in enumerate(teachers):
        for held in teacher.skills:
            factor = policy.level_factor(held.level)
            if factor > 0:
                f_rows.append(row)
                f_cols.append(skill_index.setdefault(held.skill_id, len(skill_index)))
                f_vals.append(factor)
    n_g, n_h = len(goal_index), len(skill_index)
    if n_l == 0 or n_t == 0 or n_g == 0 or n_h == 0:
        return np.zeros((n_l, n_t), dtype=np.float64)
    q_rows: list[int] = []
    q_cols: list[int] = []
    q_vals: list[float] = []
    for goal_id, g in goal_index.items():
        for skill_id, near in space.near.get(goal_id, {}).items():
            h = skill_index.get(skill_id)
            if h is not None and near.quality > 0:
                q_rows.append(g)
                q_cols.append(h)
                q_vals.append(near.quality)
    weights = sparse.csr_array((w_vals, (w_rows, w_cols)), shape=(n_l, n_g), dtype=np.float64)
    quality = sparse.csc_array((q_vals, (q_rows, q_cols)), shape=(n_g, n_h), dtype=np.float64)
    factors = sparse.csc_array((f_vals, (f_rows, f_cols)), shape=(n_t, n_h), dtype=np.float64)
    best = _max_product(quality, factors)
    out = np.asarray(weights @ best, dtype=np.float64)
    # The recommender rounds each direction score to 6 decimals; so do we.
    np.round(out, 6, out=out)
    return out


def _max_product(quality: sparse.csc_array, factors: sparse.csc_array) -> F64:
    """``out[g, t] = max_h quality[g, h] * factors[t, h]`` (dense ``[n_goals, n_teachers]``).

    Every (teacher, skill) entry is joined with the goals that skill meets: a ragged
    cartesian product built with ``np.repeat`` and reduced by ``np.maximum.at``, in chunks
    of about ``_JOIN_CHUNK`` entries.
    """
    n_g, n_t = quality.shape[0], factors.shape[0]
    out = np.zeros((n_g, n_t), dtype=np.float64)
    q_ptr = quality.indptr.astype(np.int64)
    per_skill = np.diff(q_ptr)
    f_skill = np.repeat(np.arange(factors.shape[1], dtype=np.int64), np.diff(factors.indptr))
    f_teacher = factors.indices.astype(np.int64)
    f_value = factors.data
    reps = per_skill[f_skill]
    keep = reps > 0
    f_skill, f_teacher, f_value, reps = f_skill[keep], f_teacher[keep], f_value[keep], reps[keep]
    ends = np.cumsum(reps)
    start = 0
    while start < reps.size:
        # Entries [start, stop) expand to at most about _JOIN_CHUNK join rows.
        base = int(ends[start - 1]) if start else 0
        stop = max(int(np.searchsorted(ends, base + _JOIN_CHUNK, side="right")), start + 1)
        r = reps[start:stop]
        n = int(r.sum())
        offsets = np.arange(n, dtype=np.int64) - np.repeat(np.cumsum(r) - r, r)
        pos = np.repeat(q_ptr[f_skill[start:stop]], r) + offsets
        values = np.repeat(f_value[start:stop], r) * quality.data[pos]
        np.maximum.at(out, (quality.indices[pos], np.repeat(f_teacher[start:stop], r)), values)
        start = stop
    return out


# ======================================================================================
# the resolved cohort: people, rules and benefits


@dataclass(kw_only=True)
class CohortContext:
    """Everything a run needs, in matrix form (seniors are rows, juniors columns)."""

    programme: str
    options: MatchOptions
    policy: ProgrammePolicy
    entries: dict[str, CohortEntry]
    side: dict[str, Side]
    seniors: list[Employee]
    juniors: list[Employee]
    cap_s: NDArray[np.int64]
    cap_j: NDArray[np.int64]
    active: dict[str, int]  # active pairings each person already has (other programmes)
    teach_sj: F64  # [s, j]: what senior s teaches junior j
    teach_js: F64  # [s, j]: what junior j teaches senior s
    rules: dict[Rule, Mask]  # pair rules, each [s, j]
    forbidden: Mask
    space: SkillSpace
    store: GraphStore | None = None  # for the labels of the skills agendas cite
    seconds: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.s_index = {e.id: i for i, e in enumerate(self.seniors)}
        self.j_index = {e.id: j for j, e in enumerate(self.juniors)}

    def index(self, senior: str, junior: str) -> tuple[int, int]:
        return self.s_index[senior], self.j_index[junior]


def build_context(
    *,
    store: GraphStore,
    cohort: Cohort,
    options: MatchOptions,
    policy: ProgrammePolicy = DEFAULT_POLICY,
    sides: Mapping[str, Side] | None = None,
    banned: Iterable[tuple[str, str]] = (),
) -> CohortContext:
    """Resolve ``cohort`` against the store. ``sides`` (from a saved proposal) skips the
    split; ``banned`` (senior, junior) pairs are never allowed (removed in review).

    Raises :class:`CohortError` for ids unknown to the store (each with its line) and for
    a cohort with nobody on one side.
    """
    clock = time.perf_counter()
    entries = {e.id: e for e in cohort.participants}
    ids = list(entries)
    profiles = store.get_employees(employee_ids=ids)
    unknown = [entries[i] for i in ids if i not in profiles]
    if unknown:
        raise CohortError(
            f"{len(unknown)} participant(s) are not in the store",
            [CohortProblem(line=e.line, person_id=e.id, message=f"unknown employee id {e.id}") for e in unknown],
        )
    side = (
        dict(sides)
        if sides is not None
        else split_sides(entries=cohort.participants, employees=profiles, must_pairs=cohort.must_pairs)
    )
    seniors = [profiles[i] for i in ids if side[i] is Side.SENIOR]
    juniors = [profiles[i] for i in ids if side[i] is Side.JUNIOR]
    for name, members in (("seniors", seniors), ("juniors", juniors)):
        if not members:
            raise CohortError(
                f"the cohort has no {name}: give some participants the role "
                f"{name[:-1]} (or 'either') so that there is someone to pair with"
            )
    pairings = store.list_pairings_for(employee_ids=ids)
    active: dict[str, int] = {}
    previous: set[tuple[str, str]] = set()
    for pairing in pairings:
        first, second = pairing.employee_ids
        previous.add((first, second))
        if pairing.status is PairingStatus.ACTIVE:
            for member in pairing.employee_ids:
                active[member] = active.get(member, 0) + 1

    def capacity(person: Employee) -> int:
        if not person.opt_in:
            return 0
        declared = entries[person.id].capacity
        return max(person.capacity - active.get(person.id, 0), 0) if declared is None else declared

    cap_s = np.asarray([capacity(e) for e in seniors], dtype=np.int64)
    cap_j = np.asarray([capacity(e) for e in juniors], dtype=np.int64)
    ancestors = _ancestors(store, profiles)
    loaded = time.perf_counter()

    space = load_skill_space(store=store, employees=[*seniors, *juniors], policy=policy)
    teach_sj = np.ascontiguousarray(direction_matrix(learners=juniors, teachers=seniors, space=space, policy=policy).T)
    teach_js = direction_matrix(
        learners=seniors,
        teachers=juniors,
        space=space,
        policy=policy,
        digital_only=policy.direction is MentoringDirection.REVERSE,
    )
    built = time.perf_counter()

    ctx_index_s = {e.id: i for i, e in enumerate(seniors)}
    ctx_index_j = {e.id: j for j, e in enumerate(juniors)}
    shape = (len(seniors), len(juniors))

    def pair_mask(pairs: Iterable[tuple[str, str]]) -> Mask:
        mask = np.zeros(shape, dtype=np.bool_)
        rows, cols = [], []
        for a, b in pairs:
            if a in ctx_index_s and b in ctx_index_j:
                rows.append(ctx_index_s[a])
                cols.append(ctx_index_j[b])
            elif b in ctx_index_s and a in ctx_index_j:
                rows.append(ctx_index_s[b])
                cols.append(ctx_index_j[a])
        mask[rows, cols] = True
        return mask

    chain_pairs = [(p, a) for p in ids for a in ancestors.get(p, ()) if a in entries]
    rules: dict[Rule, Mask] = {
        Rule.NEVER_PAIR: pair_mask([*((r.first, r.second) for r in cohort.never_pairs), *banned]),
        Rule.REPORTING_CHAIN: pair_mask(chain_pairs),
        Rule.PREVIOUS_PAIRING: (
            np.zeros(shape, dtype=np.bool_) if policy.include_previous_partners else pair_mask(sorted(previous))
        ),
    }
    if options.ban_same_department:
        dept_s = np.asarray([e.department for e in seniors], dtype=object)
        dept_j = np.asarray([e.department for e in juniors], dtype=object)
        rules[Rule.SAME_DEPARTMENT] = dept_s[:, None] == dept_j[None, :]
    if policy.max_utc_offset_difference is not None:
        utc_s = np.asarray([e.utc_offset for e in seniors], dtype=np.float64)
        utc_j = np.asarray([e.utc_offset for e in juniors], dtype=np.float64)
        rules[Rule.TIME_ZONE] = np.abs(utc_s[:, None] - utc_j[None, :]) > policy.max_utc_offset_difference + 1e-9
    # A pair where neither learns anything is never useful, even when one-sided pairs are allowed.
    rules[Rule.NO_BENEFIT] = (teach_sj <= 0) & (teach_js <= 0)
    forbidden = np.zeros(shape, dtype=np.bool_)
    for mask in rules.values():
        forbidden |= mask
    done = time.perf_counter()
    return CohortContext(
        programme=options.programme or cohort.programme,
        options=options,
        policy=policy,
        entries=entries,
        side=side,
        seniors=seniors,
        juniors=juniors,
        cap_s=cap_s,
        cap_j=cap_j,
        active=active,
        teach_sj=teach_sj,
        teach_js=teach_js,
        rules=rules,
        forbidden=forbidden,
        space=space,
        store=store,
        seconds={
            "load": round(loaded - clock, 4),
            "benefit_matrices": round(built - loaded, 4),
            "rules": round(done - built, 4),
        },
    )


def _ancestors(store: GraphStore, people: Mapping[str, Employee]) -> dict[str, list[str]]:
    """Everyone above each person, nearest first: the upward half of
    ``store.reporting_chain`` (the downward half is the same relation seen from the report),
    with one batched read per management level instead of one query per person.
    Like the store, the walk stops at a manager who is not in the store."""
    known: dict[str, Employee] = dict(people)
    missing: set[str] = set()
    frontier = {e.manager_id for e in known.values() if e.manager_id and e.manager_id not in known}
    while frontier:
        found = store.get_employees(employee_ids=sorted(frontier))
        known.update(found)
        missing |= frontier - found.keys()
        frontier = {
            e.manager_id
            for e in found.values()
            if e.manager_id and e.manager_id not in known and e.manager_id not in missing
        }
    out: dict[str, list[str]] = {}
    for pid in people:
        chain: list[str] = []
        seen = {pid}
        manager = known[pid].manager_id
        while manager is not None and manager in known and manager not in seen:
            chain.append(manager)
            seen.add(manager)
            manager = known[manager].manager_id
        out[pid] = chain
    return out


def _rule_text(rule: Rule, ctx: CohortContext, count: int) -> str:
    """``count`` people excluded by ``rule``, as the end of a sentence ("3 are ...")."""
    hours = ctx.policy.max_utc_offset_difference
    are, have, were = ("is", "has", "was") if count == 1 else ("are", "have", "were")
    text = {
        Rule.NO_CAPACITY: f"{have} no capacity",
        Rule.NEVER_PAIR: f"{are} a never-pair (or removed in review)",
        Rule.REPORTING_CHAIN: f"{are} in their reporting chain",
        Rule.PREVIOUS_PAIRING: f"{were} already paired with them",
        Rule.SAME_DEPARTMENT: f"{'works' if count == 1 else 'work'} in the same department",
        Rule.TIME_ZONE: f"{are} more than {hours:g} hours away" if hours is not None else f"{are} too far away",
        Rule.NO_BENEFIT: f"{have} nothing to teach them nor to learn from them",
        Rule.ONE_SIDED: "would help only one way",
    }[rule]
    return f"{count} {text}"


def _pair_problems(ctx: CohortContext, i: int, j: int) -> list[str]:
    """Rules the pair (senior i, junior j) breaks, in plain language."""
    senior, junior = ctx.seniors[i], ctx.juniors[j]
    out = []
    for rule, mask in ctx.rules.items():
        if mask[i, j]:
            out.append(
                {
                    Rule.NEVER_PAIR: "they are a never-pair (or were removed in review)",
                    Rule.REPORTING_CHAIN: "one is in the other's reporting chain",
                    Rule.PREVIOUS_PAIRING: "they are or were already paired",
                    Rule.SAME_DEPARTMENT: f"both work in {senior.department or 'no department'}",
                    Rule.TIME_ZONE: f"they are {abs(senior.utc_offset - junior.utc_offset):g} hours apart",
                    Rule.NO_BENEFIT: "neither can teach the other anything they want to learn",
                }.get(rule, rule.value)
            )
    for person, cap in ((senior, ctx.cap_s[i]), (junior, ctx.cap_j[j])):
        if not person.opt_in:
            out.append(f"{person.id} has opted out of mentoring")
        elif cap == 0:
            out.append(f"{person.id} has no capacity")
    return out


# ======================================================================================
# solving and reporting


def _must_indices(ctx: CohortContext, rules: Sequence[PairRule]) -> list[tuple[int, int]]:
    """Must-pairs as (senior, junior) indices; every broken rule or capacity is a problem."""
    problems: list[CohortProblem] = []
    out: list[tuple[int, int]] = []
    for rule in rules:
        a, b = rule.first, rule.second
        if ctx.side[a] == ctx.side[b]:
            problems.append(
                CohortProblem(
                    line=rule.line,
                    person_id=a,
                    message=f"must-pair {a}:{b}: both are {ctx.side[a].value}s; one must be senior and one junior",
                )
            )
            continue
        senior, junior = (a, b) if ctx.side[a] is Side.SENIOR else (b, a)
        i, j = ctx.index(senior, junior)
        broken = _pair_problems(ctx, i, j)
        # HR's explicit decision may be one-sided; only the hard rules block a must-pair.
        if broken:
            problems.append(
                CohortProblem(
                    line=rule.line, person_id=a, message=f"must-pair {a}:{b} cannot be kept: {'; '.join(broken)}"
                )
            )
            continue
        out.append((i, j))
    for side_name, count_of, caps, people in (
        ("senior", np.bincount([i for i, _ in out], minlength=len(ctx.seniors)), ctx.cap_s, ctx.seniors),
        ("junior", np.bincount([j for _, j in out], minlength=len(ctx.juniors)), ctx.cap_j, ctx.juniors),
    ):
        for k in np.flatnonzero(count_of > caps).tolist():
            pid = people[k].id
            problems.append(
                CohortProblem(
                    line=ctx.entries[pid].line,
                    person_id=pid,
                    message=f"{pid} ({side_name}) has {int(count_of[k])} must-pairs but capacity {int(caps[k])}",
                )
            )
    if problems:
        raise CohortError("the must-pairs cannot all be kept", problems)
    return out


def _solve(ctx: CohortContext, must: Sequence[tuple[int, int]]) -> tuple[list[tuple[int, int]], str]:
    problem = MatchProblem(
        left_ids=[e.id for e in ctx.seniors],
        right_ids=[e.id for e in ctx.juniors],
        benefit_lr=ctx.teach_sj,
        benefit_rl=ctx.teach_js,
        left_capacity=ctx.cap_s.tolist(),
        right_capacity=ctx.cap_j.tolist(),
        forbidden=ctx.forbidden,
        must_pair=list(must),
        require_two_way=ctx.options.require_two_way,
        objective=ctx.options.objective.value,
    )
    try:
        result = solve(problem)
    except MatchInputError as exc:  # our own checks run first; this is a last guard
        raise CohortError(f"the cohort cannot be matched: {exc.message}") from exc
    return [(p.left_idx, p.right_idx) for p in result.pairs], result.method


def _direction(ctx: CohortContext, learner: Employee, teacher: Employee, *, digital_only: bool) -> Direction:
    allowed = digital_goals_only(ctx.space.skills) if digital_only else None
    return score_direction(learner=learner, teacher=teacher, near=ctx.space.near, policy=ctx.policy, allowed=allowed)


def _topics(direction: DirectionScore, most: int = 3) -> str:
    parts = []
    for item in direction.agenda[:most]:
        text = item.goal.label
        if item.match.value != "exact":
            text += f" (through {item.skill.label}, {item.match.value})"
        parts.append(text)
    more = len(direction.agenda) - most
    return ", ".join(parts) + (f" and {more} more" if more > 0 else "")


def _first(person: Employee) -> str:
    return person.name.split()[0] if person.name.split() else person.name


def _explain(senior: Employee, junior: Employee, s_teach: DirectionScore, j_teach: DirectionScore, score: float) -> str:
    sentences = []
    if s_teach.agenda:
        sentences.append(
            f"{senior.name} can help {_first(junior)} with {s_teach.goals_met} of {s_teach.goals} goals: "
            f"{_topics(s_teach)}."
        )
    else:
        sentences.append(f"{senior.name} cannot help {_first(junior)} with any of their goals.")
    if j_teach.agenda:
        sentences.append(
            f"{junior.name} can help {_first(senior)} with {j_teach.goals_met} of {j_teach.goals} goals: "
            f"{_topics(j_teach)}."
        )
    else:
        sentences.append(f"{junior.name} cannot help {_first(senior)} with any of their goals.")
    sentences.append(f"Mutual score {score:.2f}" + ("." if score > 0 else " (one-sided)."))
    context = [
        "crosses departments" if senior.department != junior.department else "same department",
        "same time zone"
        if senior.utc_offset == junior.utc_offset
        else f"{abs(senior.utc_offset - junior.utc_offset):g} hours apart",
    ]
    seniority_gap = senior.seniority - junior.seniority
    if seniority_gap:
        above = "" if seniority_gap > 0 else ", the junior above"
        context.append(f"{abs(seniority_gap)} seniority level(s) apart{above}")
    sentences.append(context[0][0].upper() + "; ".join(context)[1:] + ".")
    return " ".join(sentences)


def _report(
    ctx: CohortContext,
    pairs: Sequence[tuple[int, int]],
    *,
    locked: set[tuple[int, int]],
    removed_people: set[str],
    method: str,
) -> tuple[list[ProposedPair], list[Unmatched], list[Participant], MatchStats]:
    """Explain the pairs, classify the unmatched, and sum up the run."""
    pairs = sorted(set(pairs), key=lambda p: (ctx.seniors[p[0]].id, ctx.juniors[p[1]].id))
    li = np.asarray([p[0] for p in pairs], dtype=np.int64)
    rj = np.asarray([p[1] for p in pairs], dtype=np.int64)
    a = ctx.teach_sj[li, rj] if pairs else np.zeros(0)
    b = ctx.teach_js[li, rj] if pairs else np.zeros(0)
    # The solver's score: rounded like the recommender's ``harmonic``.
    scores = np.round(mutual_score(a, b), 6)
    n_s, n_j = len(ctx.seniors), len(ctx.juniors)
    benefit_s = np.bincount(li, weights=scores, minlength=n_s) if pairs else np.zeros(n_s)
    benefit_j = np.bincount(rj, weights=scores, minlength=n_j) if pairs else np.zeros(n_j)
    count_s = np.bincount(li, minlength=n_s)
    count_j = np.bincount(rj, minlength=n_j)

    # Agendas for the chosen pairs only: the recommender's scalar scorer, on the skill space
    # already loaded, so each topic list adds up to the matrix entry it explains.
    cited: set[str] = set()
    directions: list[tuple[Direction, Direction]] = []
    reverse = ctx.policy.direction is MentoringDirection.REVERSE
    for i, j in pairs:
        senior, junior = ctx.seniors[i], ctx.juniors[j]
        s_teach = _direction(ctx, junior, senior, digital_only=False)
        j_teach = _direction(ctx, senior, junior, digital_only=reverse)
        directions.append((s_teach, j_teach))
        cited.update(t.skill_id for d in (s_teach, j_teach) for t in d.topics)
    skills = dict(ctx.space.skills)
    # One batched read for the teacher skills the agendas cite (goal skills are loaded).
    return_skills = sorted(cited - skills.keys())
    if return_skills and ctx.store is not None:
        skills.update(ctx.store.get_skills(skill_ids=return_skills))
    proposed: list[ProposedPair] = []
    for k, ((i, j), (s_dir, j_dir)) in enumerate(zip(pairs, directions, strict=True)):
        senior, junior = ctx.seniors[i], ctx.juniors[j]
        senior_teaches, junior_teaches = direction_model(s_dir, skills), direction_model(j_dir, skills)
        score = float(scores[k])
        proposed.append(
            ProposedPair(
                senior=PersonRef.of(senior),
                junior=PersonRef.of(junior),
                score=score,
                senior_teaches=senior_teaches,
                junior_teaches=junior_teaches,
                two_way=bool(a[k] > 0 and b[k] > 0),
                locked=(i, j) in locked,
                cross_department=senior.department != junior.department,
                utc_offset_difference=round(abs(senior.utc_offset - junior.utc_offset), 2),
                explanation=_explain(senior, junior, senior_teaches, junior_teaches, score),
            )
        )

    unmatched = _unmatched(ctx, count_s, count_j, removed_people)
    participants: list[Participant] = []
    for people, counts, benefits, caps, side in (
        (ctx.seniors, count_s, benefit_s, ctx.cap_s, Side.SENIOR),
        (ctx.juniors, count_j, benefit_j, ctx.cap_j, Side.JUNIOR),
    ):
        for k, person in enumerate(people):
            entry = ctx.entries[person.id]
            participants.append(
                Participant(
                    person=PersonRef.of(person),
                    role=entry.role,
                    side=side,
                    declared_capacity=entry.capacity,
                    capacity=int(caps[k]),
                    line=entry.line,
                    partners=int(counts[k]),
                    benefit=round(float(benefits[k]), 6),
                )
            )
    participants.sort(key=lambda p: p.line)
    matched = np.concatenate([benefit_s[count_s > 0], benefit_j[count_j > 0]])
    stats = MatchStats(
        participants=n_s + n_j,
        seniors=n_s,
        juniors=n_j,
        pairs=len(pairs),
        matched=int((count_s > 0).sum() + (count_j > 0).sum()),
        unmatched=len(unmatched),
        total_benefit=round(float(scores.sum()), 6),
        min_benefit=round(float(matched.min()), 6) if matched.size else None,
        median_benefit=round(float(np.median(matched)), 6) if matched.size else None,
        two_way_share=round(float(np.mean((a > 0) & (b > 0))), 4) if pairs else 0.0,
        objective=ctx.options.objective,
        method=method,
        seconds=dict(ctx.seconds),
    )
    return proposed, unmatched, participants, stats


def _unmatched(
    ctx: CohortContext, count_s: NDArray[np.int64], count_j: NDArray[np.int64], removed_people: set[str]
) -> list[Unmatched]:
    out: list[Unmatched] = []
    coverage = ctx.options.objective is Objective.COVERAGE
    one_sided_ok = coverage and not ctx.options.require_two_way
    for side, people, counts, caps, other_caps, other_name in (
        (Side.SENIOR, ctx.seniors, count_s, ctx.cap_s, ctx.cap_j, "juniors"),
        (Side.JUNIOR, ctx.juniors, count_j, ctx.cap_j, ctx.cap_s, "seniors"),
    ):
        rows = np.flatnonzero(counts == 0)
        if rows.size == 0:
            continue
        # First rule that excludes each other-side participant, for the unmatched rows only.

        def take(mask: Mask, rows: NDArray[np.int64] = rows, senior: bool = side is Side.SENIOR) -> Mask:
            return mask[rows] if senior else mask[:, rows].T

        conditions = [np.broadcast_to(other_caps[None, :] == 0, (rows.size, other_caps.size))]
        order = [Rule.NO_CAPACITY]
        checked = (Rule.NEVER_PAIR, Rule.REPORTING_CHAIN, Rule.PREVIOUS_PAIRING, Rule.SAME_DEPARTMENT, Rule.TIME_ZONE)
        for rule in checked:
            if rule in ctx.rules:
                conditions.append(take(ctx.rules[rule]))
                order.append(rule)
        conditions.append(take(ctx.rules[Rule.NO_BENEFIT]))
        order.append(Rule.NO_BENEFIT)
        if not one_sided_ok:
            conditions.append(take((ctx.teach_sj <= 0) | (ctx.teach_js <= 0)))
            order.append(Rule.ONE_SIDED)
        codes = np.select(conditions, list(range(len(order))), default=len(order))
        for r, k in enumerate(rows.tolist()):
            person = people[k]
            counted = np.bincount(codes[r], minlength=len(order) + 1)
            candidates = int(counted[len(order)])
            blocked = [RuleCount(rule=rule, count=int(counted[c])) for c, rule in enumerate(order) if counted[c]]
            reason, detail = _reason(ctx, person, int(caps[k]), candidates, blocked, other_name, removed_people)
            out.append(
                Unmatched(
                    person=PersonRef.of(person),
                    side=side,
                    reason=reason,
                    detail=detail,
                    candidates=candidates,
                    blocked=blocked,
                )
            )
    out.sort(key=lambda u: (u.side != Side.SENIOR, u.person.id))
    return out


def _reason(
    ctx: CohortContext,
    person: Employee,
    capacity: int,
    candidates: int,
    blocked: Sequence[RuleCount],
    other_name: str,
    removed_people: set[str],
) -> tuple[UnmatchedReason, str]:
    if not person.opt_in:
        return UnmatchedReason.OPTED_OUT, "has opted out of mentoring in their profile"
    if capacity == 0:
        declared = ctx.entries[person.id].capacity
        if declared == 0:
            return UnmatchedReason.NO_CAPACITY, "capacity 0 in the cohort file"
        active = ctx.active.get(person.id, 0)
        return UnmatchedReason.NO_CAPACITY, (
            f"no capacity left: profile capacity {person.capacity}, {active} active pairing(s) already"
        )
    if person.id in removed_people:
        return UnmatchedReason.REMOVED_IN_REVIEW, "their pair was removed in review; re-run to find a new partner"
    if candidates == 0:
        total = sum(b.count for b in blocked)
        why = ", ".join(_rule_text(b.rule, ctx, b.count) for b in blocked)
        return UnmatchedReason.NO_ALLOWED_PARTNER, f"none of the {total} {other_name} can be paired with them: {why}"
    hint = (
        " (--objective coverage gives as many people as possible a partner)"
        if ctx.options.objective is Objective.TOTAL
        else ""
    )
    return UnmatchedReason.LOST_TO_BETTER_PAIRS, (
        f"{candidates} of the {other_name} could pair with them, but their places went to pairs "
        f"worth more{' in total' if ctx.options.objective is Objective.TOTAL else ' to the cohort'}{hint}"
    )


# ======================================================================================
# the workflow: propose, review, publish


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC).replace(microsecond=0)


def _proposal(
    ctx: CohortContext,
    cohort: Cohort,
    pairs: Sequence[tuple[int, int]],
    *,
    locked: set[tuple[int, int]],
    removed: Sequence[tuple[str, str]],
    removed_people: set[str],
    method: str,
    created_at: datetime,
    updated_at: datetime,
    history: list[ReviewStep],
) -> Proposal:
    clock = time.perf_counter()
    proposed, unmatched, participants, stats = _report(
        ctx, pairs, locked=locked, removed_people=removed_people, method=method
    )
    seconds = {**stats.seconds, "report": round(time.perf_counter() - clock, 4)}
    return Proposal(
        programme=ctx.programme,
        cohort_file=cohort.source,
        cohort_sha256=cohort.sha256,
        created_at=created_at,
        updated_at=updated_at,
        options=ctx.options.model_copy(update={"programme": ctx.programme}),
        policy=ctx.policy,
        participants=participants,
        must_pairs=list(cohort.must_pairs),
        never_pairs=list(cohort.never_pairs),
        locked=sorted((ctx.seniors[i].id, ctx.juniors[j].id) for i, j in locked),
        removed=sorted(set(removed)),
        pairs=proposed,
        unmatched=unmatched,
        stats=stats.model_copy(update={"seconds": seconds}),
        history=history,
    )


def propose(
    *,
    store: GraphStore,
    cohort: Cohort,
    options: MatchOptions | None = None,
    policy: ProgrammePolicy = DEFAULT_POLICY,
    now: datetime | None = None,
) -> Proposal:
    """Pair the whole cohort at once for ``options.objective`` under the programme rules."""
    options = options or MatchOptions()
    ctx = build_context(store=store, cohort=cohort, options=options, policy=policy)
    must = _must_indices(ctx, cohort.must_pairs)
    clock = time.perf_counter()
    pairs, method = _solve(ctx, must)
    ctx.seconds["solve"] = round(time.perf_counter() - clock, 4)
    stamp = _now(now)
    return _proposal(
        ctx,
        cohort,
        pairs,
        locked=set(must),
        removed=[],
        removed_people=set(),
        method=method,
        created_at=stamp,
        updated_at=stamp,
        history=[ReviewStep(at=stamp, action="propose", pairs=[])],
    )


def _cohort_of(proposal: Proposal) -> Cohort:
    return Cohort(
        programme=proposal.programme,
        source=proposal.cohort_file,
        sha256=proposal.cohort_sha256,
        participants=tuple(
            CohortEntry(id=p.person.id, role=p.role, capacity=p.declared_capacity, line=p.line)
            for p in proposal.participants
        ),
        must_pairs=tuple(proposal.must_pairs),
        never_pairs=tuple(proposal.never_pairs),
    )


def parse_pair(text: str) -> tuple[str, str]:
    """``"A:B"`` -> ``("A", "B")``; the order does not matter to :func:`review`."""
    parts = [p.strip() for p in text.split(":")] if text.count(":") == 1 else []
    if len(parts) != 2 or not all(parts):
        # Ids may contain ':' (esco:...), but employee ids in a cohort rarely do; be explicit.
        raise ProposalError(f"{text!r} is not a pair: write SENIOR_ID:JUNIOR_ID (either order)")
    return parts[0], parts[1]


def review(
    *,
    store: GraphStore,
    proposal: Proposal,
    lock: Sequence[tuple[str, str]] = (),
    remove: Sequence[tuple[str, str]] = (),
    swap: Sequence[tuple[tuple[str, str], tuple[str, str]]] = (),
    rerun: bool = False,
    now: datetime | None = None,
) -> Proposal:
    """Apply HR's edits to a proposal, in this order: remove, swap, lock, then re-run.

    * remove A:B drops the pair and bans it from re-runs (it unlocks it too);
    * swap A:B,C:D replaces the two pairs by A:D and C:B, locked (the old ones are banned);
    * lock A:B keeps the pair in every re-run; a pair not in the proposal is added, and an
      unlocked pair of A or B that no longer fits their capacity is dropped (lowest score
      first);
    * rerun solves the rest of the cohort again, keeping every locked pair.

    Every pair is checked against the current store, so a pair published elsewhere since
    the proposal was made is reported. Raises :class:`ProposalError` or
    :class:`CohortError` naming the pair and the rule; the proposal is then unchanged.
    """
    if proposal.status is ProposalStatus.PUBLISHED:
        raise ProposalError("this proposal is already published; run `mentorgraph match` for a new one")
    side = {p.person.id: p.side for p in proposal.participants}

    def oriented(pair: tuple[str, str], what: str) -> tuple[str, str]:
        a, b = pair
        for pid in (a, b):
            if pid not in side:
                raise ProposalError(f"{what} {a}:{b}: {pid} is not a participant of this proposal")
        if side[a] == side[b]:
            raise ProposalError(f"{what} {a}:{b}: both are {side[a].value}s")
        return (a, b) if side[a] is Side.SENIOR else (b, a)

    current = {(p.senior.id, p.junior.id) for p in proposal.pairs}
    locked = set(proposal.locked)
    removed = set(proposal.removed)
    touched_people: set[str] = set()
    steps: list[ReviewStep] = []
    stamp = _now(now)

    for pair in remove:
        s, j = oriented(pair, "remove")
        if (s, j) not in current:
            raise ProposalError(f"remove {s}:{j}: not a pair of this proposal")
        current.discard((s, j))
        locked.discard((s, j))
        removed.add((s, j))
        touched_people.update((s, j))
        steps.append(ReviewStep(at=stamp, action="remove", pairs=[f"{s}:{j}"]))
    added: list[tuple[str, str]] = []
    for first, second in swap:
        s1, j1 = oriented(first, "swap")
        s2, j2 = oriented(second, "swap")
        for s, j in ((s1, j1), (s2, j2)):
            if (s, j) not in current:
                raise ProposalError(f"swap: {s}:{j} is not a pair of this proposal")
        if s1 == s2 or j1 == j2:
            raise ProposalError(f"swap {s1}:{j1},{s2}:{j2}: the two pairs share a partner; nothing to swap")
        for old in ((s1, j1), (s2, j2)):
            current.discard(old)
            locked.discard(old)
            removed.add(old)
        for new in ((s1, j2), (s2, j1)):
            current.add(new)
            locked.add(new)
            added.append(new)
        steps.append(ReviewStep(at=stamp, action="swap", pairs=[f"{s1}:{j1}", f"{s2}:{j2}"]))
    lock_pairs = [oriented(pair, "lock") for pair in lock]
    for s, j in lock_pairs:
        if (s, j) in removed:
            raise ProposalError(f"lock {s}:{j}: the pair was removed in review")
        if (s, j) not in current:
            current.add((s, j))
            added.append((s, j))
        locked.add((s, j))
        steps.append(ReviewStep(at=stamp, action="lock", pairs=[f"{s}:{j}"]))

    # Rebuild the cohort from the store as it is now: rules, capacities and benefits.
    cohort = _cohort_of(proposal)
    ctx = build_context(
        store=store,
        cohort=cohort,
        options=proposal.options,
        policy=proposal.policy,
        sides=side,
        banned=sorted(removed),
    )
    problems = []
    for s, j in sorted(current):
        i_s, i_j = ctx.index(s, j)
        broken = _pair_problems(ctx, i_s, i_j)
        if not broken:
            continue
        if (s, j) in added:
            problems.append(CohortProblem(message=f"{s}:{j} cannot be paired: {'; '.join(broken)}", person_id=s))
        else:
            problems.append(
                CohortProblem(
                    message=f"{s}:{j} now breaks a rule ({'; '.join(broken)}): remove it with --remove {s}:{j}",
                    person_id=s,
                )
            )
    if problems:
        raise CohortError("the reviewed proposal breaks the programme rules", problems)

    # Capacity: an added pair pushes out the weakest unlocked pair of the same person.
    def over(pid: str, pairs: set[tuple[str, str]]) -> int:
        cap = ctx.cap_s[ctx.s_index[pid]] if side[pid] is Side.SENIOR else ctx.cap_j[ctx.j_index[pid]]
        return sum(1 for p in pairs if pid in p) - int(cap)

    for s, j in added:
        for pid in (s, j):
            while over(pid, current) > 0:
                loose = [p for p in current if pid in p and p not in locked]
                if not loose:
                    raise ProposalError(f"{pid} would have more locked pairs than their capacity allows")
                weakest = min(loose, key=lambda p: (_pair_score(ctx, p), p))
                current.discard(weakest)
                touched_people.update(weakest)

    if rerun:
        must = [ctx.index(s, j) for s, j in sorted(locked)]
        clock = time.perf_counter()
        pairs, method = _solve(ctx, must)
        ctx.seconds["solve"] = round(time.perf_counter() - clock, 4)
        steps.append(ReviewStep(at=stamp, action="rerun", pairs=[]))
        removed_people: set[str] = set()
    else:
        pairs = [ctx.index(s, j) for s, j in current]
        method = "review"
        # Whoever lost a pair in any review (and has none now) is told so.
        removed_people = touched_people | {pid for pair in removed for pid in pair}
    return _proposal(
        ctx,
        cohort,
        pairs,
        locked={ctx.index(s, j) for s, j in locked},
        removed=sorted(removed),
        removed_people=removed_people,
        method=method,
        created_at=proposal.created_at,
        updated_at=stamp,
        history=[*proposal.history, *steps],
    )


def _pair_score(ctx: CohortContext, pair: tuple[str, str]) -> float:
    i, j = ctx.index(*pair)
    return float(mutual_score(ctx.teach_sj[i, j], ctx.teach_js[i, j]))


def pairing_id(*, programme: str, first: str, second: str) -> str:
    """Readable, deterministic pairing ids ``<programme>.<a>.<b>`` (ids sorted), so that
    publishing twice writes the same nodes; a hash replaces what does not fit."""
    a, b = sorted((first, second))
    slug = re.sub(r"[^a-z0-9]+", "-", programme.lower()).strip("-")[:40] or "cohort"
    candidate = f"{slug}.{a}.{b}"
    if len(candidate) <= 128 and _ID.match(candidate):
        return candidate
    digest = hashlib.sha256(f"{programme}\0{a}\0{b}".encode()).hexdigest()[:20]
    return f"{slug}.{digest}"


def publish(*, store: GraphStore, proposal: Proposal, now: datetime | None = None) -> tuple[Proposal, PublishResult]:
    """Write the proposal's pairs as active pairings and mark the proposal published.

    Refuses (writing nothing) when a pair's partners are already paired in the store
    under another pairing, e.g. by a proposal published in between. Publishing again
    after an interrupted run completes it: pairings this proposal already wrote are kept.
    """
    if proposal.status is ProposalStatus.PUBLISHED:
        raise ProposalError(
            f"this proposal was already published on {proposal.published_at}; see `mentorgraph pairings list`"
        )
    if not proposal.pairs:
        raise ProposalError("the proposal has no pairs to publish")
    stamp = _now(now)
    wanted = {
        pairing_id(programme=proposal.programme, first=p.senior.id, second=p.junior.id): p for p in proposal.pairs
    }
    people = sorted({pid for p in proposal.pairs for pid in (p.senior.id, p.junior.id)})
    missing = sorted(set(people) - store.get_employees(employee_ids=people).keys())
    if missing:
        raise ProposalError(f"{len(missing)} employee(s) are no longer in the store: {', '.join(missing[:10])}")
    existing = store.list_pairings_for(employee_ids=people)
    done = {p.id for p in existing if p.id in wanted}
    clashes = [
        f"{'/'.join(p.employee_ids)} (pairing {p.id}, {p.status.value})"
        for p in existing
        if p.id not in wanted and any(set(p.employee_ids) == {w.senior.id, w.junior.id} for w in wanted.values())
    ]
    if clashes:
        raise ProposalError(
            f"{len(clashes)} pair(s) are already paired in the store: {'; '.join(clashes[:10])}; "
            "remove them with `mentorgraph match review --remove` and publish again"
        )
    pairings = [
        Pairing(
            id=pid,
            employee_ids=(min(p.senior.id, p.junior.id), max(p.senior.id, p.junior.id)),
            status=PairingStatus.ACTIVE,
            programme=proposal.programme,
            created_at=stamp,
        )
        for pid, p in wanted.items()
        if pid not in done  # never overwrite: it would drop feedback given since
    ]
    if pairings:
        store.upsert_pairings(pairings=pairings)
    ids = sorted(wanted)
    published = proposal.model_copy(
        update={
            "status": ProposalStatus.PUBLISHED,
            "published_at": stamp,
            "updated_at": stamp,
            "pairing_ids": ids,
            "history": [*proposal.history, ReviewStep(at=stamp, action="publish", pairs=[])],
        }
    )
    return published, PublishResult(programme=proposal.programme, pairing_ids=ids, published_at=stamp)


# ======================================================================================
# proposal files


def default_proposal_path(cohort_file: Path | str) -> Path:
    """``team.csv`` -> ``team.proposal.json`` in the same folder."""
    path = Path(cohort_file)
    return path.with_name(f"{path.stem}.proposal.json")


def save_proposal(*, path: Path | str, proposal: Proposal) -> Path:
    """Write atomically (temporary file + rename): an interrupted save keeps the old file."""
    path = Path(path)
    text = proposal.model_dump_json(indent=2) + "\n"
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return path


def load_proposal(*, path: Path | str) -> Proposal:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProposalError(f"cannot read the proposal {str(path)!r}: {exc.strerror or exc}") from exc
    try:
        return Proposal.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "document"
        raise ProposalError(f"{path.name} is not a proposal file ({where}: {first['msg']})") from exc


# ======================================================================================
# published pairings and feedback


def get_pairing_or_raise(*, store: GraphStore, pairing_id: str) -> Pairing:
    pairing = store.get_pairing(pairing_id=pairing_id.strip())
    if pairing is None:
        raise PairingNotFound(pairing_id)
    return pairing


def list_pairings(
    *,
    store: GraphStore,
    employee_id: str | None = None,
    programme: str | None = None,
    status: PairingStatus | None = None,
) -> list[Pairing]:
    """Pairings in id order, optionally of one employee, one programme, one status."""
    found = store.list_pairings(employee_id=employee_id.strip() if employee_id else None)
    return [
        p for p in found if (programme is None or p.programme == programme) and (status is None or p.status is status)
    ]


def add_feedback(
    *,
    store: GraphStore,
    pairing_id: str,
    by_employee_id: str,
    rating: int,
    topics_covered: Sequence[str] = (),
    comment: str = "",
) -> Pairing:
    """Record one partner's feedback. Each partner may give feedback any number of times
    (mid-programme and at the end); every entry is kept, in order."""
    pairing = get_pairing_or_raise(store=store, pairing_id=pairing_id)
    by = by_employee_id.strip()
    if by not in pairing.employee_ids:
        raise ValueError(
            f"{by} is not a partner of pairing {pairing.id} ({' and '.join(pairing.employee_ids)}); "
            "feedback comes from the two partners"
        )
    if pairing.status is PairingStatus.PROPOSED:
        raise ValueError(f"pairing {pairing.id} is only proposed; feedback opens once it is published")
    feedback = PairingFeedback(by_employee_id=by, rating=rating, topics_covered=tuple(topics_covered), comment=comment)
    updated = store.add_feedback(pairing_id=pairing.id, feedback=feedback)
    if updated is None:  # deleted in between
        raise PairingNotFound(pairing_id)
    return updated
