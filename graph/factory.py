"""Choose the backend from one setting: a file path (embedded) or a Neo4j URI."""

from __future__ import annotations

from graph.store import GraphStore

NEO4J_SCHEMES = frozenset({"neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc"})


def is_neo4j_uri(target: str) -> bool:
    return "://" in target and target.split("://", 1)[0].lower() in NEO4J_SCHEMES


def open_store(*, target: str, user: str = "neo4j", password: str = "", database: str = "neo4j") -> GraphStore:
    """Build (without connecting) the store ``target`` names. Neo4j is imported only when used."""
    if is_neo4j_uri(target):
        from graph.neo4j_store import Neo4jStore

        return Neo4jStore.connect(uri=target, user=user, password=password, database=database)
    if "://" in target:
        raise ValueError(f"store {target!r}: use a file path for the embedded store or a neo4j:// or bolt:// URI")
    from graph.sqlite_store import SqliteStore

    return SqliteStore(path=target)
