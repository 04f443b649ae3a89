"""Accessibility accommodations (AODA; section 4.2): where a request stands, decided once here.

A request is open until something is provided. If it cannot be made at that time the customer
is told why and offered an alternative solution (`not_made`), and the request stays open until
the accommodation or the alternative is provided.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any


class AccommodationState(StrEnum):
    REQUESTED = "requested"
    NOT_MADE = "not_made"  # could not be made then: customer informed, alternative offered
    PROVIDED = "provided"

    @property
    def is_open(self) -> bool:
        return self is not AccommodationState.PROVIDED


def state_of(accommodation: Mapping[str, Any]) -> AccommodationState:
    """The state of one of `Case.accommodations`."""
    if accommodation.get("provided_at") is not None:
        return AccommodationState.PROVIDED
    if accommodation.get("not_made_at") is not None:
        return AccommodationState.NOT_MADE
    return AccommodationState.REQUESTED
