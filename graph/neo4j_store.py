"""The Neo4j backend of :class:`graph.store.GraphStore`, on the official ``neo4j`` driver.

One driver per process, injected (or built by :meth:`Neo4jStore.connect`, which does no
I/O). Every call passes ``database_``; reads are routed to readers so a cluster or Aura
works unchanged with a ``neo4j://`` URI; writes go in ``UNWIND`` batches inside managed
transactions, which the driver retries, so each one is idempotent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, LiteralString, TypeVar

import neo4j
import numpy as np
from neo4j import GraphDatabase, RoutingControl
from neo4j.exceptions import (
    AuthError,
    ClientError,
    DriverError,
    Neo4jError,
    ServiceUnavailable,
    SessionExpired,
)

from graph import cypher
from graph.errors import InvalidReference, StoreError, StoreUnavailable
from graph.store import (
    EmployeeFilter,
    GapCounts,
    GroupField,
    GroupSkillCounts,
    RankedEmployee,
    RankedSimilarEdge,
    SimilarEdge,
    SkillEdge,
    SkillTarget,
    SoleHolder,
    StoreCounts,
    Vector,
)
from schema import (
    Employee,
    EmployeePage,
    EmployeeSkill,
    LearningGoal,
    Pairing,
    PairingFeedback,
    Skill,
    SkillHit,
    SkillHolding,
    SkillLearner,
)
from schema.graph_schema import CONSTRAINTS, EMBEDDING_DIMENSIONS, INDEXES, VECTOR_INDEXES

SKILL_BATCH = 2_000
EMPLOYEE_BATCH = 500
EDGE_BATCH = 10_000
VECTOR_OVERSAMPLING = 10
_T = TypeVar("_T")


class Neo4jStore:
    #: Every call is a round trip to the server: independent calls are worth overlapping.
    concurrent_calls = True

    def __init__(
        self, *, driver: neo4j.Driver, database: str = "neo4j", owns_driver: bool = False, uri: str = "Neo4j"
    ) -> None:
        self.uri = uri
        self._driver = driver
        self._database = database
        self._owns_driver = owns_driver
        self._vector_index = VECTOR_INDEXES[0].name

    @classmethod
    def connect(cls, *, uri: str, user: str = "neo4j", password: str = "", database: str = "neo4j") -> Neo4jStore:
        """Build a store with its own driver. No connection is made until first use."""
        driver = GraphDatabase.driver(
            uri,
            auth=(user, password),
            connection_timeout=5.0,
            connection_acquisition_timeout=10.0,
            max_transaction_retry_time=10.0,
            # Nothing reads server notifications, and the driver would print each one to
            # stderr ("relationship type HAS_SKILL does not exist" on an empty database).
            notifications_min_severity="OFF",
        )
        return cls(driver=driver, database=database, owns_driver=True, uri=uri)

    # -- plumbing ----------------------------------------------------------------------
    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except (ServiceUnavailable, SessionExpired, AuthError) as exc:
            reason = str(exc).splitlines()[-1].strip(" ()")
            raise StoreUnavailable(
                f"Neo4j at {self.uri} does not answer ({reason}); start it (docker compose up neo4j, or "
                "python scripts/neo4j_local.py start) or point MENTORGRAPH_STORE at a running server"
            ) from exc
        except ClientError as exc:
            raise StoreError(f"Neo4j refused the request: {exc.message}") from exc
        except (Neo4jError, DriverError) as exc:
            raise StoreUnavailable(f"Neo4j failed: {exc}") from exc

    def _read(self, query: LiteralString, **params: Any) -> list[neo4j.Record]:
        with self._errors():
            return self._driver.execute_query(
                query, params, database_=self._database, routing_=RoutingControl.READ
            ).records

    def _read_columns(self, query: LiteralString, **params: Any) -> list[list[Any]]:
        """A query that aggregates into one row of ``collect()`` ed columns (an aggregation
        always returns that row). Why: the driver builds a Python record per row, and for
        the hundreds of rows a walk returns that costs the client 3-4x the CPU of decoding
        the same values as a few lists."""
        return [list(column) for column in self._read(query, **params)[0].values()]

    def _write(self, query: LiteralString, **params: Any) -> list[neo4j.Record]:
        with self._errors():
            return self._driver.execute_query(
                query, params, database_=self._database, routing_=RoutingControl.WRITE
            ).records

    def _write_tx(self, work: Callable[[neo4j.ManagedTransaction], _T]) -> _T:
        with self._errors(), self._driver.session(database=self._database) as session:
            return session.execute_write(work)

    # -- lifecycle ---------------------------------------------------------------------
    def apply_schema(self) -> None:
        for constraint in CONSTRAINTS:
            self._write(
                f"CREATE CONSTRAINT {constraint.name} IF NOT EXISTS "
                f"FOR (n:{constraint.label.value}) REQUIRE n.{constraint.property} IS UNIQUE"
            )
        for index in INDEXES:
            self._write(f"CREATE INDEX {index.name} IF NOT EXISTS FOR (n:{index.label.value}) ON (n.{index.property})")
        for vector in VECTOR_INDEXES:
            self._write(
                f"CREATE VECTOR INDEX {vector.name} IF NOT EXISTS "
                f"FOR (n:{vector.label.value}) ON (n.{vector.property}) "
                # Quantisation (on by default since 5.23) trades accuracy for memory; at
                # our sizes exact scores matter more, and both backends must agree.
                "OPTIONS {indexConfig: {`vector.dimensions`: $dimensions, "
                "`vector.similarity_function`: $similarity, `vector.quantization.enabled`: false}}",
                dimensions=vector.dimensions,
                similarity=vector.similarity,
            )
        self._write(cypher.AWAIT_INDEXES, seconds=300)

    def ping(self) -> None:
        with self._errors():
            self._driver.verify_connectivity()
        self._read(cypher.PING)

    def warm(self) -> None:
        """Nothing to fill: the server keeps its own caches."""

    def close(self) -> None:
        if self._owns_driver:
            self._driver.close()

    def clear(self) -> None:
        while self._write(cypher.CLEAR_BATCH, limit=20_000)[0]["n"] > 0:
            pass

    # -- skills ------------------------------------------------------------------------
    def upsert_skills(self, *, skills: Sequence[Skill], embeddings: Vector | None = None) -> int:
        if embeddings is not None:
            _check_embeddings(embeddings, len(skills))
        rows = [
            {
                "id": s.id,
                "label": s.label,
                "alt_labels": list(s.alt_labels),
                "labels_lower": sorted({label.lower() for label in (s.label, *s.alt_labels)}),
                "description": s.description,
                "source": s.source.value,
                "skill_type": s.skill_type,
                "category": s.category,
                "digital": s.digital,
                "hot": s.hot,
                "broader": list(s.broader),
                "embedding": None if embeddings is None else embeddings[i].tolist(),
            }
            for i, s in enumerate(skills)
        ]
        links = [{"id": row["id"], "broader": row["broader"]} for row in rows]

        # One transaction for the whole call: it is atomic like the embedded store, and the
        # vector index gets one segment instead of one per batch (measured: a query over
        # an index written in 10 commits took ~10x longer than over one written in one).
        def work(tx: neo4j.ManagedTransaction) -> None:
            for batch in _batches(rows, SKILL_BATCH):
                tx.run(cypher.UPSERT_SKILLS, rows=batch).consume()
            # Hierarchy edges in a second pass, once every node of this call exists.
            for link_batch in _batches(links, EDGE_BATCH):
                tx.run(cypher.LINK_BROADER, rows=link_batch).consume()

        self._write_tx(work)
        return len(rows)

    def set_skill_embeddings(self, *, skill_ids: Sequence[str], embeddings: Vector) -> int:
        _check_embeddings(embeddings, len(skill_ids))
        rows = [{"id": skill_id, "embedding": embeddings[i].tolist()} for i, skill_id in enumerate(skill_ids)]

        def work(tx: neo4j.ManagedTransaction) -> int:
            return sum(
                int(tx.run(cypher.SET_EMBEDDINGS, rows=batch).single(strict=True)["n"])
                for batch in _batches(rows, SKILL_BATCH)
            )

        return self._write_tx(work)

    def get_skill(self, *, skill_id: str) -> Skill | None:
        return self.get_skills(skill_ids=[skill_id]).get(skill_id)

    def get_skills(self, *, skill_ids: Sequence[str]) -> dict[str, Skill]:
        skills = (_skill(r["skill"]) for r in self._read(cypher.GET_SKILLS, ids=list(skill_ids)))
        return {skill.id: skill for skill in skills}

    def list_skills(self) -> list[Skill]:
        return [_skill(r["skill"]) for r in self._read(cypher.LIST_SKILLS)]

    def skill_ids_without_embedding(self) -> list[str]:
        return [r["id"] for r in self._read(cypher.SKILLS_WITHOUT_EMBEDDING)]

    def delete_skill(self, *, skill_id: str) -> bool:
        return bool(self._write(cypher.DELETE_SKILL, id=skill_id)[0]["n"] > 0)

    def search_skills(self, *, vector: Vector, k: int = 10) -> list[SkillHit]:
        if k <= 0:
            return []
        records = self._read(
            cypher.VECTOR_SEARCH,
            index=self._vector_index,
            k=k,
            # The index is approximate (HNSW); asking it for more candidates than we
            # return makes the top k exact in practice, at a small cost.
            candidates=max(k * VECTOR_OVERSAMPLING, 100),
            vector=np.asarray(vector, dtype=float).tolist(),
        )
        # Neo4j reports cosine as (1 + cos) / 2; the contract speaks plain cosine.
        return [SkillHit(skill=_skill(r["skill"]), score=2.0 * r["score"] - 1.0) for r in records]

    def skills_by_label(self, *, labels: Sequence[str]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for r in self._read(cypher.SKILLS_BY_LABEL, labels=sorted({label.lower() for label in labels})):
            found.setdefault(r["label"], []).append(r["id"])
        return found

    def upsert_similar(self, *, edges: Sequence[SimilarEdge]) -> int:
        sources = sorted({edge.source_id for edge in edges})
        for id_batch in _batches(sources, EDGE_BATCH):
            self._write(cypher.DELETE_SIMILAR, ids=id_batch)
        rows = [{"source_id": e.source_id, "target_id": e.target_id, "score": e.score} for e in edges]
        for batch in _batches(rows, EDGE_BATCH):
            self._write(cypher.UPSERT_SIMILAR, rows=batch)
        return len(rows)

    def similar_skills(self, *, skill_ids: Sequence[str], min_score: float = 0.0) -> list[SimilarEdge]:
        sources, targets, scores = self._read_columns(cypher.SIMILAR_SKILLS, ids=list(skill_ids), min_score=min_score)
        return [SimilarEdge(*edge) for edge in zip(sources, targets, scores, strict=True)]

    def similar_into(self, *, skill_ids: Sequence[str], min_score: float = 0.0) -> list[RankedSimilarEdge]:
        columns = self._read_columns(cypher.SIMILAR_INTO, ids=list(skill_ids), min_score=min_score)
        return [RankedSimilarEdge(*edge) for edge in zip(*columns, strict=True)]

    def broader_edges(self, *, skill_ids: Sequence[str]) -> list[tuple[str, str]]:
        children, parents = self._read_columns(cypher.BROADER_EDGES, ids=list(skill_ids))
        return list(zip(children, parents, strict=True))

    def narrower_edges(self, *, skill_ids: Sequence[str], max_children: int | None = None) -> list[tuple[str, str]]:
        parents, children = self._read_columns(cypher.NARROWER_EDGES, ids=list(skill_ids), max_children=max_children)
        return list(zip(parents, children, strict=True))

    # -- employees ---------------------------------------------------------------------
    def upsert_employees(self, *, employees: Sequence[Employee]) -> int:
        referenced = sorted(
            {s.skill_id for e in employees for s in e.skills} | {g.skill_id for e in employees for g in e.goals}
        )
        missing = [r["id"] for r in self._read(cypher.MISSING_SKILLS, ids=referenced)]
        if missing:
            raise InvalidReference(f"unknown skill ids: {', '.join(missing[:10])}", missing)
        rows = [_employee_row(e) for e in employees]
        for batch in _batches(rows, EMPLOYEE_BATCH):
            ids = [row["id"] for row in batch]

            def work(tx: neo4j.ManagedTransaction, batch: list[dict[str, Any]] = batch, ids: list[str] = ids) -> None:
                tx.run(cypher.UPSERT_EMPLOYEES, rows=batch).consume()
                tx.run(cypher.LINK_WAITING_REPORTS, ids=ids).consume()

            self._write_tx(work)
        return len(rows)

    def get_employee(self, *, employee_id: str) -> Employee | None:
        return self.get_employees(employee_ids=[employee_id]).get(employee_id)

    def get_employees(self, *, employee_ids: Sequence[str]) -> dict[str, Employee]:
        found: dict[str, Employee] = {}
        for r in self._read(cypher.GET_EMPLOYEES, ids=list(employee_ids)):
            fields = r["employee"]
            found[fields["id"]] = Employee.model_construct(
                **{**fields, "opt_in": bool(fields["opt_in"])},
                skills=tuple(EmployeeSkill(skill_id=s, level=level) for s, level in r["skills"]),
                goals=tuple(LearningGoal(skill_id=s, priority=p) for s, p in r["goals"]),
            )
        return found

    def list_employees(self, *, offset: int = 0, limit: int = 50) -> EmployeePage:
        total = self._read(cypher.COUNT_EMPLOYEES)[0]["n"]
        ids = [r["id"] for r in self._read(cypher.PAGE_EMPLOYEE_IDS, offset=offset, limit=limit)]
        found = self.get_employees(employee_ids=ids)
        return EmployeePage(items=[found[i] for i in ids if i in found], total=total)

    def list_employee_ids(self) -> list[str]:
        return [r["id"] for r in self._read(cypher.LIST_EMPLOYEE_IDS)]

    def delete_employee(self, *, employee_id: str) -> bool:
        return (
            bool(self._write(cypher.DELETE_EMPLOYEE, id=employee_id)[0]["n"] > 0)
            if self._exists(employee_id)
            else False
        )

    def _exists(self, employee_id: str) -> bool:
        return bool(self._read(cypher.GET_EMPLOYEES, ids=[employee_id]))

    # -- walks -------------------------------------------------------------------------
    def holders(
        self, *, skill_ids: Sequence[str], min_level: int = 1, exclude_ids: Sequence[str] = ()
    ) -> list[SkillHolding]:
        records = self._read(cypher.HOLDERS, ids=list(skill_ids), min_level=min_level, exclude=list(exclude_ids))
        return [SkillHolding(employee_id=r[0], skill_id=r[1], level=r[2]) for r in records]

    def learners(self, *, skill_ids: Sequence[str], exclude_ids: Sequence[str] = ()) -> list[SkillLearner]:
        records = self._read(cypher.LEARNERS, ids=list(skill_ids), exclude=list(exclude_ids))
        return [SkillLearner(employee_id=r[0], skill_id=r[1], priority=r[2]) for r in records]

    def reporting_chain(self, *, employee_id: str) -> set[str]:
        records = self._read(cypher.REPORTING_CHAIN, id=employee_id)
        return set(records[0]["ids"]) - {employee_id} if records else set()

    def rank_by_skills(
        self,
        *,
        edge: SkillEdge,
        targets: Sequence[SkillTarget],
        factors: Sequence[float],
        where: EmployeeFilter | None = None,
        limit: int = 50,
        normalise: bool = False,
    ) -> list[RankedEmployee]:
        if not targets or limit <= 0:
            return []
        where = where or EmployeeFilter()
        queries = {
            (SkillEdge.HAS_SKILL, False): cypher.RANK_HOLDERS,
            (SkillEdge.HAS_SKILL, True): cypher.RANK_HOLDERS_NORMALISED,
            (SkillEdge.WANTS_TO_LEARN, False): cypher.RANK_LEARNERS,
            (SkillEdge.WANTS_TO_LEARN, True): cypher.RANK_LEARNERS_NORMALISED,
        }
        query = queries[(edge, normalise)]
        employee_ids, scores = self._read_columns(
            query,
            targets=[{"group": t.group, "skill_id": t.skill_id, "weight": float(t.weight)} for t in targets],
            factors=[float(f) for f in factors],
            exclude=list(where.exclude_ids),
            opt_in_only=where.opt_in_only,
            min_capacity=where.min_capacity,
            seniorities=None if where.seniorities is None else list(where.seniorities),
            min_utc=float(where.min_utc_offset),
            max_utc=float(where.max_utc_offset),
            limit=limit,
        )
        return [RankedEmployee(*ranked) for ranked in zip(employee_ids, scores, strict=True)]

    # -- pairings ----------------------------------------------------------------------
    def upsert_pairings(self, *, pairings: Sequence[Pairing]) -> int:
        rows = [{"id": p.id, "employee_ids": list(p.employee_ids), "data": p.model_dump_json()} for p in pairings]
        for batch in _batches(rows, EMPLOYEE_BATCH):
            self._write(cypher.UPSERT_PAIRINGS, rows=batch)
        return len(rows)

    def get_pairing(self, *, pairing_id: str) -> Pairing | None:
        records = self._read(cypher.GET_PAIRING, id=pairing_id)
        return Pairing.model_validate_json(records[0]["data"]) if records else None

    def list_pairings(self, *, employee_id: str | None = None) -> list[Pairing]:
        if employee_id is None:
            records = self._read(cypher.LIST_PAIRINGS)
        else:
            records = self._read(cypher.LIST_PAIRINGS_OF, employee_id=employee_id)
        return [Pairing.model_validate_json(r["data"]) for r in records]

    def list_pairings_for(self, *, employee_ids: Sequence[str]) -> list[Pairing]:
        records = self._read(cypher.LIST_PAIRINGS_FOR, ids=list(employee_ids))
        return [Pairing.model_validate_json(r["data"]) for r in records]

    def add_feedback(self, *, pairing_id: str, feedback: PairingFeedback) -> Pairing | None:
        def work(tx: neo4j.ManagedTransaction) -> Pairing | None:
            record = tx.run(cypher.GET_PAIRING, id=pairing_id).single()
            if record is None:
                return None
            pairing = Pairing.model_validate_json(record["data"])
            updated = pairing.model_copy(update={"feedback": (*pairing.feedback, feedback)})
            tx.run(cypher.SET_PAIRING_DATA, id=pairing_id, data=updated.model_dump_json()).consume()
            return updated

        return self._write_tx(work)

    def delete_pairing(self, *, pairing_id: str) -> bool:
        if self.get_pairing(pairing_id=pairing_id) is None:
            return False
        self._write(cypher.DELETE_PAIRING, id=pairing_id)
        return True

    # -- analytics ---------------------------------------------------------------------
    def counts(self) -> StoreCounts:
        r = self._read(cypher.COUNTS)[0]
        return StoreCounts(
            r["employees"],
            r["skills"],
            r["has_skill"],
            r["wants_to_learn"],
            r["reports_to"],
            r["similar_to"],
            r["pairings"],
        )

    def group_skill_counts(self, *, group_by: GroupField, teaching_level: int = 3) -> list[GroupSkillCounts]:
        records = self._read(cypher.GROUP_SKILL_COUNTS, field=group_by.value, teaching_level=teaching_level)
        return [
            GroupSkillCounts(r["grp"], r["skill_id"], r["learners"], r["demand"], r["teachers"], r["holders"])
            for r in records
        ]

    def gap_counts(
        self, *, group_by: GroupField, teaching_level: int = 3, junior_max: int = 2, senior_min: int = 4
    ) -> list[GapCounts]:
        records = self._read(
            cypher.GAP_COUNTS,
            field=group_by.value,
            teaching_level=teaching_level,
            junior_max=junior_max,
            senior_min=senior_min,
        )
        # GAP_COUNTS returns its columns in GapCounts field order.
        return [GapCounts(*r.values()) for r in records]

    def sole_holders(self, *, group_by: GroupField) -> list[SoleHolder]:
        records = self._read(cypher.SOLE_HOLDERS, field=group_by.value)
        return [SoleHolder(r["skill_id"], r["employee_id"], r["grp"], r["level"]) for r in records]

    def group_sizes(self, *, group_by: GroupField) -> dict[str, int]:
        records = self._read(cypher.GROUP_SIZES, field=group_by.value)
        return {r["grp"]: r["n"] for r in records}


def _skill(fields: dict[str, Any]) -> Skill:
    return Skill.model_validate(
        {key: value for key, value in fields.items() if value is not None},
    )


def _employee_row(e: Employee) -> dict[str, Any]:
    return {
        "id": e.id,
        "props": {
            "name": e.name,
            "title": e.title,
            "department": e.department,
            "seniority": e.seniority,
            "manager_id": e.manager_id,
            "location": e.location,
            "utc_offset": e.utc_offset,
            "capacity": e.capacity,
            "opt_in": e.opt_in,
        },
        "skills": [{"skill_id": s.skill_id, "level": s.level} for s in e.skills],
        "goals": [{"skill_id": g.skill_id, "priority": g.priority} for g in e.goals],
    }


def _batches(rows: Sequence[_T], size: int) -> Iterator[list[_T]]:
    for start in range(0, len(rows), size):
        yield list(rows[start : start + size])


def _check_embeddings(embeddings: Vector, rows: int) -> None:
    if embeddings.shape != (rows, EMBEDDING_DIMENSIONS):
        raise ValueError(f"embeddings must have shape ({rows}, {EMBEDDING_DIMENSIONS}), got {embeddings.shape}")
