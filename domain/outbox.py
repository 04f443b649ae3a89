"""The outbox's start: the moment the desk began to send messages by itself (email to
customers, webhooks to the Town's systems). Messages are owed only for events recorded after
it, so switching email on for a desk that already holds years of cases sends none of them."""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.actors import Actor

OUTBOX_NAMESPACE = uuid5(NAMESPACE_URL, "https://civicdesk.example/outbox")


class Outbox(Aggregate):
    """Started once, the first time a server runs with email or webhooks configured."""

    @staticmethod
    def create_id() -> UUID:
        """One outbox per desk: the same id everywhere, so a second start conflicts."""
        return uuid5(OUTBOX_NAMESPACE, "outbox")

    @classmethod
    def start(cls, *, actor: Actor, now: datetime) -> Outbox:
        return cls(occurred_at=now, actor_id=actor.id, actor_role=actor.role.value)

    class Started(Aggregate.Created):
        occurred_at: datetime
        actor_id: str
        actor_role: str

    @event(Started)
    def __init__(self, occurred_at: datetime, actor_id: str, actor_role: str) -> None:
        self.started_at = occurred_at
