"""The outbox's commands: starting it (the cut-off for the backlog) and sending a parked
message again (administrators)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol
from uuid import UUID

from eventsourcing.persistence import IntegrityError, RecordConflictError

from application.commands import RequeueNotification
from application.desk import IdempotencyKey, Outcome, ServiceDesk
from domain.actors import Actor, Role
from domain.errors import Forbidden, NotFound, RuleViolated
from domain.notices import OUTBOX
from domain.outbox import CHANNELS, Outbox

PARKED = "parked"


class MessageStates(Protocol):
    """The outbox read model, as far as requeueing needs it."""

    def state_of(self, key: str) -> tuple[UUID, str] | None:
        """The case and delivery state of message `key` (None: no such message)."""


def start_outbox(desk: ServiceDesk, channels: Iterable[str] = CHANNELS) -> bool:
    """Record that the outbox sends on `channels` from now on, unless each already does;
    whether this call opened any. Two servers starting at once: one records it, the other's
    save conflicts, and it looks again."""
    for _ in range(3):
        outbox = (desk.repository.get(Outbox.create_id())
                  if Outbox.create_id() in desk.repository
                  else Outbox.start(actor=OUTBOX, now=desk.clock()))
        assert isinstance(outbox, Outbox)
        outbox.open(channels, actor=OUTBOX, now=desk.clock())
        if not outbox.pending_events:
            return False  # every channel was open already
        try:
            desk.save(outbox)
            return True
        except (RecordConflictError, IntegrityError):
            continue
    return False


def requeue(desk: ServiceDesk, actor: Actor, messages: MessageStates, key: str,
            reason: str = "", idempotency: IdempotencyKey | None = None) -> Outcome:
    """Put the parked message `key` back in the queue, recorded on its case as
    `NotificationRequeued` by `actor`. Raises Forbidden (not an administrator), NotFound (no
    such message), RuleViolated (the message is not parked)."""
    if actor.role != Role.ADMIN:
        raise Forbidden("only an administrator sends a parked message again")
    found = messages.state_of(key)
    if found is None:
        raise NotFound(f"no outbox message {key}")
    case_id, state = found
    if state != PARKED:
        raise RuleViolated(f"outbox message {key} is {state}; only a parked message is "
                           "sent again", "key")
    return desk.handle(actor, RequeueNotification(case_id=case_id, message_key=key,
                                                  reason=reason), idempotency)
