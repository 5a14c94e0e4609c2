"""API test fixtures: the app over each store backend (``store`` fixture, dependency
overrides), the real embedding model, API keys for every role, and a small organisation
whose skills are real taxonomy labels embedded with the real model."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import hash_key, new_key
from api.deps import get_embedder, get_store
from graph.store import GraphStore
from ingest.embedder import Embedder
from mentorgraph.settings import ApiKeySetting, ApiSettings, Settings
from schema import Employee, EmployeeSkill, LearningGoal, Skill, SkillSource

SKILLS = [
    Skill(id="onet:pinterest", label="Pinterest", source=SkillSource.ONET, skill_type="technology",
          category="digital technology", digital=True, hot=True),
    Skill(id="onet:whatsapp", label="WhatsApp", alt_labels=("WhatsApp Business",), source=SkillSource.ONET,
          skill_type="technology", category="digital technology", digital=True, hot=True),
    Skill(id="onet:tiktok", label="TikTok", source=SkillSource.ONET, skill_type="technology",
          category="digital technology", digital=True, hot=True),
    Skill(id="esco:social-media", label="social media marketing",
          description="Use social media platforms to promote products and engage customers.",
          source=SkillSource.ESCO, category="digital technology", digital=True),
    Skill(id="esco:genai", label="use generative AI tools", source=SkillSource.ESCO, category="digital technology",
          digital=True),
    Skill(id="esco:negotiate", label="negotiate business deals", source=SkillSource.ESCO,
          category="management skills"),
    Skill(id="esco:lead-teams", label="lead a team", alt_labels=("leadership",), source=SkillSource.ESCO,
          category="management skills"),
    Skill(id="esco:strategy", label="develop business strategy", source=SkillSource.ESCO,
          category="management skills"),
    Skill(id="esco:public-speaking", label="public speaking", source=SkillSource.ESCO,
          category="communication"),
]  # fmt: skip


def _person(pid: str, name: str, *, seniority: int, department: str, manager: str | None = None,
            skills: dict[str, int], goals: dict[str, int], title: str = "") -> Employee:  # fmt: skip
    return Employee(
        id=pid,
        name=name,
        title=title,
        department=department,
        seniority=seniority,
        manager_id=manager,
        capacity=2,
        skills=tuple(EmployeeSkill(skill_id=s, level=lv) for s, lv in skills.items()),
        goals=tuple(LearningGoal(skill_id=s, priority=p) for s, p in goals.items()),
    )


EMPLOYEES = [
    _person("ceo", "Margaret Okafor", seniority=5, department="Board", title="Chief Executive",
            skills={"esco:strategy": 5, "esco:negotiate": 5, "esco:lead-teams": 5},
            goals={"onet:tiktok": 4, "esco:genai": 5}),
    _person("cfo", "Henrik Dahl", seniority=5, department="Finance", manager="ceo", title="Finance Director",
            skills={"esco:negotiate": 4, "esco:strategy": 4, "esco:public-speaking": 4},
            goals={"onet:pinterest": 4, "onet:whatsapp": 3}),
    _person("sales-head", "Lucia Ferreira", seniority=4, department="Sales", manager="ceo", title="Head of Sales",
            skills={"esco:negotiate": 5, "esco:lead-teams": 4}, goals={"esco:social-media": 5, "onet:whatsapp": 4}),
    _person("junior-1", "Aiko Tanaka", seniority=1, department="Marketing", manager="sales-head",
            title="Marketing Assistant",
            skills={"onet:pinterest": 5, "onet:whatsapp": 4, "esco:social-media": 4, "onet:tiktok": 4},
            goals={"esco:negotiate": 5, "esco:lead-teams": 3}),
    _person("junior-2", "Tomás Rivera", seniority=1, department="IT", title="Junior Developer",
            skills={"esco:genai": 5, "onet:tiktok": 3, "onet:whatsapp": 3},
            goals={"esco:strategy": 4, "esco:public-speaking": 4}),
    _person("junior-3", "Grace Mensah", seniority=2, department="Operations", title="Operations Analyst",
            skills={"onet:pinterest": 3, "esco:genai": 3}, goals={"esco:negotiate": 4, "esco:strategy": 3}),
]  # fmt: skip


@dataclass(frozen=True)
class Keys:
    admin: str
    hr: str
    employee: str  # bound to junior-1
    other_employee: str  # bound to junior-2
    employee_id: str = "junior-1"
    other_employee_id: str = "junior-2"

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {getattr(self, role)}"}


@pytest.fixture(scope="session")
def keys() -> Keys:
    return Keys(admin=new_key(), hr=new_key(), employee=new_key(), other_employee=new_key())


def api_settings(keys: Keys, tmp_path: Path, **overrides: object) -> Settings:
    api = ApiSettings(
        keys=[
            ApiKeySetting(sha256=hash_key(keys.admin), role="admin", label="tests"),
            ApiKeySetting(sha256=hash_key(keys.hr), role="hr", label="tests"),
            ApiKeySetting(sha256=hash_key(keys.employee), role="employee", employee_id=keys.employee_id),
            ApiKeySetting(sha256=hash_key(keys.other_employee), role="employee", employee_id=keys.other_employee_id),
        ],
        preload_model=False,
        **overrides,
    )
    return Settings(store=str(tmp_path / "lifespan.sqlite"), home=tmp_path, api=api)


@pytest.fixture(scope="session")
def skill_vectors(embedder: Embedder) -> object:
    return embedder.embed([s.embedding_text() for s in SKILLS])


@pytest.fixture
def seeded(store: GraphStore, skill_vectors: object) -> GraphStore:
    store.upsert_skills(skills=SKILLS, embeddings=skill_vectors)  # type: ignore[arg-type]
    store.upsert_employees(employees=EMPLOYEES)
    return store


def build_app(store: GraphStore, embedder: Embedder, settings: Settings) -> FastAPI:
    app = create_app(settings)
    app.dependency_overrides[get_store] = lambda: store
    app.dependency_overrides[get_embedder] = lambda: embedder
    return app


@pytest.fixture
def app(seeded: GraphStore, embedder: Embedder, keys: Keys, tmp_path: Path) -> FastAPI:
    return build_app(seeded, embedder, api_settings(keys, tmp_path))


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client
