"""The auditor's case history: every event in order, and the case as it was at a moment."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import msgspec

from api.schemas import CaseView, case_view
from application.desk import ServiceDesk
from domain.actors import Actor
from domain.errors import InvalidValue

ENVELOPE = {"originator_id", "originator_version", "timestamp", "originator_topic"}


class HistoryEvent(msgspec.Struct):
    version: int
    type: str
    actor_id: str | None
    actor_role: str | None
    occurred_at: datetime | None
    recorded_at: datetime
    data: dict[str, Any]


class CaseHistory(msgspec.Struct):
    case_id: str
    as_of: datetime | None
    version: int | None
    events: list[HistoryEvent]
    state: CaseView | None


def event_type(domain_event: object) -> str:
    """`Case.Transferred` style: the aggregate and the past-tense event, as auditors read it."""
    return type(domain_event).__qualname__


def event_data(domain_event: object) -> dict[str, Any]:
    data = {k: v for k, v in vars(domain_event).items() if k not in ENVELOPE}
    return {k: (v.astimezone(UTC) if isinstance(v, datetime) else
                str(v) if isinstance(v, UUID) else v) for k, v in data.items()}


def history_event(domain_event: Any) -> HistoryEvent:
    data = event_data(domain_event)
    occurred = data.pop("occurred_at", None)
    return HistoryEvent(
        version=domain_event.originator_version, type=event_type(domain_event),
        actor_id=data.pop("actor_id", None), actor_role=data.pop("actor_role", None),
        occurred_at=occurred, recorded_at=domain_event.timestamp.astimezone(UTC), data=data)


def parse_moment(value: str, field: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidValue(f"{field} must be an RFC 3339 date-time", field) from None
    if moment.tzinfo is None:
        raise InvalidValue(f"{field} must include a time zone offset", field)
    return moment


def case_history(desk: ServiceDesk, actor: Actor, case_id: UUID, *, version: int | None,
                 as_of: str | None) -> CaseHistory:
    """Events recorded up to the version or moment asked for, and the case as it then stood.

    Raises NotFound (unknown or invisible case) and InvalidValue (a bad as_of).
    """
    if version is not None and as_of is not None:
        raise InvalidValue("give either version or as_of, not both", "as_of")
    events = desk.case_events(actor, case_id)
    moment = parse_moment(as_of, "as_of") if as_of is not None else None
    if moment is not None:
        events = [e for e in events if e.timestamp <= moment]
    elif version is not None:
        events = [e for e in events if e.originator_version <= version]
    state = None
    if events:
        # Visibility was checked on the case as it is now; the past state is shown as it was.
        then = desk.repository.get(case_id, version=events[-1].originator_version)
        # The SLA state as it was at that step: judged at the moment that step was recorded.
        state = case_view(then, desk.target_statuses(then, at=events[-1].timestamp))
    return CaseHistory(case_id=str(case_id), as_of=moment.astimezone(UTC) if moment else None,
                       version=version, events=[history_event(e) for e in events], state=state)
