"""Appointments: bookable slots cut from a desk's open hours, and each desk day's places.

A slot is a stretch of a desk's open hours, `length` long, starting at opening (or at the end
of a part-day closure) and following one another; a slot must end by closing time (or the
start of a closure), so one ending exactly at closing is offered and one crossing it is not.
Hours are cut in each day's own UTC instants (`BusinessCalendar.open_intervals`), which the
calendar computes from local wall-clock time, so daylight-saving changes never move a slot.

Places are counted per desk day (`AppointmentDay`): one small aggregate holds every booking
at one desk on one local date, so two bookings racing for the last place of a slot write the
same aggregate and the library's optimistic concurrency lets only one of them through.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5
from zoneinfo import ZoneInfo

from eventsourcing.domain import Aggregate, event

from domain.calendar import BusinessCalendar
from domain.errors import InvalidValue, RuleViolated
from domain.values import check_aware

DAY_NAMESPACE = uuid5(NAMESPACE_URL, "https://civicdesk.example/appointment-days")
# How far ahead slots are listed and booked: a quarter, as the desk plans its staffing.
BOOKING_HORIZON = timedelta(days=92)
# The longest stretch of days one slot listing covers.
MAX_LISTED_DAYS = 31
MEETING_LINK_LIMIT = 500


class Mode(StrEnum):
    IN_PERSON = "in_person"
    VIRTUAL = "virtual"


class AppointmentState(StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"
    ATTENDED = "attended"
    NO_SHOW = "no_show"


@dataclass(frozen=True)
class SlotRules:
    """How long a service's appointments are and how many bookings one slot takes."""

    length: timedelta = timedelta(minutes=30)
    capacity: int = 1

    def __post_init__(self) -> None:
        if not timedelta(minutes=5) <= self.length <= timedelta(hours=8):
            raise InvalidValue("a slot is 5 minutes to 8 hours long", "length_minutes")
        if self.length % timedelta(minutes=5):
            raise InvalidValue("a slot's length is a whole number of 5 minutes",
                               "length_minutes")
        if not 1 <= self.capacity <= 100:
            raise InvalidValue("a slot takes 1 to 100 bookings", "capacity")


# Until an administrator sets a service's rules: half-hour slots, one booking each (one
# counter, or one staff member on a call).
DEFAULT_RULES: Mapping[Mode, SlotRules] = {Mode.IN_PERSON: SlotRules(),
                                           Mode.VIRTUAL: SlotRules()}


@dataclass(frozen=True)
class Slot:
    starts_at: datetime  # aware UTC
    ends_at: datetime
    day: date  # the desk's local date (the daily list's)

    @property
    def key(self) -> str:
        return self.starts_at.isoformat()


def slots(calendar: BusinessCalendar, first_day: date, last_day: date,
          length: timedelta) -> list[Slot]:
    """Every slot of `length` in the desk's open hours on the local days `first_day` to
    `last_day` (inclusive), in order. Closed days (weekends, holidays, closures) have none."""
    found: list[Slot] = []
    day = first_day
    while day <= last_day:
        for opens, closes in calendar.open_intervals(day):
            start = opens
            while start + length <= closes:
                found.append(Slot(start, start + length, day))
                start += length
        day += timedelta(days=1)
    return found


def local_day(calendar: BusinessCalendar, moment: datetime) -> date:
    """The local date of `moment` in the zone of the desk's hours."""
    day = moment.astimezone(ZoneInfo(calendar.hours.timezone)).date()
    return moment.astimezone(ZoneInfo(calendar.hours_on(day).timezone)).date()


def check_slot(calendar: BusinessCalendar, starts_at: datetime, rules: SlotRules,
               now: datetime, field: str = "starts_at") -> Slot:
    """The slot starting at `starts_at`, or InvalidValue naming `field`: in the past, beyond
    the booking horizon, on a day the desk is closed (a weekend, a holiday, a closure), or not
    a slot of the desk's hours (outside them, crossing closing time, or off the slot grid)."""
    check_aware(starts_at, field)
    if starts_at <= now:
        raise InvalidValue(f"{starts_at.isoformat()} is in the past: book a time to come",
                           field)
    if starts_at > now + BOOKING_HORIZON:
        raise InvalidValue(f"appointments are booked at most {BOOKING_HORIZON.days} days "
                           "ahead", field)
    day = local_day(calendar, starts_at)
    if not calendar.open_intervals(day):
        why = calendar.holiday_name(day) or next(
            (c.reason for c in calendar.closures if c.day == day and c.from_time is None
             and c.until_time is None), None)
        raise InvalidValue(f"the desk is closed on {day.isoformat()}"
                           + (f" ({why})" if why else ""), field)
    for slot in slots(calendar, day, day, rules.length):
        if slot.starts_at == starts_at:
            return slot
    hours = ", ".join(f"{o.astimezone(ZoneInfo(calendar.hours_on(day).timezone)):%H:%M}-"
                      f"{c.astimezone(ZoneInfo(calendar.hours_on(day).timezone)):%H:%M}"
                      for o, c in calendar.open_intervals(day))
    raise InvalidValue(f"{starts_at.isoformat()} is not a bookable slot: the desk is open "
                       f"{hours} on {day.isoformat()}, in slots of "
                       f"{int(rules.length.total_seconds() // 60)} minutes ending by closing",
                       field)


def check_meeting_link(mode: str, link: str | None) -> str | None:
    """A virtual appointment's https link; an in-person one has none."""
    parsed = Mode(parse_mode(mode))
    if parsed is Mode.IN_PERSON:
        if link:
            raise InvalidValue("an in-person appointment has no meeting link", "meeting_link")
        return None
    if not link:
        raise InvalidValue("a virtual appointment needs its meeting link", "meeting_link")
    host = link.removeprefix("https://").split("/", 1)[0]
    if (not link.startswith("https://") or not host or len(link) > MEETING_LINK_LIMIT
            or not link.isprintable() or " " in link):
        raise InvalidValue(f"meeting_link must be an https URL of at most "
                           f"{MEETING_LINK_LIMIT} characters", "meeting_link")
    return link


def parse_mode(mode: str) -> str:
    if mode not in {m.value for m in Mode}:
        raise InvalidValue(f"mode must be one of: {', '.join(m.value for m in Mode)}; got "
                           f"{mode!r}", "mode")
    return mode


def places_left(capacity: int, taken: int) -> int:
    return max(capacity - taken, 0)


class AppointmentDay(Aggregate):
    """Every booking at one desk on one local date: the places each slot has left."""

    @staticmethod
    def create_id(desk: str, day: date | str) -> UUID:
        # The event gives the date as text; str() of a date is its ISO form too.
        return uuid5(DAY_NAMESPACE, f"{desk}/{day}")

    @classmethod
    def open(cls, desk: str, day: date) -> AppointmentDay:
        return cls(desk=desk, day=day.isoformat())

    @event("Opened")
    def __init__(self, desk: str, day: str) -> None:
        self.desk = desk
        self.day = day
        # By case id (text): the slot's start, the service and the mode it holds a place in.
        self.bookings: dict[str, dict[str, Any]] = {}

    def taken(self, starts_at: datetime, service_code: str, mode: str) -> int:
        return sum(1 for b in self.bookings.values()
                   if b["starts_at"] == starts_at and b["service_code"] == service_code
                   and b["mode"] == mode)

    def take(self, *, case_id: UUID, slot: Slot, service_code: str, mode: str,
             capacity: int) -> None:
        """Take a place in `slot`, or RuleViolated naming `starts_at` if it is full."""
        if places_left(capacity, self.taken(slot.starts_at, service_code, mode)) == 0:
            raise RuleViolated(f"the slot at {slot.starts_at.isoformat()} is full: choose "
                               "another", "starts_at")
        self._place_taken(case_id=str(case_id), starts_at=slot.starts_at,
                          service_code=service_code, mode=mode)

    @event("PlaceTaken")
    def _place_taken(self, case_id: str, starts_at: datetime, service_code: str,
                     mode: str) -> None:
        self.bookings[case_id] = {"starts_at": starts_at, "service_code": service_code,
                                  "mode": mode}

    def release(self, case_id: UUID) -> None:
        if str(case_id) in self.bookings:
            self._place_released(case_id=str(case_id))

    @event("PlaceReleased")
    def _place_released(self, case_id: str) -> None:
        self.bookings.pop(case_id, None)


def counts(days: Iterable[AppointmentDay], service_code: str, mode: str
           ) -> dict[datetime, int]:
    """Places taken per slot start for one service and mode."""
    taken: dict[datetime, int] = {}
    for day in days:
        for booking in day.bookings.values():
            if booking["service_code"] == service_code and booking["mode"] == mode:
                taken[booking["starts_at"]] = taken.get(booking["starts_at"], 0) + 1
    return taken


RULES_NAMESPACE = uuid5(NAMESPACE_URL, "https://civicdesk.example/appointment-rules")


class ServiceSlotRules(Aggregate):
    """An administrator's slot rules for one service's appointments, by mode; a mode not set
    uses DEFAULT_RULES. A change applies to slots listed and booked afterwards: bookings
    already made keep their slot."""

    @staticmethod
    def create_id(service_code: str) -> UUID:
        return uuid5(RULES_NAMESPACE, service_code)

    @classmethod
    def start(cls, service_code: str) -> ServiceSlotRules:
        return cls(service_code=service_code)

    @event("Started")
    def __init__(self, service_code: str) -> None:
        self.service_code = service_code
        self.by_mode: dict[str, SlotRules] = {}

    def rules(self, mode: str) -> SlotRules:
        return self.by_mode.get(parse_mode(mode), DEFAULT_RULES[Mode(mode)])

    def set(self, *, mode: str, length_minutes: int, capacity: int, reason: str,
            actor_id: str, actor_role: str) -> SlotRules:
        """Raises InvalidValue naming `mode`, `length_minutes`, `capacity` or `reason`."""
        parse_mode(mode)
        rules = SlotRules(length=timedelta(minutes=length_minutes), capacity=capacity)
        if not reason.strip():
            raise InvalidValue("say why the slots change", "reason")
        self._rules_set(mode=mode, length_minutes=length_minutes, capacity=capacity,
                        reason=reason, actor_id=actor_id, actor_role=actor_role)
        return rules

    @event("RulesSet")
    def _rules_set(self, mode: str, length_minutes: int, capacity: int, reason: str,
                   actor_id: str, actor_role: str) -> None:
        self.by_mode[mode] = SlotRules(length=timedelta(minutes=length_minutes),
                                       capacity=capacity)
