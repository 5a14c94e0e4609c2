"""Two-way pairing recommendations and pair agendas.

The walk for ``recommend(employee)``:

1. my goals -> the skills near them (exact, SIMILAR_TO, taxonomy; :mod:`recommender.scoring`)
   -> colleagues who hold them at the teaching level, ranked *inside the store*
   (:meth:`GraphStore.rank_by_skills`): one walk per seniority band the policy allows,
   since in reverse mentoring juniors and seniors teach different things;
2. and back: my strengths -> the goals they meet -> colleagues who want those, ranked the
   same way (normalised by each colleague's own goals);
3. the hard rules (opt-in, capacity > 0, time zone, seniority band, reporting chain,
   previous partners) are applied inside those walks; each returns its best
   ``WALK_LIMIT`` ids with scores, and the ``candidate_pool`` best by the harmonic mean
   of the two estimates are kept;
4. only those are scored exactly in Python from full profiles (one batched read);
   capacity used by active pairings is checked (one batched read); both directions
   are combined with the harmonic mean, and the best ``limit`` are explained.

So a request costs a fixed number of store calls and a bounded amount of Python,
whatever the organisation's size; only the in-store walks grow with it. Independent
calls run concurrently (:func:`together`): on Neo4j a request waits for its slowest
round trip, not for their sum.

When fewer than ``limit`` two-way partners are found, the walks run again without the
rules and the colleagues they find are classified by the first rule that excludes them,
so the answer says *why* (reporting chain, capacity, time zone, no overlap...).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from graph.store import EmployeeFilter, GraphStore, RankedEmployee, RankedSimilarEdge, SkillEdge, SkillTarget
from recommender.errors import EmployeeNotFound
from recommender.models import (
    AgendaItem,
    Diagnostics,
    DirectionScore,
    ExclusionReason,
    PairAgenda,
    PersonRef,
    ReasonCount,
    Recommendation,
    RecommendationList,
    SkillRef,
)
from recommender.parallel import together
from recommender.policy import PRIORITY_WEIGHTS, MentoringDirection, ProgrammePolicy
from recommender.scoring import (
    Direction,
    NearMap,
    Neighbourhood,
    TopicFilter,
    goals_met_by,
    harmonic,
    load_neighbourhood,
    near_goals,
    score_direction,
)
from schema.models import Employee, Pairing, PairingStatus, Skill

DEFAULT_POLICY = ProgrammePolicy()
#: Colleagues examined when explaining why partners are missing.
DIAGNOSTIC_POOL = 100
#: Candidates each ranking walk returns with their score (cheap: ids and numbers only).
WALK_LIMIT = 300
#: At most this many candidates (or 4 x the partners asked for) are scored exactly.
MAX_EXACT = 100


def get_employee_or_raise(*, store: GraphStore, employee_id: str) -> Employee:
    employee = store.get_employee(employee_id=employee_id.strip())
    if employee is None:
        raise EmployeeNotFound(employee_id)
    return employee


# --------------------------------------------------------------------------------------
# bands: who may pair with whom, and which topics count in each direction


@dataclass(frozen=True, slots=True)
class Band:
    """Partners at these seniority levels, and which direction is restricted to the
    senior's digital goals (reverse mentoring)."""

    seniorities: tuple[int, ...] | None
    they_teach_digital_only: bool = False  # they are the junior: they teach me digital topics
    i_teach_digital_only: bool = False  # I am the junior: I teach them digital topics


def bands_for(me: Employee, policy: ProgrammePolicy) -> list[Band]:
    if not policy.needs_seniority_gap():
        if policy.direction is MentoringDirection.REVERSE:
            # Gap 0: juniors, peers and seniors, the junior side still teaching digital.
            return [
                b
                for b in (
                    Band(tuple(range(1, me.seniority)), they_teach_digital_only=True),
                    Band((me.seniority,)),
                    Band(tuple(range(me.seniority + 1, 6)), i_teach_digital_only=True),
                )
                if b.seniorities
            ]
        return [Band(None)]
    gap = policy.min_seniority_gap
    juniors = tuple(level for level in range(1, 6) if me.seniority - level >= gap)
    seniors = tuple(level for level in range(1, 6) if level - me.seniority >= gap)
    if policy.direction is MentoringDirection.TRADITIONAL:
        both = juniors + seniors
        return [Band(both)] if both else []
    bands = []
    if juniors:
        bands.append(Band(juniors, they_teach_digital_only=True))
    if seniors:
        bands.append(Band(seniors, i_teach_digital_only=True))
    return bands


def band_of(me: Employee, other: Employee, bands: Sequence[Band]) -> Band | None:
    for band in bands:
        if band.seniorities is None or other.seniority in band.seniorities:
            return band
    return None


def digital_goals_only(skills: Mapping[str, Skill]) -> TopicFilter:
    """Reverse mentoring: the junior teaches the senior's *digital* goals."""

    def allowed(goal_id: str, _skill_id: str) -> bool:
        skill = skills.get(goal_id)
        return skill is not None and skill.digital

    return allowed


# --------------------------------------------------------------------------------------
# the request-wide context: me, my rules, my slice of the skill graph


@dataclass
class Requester:
    """The employee asking, with their rules and their slice of the skill graph."""

    employee: Employee
    chain: set[str]
    previous: set[str]
    active: int
    strengths: dict[str, int]  # skill id -> level, at the teaching level
    hood: Neighbourhood
    forward: NearMap  # my goal -> skills that meet it
    skills: dict[str, Skill]  # my goals and strengths
    incoming: list[RankedSimilarEdge]  # SIMILAR_TO edges into my strengths
    _estimated_inverse: NearMap | None = None

    _exact_inverse: NearMap | None = None

    def exact_inverse(self, policy: ProgrammePolicy) -> NearMap:
        """Goals my strengths meet, SIMILAR_TO read from the goals' side (computed once)."""
        if self._exact_inverse is None:
            self._exact_inverse = goals_met_by(
                skill_ids=self.strengths, hood=self.hood, policy=policy, incoming=self.incoming
            )
        return self._exact_inverse

    def estimated_inverse(self, policy: ProgrammePolicy) -> NearMap:
        """Goals my strengths meet, SIMILAR_TO read from my side (computed once)."""
        if self._estimated_inverse is None:
            self._estimated_inverse = goals_met_by(skill_ids=self.strengths, hood=self.hood, policy=policy)
        return self._estimated_inverse


def load_requester(store: GraphStore, employee_id: str, policy: ProgrammePolicy) -> Requester:
    me = get_employee_or_raise(store=store, employee_id=employee_id)
    strengths = {s.skill_id: s.level for s in me.skills if s.level >= policy.teaching_level}
    goal_ids = [g.skill_id for g in me.goals]
    # The neighbourhood goes first: it runs on this thread, so its own reads run at once too.
    hood, pairings, chain, skills, incoming = together(
        store,
        lambda: load_neighbourhood(store=store, skill_ids=[*goal_ids, *strengths], policy=policy),
        lambda: store.list_pairings(employee_id=me.id),
        lambda: store.reporting_chain(employee_id=me.id),
        lambda: store.get_skills(skill_ids=sorted({*goal_ids, *strengths})),
        lambda: store.similar_into(skill_ids=sorted(strengths), min_score=policy.min_similarity) if strengths else [],
    )
    return Requester(
        employee=me,
        chain=chain,
        previous={other for p in pairings for other in p.employee_ids if other != me.id},
        active=sum(1 for p in pairings if p.status is PairingStatus.ACTIVE),
        strengths=strengths,
        hood=hood,
        forward=near_goals(goal_ids=goal_ids, hood=hood, policy=policy),
        skills=skills,
        incoming=incoming,
    )


def rules_filter(me: Requester, policy: ProgrammePolicy, band: Band) -> EmployeeFilter:
    exclude = {me.employee.id, *me.chain}
    if not policy.include_previous_partners:
        exclude |= me.previous
    low, high = -24.0, 24.0
    if policy.max_utc_offset_difference is not None:
        low = me.employee.utc_offset - policy.max_utc_offset_difference
        high = me.employee.utc_offset + policy.max_utc_offset_difference
    return EmployeeFilter(
        exclude_ids=sorted(exclude),
        opt_in_only=True,
        min_capacity=1,
        seniorities=band.seniorities,
        min_utc_offset=low,
        max_utc_offset=high,
    )


def teacher_targets(me: Requester, *, digital_only: bool) -> list[SkillTarget]:
    """Skills near my goals, weighted by the goal's priority and the match quality."""
    targets = []
    for goal in me.employee.goals:
        if digital_only and not _is_digital(me.skills, goal.skill_id):
            continue
        weight = PRIORITY_WEIGHTS[goal.priority - 1]
        for skill_id, near in sorted(me.forward.get(goal.skill_id, {}).items()):
            targets.append(SkillTarget(goal.skill_id, skill_id, round(weight * near.quality, 9)))
    return targets


def learner_targets(me: Requester, policy: ProgrammePolicy, *, digital_only: bool = False) -> list[SkillTarget]:
    """Goals my strengths meet (estimated inverse walk), weighted by the best match.
    ``digital_only`` keeps the goals met by one of my digital skills: exactly the digital
    goals for exact matches, a close proxy for related ones (the exact scoring decides)."""
    targets = []
    for goal_id, meeting in sorted(me.estimated_inverse(policy).items()):
        best = max(
            (
                near.quality * policy.level_factor(me.strengths[skill])
                for skill, near in meeting.items()
                if not digital_only or _is_digital(me.skills, skill)
            ),
            default=0.0,
        )
        if best > 0:
            targets.append(SkillTarget(goal_id, goal_id, round(best, 9)))
    return targets


def _is_digital(skills: Mapping[str, Skill], skill_id: str) -> bool:
    skill = skills.get(skill_id)
    return skill is not None and skill.digital


def _candidate_ids(
    store: GraphStore,
    me: Requester,
    policy: ProgrammePolicy,
    bands: Sequence[Band],
    *,
    rules: bool,
    walk_limit: int = WALK_LIMIT,
) -> tuple[list[str], bool]:
    """Promising partners, best estimate first, and whether a walk hit ``walk_limit``
    (then more colleagues overlap than were returned).

    One HAS_SKILL walk per band (what they can teach me; the in-store score divided by my
    total goal weight *is* the direction score) and a normalised WANTS_TO_LEARN walk for
    the bands where I teach anything and one for those where I teach digital topics only
    (an estimate of what I can teach them: the inverse walk reads SIMILAR_TO from my
    side, and "digital" is judged by my skill, not by their goal). Each walk keeps its
    best ``walk_limit``; the union is ordered by the harmonic mean of the two estimates,
    then by their sum, so one-sided candidates come after every estimated two-way one."""
    teach_me: dict[str, float] = {}
    learn_from_me: dict[str, float] = {}
    my_total = sum(PRIORITY_WEIGHTS[g.priority - 1] for g in me.employee.goals)
    plain = EmployeeFilter(exclude_ids=[me.employee.id])
    walks: list[tuple[bool, Callable[[], list[RankedEmployee]]]] = []  # (teaches me?, walk)
    if me.employee.goals:
        for band in bands:
            targets = teacher_targets(me, digital_only=band.they_teach_digital_only and rules)
            where = rules_filter(me, policy, band) if rules else plain
            walks.append(
                (
                    True,
                    lambda targets=targets, where=where: store.rank_by_skills(  # type: ignore[misc]
                        edge=SkillEdge.HAS_SKILL,
                        targets=targets,
                        factors=policy.teaching_factors(),
                        where=where,
                        limit=walk_limit,
                    ),
                )
            )
    if me.strengths:
        # Bands where I teach anything share one walk; where I am the junior, only the
        # goals my digital skills meet count.
        restricted = [b for b in bands if b.i_teach_digital_only and rules]
        free = [b for b in bands if b not in restricted]
        for group, digital_only in ((free, False), (restricted, True)):
            wanted = learner_targets(me, policy, digital_only=digital_only) if group else []
            if not wanted:
                continue
            seniorities = None if any(b.seniorities is None for b in group) else _union(group)
            where = rules_filter(me, policy, Band(seniorities)) if rules else plain
            walks.append(
                (
                    False,
                    lambda wanted=wanted, where=where: store.rank_by_skills(  # type: ignore[misc]
                        edge=SkillEdge.WANTS_TO_LEARN,
                        targets=wanted,
                        factors=PRIORITY_WEIGHTS,
                        where=where,
                        limit=walk_limit,
                        normalise=True,
                    ),
                )
            )
    # The walks are independent: run them at once (a Neo4j request then waits for the
    # slowest walk, not for their sum).
    results: list[list[RankedEmployee]] = together(store, *(walk for _teaches, walk in walks))
    truncated = any(len(ranked) >= walk_limit for ranked in results)
    for (teaches_me, _walk), ranked in zip(walks, results, strict=True):
        for r in ranked:
            if teaches_me:
                teach_me[r.employee_id] = max(teach_me.get(r.employee_id, 0.0), r.score / my_total)
            else:
                learn_from_me[r.employee_id] = max(learn_from_me.get(r.employee_id, 0.0), r.score)
    no_goals = not me.employee.goals

    def estimate(employee_id: str) -> tuple[float, float, str]:
        mine, theirs = teach_me.get(employee_id, 0.0), learn_from_me.get(employee_id, 0.0)
        mutual = theirs if no_goals else harmonic(mine, theirs)
        return (-mutual, -(mine + theirs), employee_id)

    return sorted({*teach_me, *learn_from_me}, key=estimate), truncated


def _union(bands: Sequence[Band]) -> tuple[int, ...]:
    return tuple(sorted({level for band in bands for level in band.seniorities or ()}))


# --------------------------------------------------------------------------------------
# exact scoring of a pool of candidates


@dataclass(frozen=True, slots=True)
class _Scored:
    partner: Employee
    you_learn: Direction
    you_teach: Direction
    mutual: float
    score: float
    two_way: bool


def _score_pool(
    store: GraphStore, me: Requester, candidates: Sequence[Employee], policy: ProgrammePolicy, bands: Sequence[Band]
) -> tuple[list[_Scored], dict[str, Skill]]:
    """Score both directions exactly; return the scored pairs and every skill they cite."""
    goals = sorted({g.skill_id for c in candidates for g in c.goals})
    backward = me.exact_inverse(policy)
    # Labels and digital flags of the candidates' goals my strengths meet, and of the
    # candidates' skills that meet my goals: all the skills an agenda can cite.
    near_mine = {skill for meeting in me.forward.values() for skill in meeting}
    cited = {g for g in goals if g in backward} | {
        s.skill_id for c in candidates for s in c.skills if s.skill_id in near_mine
    }
    skills = dict(me.skills)
    missing = sorted(cited - skills.keys())
    if missing:
        skills.update(store.get_skills(skill_ids=missing))
    digital_only = digital_goals_only(skills)
    no_goals = not me.employee.goals
    scored = []
    for partner in candidates:
        band = band_of(me.employee, partner, bands)
        you_learn = score_direction(
            learner=me.employee,
            teacher=partner,
            near=me.forward,
            policy=policy,
            allowed=digital_only if band is not None and band.they_teach_digital_only else None,
        )
        you_teach = score_direction(
            learner=partner,
            teacher=me.employee,
            near=backward,
            policy=policy,
            allowed=digital_only if band is not None and band.i_teach_digital_only else None,
        )
        two_way = you_learn.score > 0 and you_teach.score > 0
        # With no goals of my own, partners are ranked by what I can teach them.
        mutual = you_teach.score if no_goals else harmonic(you_learn.score, you_teach.score)
        bonus = 1 + policy.cross_department_bonus if partner.department != me.employee.department else 1.0
        scored.append(_Scored(partner, you_learn, you_teach, mutual, round(mutual * bonus, 6), two_way))
    return scored, skills


def _rank_key(item: _Scored) -> tuple[float, float, str]:
    # Two-way pairs by their score; one-sided pairs (score 0) after them, by the side that helps.
    return (-item.score, -(item.you_learn.score + item.you_teach.score), item.partner.id)


# --------------------------------------------------------------------------------------
# the service


def recommend(
    *,
    store: GraphStore,
    employee_id: str,
    limit: int = 5,
    policy: ProgrammePolicy = DEFAULT_POLICY,
) -> RecommendationList:
    """The best ``limit`` two-way partners for ``employee_id`` under ``policy``.

    Raises :class:`recommender.errors.EmployeeNotFound` for an unknown id.
    """
    if limit < 1:
        raise ValueError(f"limit: must be at least 1, got {limit}")
    me = load_requester(store, employee_id, policy)
    bands = bands_for(me.employee, policy)
    walk_limit = max(WALK_LIMIT, 20 * limit)
    ids, _truncated = (
        _candidate_ids(store, me, policy, bands, rules=True, walk_limit=walk_limit) if bands else ([], False)
    )
    # Score the best estimates exactly; only when that leaves us short of two-way
    # partners, score the next, larger batch (estimates are estimates).
    scored: list[_Scored] = []
    skills = dict(me.skills)
    start, size = 0, max(policy.candidate_pool, 2 * limit)
    while start < len(ids) and start < max(MAX_EXACT, 4 * limit):
        batch, start = ids[start : start + size], start + size
        found, cited = _score_candidates(store, me, batch, policy, bands)
        scored.extend(found)
        skills.update(cited)
        if sum(1 for item in scored if item.two_way or (not me.employee.goals and item.you_teach.score > 0)) >= limit:
            break
        size *= 3
    if not me.employee.goals:
        scored = [s for s in scored if s.you_teach.score > 0]  # whom I can teach
    elif policy.require_two_way:
        scored = [s for s in scored if s.two_way]
    else:
        scored = [s for s in scored if _helps(s)]
    scored.sort(key=_rank_key)
    chosen = scored[:limit]
    recommendations = [_recommendation(rank, me, item, skills, policy) for rank, item in enumerate(chosen, 1)]

    notes = _notes(me, policy, recommendations)
    diagnostics = None
    two_way_found = sum(1 for r in recommendations if r.two_way or not me.employee.goals)
    if two_way_found < limit:
        diagnostics = _diagnose(store, me, policy, bands, limit=limit, found=two_way_found)
        notes.append(_shortfall_note(diagnostics))
    return RecommendationList(
        employee=PersonRef.of(me.employee),
        policy=policy,
        recommendations=recommendations,
        notes=notes,
        diagnostics=diagnostics,
    )


def _score_candidates(
    store: GraphStore, me: Requester, ids: Sequence[str], policy: ProgrammePolicy, bands: Sequence[Band]
) -> tuple[list[_Scored], dict[str, Skill]]:
    """Full profiles of ``ids`` and their pairings (two reads at once), minus those at
    capacity, scored."""
    profiles, pairings = together(
        store,
        lambda: store.get_employees(employee_ids=ids),
        lambda: store.list_pairings_for(employee_ids=ids) if policy.respect_capacity else [],
    )
    candidates = [profiles[i] for i in ids if i in profiles]
    if policy.respect_capacity and candidates:
        full = _at_capacity(pairings, candidates)
        candidates = [c for c in candidates if c.id not in full]
    return _score_pool(store, me, candidates, policy, bands)


def _helps(item: _Scored) -> bool:
    return item.you_learn.score > 0 or item.you_teach.score > 0


def _at_capacity(pairings: Iterable[Pairing], candidates: Sequence[Employee]) -> set[str]:
    active: dict[str, int] = {}
    for pairing in pairings:
        if pairing.status is PairingStatus.ACTIVE:
            for member in pairing.employee_ids:
                active[member] = active.get(member, 0) + 1
    return {c.id for c in candidates if active.get(c.id, 0) >= c.capacity}


def agenda(*, store: GraphStore, first_id: str, second_id: str, policy: ProgrammePolicy = DEFAULT_POLICY) -> PairAgenda:
    """What two given employees can teach each other, best topics first, with the
    programme rules the pair would break. Every topic counts here (no direction
    restriction): the agenda is for people who already chose each other."""
    first = get_employee_or_raise(store=store, employee_id=first_id)
    second = get_employee_or_raise(store=store, employee_id=second_id)
    if first.id == second.id:
        raise ValueError(f"an agenda needs two different employees, got {first.id!r} twice")
    first_goals = [g.skill_id for g in first.goals]
    second_goals = [g.skill_id for g in second.goals]
    hood = load_neighbourhood(store=store, skill_ids=[*first_goals, *second_goals], policy=policy)
    second_teaches = score_direction(
        learner=first, teacher=second, near=near_goals(goal_ids=first_goals, hood=hood, policy=policy), policy=policy
    )
    first_teaches = score_direction(
        learner=second, teacher=first, near=near_goals(goal_ids=second_goals, hood=hood, policy=policy), policy=policy
    )
    cited = {t.goal_id for d in (first_teaches, second_teaches) for t in d.topics} | {
        t.skill_id for d in (first_teaches, second_teaches) for t in d.topics
    }
    skills = store.get_skills(skill_ids=sorted(cited)) if cited else {}
    mutual = harmonic(first_teaches.score, second_teaches.score)
    return PairAgenda(
        first=PersonRef.of(first),
        second=PersonRef.of(second),
        first_teaches=direction_model(first_teaches, skills),
        second_teaches=direction_model(second_teaches, skills),
        mutual_score=mutual,
        explanation=_pair_explanation(first, second, first_teaches, second_teaches, skills, mutual),
        warnings=_pair_warnings(store, first, second, policy),
    )


def _pair_warnings(store: GraphStore, first: Employee, second: Employee, policy: ProgrammePolicy) -> list[str]:
    warnings = []
    if second.id in store.reporting_chain(employee_id=first.id):
        warnings.append(f"{second.name} is in {first.name}'s reporting chain; the programme never proposes this pair.")
    pairings = [p for p in store.list_pairings(employee_id=first.id) if second.id in p.employee_ids]
    if pairings:
        warnings.append(f"They are already paired ({', '.join(f'{p.id}: {p.status.value}' for p in pairings)}).")
    for person in (first, second):
        if not person.opt_in:
            warnings.append(f"{person.name} has opted out of mentoring.")
        elif person.capacity == 0:
            warnings.append(f"{person.name} has no mentoring capacity at the moment.")
    gap = abs(first.seniority - second.seniority)
    if policy.needs_seniority_gap() and gap < policy.min_seniority_gap:
        warnings.append(
            f"Their seniority differs by {gap}; the programme asks for at least {policy.min_seniority_gap}."
        )
    difference = abs(first.utc_offset - second.utc_offset)
    if policy.max_utc_offset_difference is not None and difference > policy.max_utc_offset_difference:
        warnings.append(
            f"They are {difference:g} hours apart; the programme allows {policy.max_utc_offset_difference:g}."
        )
    return warnings


# --------------------------------------------------------------------------------------
# results and explanations


def direction_model(direction: Direction, skills: Mapping[str, Skill]) -> DirectionScore:
    return DirectionScore(
        learner_id=direction.learner_id,
        teacher_id=direction.teacher_id,
        score=direction.score,
        goals=direction.goals,
        goals_met=len(direction.topics),
        agenda=[
            AgendaItem(
                learner_id=direction.learner_id,
                teacher_id=direction.teacher_id,
                goal=SkillRef.of(skills.get(t.goal_id), t.goal_id),
                priority=t.priority,
                skill=SkillRef.of(skills.get(t.skill_id), t.skill_id),
                level=t.level,
                match=t.near.match,
                similarity=round(t.near.quality, 4),
                score=round(t.score, 6),
            )
            for t in direction.topics
        ],
    )


def _recommendation(
    rank: int, me: Requester, item: _Scored, skills: Mapping[str, Skill], policy: ProgrammePolicy
) -> Recommendation:
    partner = item.partner
    return Recommendation(
        rank=rank,
        partner=PersonRef.of(partner),
        score=item.score,
        mutual_score=item.mutual,
        you_learn=direction_model(item.you_learn, skills),
        you_teach=direction_model(item.you_teach, skills),
        two_way=item.two_way,
        cross_department=partner.department != me.employee.department,
        seniority_gap=partner.seniority - me.employee.seniority,
        utc_offset_difference=round(abs(partner.utc_offset - me.employee.utc_offset), 2),
        explanation=_explain(me.employee, item, skills),
    )


def _topic_phrase(topic_goal: str, topic_skill: str, match: str, similarity: float, level: int) -> str:
    if match == "exact":
        return f"{topic_goal} (level {level})"
    if match == "similar":
        return f"{topic_goal} through {topic_skill} (similar, {similarity:.2f}; level {level})"
    return f"{topic_goal} through {topic_skill} ({match} skill in the taxonomy; level {level})"


def _topics_text(direction: Direction, skills: Mapping[str, Skill], most: int = 3) -> str:
    phrases = [
        _topic_phrase(
            _label(skills, t.goal_id), _label(skills, t.skill_id), t.near.match.value, t.near.quality, t.level
        )
        for t in direction.topics[:most]
    ]
    more = len(direction.topics) - most
    text = _join(phrases)
    return text + (f" and {more} more" if more > 0 else "")


def _label(skills: Mapping[str, Skill], skill_id: str) -> str:
    skill = skills.get(skill_id)
    return skill.label if skill is not None else skill_id


def _join(parts: Sequence[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _first_name(employee: Employee) -> str:
    return employee.name.split()[0] if employee.name.split() else employee.name


def _explain(me: Employee, item: _Scored, skills: Mapping[str, Skill]) -> str:
    partner = item.partner
    name = _first_name(partner)
    who = f"{partner.name} ({partner.title or 'no title'}, {partner.department or 'no department'})"
    sentences = []
    if not me.goals:
        sentences.append(f"{who} is someone you can teach: you have no learning goals recorded yet.")
    elif item.two_way:
        strength = "a strong" if item.mutual >= 0.5 else "a good" if item.mutual >= 0.25 else "a possible"
        sentences.append(f"{who} and you make {strength} two-way pair (mutual score {item.mutual:.2f}).")
    else:
        sentences.append(f"{who} helps only one way, so this pair ranks after every two-way pair.")
    if item.you_learn.topics:
        sentences.append(
            f"{name} can help with {len(item.you_learn.topics)} of your {item.you_learn.goals} learning "
            f"{_plural(item.you_learn.goals, 'goal')}: "
            f"{_topics_text(item.you_learn, skills)}."
        )
    elif me.goals:
        sentences.append(f"{name} cannot help with any of your learning goals.")
    if item.you_teach.topics:
        sentences.append(
            f"You can help {name} with {len(item.you_teach.topics)} of their {item.you_teach.goals} "
            f"{_plural(item.you_teach.goals, 'goal')}: "
            f"{_topics_text(item.you_teach, skills)}."
        )
    else:
        sentences.append(f"You cannot help {name} with any of their goals.")
    context = []
    if partner.department != me.department:
        context.append(f"the pair crosses departments ({me.department or 'none'} and {partner.department or 'none'})")
    gap = partner.seniority - me.seniority
    if gap:
        levels = f"{abs(gap)} seniority level{'s' if abs(gap) > 1 else ''}"
        context.append(f"{name} is {levels} {'above' if gap > 0 else 'below'} you")
    hours = abs(partner.utc_offset - me.utc_offset)
    context.append("you share a time zone" if hours == 0 else f"you are {hours:g} hours apart")
    sentences.append(context[0][0].upper() + "; ".join(context)[1:] + ".")
    return " ".join(sentences)


def _pair_explanation(
    first: Employee,
    second: Employee,
    first_teaches: Direction,
    second_teaches: Direction,
    skills: Mapping[str, Skill],
    mutual: float,
) -> str:
    parts = []
    if first_teaches.topics:
        parts.append(
            f"{first.name} can help {second.name} with {len(first_teaches.topics)} of {first_teaches.goals} "
            f"{_plural(first_teaches.goals, 'goal')}: "
            f"{_topics_text(first_teaches, skills)}."
        )
    else:
        parts.append(f"{first.name} cannot help {second.name} with any of their goals.")
    if second_teaches.topics:
        parts.append(
            f"{second.name} can help {first.name} with {len(second_teaches.topics)} of {second_teaches.goals} "
            f"{_plural(second_teaches.goals, 'goal')}: "
            f"{_topics_text(second_teaches, skills)}."
        )
    else:
        parts.append(f"{second.name} cannot help {first.name} with any of their goals.")
    one_sided = mutual == 0 and bool(first_teaches.topics or second_teaches.topics)
    parts.append(f"Mutual score {mutual:.2f}" + (" (one-sided)." if one_sided else "."))
    return " ".join(parts)


def _notes(me: Requester, policy: ProgrammePolicy, recommendations: Sequence[Recommendation]) -> list[str]:
    notes = []
    employee = me.employee
    if not employee.goals:
        notes.append(
            "You have no learning goals recorded, so these are colleagues you can teach; "
            "add goals to get two-way matches."
        )
    if not me.strengths:
        notes.append(
            f"You hold no skill at the teaching level ({policy.teaching_level}+), "
            "so partners cannot learn from you yet."
        )
    if not employee.opt_in:
        notes.append("You have opted out of mentoring; opt in before these partners can be proposed.")
    elif employee.capacity == 0 or (policy.respect_capacity and me.active >= employee.capacity):
        notes.append(
            f"Your capacity is used up ({me.active} active {_plural(me.active, 'pairing')}, "
            f"capacity {employee.capacity}); "
            "these partners are for when a place frees up."
        )
    if not bands_for(employee, policy):
        notes.append(
            f"Nobody can be {policy.min_seniority_gap} seniority level(s) away from level {employee.seniority}; "
            "lower min_seniority_gap or use direction 'any'."
        )
    return notes


# --------------------------------------------------------------------------------------
# diagnostics: why fewer partners than asked


_REASON_TEXT = {
    ExclusionReason.REPORTING_CHAIN: "in your reporting chain (managers above you or reports below you)",
    ExclusionReason.PREVIOUS_PAIRING: "already paired with you, now or in the past",
    ExclusionReason.OPTED_OUT: "opted out of mentoring",
    ExclusionReason.NO_CAPACITY: "no capacity left (capacity 0 or used up by active pairings)",
    ExclusionReason.SENIORITY: "seniority gap outside the programme's rule",
    ExclusionReason.TIME_ZONE: "too many hours apart",
    ExclusionReason.ONE_SIDED: "only one of you would learn anything (listed after the two-way pairs)",
    ExclusionReason.NO_SKILL_OVERLAP: "neither holds what the other wants to learn",
}


def _diagnose(
    store: GraphStore, me: Requester, policy: ProgrammePolicy, bands: Sequence[Band], *, limit: int, found: int
) -> Diagnostics:
    ids, truncated = _candidate_ids(store, me, policy, [Band(None)], rules=False, walk_limit=DIAGNOSTIC_POOL)
    truncated = truncated or len(ids) > DIAGNOSTIC_POOL
    ids = ids[:DIAGNOSTIC_POOL]
    profiles, pairings, employees = together(
        store,
        lambda: store.get_employees(employee_ids=ids) if ids else {},
        lambda: store.list_pairings_for(employee_ids=ids) if ids else [],
        lambda: store.list_employees(limit=0).total,
    )
    people = [profiles[i] for i in ids if i in profiles]
    active: dict[str, int] = {}
    for pairing in pairings:
        if pairing.status is PairingStatus.ACTIVE:
            for member in pairing.employee_ids:
                active[member] = active.get(member, 0) + 1
    scored, _skills = _score_pool(store, me, people, policy, bands)
    counts = dict.fromkeys(ExclusionReason, 0)
    can_teach_you = sum(1 for s in scored if s.you_learn.score > 0)
    can_learn = sum(1 for s in scored if s.you_teach.score > 0)
    employee = me.employee
    for item in scored:
        other = item.partner
        helps = item.you_teach.score > 0 if not employee.goals else _helps(item)
        if not helps:
            reason = ExclusionReason.NO_SKILL_OVERLAP
        elif other.id in me.chain:
            reason = ExclusionReason.REPORTING_CHAIN
        elif other.id in me.previous and not policy.include_previous_partners:
            reason = ExclusionReason.PREVIOUS_PAIRING
        elif not other.opt_in:
            reason = ExclusionReason.OPTED_OUT
        elif other.capacity == 0 or (policy.respect_capacity and active.get(other.id, 0) >= other.capacity):
            reason = ExclusionReason.NO_CAPACITY
        elif band_of(employee, other, bands) is None:
            reason = ExclusionReason.SENIORITY
        elif (
            policy.max_utc_offset_difference is not None
            and abs(other.utc_offset - employee.utc_offset) > policy.max_utc_offset_difference
        ):
            reason = ExclusionReason.TIME_ZONE
        elif item.two_way or not employee.goals:
            continue  # a valid partner (possibly restricted by the direction's topics)
        else:
            reason = ExclusionReason.ONE_SIDED
        counts[reason] += 1
    colleagues = max(employees - 1, 0)
    examined_all = not truncated
    if examined_all:
        # Everybody the walks did not find has no overlap at all.
        counts[ExclusionReason.NO_SKILL_OVERLAP] += max(colleagues - len(people), 0)
    what = "two-way partner" if employee.goals else "partner"
    return Diagnostics(
        summary=f"Found {found} {_plural(found, what)} of the {limit} asked for.",
        colleagues=colleagues,
        examined=len(people),
        examined_all=examined_all,
        can_teach_you=can_teach_you,
        can_learn_from_you=can_learn,
        reasons=[
            ReasonCount(reason=reason, count=count, detail=_REASON_TEXT[reason])
            for reason, count in counts.items()
            if count
        ],
    )


def _shortfall_note(diagnostics: Diagnostics) -> str:
    if not diagnostics.reasons:
        return diagnostics.summary
    scope = "" if diagnostics.examined_all else f" (among the {diagnostics.examined} best-overlapping colleagues)"
    reasons = "; ".join(f"{r.count} {r.detail}" for r in diagnostics.reasons)
    return f"{diagnostics.summary} Why not the others{scope}: {reasons}."


def _plural(count: int, noun: str) -> str:
    return noun if count == 1 else noun + "s"
