"""Teacher search from a free-text question: "who can teach me Pinterest or WhatsApp
marketing?".

1. The question is cut into topics on "or", "and", commas, slashes, semicolons, "&" and
   "+", and the filler words around each topic ("who can teach me", "someone good at",
   "please"...) are dropped. "and" or "/" inside a real skill name ("research and
   development") is kept when the whole phrase is a skill label.
2. Each topic is mapped to skills. A topic that is a skill's preferred or alternative
   label (case-insensitive) is that skill plus its SIMILAR_TO neighbours (precomputed
   from the same embeddings: no model call). Every other topic is embedded (one batched
   call for all of them) and looked up in the vector index, keeping hits at or above
   ``TOPIC_MIN_SIMILARITY`` and within ``TOPIC_MARGIN`` of the topic's best hit.
3. Colleagues holding those skills at the teaching level are ranked inside the store,
   per topic and overall (the sum over topics of the best similarity x level factor),
   among people who opted in and have a capacity above 0.
4. For each teacher: their level per topic, whether they have free capacity, and, when
   the asker is known, what the asker could teach them back (the same scorer as the
   pairing recommendations).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Literal, Protocol

from graph.store import EmployeeFilter, GraphStore, RankedEmployee, SkillEdge, SkillTarget, Vector
from recommender.errors import InvalidQuestion
from recommender.models import (
    PersonRef,
    SkillRef,
    TeacherMatch,
    TeacherSearchResult,
    TopicResult,
    TopicSkill,
    TopicTeacher,
)
from recommender.pairing import DEFAULT_POLICY, direction_model, get_employee_or_raise
from recommender.parallel import together
from recommender.policy import ProgrammePolicy
from recommender.scoring import goals_met_by, load_neighbourhood, score_direction
from schema.models import Employee, PairingStatus, Skill, SkillHit

#: Embedding hits below this cosine are not the topic (all-MiniLM-L6-v2 on short texts).
TOPIC_MIN_SIMILARITY = 0.5
#: Hits further than this below the topic's best hit are a different topic.
TOPIC_MARGIN = 0.15
#: Skills kept per topic.
TOPIC_SKILLS = 5
#: Nearest skills asked of the vector index per topic.
SEARCH_K = 10
MAX_QUESTION_LENGTH = 500
MAX_TOPICS = 8
GROUP_TYPE = "group"

#: Words around a topic that are not the topic ("who can teach me", "someone good at").
# A word list reads better as text than as 90 quoted items.
FILLER_WORDS = frozenset(
    """
    a about able advice an any anybody anyone are at basic basics be better can colleague
    colleagues could do does expert experts explain find for from get give good great have
    help helps here how i in into is it learn learning like look looking me more mentor
    mentoring my need needs new of on our people person please really show some somebody
    someone tell that the there this tips to teach teaches teaching understand up us use
    using want wants we well what which who whom will with would you
    """.split()  # noqa: SIM905
)
# Always a boundary between topics.
_HARD_SPLIT = re.compile(r"\s*(?:,|;|\bor\b|\beither\b)\s*")
# A boundary unless the phrase containing it is itself a skill label.
# "&" and "+" only between spaces, so that "R&D", "C++" and "C#" survive.
_SOFT_SPLIT = re.compile(r"\s*(?:\band\b|\s&\s|\s\+\s|/|\bplus\b)\s*")
_NOISE = re.compile(r"[?!\"“”‘’()\[\]{}<>*_|~`]+|(?<!\w)'|'(?!\w)|\.(?!\w)")


class TextEmbedder(Protocol):
    """What teacher search needs of :class:`ingest.embedder.Embedder`."""

    def embed(self, texts: Sequence[str]) -> Vector: ...


def _strip_filler(phrase: str) -> str:
    words = phrase.split()
    while words and words[0] in FILLER_WORDS:
        words.pop(0)
    while words and words[-1] in FILLER_WORDS:
        words.pop()
    return " ".join(words)


def split_question(question: str) -> list[tuple[str, list[str]]]:
    """The question's phrases: each as a whole and as its "and"/"/"-separated parts,
    lower-cased, filler words around them removed. Pure text, no store."""
    text = _NOISE.sub(" ", question.lower())
    text = re.sub(r"\s+", " ", text).strip()
    phrases = []
    for piece in _HARD_SPLIT.split(text):
        whole = _strip_filler(piece)
        if not whole:
            continue
        parts = [p for p in (_strip_filler(part) for part in _SOFT_SPLIT.split(piece)) if p]
        phrases.append((whole, parts or [whole]))
    return phrases


def extract_topics(question: str, *, is_label: Mapping[str, object] | None = None) -> list[str]:
    """The topics of a question, in order, without duplicates. ``is_label`` (lower-cased
    label -> anything) keeps a phrase whole when it is a skill name with "and" in it."""
    topics: dict[str, None] = {}
    for whole, parts in split_question(question):
        if len(parts) > 1 and not (is_label is not None and whole in is_label):
            topics.update(dict.fromkeys(parts))
        else:
            topics[whole] = None
    return list(topics)


def find_teachers(
    *,
    store: GraphStore,
    question: str,
    embedder: TextEmbedder | None = None,
    asker_id: str | None = None,
    limit: int = 10,
    per_topic: int = 5,
    policy: ProgrammePolicy = DEFAULT_POLICY,
) -> TeacherSearchResult:
    """Colleagues who can teach the topics of ``question``, per topic and overall.

    Raises :class:`recommender.errors.InvalidQuestion` when the question names no topic
    and :class:`recommender.errors.EmployeeNotFound` for an unknown ``asker_id``.
    Without an ``embedder`` only exact skill labels are understood.
    """
    question = question.strip()
    if not question:
        raise InvalidQuestion("the question is empty: ask e.g. 'who can teach me Pinterest or negotiation?'")
    if len(question) > MAX_QUESTION_LENGTH:
        raise InvalidQuestion(f"the question is longer than {MAX_QUESTION_LENGTH} characters; ask about a few topics")
    phrases = split_question(question)
    candidates = sorted({p for whole, parts in phrases for p in (whole, *parts)})
    asker, labels = together(
        store,
        lambda: get_employee_or_raise(store=store, employee_id=asker_id) if asker_id else None,
        lambda: store.skills_by_label(labels=candidates) if candidates else {},
    )
    topics = extract_topics(question, is_label=labels)[:MAX_TOPICS]
    if not topics:
        raise InvalidQuestion(
            f"no topic found in {question!r}: name a skill or a tool, e.g. 'who can teach me Pinterest or negotiation?'"
        )

    topic_skills = _map_topics(store, topics, labels, embedder, policy)
    exclude = [asker.id] if asker is not None else []
    where = EmployeeFilter(exclude_ids=exclude, opt_in_only=True, min_capacity=1)
    factors = policy.teaching_factors()

    def targets(topic: str) -> list[SkillTarget]:
        return [SkillTarget(topic, hit.skill.id, hit.similarity) for hit in topic_skills[topic]]

    def rank(wanted: list[SkillTarget], most: int) -> Callable[[], list[RankedEmployee]]:
        return lambda: store.rank_by_skills(
            edge=SkillEdge.HAS_SKILL, targets=wanted, factors=factors, where=where, limit=most
        )

    mapped = [topic for topic in topics if topic_skills[topic]]
    everything = [t for topic in topics for t in targets(topic)]
    overall, *per_topic_ranked = together(
        store, rank(everything, limit), *(rank(targets(topic), per_topic) for topic in mapped)
    )
    per_topic_ids = {
        topic: [r.employee_id for r in ranked] for topic, ranked in zip(mapped, per_topic_ranked, strict=True)
    }
    ids = sorted({r.employee_id for r in overall} | {i for found in per_topic_ids.values() for i in found})
    people = store.get_employees(employee_ids=ids) if ids else {}

    topic_results = []
    for topic in topics:
        found = [
            t
            for t in (
                _taught(people[i], topic, topic_skills[topic], policy)
                for i in per_topic_ids.get(topic, [])
                if i in people
            )
            if t
        ]
        topic_results.append(
            TopicResult(
                topic=topic,
                skills=topic_skills[topic],
                teachers=found,
                message=_topic_message(topic, topic_skills[topic], found, policy, embedder is not None),
            )
        )

    ranked = [people[r.employee_id] for r in overall if r.employee_id in people]
    matches = _overall(store, asker, ranked, topic_skills, policy)
    return TeacherSearchResult(
        question=question,
        asker=PersonRef.of(asker) if asker is not None else None,
        topics=topic_results,
        teachers=matches,
        message=_search_message(topic_results, matches),
    )


def _taught(person: Employee, topic: str, hits: Sequence[TopicSkill], policy: ProgrammePolicy) -> TopicTeacher | None:
    """The person's best skill for the topic: similarity x level factor, then the closer
    skill, then the higher level (hits come closest first, so ties keep the first)."""
    levels = {s.skill_id: s.level for s in person.skills}
    best: tuple[float, float, int] | None = None
    best_hit: TopicSkill | None = None
    for hit in hits:
        level = levels.get(hit.skill.id, 0)
        value = hit.similarity * policy.level_factor(level) if level else 0.0
        key = (value, hit.similarity, level)
        if value > 0 and (best is None or key > best):
            best, best_hit = key, hit
    if best is None or best_hit is None:
        return None
    return TopicTeacher(
        topic=topic,
        person=PersonRef.of(person),
        skill=best_hit.skill,
        level=best[2],
        similarity=best_hit.similarity,
        score=round(best[0], 6),
    )


def _map_topics(
    store: GraphStore,
    topics: Sequence[str],
    labels: Mapping[str, list[str]],
    embedder: TextEmbedder | None,
    policy: ProgrammePolicy,
) -> dict[str, list[TopicSkill]]:
    """Skills per topic. A topic that is a skill's name needs no model: that skill and its
    SIMILAR_TO neighbours (precomputed from the same embeddings) answer it. Only the
    other topics are embedded, in one batch, and looked up in the vector index."""
    hits: dict[str, dict[str, tuple[str, float]]] = {topic: {} for topic in topics}
    named = sorted({skill_id for topic in topics for skill_id in labels.get(topic, [])[:3]})
    found: dict[str, Skill] = store.get_skills(skill_ids=named) if named else {}
    to_embed: list[str] = []
    by_label: dict[str, list[str]] = {}
    for topic in topics:
        ids = [i for i in labels.get(topic, [])[:3] if i in found and found[i].skill_type != GROUP_TYPE]
        if ids:
            by_label[topic] = ids
            for skill_id in ids:
                hits[topic][skill_id] = ("label", 1.0)
        else:
            to_embed.append(topic)
    if by_label:
        neighbours: dict[str, list[tuple[str, float]]] = {}
        label_ids = sorted({i for ids in by_label.values() for i in ids})
        for edge in store.similar_skills(skill_ids=label_ids, min_score=policy.min_similarity):
            neighbours.setdefault(edge.source_id, []).append((edge.target_id, edge.score))
        for topic, ids in by_label.items():
            for skill_id in ids:
                for target, score in neighbours.get(skill_id, [])[: policy.similar_per_goal]:
                    similarity = round(min(score, 0.99), 4)
                    if hits[topic].get(target, ("", 0.0))[1] < similarity:
                        hits[topic][target] = ("similar", similarity)
    if embedder is not None and to_embed:
        vectors = embedder.embed(list(to_embed))
        searches = together(store, *(_search(store, vector) for vector in vectors))
        for topic, found_hits in zip(to_embed, searches, strict=True):
            results = [h for h in found_hits if h.skill.skill_type != GROUP_TYPE]
            if not results:
                continue
            best = results[0].score
            for hit in results:
                found[hit.skill.id] = hit.skill
                if hit.score >= TOPIC_MIN_SIMILARITY and hit.score >= best - TOPIC_MARGIN:
                    hits[topic].setdefault(hit.skill.id, ("embedding", round(max(min(hit.score, 0.99), 0.0), 4)))
    out: dict[str, list[TopicSkill]] = {}
    kept = {
        topic: sorted(per.items(), key=lambda item: (-item[1][1], item[0]))[:TOPIC_SKILLS]
        for topic, per in hits.items()
    }
    missing = sorted({skill_id for per in kept.values() for skill_id, _hit in per} - found.keys())
    if missing:
        found.update(store.get_skills(skill_ids=missing))
    for topic in topics:
        out[topic] = [
            TopicSkill(skill=SkillRef.of(found.get(skill_id), skill_id), via=_via(via), similarity=similarity)
            for skill_id, (via, similarity) in kept[topic]
            if not (found.get(skill_id) is not None and found[skill_id].skill_type == GROUP_TYPE)
        ]
    return out


def _search(store: GraphStore, vector: Vector) -> Callable[[], list[SkillHit]]:
    return lambda: store.search_skills(vector=vector, k=SEARCH_K)


def _via(via: str) -> Literal["label", "similar", "embedding"]:
    return "label" if via == "label" else "similar" if via == "similar" else "embedding"


def _overall(
    store: GraphStore,
    asker: Employee | None,
    people: Sequence[Employee],
    topic_skills: Mapping[str, Sequence[TopicSkill]],
    policy: ProgrammePolicy,
) -> list[TeacherMatch]:
    if not people:
        return []
    strengths = [s.skill_id for s in asker.skills if s.level >= policy.teaching_level] if asker is not None else []
    teaches_back = bool(strengths) and any(p.goals for p in people)
    # What the asker can teach back needs their neighbourhood: read it with the rest.
    hood, pairings, chain, incoming = together(
        store,
        lambda: load_neighbourhood(store=store, skill_ids=strengths, policy=policy) if teaches_back else None,
        lambda: store.list_pairings_for(employee_ids=[p.id for p in people]),
        lambda: store.reporting_chain(employee_id=asker.id) if asker is not None else set(),
        lambda: store.similar_into(skill_ids=strengths, min_score=policy.min_similarity) if teaches_back else [],
    )
    active: dict[str, int] = {}
    for pairing in pairings:
        if pairing.status is PairingStatus.ACTIVE:
            for member in pairing.employee_ids:
                active[member] = active.get(member, 0) + 1
    back = {}
    skills: dict[str, Skill] = {}
    if asker is not None and hood is not None:
        near = goals_met_by(skill_ids=strengths, hood=hood, policy=policy, incoming=incoming)
        back = {p.id: score_direction(learner=p, teacher=asker, near=near, policy=policy) for p in people}
        cited = sorted({x for d in back.values() for t in d.topics for x in (t.goal_id, t.skill_id)})
        skills = store.get_skills(skill_ids=cited) if cited else {}
    matches = []
    for person in people:
        per_topic = [
            t for t in (_taught(person, topic, hits, policy) for topic, hits in topic_skills.items()) if t is not None
        ]
        if not per_topic:
            continue
        direction = back.get(person.id)
        matches.append(
            (
                round(sum(t.score for t in per_topic), 6),
                person,
                per_topic,
                direction_model(direction, skills) if direction is not None else None,
            )
        )
    matches.sort(key=lambda m: (-m[0], m[1].id))
    return [
        TeacherMatch(
            rank=rank,
            person=PersonRef.of(person),
            score=score,
            topics=per_topic,
            can_teach_back=direction,
            has_capacity=active.get(person.id, 0) < person.capacity,
            in_reporting_chain=person.id in chain,
        )
        for rank, (score, person, per_topic, direction) in enumerate(matches, 1)
    ]


def _topic_message(
    topic: str, skills: Sequence[TopicSkill], teachers: Sequence[TopicTeacher], policy: ProgrammePolicy, embeds: bool
) -> str | None:
    if not skills:
        if not embeds:
            return f"{topic!r} is not the name of a skill; similar names are only found with the embedding model."
        return f"No skill in the taxonomy is close to {topic!r}; try another word or the tool's usual name."
    if not teachers:
        names = ", ".join(s.skill.label for s in skills[:3])
        return (
            f"Nobody who opted in holds {names} at level {policy.teaching_level} or above: "
            "a gap to close with external training."
        )
    return None


def _search_message(topics: Sequence[TopicResult], matches: Sequence[TeacherMatch]) -> str | None:
    understood = [t for t in topics if t.skills]
    if not understood:
        return "None of the topics matched a skill: " + "; ".join(t.message or t.topic for t in topics)
    if not matches:
        return "Nobody in the organisation can teach these topics yet."
    unmatched = [t.topic for t in topics if not t.skills]
    if unmatched:
        return f"Not understood: {', '.join(repr(t) for t in unmatched)}; the other topics are answered."
    return None
