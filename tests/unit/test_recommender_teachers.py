"""Teacher search: topics out of a question, topics to skills, colleagues ranked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.sqlite_store import SqliteStore
from ingest.embedder import Embedder
from recommender.errors import EmployeeNotFound, InvalidQuestion
from recommender.teachers import extract_topics, find_teachers
from tests.contract.test_recommender_contract import build_org


@pytest.mark.parametrize(
    ("question", "topics"),
    [
        ("who can teach me Pinterest or WhatsApp marketing?", ["pinterest", "whatsapp marketing"]),
        ("Who can help me with Excel, TikTok and public speaking??", ["excel", "tiktok", "public speaking"]),
        ("I want to learn about negotiation / leadership", ["negotiation", "leadership"]),
        ("someone good at generative AI tools please", ["generative ai tools"]),
        ("Instagram or instagram", ["instagram"]),
        ("C++ and C#", ["c++", "c#"]),
    ],
)
def test_topics_are_split_and_filler_words_dropped(question: str, topics: list[str]) -> None:
    assert extract_topics(question) == topics


def test_and_inside_a_skill_name_is_kept_when_the_whole_phrase_is_a_label() -> None:
    assert extract_topics("research and development") == ["research", "development"]
    assert extract_topics("research and development", is_label={"research and development": ["r"]}) == [
        "research and development"
    ]


@pytest.mark.parametrize("question", ["", "   ", "who can teach me?", "I want to learn", "??"])
def test_questions_without_a_topic_get_a_helpful_error(question: str) -> None:
    store = SqliteStore(path=":memory:")
    store.apply_schema()
    with pytest.raises(InvalidQuestion, match=r"e\.g\. 'who can teach me Pinterest or negotiation\?'"):
        find_teachers(store=store, question=question)


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[SqliteStore]:
    store = SqliteStore(path=Path(tmp_path_factory.mktemp("org")) / "org.sqlite")
    store.apply_schema()
    build_org(store, embedder)
    yield store
    store.close()


def test_who_can_teach_me_pinterest_or_whatsapp_marketing(org: SqliteStore, embedder: Embedder) -> None:
    result = find_teachers(
        store=org, question="Who can teach me Pinterest or WhatsApp marketing?", embedder=embedder, asker_id="vps"
    )
    pinterest, whatsapp = result.topics
    assert (pinterest.topic, pinterest.skills[0].skill.label, pinterest.skills[0].via) == (
        "pinterest",
        "Pinterest",
        "label",
    )
    # Ana holds Pinterest at 5 (Eli too, at 4, but opted out). Dee's Instagram (5) is a
    # SIMILAR_TO neighbour of Pinterest (0.65): second. Victor asked, so never him.
    assert [(t.person.id, t.skill.label, t.level) for t in pinterest.teachers][:2] == [
        ("ana", "Pinterest", 5),
        ("dee", "Instagram", 5),
    ]
    assert [s.via for s in pinterest.skills] == ["label", "similar"]
    # "WhatsApp marketing" is no label: the embedding finds the WhatsApp skills; Dee holds
    # WhatsApp Business at 5, Ben WhatsApp at 4.
    assert whatsapp.skills
    assert whatsapp.skills[0].via == "embedding"
    assert {s.skill.id for s in whatsapp.skills} & {"whatsapp", "whatsapp-biz"}
    assert [t.person.id for t in whatsapp.teachers][:2] == ["dee", "ben"]
    # Overall, with what Victor can teach each of them back.
    assert result.teachers[0].person.id in {"ana", "dee"}
    ana = next(m for m in result.teachers if m.person.id == "ana")
    assert ana.can_teach_back is not None
    assert [i.goal.label for i in ana.can_teach_back.agenda] == [
        "negotiate business agreements",
        "leadership principles",
    ]
    assert ana.has_capacity
    assert not ana.in_reporting_chain
    assert result.message is None


def test_teachers_at_capacity_are_flagged_and_chain_members_marked(org: SqliteStore, embedder: Embedder) -> None:
    result = find_teachers(store=org, question="TikTok", embedder=embedder, asker_id="vps")
    by_id = {m.person.id: m for m in result.teachers}
    assert not by_id["cy"].has_capacity  # one active pairing, capacity 1
    assert "eli" not in by_id  # opted out
    assert by_id["ana"].has_capacity


def test_meaningless_topic_is_explained_not_an_empty_table(org: SqliteStore, embedder: Embedder) -> None:
    result = find_teachers(store=org, question="who can teach me xqzvbnm?", embedder=embedder)
    assert result.teachers == []
    assert result.topics[0].message is not None
    assert "xqzvbnm" in result.topics[0].message
    assert result.message is not None
    assert result.message.startswith("None of the topics matched a skill")


def test_a_skill_nobody_can_teach_says_so(org: SqliteStore, embedder: Embedder) -> None:
    result = find_teachers(store=org, question="falconry", embedder=embedder)
    assert result.topics[0].skills[0].skill.label == "falconry"
    assert result.topics[0].teachers == []
    assert "Nobody who opted in holds falconry at level 3" in (result.topics[0].message or "")
    assert result.message == "Nobody in the organisation can teach these topics yet."


def test_without_an_embedder_only_labels_are_understood(org: SqliteStore) -> None:
    result = find_teachers(store=org, question="Instagram or whatsapp marketing")
    assert [t.person.id for t in result.topics[0].teachers] == ["dee", "ana"]
    assert result.topics[1].skills == []
    assert "embedding model" in (result.topics[1].message or "")
    assert result.message == "Not understood: 'whatsapp marketing'; the other topics are answered."


def test_unknown_asker_is_not_found(org: SqliteStore) -> None:
    with pytest.raises(EmployeeNotFound):
        find_teachers(store=org, question="TikTok", asker_id="ghost")
