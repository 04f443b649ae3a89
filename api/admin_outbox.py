"""The administrators' view of the outbox: every message the desk owes customers, where its
delivery stands, and why a parked one failed (`GET /api/v1/admin/outbox`); and sending a
parked one again once the cause is fixed (`POST /api/v1/admin/outbox/requeue`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter

from api.auth import authenticated, current_actor
from api.cases import POSITION_HEADER, idempotency
from api.openapi_contract import IDEMPOTENT
from api.problems import described_problems, problem_docs
from api.read_models import Limit
from api.schemas import Body, Short
from application.access import check_operator
from application.desk import ServiceDesk
from application.outbox import requeue
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


class RequeueBody(Body, kw_only=True):
    key: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]  # the message's key
    reason: Short  # why it may succeed now, for the record (the case's NotificationRequeued)


class Requeued(msgspec.Struct):
    key: str
    case_id: UUID
    position: int  # the log position of the NotificationRequeued event


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
         summary="The outbox: messages owed to customers and the Town's systems, and where "
                 "each delivery stands",
         description="By key; `state=parked` lists the messages the mail server (or a "
                     "webhook receiver) kept refusing, with its last answer. Notices: "
                     "`acknowledgement`, `interim_response`, `transfer`, `resolution`, "
                     "`appointment`, `appointment_change`, `appointment_reminder` (the "
                     "last due the business day before the appointment), "
                     "`subscriber_resolution:<customer id>` (emails; the last to the "
                     "customer of a duplicate merged into the case), `event` (a shared event "
                     "fanning out to webhooks) and "
                     "`webhook:<name>` (one delivery).")
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

    @post("/requeue", operation_id="admin_outbox_requeue", sync_to_thread=True,
          status_code=202, opt={IDEMPOTENT: True},
          responses=described_problems(
              e400="The body is malformed or has unknown fields", e401="No valid bearer token",
              e403="Only administrators send a parked message again",
              e404="No outbox message has that key",
              e413="The body is larger than CIVICDESK_MAX_BODY_BYTES",
              e422="The message is not parked (names `key`)"),
          summary="Send a parked message again",
          description="Records `NotificationRequeued` on the message's case (who, when, why); "
                      "the outbox then tries it again as a new message (attempts from zero). "
                      "Only a parked message may be requeued.")
    def requeue_message(self, request: Request[Any, Any, Any], data: RequeueBody,
                        actor: NamedDependency[Actor], desk: NamedDependency[ServiceDesk],
                        outbox: NamedDependency[Any]) -> Response[Requeued]:
        outcome = requeue(desk, actor, outbox, data.key, data.reason,
                          idempotency(request, data))
        return Response(Requeued(key=data.key, case_id=outcome.case.id,
                                 position=outcome.position), status_code=202,
                        headers={POSITION_HEADER: str(outcome.position)})
