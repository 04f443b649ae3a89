"""Appointments beside the case: the slots a desk offers, and the desk days whose places a
booking takes or releases (domain.appointments).

`AppointmentPlaces` serves one command: it checks a slot on the desk's hours as now known and
takes or releases places in the desk days it loads, which the desk saves with the case in one
transaction. Two commands racing for the last place change the same desk day, so the later
save conflicts and is run again, and finds the slot full.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Protocol
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.appointments import (
    DEFAULT_RULES,
    MAX_LISTED_DAYS,
    AppointmentDay,
    Mode,
    ServiceSlotRules,
    Slot,
    SlotRules,
    check_slot,
    counts,
    local_day,
    parse_mode,
    places_left,
    slots,
)
from domain.calendar import BusinessCalendar
from domain.catalogue import Service
from domain.closures import DeskCalendars
from domain.errors import InvalidValue

Load = Callable[[UUID], Aggregate | None]


def rules_for(load: Load, service_code: str, mode: str) -> SlotRules:
    """The slot rules of a service's appointments in `mode`: as an administrator set them,
    or the defaults."""
    found = load(ServiceSlotRules.create_id(service_code))
    if isinstance(found, ServiceSlotRules):
        return found.rules(mode)
    return DEFAULT_RULES[Mode(parse_mode(mode))]


def desk_calendar(calendars: DeskCalendars, desk: str | None) -> tuple[str, BusinessCalendar]:
    """The desk's code and calendar, or InvalidValue naming `desk` for an unknown desk."""
    code = desk if desk is not None else calendars.central_code
    if code is None or code not in calendars.by_desk:
        raise InvalidValue(f"no desk {desk!r} takes appointments", "desk")
    return code, calendars.by_desk[code]


@dataclass
class AppointmentPlaces:
    """The desk days one command reads and changes (kept until the command is saved)."""

    load: Load
    calendars: DeskCalendars
    now: datetime
    changed: dict[UUID, AppointmentDay] = field(default_factory=dict)

    def day(self, desk: str, day: date) -> AppointmentDay:
        day_id = AppointmentDay.create_id(desk, day)
        found = self.changed.get(day_id) or self.load(day_id)
        if found is None:
            found = AppointmentDay.open(desk, day)
        assert isinstance(found, AppointmentDay)
        self.changed[day_id] = found
        return found

    def take(self, *, case_id: UUID, desk: str | None, service_code: str, mode: str,
             starts_at: datetime) -> tuple[str, Slot]:
        """Check the slot on the desk's hours and take a place in it: the desk's code and the
        slot. Raises InvalidValue (closed, outside hours, past) or RuleViolated (full)."""
        code, calendar = desk_calendar(self.calendars, desk)
        service = self.load(Service.create_id(service_code))
        if not isinstance(service, Service) or not service.active:
            raise InvalidValue(f"no active service {service_code!r}", "service_code")
        rules = rules_for(self.load, service_code, mode)
        slot = check_slot(calendar, starts_at, rules, self.now)
        self.day(code, local_day(calendar, slot.starts_at)).take(
            case_id=case_id, slot=slot, service_code=service_code, mode=mode,
            capacity=rules.capacity)
        return code, slot

    def release(self, *, case_id: UUID, desk: str, starts_at: datetime) -> None:
        _, calendar = desk_calendar(self.calendars, desk)
        self.day(desk, local_day(calendar, starts_at)).release(case_id)

    def pending(self) -> tuple[Aggregate, ...]:
        return tuple(day for day in self.changed.values() if day.pending_events)


@dataclass(frozen=True)
class OpenSlot:
    starts_at: datetime
    ends_at: datetime
    capacity: int
    places_left: int


def open_slots(load: Load, calendars: DeskCalendars, *, desk: str, service_code: str,
               mode: str, first_day: date, last_day: date, now: datetime) -> list[OpenSlot]:
    """The desk's slots for a service and mode from `first_day` to `last_day` (local dates,
    at most MAX_LISTED_DAYS) that start after `now` and have a place left."""
    code, calendar = desk_calendar(calendars, desk)
    rules = rules_for(load, service_code, mode)
    if last_day < first_day:
        raise InvalidValue("to must not be before from", "to")
    if last_day - first_day >= timedelta(days=MAX_LISTED_DAYS):
        raise InvalidValue(f"list at most {MAX_LISTED_DAYS} days at a time", "to")
    days = []
    day = first_day
    while day <= last_day:
        found = load(AppointmentDay.create_id(code, day))
        if isinstance(found, AppointmentDay):
            days.append(found)
        day += timedelta(days=1)
    taken = counts(days, service_code, mode)
    offered = []
    for slot in slots(calendar, first_day, last_day, rules.length):
        left = places_left(rules.capacity, taken.get(slot.starts_at, 0))
        if slot.starts_at > now and left:
            offered.append(OpenSlot(slot.starts_at, slot.ends_at, rules.capacity, left))
    return offered


APPOINTMENTS_NAME = "appointments"


@dataclass(frozen=True)
class AppointmentEntry:
    """One booking on a desk's daily list, as the `appointments` read model keeps it."""

    case_id: UUID
    booking: int  # the case's version that booked it
    reference: str
    department: str  # the case's owner now
    desk: str
    day: date
    starts_at: datetime
    ends_at: datetime
    service_code: str
    mode: str
    state: str  # booked, cancelled, attended or no_show
    meeting_link: str | None


class AppointmentQuery(Protocol):
    def day_list(self, visible_departments: frozenset[str] | None, *, desk: str,
                 day: date) -> list[AppointmentEntry]:
        """Every booking at `desk` on the local `day` of a case whose department is visible
        (None: every department), earliest first (then reference)."""
        ...
