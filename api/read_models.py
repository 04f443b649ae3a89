"""Read-model routes: the work queues, the SLA board and the complaint register.

Every route needs a bearer token. CSRs, directors, clerks, auditors and administrators see every
department; staff and managers see their own departments' cases only: naming another
department (in the path or `department=`) is 403, an unknown department 404 in the path and 422
in a query parameter, and the assignee, channel and intake queues and the unfiltered board and
register list only their departments' rows. States (pending, at risk, breached) are judged when
the request is served, on the desk's business calendar, and `as_of` says when that was.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, QueryParameter, SkipValidation

from api.auth import authenticated, current_actor
from api.plain_text import PERIOD_CHARACTERS
from api.problems import problem_doc
from api.read_your_writes import LAST_POSITION, ReadYourWrites
from api.schemas import Escalation, TargetView, target_view, utc
from application.complaint_register import (
    COMPLAINT_REGISTER_NAME,
    ComplaintEntry,
    ComplaintRegisterQuery,
    received_between,
)
from application.desk import ServiceDesk
from application.queries import DEFAULT_PAGE, MAX_PAGE, visible_departments
from application.work_queues import (
    QUEUES_NAME,
    QueueEntry,
    QueueQuery,
    SlaBoardQuery,
    check_sees_department,
)
from domain.actors import Actor
from domain.errors import InvalidValue, NotFound
from domain.values import Channel

LevelName = Literal["front_line", "department_manager", "director", "cao", "ombudsman"]
StatusName = Literal["open", "waiting_on_customer", "resolved", "closed"]
OutcomeName = Literal["open", "resolved", "closed"]


class QueueItem(msgspec.Struct):
    id: str
    reference: str
    status: str
    department: str
    assignee: str | None
    channel: str
    complaint: bool
    received_at: datetime
    age_business_seconds: int
    transfers: int
    version: int
    next_target: str | None
    next_due_at: datetime | None
    sla_state: str | None
    targets: list[TargetView]
    priority: str | None = None  # set by a routing rule (low, normal, high, urgent)


class QueuePage(msgspec.Struct):
    as_of: datetime
    items: list[QueueItem]
    next_cursor: str | None


class DepartmentCounts(msgspec.Struct):
    department: str
    pending: int
    at_risk: int
    breached: int


class BoardItem(msgspec.Struct):
    case_id: str
    reference: str
    department: str
    assignee: str | None
    target: str
    title: str
    state: str
    due_at: datetime
    basis: str
    remaining_seconds: int
    overdue_seconds: int
    paused: bool


class SlaBoardPage(msgspec.Struct):
    as_of: datetime
    departments: list[DepartmentCounts]
    items: list[BoardItem]
    next_cursor: str | None


class DebriefView(msgspec.Struct):
    cause: str
    actions: str
    edi_findings: str
    accessibility_findings: str
    at: datetime


class ComplaintItem(msgspec.Struct):
    id: str
    reference: str
    department: str
    received_at: datetime
    classified_at: datetime
    level: str
    escalations: list[Escalation]
    owner: str | None
    owners: list[str]
    status: str
    outcome: str
    resolved_at: datetime | None
    closed_at: datetime | None
    debrief: DebriefView | None


class ComplaintPage(msgspec.Struct):
    items: list[ComplaintItem]
    next_cursor: str | None


NOT_REACHED = problem_doc("The read model has not reached `min_position` yet")
LIST_ERRORS = {400: problem_doc("A parameter is malformed"),
               401: problem_doc("No valid bearer token"),
               422: problem_doc("The cursor, a filter value or the position is not valid"),
               503: NOT_REACHED}
FILTER_ERRORS = {**LIST_ERRORS, 403: problem_doc("The department is not one of the caller's")}
DEPARTMENT_ERRORS = {**FILTER_ERRORS, 404: problem_doc("No such department")}
After = Annotated[str | None, QueryParameter(
    max_length=512, description="the `next_cursor` of the previous page")]
Limit = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)]
MinPosition = Annotated[int | None, QueryParameter(
    ge=0, le=LAST_POSITION, description="wait until the read model includes this log position")]
Department = Annotated[str | None, QueryParameter(min_length=1, max_length=64)]
QueueOrder = Annotated[Literal["due", "priority"], QueryParameter(
    description="`due` (the default): next due first; `priority`: the priority routing rules "
                "gave (urgent, high, normal or none, low), then next due. A cursor is for the "
                "order it was handed out in")]


def queue_item(entry: QueueEntry) -> QueueItem:
    return QueueItem(
        id=str(entry.id), reference=entry.reference, status=entry.status,
        department=entry.department, assignee=entry.assignee, channel=entry.channel,
        complaint=entry.complaint, received_at=entry.received_at,
        age_business_seconds=entry.age_business_seconds, transfers=entry.transfers,
        version=entry.version, next_target=entry.next_target, next_due_at=entry.next_due_at,
        sla_state=None if entry.sla_state is None else entry.sla_state.value,
        targets=[target_view(t) for t in entry.targets], priority=entry.priority)


def complaint_item(entry: ComplaintEntry) -> ComplaintItem:
    debrief = entry.debrief
    return ComplaintItem(
        id=str(entry.id), reference=entry.reference, department=entry.department,
        received_at=entry.received_at, classified_at=entry.classified_at, level=entry.level,
        escalations=[Escalation(from_level=s.from_level, to_level=s.to_level, reason=s.reason,
                                owner=s.owner, at=s.at) for s in entry.escalations],
        owner=entry.owner, owners=list(entry.owners), status=entry.status,
        outcome=entry.outcome, resolved_at=entry.resolved_at, closed_at=entry.closed_at,
        debrief=None if debrief is None else DebriefView(
            cause=debrief.cause, actions=debrief.actions, edi_findings=debrief.edi_findings,
            accessibility_findings=debrief.accessibility_findings, at=debrief.at))


# Given by name (api/dependencies.py); the read models are protocols, which a signature model
# cannot check.
Queues = NamedDependency[SkipValidation[QueueQuery]]
Board = NamedDependency[SkipValidation[SlaBoardQuery]]
Register = NamedDependency[SkipValidation[ComplaintRegisterQuery]]

def check_department(desk: ServiceDesk, actor: Actor, department: str,
                     field: str | None = None) -> None:
    """The department must exist (404, or 422 naming `field`) and be the actor's (403)."""
    if desk.find_department(department) is None:
        if field is not None:
            raise InvalidValue(f"no department {department!r}", field)
        raise NotFound(f"no department {department!r}")
    check_sees_department(actor, department)


class ReadModelController(Controller):
    path = "/api/v1"
    guards = [authenticated]
    dependencies = {"actor": Provide(current_actor, sync_to_thread=False)}

    def _queue(self, request: Request[Any, Any, Any], actor: Actor, desk: ServiceDesk,
               queues: QueueQuery, read_your_writes: ReadYourWrites, min_position: int | None,
               after: str | None, limit: int, order: str, **queue: Any) -> QueuePage:
        read_your_writes.wait_for(request, min_position, QUEUES_NAME)
        now = utc(desk.clock())
        assert now is not None
        entries, cursor = queues.queue(visible_departments(actor), now=now,
                                     calendars=desk.calendars(now), after=after, limit=limit,
                                     order=order, **queue)
        return QueuePage(as_of=now, items=[queue_item(e) for e in entries], next_cursor=cursor)

    @get("/queues/intake", operation_id="queue_intake", tags=["queues"], sync_to_thread=True,
         summary="The front desk's intake queue", responses=LIST_ERRORS,
         description=(
             "Open cases the front desk still holds: received by a CSR or submitted by the "
             "public, not assigned and never transferred. Ordered by the next due target "
             "(breached ones first, cases with nothing due last), then received, then id; "
             "`order=priority` puts the priority routing rules gave first (urgent, high, "
             "normal or none, low), then the same order."))
    def intake(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor],
               desk: NamedDependency[ServiceDesk], queues: Queues,
               read_your_writes: NamedDependency[ReadYourWrites],
               after: After = None, limit: Limit = DEFAULT_PAGE,
               min_position: MinPosition = None, order: QueueOrder = "due") -> QueuePage:
        return self._queue(request, actor, desk, queues, read_your_writes, min_position,
                           after, limit, order, intake=True)

    @get("/queues/assignee/{assignee:str}", operation_id="queue_assignee", tags=["queues"],
         sync_to_thread=True, summary="One person's queue",
         responses={**LIST_ERRORS, 404: problem_doc("No route: the path is not a queue")},
         description="Open cases assigned to `assignee`, next due first (see the intake queue).")
    def assignee(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor],
                 desk: NamedDependency[ServiceDesk], queues: Queues,
                 read_your_writes: NamedDependency[ReadYourWrites],
                 assignee: FromPath[str], after: After = None, limit: Limit = DEFAULT_PAGE,
                 min_position: MinPosition = None, order: QueueOrder = "due") -> QueuePage:
        return self._queue(request, actor, desk, queues, read_your_writes, min_position,
                           after, limit, order, assignee=assignee)

    @get("/queues/channel/{channel:str}", operation_id="queue_channel", tags=["queues"],
         sync_to_thread=True, summary="One channel's queue",
         responses={**LIST_ERRORS, 404: problem_doc("No such channel")},
         description="Open cases received on `channel`, next due first (see the intake queue).")
    def channel(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor],
                desk: NamedDependency[ServiceDesk], queues: Queues,
                read_your_writes: NamedDependency[ReadYourWrites],
                channel: FromPath[str],
                after: After = None, limit: Limit = DEFAULT_PAGE,
                min_position: MinPosition = None, order: QueueOrder = "due") -> QueuePage:
        if channel not in {c.value for c in Channel}:
            raise NotFound(f"no channel {channel!r}")
        return self._queue(request, actor, desk, queues, read_your_writes, min_position,
                           after, limit, order, channel=channel)

    @get("/queues/{department:str}", operation_id="queue_department", tags=["queues"],
         sync_to_thread=True, summary="One department's queue", responses=DEPARTMENT_ERRORS,
         description="Open cases the department owns, next due first (see the intake queue).")
    def department(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor],
                   desk: NamedDependency[ServiceDesk], queues: Queues,
                   read_your_writes: NamedDependency[ReadYourWrites],
                   department: FromPath[str], after: After = None, limit: Limit = DEFAULT_PAGE,
                   min_position: MinPosition = None, order: QueueOrder = "due") -> QueuePage:
        check_department(desk, actor, department)
        return self._queue(request, actor, desk, queues, read_your_writes, min_position,
                           after, limit, order, department=department)

    @get("/sla-board", operation_id="sla_board", tags=["queues"], sync_to_thread=True,
         summary="Targets pending, at risk and breached now, per department",
         responses=FILTER_ERRORS,
         description=(
             "Counts of the live targets of open cases (not met, not wait-time promises) per "
             "department, and the at-risk and breached ones, soonest due first, in pages. A "
             "paused target (waiting on the customer) keeps the state it had when paused."))
    def sla_board(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor],
                  desk: NamedDependency[ServiceDesk], sla_board: Board,
                  read_your_writes: NamedDependency[ReadYourWrites],
                  department: Department = None,
                  after: After = None, limit: Limit = DEFAULT_PAGE,
                  min_position: MinPosition = None) -> SlaBoardPage:
        if department is not None:
            check_department(desk, actor, department, "department")
        read_your_writes.wait_for(request, min_position, QUEUES_NAME)
        now = utc(desk.clock())
        assert now is not None
        board = sla_board.sla_board(visible_departments(actor), now=now,
                                    calendars=desk.calendars(now), department=department,
                                    after=after, limit=limit)
        return SlaBoardPage(
            as_of=now, next_cursor=board.next_cursor,
            departments=[DepartmentCounts(department=c.department, pending=c.pending,
                                          at_risk=c.at_risk, breached=c.breached)
                         for c in board.counts],
            items=[BoardItem(case_id=str(e.case_id), reference=e.reference,
                             department=e.department, assignee=e.assignee,
                             target=e.target.name, title=e.target.title,
                             state=e.target.state.value, due_at=e.target.due_at,
                             basis=e.basis, remaining_seconds=e.target.remaining_seconds,
                             overdue_seconds=e.overdue_seconds, paused=e.target.paused)
                   for e in board.entries])

    @get("/complaints", operation_id="complaint_register", tags=["complaints"],
         sync_to_thread=True, summary="The complaint register",
         responses=FILTER_ERRORS,
         description=(
             "Every complaint, first received first, with its escalation path, owners, "
             "outcome (open, resolved or closed; no resolution text) and debrief. Filters: "
             "department, current escalation `level`, case `status`, `outcome`, and the "
             "period received (`period` = 2026, 2026-Q3 or 2026-07, or `from` and `to` "
             "dates; Toronto days)."))
    def complaints(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor],
                   desk: NamedDependency[ServiceDesk],
                   complaint_register: Register,
                   read_your_writes: NamedDependency[ReadYourWrites],
                   department: Department = None,
                   level: FromQuery[LevelName | None] = None,
                   status: FromQuery[StatusName | None] = None,
                   outcome: FromQuery[OutcomeName | None] = None,
                   period: Annotated[str | None, QueryParameter(
                       max_length=16, pattern=PERIOD_CHARACTERS,
                       description="2026, 2026-Q3 or 2026-07")] = None,
                   first: Annotated[str | None, QueryParameter(
                       name="from", max_length=10, pattern=PERIOD_CHARACTERS,
                       description="first day received, 2026-07-01 (with `to`)")] = None,
                   last: Annotated[str | None, QueryParameter(
                       name="to", max_length=10, pattern=PERIOD_CHARACTERS,
                       description="last day received, 2026-09-30 (with `from`)")] = None,
                   after: After = None, limit: Limit = DEFAULT_PAGE,
                   min_position: MinPosition = None) -> ComplaintPage:
        if department is not None:
            check_department(desk, actor, department, "department")
        received_from, received_before = received_between(period, first, last)
        read_your_writes.wait_for(request, min_position, COMPLAINT_REGISTER_NAME)
        entries, cursor = complaint_register.complaints(
            visible_departments(actor), department=department, level=level, status=status,
            outcome=outcome, received_from=received_from, received_before=received_before,
            after=after, limit=limit)
        return ComplaintPage(items=[complaint_item(e) for e in entries], next_cursor=cursor)
