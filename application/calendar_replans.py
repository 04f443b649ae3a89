"""Moving pending deadlines when the calendar changes: a closure or a desk's new hours recorded
while targets are pending means the clock did not run (or runs differently) then, so every
pending target whose due time the change crosses is re-planned at once, with an event saying
why, the due time before and after."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.persistence import IntegrityError, RecordConflictError
from eventsourcing.utils import get_topic

from application.desk import ServiceDesk
from domain.actors import SCHEDULER
from domain.cases import Case
from domain.errors import NotFound, VersionConflict

BATCH = 500
ATTEMPTS = 20  # a case changed by a concurrent command is re-planned again on its new version


def planned_case_ids(desk: ServiceDesk) -> list[UUID]:
    """Every case that was ever given targets (one indexed scan of the log by topic)."""
    topics = (f"{get_topic(Case)}.TargetsSet",)
    seen: dict[UUID, None] = {}
    position, head = 0, desk.log_position()
    while position < head:
        batch = desk.recorder.select_notifications(position + 1, BATCH, stop=head,
                                                   topics=topics)
        for notification in batch:
            raw = notification.originator_id
            seen[raw if isinstance(raw, UUID) else UUID(str(raw))] = None
        position = batch[-1].id if len(batch) == BATCH else head
    return list(seen)


def replan_pending(desk: ServiceDesk, *, cause: str) -> int:
    """Re-plan every pending target on the calendars as now known, as the scheduler; returns
    how many cases moved. Idempotent: a target already planned on them does not move, so
    running it again (after a crash, at a start) only completes what was not yet written."""
    moved = 0
    for case_id in planned_case_ids(desk):
        moved += _replan_case(desk, case_id, cause)
    return moved


def _replan_case(desk: ServiceDesk, case_id: UUID, cause: str) -> int:
    for _ in range(ATTEMPTS):
        try:
            case = desk.get_case(SCHEDULER, case_id)
        except NotFound:
            return 0
        now = desk.clock()
        if not case.follow_calendar(desk.calendars(now), cause=cause, actor=SCHEDULER,
                                    occurred_at=now):
            return 0
        try:
            desk.save(case)
        except (RecordConflictError, IntegrityError):
            continue  # a command was recorded meanwhile: re-plan the case as it now stands
        return 1
    raise VersionConflict(f"case {case_id} kept changing while its deadlines were re-planned")
