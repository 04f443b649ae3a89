"""Likely duplicates of a case, and merging a duplicate into the case that carries on.

Suggestions: the `duplicate_candidates` read model holds every case's service, subject,
status and (for Open311 requests) place; it narrows candidates in SQL (still open, the same
service, inside a bounding box; or among the customer's cases), and the domain's rules
(`domain.duplicates`) judge each here: within 50 metres by the haversine, or subjects alike.
The case asked about is read from its own aggregates, so a case just received is suggested
against at once. Only cases the actor may see are suggested; a suggestion names a case, never
its subject or its customer.

Merging (`merge`): both cases change together, as the domain says (`Case.merge_into`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from application.access import CUSTOMER_ROLES, can_see_department, check_may
from application.desk import IdempotencyKey, Outcome, ServiceDesk
from application.open311.aggregates import load
from domain.actors import Actor
from domain.cases import Case
from domain.duplicates import (
    MAX_SUGGESTIONS,
    SIMILAR_SUBJECTS,
    BoundingBox,
    DuplicateReason,
    bounding_box,
    distance_metres,
    is_nearby,
    subject_similarity,
)
from domain.errors import NotFound, VersionConflict
from domain.open311 import Location, ServiceRequestRecord

DUPLICATES_NAME = "duplicate_candidates"
MERGE_ATTEMPTS = 3


@dataclass(frozen=True)
class Candidate:
    """A case still open, as the read model holds it."""

    case_id: UUID
    reference: str
    department: str
    service_code: str | None
    subject: str
    status: str
    received_at: datetime
    lat: float | None = None
    long: float | None = None


class CandidateQuery(Protocol):
    def nearby(self, service_code: str, box: BoundingBox) -> list[Candidate]:
        """Open cases of the service with a place inside `box`."""
        ...

    def among(self, case_ids: list[UUID]) -> list[Candidate]:
        """The open cases among `case_ids`."""
        ...


@dataclass(frozen=True)
class DuplicateSuggestion:
    case_id: UUID
    reference: str
    department: str
    status: str
    received_at: datetime
    reasons: tuple[DuplicateReason, ...]
    distance_metres: float | None  # for a suggestion by place
    subject_similarity: float | None  # for a suggestion by customer and subject

    @property
    def by_customer(self) -> bool:
        return DuplicateReason.SIMILAR_SUBJECT in self.reasons


def place_of(desk: ServiceDesk, case: Case) -> Location:
    """Where an Open311 request said it is (no place for other cases)."""
    try:
        record = load(desk, ServiceRequestRecord,
                      ServiceRequestRecord.create_id(case.reference), "record")
    except NotFound:
        return Location()
    return record.location


def suggestions(desk: ServiceDesk, actor: Actor, case: Case,
                candidates: CandidateQuery) -> list[DuplicateSuggestion]:
    """The open cases `case` likely repeats, that `actor` may see: nearest first, then most
    alike, then oldest; at most MAX_SUGGESTIONS."""
    found: dict[UUID, DuplicateSuggestion] = {}
    place = place_of(desk, case)
    if case.service_code is not None and place.lat is not None and place.long is not None:
        lat, long = place.lat, place.long
        for other in candidates.nearby(case.service_code, bounding_box(lat, long)):
            if other.lat is None or other.long is None or \
                    not is_nearby(lat, long, other.lat, other.long):
                continue
            found[other.case_id] = _suggestion(
                other, DuplicateReason.NEARBY,
                distance=round(distance_metres(lat, long, other.lat, other.long), 1))
    # Whose cases a customer has is personal: only the roles that serve customers see it.
    if case.customer_id is not None and actor.role in CUSTOMER_ROLES:
        try:
            customer = desk.customers.get(case.customer_id)
        except NotFound:
            customer = None
        ids = [link["case_id"] for link in customer.cases] if customer is not None else []
        for other in candidates.among(ids):
            similarity = round(subject_similarity(case.subject, other.subject), 3)
            if similarity < SIMILAR_SUBJECTS:
                continue
            earlier = found.get(other.case_id)
            found[other.case_id] = _suggestion(
                other, DuplicateReason.SIMILAR_SUBJECT, similarity=similarity,
                also=earlier)
    seen = [s for s in found.values()
            if s.case_id != case.id and can_see_department(actor, s.department)]
    seen.sort(key=lambda s: (s.distance_metres if s.distance_metres is not None else 1e9,
                             -(s.subject_similarity or 0.0), s.received_at, s.reference))
    return seen[:MAX_SUGGESTIONS]


def _suggestion(other: Candidate, reason: DuplicateReason, *, distance: float | None = None,
                similarity: float | None = None,
                also: DuplicateSuggestion | None = None) -> DuplicateSuggestion:
    return DuplicateSuggestion(
        case_id=other.case_id, reference=other.reference, department=other.department,
        status=other.status, received_at=other.received_at,
        reasons=(*(also.reasons if also else ()), reason),
        distance_metres=also.distance_metres if also and distance is None else distance,
        subject_similarity=similarity)


@dataclass(frozen=True)
class Suggested:
    """A case's likely duplicates, and the customer whose other cases they disclose (None when
    none is suggested by customer): the access log records that disclosure."""

    found: list[DuplicateSuggestion]
    customer_id: UUID | None


def duplicates_of(desk: ServiceDesk, actor: Actor, case_id: UUID,
                  candidates: CandidateQuery) -> Suggested:
    """The likely duplicates of a case the actor may see. Raises NotFound."""
    case = desk.get_case(actor, case_id)
    found = suggestions(desk, actor, case, candidates)
    by_customer = case.customer_id is not None and any(s.by_customer for s in found)
    return Suggested(found, case.customer_id if by_customer else None)


def merge(desk: ServiceDesk, actor: Actor, case_id: UUID, into: UUID, *, reason: str,
          occurred_at: datetime | None = None,
          idempotency: IdempotencyKey | None = None) -> Outcome:
    """Merge the case `case_id` (the duplicate) into `into` (the survivor), both saved
    together (with the idempotency receipt, if a key is given: a retry answers the first
    answer); the answer is the duplicate. A concurrent change to either case runs the merge
    again on the cases as they then stand.

    Raises NotFound (either case unknown or not visible; `into` named), Forbidden,
    InvalidValue, RuleViolated, CaseMerged, CaseIsClosed, VersionConflict,
    IdempotencyKeyReused."""
    replay = desk._replay(actor, idempotency)
    if replay is not None:
        return replay
    for attempt in range(1, MERGE_ATTEMPTS + 1):
        duplicate = desk.get_case(actor, case_id)
        try:
            survivor = desk.get_case(actor, into)
        except NotFound:
            raise NotFound(f"no case {into} to merge into", "into") from None
        check_may(actor, "merge", duplicate.department)
        check_may(actor, "merge", survivor.department)
        now = desk.clock()
        duplicate.merge_into(survivor, reason=reason, actor=actor,
                             occurred_at=occurred_at or now, now=now)
        try:
            return desk._save_with_receipt(actor, idempotency, duplicate, 200, survivor)
        except VersionConflict:
            if attempt == MERGE_ATTEMPTS:
                raise
            continue
    raise AssertionError("unreachable")
