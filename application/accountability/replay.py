"""The event log replayed up to as_of: the period's cases and the catalogue as they then stood."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from application.accountability.arithmetic import local_day
from application.accountability.request import ReportRequest
from domain.cases import Case
from domain.catalogue import Department, Desk
from domain.closures import CalendarBook, DeskCalendars
from domain.goals import MetricGoals
from domain.standards import ServiceStandards


@dataclass
class Followed:
    """A case of the period as replayed, with the facts its aggregate does not keep."""

    case: Case
    waits: dict[str, int] = field(default_factory=dict)  # target name: measured seconds
    # (when recorded, the entry as `Case.late_entries` keeps it), oldest first
    late_entries: list[tuple[datetime, dict[str, Any]]] = field(default_factory=list)


@dataclass(frozen=True)
class Replayed:
    """What the report is figured from: the record as it stood at as_of."""

    request: ReportRequest
    as_of: datetime  # UTC
    head: int  # the last position replayed
    departments: dict[str, Department]  # by code
    standards: ServiceStandards | None
    calendars: DeskCalendars  # as known at as_of
    followed: list[Followed]  # the period's cases of the department asked for, by reference
    goals: MetricGoals | None = None  # the goals per metric as set at as_of


# The events of the aggregates the report replays beside the cases (the catalogue, standards,
# calendar, desks and goals as they stood at as_of); the case snapshots read model marks them.
CATALOGUE_EVENTS = (Department.Event, ServiceStandards.Event, CalendarBook.Event, Desk.Event,
                    MetricGoals.Event)


class ReportBuilder:
    """Feeds on (position, domain event) in log order; `replayed` gives what was recorded."""

    def __init__(self, request: ReportRequest) -> None:
        self.request = request
        self.as_of = request.as_of.astimezone(UTC)
        self.head = 0
        self.cases: dict[UUID, Followed] = {}
        self.catalogue: dict[UUID, Aggregate] = {}
        self.cut: set[UUID] = set()

    def add(self, position: int, event: Any) -> None:
        if self.request.cut_by_recorded_time and (
                event.timestamp > self.as_of or event.originator_id in self.cut):
            # Recorded after as_of: not part of the record the report speaks for. An
            # aggregate's history stops there, should a clock ever step back after it.
            self.cut.add(event.originator_id)
            return
        self.head = max(self.head, position)
        kind = type(event).__qualname__
        if kind == "Case.Received":
            if self.request.period.first_day <= local_day(event.occurred_at) <= \
                    self.request.period.last_day:
                self.cases[event.originator_id] = Followed(event.mutate(None))
        elif isinstance(event, Case.Event):
            self._follow(kind, event)
        elif isinstance(event, CATALOGUE_EVENTS):
            aggregate = event.mutate(self.catalogue.get(event.originator_id))
            assert isinstance(aggregate, Aggregate)
            self.catalogue[event.originator_id] = aggregate

    def _follow(self, kind: str, event: Any) -> None:
        followed = self.cases.get(event.originator_id)
        if followed is None:
            return  # a case received outside the period
        if kind == "Case.WaitMeasured":
            followed.waits[event.target["name"]] = event.wait_seconds
        event.mutate(followed.case)
        if kind == "Case.LateEntryRecorded":
            followed.late_entries.append((event.timestamp, followed.case.late_entries[-1]))

    def replayed(self) -> Replayed:
        catalogue = self.catalogue.values()
        standards = [s for s in catalogue if isinstance(s, ServiceStandards)]
        books = [b for b in catalogue if isinstance(b, CalendarBook)]
        goals = [g for g in catalogue if isinstance(g, MetricGoals)]
        wanted = self.request.department
        return Replayed(
            request=self.request, as_of=self.as_of, head=self.head,
            departments={d.code: d for d in catalogue if isinstance(d, Department)},
            standards=standards[0] if standards else None,
            # Each target is judged on the hours of its own desk, as known at as_of.
            calendars=DeskCalendars.of_desks(
                (d for d in catalogue if isinstance(d, Desk)),
                books[0].closures if books else ()).as_known_at(self.as_of),
            followed=sorted((f for f in self.cases.values()
                             if (wanted is None or f.case.department == wanted)
                             and (self.request.include_imported or not f.case.imported)),
                            key=lambda f: f.case.reference),
            goals=goals[0] if goals else None)
