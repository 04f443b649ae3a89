"""Wire types: every request and response body is one of these msgspec structs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec

from api.plain_text import MULTI_LINE
from application.customers import CustomerDetails
from application.public_tokens import status_page_path
from domain.accommodations import state_of
from domain.cases import Case
from domain.targets import TargetStatus

# Free text: the one kind of field whose line breaks (and tabs) are kept (api.plain_text).
Text = Annotated[str, msgspec.Meta(max_length=10_000), MULTI_LINE]
Short = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
Minutes = Annotated[int, msgspec.Meta(ge=0, le=100_000)]
Version = Annotated[int, msgspec.Meta(ge=1)]

ChannelName = Literal["telephone", "missed_call", "voicemail", "email", "social_media",
                      "web_form", "written", "in_person", "virtual_meeting"]
PurposeName = Literal["information", "issue_or_complaint", "payment", "approval",
                      "tangible_service", "consultation"]


class Body(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of every request body: unknown fields are an error, not silently ignored."""


class Contact(Body, kw_only=True):
    name: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    email: Annotated[str, msgspec.Meta(max_length=254)] | None = None
    phone: Annotated[str, msgspec.Meta(max_length=40)] | None = None
    address: Annotated[str, msgspec.Meta(max_length=500)] | None = None
    preferred_contact: Literal["email", "phone", "mail", "in_person"] | None = None
    kind: Literal["person", "organization"] = "person"
    language: Literal["en", "fr"] = "en"
    consent_to_contact: bool = False


class NewCase(Body, kw_only=True):
    channel: ChannelName
    purpose: PurposeName
    subject: Short
    description: Text = ""
    service_code: Code | None = None
    department: Code | None = None
    received_at: datetime | None = None
    # A customer staff confirmed (GET /api/v1/customers?email=...): their record is used and
    # `contact` must be left out. Otherwise `contact` (and `accessibility_needs`) make a new
    # customer record, sealed; neither is kept on the case.
    customer_id: UUID | None = None
    contact: Contact | None = None
    accessibility_needs: Text | None = None
    wait_seconds: Annotated[int, msgspec.Meta(ge=0, le=86_400)] | None = None
    # The service desk a walk-in came in at (a desk's code); by default the central desk.
    desk: Code | None = None
    # Received as a complaint (or as feedback): classified at receipt, so the complaint
    # promises apply from the start.
    classification: Literal["complaint", "feedback"] | None = None


class Command(Body, kw_only=True):
    expected_version: Version | None = None
    occurred_at: datetime | None = None


class MeetingFact(Command, kw_only=True):
    """A command recording a fact that meets targets: if it happened before a deadline the
    scheduler already recorded missed, it says why it is entered late (422 without)."""

    late_entry_reason: Text = ""


class InteractionBody(MeetingFact, kw_only=True):
    channel: ChannelName
    direction: Literal["inbound", "outbound"]
    summary: Text
    effort_minutes: Minutes = 0
    wait_seconds: Annotated[int, msgspec.Meta(ge=0, le=86_400)] | None = None


class AssignBody(Command, kw_only=True):
    assignee: Short


class TransferBody(Command, kw_only=True):
    to_department: Code
    warm: bool
    handover_note: Text = ""
    customer_informed: bool = False


class AcknowledgeBody(MeetingFact, kw_only=True):
    message: Text = ""


class InterimResponseBody(MeetingFact, kw_only=True):
    explanation: Text


class WaitBody(Command, kw_only=True):
    reason: Text


class CustomerRespondedBody(Command, kw_only=True):
    summary: Text = ""


class ResolveBody(MeetingFact, kw_only=True):
    resolution: Text
    at_first_contact: bool = False


class ReopenBody(Command, kw_only=True):
    reason: Text


class CloseBody(Command, kw_only=True):
    pass


class ClassifyBody(Command, kw_only=True):
    classification: Literal["complaint", "feedback"]
    reason: Text = ""


class EscalateBody(Command, kw_only=True):
    to_level: Literal["department_manager", "director", "cao", "ombudsman"]
    reason: Text
    owner: Short


class DebriefBody(Command, kw_only=True):
    cause: Text
    actions: Text
    edi_findings: Text = ""
    accessibility_findings: Text = ""


class AccommodationBody(Command, kw_only=True):
    """Request a new accommodation (`need`), record one as provided (`number`, `how`), or
    record that it cannot be made at that time (`number`, `reason`, `alternative`): the
    customer told why and offered an alternative solution (section 4.2)."""

    action: Literal["request", "provide", "not_made"]
    need: Text | None = None
    number: Annotated[int, msgspec.Meta(ge=1, le=10_000)] | None = None
    how: Text | None = None
    reason: Text | None = None
    alternative: Text | None = None


class AccommodationView(msgspec.Struct):
    """One accommodation requested on the case and where it stands: requested (open),
    not_made (open: the customer was told and offered `alternative`), or provided."""

    number: int
    need: str
    state: Literal["requested", "not_made", "provided"]
    requested_at: datetime
    not_made_at: datetime | None
    reason: str | None
    alternative: str | None
    provided_at: datetime | None
    how: str | None


class SurveyBody(Command, kw_only=True):
    csat: Annotated[int, msgspec.Meta(ge=1, le=5)] | None = None
    nps: Annotated[int, msgspec.Meta(ge=0, le=10)] | None = None
    ces: Annotated[int, msgspec.Meta(ge=1, le=7)] | None = None
    comment: Text = ""


class Escalation(msgspec.Struct):
    from_level: str
    to_level: str
    reason: str
    owner: str
    at: datetime


class TargetView(msgspec.Struct):
    """One promise on the case: when it falls due, and whether it is being kept."""

    name: str
    title: str
    state: str
    due_at: datetime
    met_at: datetime | None
    breached_at: datetime | None
    remaining_seconds: int
    paused: bool
    standard_code: str
    standard_version: int
    desk: str | None = None  # whose opening hours its business time runs on; null: central


def target_view(target: TargetStatus) -> TargetView:
    due = utc(target.due_at)
    assert due is not None
    return TargetView(name=target.name, title=target.title, state=target.state.value,
                      due_at=due, met_at=utc(target.met_at), breached_at=utc(target.breached_at),
                      remaining_seconds=target.remaining_seconds, paused=target.paused,
                      standard_code=target.standard_code,
                      standard_version=target.standard_version, desk=target.desk)


class SurveyAnswerView(msgspec.Struct):
    """One survey answer (scores only; the comment is not shown). `superseded` lists the kinds
    a later answer replaced: only the latest answer of each kind counts in the figures."""

    answered_at: datetime
    csat: int | None
    nps: int | None
    ces: int | None
    superseded: list[str]


class CaseView(msgspec.Struct):
    id: str
    reference: str
    status: str
    channel: str
    received_at: datetime
    department: str
    service_code: str | None
    purpose: str
    subject: str
    description: str
    contact: dict[str, str]  # the customer's, decrypted now; {} when erased or none
    accessibility_needs: str | None
    assignee: str | None
    classification: str | None
    escalation_level: str | None
    escalations: list[Escalation]
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    resolved_at_first_contact: bool
    closed_at: datetime | None
    transfers: int
    interactions: int
    effort_minutes: int
    debriefed: bool
    recorded_by: str
    version: int
    standards_version: int | None
    targets: list[TargetView]
    surveys: list[SurveyAnswerView] = []  # oldest first
    desk: str | None = None  # the service desk it was received at; null: before desks were kept
    # The secret that, with the reference, shows the public status: staff give the customer
    # `status_page` (its path, token included). Null for cases received before tokens.
    public_token: str | None = None
    status_page: str | None = None
    accommodations: list[AccommodationView] = []  # in the order requested
    customer_id: str | None = None  # the customer record (after merges, the surviving one)
    # "held": contact shown; "erased": the customer's personal information was destroyed
    # (erasure or retention) and nothing of it can be shown; "none": no customer recorded.
    personal_information: Literal["held", "erased", "none"] = "none"
    # Merged as a duplicate (then closed): the reference of the case that carries it on.
    merged_into: str | None = None
    merged_from: list[str] = []  # the references of the duplicates merged into this one
    # The customers of merged duplicates, who hear this case's outcome (customer ids).
    subscribers: list[str] = []


class DuplicateView(msgspec.Struct):
    """An open case the case likely repeats (nothing personal: no subject, no customer)."""

    case_id: str
    reference: str
    department: str
    status: str
    received_at: datetime
    reasons: list[Literal["same_service_nearby", "same_customer_similar_subject"]]
    distance_metres: float | None  # great-circle, for a suggestion by place
    subject_similarity: float | None  # 0-1, for a suggestion by customer and subject


class CustomerMatchView(msgspec.Struct):
    customer_id: str  # a live customer already on record (the survivor, if merged)
    matched_on: list[Literal["email", "phone"]]  # which of the contact's fields it shares


class ReceivedCase(CaseView):
    """A staff receipt's answer: the case, and the customers already on record whose email or
    phone is exactly the contact's (only for a new customer made from `contact`)."""

    # Suggestions for staff to confirm by merging the new record into one (POST
    # /api/v1/customers/{customer_id of the case}/merge); nothing personal but the ids.
    customer_matches: list[CustomerMatchView] = []
    # Open cases this one likely repeats (GET /api/v1/cases/{id}/duplicates): staff who agree
    # merge it into one (POST /api/v1/cases/{id}/merge-into).
    duplicate_suggestions: list[DuplicateView] = []


def utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(UTC)


def case_view(case: Case, targets: list[TargetStatus], customer: CustomerDetails) -> CaseView:
    """The case, its targets judged, and its customer as they stand now (decrypted on read)."""
    received = utc(case.received_at)
    assert received is not None
    return CaseView(
        id=str(case.id), reference=case.reference, status=case.status, channel=case.channel,
        received_at=received, department=case.department, service_code=case.service_code,
        purpose=case.purpose, subject=case.subject, description=case.description,
        contact=contact_of(customer),
        accessibility_needs=customer.fields.get("accessibility_needs"),
        assignee=case.assignee, classification=case.classification,
        escalation_level=case.escalation_level,
        escalations=[Escalation(from_level=e["from"], to_level=e["to"], reason=e["reason"],
                                owner=e["owner"], at=e["at"].astimezone(UTC))
                     for e in case.escalations],
        acknowledged_at=utc(case.acknowledged_at), resolved_at=utc(case.resolved_at),
        resolved_at_first_contact=case.resolved_at_first_contact,
        closed_at=utc(case.closed_at), transfers=len(case.transfers),
        interactions=case.interactions, effort_minutes=case.effort_minutes,
        debriefed=case.debrief is not None, recorded_by=case.recorded_by, version=case.version,
        standards_version=case.standards_version, targets=[target_view(t) for t in targets],
        surveys=[SurveyAnswerView(answered_at=a["at"].astimezone(UTC), csat=a["csat"],
                                  nps=a["nps"], ces=a["ces"], superseded=list(a["superseded"]))
                 for a in case.surveys],
        desk=case.desk, public_token=case.public_token, status_page=status_page_path(case),
        accommodations=[accommodation_view(a) for a in case.accommodations],
        customer_id=str(customer.customer_id) if customer.customer_id else None,
        personal_information=customer.status,  # type: ignore[arg-type]
        merged_into=case.merged_into, merged_from=list(case.merged_from),
        subscribers=[str(s) for s in case.subscribers])


def contact_of(customer: CustomerDetails) -> dict[str, str]:
    """A case's contact as it always read: the customer's contact fields and preference."""
    contact = {k: v for k, v in customer.fields.items() if k != "accessibility_needs"}
    if customer.preferred_contact:
        contact["preferred_contact"] = customer.preferred_contact
    return contact


def accommodation_view(a: dict[str, Any]) -> AccommodationView:
    requested = utc(a["requested_at"])
    assert requested is not None
    return AccommodationView(
        number=a["number"], need=a["need"], state=state_of(a).value, requested_at=requested,
        not_made_at=utc(a.get("not_made_at")), reason=a.get("reason"),
        alternative=a.get("alternative"), provided_at=utc(a.get("provided_at")),
        how=a.get("how"))
