"""Moving pending deadlines when the calendar changes: a closure or a desk's new hours recorded
while targets are pending means the clock did not run (or runs differently) then, so every
pending target whose due time the change crosses is re-planned, with an event saying why, the
due time before and after.

A follower of the log: it finds the closures and hours changes recorded after the position it
last recorded (domain/replans.py), re-plans, then records the new position. The command that
records a change runs it at once; the deadline scheduler runs it at start and whenever its log
follower reads a change, so a change saved by a process that died before its re-plans were
written is completed then.
"""

from __future__ import annotations

import contextlib
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError, RecordConflictError
from eventsourcing.utils import get_topic

from application.desk import ServiceDesk
from domain.actors import SCHEDULER
from domain.cases import Case
from domain.catalogue import Desk
from domain.closures import CalendarBook
from domain.errors import NotFound, VersionConflict
from domain.replans import CalendarReplans

BATCH = 500
ATTEMPTS = 20  # a case changed by a concurrent command is re-planned again on its new version
CHANGE_TOPICS = (f"{get_topic(CalendarBook)}.ClosureAdded", f"{get_topic(Desk)}.HoursChanged")


def follow_calendar_changes(desk: ServiceDesk) -> int:
    """Re-plan pending deadlines for every calendar change not yet followed; returns how many
    cases moved. Idempotent: running it again, or in two processes at once, moves nothing
    twice (a deadline already planned on the calendar as known does not move)."""
    try:
        record: Any = desk.repository.get(CalendarReplans.create_id())
    except AggregateNotFoundError:
        record = CalendarReplans()
    head = desk.log_position()
    changes = _select(desk, record.position, head, CHANGE_TOPICS)
    if not changes:
        return 0
    named = [_named(desk, desk.mapper.to_domain_event(change)) for change in changes]
    moved = replan_pending(desk, cause="; ".join(named))
    record.follow(position=changes[-1].id, changes=named)
    # Another process may have followed meanwhile; anything it missed is re-run harmlessly.
    with contextlib.suppress(RecordConflictError, IntegrityError):
        desk.save(record)
    return moved


def replan_pending(desk: ServiceDesk, *, cause: str) -> int:
    """Re-plan every pending target on the calendars as now known, as the scheduler, `cause`
    saying why; returns how many cases moved."""
    return sum(_replan_case(desk, case_id, cause) for case_id in _maybe_pending(desk))


def _maybe_pending(desk: ServiceDesk) -> list[UUID]:
    """Every case that may have a pending target: given targets, and not resolved since (a
    resolution meets every target a case can wait on; only a later plan, at a reopening,
    brings new ones). One scan of the log by topic, so resolved cases are never loaded."""
    case = get_topic(Case)
    topics = (f"{case}.TargetsSet", f"{case}.Resolved")
    open_now: dict[UUID, bool] = {}
    for notification in _select(desk, 0, desk.log_position(), topics):
        open_now[_uuid(notification.originator_id)] = notification.topic.endswith(
            ".TargetsSet")
    return [case_id for case_id, pending in open_now.items() if pending]


def closure_named(day: str, from_time: str | None, until_time: str | None, reason: str) -> str:
    """A closure as an explaining event names it: its day, its hours if partial, its reason."""
    if from_time is None and until_time is None:
        hours = "all day"
    else:
        hours = f"{(from_time or 'opening')[:5]}-{(until_time or 'closing')[:5]}"
    return f"closure recorded: {day} {hours} ({reason})"


def _named(desk: ServiceDesk, change: Any) -> str:
    if isinstance(change, CalendarBook.ClosureAdded):  # type: ignore[attr-defined]
        return closure_named(change.day, change.from_time, change.until_time, change.reason)
    codes = {Desk.create_id(d.code): d.code for d in desk.known().all(Desk)}
    code = codes.get(_uuid(change.originator_id), str(change.originator_id))
    return (f"hours of desk {code} changed from {change.effective_from}: "
            f"{change.opens[:5]}-{change.closes[:5]} ({change.reason})")


def _select(desk: ServiceDesk, after: int, head: int, topics: tuple[str, ...]) -> list[Any]:
    found: list[Any] = []
    position = after
    while position < head:
        batch = desk.recorder.select_notifications(position + 1, BATCH, stop=head,
                                                   topics=topics)
        found += batch
        position = batch[-1].id if len(batch) == BATCH else head
    return found


def _uuid(raw: object) -> UUID:
    return raw if isinstance(raw, UUID) else UUID(str(raw))


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
