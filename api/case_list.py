"""`GET /api/v1/cases`: the case index, filtered, newest first, in opaque-cursor pages."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import anyio
import msgspec
from litestar import Request, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery, QueryParameter, SkipValidation

from api.auth import authenticated, current_actor
from api.cases import disclose
from api.problems import Problem as Problem  # re-exported: some routes import it from here
from api.problems import problem_doc
from api.read_your_writes import LAST_POSITION, WAIT_SECONDS, ReadYourWrites
from api.schemas import ChannelName, utc
from application.desk import ServiceDesk
from application.queries import (
    CASE_INDEX_NAME,
    DEFAULT_PAGE,
    MAX_PAGE,
    CaseIndexQuery,
    CaseSummary,
    visible_departments,
)
from domain.actors import Actor
from infrastructure.access_log import AccessLog

StatusName = Literal["open", "waiting_on_customer", "resolved", "closed"]
TargetName = Literal["acknowledge", "interim_response", "respond", "resolve", "answer_wait",
                     "serve_wait"]
TargetStateName = Literal["pending", "at_risk", "met", "breached", "met_late"]
OrderName = Literal["received", "next_due"]


class CaseListItem(msgspec.Struct):
    id: str
    reference: str
    status: str
    channel: str
    department: str
    service_code: str | None
    purpose: str
    subject: str
    assignee: str | None
    classification: str | None
    complaint: bool
    escalation_level: str | None
    received_at: datetime
    updated_at: datetime
    version: int
    transfers: int
    next_due_at: datetime | None  # soonest due time of a live, running target (None: none)
    next_target: str | None


class CaseList(msgspec.Struct):
    as_of: datetime  # the moment target states were judged at
    items: list[CaseListItem]
    next_cursor: str | None


LIST_FIELDS = ("subject",)  # the one personal member of a listed case

def item(row: CaseSummary) -> CaseListItem:
    return CaseListItem(
        id=str(row.id), reference=row.reference, status=row.status, channel=row.channel,
        department=row.department, service_code=row.service_code, purpose=row.purpose,
        subject=row.subject, assignee=row.assignee, classification=row.classification,
        complaint=row.complaint, escalation_level=row.escalation_level,
        received_at=row.received_at, updated_at=row.updated_at, version=row.version,
        transfers=row.transfers, next_due_at=row.next_due_at, next_target=row.next_target)


@get("/api/v1/cases", operation_id="case_list", tags=["cases"], summary="List cases",
     guards=[authenticated],
     dependencies={"actor": Provide(current_actor, sync_to_thread=False)},
     description=(
         "Cases from the case index, newest received first (ties by id), or with "
         "`order=next_due` the soonest due first: overdue work first, cases with nothing "
         "due (met, paused or without targets) last. `target_state` keeps the cases with a "
         "target in that state now (judged on its desk's business calendar as of `as_of`), "
         "`target` narrows it to one target (alone: the cases that have it). Staff and "
         "managers see their departments' cases; other roles see all. Pass `next_cursor` as "
         "`after` for the next page, with the same `order`. `min_position` (an "
         "`X-Civicdesk-Position` a command answered) "
         f"waits up to {WAIT_SECONDS:g} s for the index to include that command. Errors: 400 "
         "(malformed parameter), 401, 422 (bad cursor, position beyond the log), 503 "
         "(index not there yet; see Retry-After), as application/problem+json."),
     responses={400: problem_doc("A parameter is malformed"),
                401: problem_doc("No valid bearer token"),
                422: problem_doc("The cursor or position is not valid"),
                503: problem_doc("The case index has not reached `min_position` yet")})
async def case_list(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    access_log: NamedDependency[AccessLog],
    desk: NamedDependency[ServiceDesk],
    case_index: NamedDependency[SkipValidation[CaseIndexQuery]],
    read_your_writes: NamedDependency[ReadYourWrites],
    department: Annotated[str | None, QueryParameter(min_length=1, max_length=64)] = None,
    status: FromQuery[StatusName | None] = None,
    channel: FromQuery[ChannelName | None] = None,
    assignee: Annotated[str | None, QueryParameter(min_length=1, max_length=200)] = None,
    reference: Annotated[str | None, QueryParameter(
        min_length=1, max_length=40,
        description="only the case with this reference (SC-2026-000123)")] = None,
    complaint: Annotated[bool | None, QueryParameter(
        description="only complaints (true), or only other cases (false)")] = None,
    target: FromQuery[TargetName | None] = None,
    target_state: FromQuery[TargetStateName | None] = None,
    order: FromQuery[OrderName] = "received",
    after: Annotated[str | None, QueryParameter(
        max_length=512, description="the `next_cursor` of the previous page")] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
    min_position: Annotated[int | None, QueryParameter(
        ge=0, le=LAST_POSITION,
        description="wait until the index includes this log position")] = None,
) -> CaseList:
    # Async with an explicit worker thread, like `receive_case` on the same path: Litestar
    # 2.25 wraps a sync_to_thread handler twice when another handler joins its path later.
    def page() -> CaseList:
        read_your_writes.wait_for(request, min_position, CASE_INDEX_NAME)
        now = utc(desk.clock())
        assert now is not None
        rows, next_cursor = case_index.list_cases(
            visible_departments(actor), department=department, status=status,
            channel=channel, assignee=assignee, reference=reference, complaint=complaint,
            target=target,
            target_state=target_state, order=order, now=now,
            after=after, limit=limit)
        # A case's subject may name a person or an address: the listed cases are logged.
        disclose(request, actor, [row.id for row in rows], LIST_FIELDS, access_log)
        return CaseList(as_of=now, items=[item(row) for row in rows], next_cursor=next_cursor)

    return await anyio.to_thread.run_sync(page)
