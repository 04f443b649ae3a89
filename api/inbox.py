"""`GET /api/v1/inbox`: the caller's inbox (their own items and their departments'), newest
first, read or unread; `POST /api/v1/inbox/{id}/read` marks an item read for the caller.

Items: a note mentioning them or their department, a target of a case they are assigned to or
manage that became at risk, or a deadline missed (domain.inbox says who gets what).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter, SkipValidation

from api.auth import authenticated, current_actor
from api.problems import problem_doc
from api.read_models import After, Limit, MinPosition
from api.read_your_writes import ReadYourWrites
from application.desk import ServiceDesk
from application.inbox import (
    INBOX_NAME,
    InboxItem,
    InboxQuery,
    ReadState,
    addressees_of,
    mark_read,
)
from application.queries import DEFAULT_PAGE
from domain.actors import Actor
from domain.errors import NotFound


class InboxEntry(msgspec.Struct):
    id: UUID
    addressee: str  # `person:<staff id>` or `department:<code>`
    kind: str  # mention, at_risk or deadline_missed
    case_id: UUID
    reference: str
    department: str
    target: str | None
    due_at: datetime | None
    note: str | None
    by: str
    occurred_at: datetime
    read: bool
    read_at: datetime | None


class InboxPage(msgspec.Struct):
    items: list[InboxEntry]
    next_cursor: str | None


def entry(item: InboxItem) -> InboxEntry:
    return InboxEntry(id=item.id, addressee=item.addressee, kind=item.kind,
                      case_id=item.case_id, reference=item.reference,
                      department=item.department, target=item.target, due_at=item.due_at,
                      note=item.note, by=item.by, occurred_at=item.occurred_at,
                      read=item.read_at is not None, read_at=item.read_at)


Inbox = NamedDependency[SkipValidation[InboxQuery]]
StateName = Literal["unread", "read", "all"]
ERRORS = {400: problem_doc("A parameter is malformed"),
          401: problem_doc("No valid bearer token"),
          403: problem_doc("The role has no inbox (auditors, clerks, the privacy officer)")}


class InboxController(Controller):
    path = "/api/v1/inbox"
    tags = ["inbox"]
    guards = [authenticated]
    dependencies = {"actor": Provide(current_actor, sync_to_thread=False)}

    @get("/", operation_id="inbox", sync_to_thread=True,
         summary="The caller's inbox: mentions and alerts, newest first",
         description="Items addressed to the caller (their staff id) or to a department "
                     "they act for. `state` keeps the unread or the read ones (default all); "
                     "read is per person, also for a department's item.",
         responses={**ERRORS, 422: problem_doc("The cursor or the position is not valid"),
                    503: problem_doc("The inbox has not reached `min_position` yet")})
    def inbox(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor],
              inbox: Inbox, read_your_writes: NamedDependency[ReadYourWrites],
              wanted: Annotated[StateName, QueryParameter(
                  name="state", description="unread, read or all")] = "all",
              after: After = None, limit: Limit = DEFAULT_PAGE,
              min_position: MinPosition = None) -> InboxPage:
        addressees = addressees_of(actor)
        read_your_writes.wait_for(request, min_position, INBOX_NAME)
        items, cursor = inbox.items(addressees, actor.id, state=ReadState(wanted), after=after,
                                    limit=limit)
        return InboxPage(items=[entry(i) for i in items], next_cursor=cursor)

    @post("/{item_id:uuid}/read", operation_id="inbox_mark_read", sync_to_thread=True,
          status_code=200, summary="Mark an inbox item read for the caller",
          description="Marking it again changes nothing; the answer is the item as read.",
          responses={**ERRORS, 404: problem_doc("No such item in the caller's inbox")})
    def mark_read(self, actor: NamedDependency[Actor], desk: NamedDependency[ServiceDesk],
                  inbox: Inbox, item_id: UUID) -> InboxEntry:
        read_at = mark_read(desk, inbox, actor, item_id)
        item = inbox.item(item_id, addressees_of(actor))
        if item is None:  # it was there a moment ago: only a rebuild swap could hide it
            raise NotFound(f"no inbox item {item_id}")
        shown = entry(item)
        shown.read, shown.read_at = True, read_at
        return shown
