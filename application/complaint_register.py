"""The complaint register as the application sees it: every complaint, its path and outcome.

A complaint is a case classified as one (recommendation 1D); a case reclassified as feedback
leaves the register (only an unescalated complaint can be). The register names people only by
their staff ids (assignee, escalation owners) and carries no resolution text, only the outcome:
open (including waiting on the customer), resolved or closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Protocol
from uuid import UUID

from application.accountability import TOWN_TIME, parse_period
from application.queries import DEFAULT_PAGE
from domain.values import Status

COMPLAINT_REGISTER_NAME = "complaint_register"
OUTCOMES = ("open", "resolved", "closed")


@dataclass(frozen=True)
class EscalationStep:
    from_level: str
    to_level: str
    reason: str
    owner: str
    at: datetime


@dataclass(frozen=True)
class Debrief:
    cause: str
    actions: str
    edi_findings: str
    accessibility_findings: str
    at: datetime


@dataclass(frozen=True)
class ComplaintEntry:
    id: UUID
    reference: str
    department: str
    received_at: datetime
    classified_at: datetime  # when it was (last) classified as a complaint
    level: str  # the current escalation level
    escalations: tuple[EscalationStep, ...]  # oldest first
    assignee: str | None
    status: str  # the case's status
    resolved_at: datetime | None
    closed_at: datetime | None
    debrief: Debrief | None

    @property
    def outcome(self) -> str:
        return outcome_of(self.status)

    @property
    def owners(self) -> tuple[str, ...]:
        """Everyone the complaint was escalated to, in order, each once."""
        return tuple(dict.fromkeys(step.owner for step in self.escalations))

    @property
    def owner(self) -> str | None:
        """Who holds it now: the owner of the last escalation, else the assignee."""
        return self.escalations[-1].owner if self.escalations else self.assignee


def outcome_of(status: str) -> str:
    return "open" if status in {Status.OPEN.value, Status.WAITING_ON_CUSTOMER.value} else status


class ComplaintRegisterQuery(Protocol):
    def complaints(self, visible_departments: frozenset[str] | None, *,
                   department: str | None = None, level: str | None = None,
                   status: str | None = None, outcome: str | None = None,
                   received_from: datetime | None = None,
                   received_before: datetime | None = None, after: str | None = None,
                   limit: int = DEFAULT_PAGE) -> tuple[list[ComplaintEntry], str | None]:
        """One page of complaints, first received first (then by id), and the opaque cursor
        of the next page (None on the last page). `received_from` is inclusive,
        `received_before` exclusive.

        Raises InvalidValue (field `after`, `limit`, `level`, `status` or `outcome`).
        """
        ...


def received_between(period: str | None, first: str | None,
                     last: str | None) -> tuple[datetime | None, datetime | None]:
    """The UTC bounds of a period of Toronto days (`2026`, `2026-Q3`, `2026-07`, or `first`
    and `last` dates), or no bounds when none is given. Raises InvalidValue naming `period`,
    `from` or `to`."""
    if period is None and first is None and last is None:
        return None, None
    days = parse_period(period, first, last)
    start = datetime.combine(days.first_day, time(0), tzinfo=TOWN_TIME)
    end = datetime.combine(days.last_day + timedelta(days=1), time(0), tzinfo=TOWN_TIME)
    return start.astimezone(UTC), end.astimezone(UTC)
