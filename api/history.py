"""The auditor's case history: every event in order, and the case as it was at a moment."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import msgspec

from api.schemas import CaseView, TargetView, case_view, target_view
from application.desk import ServiceDesk
from domain.actors import Actor
from domain.errors import InvalidValue
from domain.targets import TargetStatus
from infrastructure.audit_export import event_data, event_type
from infrastructure.commit_time import NEVER, commit_times

__all__ = ["CaseHistory", "HistoryEvent", "case_history", "event_data", "event_type"]


class HistoryEvent(msgspec.Struct):
    version: int
    type: str
    actor_id: str | None
    actor_role: str | None
    occurred_at: datetime | None
    recorded_at: datetime
    data: dict[str, Any]
    # The case's SLA targets as they stood right after this step, judged when it was recorded.
    targets: list[TargetView]
    # When it was committed to the log (what `as_of` selects by); None before commit times.
    committed_at: datetime | None = None


class CaseHistory(msgspec.Struct):
    case_id: str
    as_of: datetime | None
    version: int | None
    events: list[HistoryEvent]
    state: CaseView | None


def history_event(domain_event: Any, targets: list[TargetStatus],
                  committed_at: datetime | None = None) -> HistoryEvent:
    data = event_data(domain_event)
    occurred = data.pop("occurred_at", None)
    return HistoryEvent(
        version=domain_event.originator_version, type=event_type(domain_event),
        actor_id=data.pop("actor_id", None), actor_role=data.pop("actor_role", None),
        occurred_at=occurred, recorded_at=domain_event.timestamp.astimezone(UTC), data=data,
        targets=[target_view(t) for t in targets], committed_at=committed_at)


def parse_moment(value: str, field: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidValue(f"{field} must be an RFC 3339 date-time", field) from None
    if moment.tzinfo is None:
        raise InvalidValue(f"{field} must include a time zone offset", field)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise InvalidValue(f"{field} is outside the range of dates civicdesk keeps",
                           field) from None


def case_history(desk: ServiceDesk, actor: Actor, case_id: UUID, *, version: int | None,
                 as_of: str | None) -> CaseHistory:
    """Events recorded up to the version or moment asked for, and the case as it then stood:
    its targets judged at the moment asked for, or when the version asked for was recorded.

    Raises NotFound (unknown or invisible case) and InvalidValue (a bad as_of, or a version
    the case has not reached: answering its latest state would pass it off as that version).
    """
    if version is not None and as_of is not None:
        raise InvalidValue("give either version or as_of, not both", "as_of")
    events = desk.case_events(actor, case_id)
    committed = commit_times(desk, case_id)
    moment = parse_moment(as_of, "as_of") if as_of is not None else None
    if moment is not None:
        # By commit time: the events committed at or before the moment (see
        # infrastructure.commit_time), whatever clock their writer stamped them with; an
        # event from before commit times by when it was recorded.
        events = [e for e in events
                  if (committed.get(e.originator_version) or e.timestamp) <= moment]
    elif version is not None:
        latest = events[-1].originator_version if events else 0
        if version > latest:
            raise InvalidValue(f"version {version} is beyond the case's latest version, "
                               f"{latest}", "version")
        events = [e for e in events if e.originator_version <= version]
    # Replayed once, event by event: after each step the case is as it was at that version
    # (the repository would replay the same events), and its targets are judged at the moment
    # the step was recorded, on the calendar as it was known then.
    case: Any = None
    steps: list[HistoryEvent] = []
    targets: list[TargetStatus] = []
    for event in events:
        case = event.mutate(case)
        targets = desk.target_statuses(case, at=event.timestamp)
        at = committed.get(event.originator_version)
        steps.append(history_event(event, targets, None if at == NEVER else at))
    if case is not None and moment is not None:
        # As of an instant, each target is judged at that instant (on the calendar as then
        # known), not as of the last event before it: a deadline may have passed in between.
        targets = desk.target_statuses(case, at=moment)
    # Visibility was checked on the case as it is now; the past state is shown as it was.
    # Its customer as they stand now: erased is erased, whatever version is asked for.
    state = (case_view(case, targets, desk.customers.details(case.customer_id))
             if case is not None else None)
    return CaseHistory(case_id=str(case_id), as_of=moment.astimezone(UTC) if moment else None,
                       version=version, events=steps, state=state)
