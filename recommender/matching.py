"""Optimal cohort matching for two-way (reverse) mentoring.

Pure algorithmic core: no I/O, no database. The caller builds a :class:`MatchProblem`
(people on two sides, how much each teaches the other, capacities and hard rules) and
:func:`solve` returns the optimal set of pairs with per-person diagnostics.

Model
-----
* The score of a pair is the harmonic mean of the two directions, ``2ab/(a+b)``
  (:func:`mutual_score`), so a pair that only helps one side scores low; with
  ``require_two_way`` such pairs are not allowed at all.
* ``objective="total"`` maximises the sum of pair scores under the capacities (a person
  with capacity ``c`` takes at most ``c`` distinct partners) and the rules.
* ``objective="coverage"`` first maximises the number of people matched at least once,
  then the total score. It is solved as one weighted problem in which every person's
  *first* unit of capacity carries a bonus ``B`` larger than any achievable total score
  (scores are rescaled to ``[0, 1]`` and ``B = max number of pairs + 1``), so covering
  one more person always beats any gain in score: the result is exactly lexicographic.
  Someone already covered by a must-pair gets no bonus.
* Must-pairs are fixed first and use up capacity.

Solver choice
-------------
The problem is a maximum-weight bipartite *b-matching* with simple edges (a pair is used
at most once). Two compiled engines are used:

1. ``scipy.optimize.linear_sum_assignment`` (shortest augmenting path, C++) on the
   capacity-expanded dense matrix: row ``i`` repeated ``cap_i`` times, column ``j``
   repeated ``cap_j`` times, disallowed cells set to 0 and dropped afterwards. Because
   every weight is >= 0, a maximum-weight full assignment of the rectangular matrix is
   a maximum-weight matching. It handles 5,000 x 5,000 dense in a few seconds, which a
   sparse min-cost-flow or an LP over 25 M edges cannot, and a cohort is usually dense
   (most pairs are allowed). Capacities are first clipped to the number of allowed
   partners, which keeps the expansion small.
2. The expansion can use the same pair twice when *both* people have capacity >= 2.
   When one side has capacity 1 (the usual programme: each junior has one senior) this
   cannot happen and the assignment is exact. Otherwise the expanded assignment is a
   relaxation: if its optimum happens to contain no repeated pair it is optimal for the
   real problem too; if it does, the problem is re-solved exactly as a linear programme
   with HiGHS (``scipy.optimize.linprog``, dual simplex) over the allowed edges only,
   written as a network flow (source -> left -> right -> sink, with each person's first
   unit split off for the coverage bonus). A network matrix is totally unimodular, so the
   simplex vertex is integral; a MILP call guards the (theoretical) non-integral case.
   This path is slower (about 5 s for 400 x 400 with capacity 2 on both sides, 14 s for
   1,000 x 1,000 with capacity 3) but only taken when needed.

Open pools (the same person on both sides) would need general, non-bipartite matching,
which no scipy routine solves; :func:`solve` rejects an id that appears on both sides.
Split an open pool into two sides first (e.g. by seniority or digital fluency).

Baselines (:func:`solve_greedy`, :func:`solve_one_directional`) return the same
:class:`MatchResult` so they can be compared with the optimum on real cohorts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linear_sum_assignment, linprog, milp

__all__ = [
    "Engine",
    "MatchInputError",
    "MatchProblem",
    "MatchResult",
    "MatchedPair",
    "Objective",
    "Reason",
    "Side",
    "UnmatchedPerson",
    "mutual_score",
    "solve",
    "solve_greedy",
    "solve_one_directional",
    "two_way_share",
]

Objective = Literal["total", "coverage"]
Reason = Literal["capacity 0", "no allowed partner", "lost to better pairs"]
Side = Literal["left", "right"]
Engine = Literal["auto", "lp"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
Mask = NDArray[np.bool_]

# A simplex solution farther than this from an integer is treated as fractional.
_INTEGRALITY_TOL = 1e-6


class MatchInputError(ValueError):
    """The problem is malformed or its must-pairs cannot be honoured."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, kw_only=True)
class MatchProblem:
    """One cohort to pair at once.

    ``benefit_lr[i, j]`` is how much left ``i`` teaches right ``j``; ``benefit_rl[i, j]``
    how much right ``j`` teaches left ``i`` (both ``>= 0``, shape ``[n_left, n_right]``).
    ``forbidden[i, j]`` marks pairs that are never allowed. ``must_pair`` holds
    ``(left_idx, right_idx)`` pairs that must appear in the result; they may be
    one-sided (HR's explicit decision overrides ``require_two_way``) but never forbidden.
    """

    left_ids: Sequence[str]
    right_ids: Sequence[str]
    benefit_lr: NDArray[np.floating]
    benefit_rl: NDArray[np.floating]
    left_capacity: Sequence[int]
    right_capacity: Sequence[int]
    forbidden: NDArray[np.bool_] | None = None
    must_pair: Sequence[tuple[int, int]] = ()
    require_two_way: bool = True
    min_direction_benefit: float = 0.0
    objective: Objective = "total"


class MatchedPair(NamedTuple):
    left_idx: int
    right_idx: int
    score: float


@dataclass(frozen=True)
class UnmatchedPerson:
    side: Side
    index: int
    person_id: str
    reason: Reason


@dataclass(frozen=True, eq=False)
class MatchResult:
    """Chosen pairs (sorted by left then right index) and per-person diagnostics.

    ``left_benefit`` / ``right_benefit`` hold each person's sum of pair scores (0 when
    unmatched); ``min_benefit`` / ``median_benefit`` are taken over matched people only
    and are ``None`` when nobody is matched. Unmatched reasons: ``"capacity 0"``;
    ``"no allowed partner"`` when every partner with capacity is forbidden or one-sided
    (or, for ``total``, scores 0); ``"lost to better pairs"`` when candidates existed but
    the optimum (or the must-pairs) used their capacity elsewhere.
    """

    pairs: tuple[MatchedPair, ...]
    total_score: float
    left_benefit: F64
    right_benefit: F64
    min_benefit: float | None
    median_benefit: float | None
    unmatched: tuple[UnmatchedPerson, ...]
    n_covered: int
    objective: Objective
    method: str
    left_ids: tuple[str, ...] = field(repr=False)
    right_ids: tuple[str, ...] = field(repr=False)

    def id_pairs(self) -> list[tuple[str, str, float]]:
        """The pairs as ``(left_id, right_id, score)``."""
        return [(self.left_ids[p.left_idx], self.right_ids[p.right_idx], p.score) for p in self.pairs]

    def benefit_by_id(self) -> dict[str, float]:
        """Each person's benefit keyed by id (ids are unique across the two sides)."""
        out = {pid: float(v) for pid, v in zip(self.left_ids, self.left_benefit, strict=True)}
        out.update({pid: float(v) for pid, v in zip(self.right_ids, self.right_benefit, strict=True)})
        return out


def mutual_score(a: ArrayLike, b: ArrayLike) -> F64:
    """Harmonic mean ``2ab/(a+b)`` element-wise; 0 where either direction is <= 0."""
    a64 = np.asarray(a, dtype=np.float64)
    b64 = np.asarray(b, dtype=np.float64)
    both = (a64 > 0) & (b64 > 0)
    num = np.multiply(a64, b64)
    num *= 2.0
    out = np.zeros(np.broadcast_shapes(a64.shape, b64.shape), dtype=np.float64)
    # The mask keeps 0/0 out; computing in place avoids extra 200 MB temporaries at 5k x 5k.
    np.divide(num, a64 + b64, out=out, where=both)
    return out


def two_way_share(problem: MatchProblem, result: MatchResult, *, threshold: float = 0.1) -> float:
    """Share of chosen pairs in which both directions exceed ``threshold`` (0 if no pairs)."""
    if not result.pairs:
        return 0.0
    li = np.fromiter((p.left_idx for p in result.pairs), dtype=np.int64, count=len(result.pairs))
    rj = np.fromiter((p.right_idx for p in result.pairs), dtype=np.int64, count=len(result.pairs))
    lr = np.asarray(problem.benefit_lr)[li, rj]
    rl = np.asarray(problem.benefit_rl)[li, rj]
    return float(np.mean((lr > threshold) & (rl > threshold)))


# ---------------------------------------------------------------------------
# Validation and preparation
# ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Prepared:
    problem: MatchProblem
    left_ids: tuple[str, ...]
    right_ids: tuple[str, ...]
    a: F64
    b: F64
    score: F64
    not_forbidden: Mask
    allowed: Mask  # not forbidden and, when required, useful in both directions
    cap_l: I64
    cap_r: I64
    rem_l: I64  # capacity left after must-pairs
    rem_r: I64
    must_l: I64
    must_r: I64
    must_mask: Mask


def _ids(values: Sequence[str], side: Side) -> tuple[str, ...]:
    ids = tuple(values)
    if len(set(ids)) != len(ids):
        raise MatchInputError(f"{side}_ids contains duplicates")
    return ids


def _matrix(name: str, value: ArrayLike, shape: tuple[int, int]) -> F64:
    arr = np.asarray(value)
    if arr.size == 0 and shape[0] * shape[1] == 0:
        return np.zeros(shape, dtype=np.float64)
    if arr.shape != shape:
        raise MatchInputError(f"{name} has shape {arr.shape}, expected {shape}")
    if arr.dtype.kind not in "fiu":
        raise MatchInputError(f"{name} must be numeric, got dtype {arr.dtype}")
    out = np.asarray(arr, dtype=np.float64)
    if not np.isfinite(out).all():
        raise MatchInputError(f"{name} contains NaN or infinite values")
    if (out < 0).any():
        raise MatchInputError(f"{name} contains negative values")
    return out


def _capacity(name: str, value: Sequence[int], n: int) -> I64:
    if len(value) != n:
        raise MatchInputError(f"{name} has {len(value)} entries, expected {n}")
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    arr = np.asarray(value)
    if arr.dtype.kind not in "iu":
        raise MatchInputError(f"{name} must hold integers, got dtype {arr.dtype}")
    if (arr < 0).any():
        raise MatchInputError(f"{name} contains negative capacities")
    return arr.astype(np.int64)


def _prepare(problem: MatchProblem) -> _Prepared:
    left_ids = _ids(problem.left_ids, "left")
    right_ids = _ids(problem.right_ids, "right")
    shared = set(left_ids) & set(right_ids)
    if shared:
        example = sorted(shared)[0]
        raise MatchInputError(
            f"{len(shared)} id(s) appear on both sides (e.g. {example!r}): open pools need "
            "non-bipartite matching; split the pool into two sides first"
        )
    if problem.objective not in ("total", "coverage"):
        raise MatchInputError(f"unknown objective {problem.objective!r}")
    m = float(problem.min_direction_benefit)
    if not np.isfinite(m) or m < 0:
        raise MatchInputError("min_direction_benefit must be a finite number >= 0")

    shape = (len(left_ids), len(right_ids))
    a = _matrix("benefit_lr", problem.benefit_lr, shape)
    b = _matrix("benefit_rl", problem.benefit_rl, shape)
    cap_l = _capacity("left_capacity", problem.left_capacity, shape[0])
    cap_r = _capacity("right_capacity", problem.right_capacity, shape[1])

    if problem.forbidden is None:
        not_forbidden = np.ones(shape, dtype=np.bool_)
    else:
        forb = np.asarray(problem.forbidden)
        if forb.size == 0 and shape[0] * shape[1] == 0:
            forb = np.zeros(shape, dtype=np.bool_)
        if forb.shape != shape or forb.dtype != np.bool_:
            raise MatchInputError(f"forbidden must be a bool array of shape {shape}")
        not_forbidden = ~forb

    allowed = not_forbidden.copy()
    if problem.require_two_way:
        allowed &= a > m
        allowed &= b > m

    must_mask = np.zeros(shape, dtype=np.bool_)
    must_l_list: list[int] = []
    must_r_list: list[int] = []
    for pair in problem.must_pair:
        if len(pair) != 2:
            raise MatchInputError(f"must-pair {pair!r} is not a (left_idx, right_idx) pair")
        i, j = (int(pair[0]), int(pair[1]))
        if not (0 <= i < shape[0] and 0 <= j < shape[1]):
            raise MatchInputError(f"must-pair {pair!r} is out of range for a {shape} cohort")
        who = f"({left_ids[i]!r}, {right_ids[j]!r})"
        if must_mask[i, j]:
            raise MatchInputError(f"must-pair {who} is listed twice")
        if not not_forbidden[i, j]:
            raise MatchInputError(f"must-pair {who} is forbidden")
        must_mask[i, j] = True
        must_l_list.append(i)
        must_r_list.append(j)
    must_l = np.asarray(must_l_list, dtype=np.int64)
    must_r = np.asarray(must_r_list, dtype=np.int64)
    rem_l = cap_l - np.bincount(must_l, minlength=shape[0]).astype(np.int64)
    rem_r = cap_r - np.bincount(must_r, minlength=shape[1]).astype(np.int64)
    for side, rem, cap, ids in (("left", rem_l, cap_l, left_ids), ("right", rem_r, cap_r, right_ids)):
        over = np.flatnonzero(rem < 0)
        if over.size:
            k = int(over[0])
            n_must, n_cap = int(cap[k] - rem[k]), int(cap[k])
            msg = f"must-pairs give {side} {ids[k]!r} {n_must} partner(s) but its capacity is {n_cap}"
            raise MatchInputError(msg)

    return _Prepared(
        problem=problem,
        left_ids=left_ids,
        right_ids=right_ids,
        a=a,
        b=b,
        score=mutual_score(a, b),
        not_forbidden=not_forbidden,
        allowed=allowed,
        cap_l=cap_l,
        cap_r=cap_r,
        rem_l=rem_l,
        rem_r=rem_r,
        must_l=must_l,
        must_r=must_r,
        must_mask=must_mask,
    )


def _open_edges(prep: _Prepared, candidates: Mask) -> Mask:
    """Candidate edges still free for the optimiser: both ends have spare capacity."""
    usable = candidates & ~prep.must_mask
    usable &= (prep.rem_l > 0)[:, None]
    usable &= (prep.rem_r > 0)[None, :]
    return usable


# ---------------------------------------------------------------------------
# Engines
# ---------------------------------------------------------------------------


def _max_weight_bmatching(
    weights: F64,
    usable: Mask,
    cap_l: I64,
    cap_r: I64,
    *,
    bonus_l: Mask | None,
    bonus_r: Mask | None,
    engine: Engine,
) -> tuple[I64, I64, str]:
    """Max-weight simple b-matching on ``usable`` edges; returns (rows, cols, engine used).

    With ``bonus_*`` set, each flagged person's first unit of capacity is worth ``B``
    more than any total score, which makes the objective (covered people, score).
    """
    empty = np.zeros(0, dtype=np.int64)
    rows = np.flatnonzero(usable.any(axis=1))
    cols = np.flatnonzero(usable.any(axis=0))
    if rows.size == 0:
        return empty, empty, "none"
    full = rows.size == usable.shape[0] and cols.size == usable.shape[1]
    u = usable if full else usable[np.ix_(rows, cols)]
    w = weights.copy() if full else weights[np.ix_(rows, cols)]
    # Nobody can use more slots than they have usable partners: shrinks the expansion.
    cl = np.minimum(cap_l[rows], u.sum(axis=1)).astype(np.int64)
    cr = np.minimum(cap_r[cols], u.sum(axis=0)).astype(np.int64)
    peak = float(np.max(w, where=u, initial=0.0))
    if peak > 0:
        w *= 1.0 / peak  # Scores in [0, 1] keep the coverage bonus small and well conditioned.
    big = float(min(int(cl.sum()), int(cr.sum())) + 1)
    bl = np.zeros(rows.size, dtype=np.bool_) if bonus_l is None else bonus_l[rows]
    br = np.zeros(cols.size, dtype=np.bool_) if bonus_r is None else bonus_r[cols]

    if engine == "lp":
        r, c = _solve_lp(w, u, cl, cr, bl, br, big)
        return rows[r], cols[c], "lp"
    r, c = _solve_assignment(w, u, cl, cr, bl, br, big)
    if int(cl.max()) > 1 and int(cr.max()) > 1:
        keys = r * cols.size + c
        if np.unique(keys).size != keys.size:
            # The relaxation reused a pair: its optimum is not feasible, solve exactly.
            r, c = _solve_lp(w, u, cl, cr, bl, br, big)
            return rows[r], cols[c], "lp"
    return rows[r], cols[c], "assignment"


def _first_slots(counts: I64) -> Mask:
    first = np.zeros(int(counts.sum()), dtype=np.bool_)
    first[np.cumsum(counts) - counts] = True
    return first


def _solve_assignment(w: F64, u: Mask, cl: I64, cr: I64, bl: Mask, br: Mask, big: float) -> tuple[I64, I64]:
    """Capacity-expanded ``linear_sum_assignment``; may reuse a pair if both caps > 1."""
    owner_l = np.repeat(np.arange(cl.size, dtype=np.int64), cl)
    owner_r = np.repeat(np.arange(cr.size, dtype=np.int64), cr)
    expand_l = owner_l.size != cl.size
    expand_r = owner_r.size != cr.size
    # Expand only the side that needs it; at capacity 1 ``w`` is used in place.
    m = w[owner_l] if expand_l else w
    m = m[:, owner_r] if expand_r else m
    ue = u[owner_l] if expand_l else u
    ue = ue[:, owner_r] if expand_r else ue
    if bl.any() or br.any():
        m += (big * (_first_slots(cl) & bl[owner_l]))[:, None]
        m += (big * (_first_slots(cr) & br[owner_r]))[None, :]
    m[~ue] = 0.0
    r, c = linear_sum_assignment(m, maximize=True)
    r = np.asarray(r, dtype=np.int64)
    c = np.asarray(c, dtype=np.int64)
    # Zero-weight cells are "not matched" (a rectangular assignment must fill them).
    keep = ue[r, c] & (m[r, c] > 0)
    return owner_l[r[keep]], owner_r[c[keep]]


def _solve_lp(w: F64, u: Mask, cl: I64, cr: I64, bl: Mask, br: Mask, big: float) -> tuple[I64, I64]:
    """Exact b-matching as a network-flow LP (totally unimodular, so the vertex is integral).

    Variables: x_e per usable edge in [0, 1]; per left person y (first unit, gains ``big``
    when flagged) and z (the other units); the same for the right. Flow conservation:
    sum_e x_e = y + z at every person.
    """
    ei, ej = np.nonzero(u)
    ei = ei.astype(np.int64)
    ej = ej.astype(np.int64)
    n_e, n_l, n_r = ei.size, cl.size, cr.size
    yl_ub = bl.astype(np.float64)
    yr_ub = br.astype(np.float64)
    cost = np.concatenate([-w[ei, ej], -big * yl_ub, np.zeros(n_l), -big * yr_ub, np.zeros(n_r)])
    lower = np.zeros(cost.size)
    upper = np.concatenate([np.ones(n_e), yl_ub, cl - yl_ub, yr_ub, cr - yr_ub])

    il = np.arange(n_l, dtype=np.int64)
    ir = np.arange(n_r, dtype=np.int64) + n_l
    # Left rows get +x -y -z, right rows -x +y +z: one +1 and one -1 per edge column.
    row = np.concatenate([ei, ej + n_l, il, il, ir, ir])
    col = np.concatenate(
        [
            np.arange(n_e),
            np.arange(n_e),
            n_e + il,
            n_e + n_l + il,
            n_e + 2 * n_l + (ir - n_l),
            n_e + 2 * n_l + n_r + (ir - n_l),
        ]
    )
    val = np.concatenate([np.ones(n_e), -np.ones(n_e), -np.ones(2 * n_l), np.ones(2 * n_r)])
    a_eq = sparse.csr_array((val, (row, col)), shape=(n_l + n_r, cost.size))
    zeros = np.zeros(n_l + n_r)

    res = linprog(
        cost,
        A_eq=a_eq,
        b_eq=zeros,
        bounds=np.column_stack([lower, upper]),
        method="highs-ds",
    )
    if res.status != 0:
        raise RuntimeError(f"HiGHS failed on a feasible matching LP: {res.message}")
    x = np.asarray(res.x[:n_e], dtype=np.float64)
    if np.abs(x - np.round(x)).max(initial=0.0) > _INTEGRALITY_TOL:
        # Cannot happen for an exact vertex of a TU system; guard against solver tolerances.
        mres = milp(
            cost,
            constraints=LinearConstraint(a_eq, zeros, zeros),
            integrality=np.ones(cost.size),
            bounds=Bounds(lower, upper),
        )
        if mres.status != 0:
            raise RuntimeError(f"HiGHS MILP failed on a feasible matching problem: {mres.message}")
        x = np.asarray(mres.x[:n_e], dtype=np.float64)
    chosen = x > 0.5
    return ei[chosen], ej[chosen]


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------


def _build_result(
    prep: _Prepared,
    rows: I64,
    cols: I64,
    *,
    candidates: Mask,
    objective: Objective,
    method: str,
) -> MatchResult:
    li = np.concatenate([prep.must_l, rows]).astype(np.int64)
    rj = np.concatenate([prep.must_r, cols]).astype(np.int64)
    order = np.lexsort((rj, li))
    li, rj = li[order], rj[order]
    scores = prep.score[li, rj]
    n_l, n_r = len(prep.left_ids), len(prep.right_ids)
    left_benefit = np.bincount(li, weights=scores, minlength=n_l).astype(np.float64)
    right_benefit = np.bincount(rj, weights=scores, minlength=n_r).astype(np.float64)
    matched_l = np.bincount(li, minlength=n_l) > 0
    matched_r = np.bincount(rj, minlength=n_r) > 0
    matched_benefit = np.concatenate([left_benefit[matched_l], right_benefit[matched_r]])

    # Reasons are judged on the original capacities: partners with capacity 0 are not
    # in the programme, so they do not count as candidates.
    cand = candidates & (prep.cap_l > 0)[:, None] & (prep.cap_r > 0)[None, :]
    unmatched: list[UnmatchedPerson] = []
    sides: tuple[tuple[Side, Mask, I64, Mask, tuple[str, ...]], ...] = (
        ("left", matched_l, prep.cap_l, np.asarray(cand.any(axis=1)), prep.left_ids),
        ("right", matched_r, prep.cap_r, np.asarray(cand.any(axis=0)), prep.right_ids),
    )
    for side, matched, cap, has_cand, ids in sides:
        for k in np.flatnonzero(~matched).tolist():
            reason: Reason
            if cap[k] == 0:
                reason = "capacity 0"
            elif not has_cand[k]:
                reason = "no allowed partner"
            else:
                reason = "lost to better pairs"
            unmatched.append(UnmatchedPerson(side=side, index=k, person_id=ids[k], reason=reason))

    return MatchResult(
        pairs=tuple(
            MatchedPair(int(i), int(j), float(s))
            for i, j, s in zip(li.tolist(), rj.tolist(), scores.tolist(), strict=True)
        ),
        total_score=float(scores.sum()),
        left_benefit=left_benefit,
        right_benefit=right_benefit,
        min_benefit=float(matched_benefit.min()) if matched_benefit.size else None,
        median_benefit=float(np.median(matched_benefit)) if matched_benefit.size else None,
        unmatched=tuple(unmatched),
        n_covered=int(matched_l.sum() + matched_r.sum()),
        objective=objective,
        method=method,
        left_ids=prep.left_ids,
        right_ids=prep.right_ids,
    )


def _candidates(prep: _Prepared, objective: Objective) -> Mask:
    """Pairs the optimiser may use: allowed, and with a positive score for ``total``.

    Under ``total`` a zero-score pair adds nothing, so it is never chosen; under
    ``coverage`` (with ``require_two_way=False``) it can still give someone a partner.
    """
    if objective == "total":
        return prep.allowed & (prep.score > 0)
    return prep.allowed


# ---------------------------------------------------------------------------
# Public solvers
# ---------------------------------------------------------------------------


def solve(problem: MatchProblem, *, engine: Engine = "auto") -> MatchResult:
    """Optimal pairing of the whole cohort for ``problem.objective``.

    ``engine="lp"`` forces the exact LP engine (useful for sparse allowed graphs and
    for cross-checking); ``"auto"`` uses the assignment engine and falls back to the LP
    only when the assignment reuses a pair.

    Raises :class:`MatchInputError` for malformed input, forbidden must-pairs and
    must-pairs beyond a person's capacity.
    """
    prep = _prepare(problem)
    objective = problem.objective
    candidates = _candidates(prep, objective)
    usable = _open_edges(prep, candidates)
    bonus_l: Mask | None = None
    bonus_r: Mask | None = None
    if objective == "coverage":
        # People covered by a must-pair are already counted; their first slot earns nothing.
        bonus_l = np.bincount(prep.must_l, minlength=usable.shape[0]) == 0
        bonus_r = np.bincount(prep.must_r, minlength=usable.shape[1]) == 0
    rows, cols, method = _max_weight_bmatching(
        prep.score, usable, prep.rem_l, prep.rem_r, bonus_l=bonus_l, bonus_r=bonus_r, engine=engine
    )
    return _build_result(prep, rows, cols, candidates=candidates, objective=objective, method=method)


def solve_greedy(problem: MatchProblem) -> MatchResult:
    """Baseline: take allowed pairs by decreasing mutual score while both have capacity.

    Honours the same rules and must-pairs as :func:`solve`; ignores ``objective``.
    """
    prep = _prepare(problem)
    candidates = _candidates(prep, "total")
    usable = _open_edges(prep, candidates)
    ei, ej = np.nonzero(usable)
    order = np.argsort(-prep.score[ei, ej], kind="stable")
    ei, ej = ei[order], ej[order]
    cap_l = prep.rem_l.copy()
    cap_r = prep.rem_r.copy()
    left_open, right_open = int((cap_l > 0).sum()), int((cap_r > 0).sum())
    taken_l: list[int] = []
    taken_r: list[int] = []
    chunk = 1 << 16
    for start in range(0, ei.size, chunk):
        if left_open == 0 or right_open == 0:
            break
        ci, cj = ei[start : start + chunk], ej[start : start + chunk]
        # Vectorised pre-filter: most edges far down the list have a saturated end.
        live = (cap_l[ci] > 0) & (cap_r[cj] > 0)
        for i, j in zip(ci[live].tolist(), cj[live].tolist(), strict=True):
            if cap_l[i] > 0 and cap_r[j] > 0:
                taken_l.append(i)
                taken_r.append(j)
                cap_l[i] -= 1
                cap_r[j] -= 1
                left_open -= int(cap_l[i] == 0)
                right_open -= int(cap_r[j] == 0)
    rows = np.asarray(taken_l, dtype=np.int64)
    cols = np.asarray(taken_r, dtype=np.int64)
    return _build_result(prep, rows, cols, candidates=candidates, objective="total", method="greedy")


def solve_one_directional(problem: MatchProblem, *, engine: Engine = "auto") -> MatchResult:
    """Baseline: optimal assignment on ``benefit_lr`` alone (the ``mentor-match`` approach).

    Respects ``forbidden``, capacities and must-pairs but ignores the reverse direction
    and ``require_two_way``; pairs are still reported with their two-way mutual score.
    """
    prep = _prepare(problem)
    candidates = prep.not_forbidden & (prep.a > 0)
    usable = _open_edges(prep, candidates)
    rows, cols, method = _max_weight_bmatching(
        prep.a, usable, prep.rem_l, prep.rem_r, bonus_l=None, bonus_r=None, engine=engine
    )
    label = f"one-directional/{method}"
    return _build_result(prep, rows, cols, candidates=candidates, objective="total", method=label)
