"""Skill normalisation without a store: label keys, custom ids, exact lookup, ranking."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.embedder import Embedder
from ingest.normalise import MatchMethod, SkillIndex, custom_skill_id, label_key
from schema import Skill, SkillSource

SKILLS = [
    Skill(id="esco:py", label="Python (computer programming)", alt_labels=("Python",), source=SkillSource.ESCO,
          description="The techniques and principles of software development in Python."),
    Skill(id="onet:python", label="Python", source=SkillSource.ONET, skill_type="technology"),
    Skill(id="esco:speak", label="speak in public", alt_labels=("public speaking", "give speeches"),
          source=SkillSource.ESCO, description="Address an audience in a clear and engaging way."),
    Skill(id="esco:negotiate", label="negotiate sales contracts", source=SkillSource.ESCO,
          description="Come to an agreement between commercial partners."),
    Skill(id="onet:pinterest", label="Pinterest", source=SkillSource.ONET, skill_type="technology",
          description="Social media software"),
    Skill(id="esco:smm", label="social media marketing techniques", source=SkillSource.ESCO,
          description="The marketing methods used to increase attention through social media websites."),
    Skill(id="esco:group", label="communication", source=SkillSource.ESCO, skill_type="group"),
    Skill(id="custom:knitting", label="competitive knitting", source=SkillSource.CUSTOM),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "key"),
    [("Node.js", "node js"), ("  NODE - JS ", "node js"), ("C++", "c++"), ("C#", "c#"), ("Ｐｙｔｈｏｎ", "python")],
)
def test_label_key_ignores_case_spacing_and_punctuation(text: str, key: str) -> None:
    assert label_key(text) == key


@pytest.mark.parametrize(
    ("text", "ident"),
    [
        ("Pinterest mktg", "custom:pinterest-mktg"),
        ("C++", "custom:c-plus-plus"),
        ("C#", "custom:c-sharp"),
        ("Café culture", "custom:cafe-culture"),
    ],
)
def test_custom_ids_are_readable_slugs(text: str, ident: str) -> None:
    assert custom_skill_id(text) == ident


def test_custom_ids_of_non_latin_text_are_stable_digests() -> None:
    first = custom_skill_id("日本語の敬語")
    assert first == custom_skill_id("日本語の敬語") and first.startswith("custom:h")
    assert first != custom_skill_id("中文写作")


@pytest.fixture
def index(embedder: Embedder, tmp_path: Path) -> SkillIndex:
    return SkillIndex(skills=SKILLS, embedder=embedder, priors={"esco:smm": 3.0}, vectors_dir=tmp_path)


def test_exact_lookup_prefers_preferred_labels_then_esco(index: SkillIndex) -> None:
    # "Python" is O*NET's preferred label and an ESCO alternative label: preferred wins.
    found = index.exact("python")
    assert found is not None and (found[0].id, found[1]) == ("onet:python", MatchMethod.LABEL)
    found = index.exact("Public-Speaking")
    assert found is not None and (found[0].id, found[1]) == ("esco:speak", MatchMethod.ALT_LABEL)
    found = index.exact("Competitive knitting")
    assert found is not None and found[1] is MatchMethod.CUSTOM
    assert index.exact("communication") is None  # groups are not skills people hold
    assert index.exact("basket weaving") is None


def test_similarity_candidates_leave_out_groups_and_custom_skills(index: SkillIndex) -> None:
    assert [s.id for s in index.candidates] == [
        "esco:negotiate", "esco:py", "esco:smm", "esco:speak", "onet:pinterest", "onet:python",
    ]  # fmt: skip


def test_ranking_puts_the_meant_skill_first_with_a_confidence(index: SkillIndex, embedder: Embedder) -> None:
    texts = ["Python 3", "presenting to large audiences", "pinterest mktg", "contract negotiation"]
    rankings = index.rank(texts, embedder.embed(texts), limit=3)
    assert [ranking[0].skill.id for ranking in rankings] == ["onet:python", "esco:speak", "onet:pinterest",
                                                            "esco:negotiate"]  # fmt: skip
    for ranking in rankings:
        scores = [hit.score for hit in ranking]
        assert scores == sorted(scores, reverse=True) and all(0.0 <= s <= 1.0 for s in scores)
    # The label that explains the match is reported, e.g. the alternative "public speaking".
    assert rankings[1][0].matched_label in {"speak in public", "public speaking", "give speeches"}


def test_vectors_are_kept_in_one_file_and_reread_without_embedding(
    index: SkillIndex, embedder: Embedder, tmp_path: Path
) -> None:
    index.ensure_vectors()
    files = list(tmp_path.glob("skill-index-*.npy"))
    assert len(files) == 1
    before = embedder.texts_embedded
    again = SkillIndex(skills=SKILLS, embedder=embedder, vectors_dir=tmp_path)
    texts = ["public speaking"]
    assert again.rank(texts, embedder.embed(texts), limit=1)[0][0].skill.id == "esco:speak"
    assert embedder.texts_embedded == before
    # A different taxonomy gets its own file; the stale one is removed.
    changed = SkillIndex(skills=SKILLS[:4], embedder=embedder, vectors_dir=tmp_path)
    changed.ensure_vectors()
    assert [p.name for p in tmp_path.glob("skill-index-*.npy")] != [files[0].name]
    assert len(list(tmp_path.glob("skill-index-*.npy"))) == 1
