"""One function per case command: it calls the `Case` method that checks the rules and
records the event. `HANDLERS` finds a command's function by its class, and `register` lets
mypy check that each function takes the command class it is registered for."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from application.commands import (
    AcknowledgeCase,
    AddInternalNote,
    AnswerSurvey,
    AssignCase,
    AttachFile,
    CaseCommand,
    ClassifyCase,
    CloseCase,
    DebriefComplaint,
    EscalateComplaint,
    LogInteraction,
    ProvideAccommodation,
    PublishNote,
    RecordCustomerResponse,
    ReopenCase,
    ReportAccommodationNotMade,
    RequestAccommodation,
    ResolveCase,
    SendInterimResponse,
    SkipNotification,
    TransferCase,
    WaitOnCustomer,
)
from domain.actors import Actor
from domain.cases import Case

C = TypeVar("C", bound=CaseCommand)


@dataclass(frozen=True)
class By:
    """Who runs the command, when it happened and when it is recorded."""

    actor: Actor
    occurred_at: datetime
    now: datetime


Handler = Callable[[Case, Any, By], None]
HANDLERS: dict[type[CaseCommand], Handler] = {}


def register(kind: type[C]) -> Callable[[Callable[[Case, C, By], None]],
                                        Callable[[Case, C, By], None]]:
    def decorate(handler: Callable[[Case, C, By], None]) -> Callable[[Case, C, By], None]:
        HANDLERS[kind] = handler
        return handler
    return decorate


@register(LogInteraction)
def log_interaction(case: Case, c: LogInteraction, by: By) -> None:
    case.log_interaction(channel=c.channel, direction=c.direction, summary=c.summary,
                         effort_minutes=c.effort_minutes, wait_seconds=c.wait_seconds,
                         actor=by.actor, occurred_at=by.occurred_at, now=by.now,
                         late_entry_reason=c.late_entry_reason)


@register(AssignCase)
def assign(case: Case, c: AssignCase, by: By) -> None:
    case.assign(assignee=c.assignee, actor=by.actor, occurred_at=by.occurred_at, now=by.now)


@register(TransferCase)
def transfer(case: Case, c: TransferCase, by: By) -> None:
    case.transfer(to_department=c.to_department, warm=c.warm, handover_note=c.handover_note,
                  customer_informed=c.customer_informed, actor=by.actor,
                  occurred_at=by.occurred_at, now=by.now)


@register(AcknowledgeCase)
def acknowledge(case: Case, c: AcknowledgeCase, by: By) -> None:
    case.acknowledge(message=c.message, actor=by.actor, occurred_at=by.occurred_at, now=by.now,
                     late_entry_reason=c.late_entry_reason)


@register(SendInterimResponse)
def send_interim_response(case: Case, c: SendInterimResponse, by: By) -> None:
    case.send_interim_response(explanation=c.explanation, actor=by.actor,
                               occurred_at=by.occurred_at, now=by.now,
                               late_entry_reason=c.late_entry_reason)


@register(WaitOnCustomer)
def wait_on_customer(case: Case, c: WaitOnCustomer, by: By) -> None:
    case.wait_on_customer(reason=c.reason, actor=by.actor, occurred_at=by.occurred_at,
                          now=by.now)


@register(RecordCustomerResponse)
def record_customer_response(case: Case, c: RecordCustomerResponse, by: By) -> None:
    case.record_customer_response(summary=c.summary, actor=by.actor,
                                  occurred_at=by.occurred_at, now=by.now)


@register(ResolveCase)
def resolve(case: Case, c: ResolveCase, by: By) -> None:
    case.resolve(resolution=c.resolution, at_first_contact=c.at_first_contact, actor=by.actor,
                 occurred_at=by.occurred_at, now=by.now, late_entry_reason=c.late_entry_reason)


@register(ReopenCase)
def reopen(case: Case, c: ReopenCase, by: By) -> None:
    case.reopen(reason=c.reason, actor=by.actor, occurred_at=by.occurred_at, now=by.now)


@register(CloseCase)
def close(case: Case, c: CloseCase, by: By) -> None:
    case.close(actor=by.actor, occurred_at=by.occurred_at, now=by.now)


@register(ClassifyCase)
def classify(case: Case, c: ClassifyCase, by: By) -> None:
    case.classify(classification=c.classification, reason=c.reason, actor=by.actor,
                  occurred_at=by.occurred_at, now=by.now)


@register(EscalateComplaint)
def escalate(case: Case, c: EscalateComplaint, by: By) -> None:
    case.escalate(to_level=c.to_level, reason=c.reason, owner=c.owner, actor=by.actor,
                  occurred_at=by.occurred_at, now=by.now)


@register(DebriefComplaint)
def debrief(case: Case, c: DebriefComplaint, by: By) -> None:
    case.debrief_complaint(cause=c.cause, actions=c.actions, edi_findings=c.edi_findings,
                           accessibility_findings=c.accessibility_findings, actor=by.actor,
                           occurred_at=by.occurred_at, now=by.now)


@register(RequestAccommodation)
def request_accommodation(case: Case, c: RequestAccommodation, by: By) -> None:
    case.request_accommodation(need=c.need, actor=by.actor, occurred_at=by.occurred_at,
                               now=by.now)


@register(ProvideAccommodation)
def provide_accommodation(case: Case, c: ProvideAccommodation, by: By) -> None:
    case.provide_accommodation(number=c.number, how=c.how, actor=by.actor,
                               occurred_at=by.occurred_at, now=by.now)


@register(ReportAccommodationNotMade)
def report_accommodation_not_made(case: Case, c: ReportAccommodationNotMade, by: By) -> None:
    case.report_accommodation_not_made(number=c.number, reason=c.reason,
                                       alternative=c.alternative, actor=by.actor,
                                       occurred_at=by.occurred_at, now=by.now)


@register(AnswerSurvey)
def answer_survey(case: Case, c: AnswerSurvey, by: By) -> None:
    case.answer_survey(csat=c.csat, nps=c.nps, ces=c.ces, comment=c.comment, actor=by.actor,
                       occurred_at=by.occurred_at, now=by.now)


@register(PublishNote)
def publish_note(case: Case, c: PublishNote, by: By) -> None:
    case.publish_note(note=c.note, actor=by.actor, occurred_at=by.occurred_at, now=by.now)


@register(SkipNotification)
def skip_notification(case: Case, c: SkipNotification, by: By) -> None:
    case.skip_notification(notice=c.notice, message_key=c.message_key, reason=c.reason,
                           actor=by.actor, occurred_at=by.occurred_at, now=by.now)


@register(AttachFile)
def attach_file(case: Case, c: AttachFile, by: By) -> None:
    case.attach(name=c.name, media_type=c.media_type, size=c.size, sha256=c.sha256,
                stored_sha256=c.stored_sha256, sealed_for=c.sealed_for, source=c.source,
                actor=by.actor, occurred_at=by.occurred_at, now=by.now)


@register(AddInternalNote)
def add_internal_note(case: Case, c: AddInternalNote, by: By) -> None:
    case.add_internal_note(note=c.note, mention_people=c.mention_people,
                           mention_departments=c.mention_departments, actor=by.actor,
                           occurred_at=by.occurred_at, now=by.now)
