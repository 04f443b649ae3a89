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
    # The Town's MFIPPA privacy officer (the clerk's delegate): erases customers, decides
    # correction requests and answers access requests; reads every case, changes none.
    PRIVACY_OFFICER = "privacy_officer"
    SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    id: str
    role: Role
    departments: frozenset[str] = field(default_factory=frozenset)

    @property
    def sees_every_department(self) -> bool:
        return self.role in {Role.CSR, Role.DIRECTOR, Role.ADMIN, Role.CLERK, Role.AUDITOR,
                             Role.PRIVACY_OFFICER, Role.SYSTEM}


SCHEDULER = Actor(id="civicdesk-scheduler", role=Role.SYSTEM)
# Who records what the routing rules decide (domain.routing): an automatic decision, named
# as such in the case's history, where the rule and its version say why.
ROUTING = Actor(id="civicdesk-routing", role=Role.SYSTEM)
