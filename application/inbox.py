"""A person's inbox: the items addressed to them or to a department they act for, and marking
one read. The inbox read model (projections/inbox.py) implements `InboxQuery`."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError, RecordConflictError

from application.access import READ_ONLY
from application.desk import ServiceDesk
from domain.actors import Actor, Role
from domain.errors import Forbidden, NotFound
from domain.inbox import Addressee, InboxItemRead, department, person

INBOX_NAME = "inbox"  # the read model behind InboxQuery, by name


class ReadState(StrEnum):
    UNREAD = "unread"
    READ = "read"
    ALL = "all"


@dataclass(frozen=True)
class InboxItem:
    id: UUID
    addressee: str  # `person:<staff id>` or `department:<code>`
    kind: str  # domain.inbox.ItemKind
    case_id: UUID
    reference: str
    department: str
    target: str | None  # an alert's target
    due_at: datetime | None  # ... and its due time
    note: str | None  # a mention's note
    by: str  # who wrote the note; the scheduler for an alert
    occurred_at: datetime
    read_at: datetime | None  # when the reader marked it read


class InboxQuery(Protocol):
    def items(self, addressees: list[Addressee], reader: str, *, state: ReadState,
              after: str | None, limit: int) -> tuple[list[InboxItem], str | None]:
        """One page of the items addressed to any of `addressees`, newest first, as `reader`
        has read them, and the cursor of the next page (None on the last). Raises
        InvalidValue (field `after`) for a bad cursor."""
        ...

    def item(self, item_id: UUID, addressees: list[Addressee]) -> InboxItem | None:
        """The item, if it is addressed to one of `addressees`."""
        ...


# Who has an inbox: people who work cases. Auditors and clerks read the record, not alerts.
INBOX_ROLES = {Role.CSR, Role.STAFF, Role.MANAGER, Role.DIRECTOR, Role.ADMIN}


def addressees_of(actor: Actor) -> list[Addressee]:
    """What the actor reads: their own items and their departments'. Raises Forbidden for a
    role with no inbox."""
    if actor.role not in INBOX_ROLES or actor.role in READ_ONLY:
        raise Forbidden(f"the {actor.role.value} role has no inbox")
    return [person(actor.id), *(department(code) for code in sorted(actor.departments))]


def mark_read(desk: ServiceDesk, inbox: InboxQuery, actor: Actor, item_id: UUID) -> datetime:
    """Mark the item read for the actor (their own read, also for a department's item);
    marking it again changes nothing. Returns when it was (first) marked read. Raises
    Forbidden, NotFound (no such item in the actor's inbox)."""
    addressees = addressees_of(actor)
    item = inbox.item(item_id, addressees)
    if item is None:
        raise NotFound(f"no inbox item {item_id}")
    mark_id = InboxItemRead.create_id(item_id, actor.id)
    try:
        existing: object = desk.repository.get(mark_id)
    except AggregateNotFoundError:  # not read yet
        existing = None
    if isinstance(existing, InboxItemRead):
        return existing.read_at
    mark = InboxItemRead(item=item_id, reader=actor.id, read_at=desk.clock())
    # Marked read by a concurrent request of the same reader: one mark stands.
    with contextlib.suppress(RecordConflictError, IntegrityError):
        desk.save(mark)
    return mark.read_at
