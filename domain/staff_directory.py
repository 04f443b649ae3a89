"""The staff directory: each member of staff's work email and language, kept by administrators,
so an alert about a case (domain.inbox) can also be emailed to the people it reaches.

A work address is not a customer's personal information (no vault key, no retention clock),
but it is still never written to the logs. Each entry is its own small aggregate, keyed by the
staff id (a token's `sub`), so no aggregate grows with the size of the staff."""

from __future__ import annotations

import re
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.actors import Actor
from domain.errors import InvalidValue, RuleViolated
from domain.notices import Language

STAFF_NAMESPACE = uuid5(NAMESPACE_URL, "https://civicdesk.example/staff-directory")
# One address, no display name, no spaces: enough to refuse a typo, not an RFC 5322 parser.
_PART = r"[^@\s<>,;\"\u0000-\u001f\u007f-\u009f]"  # no control characters either
ADDRESS_PATTERN = rf"^{_PART}+@{_PART}+\.[^@\s<>,;\".\u0000-\u001f\u007f-\u009f]+$"
_ADDRESS = re.compile(ADDRESS_PATTERN)


def check_staff_id(staff_id: str) -> None:
    if not staff_id.strip() or len(staff_id) > 200 or not staff_id.isprintable():
        raise InvalidValue("a staff id is 1-200 printable characters", "staff_id")


def check_work_email(email: str) -> None:
    if len(email) > 254 or not _ADDRESS.match(email):
        raise InvalidValue("work_email must be one email address, like lee@cobourg.ca",
                           "work_email")


class StaffEntry(Aggregate):
    """One member of staff's directory entry."""

    @staticmethod
    def create_id(staff_id: str) -> UUID:
        return uuid5(STAFF_NAMESPACE, f"staff:{staff_id}")

    @classmethod
    def open(cls, *, staff_id: str) -> StaffEntry:
        check_staff_id(staff_id)
        return cls(staff_id=staff_id)

    @event("Opened")
    def __init__(self, staff_id: str) -> None:
        self.staff_id = staff_id
        self.work_email: str | None = None
        self.language = Language.ENGLISH.value

    def set(self, *, work_email: str, language: str, actor: Actor) -> None:
        """Raises InvalidValue (`work_email`, `language`), RuleViolated (nothing changes)."""
        check_work_email(work_email)
        if language not in {lang.value for lang in Language}:
            raise InvalidValue("language is en or fr", "language")
        if (work_email, language) == (self.work_email, self.language):
            raise RuleViolated(f"{self.staff_id}'s entry already says so", "work_email")
        self._set(work_email=work_email, language=language, actor_id=actor.id,
                  actor_role=actor.role.value)

    @event("Set")
    def _set(self, work_email: str, language: str, actor_id: str, actor_role: str) -> None:
        self.work_email = work_email
        self.language = language
