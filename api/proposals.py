"""Where the API keeps cohort proposals between review steps: one JSON file per proposal
(the cohort service's own format, written atomically by ``save_proposal``) in
``<home>/proposals``. Every worker process sees the same files; a read-modify-write holds
an exclusive lock on the proposal so two reviewers cannot lose each other's edits."""

from __future__ import annotations

import fcntl
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from recommender.cohort import load_proposal, save_proposal
from recommender.cohort_models import Proposal

PROPOSAL_ID = r"^cohort-[0-9a-f]{12}$"
_ID = re.compile(PROPOSAL_ID)
_T = TypeVar("_T")


class ProposalMissing(LookupError):
    def __init__(self, proposal_id: str) -> None:
        super().__init__(f"cohort proposal {proposal_id!r} does not exist")

    def __str__(self) -> str:
        return str(self.args[0])


class ProposalStore:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, proposal_id: str) -> Path:
        if not _ID.match(proposal_id):  # never a path from user input
            raise ProposalMissing(proposal_id)
        return self.folder / f"{proposal_id}.json"

    @contextmanager
    def _locked(self, proposal_id: str) -> Iterator[Path]:
        path = self._path(proposal_id)
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / f".{proposal_id}.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield path
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def add(self, proposal: Proposal) -> str:
        proposal_id = f"cohort-{uuid.uuid4().hex[:12]}"
        self.folder.mkdir(parents=True, exist_ok=True)
        save_proposal(path=self._path(proposal_id), proposal=proposal)
        return proposal_id

    def get(self, proposal_id: str) -> Proposal:
        path = self._path(proposal_id)
        if not path.exists():
            raise ProposalMissing(proposal_id)
        return load_proposal(path=path)

    def update(self, proposal_id: str, change: Callable[[Proposal], tuple[Proposal, _T]]) -> tuple[Proposal, _T]:
        """Apply ``change`` under the proposal's lock and save what it returns."""
        with self._locked(proposal_id) as path:
            if not path.exists():
                raise ProposalMissing(proposal_id)
            updated, extra = change(load_proposal(path=path))
            save_proposal(path=path, proposal=updated)
            return updated, extra

    def list(self) -> list[tuple[str, Proposal]]:
        """Every proposal, newest first."""
        if not self.folder.exists():
            return []
        found = []
        for path in self.folder.glob("cohort-*.json"):
            if _ID.match(path.stem):
                try:
                    found.append((path.stem, load_proposal(path=path)))
                except ValueError:
                    continue  # a file being replaced or damaged: not listed
        return sorted(found, key=lambda item: (item[1].created_at, item[0]), reverse=True)

    def delete(self, proposal_id: str) -> bool:
        with self._locked(proposal_id) as path:
            existed = path.exists()
            path.unlink(missing_ok=True)
        (self.folder / f".{proposal_id}.lock").unlink(missing_ok=True)
        return existed
