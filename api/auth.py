"""Bearer API keys with roles.

Keys are configured as SHA-256 digests (``MENTORGRAPH_API__KEYS``), never in clear. A
presented key is hashed and compared with every configured digest in constant time
(:func:`hmac.compare_digest`, no early exit), so timing says nothing about which digest
came close.

Roles, from least to most powerful:

- ``employee``: bound to one employee id; their own profile and recommendations, skill
  and teacher search, agendas and pairings that involve them;
- ``hr``: everyone's profiles, gap reports, cohort matching and pairings;
- ``admin``: everything HR can do, plus bulk import and erasure.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

from mentorgraph.settings import ApiKeySetting

KEY_PREFIX = "mg_"


class Role(IntEnum):
    EMPLOYEE = 1
    HR = 2
    ADMIN = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, value: str) -> Role:
        return cls[value.upper()]


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a role, and for employee keys the employee they act as."""

    role: Role
    employee_id: str | None = None
    label: str = ""

    def at_least(self, role: Role) -> bool:
        return self.role >= role

    def is_self(self, employee_id: str) -> bool:
        return self.employee_id is not None and hmac.compare_digest(self.employee_id, employee_id)

    def may_act_for(self, employee_id: str) -> bool:
        """HR and admin act for anyone; an employee key only for its own employee."""
        return self.at_least(Role.HR) or self.is_self(employee_id)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> str:
    """A new random key: 256 bits from the OS, URL-safe."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


@dataclass(frozen=True, slots=True)
class _Entry:
    digest: bytes
    principal: Principal


class KeyRing:
    """The configured keys, looked up by the digest of a presented key."""

    def __init__(self, keys: Sequence[ApiKeySetting]) -> None:
        self._entries = [
            _Entry(
                digest=bytes.fromhex(key.sha256),
                principal=Principal(role=Role.parse(key.role), employee_id=key.employee_id, label=key.label),
            )
            for key in keys
        ]

    def __len__(self) -> int:
        return len(self._entries)

    def authenticate(self, presented: str) -> Principal | None:
        digest = hashlib.sha256(presented.encode("utf-8")).digest()
        found: Principal | None = None
        for entry in self._entries:  # no early exit: constant time in the number of keys
            if hmac.compare_digest(entry.digest, digest):
                found = entry.principal
        return found
