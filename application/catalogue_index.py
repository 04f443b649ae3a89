"""What nearly every command reads and an administrator rarely changes: departments, services,
desks, the service standards and the calendar of closures, kept in memory by following the
log's events of them, so a command reads them with one query for the log's head instead of a
query per aggregate."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from threading import Lock
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, DomainEvent
from eventsourcing.persistence import Recording
from eventsourcing.utils import get_topic

from domain.catalogue import Department, Desk, Service
from domain.closures import CalendarBook, DeskCalendars
from domain.errors import NotFound
from domain.routing import RoutingRules
from domain.standards import ServiceStandards
from domain.teams import StaffAvailability, Team

A = TypeVar("A", bound=Aggregate)
INDEXED = (Department, Service, Desk, ServiceStandards, CalendarBook, RoutingRules, Team,
           StaffAvailability)
# Topics of every event these aggregates record (e.g. "domain.catalogue:Department.Registered"),
# found through the classes so a new event or a rename follows.
INDEXED_TOPICS = tuple(get_topic(value) for kind in INDEXED for value in vars(kind).values()
                       if isinstance(value, type) and issubclass(value, DomainEvent))
_INDEXED = frozenset(INDEXED_TOPICS)
_BATCH = 500


@dataclass(frozen=True)
class Known:
    """The indexed aggregates as of one catch-up. Shared, never to be changed: a command that
    changes one of them loads its own copy from the repository."""

    aggregates: Mapping[UUID, Aggregate]

    def all(self, kind: type[A]) -> list[A]:
        return [a for a in self.aggregates.values() if isinstance(a, kind)]

    def _one(self, kind: type[A], aggregate_id: UUID) -> A | None:
        found = self.aggregates.get(aggregate_id)
        return found if isinstance(found, kind) else None

    def department(self, code: str) -> Department | None:
        return self._one(Department, Department.create_id(code))

    def service(self, code: str) -> Service | None:
        return self._one(Service, Service.create_id(code))

    @property
    def standards(self) -> ServiceStandards:
        found = self._one(ServiceStandards, ServiceStandards.create_id())
        if found is None:
            raise NotFound("no service standards")
        return found

    @property
    def calendar_book(self) -> CalendarBook:
        found = self._one(CalendarBook, CalendarBook.create_id())
        if found is None:
            raise NotFound("no calendar")
        return found

    @property
    def routing_rules(self) -> RoutingRules | None:
        return self._one(RoutingRules, RoutingRules.create_id())

    def team(self, department: str) -> tuple[str, ...]:
        """The department's team in order (none kept: nobody)."""
        found = self._one(Team, Team.create_id(department))
        return () if found is None else found.members

    def away(self) -> frozenset[str]:
        """The staff marked away now."""
        return frozenset(a.staff_id for a in self.all(StaffAvailability) if a.away)

    def calendars(self, as_known_at: datetime) -> DeskCalendars:
        """Every desk's business calendar as it was known at a moment."""
        desks = sorted(self.all(Desk), key=lambda d: d.code)
        return DeskCalendars.of_desks(desks, self.calendar_book.closures
                                      ).as_known_at(as_known_at)


class CatalogueIndex:
    """Follows the log's events of the indexed aggregates, reloading just those they touched.

    Each read first reads the log's head; only if it moved past what was followed does it look
    for indexed events in between (one thread at a time; the others find it done). So a
    revision made by another process is seen on the next read, as a repository read would.
    """

    def __init__(self) -> None:
        self._position = 0
        self._known = Known({})
        self._lock = Lock()

    def known(self, app: Application[UUID]) -> Known:
        head = app.recorder.max_notification_id() or 0
        if self._position >= head:
            return self._known
        with self._lock:
            self._catch_up(app, head)
            return self._known

    def saw(self, recordings: Sequence[Recording[Any]]) -> None:
        """This process saved `recordings`. If they come straight after what was followed
        (nothing between them, so no other writer's event) and none is of an indexed
        aggregate, they are followed here: the next read finds the head there and needs no
        query for events in between. Otherwise the next read looks, as for anyone's."""
        ids = sorted(r.notification.id for r in recordings)
        if not ids or ids != list(range(ids[0], ids[0] + len(ids))) or any(
                r.notification.topic in _INDEXED for r in recordings):
            return
        with self._lock:
            if ids[0] == self._position + 1:
                self._position = ids[-1]

    def _catch_up(self, app: Application[UUID], head: int) -> None:
        # Notification ids become visible in order (both recorders serialise writers), so
        # everything up to the head read here is final and need never be read again.
        touched: dict[UUID, None] = {}
        position = self._position
        while position < head:
            batch = app.recorder.select_notifications(
                position + 1, _BATCH, stop=head, topics=INDEXED_TOPICS)
            for notification in batch:
                originator = notification.originator_id
                touched[originator if isinstance(originator, UUID) else UUID(originator)] = None
            position = batch[-1].id if len(batch) == _BATCH else head
        if touched:
            # A new mapping, so a Known handed out earlier stays as it was.
            self._known = Known({**self._known.aggregates,
                                 **{i: app.repository.get(i) for i in touched}})
        self._position = position  # after the new Known: a reader past the lock sees it
