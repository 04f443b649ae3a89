"""The outbox's channels: the moment the desk began to send messages by itself on each, email
to customers and webhooks to the Town's systems. A channel owes messages only for events
recorded after it opened, so switching email on for a desk that already holds years of cases
(or that delivered webhooks for a while) sends none of them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.actors import Actor
from domain.errors import InvalidValue

OUTBOX_NAMESPACE = uuid5(NAMESPACE_URL, "https://civicdesk.example/outbox")
EMAIL, WEBHOOKS = "email", "webhooks"
CHANNELS = (EMAIL, WEBHOOKS)


class Outbox(Aggregate):
    """Started once; each channel opened once, the first time a server runs with it."""

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
        self.channels: dict[str, datetime] = {}

    def open(self, channels: Iterable[str], *, actor: Actor, now: datetime) -> None:
        """Open each of `channels` not yet open (a channel opens once)."""
        for channel in channels:
            if channel not in CHANNELS:
                raise InvalidValue(f"no outbox channel {channel!r}", "channel")
            if channel not in self.channels:
                self._channel_opened(channel=channel, occurred_at=now, actor_id=actor.id,
                                     actor_role=actor.role.value)

    @event("ChannelOpened")
    def _channel_opened(self, channel: str, occurred_at: datetime, actor_id: str,
                        actor_role: str) -> None:
        self.channels[channel] = occurred_at
