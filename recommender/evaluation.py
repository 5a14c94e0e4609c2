"""Offline evaluation of the two-way recommender against the usual alternatives.

Ground truth comes from demo organisations (:func:`ingest.demo.generate_demo_organisation`)
with *planted* complementary pairs: a junior and a senior in different departments,
outside each other's reporting chain, each one's goals being exactly skills the other
holds at level 4-5. Two scenarios:

* ``planted``: the demo's pairs as generated (the partner holds the very skills wanted);
* ``paraphrased``: the same pairs after :func:`paraphrase_planted` replaced every skill
  a planted partner teaches by a SIMILAR_TO neighbour of it (cosine >= 0.6), the way
  people describe the same ability in different words ("social media marketing" vs
  "manage social media"). Exact label matching cannot see these pairs any more.

Methods, all under the same programme rules (reporting chain, opt-in, capacity,
seniority bands, time zone), each proposing ``k`` partners:

* ``mentorgraph``: :func:`recommender.pairing.recommend` (both directions, harmonic mean);
* ``one-directional``: the best mentors for my goals only (the same graph walk and
  scoring, one direction: what most mentoring tools optimise);
* ``label overlap``: questionnaire-style matching, the number of exact overlaps between
  my goals and their skills plus their goals and my skills (ties broken at random);
* ``random``: eligible partners drawn at random.

Metrics:

* ``hit@k``: share of planted people (both members of every pair asked in turn) whose
  planted partner is in the top ``k``; ``MRR``: mean reciprocal rank of the partner
  (0 outside the top ``k``);
* coverage, over a random sample of employees with goals, for the *first* partner
  proposed: the mean share of the person's goals the partner can teach (``learn``) and
  of the partner's goals the person can teach (``teach``), counting a goal as covered
  when the teacher holds it, or a skill the graph relates to it with quality >= 0.5
  (exact, similar, narrower or broader; not a mere sibling), at the teaching level;
  ``exact`` columns count only the very skill. ``two-way`` is the share of first
  partners who cover at least one goal in *each* direction.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from graph.store import GraphStore, SkillEdge
from recommender.pairing import band_of, bands_for, load_requester, recommend, rules_filter, teacher_targets
from recommender.policy import ProgrammePolicy
from recommender.scoring import load_neighbourhood, near_goals
from schema.models import Employee, EmployeeSkill

#: Quality from which a related skill counts as covering a goal in the coverage metric.
COVERAGE_QUALITY = 0.5
#: SIMILAR_TO score a paraphrase must reach.
PARAPHRASE_MIN_SCORE = 0.6


class Method(StrEnum):
    MENTORGRAPH = "mentorgraph"
    ONE_DIRECTIONAL = "one-directional"
    LABEL_OVERLAP = "label overlap"
    RANDOM = "random"


class MethodScore(BaseModel):
    model_config = ConfigDict(frozen=True)

    method: Method
    hit_at_k: float
    mrr: float
    planted_queries: int
    coverage_learn: float
    coverage_teach: float
    coverage_learn_exact: float
    coverage_teach_exact: float
    two_way: float
    coverage_people: int
    ms_per_query: float


class EvaluationReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    scenario: str
    size: int
    seed: int
    planted_pairs: int
    k: int
    policy: ProgrammePolicy
    methods: list[MethodScore]
    seconds: float


Ranker = Callable[[str], list[str]]


# --------------------------------------------------------------------------------------
# the organisation in memory, for the rules of the baselines


class _Org:
    def __init__(self, employees: Sequence[Employee], policy: ProgrammePolicy) -> None:
        self.by_id = {e.id: e for e in employees}
        self.policy = policy
        self.children: dict[str, list[str]] = {}
        for e in employees:
            if e.manager_id is not None and e.manager_id in self.by_id:
                self.children.setdefault(e.manager_id, []).append(e.id)
        level = policy.teaching_level
        self.teaches = {e.id: {s.skill_id for s in e.skills if s.level >= level} for e in employees}
        self.wants = {e.id: {g.skill_id for g in e.goals} for e in employees}
        self.holders: dict[str, list[str]] = {}
        self.learners: dict[str, list[str]] = {}
        for e in employees:
            for skill in self.teaches[e.id]:
                self.holders.setdefault(skill, []).append(e.id)
            for goal in self.wants[e.id]:
                self.learners.setdefault(goal, []).append(e.id)
        self.ids = sorted(self.by_id)

    def chain(self, employee_id: str) -> set[str]:
        found: set[str] = set()
        manager = self.by_id[employee_id].manager_id
        while manager is not None and manager in self.by_id and manager not in found:
            found.add(manager)
            manager = self.by_id[manager].manager_id
        stack = list(self.children.get(employee_id, ()))
        while stack:
            current = stack.pop()
            if current not in found:
                found.add(current)
                stack.extend(self.children.get(current, ()))
        return found

    def eligible(self, me: Employee) -> Callable[[Employee], bool]:
        """The programme's hard rules, as :func:`recommend` applies them (no pairings here)."""
        chain = self.chain(me.id)
        bands = bands_for(me, self.policy)
        hours = self.policy.max_utc_offset_difference

        def ok(other: Employee) -> bool:
            return (
                other.id != me.id
                and other.id not in chain
                and other.opt_in
                and other.capacity > 0
                and band_of(me, other, bands) is not None
                and (hours is None or abs(other.utc_offset - me.utc_offset) <= hours)
            )

        return ok


# --------------------------------------------------------------------------------------
# the methods


def _mentorgraph(store: GraphStore, policy: ProgrammePolicy, k: int) -> Ranker:
    def rank(employee_id: str) -> list[str]:
        result = recommend(store=store, employee_id=employee_id, limit=k, policy=policy)
        return [r.partner.id for r in result.recommendations]

    return rank


def _one_directional(store: GraphStore, policy: ProgrammePolicy, k: int) -> Ranker:
    """The best teachers of my goals, by the same walk and weights, one direction only.
    For a fixed learner the in-store score is the direction score times a constant (the
    learner's total priority), so ranking by it is ranking by the direction score."""

    def rank(employee_id: str) -> list[str]:
        me = load_requester(store, employee_id, policy)
        scored: list[tuple[float, str]] = []
        for band in bands_for(me.employee, policy):
            ranked = store.rank_by_skills(
                edge=SkillEdge.HAS_SKILL,
                targets=teacher_targets(me, digital_only=band.they_teach_digital_only),
                factors=policy.teaching_factors(),
                where=rules_filter(me, policy, band),
                limit=k,
            )
            scored.extend((r.score, r.employee_id) for r in ranked)
        scored.sort(key=lambda item: (-item[0], item[1]))
        return [employee_id for _score, employee_id in scored[:k]]

    return rank


def _label_overlap(org: _Org, k: int, rng: random.Random) -> Ranker:
    """Questionnaire matching: count exact overlaps both ways; random among ties."""

    def rank(employee_id: str) -> list[str]:
        me = org.by_id[employee_id]
        ok = org.eligible(me)
        counts: dict[str, int] = {}
        for goal in org.wants[me.id]:
            for other in org.holders.get(goal, ()):
                counts[other] = counts.get(other, 0) + 1
        for skill in org.teaches[me.id]:
            for other in org.learners.get(skill, ()):
                counts[other] = counts.get(other, 0) + 1
        keyed = [(-count, rng.random(), other) for other, count in counts.items() if ok(org.by_id[other])]
        keyed.sort()
        return [other for _count, _tie, other in keyed[:k]]

    return rank


def _random(org: _Org, k: int, rng: random.Random) -> Ranker:
    def rank(employee_id: str) -> list[str]:
        me = org.by_id[employee_id]
        ok = org.eligible(me)
        picked: list[str] = []
        # Rejection sampling: most people are eligible, so this ends quickly.
        for _ in range(50 * k):
            other = org.ids[rng.randrange(len(org.ids))]
            if other not in picked and ok(org.by_id[other]):
                picked.append(other)
                if len(picked) == k:
                    break
        return picked

    return rank


# --------------------------------------------------------------------------------------
# metrics


def _covered(store: GraphStore, learner: Employee, teacher: Employee, policy: ProgrammePolicy) -> tuple[float, float]:
    """(share of the learner's goals the teacher covers, the same counting exact skills only)."""
    if not learner.goals:
        return 0.0, 0.0
    goals = [g.skill_id for g in learner.goals]
    hood = load_neighbourhood(store=store, skill_ids=goals, policy=policy)
    near = near_goals(goal_ids=goals, hood=hood, policy=policy)
    held = {s.skill_id for s in teacher.skills if s.level >= policy.teaching_level}
    related = sum(
        1
        for goal in goals
        if any(skill in held and n.quality >= COVERAGE_QUALITY for skill, n in near.get(goal, {}).items())
    )
    exact = sum(1 for goal in goals if goal in held)
    return related / len(goals), exact / len(goals)


def _score_method(
    method: Method,
    rank: Ranker,
    *,
    store: GraphStore,
    org: _Org,
    planted: Sequence[tuple[str, str]],
    sample: Sequence[str],
    k: int,
) -> MethodScore:
    started = time.perf_counter()
    queries = 0
    hits = 0
    reciprocal = 0.0
    for first, second in planted:
        for asker_id, partner_id in ((first, second), (second, first)):
            ranked = rank(asker_id)
            queries += 1
            if partner_id in ranked[:k]:
                hits += 1
                reciprocal += 1 / (ranked.index(partner_id) + 1)
    learn = teach = learn_exact = teach_exact = two_way = 0.0
    for employee_id in sample:
        ranked = rank(employee_id)
        queries += 1
        if not ranked:
            continue
        me, partner = org.by_id[employee_id], org.by_id[ranked[0]]
        mine, mine_exact = _covered(store, me, partner, org.policy)
        theirs, theirs_exact = _covered(store, partner, me, org.policy)
        learn += mine
        teach += theirs
        learn_exact += mine_exact
        teach_exact += theirs_exact
        two_way += 1.0 if mine > 0 and theirs > 0 else 0.0
    n_planted = 2 * len(planted)
    n_sample = max(len(sample), 1)
    return MethodScore(
        method=method,
        hit_at_k=round(hits / n_planted, 4) if n_planted else 0.0,
        mrr=round(reciprocal / n_planted, 4) if n_planted else 0.0,
        planted_queries=n_planted,
        coverage_learn=round(learn / n_sample, 4),
        coverage_teach=round(teach / n_sample, 4),
        coverage_learn_exact=round(learn_exact / n_sample, 4),
        coverage_teach_exact=round(teach_exact / n_sample, 4),
        two_way=round(two_way / n_sample, 4),
        coverage_people=len(sample),
        ms_per_query=round(1000 * (time.perf_counter() - started) / max(queries, 1), 2),
    )


def evaluate(
    *,
    store: GraphStore,
    employees: Sequence[Employee],
    planted: Sequence[tuple[str, str]],
    policy: ProgrammePolicy,
    k: int = 5,
    sample: int = 200,
    seed: int = 0,
    methods: Sequence[Method] = tuple(Method),
) -> list[MethodScore]:
    """Score every method on an organisation already loaded into ``store``."""
    org = _Org(employees, policy)
    rng = random.Random(seed)
    planted_ids = {i for pair in planted for i in pair}
    with_goals = [e.id for e in employees if e.goals and e.id not in planted_ids]
    people = sorted(rng.sample(with_goals, min(sample, len(with_goals))))
    rankers: dict[Method, Ranker] = {
        Method.MENTORGRAPH: _mentorgraph(store, policy, k),
        Method.ONE_DIRECTIONAL: _one_directional(store, policy, k),
        Method.LABEL_OVERLAP: _label_overlap(org, k, random.Random(seed + 1)),
        Method.RANDOM: _random(org, k, random.Random(seed + 2)),
    }
    return [
        _score_method(method, rankers[method], store=store, org=org, planted=planted, sample=people, k=k)
        for method in methods
    ]


# --------------------------------------------------------------------------------------
# the paraphrased scenario


def paraphrase_planted(
    *,
    store: GraphStore,
    employees: Sequence[Employee],
    planted: Sequence[tuple[str, str]],
    seed: int = 0,
) -> tuple[list[Employee], int]:
    """Replace, in each planted pair, every skill one partner holds for the other's goal by
    a SIMILAR_TO neighbour of that goal (same level). Returns the new employee list and the
    number of skills replaced. Goals without a neighbour scoring >= 0.6 stay exact."""
    rng = random.Random(seed)
    by_id = {e.id: e for e in employees}
    goals = sorted({g.skill_id for pair in planted for member in pair for g in by_id[member].goals})
    neighbours: dict[str, list[str]] = {}
    for edge in store.similar_skills(skill_ids=goals, min_score=PARAPHRASE_MIN_SCORE):
        neighbours.setdefault(edge.source_id, []).append(edge.target_id)
    replaced = 0
    changed: dict[str, Employee] = {}
    for first, second in planted:
        for learner_id, teacher_id in ((first, second), (second, first)):
            learner = by_id[learner_id]
            teacher = changed.get(teacher_id, by_id[teacher_id])
            levels = {s.skill_id: s.level for s in teacher.skills}
            wanted = {g.skill_id for g in learner.goals} | {g.skill_id for g in teacher.goals}
            for goal in learner.goals:
                options = [n for n in neighbours.get(goal.skill_id, []) if n not in levels and n not in wanted]
                if goal.skill_id not in levels or not options:
                    continue
                level = levels.pop(goal.skill_id)
                levels[rng.choice(options)] = level
                replaced += 1
            skills = tuple(EmployeeSkill(skill_id=s, level=v) for s, v in sorted(levels.items()))
            changed[teacher_id] = teacher.model_copy(update={"skills": skills})
    return [changed.get(e.id, e) for e in employees], replaced


def _format_pct(value: float) -> str:
    return f"{100 * value:.0f}%"


def report_rows(report: EvaluationReport) -> list[Mapping[str, str]]:
    """The report as table rows (for the benchmark's Markdown and Rich output)."""
    return [
        {
            "method": m.method.value,
            f"hit@{report.k}": _format_pct(m.hit_at_k),
            "MRR": f"{m.mrr:.2f}",
            "learn": _format_pct(m.coverage_learn),
            "teach": _format_pct(m.coverage_teach),
            "learn exact": _format_pct(m.coverage_learn_exact),
            "teach exact": _format_pct(m.coverage_teach_exact),
            "two-way": _format_pct(m.two_way),
            "ms/query": f"{m.ms_per_query:.0f}",
        }
        for m in report.methods
    ]


__all__ = [
    "EvaluationReport",
    "Method",
    "MethodScore",
    "evaluate",
    "paraphrase_planted",
    "report_rows",
]
