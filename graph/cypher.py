"""Every Cypher query of the Neo4j backend, as named constants.

Values are always ``$parameters``; labels and relationship types are fixed here. Writes
take ``$rows`` batches through ``UNWIND``. Queries are idempotent because the driver
retries transaction functions.
"""

SKILL_FIELDS = "{.id, .label, .alt_labels, .description, .source, .skill_type, .category, .digital, .hot, .broader}"
EMPLOYEE_FIELDS = (
    "{.id, .name, .title, .department, .seniority, .manager_id, .location, .utc_offset, .capacity, .opt_in}"
)

PING = "RETURN 1 AS ok"
AWAIT_INDEXES = "CALL db.awaitIndexes($seconds)"
CLEAR_BATCH = (
    "MATCH (n) WHERE n:Employee OR n:Skill OR n:Pairing WITH n LIMIT $limit DETACH DELETE n RETURN count(*) AS n"
)

# -- skills ---------------------------------------------------------------------------
UPSERT_SKILLS = """
UNWIND $rows AS row
MERGE (s:Skill {id: row.id})
SET s.label = row.label, s.label_lower = toLower(row.label), s.alt_labels = row.alt_labels,
    s.labels_lower = row.labels_lower, s.description = row.description, s.source = row.source,
    s.skill_type = row.skill_type, s.category = row.category, s.digital = row.digital,
    s.hot = row.hot, s.broader = row.broader
WITH s, row WHERE row.embedding IS NOT NULL
CALL db.create.setNodeVectorProperty(s, 'embedding', row.embedding)
"""
LINK_BROADER = """
UNWIND $rows AS row
MATCH (s:Skill {id: row.id})
CALL (s) { MATCH (s)-[old:BROADER]->() DELETE old }
WITH s, row
UNWIND row.broader AS parent_id
MATCH (p:Skill {id: parent_id})
MERGE (s)-[:BROADER]->(p)
"""
SET_EMBEDDINGS = """
UNWIND $rows AS row
MATCH (s:Skill {id: row.id})
CALL db.create.setNodeVectorProperty(s, 'embedding', row.embedding)
RETURN count(s) AS n
"""
GET_SKILLS = f"""
UNWIND $ids AS id
MATCH (s:Skill {{id: id}})
RETURN s {SKILL_FIELDS} AS skill ORDER BY s.id
"""
LIST_SKILLS = f"MATCH (s:Skill) RETURN s {SKILL_FIELDS} AS skill ORDER BY s.id"
SKILLS_WITHOUT_EMBEDDING = "MATCH (s:Skill) WHERE s.embedding IS NULL RETURN s.id AS id ORDER BY id"
DELETE_SKILL = "MATCH (s:Skill {id: $id}) DETACH DELETE s RETURN count(*) AS n"
VECTOR_SEARCH = f"""
CALL db.index.vector.queryNodes($index, $candidates, $vector) YIELD node, score
RETURN node {SKILL_FIELDS} AS skill, score ORDER BY score DESC, node.id LIMIT $k
"""
SKILLS_BY_LABEL = """
MATCH (s:Skill) WHERE any(label IN s.labels_lower WHERE label IN $labels)
UNWIND [label IN s.labels_lower WHERE label IN $labels] AS label
RETURN label, s.id AS id, s.label_lower = label AS preferred
ORDER BY label, preferred DESC, id
"""
DELETE_SIMILAR = "UNWIND $ids AS id MATCH (:Skill {id: id})-[r:SIMILAR_TO]->() DELETE r"
UPSERT_SIMILAR = """
UNWIND $rows AS row
MATCH (a:Skill {id: row.source_id})
MATCH (b:Skill {id: row.target_id})
MERGE (a)-[r:SIMILAR_TO]->(b)
SET r.score = row.score
"""
SIMILAR_SKILLS = """
UNWIND $ids AS id
MATCH (a:Skill {id: id})-[r:SIMILAR_TO]->(b:Skill)
WHERE r.score >= $min_score
WITH a.id AS source_id, b.id AS target_id, r.score AS score
ORDER BY score DESC, source_id, target_id
RETURN collect(source_id) AS source_ids, collect(target_id) AS target_ids, collect(score) AS scores
"""
SIMILAR_INTO = """
UNWIND $ids AS id
MATCH (a:Skill)-[r:SIMILAR_TO]->(b:Skill {id: id})
WHERE r.score >= $min_score AND a <> b
WITH a.id AS source_id, b.id AS target_id, r.score AS score,
     COUNT { MATCH (a)-[o:SIMILAR_TO]->(c:Skill)
             WHERE c <> a AND (o.score > r.score OR (o.score = r.score AND c.id < b.id)) } AS rank
ORDER BY score DESC, source_id, target_id
RETURN collect(source_id) AS source_ids, collect(target_id) AS target_ids, collect(score) AS scores,
       collect(rank) AS ranks
"""
BROADER_EDGES = """
UNWIND $ids AS id
MATCH (s:Skill {id: id})-[:BROADER]->(p:Skill)
WITH s.id AS child, p.id AS parent ORDER BY child, parent
RETURN collect(child) AS children, collect(parent) AS parents
"""
NARROWER_EDGES = """
UNWIND $ids AS id
MATCH (p:Skill {id: id})
WHERE $max_children IS NULL OR COUNT { (p)<-[:BROADER]-(:Skill) } <= $max_children
MATCH (p)<-[:BROADER]-(s:Skill)
WITH p.id AS parent, s.id AS child ORDER BY parent, child
RETURN collect(parent) AS parents, collect(child) AS children
"""

# -- employees ------------------------------------------------------------------------
MISSING_SKILLS = """
UNWIND $ids AS id
OPTIONAL MATCH (s:Skill {id: id})
WITH id WHERE s IS NULL
RETURN id ORDER BY id
"""
UPSERT_EMPLOYEES = """
UNWIND $rows AS row
MERGE (e:Employee {id: row.id})
SET e += row.props
WITH e, row
CALL (e) { MATCH (e)-[old:HAS_SKILL|WANTS_TO_LEARN|REPORTS_TO]->() DELETE old }
CALL (e, row) {
  UNWIND row.skills AS held
  MATCH (s:Skill {id: held.skill_id})
  CREATE (e)-[:HAS_SKILL {level: held.level}]->(s)
}
CALL (e, row) {
  UNWIND row.goals AS goal
  MATCH (s:Skill {id: goal.skill_id})
  CREATE (e)-[:WANTS_TO_LEARN {priority: goal.priority}]->(s)
}
CALL (e, row) {
  MATCH (m:Employee {id: row.props.manager_id})
  CREATE (e)-[:REPORTS_TO]->(m)
}
"""
# Reports loaded before their manager get their REPORTS_TO edge when the manager arrives.
LINK_WAITING_REPORTS = """
UNWIND $ids AS manager_id
MATCH (m:Employee {id: manager_id})
MATCH (r:Employee {manager_id: manager_id})
WHERE NOT (r)-[:REPORTS_TO]->(m)
CREATE (r)-[:REPORTS_TO]->(m)
"""
GET_EMPLOYEES = f"""
UNWIND $ids AS id
MATCH (e:Employee {{id: id}})
RETURN e {EMPLOYEE_FIELDS} AS employee,
  COLLECT {{ MATCH (e)-[r:HAS_SKILL]->(s:Skill) RETURN [s.id, r.level] AS pair ORDER BY s.id }} AS skills,
  COLLECT {{ MATCH (e)-[r:WANTS_TO_LEARN]->(s:Skill) RETURN [s.id, r.priority] AS pair ORDER BY s.id }} AS goals
ORDER BY e.id
"""
COUNT_EMPLOYEES = "MATCH (e:Employee) RETURN count(e) AS n"
PAGE_EMPLOYEE_IDS = "MATCH (e:Employee) RETURN e.id AS id ORDER BY id SKIP $offset LIMIT $limit"
LIST_EMPLOYEE_IDS = "MATCH (e:Employee) RETURN e.id AS id ORDER BY id"
# Erasure (GDPR): the pairings they were part of go, and their reports keep no trace of them.
DELETE_EMPLOYEE = """
MATCH (e:Employee {id: $id})
CALL (e) { MATCH (p:Pairing) WHERE e.id IN p.employee_ids DETACH DELETE p }
CALL (e) { MATCH (report:Employee) WHERE report.manager_id = e.id SET report.manager_id = null }
DETACH DELETE e
RETURN count(*) AS n
"""

# -- walks ----------------------------------------------------------------------------
HOLDERS = """
UNWIND $ids AS id
MATCH (s:Skill {id: id})<-[r:HAS_SKILL]-(e:Employee)
WHERE r.level >= $min_level AND NOT e.id IN $exclude
RETURN e.id AS employee_id, s.id AS skill_id, r.level AS level
ORDER BY skill_id, level DESC, employee_id
"""
LEARNERS = """
UNWIND $ids AS id
MATCH (s:Skill {id: id})<-[r:WANTS_TO_LEARN]-(e:Employee)
WHERE NOT e.id IN $exclude
RETURN e.id AS employee_id, s.id AS skill_id, r.priority AS priority
ORDER BY skill_id, priority DESC, employee_id
"""
REPORTING_CHAIN = """
MATCH (e:Employee {id: $id})
RETURN COLLECT { MATCH (e)-[:REPORTS_TO]->+(m:Employee) RETURN DISTINCT m.id AS id } +
       COLLECT { MATCH (r:Employee)-[:REPORTS_TO]->+(e) RETURN DISTINCT r.id AS id } AS ids
"""

# Ranking walks: the best edge per (employee, target group), summed over groups, with
# the employee conditions applied before aggregation. Factors are indexed by level or
# priority - 1; a factor of 0 ignores the edge. Rounded so both backends tie-break alike.
# The _NORMALISED variants divide by the factor sum over all the employee's edges.
_RANK_HOLDERS = """
UNWIND $targets AS t
MATCH (:Skill {id: t.skill_id})<-[r:HAS_SKILL]-(e:Employee)
WHERE $factors[r.level - 1] > 0 AND NOT e.id IN $exclude
  AND (NOT $opt_in_only OR e.opt_in) AND e.capacity >= $min_capacity
  AND ($seniorities IS NULL OR e.seniority IN $seniorities)
  AND e.utc_offset >= $min_utc AND e.utc_offset <= $max_utc
WITH e, t.group AS grp, max(t.weight * $factors[r.level - 1]) AS w
WITH e, sum(w) AS score
"""
_RANK_LEARNERS = """
UNWIND $targets AS t
MATCH (:Skill {id: t.skill_id})<-[r:WANTS_TO_LEARN]-(e:Employee)
WHERE $factors[r.priority - 1] > 0 AND NOT e.id IN $exclude
  AND (NOT $opt_in_only OR e.opt_in) AND e.capacity >= $min_capacity
  AND ($seniorities IS NULL OR e.seniority IN $seniorities)
  AND e.utc_offset >= $min_utc AND e.utc_offset <= $max_utc
WITH e, t.group AS grp, max(t.weight * $factors[r.priority - 1]) AS w
WITH e, sum(w) AS score
"""
_RANK_RETURN = """
WITH e.id AS employee_id, round(score, 9) AS score WHERE score > 0
ORDER BY score DESC, employee_id LIMIT $limit
RETURN collect(employee_id) AS employee_ids, collect(score) AS scores
"""
RANK_HOLDERS = _RANK_HOLDERS + _RANK_RETURN
RANK_LEARNERS = _RANK_LEARNERS + _RANK_RETURN
RANK_HOLDERS_NORMALISED = (
    _RANK_HOLDERS
    + """
CALL (e) { MATCH (e)-[all:HAS_SKILL]->(:Skill) RETURN sum($factors[all.level - 1]) AS total }
WITH e, CASE WHEN total > 0 THEN score / total ELSE 0.0 END AS score
"""
    + _RANK_RETURN
)
RANK_LEARNERS_NORMALISED = (
    _RANK_LEARNERS
    + """
CALL (e) { MATCH (e)-[all:WANTS_TO_LEARN]->(:Skill) RETURN sum($factors[all.priority - 1]) AS total }
WITH e, CASE WHEN total > 0 THEN score / total ELSE 0.0 END AS score
"""
    + _RANK_RETURN
)

# -- pairings -------------------------------------------------------------------------
UPSERT_PAIRINGS = """
UNWIND $rows AS row
MERGE (p:Pairing {id: row.id})
SET p.employee_ids = row.employee_ids, p.data = row.data
WITH p, row
CALL (p) { MATCH (p)<-[old:MEMBER_OF]-() DELETE old }
CALL (p, row) {
  UNWIND row.employee_ids AS employee_id
  MATCH (e:Employee {id: employee_id})
  CREATE (e)-[:MEMBER_OF]->(p)
}
"""
GET_PAIRING = "MATCH (p:Pairing {id: $id}) RETURN p.data AS data"
LIST_PAIRINGS = "MATCH (p:Pairing) RETURN p.data AS data ORDER BY p.id"
LIST_PAIRINGS_OF = "MATCH (p:Pairing) WHERE $employee_id IN p.employee_ids RETURN p.data AS data ORDER BY p.id"
LIST_PAIRINGS_FOR = """
MATCH (p:Pairing) WHERE any(member IN p.employee_ids WHERE member IN $ids)
RETURN p.data AS data ORDER BY p.id
"""
SET_PAIRING_DATA = "MATCH (p:Pairing {id: $id}) SET p.data = $data"
DELETE_PAIRING = "MATCH (p:Pairing {id: $id}) DETACH DELETE p RETURN count(*) AS n"

# -- analytics ------------------------------------------------------------------------
# At most one label per pattern: Neo4j then answers from its count store at once instead of
# scanning every edge (130 ms at 10,000 employees). Each relationship type only ever links
# the labels named, so the counts are the same.
COUNTS = """
RETURN COUNT { MATCH (:Employee) } AS employees,
       COUNT { MATCH (:Skill) } AS skills,
       COUNT { MATCH (:Employee)-[:HAS_SKILL]->() } AS has_skill,
       COUNT { MATCH (:Employee)-[:WANTS_TO_LEARN]->() } AS wants_to_learn,
       COUNT { MATCH (:Employee)-[:REPORTS_TO]->() } AS reports_to,
       COUNT { MATCH (:Skill)-[:SIMILAR_TO]->() } AS similar_to,
       COUNT { MATCH (:Pairing) } AS pairings
"""
# $field is one of the closed GroupField values; e[$field] reads that property.
GROUP_SKILL_COUNTS = """
CALL () {
  MATCH (e:Employee)-[w:WANTS_TO_LEARN]->(s:Skill)
  RETURN CASE $field WHEN 'none' THEN 'all' ELSE toString(e[$field]) END AS grp, s.id AS skill_id,
         1 AS learners, w.priority AS demand, 0 AS teachers, 0 AS holders
  UNION ALL
  MATCH (e:Employee)-[h:HAS_SKILL]->(s:Skill)
  RETURN CASE $field WHEN 'none' THEN 'all' ELSE toString(e[$field]) END AS grp, s.id AS skill_id,
         0 AS learners, 0 AS demand, CASE WHEN h.level >= $teaching_level THEN 1 ELSE 0 END AS teachers,
         1 AS holders
}
RETURN grp, skill_id, sum(learners) AS learners, sum(demand) AS demand, sum(teachers) AS teachers,
       sum(holders) AS holders
ORDER BY grp, skill_id
"""
# The gap report's counts. Each employee's group and band are computed once, then their
# edges are expanded; holders below the teaching level never reach the aggregation, and
# the aggregation is keyed by the skill node (properties read once per output row).
GAP_COUNTS = """
MATCH (e:Employee)
WITH e, CASE $field WHEN 'none' THEN 'all' ELSE toString(e[$field]) END AS grp,
     CASE WHEN e.seniority <= $junior_max THEN 1 ELSE 0 END AS j,
     CASE WHEN e.seniority >= $senior_min THEN 1 ELSE 0 END AS sr
CALL (e) {
  MATCH (e)-[w:WANTS_TO_LEARN]->(s:Skill)
  RETURN s, 1 AS l, w.priority AS d, 0 AS t
  UNION ALL
  MATCH (e)-[h:HAS_SKILL]->(s:Skill) WHERE h.level >= $teaching_level
  RETURN s, 0 AS l, 0 AS d, 1 AS t
}
WITH grp, s, sum(l) AS learners, sum(d) AS demand, sum(t) AS teachers,
     sum(l * j) AS jl, sum(d * j) AS jd, sum(t * j) AS jt,
     sum(l * sr) AS sl, sum(d * sr) AS sd, sum(t * sr) AS st
RETURN grp, s.id AS skill_id, coalesce(s.category, '') AS category, learners, demand, teachers,
       jl, jd, jt, sl, sd, st
ORDER BY grp, skill_id
"""
# COUNT {} on a single relationship pattern is answered from the node's degree.
SOLE_HOLDERS = """
MATCH (s:Skill) WHERE COUNT { (s)<-[:HAS_SKILL]-() } = 1
MATCH (e:Employee)-[h:HAS_SKILL]->(s)
RETURN s.id AS skill_id, e.id AS employee_id,
       CASE $field WHEN 'none' THEN 'all' ELSE toString(e[$field]) END AS grp, h.level AS level
ORDER BY skill_id
"""
GROUP_SIZES = """
MATCH (e:Employee)
RETURN CASE $field WHEN 'none' THEN 'all' ELSE toString(e[$field]) END AS grp, count(*) AS n
ORDER BY grp
"""
