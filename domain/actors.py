"""Who acts on the desk: an actor is a person (or the scheduler) with one role and departments."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    CSR = "csr"
    STAFF = "staff"
    MANAGER = "manager"
    DIRECTOR = "director"
    CLERK = "clerk"
    AUDITOR = "auditor"
    ADMIN = "admin"
    SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    id: str
    role: Role
    departments: frozenset[str] = field(default_factory=frozenset)

    @property
    def sees_every_department(self) -> bool:
        return self.role in {Role.CSR, Role.DIRECTOR, Role.ADMIN, Role.CLERK, Role.AUDITOR,
                             Role.SYSTEM}


SCHEDULER = Actor(id="civicdesk-scheduler", role=Role.SYSTEM)
