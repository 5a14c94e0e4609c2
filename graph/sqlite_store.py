"""The embedded default store: one SQLite file, durable and transactional, no server.

Why SQLite: it ships with Python, a write is one ACID transaction (WAL journal,
``synchronous=FULL``), and one file is easy to back up. Vector search is exact and
in-process: the skill embeddings are read once into a float32 matrix and a query is one
matrix-vector product (20,000 x 384 takes about a millisecond), rebuilt only after
skills change. Reads use one connection per thread so the API's worker threads do not
queue behind each other; WAL lets them read while another thread writes.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from graph.errors import InvalidReference, StoreUnavailable
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
from graph.walk_index import MAX_PROFILES, WalkIndex
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
from schema.graph_schema import EMBEDDING_DIMENSIONS

_DDL = """
CREATE TABLE IF NOT EXISTS skill (
    id TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    embedding BLOB
);
CREATE TABLE IF NOT EXISTS skill_label (
    label_lower TEXT NOT NULL,
    skill_id TEXT NOT NULL REFERENCES skill(id) ON DELETE CASCADE,
    preferred INTEGER NOT NULL,
    PRIMARY KEY (label_lower, skill_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS skill_label_by_skill ON skill_label(skill_id);
CREATE TABLE IF NOT EXISTS broader (
    skill_id TEXT NOT NULL REFERENCES skill(id) ON DELETE CASCADE,
    parent_id TEXT NOT NULL REFERENCES skill(id) ON DELETE CASCADE,
    PRIMARY KEY (skill_id, parent_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS broader_by_parent ON broader(parent_id);
CREATE TABLE IF NOT EXISTS similar (
    source_id TEXT NOT NULL REFERENCES skill(id) ON DELETE CASCADE,
    target_id TEXT NOT NULL REFERENCES skill(id) ON DELETE CASCADE,
    score REAL NOT NULL,
    PRIMARY KEY (source_id, target_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS similar_by_target ON similar(target_id);
CREATE TABLE IF NOT EXISTS employee (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    title TEXT NOT NULL,
    department TEXT NOT NULL,
    seniority INTEGER NOT NULL,
    manager_id TEXT,
    location TEXT NOT NULL,
    utc_offset REAL NOT NULL,
    capacity INTEGER NOT NULL,
    opt_in INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS employee_manager ON employee(manager_id);
CREATE TABLE IF NOT EXISTS has_skill (
    employee_id TEXT NOT NULL REFERENCES employee(id) ON DELETE CASCADE,
    skill_id TEXT NOT NULL REFERENCES skill(id) ON DELETE CASCADE,
    level INTEGER NOT NULL,
    PRIMARY KEY (employee_id, skill_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS has_skill_by_skill ON has_skill(skill_id, level);
CREATE TABLE IF NOT EXISTS wants_to_learn (
    employee_id TEXT NOT NULL REFERENCES employee(id) ON DELETE CASCADE,
    skill_id TEXT NOT NULL REFERENCES skill(id) ON DELETE CASCADE,
    priority INTEGER NOT NULL,
    PRIMARY KEY (employee_id, skill_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS wants_by_skill ON wants_to_learn(skill_id);
CREATE TABLE IF NOT EXISTS pairing (
    id TEXT PRIMARY KEY,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS pairing_member (
    pairing_id TEXT NOT NULL REFERENCES pairing(id) ON DELETE CASCADE,
    employee_id TEXT NOT NULL,
    PRIMARY KEY (pairing_id, employee_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS pairing_member_by_employee ON pairing_member(employee_id);
"""

_EMPLOYEE_COLUMNS = "id, name, title, department, seniority, manager_id, location, utc_offset, capacity, opt_in"

# The grouping expression per field: a closed mapping, never user text in SQL.
_GROUP_EXPRESSIONS = {
    GroupField.NONE: "'all'",
    GroupField.DEPARTMENT: "e.department",
    GroupField.SENIORITY: "CAST(e.seniority AS TEXT)",
    GroupField.LOCATION: "e.location",
}


class SqliteStore:
    """The embedded :class:`graph.store.GraphStore`. Opening does no I/O; the file is
    created by :meth:`apply_schema`."""

    #: Calls run in-process: concurrent calls would only contend (see ``GraphStore``).
    concurrent_calls = False

    def __init__(self, *, path: str | Path) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._matrix: tuple[list[str], Vector] | None = None
        # The ranking walks' in-memory edge index (opens its own connection on first use).
        self._walks = WalkIndex(watch=self._watch_connection)

    # -- connections -------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
        except (OSError, sqlite3.Error) as exc:
            raise StoreUnavailable(
                f"cannot open the embedded store at {self.path}: {exc}; "
                "choose a writable path with MENTORGRAPH_STORE or --store"
            ) from exc
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA cache_size=-65536")
        return conn

    def _watch_connection(self) -> sqlite3.Connection:
        """A connection that never writes: its ``PRAGMA data_version`` changes whenever any
        other connection commits (see :mod:`graph.walk_index`)."""
        conn = self._connect()
        with self._lock:
            self._connections.append(conn)
        return conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction: all of it is written or none of it."""
        conn = self._conn()
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StoreUnavailable(f"cannot write to the embedded store at {self.path}: {exc}") from exc
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")

    def apply_schema(self) -> None:
        try:
            self._conn().executescript(_DDL)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"cannot create the embedded store at {self.path}: {exc}") from exc

    def ping(self) -> None:
        try:
            self._conn().execute("SELECT 1").fetchone()
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"the embedded store at {self.path} does not answer: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()
        self._walks = WalkIndex(watch=self._watch_connection)  # its watch connection is closed

    def clear(self) -> None:
        with self._write() as conn:
            for table in ("pairing", "employee", "skill"):
                conn.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
        self._matrix = None

    # -- skills ------------------------------------------------------------------------
    def upsert_skills(self, *, skills: Sequence[Skill], embeddings: Vector | None = None) -> int:
        if embeddings is not None:
            _check_embeddings(embeddings, len(skills))
        ids = [skill.id for skill in skills]
        with self._write() as conn:
            conn.executemany(
                "INSERT INTO skill(id, data, embedding) VALUES (?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET data = excluded.data, "
                "embedding = coalesce(excluded.embedding, skill.embedding)",
                [
                    (skill.id, skill.model_dump_json(), None if embeddings is None else _blob(embeddings[i]))
                    for i, skill in enumerate(skills)
                ],
            )
            conn.execute("DELETE FROM skill_label WHERE skill_id IN (SELECT value FROM json_each(?))", (_js(ids),))
            conn.executemany(
                "INSERT OR IGNORE INTO skill_label(label_lower, skill_id, preferred) VALUES (?, ?, ?)",
                [
                    (label.lower(), skill.id, int(label == skill.label))
                    for skill in skills
                    for label in (skill.label, *skill.alt_labels)
                ],
            )
            conn.execute("DELETE FROM broader WHERE skill_id IN (SELECT value FROM json_each(?))", (_js(ids),))
            # Edges only to parents that exist, as on Neo4j where an edge needs both nodes.
            conn.executemany(
                "INSERT OR IGNORE INTO broader(skill_id, parent_id) SELECT ?, id FROM skill WHERE id = ?",
                [(skill.id, parent) for skill in skills for parent in skill.broader],
            )
        self._matrix = None
        return len(skills)

    def set_skill_embeddings(self, *, skill_ids: Sequence[str], embeddings: Vector) -> int:
        _check_embeddings(embeddings, len(skill_ids))
        with self._write() as conn:
            cursor = conn.executemany(
                "UPDATE skill SET embedding = ? WHERE id = ?",
                [(_blob(embeddings[i]), skill_id) for i, skill_id in enumerate(skill_ids)],
            )
        self._matrix = None
        return cursor.rowcount

    def get_skill(self, *, skill_id: str) -> Skill | None:
        return self.get_skills(skill_ids=[skill_id]).get(skill_id)

    def get_skills(self, *, skill_ids: Sequence[str]) -> dict[str, Skill]:
        rows = self._conn().execute(
            "SELECT id, data FROM skill WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id",
            (_js(skill_ids),),
        )
        return {row[0]: Skill.model_validate_json(row[1]) for row in rows}

    def list_skills(self) -> list[Skill]:
        rows = self._conn().execute("SELECT data FROM skill ORDER BY id")
        return [Skill.model_validate_json(row[0]) for row in rows]

    def skill_ids_without_embedding(self) -> list[str]:
        rows = self._conn().execute("SELECT id FROM skill WHERE embedding IS NULL ORDER BY id")
        return [row[0] for row in rows]

    def delete_skill(self, *, skill_id: str) -> bool:
        with self._write() as conn:
            deleted = conn.execute("DELETE FROM skill WHERE id = ?", (skill_id,)).rowcount > 0
        self._matrix = None
        return deleted

    def _embedding_matrix(self) -> tuple[list[str], Vector]:
        cached = self._matrix
        if cached is None:
            rows = (
                self._conn()
                .execute("SELECT id, embedding FROM skill WHERE embedding IS NOT NULL ORDER BY id")
                .fetchall()
            )
            ids = [row[0] for row in rows]
            matrix = np.frombuffer(b"".join(row[1] for row in rows), dtype=np.float32)
            cached = (ids, matrix.reshape(len(ids), EMBEDDING_DIMENSIONS))
            self._matrix = cached
        return cached

    def search_skills(self, *, vector: Vector, k: int = 10) -> list[SkillHit]:
        ids, matrix = self._embedding_matrix()
        if not ids or k <= 0:
            return []
        # einsum runs on one thread: as fast as BLAS here, and it does not fight the API's
        # worker threads for the cores (measured: p95 2-4x lower under load).
        scores = np.einsum("ij,j->i", matrix, np.asarray(vector, dtype=np.float32))
        k = min(k, len(ids))
        top = np.argpartition(-scores, k - 1)[:k]
        # Ids are sorted, so among equal scores the lower index is the lower id.
        order = top[np.lexsort((top, -scores[top]))]
        skills = self.get_skills(skill_ids=[ids[i] for i in order])
        return [SkillHit(skill=skills[ids[i]], score=float(scores[i])) for i in order]

    def skills_by_label(self, *, labels: Sequence[str]) -> dict[str, list[str]]:
        rows = self._conn().execute(
            "SELECT label_lower, skill_id FROM skill_label "
            "WHERE label_lower IN (SELECT lower(value) FROM json_each(?)) "
            "ORDER BY label_lower, preferred DESC, skill_id",
            (_js(labels),),
        )
        found: dict[str, list[str]] = {}
        for label, skill_id in rows:
            found.setdefault(label, []).append(skill_id)
        return found

    def upsert_similar(self, *, edges: Sequence[SimilarEdge]) -> int:
        sources = sorted({edge.source_id for edge in edges})
        with self._write() as conn:
            conn.execute("DELETE FROM similar WHERE source_id IN (SELECT value FROM json_each(?))", (_js(sources),))
            conn.executemany(
                "INSERT OR REPLACE INTO similar(source_id, target_id, score) "
                "SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM skill WHERE id = ?) "
                "AND EXISTS (SELECT 1 FROM skill WHERE id = ?)",
                [(e.source_id, e.target_id, e.score, e.source_id, e.target_id) for e in edges],
            )
        return len(edges)

    def similar_skills(self, *, skill_ids: Sequence[str], min_score: float = 0.0) -> list[SimilarEdge]:
        rows = self._conn().execute(
            "SELECT source_id, target_id, score FROM similar "
            "WHERE source_id IN (SELECT value FROM json_each(?)) AND score >= ? "
            "ORDER BY score DESC, source_id, target_id",
            (_js(skill_ids), min_score),
        )
        return [SimilarEdge(*row) for row in rows]

    def similar_into(self, *, skill_ids: Sequence[str], min_score: float = 0.0) -> list[RankedSimilarEdge]:
        rows = self._conn().execute(
            "SELECT s.source_id, s.target_id, s.score, "
            "(SELECT count(*) FROM similar o WHERE o.source_id = s.source_id AND o.target_id != o.source_id "
            "AND (o.score > s.score OR (o.score = s.score AND o.target_id < s.target_id))) "
            "FROM similar s WHERE s.target_id IN (SELECT value FROM json_each(?)) AND s.score >= ? "
            "AND s.source_id != s.target_id ORDER BY s.score DESC, s.source_id, s.target_id",
            (_js(skill_ids), min_score),
        )
        return [RankedSimilarEdge(*row) for row in rows]

    def broader_edges(self, *, skill_ids: Sequence[str]) -> list[tuple[str, str]]:
        rows = self._conn().execute(
            "SELECT skill_id, parent_id FROM broader WHERE skill_id IN (SELECT value FROM json_each(?)) "
            "ORDER BY skill_id, parent_id",
            (_js(skill_ids),),
        )
        return [(row[0], row[1]) for row in rows]

    def narrower_edges(self, *, skill_ids: Sequence[str], max_children: int | None = None) -> list[tuple[str, str]]:
        # Each parent's size is counted once (a correlated count per child row made a big
        # ESCO group of 270 children cost 270 counts of 270 rows).
        rows = self._conn().execute(
            "WITH wanted AS (SELECT DISTINCT value AS id FROM json_each(?)), "
            "sizes AS (SELECT b.parent_id, count(*) AS n FROM broader b JOIN wanted w ON w.id = b.parent_id "
            "GROUP BY b.parent_id) "
            "SELECT b.parent_id, b.skill_id FROM broader b JOIN sizes ON sizes.parent_id = b.parent_id "
            "WHERE ? IS NULL OR sizes.n <= ? ORDER BY b.parent_id, b.skill_id",
            (_js(skill_ids), max_children, max_children),
        )
        return [(row[0], row[1]) for row in rows]

    # -- employees ---------------------------------------------------------------------
    def upsert_employees(self, *, employees: Sequence[Employee]) -> int:
        ids = [employee.id for employee in employees]
        referenced = sorted(
            {s.skill_id for e in employees for s in e.skills} | {g.skill_id for e in employees for g in e.goals}
        )
        with self._write() as conn:
            missing = [
                row[0]
                for row in conn.execute(
                    "SELECT value FROM json_each(?) WHERE value NOT IN (SELECT id FROM skill) ORDER BY value",
                    (_js(referenced),),
                )
            ]
            if missing:
                raise InvalidReference(f"unknown skill ids: {', '.join(missing[:10])}", missing)
            conn.executemany(
                f"INSERT INTO employee({_EMPLOYEE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "  # noqa: S608
                "ON CONFLICT(id) DO UPDATE SET name = excluded.name, title = excluded.title, "
                "department = excluded.department, seniority = excluded.seniority, "
                "manager_id = excluded.manager_id, location = excluded.location, "
                "utc_offset = excluded.utc_offset, capacity = excluded.capacity, opt_in = excluded.opt_in",
                [
                    (
                        e.id,
                        e.name,
                        e.title,
                        e.department,
                        e.seniority,
                        e.manager_id,
                        e.location,
                        e.utc_offset,
                        e.capacity,
                        int(e.opt_in),
                    )
                    for e in employees
                ],
            )
            # An update replaces the employee's skills and goals with the ones given.
            ids_json = _js(ids)
            conn.execute("DELETE FROM has_skill WHERE employee_id IN (SELECT value FROM json_each(?))", (ids_json,))
            conn.execute(
                "DELETE FROM wants_to_learn WHERE employee_id IN (SELECT value FROM json_each(?))",
                (ids_json,),
            )
            conn.executemany(
                "INSERT INTO has_skill(employee_id, skill_id, level) VALUES (?, ?, ?)",
                [(e.id, s.skill_id, s.level) for e in employees for s in e.skills],
            )
            conn.executemany(
                "INSERT INTO wants_to_learn(employee_id, skill_id, priority) VALUES (?, ?, ?)",
                [(e.id, g.skill_id, g.priority) for e in employees for g in e.goals],
            )
        return len(ids)

    def get_employee(self, *, employee_id: str) -> Employee | None:
        return self.get_employees(employee_ids=[employee_id]).get(employee_id)

    def get_employees(self, *, employee_ids: Sequence[str]) -> dict[str, Employee]:
        return self._walks.profiles(employee_ids, self._read_employees)

    def warm(self) -> None:
        """Fill the walk index and the profile cache (up to its size) ahead of the first
        requests: the API's first minute is then as fast as the rest."""
        self._walks.warm(self._conn())
        ids = self.list_employee_ids()[:MAX_PROFILES]
        for start in range(0, len(ids), 1_000):
            self.get_employees(employee_ids=ids[start : start + 1_000])

    def _read_employees(self, employee_ids: list[str]) -> dict[str, Employee]:
        conn = self._conn()
        ids_json = _js(employee_ids)
        skills: dict[str, list[EmployeeSkill]] = {}
        for employee_id, skill_id, level in conn.execute(
            "SELECT employee_id, skill_id, level FROM has_skill "
            "WHERE employee_id IN (SELECT value FROM json_each(?)) ORDER BY employee_id, skill_id",
            (ids_json,),
        ):
            skills.setdefault(employee_id, []).append(EmployeeSkill(skill_id=skill_id, level=level))
        goals: dict[str, list[LearningGoal]] = {}
        for employee_id, skill_id, priority in conn.execute(
            "SELECT employee_id, skill_id, priority FROM wants_to_learn "
            "WHERE employee_id IN (SELECT value FROM json_each(?)) ORDER BY employee_id, skill_id",
            (ids_json,),
        ):
            goals.setdefault(employee_id, []).append(LearningGoal(skill_id=skill_id, priority=priority))
        rows = conn.execute(
            f"SELECT {_EMPLOYEE_COLUMNS} FROM employee WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id",  # noqa: S608
            (ids_json,),
        )
        return {row[0]: _employee(row, skills.get(row[0], []), goals.get(row[0], [])) for row in rows}

    def list_employees(self, *, offset: int = 0, limit: int = 50) -> EmployeePage:
        conn = self._conn()
        total = conn.execute("SELECT count(*) FROM employee").fetchone()[0]
        ids = [row[0] for row in conn.execute("SELECT id FROM employee ORDER BY id LIMIT ? OFFSET ?", (limit, offset))]
        found = self.get_employees(employee_ids=ids)
        return EmployeePage(items=[found[i] for i in ids if i in found], total=total)

    def list_employee_ids(self) -> list[str]:
        return [row[0] for row in self._conn().execute("SELECT id FROM employee ORDER BY id")]

    def delete_employee(self, *, employee_id: str) -> bool:
        with self._write() as conn:
            conn.execute(
                "DELETE FROM pairing WHERE id IN (SELECT pairing_id FROM pairing_member WHERE employee_id = ?)",
                (employee_id,),
            )
            # Erasure: their reports keep no trace of them either.
            conn.execute("UPDATE employee SET manager_id = NULL WHERE manager_id = ?", (employee_id,))
            return conn.execute("DELETE FROM employee WHERE id = ?", (employee_id,)).rowcount > 0

    # -- walks -------------------------------------------------------------------------
    def holders(
        self, *, skill_ids: Sequence[str], min_level: int = 1, exclude_ids: Sequence[str] = ()
    ) -> list[SkillHolding]:
        rows = self._conn().execute(
            "SELECT employee_id, skill_id, level FROM has_skill "
            "WHERE skill_id IN (SELECT value FROM json_each(?)) AND level >= ? "
            "AND employee_id NOT IN (SELECT value FROM json_each(?)) "
            "ORDER BY skill_id, level DESC, employee_id",
            (_js(skill_ids), min_level, _js(exclude_ids)),
        )
        return [SkillHolding(employee_id=r[0], skill_id=r[1], level=r[2]) for r in rows]

    def learners(self, *, skill_ids: Sequence[str], exclude_ids: Sequence[str] = ()) -> list[SkillLearner]:
        rows = self._conn().execute(
            "SELECT employee_id, skill_id, priority FROM wants_to_learn "
            "WHERE skill_id IN (SELECT value FROM json_each(?)) "
            "AND employee_id NOT IN (SELECT value FROM json_each(?)) "
            "ORDER BY skill_id, priority DESC, employee_id",
            (_js(skill_ids), _js(exclude_ids)),
        )
        return [SkillLearner(employee_id=r[0], skill_id=r[1], priority=r[2]) for r in rows]

    def reporting_chain(self, *, employee_id: str) -> set[str]:
        # Managers are followed only while the manager exists, as REPORTS_TO edges on Neo4j.
        rows = self._conn().execute(
            """
            WITH RECURSIVE
              up(id) AS (
                SELECT m.id FROM employee e JOIN employee m ON m.id = e.manager_id WHERE e.id = ?1
                UNION SELECT m.id FROM up JOIN employee e ON e.id = up.id JOIN employee m ON m.id = e.manager_id
              ),
              down(id) AS (
                SELECT e.id FROM employee e WHERE e.manager_id = ?1 AND EXISTS (SELECT 1 FROM employee WHERE id = ?1)
                UNION SELECT e.id FROM down JOIN employee e ON e.manager_id = down.id
              )
            SELECT id FROM up UNION SELECT id FROM down
            """,
            (employee_id,),
        )
        return {row[0] for row in rows} - {employee_id}

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
        try:
            return self._walks.rank(
                conn=self._conn(),
                edge=edge,
                targets=targets,
                factors=factors,
                where=where or EmployeeFilter(),
                limit=limit,
                normalise=normalise,
            )
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"the embedded store at {self.path} cannot be read: {exc}") from exc

    # -- pairings ----------------------------------------------------------------------
    def upsert_pairings(self, *, pairings: Sequence[Pairing]) -> int:
        with self._write() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO pairing(id, data) VALUES (?, ?)",
                [(p.id, p.model_dump_json()) for p in pairings],
            )
            conn.executemany(
                "INSERT INTO pairing_member(pairing_id, employee_id) VALUES (?, ?)",
                [(p.id, member) for p in pairings for member in p.employee_ids],
            )
        return len(pairings)

    def get_pairing(self, *, pairing_id: str) -> Pairing | None:
        row = self._conn().execute("SELECT data FROM pairing WHERE id = ?", (pairing_id,)).fetchone()
        return None if row is None else Pairing.model_validate_json(row[0])

    def list_pairings(self, *, employee_id: str | None = None) -> list[Pairing]:
        if employee_id is None:
            rows = self._conn().execute("SELECT data FROM pairing ORDER BY id")
        else:
            rows = self._conn().execute(
                "SELECT p.data FROM pairing p JOIN pairing_member m ON m.pairing_id = p.id "
                "WHERE m.employee_id = ? ORDER BY p.id",
                (employee_id,),
            )
        return [Pairing.model_validate_json(row[0]) for row in rows]

    def list_pairings_for(self, *, employee_ids: Sequence[str]) -> list[Pairing]:
        rows = self._conn().execute(
            "SELECT data FROM pairing WHERE id IN (SELECT pairing_id FROM pairing_member "
            "WHERE employee_id IN (SELECT value FROM json_each(?))) ORDER BY id",
            (_js(employee_ids),),
        )
        return [Pairing.model_validate_json(row[0]) for row in rows]

    def add_feedback(self, *, pairing_id: str, feedback: PairingFeedback) -> Pairing | None:
        with self._write() as conn:
            row = conn.execute("SELECT data FROM pairing WHERE id = ?", (pairing_id,)).fetchone()
            if row is None:
                return None
            pairing = Pairing.model_validate_json(row[0])
            updated = pairing.model_copy(update={"feedback": (*pairing.feedback, feedback)})
            conn.execute("UPDATE pairing SET data = ? WHERE id = ?", (updated.model_dump_json(), pairing_id))
        return updated

    def delete_pairing(self, *, pairing_id: str) -> bool:
        with self._write() as conn:
            return conn.execute("DELETE FROM pairing WHERE id = ?", (pairing_id,)).rowcount > 0

    # -- analytics ---------------------------------------------------------------------
    def counts(self) -> StoreCounts:
        row = (
            self._conn()
            .execute(
                """
            SELECT (SELECT count(*) FROM employee), (SELECT count(*) FROM skill),
                   (SELECT count(*) FROM has_skill), (SELECT count(*) FROM wants_to_learn),
                   (SELECT count(*) FROM employee e JOIN employee m ON m.id = e.manager_id),
                   (SELECT count(*) FROM similar), (SELECT count(*) FROM pairing)
            """
            )
            .fetchone()
        )
        return StoreCounts(*row)

    def group_skill_counts(self, *, group_by: GroupField, teaching_level: int = 3) -> list[GroupSkillCounts]:
        group = _GROUP_EXPRESSIONS[group_by]
        rows = self._conn().execute(
            f"""
            SELECT grp, skill_id, sum(learners), sum(demand), sum(teachers), sum(holders) FROM (
                SELECT {group} AS grp, w.skill_id, 1 AS learners, w.priority AS demand, 0 AS teachers, 0 AS holders
                FROM wants_to_learn w JOIN employee e ON e.id = w.employee_id
                UNION ALL
                SELECT {group}, h.skill_id, 0, 0, h.level >= ?, 1
                FROM has_skill h JOIN employee e ON e.id = h.employee_id
            ) GROUP BY grp, skill_id ORDER BY grp, skill_id
            """,  # noqa: S608 - the group expression comes from a closed mapping
            (teaching_level,),
        )
        return [GroupSkillCounts(*row) for row in rows]

    def gap_counts(
        self, *, group_by: GroupField, teaching_level: int = 3, junior_max: int = 2, senior_min: int = 4
    ) -> list[GapCounts]:
        group = _GROUP_EXPRESSIONS[group_by]
        # Why this shape (measured on 100,000 employees, 2 M HAS_SKILL rows): the cost is
        # sorting the edges for GROUP BY, so each side is aggregated on its own with only
        # the columns it needs (narrow rows sort faster: a third less CPU than one UNION
        # of wide rows), holders below the teaching level are dropped before the sort, and
        # the outer GROUP BY only merges the two small aggregates. Employees drive the
        # joins (CROSS JOIN keeps that order): one primary-key seek per employee instead of
        # one random employee lookup per edge, which was five times slower.
        rows = self._conn().execute(
            f"""
            SELECT c.grp, c.skill_id, coalesce(json_extract(s.data, '$.category'), ''),
                   c.l, c.d, c.t, c.jl, c.jd, c.jt, c.sl, c.sd, c.st
            FROM (
                SELECT grp, skill_id, sum(l) AS l, sum(d) AS d, sum(t) AS t, sum(jl) AS jl, sum(jd) AS jd,
                       sum(jt) AS jt, sum(sl) AS sl, sum(sd) AS sd, sum(st) AS st
                FROM (
                    SELECT {group} AS grp, w.skill_id, count(*) AS l, sum(w.priority) AS d, 0 AS t,
                           sum(e.seniority <= :junior) AS jl, sum((e.seniority <= :junior) * w.priority) AS jd,
                           0 AS jt, sum(e.seniority >= :senior) AS sl,
                           sum((e.seniority >= :senior) * w.priority) AS sd, 0 AS st
                    FROM employee e CROSS JOIN wants_to_learn w ON w.employee_id = e.id
                    GROUP BY 1, 2
                    UNION ALL
                    SELECT {group}, h.skill_id, 0, 0, count(*), 0, 0, sum(e.seniority <= :junior), 0, 0,
                           sum(e.seniority >= :senior)
                    FROM employee e CROSS JOIN has_skill h ON h.employee_id = e.id
                    WHERE h.level >= :level
                    GROUP BY 1, 2
                ) GROUP BY grp, skill_id
            ) c JOIN skill s ON s.id = c.skill_id
            ORDER BY c.grp, c.skill_id
            """,  # noqa: S608 - the group expression comes from a closed mapping
            {"junior": junior_max, "senior": senior_min, "level": teaching_level},
        )
        return [GapCounts(*row) for row in rows]

    def sole_holders(self, *, group_by: GroupField) -> list[SoleHolder]:
        group = _GROUP_EXPRESSIONS[group_by]
        # The skill index is already in skill order, so this GROUP BY needs no sort; only
        # the few single-holder rows are joined to their employee.
        rows = self._conn().execute(
            f"""
            SELECT x.skill_id, x.employee_id, {group}, x.level FROM (
                SELECT skill_id, min(employee_id) AS employee_id, min(level) AS level
                FROM has_skill GROUP BY skill_id HAVING count(*) = 1
            ) x JOIN employee e ON e.id = x.employee_id
            ORDER BY x.skill_id
            """  # noqa: S608 - the group expression comes from a closed mapping
        )
        return [SoleHolder(*row) for row in rows]

    def group_sizes(self, *, group_by: GroupField) -> dict[str, int]:
        group = _GROUP_EXPRESSIONS[group_by]
        rows = self._conn().execute(f"SELECT {group}, count(*) FROM employee e GROUP BY 1 ORDER BY 1")  # noqa: S608
        return {str(name): count for name, count in rows}


def _employee(row: tuple[Any, ...], skills: list[EmployeeSkill], goals: list[LearningGoal]) -> Employee:
    return Employee.model_construct(
        id=row[0],
        name=row[1],
        title=row[2],
        department=row[3],
        seniority=row[4],
        manager_id=row[5],
        location=row[6],
        utc_offset=row[7],
        capacity=row[8],
        opt_in=bool(row[9]),
        skills=tuple(skills),
        goals=tuple(goals),
    )


def _js(values: Sequence[str]) -> str:
    return json.dumps(list(values))


def _blob(vector: Vector) -> bytes:
    return np.ascontiguousarray(vector, dtype=np.float32).tobytes()


def _check_embeddings(embeddings: Vector, rows: int) -> None:
    if embeddings.shape != (rows, EMBEDDING_DIMENSIONS):
        raise ValueError(f"embeddings must have shape ({rows}, {EMBEDDING_DIMENSIONS}), got {embeddings.shape}")
