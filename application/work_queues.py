"""Work queues and the SLA board as the application sees them: entries, and the query interfaces.

A queue lists open cases (open or waiting on the customer) ordered by what is due next: the
soonest due among the case's live targets (not met, not paused, and not a wait-time promise,
which is decided the moment it is measured). A breached target stays live until it is met, so
overdue work sorts first; a case with nothing live sorts last. Ties go to the case received
first, then to the id.

The desk's intake queue holds what the front desk still owns: open cases received by a CSR or
submitted by the public (an Open311 app), not yet assigned to anyone and never transferred.

SLA states at risk and breached depend on the moment and the business calendar, so the read
models store each target's inputs and the queries judge them (`domain.targets.status`) at the
`now`, each on its own desk's calendar of the `calendars` the caller passes (closures
included); a case's age is business time on the calendar of the desk it was received at.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from application.access import can_see_department
from application.queries import DEFAULT_PAGE
from domain.actors import Actor
from domain.closures import DeskCalendars
from domain.errors import Forbidden
from domain.targets import TargetState, TargetStatus

QUEUES_NAME = "queues"  # the read model behind QueueQuery and SlaBoardQuery, by name
# A queue's orders: next due first (the default), or by the priority routing rules gave the
# case (domain.routing `priority_rank`: urgent first), then next due.
BY_DUE, BY_PRIORITY = "due", "priority"
QUEUE_ORDERS = (BY_DUE, BY_PRIORITY)
# Worst first: the case's SLA state is the worst state among its live targets.
SEVERITY = (TargetState.BREACHED, TargetState.AT_RISK, TargetState.PENDING)


@dataclass(frozen=True)
class QueueEntry:
    """One open case in a queue, with every target judged at the query's `now`."""

    id: UUID
    reference: str
    status: str
    department: str
    assignee: str | None
    channel: str
    complaint: bool
    received_at: datetime  # the age basis: a letter's Received stamp, not its entry
    age_business_seconds: int  # business time since received_at, on its desk's calendar
    transfers: int
    version: int
    next_target: str | None
    next_due_at: datetime | None
    sla_state: TargetState | None  # worst live target state; None when nothing is live
    targets: tuple[TargetStatus, ...]  # soonest due first
    priority: str | None = None  # set by a routing rule (domain.routing); None: none did


class QueueQuery(Protocol):
    def queue(self, visible_departments: frozenset[str] | None, *, now: datetime,
              calendars: DeskCalendars, department: str | None = None,
              assignee: str | None = None, channel: str | None = None, intake: bool = False,
              after: str | None = None, limit: int = DEFAULT_PAGE,
              order: str = BY_DUE) -> tuple[list[QueueEntry], str | None]:
        """One page of one queue (exactly one of department, assignee, channel or intake),
        next due first (`order` BY_PRIORITY: by priority, urgent first, then next due), and
        the opaque cursor of the next page (None on the last page; a cursor is for its order).

        `visible_departments` None means every department. Raises InvalidValue (field
        `after`, `limit`, `channel` or `order`) for a bad cursor, limit, channel or order, and
        ValueError
        unless exactly one queue is named.
        """
        ...


@dataclass(frozen=True)
class BoardCount:
    department: str
    pending: int
    at_risk: int
    breached: int


@dataclass(frozen=True)
class BoardEntry:
    """A live target at risk or breached, on an open case."""

    case_id: UUID
    reference: str
    department: str
    assignee: str | None
    basis: str  # "business" or "calendar": the kind of seconds below
    target: TargetStatus

    @property
    def overdue_seconds(self) -> int:
        return max(0, -self.target.remaining_seconds)


@dataclass(frozen=True)
class SlaBoard:
    counts: tuple[BoardCount, ...]  # by department
    entries: list[BoardEntry]  # one page, soonest due first
    next_cursor: str | None


class SlaBoardQuery(Protocol):
    def sla_board(self, visible_departments: frozenset[str] | None, *, now: datetime,
                  calendars: DeskCalendars, department: str | None = None,
                  after: str | None = None, limit: int = DEFAULT_PAGE) -> SlaBoard:
        """Counts of live targets pending, at risk and breached at `now` per department (every
        department with a live target, and `department` if named, even at zero), and one page
        of the at-risk and breached ones, soonest due first (then case id, then target).

        Raises InvalidValue (field `after` or `limit`) for a bad cursor or limit.
        """
        ...


def check_sees_department(actor: Actor, department: str) -> None:
    """Raise Forbidden unless the actor may read the department's cases."""
    if not can_see_department(actor, department):
        raise Forbidden(f"{actor.id} does not see the department {department}")


def worst_state(targets: tuple[TargetStatus, ...]) -> TargetState | None:
    states = {t.state for t in targets}
    return next((state for state in SEVERITY if state in states), None)
