"""An access request answered (MFIPPA Part II): everything the desk holds about a customer as
one document — their record and correction requests, each of their cases with its events in
readable form, and every access-log entry about them or their cases."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import msgspec

from api.customers import CustomerView, full_view
from api.history import CaseHistory, case_history
from application.access import check_privacy_officer
from application.desk import ServiceDesk
from domain.actors import Actor
from infrastructure.access_log import AccessLog

PAGE = 1000


class RecordEvent(msgspec.Struct):
    type: str
    recorded_at: datetime
    actor_id: str | None
    actor_role: str | None


class AccessEntry(msgspec.Struct):
    at: datetime
    actor_id: str
    actor_role: str
    subject_id: str  # the customer, or one of their cases
    route: str
    fields: str


class AccessRequestPackage(msgspec.Struct):
    prepared_at: datetime
    prepared_by: str
    customer: CustomerView
    record_events: list[RecordEvent]  # the customer record's own history (sealed values left out)
    cases: list[CaseHistory]
    access_log: list[AccessEntry]


def access_request(desk: ServiceDesk, access_log: AccessLog, actor: Actor, customer_id: UUID,
                   *, route: str) -> AccessRequestPackage:
    """The package, its preparation logged against the customer and each case before it is
    returned. Raises Forbidden, NotFound, DisclosureNotRecorded."""
    check_privacy_officer(actor)
    record = desk.customers.get(customer_id)
    case_ids = [link["case_id"] for link in record.cases]
    subjects = [record.id, *record.merged_from, *case_ids]
    entries = [entry for subject in subjects for entry in _entries(access_log, subject)]
    access_log.record(actor, subjects, route, ("access_request",))
    events: list[Any] = list(desk.events.get(record.id))
    return AccessRequestPackage(
        prepared_at=desk.clock().astimezone(UTC), prepared_by=actor.id,
        customer=full_view(desk, record.id),
        record_events=[RecordEvent(type=type(e).__qualname__,
                                   recorded_at=e.timestamp.astimezone(UTC),
                                   actor_id=getattr(e, "actor_id", None),
                                   actor_role=getattr(e, "actor_role", None))
                       for e in events],
        cases=[case_history(desk, actor, case_id, version=None, as_of=None)
               for case_id in case_ids],
        access_log=sorted(entries, key=lambda e: e.at))


def _entries(access_log: AccessLog, subject: UUID) -> list[AccessEntry]:
    found: list[AccessEntry] = []
    after = 0
    while True:
        page = access_log.disclosures(case_id=subject, after_id=after, limit=PAGE)
        found += [AccessEntry(at=d.at, actor_id=d.actor_id, actor_role=d.actor_role,
                              subject_id=str(d.case_id), route=d.route, fields=d.fields)
                  for _, d in page]
        if len(page) < PAGE:
            return found
        after = page[-1][0]
