"""The auditor's list of late entries: facts entered after the scheduler recorded a deadline
missed that happened before it (so the target counts as met on time), per department.

Read from the log by topic (`Case.LateEntryRecorded`), not from a read model: the entries are
few (each needs a reason), an auditor reads the record itself, and each event carries the case's
reference and the department that owned the case when the entry was made.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from eventsourcing.utils import get_topic

from application.access import check_auditor
from application.desk import ServiceDesk
from domain.actors import Actor
from domain.cases import Case

TOPIC = f"{get_topic(Case)}.LateEntryRecorded"
BATCH = 500


@dataclass(frozen=True)
class LateEntry:
    position: int  # in the log: the cursor of the list
    department: str  # owning the case when the entry was made
    reference: str
    fact: str  # Acknowledged, InterimResponseSent, OutboundContact or Resolved
    targets: list[str]
    occurred_at: datetime  # when the fact happened
    missed_due_at: dict[str, datetime]  # each target's due time, recorded missed
    recorded_at: datetime  # when it was entered
    actor_id: str
    reason: str


def late_entries(desk: ServiceDesk, actor: Actor, *, department: str | None, after: int,
                 limit: int) -> tuple[list[LateEntry], int | None]:
    """Up to `limit` late entries after log position `after` (of `department`, if given), in
    log order, and the position to continue after (None: no more).

    Raises Forbidden (not an auditor or administrator)."""
    check_auditor(actor)
    found: list[LateEntry] = []
    position, head = after, desk.log_position()
    while position < head:
        batch = desk.recorder.select_notifications(position + 1, BATCH, stop=head,
                                                   topics=[TOPIC])
        for notification in batch:
            entry = _entry(notification.id, desk.mapper.to_domain_event(notification))
            if department is None or entry.department == department:
                found.append(entry)
                if len(found) > limit:
                    return found[:limit], found[limit - 1].position
        position = batch[-1].id if len(batch) == BATCH else head
    return found, None


def _entry(position: int, event: Any) -> LateEntry:
    return LateEntry(
        position=position, department=event.department, reference=event.reference,
        fact=event.fact, targets=list(event.targets),
        occurred_at=event.occurred_at.astimezone(UTC),
        missed_due_at={k: v.astimezone(UTC) for k, v in event.missed_due_at.items()},
        recorded_at=event.timestamp.astimezone(UTC), actor_id=event.actor_id,
        reason=event.reason)
