"""Retention enforced: the scheduler shreds the personal information of every customer past
the retention schedule (their data key destroyed, as an erasure on the "retention" basis); the
cases keep every non-personal fact for statistics. A report lists what was retired."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.utils import get_topic

from application.access import check_admin, check_privacy_officer
from application.customer_records import erase
from application.desk import ServiceDesk
from domain.actors import Actor, Role
from domain.cases import Case
from domain.customers import Customer
from domain.retention import CaseFacts, RetentionSchedule

RETENTION = Actor(id="civicdesk-retention", role=Role.SYSTEM)
REGISTERED = f"{get_topic(Customer)}.Registered"
ERASED = f"{get_topic(Customer)}.Erased"
BATCH = 500


@dataclass(frozen=True)
class Retired:
    customer_id: UUID
    at: datetime
    reason: str
    cases: list[str]  # references


def schedule(desk: ServiceDesk) -> RetentionSchedule:
    try:
        found: Any = desk.repository.get(RetentionSchedule.create_id())
    except AggregateNotFoundError:
        return RetentionSchedule()
    assert isinstance(found, RetentionSchedule)
    return found


def set_period(desk: ServiceDesk, actor: Actor, record_class: str, years: int, by_law: str,
               confirmed: bool) -> RetentionSchedule:
    """The administrator sets a class's period. Raises Forbidden, InvalidValue."""
    check_admin(actor)
    current = schedule(desk)
    current.set_period(record_class=record_class, years=years, by_law=by_law,
                       confirmed=confirmed, actor=actor)
    desk.save(current)
    return current


def retire_due(desk: ServiceDesk, now: datetime | None = None) -> list[UUID]:
    """Shred every live customer past retention at `now` (default the desk's clock); the ids
    shredded. Run by the scheduler; running it twice shreds nothing twice."""
    now = now or desk.clock()
    rules = schedule(desk)
    retired: list[UUID] = []
    for customer_id in _registered(desk):
        record = desk.load_customer(customer_id)
        if record.erased or record.merged_into is not None:
            continue
        cases = [desk._get(Case, link["case_id"], "case") for link in record.cases]
        due = rules.retire_at(CaseFacts(c.classification, c.status, c.closed_at)
                              for c in cases)
        if due is None or due[0] > now:
            continue
        years = rules.years(due[1])
        erase(desk, RETENTION, record.id, f"retention: {due[1].value}, {years} years after "
              f"the last case closed", basis="retention")
        retired.append(record.id)
    return retired


def retired_report(desk: ServiceDesk, actor: Actor) -> list[Retired]:
    """What retention retired, oldest first: who, when, why, which cases (no personal
    data: there is none left). Raises Forbidden."""
    check_privacy_officer(actor)
    rows: list[Retired] = []
    for notification in _select(desk, (ERASED,)):
        erased: Any = desk.mapper.to_domain_event(notification)
        if getattr(erased, "basis", None) != "retention":
            continue
        record = desk.load_customer(_uuid(erased.originator_id))
        rows.append(Retired(customer_id=record.id, at=erased.occurred_at,
                            reason=erased.reason,
                            cases=[c["reference"] for c in record.cases]))
    return rows


def _registered(desk: ServiceDesk) -> list[UUID]:
    return [_uuid(n.originator_id) for n in _select(desk, (REGISTERED,))]


def _select(desk: ServiceDesk, topics: tuple[str, ...]) -> list[Any]:
    head, position = desk.log_position(), 0
    found: list[Any] = []
    while position < head:
        batch = desk.recorder.select_notifications(position + 1, BATCH, stop=head,
                                                   topics=topics)
        found += batch
        position = batch[-1].id if len(batch) == BATCH else head
    return found


def _uuid(raw: object) -> UUID:
    return raw if isinstance(raw, UUID) else UUID(str(raw))
