"""The read side as the application sees it: small interfaces that projections implement."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol
from uuid import UUID

from application.access import EVERY_DEPARTMENT
from domain.actors import Actor
from domain.values import Classification

CASE_INDEX_NAME = "case_index"  # the read model behind CaseIndexQuery, by name
DEFAULT_PAGE = 50
MAX_PAGE = 200


class CaseOrder(StrEnum):
    RECEIVED = "received"  # newest received first
    NEXT_DUE = "next_due"  # soonest due first (overdue first); nothing due last


@dataclass(frozen=True)
class CaseSummary:
    """One row of the case index: what a queue or a search result shows of a case."""

    id: UUID
    reference: str
    status: str
    channel: str
    department: str
    service_code: str | None
    purpose: str
    subject: str
    assignee: str | None
    classification: str | None
    escalation_level: str | None
    received_at: datetime
    updated_at: datetime
    version: int
    transfers: int
    next_due_at: datetime | None  # the soonest due time of a live, running target
    next_target: str | None  # ... and that target's name

    @property
    def complaint(self) -> bool:
        return self.classification == Classification.COMPLAINT.value


class CaseIndexQuery(Protocol):
    def list_cases(self, visible_departments: frozenset[str] | None, *,
                   department: str | None = None, status: str | None = None,
                   channel: str | None = None, assignee: str | None = None,
                   reference: str | None = None,
                   complaint: bool | None = None, target: str | None = None,
                   target_state: str | None = None, order: str = CaseOrder.RECEIVED,
                   now: datetime | None = None, after: str | None = None,
                   limit: int = DEFAULT_PAGE) -> tuple[list[CaseSummary], str | None]:
        """One page of cases and the opaque cursor of the next page (None on the last page).

        `order` received: newest received first (then by id, descending); next_due: soonest
        `next_due_at` first (then by id), cases with nothing due last. `target_state` keeps
        the cases with a target (named `target`, if given) in that state at `now` (then
        required; `domain.targets.state_at`); `target` alone keeps the cases with that target.
        `reference` keeps the one case so numbered.
        `visible_departments` None means every department. Raises InvalidValue (field
        `after`, `limit`, `status`, `channel`, `reference`, `target`, `target_state` or
        `order`) for a bad cursor, limit or filter value.
        """
        ...


class OpenWorkQuery(Protocol):
    def open_cases_of(self, assignees: Collection[str]) -> dict[str, int]:
        """How many open cases (open or waiting on the customer, in any department) each of
        `assignees` holds; one with none may be left out."""
        ...


class ReadPositions(Protocol):
    def wait_for(self, position: int, timeout: float,
                 names: Collection[str] | None = None) -> None:
        """Block until the named read models (default: all) have processed the log up to
        `position`.

        Raises TimeoutError (a subclass of it) if they have not within `timeout` seconds.
        """
        ...


def visible_departments(actor: Actor) -> frozenset[str] | None:
    """The departments whose cases the actor may list; None for all of them."""
    return None if actor.role in EVERY_DEPARTMENT else actor.departments
