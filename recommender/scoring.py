"""How well one person's skills meet another's learning goals.

Pure functions over a small slice of the skill graph (:class:`Neighbourhood`), loaded
with a fixed number of batched store calls, so that scoring hundreds of candidates costs
no query per candidate.

A goal ``g`` is met by a skill ``h`` the teacher holds at the teaching level, with a
*quality* (see :class:`recommender.policy.ProgrammePolicy` for the numbers):

* exact: ``h == g`` (1.0);
* similar: a ``SIMILAR_TO`` edge ``g -> h`` (its cosine, one of the ``similar_per_goal``
  strongest edges of ``g`` at or above ``min_similarity``);
* narrower: ``h`` is a child of ``g`` in the taxonomy (``h -BROADER-> g``);
* broader: ``h`` is a parent of ``g``;
* sibling: ``g`` and ``h`` share a parent that has at most ``max_sibling_group`` children.

When several relations hold, the best quality counts. The same relations are read in
both directions of the walk: from a learner's goals outwards (:func:`near_goals`) and,
from a teacher's skills back to the goals they can meet (:func:`goals_met_by`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from graph.store import GraphStore, RankedSimilarEdge, SimilarEdge
from recommender.models import MatchKind
from recommender.parallel import together
from recommender.policy import PRIORITY_WEIGHTS, ProgrammePolicy
from schema.models import Employee

#: A similar skill never counts as much as the skill itself (near-duplicates score ~1.0).
MAX_SIMILAR_QUALITY = 0.99
_KIND_RANK = {kind: rank for rank, kind in enumerate(MatchKind)}


@dataclass(frozen=True, slots=True)
class Near:
    """``skill_id`` meets a goal with this kind of match and quality."""

    skill_id: str
    match: MatchKind
    quality: float


#: goal id -> skill id -> the best way that skill meets the goal.
NearMap = dict[str, dict[str, Near]]


def _keep_best(found: dict[str, Near], near: Near) -> None:
    current = found.get(near.skill_id)
    if current is None or (near.quality, -_KIND_RANK[near.match]) > (current.quality, -_KIND_RANK[current.match]):
        found[near.skill_id] = near


@dataclass
class Neighbourhood:
    """The skill graph around a set of skills: SIMILAR_TO edges leaving them, their
    parents and children, and the children of their parents (for siblings)."""

    similar: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    parents: dict[str, list[str]] = field(default_factory=dict)
    children: dict[str, list[str]] = field(default_factory=dict)

    def small_parent(self, parent: str, policy: ProgrammePolicy) -> bool:
        # Big parents' children are not loaded (see load_neighbourhood): no siblings then.
        return 0 < len(self.children.get(parent, ())) <= policy.max_sibling_group


def load_neighbourhood(*, store: GraphStore, skill_ids: Iterable[str], policy: ProgrammePolicy) -> Neighbourhood:
    """Four batched store calls whatever the number of skills: three at once, then the
    siblings' parents (which need the first answers)."""
    ids = sorted(set(skill_ids))
    hood = Neighbourhood()
    if not ids:
        return hood
    similar, broader, narrower = together(
        store,
        lambda: store.similar_skills(skill_ids=ids, min_score=policy.min_similarity),
        lambda: store.broader_edges(skill_ids=ids),
        lambda: store.narrower_edges(skill_ids=ids),
    )
    add_similar(hood, similar, policy)
    for child, parent in broader:
        hood.parents.setdefault(child, []).append(parent)
    parents = sorted({parent for found in hood.parents.values() for parent in found} - set(ids))
    # Every child of the skills themselves (narrower matches), but only the children of
    # parents small enough for siblings to count: a big ESCO group's hundreds of children
    # would be read only to be ignored.
    edges = list(narrower)
    if parents:
        edges += store.narrower_edges(skill_ids=parents, max_children=policy.max_sibling_group)
    for parent, child in edges:
        hood.children.setdefault(parent, []).append(child)
    return hood


def add_similar(hood: Neighbourhood, edges: Iterable[SimilarEdge], policy: ProgrammePolicy) -> None:
    """Keep the ``similar_per_goal`` strongest edges per source (edges come best first)."""
    for edge in edges:
        if edge.score < policy.min_similarity or edge.source_id == edge.target_id:
            continue
        found = hood.similar.setdefault(edge.source_id, [])
        if len(found) < policy.similar_per_goal:
            found.append((edge.target_id, edge.score))


def near_goals(*, goal_ids: Iterable[str], hood: Neighbourhood, policy: ProgrammePolicy) -> NearMap:
    """For each goal, every skill that meets it and how well (the outward walk)."""
    out: NearMap = {}
    for goal in goal_ids:
        found: dict[str, Near] = {goal: Near(goal, MatchKind.EXACT, 1.0)}
        for target, score in hood.similar.get(goal, ()):
            _keep_best(found, Near(target, MatchKind.SIMILAR, min(score, MAX_SIMILAR_QUALITY)))
        for child in hood.children.get(goal, ()):
            _keep_best(found, Near(child, MatchKind.NARROWER, policy.narrower_quality))
        for parent in hood.parents.get(goal, ()):
            _keep_best(found, Near(parent, MatchKind.BROADER, policy.broader_quality))
            if hood.small_parent(parent, policy):
                for sibling in hood.children.get(parent, ()):
                    if sibling != goal:
                        _keep_best(found, Near(sibling, MatchKind.SIBLING, policy.sibling_quality))
        out[goal] = {skill: near for skill, near in found.items() if near.quality > 0}
    return out


def goals_met_by(
    *,
    skill_ids: Iterable[str],
    hood: Neighbourhood,
    policy: ProgrammePolicy,
    incoming: Iterable[RankedSimilarEdge] | None = None,
) -> NearMap:
    """The inverse walk: for each goal some learner might have, which of ``skill_ids``
    meet it and how well (goal id -> teacher skill id -> Near).

    Taxonomy relations are inverted exactly from ``hood`` (loaded around ``skill_ids``).
    SIMILAR_TO edges point from the goal to the skill, so the exact inverse needs the
    edges *into* ``skill_ids`` with their rank at their source
    (:meth:`GraphStore.similar_into`): an edge counts when it is one of its goal's
    ``similar_per_goal`` strongest, exactly as :func:`near_goals` reads it. Without them
    the edges leaving ``skill_ids`` are used instead, as an estimate (the similarity graph
    is close to symmetric) - good enough to choose whom to score exactly.
    """
    skills = set(skill_ids)
    out: NearMap = {}

    def add(goal: str, near: Near) -> None:
        if near.quality > 0:
            _keep_best(out.setdefault(goal, {}), near)

    for skill in sorted(skills):
        add(skill, Near(skill, MatchKind.EXACT, 1.0))
        for parent in hood.parents.get(skill, ()):
            # skill is narrower than the goal "parent"
            add(parent, Near(skill, MatchKind.NARROWER, policy.narrower_quality))
            if hood.small_parent(parent, policy):
                for sibling in hood.children.get(parent, ()):
                    if sibling != skill:
                        add(sibling, Near(skill, MatchKind.SIBLING, policy.sibling_quality))
        for child in hood.children.get(skill, ()):
            # skill is the broader parent of the goal "child"
            add(child, Near(skill, MatchKind.BROADER, policy.broader_quality))
    if incoming is None:
        for skill in sorted(skills):
            for target, score in hood.similar.get(skill, ()):
                add(target, Near(skill, MatchKind.SIMILAR, min(score, MAX_SIMILAR_QUALITY)))
    else:
        for edge in incoming:
            if (
                edge.target_id in skills
                and edge.rank < policy.similar_per_goal
                and edge.score >= policy.min_similarity
                and edge.source_id != edge.target_id
            ):
                add(edge.source_id, Near(edge.target_id, MatchKind.SIMILAR, min(edge.score, MAX_SIMILAR_QUALITY)))
    return out


@dataclass(frozen=True, slots=True)
class Topic:
    """One goal of the learner met by one skill of the teacher."""

    goal_id: str
    priority: int
    skill_id: str
    level: int
    near: Near
    value: float  # quality x level factor, in [0, 1]
    score: float  # value x goal weight / total weight: this topic's share of the direction score


@dataclass(frozen=True, slots=True)
class Direction:
    learner_id: str
    teacher_id: str
    score: float
    goals: int
    topics: tuple[Topic, ...]


#: (goal id, skill id) -> may this skill be taught for this goal in this direction?
TopicFilter = Callable[[str, str], bool]


def score_direction(
    *,
    learner: Employee,
    teacher: Employee,
    near: Mapping[str, Mapping[str, Near]],
    policy: ProgrammePolicy,
    allowed: TopicFilter | None = None,
) -> Direction:
    """What ``learner`` gains from ``teacher``: for each goal the best skill that meets it,
    weighted by the goal's priority, normalised by the best achievable (see the policy)."""
    teachable = {s.skill_id: s.level for s in teacher.skills if s.level >= policy.teaching_level}
    total = sum(PRIORITY_WEIGHTS[g.priority - 1] for g in learner.goals)
    topics: list[Topic] = []
    for goal in learner.goals:
        candidates = near.get(goal.skill_id)
        if not candidates or not teachable:
            continue
        best: tuple[float, float, int] | None = None
        best_skill = ""
        best_near: Near | None = None
        # Iterate over the smaller side: a profile has ~20 skills, a goal up to ~50 near skills.
        pairs = (
            ((skill, level, candidates.get(skill)) for skill, level in teachable.items())
            if len(teachable) <= len(candidates)
            else ((skill, teachable.get(skill), n) for skill, n in candidates.items())
        )
        for skill, level, found in pairs:
            if found is None or level is None:
                continue
            if allowed is not None and not allowed(goal.skill_id, skill):
                continue
            # Best value, then the closer match, then the higher level, then the lower id.
            key = (found.quality * policy.level_factor(level), found.quality, level)
            if best is None or key > best or (key == best and skill < best_skill):
                best, best_skill, best_near = key, skill, found
        if best is None or best_near is None or best[0] <= 0:
            continue
        value = best[0]
        weight = PRIORITY_WEIGHTS[goal.priority - 1]
        topics.append(
            Topic(
                goal_id=goal.skill_id,
                priority=goal.priority,
                skill_id=best_near.skill_id,
                level=best[2],
                near=best_near,
                value=value,
                score=value * weight / total,
            )
        )
    topics.sort(key=lambda t: (-t.score, -t.priority, t.goal_id))
    score = round(sum(t.score for t in topics), 6)
    return Direction(
        learner_id=learner.id, teacher_id=teacher.id, score=score, goals=len(learner.goals), topics=tuple(topics)
    )


def harmonic(first: float, second: float) -> float:
    """Harmonic mean: 0 when either side is 0, near the weaker side when lopsided."""
    if first <= 0 or second <= 0:
        return 0.0
    return round(2 * first * second / (first + second), 6)
