"""Open accessibility accommodation requests as the application sees them (AODA; section 4.2).

The `accommodations` read model keeps one row per accommodation requested on any case, with the
state the domain decides (`domain.accommodations.state_of`): requested, not made (the customer
told why and offered an alternative) or provided. No need or reason text leaves the case view
but the need itself, which staff must read to meet it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from application.queries import DEFAULT_PAGE

ACCOMMODATIONS_NAME = "accommodations"
STATE_FILTERS = ("open", "requested", "not_made", "provided")


@dataclass(frozen=True)
class AccommodationEntry:
    case_id: UUID
    reference: str
    department: str  # the case's owner now
    number: int  # the request's number on its case
    need: str
    state: str  # requested, not_made or provided
    requested_at: datetime
    not_made_at: datetime | None
    alternative: str | None
    provided_at: datetime | None


class AccommodationQuery(Protocol):
    def accommodations(self, visible_departments: frozenset[str] | None, *,
                       department: str | None = None, state: str = "open",
                       after: str | None = None, limit: int = DEFAULT_PAGE,
                       ) -> tuple[list[AccommodationEntry], str | None]:
        """One page of accommodation requests in `state` (open: requested or not made),
        first requested first (then case id and number), and the next page's cursor.

        Raises InvalidValue (field `state`, `after` or `limit`).
        """
        ...
