"""How long the Town keeps a customer's personal information: a retention schedule per record
class (administrable), and the rule that says when a customer's information is past it.

The seed values are placeholders for the Town to confirm against its records retention
by-law (Ontario municipalities commonly follow TOMRMS): each period says whether it was
confirmed, and by which by-law."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.actors import Actor
from domain.errors import InvalidValue
from domain.values import Classification, Status, parse_enum

MAX_YEARS = 100


class RecordClass(StrEnum):
    """What a case is, for retention: a complaint is kept longer than other requests."""

    SERVICE_REQUEST = "service_request"
    COMPLAINT = "complaint"


# (years after the case is closed, the by-law reference) — NOT CONFIRMED by the Town.
SEED = {RecordClass.SERVICE_REQUEST: (2, "seed value: to confirm against the Town's "
                                         "records retention by-law"),
        RecordClass.COMPLAINT: (5, "seed value: to confirm against the Town's records "
                                   "retention by-law")}


@dataclass(frozen=True)
class CaseFacts:
    """What retention needs of one of the customer's cases."""

    classification: str | None
    status: str
    closed_at: datetime | None

    @property
    def record_class(self) -> RecordClass:
        return (RecordClass.COMPLAINT if self.classification == Classification.COMPLAINT.value
                else RecordClass.SERVICE_REQUEST)


def add_years(moment: datetime, years: int) -> datetime:
    """The same date `years` later (29 February becomes 28 February)."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


class RetentionSchedule(Aggregate):
    """The one schedule: for each record class, how many years after closure personal
    information is kept, under which by-law, and whether the Town confirmed it."""

    @staticmethod
    def create_id() -> UUID:
        return uuid5(NAMESPACE_URL, "https://civicdesk.example/retention-schedule")

    @event("Opened")
    def __init__(self) -> None:
        self.periods: dict[str, dict[str, Any]] = {}

    def set_period(self, *, record_class: str, years: int, by_law: str, confirmed: bool,
                   actor: Actor) -> None:
        parse_enum(RecordClass, record_class, "record_class")
        if not 1 <= years <= MAX_YEARS:
            raise InvalidValue(f"years must be between 1 and {MAX_YEARS}", "years")
        if not by_law.strip():
            raise InvalidValue("by_law must name the by-law (or say it is to confirm)",
                               "by_law")
        self._period_set(record_class=record_class, years=years, by_law=by_law,
                         confirmed=confirmed, actor_id=actor.id, actor_role=actor.role.value)

    @event("PeriodSet")
    def _period_set(self, *, record_class: str, years: int, by_law: str, confirmed: bool,
                    actor_id: str, actor_role: str) -> None:
        self.periods[record_class] = {"years": years, "by_law": by_law,
                                      "confirmed": confirmed}

    def years(self, record_class: RecordClass) -> int:
        seeded, _ = SEED[record_class]
        period = self.periods.get(record_class.value)
        return int(period["years"]) if period else seeded

    def retire_at(self, cases: Iterable[CaseFacts]) -> tuple[datetime, RecordClass] | None:
        """When a customer's personal information is past retention, and the class that
        decided it: the latest of each case's closure plus its class's period. None while any
        case is not closed (or they have no case: kept until a case closes)."""
        latest: tuple[datetime, RecordClass] | None = None
        for case in cases:
            if case.status != Status.CLOSED.value or case.closed_at is None:
                return None
            due = add_years(case.closed_at, self.years(case.record_class))
            if latest is None or due > latest[0]:
                latest = (due, case.record_class)
        return latest
