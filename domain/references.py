"""Human case references `SC-<year>-<6 digits>`: issued in order per year, never reused."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import RuleViolated

REFERENCE_NAMESPACE = uuid5(NAMESPACE_URL, "https://civicdesk.example/references")
LAST_NUMBER = 999_999


class ReferenceBook(Aggregate):
    """One book per year. Saving it with the new case makes two concurrent issues conflict."""

    @staticmethod
    def create_id(year: int) -> UUID:
        return uuid5(REFERENCE_NAMESPACE, str(year))

    @event("Opened")
    def __init__(self, year: int) -> None:
        self.year = year
        self.last_number = 0

    def issue(self) -> str:
        if self.last_number >= LAST_NUMBER:
            raise RuleViolated(f"the reference book for {self.year} is full")
        self._issued(number=self.last_number + 1)
        return format_reference(self.year, self.last_number)

    @event("Issued")
    def _issued(self, number: int) -> None:
        self.last_number = number


def format_reference(year: int, number: int) -> str:
    return f"SC-{year}-{number:06d}"
