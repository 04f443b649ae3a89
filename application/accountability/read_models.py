"""The accountability report figured from read models: the same report, replaying only what it
must.

`build_report` replays the whole log up to the report's head. Here the case snapshots read
model (projections.case_snapshots) supplies, for the period's Toronto days only, each case as of
its latest event, with when that was recorded; so a case not recorded into after `as_of` (nor
past the head) is taken as it stands, and only a case recorded into after `as_of` is replayed,
from its own events, up to `as_of` as `build_report` would. The catalogue's few events are
always replayed. The head (the last position recorded by `as_of`, up to the log's head when
the report was asked for) comes from the read model's record of when each event was recorded.
The figures are then made by the very functions `build_report` uses, so both give the same
report, byte for byte (tests/integration/test_report_from_read_models.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol
from uuid import UUID

from application.accountability.replay import Followed, ReportBuilder
from application.accountability.report import AccountabilityReport, report_of
from application.accountability.request import ReportRequest
from domain.cases import Case

CASE_SNAPSHOTS_NAME = "case_snapshots"


@dataclass(frozen=True)
class CaseSnapshot:
    """A case of the period: as of its latest event (`case`), or None when that is not the
    case as of the report (recorded into after `as_of`, or past the report's head)."""

    id: UUID
    case: Case | None
    waits: dict[str, int]  # target name: measured seconds (Case.WaitMeasured)


class ReportReadModel(Protocol):
    """What the report reads from the case snapshots read model."""

    def head_at(self, as_of: datetime, stop: int) -> int:
        """The last position up to `stop` recorded at or before `as_of` whose aggregate had
        nothing recorded after `as_of` before it (0: none)."""

    def catalogue_positions(self, stop: int) -> list[int]:
        """Positions of the catalogue's events (departments, standards, calendar, desks) up
        to `stop`, in log order."""

    def received_between(self, first: date, last: date, department: str | None,
                         as_of: datetime | None, stop: int) -> Iterable[CaseSnapshot]:
        """Every case received on the Toronto days `first` to `last` whose first event was
        recorded by `as_of` (None: whenever) at or before `stop`; of `department` only (if
        given) among those taken as they stand. A case is taken as it stands (`case`) when
        its latest event lies within `stop` and, with `as_of`, was recorded by then."""

    def positions_of(self, case_ids: list[UUID], stop: int) -> list[int]:
        """Positions of the cases' events up to `stop`, in log order."""


EventsAt = Callable[[list[int]], Iterable[tuple[int, Any]]]


def build_report_from(request: ReportRequest, read_model: ReportReadModel, stop: int,
                      events_at: EventsAt, link_at: Callable[[int], str]
                      ) -> AccountabilityReport:
    """The report `build_report` gives over the log up to `stop`, from `read_model` (which
    has followed the log at least that far). `events_at(positions)` gives the (position,
    domain event) pairs at those positions, in order."""
    as_of = request.as_of.astimezone(UTC)
    # As of a commit time the record is the log up to `stop`, whatever each event's recorded
    # time; before commit times began, it is cut by recorded time (infrastructure.commit_time).
    by_time = request.cut_by_recorded_time
    head = read_model.head_at(as_of, stop) if by_time else stop
    builder = ReportBuilder(request)
    replayed: list[UUID] = []
    for snapshot in read_model.received_between(request.period.first_day,
                                                request.period.last_day, request.department,
                                                as_of if by_time else None, stop):
        if snapshot.case is None or snapshot.case.late_entries:
            # A fact entered late is reported with when it was recorded, which only its
            # event says: such a case is replayed.
            replayed.append(snapshot.id)
        else:
            builder.cases[snapshot.id] = Followed(snapshot.case, dict(snapshot.waits))
    positions = sorted({*read_model.catalogue_positions(head),
                        *read_model.positions_of(replayed, head)})
    for position, event in events_at(positions):
        builder.add(position, event)
    builder.head = head
    return report_of(builder.replayed(), link_at)
