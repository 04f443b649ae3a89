"""`GET /api/v1/cases`: the case index, filtered, newest first, in opaque-cursor pages."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import anyio
import msgspec
from litestar import Request, get
from litestar.di import NamedDependency, Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromQuery, QueryParameter

from api.auth import authenticated, current_actor
from api.problems import Problem as Problem  # re-exported: some routes import it from here
from api.problems import problem_doc
from api.read_your_writes import WAIT_SECONDS, wait_for
from api.schemas import ChannelName
from application.queries import (
    CASE_INDEX_NAME,
    DEFAULT_PAGE,
    MAX_PAGE,
    CaseIndexQuery,
    CaseSummary,
    visible_departments,
)
from domain.actors import Actor

StatusName = Literal["open", "waiting_on_customer", "resolved", "closed"]


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


class CaseList(msgspec.Struct):
    items: list[CaseListItem]
    next_cursor: str | None


def _problem(description: str) -> ResponseSpec:
    return problem_doc(description)


def item(row: CaseSummary) -> CaseListItem:
    return CaseListItem(
        id=str(row.id), reference=row.reference, status=row.status, channel=row.channel,
        department=row.department, service_code=row.service_code, purpose=row.purpose,
        subject=row.subject, assignee=row.assignee, classification=row.classification,
        complaint=row.complaint, escalation_level=row.escalation_level,
        received_at=row.received_at, updated_at=row.updated_at, version=row.version,
        transfers=row.transfers)


@get("/api/v1/cases", operation_id="case_list", tags=["cases"], summary="List cases",
     guards=[authenticated],
     dependencies={"actor": Provide(current_actor, sync_to_thread=False)},
     description=(
         "Cases newest received first (ties by id), from the case index. Staff and managers "
         "see their departments' cases; other roles see all. Pass `next_cursor` as `after` "
         "for the next page. `min_position` (an `X-Civicdesk-Position` a command answered) "
         f"waits up to {WAIT_SECONDS:g} s for the index to include that command. Errors: 400 "
         "(malformed parameter), 401, 422 (bad cursor, position beyond the log), 503 "
         "(index not there yet; see Retry-After), as application/problem+json."),
     responses={400: _problem("A parameter is malformed"),
                401: _problem("No valid bearer token"),
                422: _problem("The cursor or position is not valid"),
                503: _problem("The case index has not reached `min_position` yet")})
async def case_list(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    department: Annotated[str | None, QueryParameter(min_length=1, max_length=64)] = None,
    status: FromQuery[StatusName | None] = None,
    channel: FromQuery[ChannelName | None] = None,
    assignee: Annotated[str | None, QueryParameter(min_length=1, max_length=200)] = None,
    complaint: Annotated[bool | None, QueryParameter(
        description="only complaints (true), or only other cases (false)")] = None,
    after: Annotated[str | None, QueryParameter(
        max_length=512, description="the `next_cursor` of the previous page")] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
    min_position: Annotated[int | None, QueryParameter(
        ge=0, description="wait until the index includes this log position")] = None,
) -> CaseList:
    # Async with an explicit worker thread, like `receive_case` on the same path: Litestar
    # 2.25 wraps a sync_to_thread handler twice when another handler joins its path later.
    def page() -> CaseList:
        if min_position is not None:
            wait_for(request, min_position, CASE_INDEX_NAME)
        index: CaseIndexQuery = request.app.state.case_index
        rows, next_cursor = index.list_cases(
            visible_departments(actor), department=department, status=status,
            channel=channel, assignee=assignee, complaint=complaint, after=after, limit=limit)
        return CaseList(items=[item(row) for row in rows], next_cursor=next_cursor)

    return await anyio.to_thread.run_sync(page)
