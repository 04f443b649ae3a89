"""What anyone holding a reference and its public token may know of its case, and the notes
staff publish for them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from application.commands import PublishNote
from application.desk import IdempotencyKey, Outcome, ServiceDesk
from application.open311.aggregates import load
from application.open311.public_requests import OPEN311_STATUS
from application.public_tokens import token_matches
from domain.actors import Actor
from domain.cases import Case
from domain.errors import NotFound
from domain.targets import TargetState


@dataclass(frozen=True)
class Promise:
    title: str
    due_at: datetime
    met_at: datetime | None
    state: str  # pending, paused, met, met_late, breached or not_measured (a wait unrecorded)
    kept: bool | None  # None while it can still be kept


@dataclass(frozen=True)
class PublicNote:
    note: str
    published_at: datetime


@dataclass(frozen=True)
class PublicStatus:
    reference: str
    status: str
    open311_status: str
    received_at: datetime
    updated_at: datetime
    department_code: str
    department_name: str
    service_code: str | None  # None when the service is internal
    service_name: str | None
    promises: list[Promise]
    notes: list[PublicNote]
    # A duplicate merged into another request: that request's reference (its status page
    # needs that request's own token, which its customer holds).
    merged_into: str | None = None
    merged_into_status: str | None = None  # that request's status now


def public_status(desk: ServiceDesk, reference: str, token: str | None) -> PublicStatus:
    """What anyone holding a reference and its public token may know of its case.

    Raises NotFound, the same for an unknown reference, a missing or wrong token, and a case
    received before tokens were issued: none of them says whether the reference exists.
    """
    try:
        case: Case | None = load(desk, Case, Case.create_id(reference), "no request")
    except NotFound:
        case = None
    if not token_matches(case, token) or case is None:
        raise NotFound(f"no request {reference}", "reference")
    service = desk.find_service(case.service_code) if case.service_code else None
    public = service if service is not None and service.service_type != "internal" else None
    promises = []
    for target in desk.target_statuses(case):
        state = {TargetState.AT_RISK: "pending"}.get(target.state, target.state.value)
        if target.paused:
            state = "paused"
        kept = {TargetState.MET: True, TargetState.MET_LATE: False,
                TargetState.BREACHED: False}.get(target.state)
        promises.append(Promise(title=target.title, due_at=target.due_at,
                                met_at=target.met_at, state=state, kept=kept))
    department = desk.find_department(case.department)
    survivor = (load(desk, Case, Case.create_id(case.merged_into), "no request")
                if case.merged_into is not None else None)
    return PublicStatus(
        reference=case.reference, status=case.status,
        open311_status=OPEN311_STATUS[case.status], received_at=case.received_at,
        updated_at=case.modified_on, department_code=case.department,
        department_name=department.name if department else case.department,
        service_code=public.code if public else None,
        service_name=public.name if public else None, promises=promises,
        notes=[PublicNote(note=n["note"], published_at=n["at"]) for n in case.public_notes],
        merged_into=case.merged_into,
        merged_into_status=survivor.status if survivor is not None else None)


def publish_note(desk: ServiceDesk, actor: Actor, case_id: UUID, note: str, *,
                 expected_version: int | None = None, occurred_at: datetime | None = None,
                 idempotency: IdempotencyKey | None = None) -> Outcome:
    """Publish a note on the case for the public. Raises NotFound, Forbidden, InvalidValue,
    VersionConflict and IdempotencyKeyReused, as every case command does."""
    return desk.handle(actor, PublishNote(case_id=case_id, note=note,
                                          expected_version=expected_version,
                                          occurred_at=occurred_at), idempotency)
