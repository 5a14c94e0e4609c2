"""Domain errors of the recommender. Their messages are meant for the user; the API maps
them to problem documents (``EmployeeNotFound`` -> 404, ``InvalidQuestion`` -> 422) and
the CLI prints them as one line."""

from __future__ import annotations


class RecommenderError(Exception):
    """Base class of the recommender's domain errors."""


class EmployeeNotFound(RecommenderError, LookupError):
    def __init__(self, employee_id: str) -> None:
        super().__init__(f"employee {employee_id!r} not found")
        self.employee_id = employee_id

    def __str__(self) -> str:
        # LookupError would quote the message again (KeyError-style); keep it one clean line.
        return str(self.args[0])


class InvalidQuestion(RecommenderError, ValueError):
    """A teacher-search question that names no topic (empty, or only filler words)."""
