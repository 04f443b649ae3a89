"""The administrators' view of the outbox: every message the desk owes customers, where its
delivery stands, and why a parked one failed (`GET /api/v1/admin/outbox`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter

from api.auth import authenticated, current_actor
from api.problems import problem_docs
from api.read_models import Limit
from application.access import check_operator
from application.queries import DEFAULT_PAGE
from domain.actors import Actor
from projections.outbox import Message

StateName = Literal["pending", "sending", "accepted", "sent", "skipped", "parked"]


class OutboxEntry(msgspec.Struct):
    """One message: no address or content, only what an operator needs to act."""

    key: str  # the case, the version of the event that caused it, and the notice
    case_id: UUID
    notice: str
    state: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    accepted_at: datetime | None
    last_error: str | None  # the mail server's last refusal, or why it was skipped


class OutboxPage(msgspec.Struct):
    messages: list[OutboxEntry]
    next_cursor: str | None


def entry(message: Message) -> OutboxEntry:
    return OutboxEntry(key=message.key, case_id=message.case_id, notice=message.notice,
                       state=message.state, attempts=message.attempts,
                       created_at=message.created_at, next_attempt_at=message.next_attempt_at,
                       accepted_at=message.accepted_at, last_error=message.last_error)


class OutboxController(Controller):
    path = "/api/v1/admin/outbox"
    tags = ["operations"]
    guards = [authenticated]
    dependencies = {"actor": Provide(current_actor, sync_to_thread=False)}

    @get("/", operation_id="admin_outbox", sync_to_thread=True,
         responses=problem_docs(400, 401, 403),
         summary="The outbox: messages owed to customers and where each delivery stands",
         description="Oldest first; `state=parked` lists the messages the mail server kept "
                     "refusing, with its last answer.")
    def outbox(self, actor: NamedDependency[Actor], outbox: NamedDependency[Any],
               wanted: Annotated[StateName | None, QueryParameter(
                   name="state", description="only messages in this state")] = None,
               after: Annotated[str | None, QueryParameter(
                   max_length=200, description="the `next_cursor` of the previous page")] = None,
               limit: Limit = DEFAULT_PAGE) -> OutboxPage:
        check_operator(actor)
        messages: list[Message] = (outbox.every(limit=limit, after=after or "")
                                   if wanted is None else
                                   outbox.in_states([wanted], limit=limit, after=after or "",
                                                    order_by_key=True))
        return OutboxPage(messages=[entry(m) for m in messages],
                          next_cursor=messages[-1].key if len(messages) == limit else None)
