"""Human case references `SC-<year>-<number>`: six digits, seven from 1,000,000 on.

Issued in order per year and never reused (see application/references.py). `ReferenceBook`
is how references were issued before: one aggregate per year, replayed on every receipt. It
stays so that logs holding its events still load; nothing writes it any more.
"""

from __future__ import annotations

import re
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidValue

REFERENCE_PATTERN = re.compile(r"SC-(\d{4})-(\d{6,7})")
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


def parse_reference(text: str, field: str = "reference") -> str:
    """A reference as a caller quotes it (any case, spaces around), in its one written form
    `SC-2026-000123` (or an imported case's `IMP-D365-CAS-01234`). Raises InvalidValue naming
    `field` for anything else."""
    reference = text.strip().upper()
    if REFERENCE_PATTERN.fullmatch(reference) is None and \
            IMPORTED_PATTERN.fullmatch(reference) is None:
        raise InvalidValue(f"{text!r} is not a case reference such as SC-2026-000123", field)
    return reference


# An imported case keeps its number in the system it came from: `IMP-<system>-<its id>`, so
# the same source case always has the same reference, and so the same case id.
IMPORTED_PATTERN = re.compile(r"IMP-([A-Z0-9]{1,16})-([A-Z0-9][A-Z0-9._-]{0,63})")


def imported_reference(source_system: str, source_id: str) -> str:
    """`IMP-D365-CAS-01234-X`: the reference of the case `source_id` of `source_system`
    (letters and digits; an id also `.`, `_`, `-`; letter case ignored). Raises InvalidValue."""
    reference = f"IMP-{source_system.strip().upper()}-{source_id.strip().upper()}"
    if IMPORTED_PATTERN.fullmatch(reference) is None:
        field = "source_system" if not re.fullmatch(r"[A-Z0-9]{1,16}",
                                                     source_system.strip().upper()) \
            else "source_id"
        raise InvalidValue(f"{source_id!r} of {source_system!r} cannot number a case: an id "
                           "is 1 to 64 letters, digits, '.', '_' or '-'", field)
    return reference
