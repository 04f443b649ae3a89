"""Case routes: receive a case, run each command on it, read it and its history."""

import hashlib
from collections.abc import Callable
from functools import partial
from typing import Any, Literal
from uuid import UUID

import anyio
import msgspec
from litestar import Controller, Request, Response, Router, get, post
from litestar.di import Provide
from litestar.params import Parameter

from api import schemas
from api.auth import authenticated, current_actor
from api.duplicate_views import suggested_duplicates
from api.history import CaseHistory, case_history
from api.openapi_contract import IDEMPOTENT
from api.problems import problem_docs
from api.read_your_writes import LAST_POSITION
from application import commands, customer_records
from application.customers import Intake
from application.desk import IdempotencyKey, Outcome, ServiceDesk
from application.survey_links import SurveyLinks, survey_path
from domain.actors import Actor
from domain.cases import Case
from domain.errors import InvalidValue
from domain.references import parse_reference
from infrastructure.access_log import AccessLog

POSITION_HEADER = "X-Civicdesk-Position"
COMMAND_ERRORS = "400, 401, 403, 404, 409 or 422 as application/problem+json"


def idempotency(request: Request[Any, Any, Any], body: msgspec.Struct) -> IdempotencyKey | None:
    return idempotency_of(request, msgspec.json.encode(body))


def idempotency_of(request: Request[Any, Any, Any], content: bytes) -> IdempotencyKey | None:
    """The request's Idempotency-Key, fingerprinted with what it asks (`content`), or None."""
    key = request.headers.get("idempotency-key")
    if key is None:
        return None
    if not 1 <= len(key) <= 200 or not key.isprintable():
        raise InvalidValue("Idempotency-Key must be 1-200 printable characters",
                           "Idempotency-Key")
    fingerprint = hashlib.sha256(request.method.encode() + request.url.path.encode()
                                 + content).hexdigest()
    return IdempotencyKey(key=key, fingerprint=fingerprint)


# The personal members of a case view, and of a history (which adds every event's fields).
CASE_FIELDS = ("subject", "description", "contact", "accessibility_needs")
HISTORY_FIELDS = (*CASE_FIELDS, "events")


def answered_command(request: Request[Any, Any, Any], actor: Actor,
                     command: Callable[[], Outcome], status_code: int, desk: ServiceDesk,
                     access_log: AccessLog) -> Response[schemas.CaseView]:
    """Run a command whose answer is the case, its disclosure logged in the transaction that
    saves it; a replay (nothing saved) logs it before answering, as a read does."""
    with access_log.disclosing_writes(actor, route_of(request), CASE_FIELDS) as pending:
        outcome = command()
    if outcome.replayed or outcome.case.id not in pending.written:
        disclose(request, actor, outcome.case.id, CASE_FIELDS, access_log)
    headers = {POSITION_HEADER: str(outcome.position)}
    if status_code == 201:
        headers["Location"] = f"/api/v1/cases/{outcome.case.id}"
    if outcome.replayed:
        headers["Idempotent-Replayed"] = "true"
    view = schemas.case_view(outcome.case, desk.target_statuses(outcome.case,
                                                                calendars=outcome.calendars),
                             desk.customers.details(outcome.case.customer_id))
    return Response(view, status_code=status_code, headers=headers)


def view_of(request: Request[Any, Any, Any], actor: Actor, case: Case, desk: ServiceDesk,
            access_log: AccessLog) -> schemas.CaseView:
    disclose(request, actor, case.id, CASE_FIELDS, access_log)
    return schemas.case_view(case, desk.target_statuses(case),
                             desk.customers.details(case.customer_id))


def disclose(request: Request[Any, Any, Any], actor: Actor, case_id: UUID | list[UUID],
             fields: tuple[str, ...], access_log: AccessLog) -> None:
    """Every response that carries a case's personal fields is logged, with which, before it
    is sent. Raises DisclosureNotRecorded (answered 503, disclosing nothing)."""
    access_log.record(actor, case_id, route_of(request), fields)


def route_of(request: Request[Any, Any, Any]) -> str:
    return f"{request.method} {request.url.path}"


def _command_handler(name: str, body_type: type[schemas.Command],
                     kind: type[commands.CaseCommand] | None, path: str, summary: str) -> Any:
    def handler(request: Request[Any, Any, Any], case_id: UUID, data: body_type,  # type: ignore[valid-type]
                actor: Actor, desk: ServiceDesk,
                access_log: AccessLog) -> Response[schemas.CaseView]:
        command = (_accommodation(data, case_id) if kind is None
                   else kind(case_id=case_id, **msgspec.structs.asdict(data)))
        return answered_command(request, actor, partial(
            desk.handle, actor, command, idempotency(request, data)), 200, desk, access_log)

    handler.__name__ = f"case_{name}"
    return post(path, operation_id=f"case_{name}", summary=summary, opt={IDEMPOTENT: True},
                responses=problem_docs(400, 401, 403, 404, 409, 413, 422),
                description=f"Records one event on the case. Errors: {COMMAND_ERRORS}.",
                status_code=200, sync_to_thread=True)(handler)


def _accommodation(data: schemas.AccommodationBody, case_id: UUID) -> commands.CaseCommand:
    envelope = {"case_id": case_id, "expected_version": data.expected_version,
                "occurred_at": data.occurred_at}
    if data.action == "request":
        if not data.need:
            raise InvalidValue("need is required to request an accommodation", "need")
        return commands.RequestAccommodation(need=data.need, **envelope)  # type: ignore[arg-type]
    if data.action == "not_made":
        if data.number is None:
            raise InvalidValue("number is required: which accommodation cannot be made",
                               "number")
        for field in ("reason", "alternative"):
            if not getattr(data, field):
                raise InvalidValue(f"{field} is required: the customer is told why and offered "
                                   "an alternative solution", field)
        return commands.ReportAccommodationNotMade(
            number=data.number, reason=data.reason or "", alternative=data.alternative or "",
            **envelope)  # type: ignore[arg-type]
    if data.number is None or not data.how:
        raise InvalidValue("number and how are required to record an accommodation provided",
                           "number" if data.number is None else "how")
    return commands.ProvideAccommodation(number=data.number, how=data.how,
                                         **envelope)  # type: ignore[arg-type]


# Each route: its operation id's suffix, its body, the command it builds (None: chosen by the
# body), its path under the case, and its summary.
COMMANDS: list[tuple[str, type[schemas.Command], type[commands.CaseCommand] | None, str,
                     str]] = [
    ("log_interaction", schemas.InteractionBody, commands.LogInteraction, "interactions",
     "Log an interaction"),
    ("assign", schemas.AssignBody, commands.AssignCase, "assign", "Assign to a staff member"),
    ("transfer", schemas.TransferBody, commands.TransferCase, "transfer",
     "Transfer to another department"),
    ("acknowledge", schemas.AcknowledgeBody, commands.AcknowledgeCase, "acknowledge",
     "Acknowledge the customer"),
    ("interim_response", schemas.InterimResponseBody, commands.SendInterimResponse,
     "interim-response", "Send an interim response"),
    ("wait", schemas.WaitBody, commands.WaitOnCustomer, "wait",
     "Wait on the customer (pauses pausable targets)"),
    ("customer_responded", schemas.CustomerRespondedBody, commands.RecordCustomerResponse,
     "customer-responded", "Record the customer's response"),
    ("resolve", schemas.ResolveBody, commands.ResolveCase, "resolve", "Resolve"),
    ("reopen", schemas.ReopenBody, commands.ReopenCase, "reopen", "Reopen"),
    ("close", schemas.CloseBody, commands.CloseCase, "close", "Close"),
    ("classify", schemas.ClassifyBody, commands.ClassifyCase, "classify",
     "Classify as complaint or feedback"),
    ("escalate", schemas.EscalateBody, commands.EscalateComplaint, "escalate",
     "Escalate a complaint one level"),
    ("debrief", schemas.DebriefBody, commands.DebriefComplaint, "debrief",
     "Debrief an escalated complaint"),
    ("accommodation", schemas.AccommodationBody, None, "accommodations",
     "Request or provide an accessibility accommodation, or record that it cannot be made "
     "at that time (the customer told why and offered an alternative)"),
    ("survey", schemas.SurveyBody, commands.AnswerSurvey, "survey",
     "Record a satisfaction survey answer"),
    # Appointments (domain.appointments): a slot of the desk's hours with a place left.
    ("book_appointment", schemas.BookAppointmentBody, commands.BookAppointment, "appointment",
     "Book an appointment in a slot of the desk's hours (422 naming starts_at when closed, "
     "outside hours, past or full)"),
    ("reschedule_appointment", schemas.RescheduleAppointmentBody,
     commands.RescheduleAppointment, "appointment/reschedule",
     "Move the booked appointment to another slot"),
    ("cancel_appointment", schemas.CancelAppointmentBody, commands.CancelAppointment,
     "appointment/cancel", "Cancel the booked appointment, freeing its place"),
    ("record_attendance", schemas.AttendanceBody, commands.RecordAttendance,
     "appointment/attended", "Record that the customer came to the appointment"),
    ("record_no_show", schemas.AttendanceBody, commands.RecordNoShow,
     "appointment/no-show", "Record that the customer did not come to the appointment"),
]


@post("/api/v1/cases", operation_id="case_receive", tags=["cases"], status_code=201,
      guards=[authenticated], opt={IDEMPOTENT: True},
      dependencies={"actor": Provide(current_actor, sync_to_thread=False)},
      summary="Receive a new case",
      description="A new customer made from `contact` is answered with `customer_matches`: "
                  "the live customers already on record whose email or phone is exactly the "
                  "contact's (each suggestion logged in the access log). Staff who confirm one "
                  "merge the new record into it (`POST /api/v1/customers/{customer_id}/merge`, "
                  f"`into` the match). Errors: {COMMAND_ERRORS}.",
      responses=problem_docs(400, 401, 403, 409, 413, 422))
async def receive_case(request: Request[Any, Any, Any], data: schemas.NewCase,
                       actor: Actor, desk: ServiceDesk, access_log: AccessLog,
                       duplicate_candidates: Any) -> Response[schemas.ReceivedCase]:
    # Async with an explicit worker thread: Litestar 2.25 wraps a sync_to_thread handler twice
    # when another handler (the case list) shares its path, and the response is lost.
    return await anyio.to_thread.run_sync(partial(_receive, request, data, actor, desk,
                                                  access_log, duplicate_candidates))


def _receive(request: Request[Any, Any, Any], data: schemas.NewCase, actor: Actor,
             desk: ServiceDesk, access_log: AccessLog,
             duplicate_candidates: Any) -> Response[schemas.ReceivedCase]:
    answer = answered_command(request, actor, partial(
        desk.handle, actor, receive_command(data), idempotency(request, data)), 201, desk,
        access_log)
    found = suggested_matches(request, actor, data, answer.content, desk, access_log)
    received = schemas.ReceivedCase(
        **msgspec.structs.asdict(answer.content), customer_matches=found,
        duplicate_suggestions=suggested_duplicates(request, actor, UUID(answer.content.id),
                                                   desk, duplicate_candidates, access_log))
    return Response(received, status_code=answer.status_code, headers=answer.headers)


def suggested_matches(request: Request[Any, Any, Any], actor: Actor, data: schemas.NewCase,
                      case: schemas.CaseView, desk: ServiceDesk,
                      access_log: AccessLog) -> list[schemas.CustomerMatchView]:
    """The customers on record whom a new customer's contact matches by email or phone, each
    logged (with the fields it matched on) before the answer names them. A replay finds them
    again (and logs them again): they are what the desk holds now."""
    if data.customer_id is not None or data.contact is None:
        return []
    contact = {"email": data.contact.email or "", "phone": data.contact.phone or ""}
    new = UUID(case.customer_id) if case.customer_id is not None else None
    found = customer_records.matches(desk, actor, contact, new)
    for on in sorted({m.matched_on for m in found}):
        access_log.record(actor, [m.customer_id for m in found if m.matched_on == on],
                          route_of(request), tuple(f"match:{field}" for field in on))
    return [schemas.CustomerMatchView(customer_id=str(m.customer_id),
                                      matched_on=list(m.matched_on))  # type: ignore[arg-type]
            for m in found]


def receive_command(data: schemas.NewCase) -> commands.ReceiveCase:
    """The command a staff receipt's body asks for: with the customer staff confirmed, or
    what the body says of a new one."""
    return commands.ReceiveCase(
        channel=data.channel, received_at=data.received_at, purpose=data.purpose,
        service_code=data.service_code, department=data.department, subject=data.subject,
        description=data.description, customer=customer_of(data),
        wait_seconds=data.wait_seconds, desk=data.desk, classification=data.classification)


def customer_of(data: schemas.NewCase) -> Intake | UUID | None:
    """The confirmed customer's id, or what the body says of a new one."""
    if data.customer_id is not None:
        if data.contact is not None or data.accessibility_needs is not None:
            raise InvalidValue("give customer_id or contact, not both: a confirmed customer's "
                               "details are corrected on their record",
                               "contact" if data.contact is not None else "accessibility_needs")
        return data.customer_id
    contact = data.contact or schemas.Contact()
    personal = {k: v for k, v in (("name", contact.name), ("email", contact.email),
                                  ("phone", contact.phone), ("address", contact.address),
                                  ("accessibility_needs", data.accessibility_needs))
                if v is not None and v.strip()}
    return Intake(personal=personal, kind=contact.kind,
                  preferred_contact=contact.preferred_contact, language=contact.language,
                  consent_to_contact=contact.consent_to_contact)


class CaseController(Controller):
    path = "/api/v1/cases"
    tags = ["cases"]
    guards = [authenticated]
    dependencies = {"actor": Provide(current_actor, sync_to_thread=False)}

    @get("/{case_id:uuid}", operation_id="case_get", summary="One case", sync_to_thread=True,
         responses=problem_docs(400, 401, 404))
    def get_case(self, request: Request[Any, Any, Any], case_id: UUID, actor: Actor,
                 desk: ServiceDesk, access_log: AccessLog) -> schemas.CaseView:
        return view_of(request, actor, desk.view_case(actor, case_id), desk, access_log)

    @get("/by-reference/{reference:str}", operation_id="case_by_reference",
         summary="One case, found by the reference a caller quotes", sync_to_thread=True,
         description="The case numbered `reference` (such as SC-2026-000123; letter case "
                     "and surrounding spaces do not matter), exactly as `GET "
                     "/api/v1/cases/{case_id}` shows it, access-checked and logged alike. "
                     "Errors: 401, 404 (no such case, or another department's), 422 (not a "
                     "reference), as application/problem+json.",
         responses=problem_docs(400, 401, 404, 422))
    def get_by_reference(self, request: Request[Any, Any, Any], reference: str, actor: Actor,
                         desk: ServiceDesk, access_log: AccessLog) -> schemas.CaseView:
        case_id = Case.create_id(parse_reference(reference))
        return view_of(request, actor, desk.get_case(actor, case_id), desk, access_log)

    @get("/{case_id:uuid}/survey-link", operation_id="case_survey_link", sync_to_thread=True,
         summary="The customer's survey link, for staff to give them",
         description="The case's one survey link (made when the case is first resolved, if a "
                     "customer is on record; valid 30 days; answered once at "
                     "`/survey/{token}`, add `?lang=fr` for French) and its state: `none` "
                     "(no link), `open`, `answered` (the customer answered through it) or "
                     "`expired`. Errors: 401, 404 (no such case, or another department's), "
                     "as application/problem+json.",
         responses=problem_docs(400, 401, 404))
    def survey_link(self, case_id: UUID, actor: Actor, desk: ServiceDesk,
                    survey_links: SurveyLinks | None) -> schemas.SurveyLinkView:
        case = desk.view_case(actor, case_id)
        link = case.survey_link
        path = survey_path(survey_links, case) if survey_links is not None else None
        if link is None or path is None:
            return schemas.SurveyLinkView(state="none")
        state: Literal["open", "answered", "expired"] = (
            "answered" if link["answered_at"] is not None
            else "expired" if desk.clock() >= link["expires_at"] else "open")
        return schemas.SurveyLinkView(
            state=state, path=path, issued_at=schemas.utc(link["issued_at"]),
            expires_at=schemas.utc(link["expires_at"]),
            answered_at=schemas.utc(link["answered_at"]))

    @get("/{case_id:uuid}/history", operation_id="case_history", sync_to_thread=True,
         responses=problem_docs(400, 401, 404, 422),
         summary="Every event of the case, and its state as of a time or version")
    def history(self, request: Request[Any, Any, Any], case_id: UUID, actor: Actor,
                desk: ServiceDesk, access_log: AccessLog,
                version: int | None = Parameter(query="version", ge=1, le=LAST_POSITION,
                                                default=None),
                as_of: str | None = Parameter(query="as_of", default=None),
                ) -> CaseHistory:
        record = case_history(desk, actor, case_id, version=version, as_of=as_of)
        disclose(request, actor, case_id, HISTORY_FIELDS, access_log)
        return record


command_router = Router(
    path="/api/v1/cases",
    tags=["case commands"],
    guards=[authenticated],
    dependencies={"actor": Provide(current_actor, sync_to_thread=False)},
    route_handlers=[_command_handler(name, body, kind, f"/{{case_id:uuid}}/{path}", summary)
                    for name, body, kind, path, summary in COMMANDS],
)
