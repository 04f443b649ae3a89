"""Loading one aggregate of a known kind for the public channel, or NotFound in its words."""

from __future__ import annotations

from typing import TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from application.desk import ServiceDesk
from domain.errors import NotFound

A = TypeVar("A", bound=Aggregate)


def load(desk: ServiceDesk, kind: type[A], aggregate_id: UUID, missing: str) -> A:
    """The aggregate of that kind, or NotFound(missing)."""
    try:
        aggregate: Aggregate = desk.repository.get(aggregate_id)
    except AggregateNotFoundError:
        raise NotFound(missing) from None
    if not isinstance(aggregate, kind):
        raise NotFound(missing)
    return aggregate
