"""Human case references `SC-<year>-<number>`: six digits, seven from 1,000,000 on.

Issued in order per year and never reused (see application/references.py). `ReferenceBook`
is how references were issued before: one aggregate per year, replayed on every receipt. It
stays so that logs holding its events still load; nothing writes it any more.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

REFERENCE_NAMESPACE = uuid5(NAMESPACE_URL, "https://civicdesk.example/references")


class ReferenceBook(Aggregate):
    """Retired: one book per year, whose `Issued` events numbered the cases received before."""

    @staticmethod
    def create_id(year: int) -> UUID:
        return uuid5(REFERENCE_NAMESPACE, str(year))

    @event("Opened")
    def __init__(self, year: int) -> None:
        self.year = year
        self.last_number = 0

    def issue(self) -> str:
        self._issued(number=self.last_number + 1)
        return format_reference(self.year, self.last_number)

    @event("Issued")
    def _issued(self, number: int) -> None:
        self.last_number = number


def format_reference(year: int, number: int) -> str:
    """`SC-2026-000123`; a number past 999,999 simply takes a seventh digit."""
    return f"SC-{year}-{number:06d}"
