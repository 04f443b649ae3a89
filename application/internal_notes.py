"""Adding an internal note to a case: staff write for each other and mention people and
departments, whose inboxes get the note (projections/inbox.py). Never shown to the public."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from application.commands import AddInternalNote
from application.desk import IdempotencyKey, Outcome, ServiceDesk
from domain.actors import Actor
from domain.errors import InvalidValue


def add_internal_note(desk: ServiceDesk, actor: Actor, case_id: UUID, note: str, *,
                      mention_people: tuple[str, ...] = (),
                      mention_departments: tuple[str, ...] = (),
                      expected_version: int | None = None, occurred_at: datetime | None = None,
                      idempotency: IdempotencyKey | None = None) -> Outcome:
    """Add the note. Raises NotFound, Forbidden, InvalidValue (a department mentioned that
    is not an active one: `mention_departments`), VersionConflict and IdempotencyKeyReused,
    as every case command does."""
    known = desk.known()
    for code in mention_departments:
        found = known.department(code.strip())
        if found is None or not found.active:
            raise InvalidValue(f"no active department {code!r}", "mention_departments")
    return desk.handle(actor, AddInternalNote(
        case_id=case_id, note=note, mention_people=tuple(mention_people),
        mention_departments=tuple(mention_departments), expected_version=expected_version,
        occurred_at=occurred_at), idempotency)


def internal_notes(desk: ServiceDesk, actor: Actor, case_id: UUID) -> list[dict[str, Any]]:
    """The case's internal notes, oldest first, for whoever may see the case (not the
    public, who see no case through the desk). Raises NotFound."""
    return list(desk.view_case(actor, case_id).internal_notes)
