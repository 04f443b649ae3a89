"""The desk's commands, one class each: what a client asks the desk to record.

`ReceiveCase` records a new case; the others (`CaseCommand`s) change one.

Every case command names its case, optionally the version the client saw (`expected_version`: then
a case that moved on is a conflict; without it the desk runs the command on whatever version
is current) and when it really happened (`occurred_at`, default: when recorded). `action` is
the access policy's name for every command. A command recording a fact that meets targets (an
outbound contact, an acknowledgement, an interim response, a resolution) says why it is entered
late (`late_entry_reason`) when it happened before a deadline already recorded missed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar
from uuid import UUID

from application.customers import Intake


@dataclass(frozen=True, kw_only=True)
class CaseCommand:
    action: ClassVar[str]
    case_id: UUID
    expected_version: int | None = None
    occurred_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class LogInteraction(CaseCommand):
    action: ClassVar[str] = "log_interaction"
    channel: str
    direction: str
    summary: str
    effort_minutes: int = 0
    wait_seconds: int | None = None
    late_entry_reason: str = ""


@dataclass(frozen=True, kw_only=True)
class AssignCase(CaseCommand):
    action: ClassVar[str] = "assign"
    assignee: str


@dataclass(frozen=True, kw_only=True)
class TransferCase(CaseCommand):
    action: ClassVar[str] = "transfer"
    to_department: str
    warm: bool
    handover_note: str = ""
    customer_informed: bool = False


@dataclass(frozen=True, kw_only=True)
class AcknowledgeCase(CaseCommand):
    action: ClassVar[str] = "acknowledge"
    message: str = ""
    late_entry_reason: str = ""


@dataclass(frozen=True, kw_only=True)
class SendInterimResponse(CaseCommand):
    action: ClassVar[str] = "interim_response"
    explanation: str
    late_entry_reason: str = ""


@dataclass(frozen=True, kw_only=True)
class WaitOnCustomer(CaseCommand):
    action: ClassVar[str] = "wait"
    reason: str


@dataclass(frozen=True, kw_only=True)
class RecordCustomerResponse(CaseCommand):
    action: ClassVar[str] = "customer_responded"
    summary: str = ""


@dataclass(frozen=True, kw_only=True)
class ResolveCase(CaseCommand):
    action: ClassVar[str] = "resolve"
    resolution: str
    at_first_contact: bool = False
    late_entry_reason: str = ""


@dataclass(frozen=True, kw_only=True)
class ReopenCase(CaseCommand):
    action: ClassVar[str] = "reopen"
    reason: str


@dataclass(frozen=True, kw_only=True)
class CloseCase(CaseCommand):
    action: ClassVar[str] = "close"


@dataclass(frozen=True, kw_only=True)
class ClassifyCase(CaseCommand):
    action: ClassVar[str] = "classify"
    classification: str
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class EscalateComplaint(CaseCommand):
    action: ClassVar[str] = "escalate"
    to_level: str
    reason: str
    owner: str


@dataclass(frozen=True, kw_only=True)
class DebriefComplaint(CaseCommand):
    action: ClassVar[str] = "debrief"
    cause: str
    actions: str
    edi_findings: str = ""
    accessibility_findings: str = ""


@dataclass(frozen=True, kw_only=True)
class RequestAccommodation(CaseCommand):
    action: ClassVar[str] = "request_accommodation"
    need: str


@dataclass(frozen=True, kw_only=True)
class ProvideAccommodation(CaseCommand):
    action: ClassVar[str] = "provide_accommodation"
    number: int
    how: str


@dataclass(frozen=True, kw_only=True)
class ReportAccommodationNotMade(CaseCommand):
    """The accommodation cannot be made at that time: the customer is told why and offered
    an alternative (section 4.2, Accessibility)."""

    action: ClassVar[str] = "accommodation_not_made"
    number: int
    reason: str
    alternative: str


@dataclass(frozen=True, kw_only=True)
class AnswerSurvey(CaseCommand):
    action: ClassVar[str] = "survey"
    csat: int | None = None
    nps: int | None = None
    ces: int | None = None
    comment: str = ""


@dataclass(frozen=True, kw_only=True)
class PublishNote(CaseCommand):
    action: ClassVar[str] = "publish_note"
    note: str


@dataclass(frozen=True, kw_only=True)
class AttachFile(CaseCommand):
    """Record a file already kept in the file store (application.attachments checks and
    stores it first; no route builds this from a request body)."""

    action: ClassVar[str] = "attach"
    name: str
    media_type: str
    size: int
    sha256: str
    stored_sha256: str
    sealed_for: UUID | None
    source: str


@dataclass(frozen=True, kw_only=True)
class ReceiveCase:
    """A new contact to record as a case: numbered in its year when saved (so it names no
    case). `department` or `service_code` says whose it is; `desk` is the service desk's code
    (default: the central desk), whose hours its targets run on; `received_at` is when the
    contact arrived (default: when recorded)."""

    action: ClassVar[str] = "receive"
    channel: str
    purpose: str
    subject: str
    description: str
    # The customer staff confirmed (their id), or what intake knows of a new one (a record
    # is made, sealed, with the case), or None: nothing personal.
    customer: Intake | UUID | None = None
    received_at: datetime | None = None
    service_code: str | None = None
    department: str | None = None
    wait_seconds: int | None = None
    desk: str | None = None
    # Received as a complaint (or as feedback): classified as it is received, so the complaint
    # promises run from receipt.
    classification: str | None = None


# Every command the desk handles (`ServiceDesk.handle`).
Command = CaseCommand | ReceiveCase


@dataclass(frozen=True, kw_only=True)
class SkipNotification(CaseCommand):
    """Record why the outbox did not send a message (domain.notices): no address, or the
    customer asked for another way."""

    action: ClassVar[str] = "skip_notification"
    notice: str
    message_key: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class AddInternalNote(CaseCommand):
    """A note for staff only (never shown to the public), mentioning people (staff ids) and
    departments, whose inboxes get it (application/internal_notes.py)."""

    action: ClassVar[str] = "add_internal_note"
    note: str
    mention_people: tuple[str, ...] = ()
    mention_departments: tuple[str, ...] = ()
