"""Keeping the staff directory (administrators) and reading it (administrators, and the
outbox worker that emails alerts to the people they reach)."""

from __future__ import annotations

from application.access import check_admin
from application.desk import ServiceDesk
from application.routing_admin import _load, _save
from domain.actors import Actor
from domain.errors import NotFound
from domain.staff_directory import StaffEntry, check_staff_id


def entry_of(desk: ServiceDesk, staff_id: str) -> StaffEntry | None:
    """The staff member's entry (None: none, or one opened with no address yet)."""
    found = _load(desk, StaffEntry, StaffEntry.create_id(staff_id))
    return found if found is not None and found.work_email is not None else None


def read_entry(desk: ServiceDesk, actor: Actor, staff_id: str) -> StaffEntry:
    """Raises Forbidden (not an administrator), InvalidValue, NotFound (no entry)."""
    check_admin(actor)
    check_staff_id(staff_id)
    found = entry_of(desk, staff_id)
    if found is None:
        raise NotFound(f"no directory entry for {staff_id}", "staff_id")
    return found


def set_entry(desk: ServiceDesk, actor: Actor, staff_id: str, *, work_email: str,
              language: str) -> StaffEntry:
    """Set the staff member's work email and language. Raises Forbidden, InvalidValue
    (`staff_id`, `work_email`, `language`), RuleViolated (no change), VersionConflict."""
    check_admin(actor)
    found = (_load(desk, StaffEntry, StaffEntry.create_id(staff_id))
             or StaffEntry.open(staff_id=staff_id))
    found.set(work_email=work_email, language=language, actor=actor)
    _save(desk, found, "someone else changed this directory entry; reload")
    return found
