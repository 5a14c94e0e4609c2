"""The graph store: the ``GraphStore`` contract and its two backends."""

from graph.errors import InvalidReference, StoreError, StoreUnavailable
from graph.factory import open_store
from graph.store import GraphStore, GroupField, GroupSkillCounts, SimilarEdge, StoreCounts, Vector

__all__ = [
    "GraphStore",
    "GroupField",
    "GroupSkillCounts",
    "InvalidReference",
    "SimilarEdge",
    "StoreCounts",
    "StoreError",
    "StoreUnavailable",
    "Vector",
    "open_store",
]
