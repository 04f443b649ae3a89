"""Appointment routes beside the case commands: the slots a desk offers for a service, and
the desk's daily list of appointments (booking and the rest are case commands, api.cases).

Every role that reads cases may read them: the slots name no one; the daily list shows the
bookings of the departments whose cases the caller sees (references, slots, states and
meeting links; no customer's details)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import msgspec
from litestar import Controller, Request, get, put
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter

from api.auth import authenticated, current_actor
from api.problems import problem_doc
from api.read_models import LIST_ERRORS, MinPosition
from api.read_your_writes import ReadYourWrites
from api.schemas import Body, Short
from application.appointment_rules import set_slot_rules, slot_rules
from application.appointments import APPOINTMENTS_NAME, AppointmentEntry, AppointmentQuery
from application.desk import ServiceDesk
from application.queries import visible_departments
from domain.actors import Actor
from domain.appointments import SlotRules
from domain.errors import NotFound

DeskCode = Annotated[str, QueryParameter(min_length=1, max_length=64)]
ModeName = Literal["in_person", "virtual"]
SLOT_ERRORS = {400: problem_doc("A parameter is malformed"),
               401: problem_doc("No valid bearer token"),
               404: problem_doc("No such desk"),
               422: problem_doc("An unknown service, or a range that is reversed or longer "
                                "than 31 days (names the parameter)")}
DAY_ERRORS = {**LIST_ERRORS, 404: problem_doc("No such desk")}


class SlotItem(msgspec.Struct):
    starts_at: datetime
    ends_at: datetime
    capacity: int  # bookings one slot takes
    places_left: int  # at least 1: full slots are not listed


class SlotList(msgspec.Struct):
    desk: str
    service_code: str
    mode: ModeName
    items: list[SlotItem]


class AppointmentItem(msgspec.Struct):
    case_id: str
    reference: str
    department: str
    service_code: str
    mode: ModeName
    starts_at: datetime
    ends_at: datetime
    state: Literal["booked", "cancelled", "attended", "no_show"]
    meeting_link: str | None


class DayList(msgspec.Struct):
    desk: str
    day: date
    items: list[AppointmentItem]


def _desk_or_404(desk: ServiceDesk, code: str) -> None:
    if code not in desk.calendars().by_desk:
        raise NotFound(f"no desk {code!r}", "code")


def _item(entry: AppointmentEntry) -> AppointmentItem:
    return AppointmentItem(
        case_id=str(entry.case_id), reference=entry.reference, department=entry.department,
        service_code=entry.service_code, mode=entry.mode,  # type: ignore[arg-type]
        starts_at=entry.starts_at, ends_at=entry.ends_at,
        state=entry.state, meeting_link=entry.meeting_link)  # type: ignore[arg-type]


class AppointmentController(Controller):
    path = "/api/v1/desks"
    tags = ["appointments"]
    guards = [authenticated]
    dependencies = {"actor": Provide(current_actor, sync_to_thread=False)}

    @get("/{code:str}/slots", operation_id="desk_slots", sync_to_thread=True,
         summary="Bookable slots of a desk for a service", responses=SLOT_ERRORS,
         description="Slots of the desk's hours (its own hours, less weekends, Ontario "
                     "holidays and closures) from `from` to `to` (the desk's local dates, "
                     "default: the next 7 days from today; at most 31 days) that start in the "
                     "future and have a place left, earliest first. Book one with `POST "
                     "/api/v1/cases/{case_id}/appointment`.")
    def slots(self, code: str, actor: NamedDependency[Actor], desk: NamedDependency[ServiceDesk],
              service: Annotated[str, QueryParameter(min_length=1, max_length=64)],
              mode: ModeName = "in_person",
              first: Annotated[date | None, QueryParameter(name="from")] = None,
              last: Annotated[date | None, QueryParameter(name="to")] = None) -> SlotList:
        _desk_or_404(desk, code)
        today = desk.clock().astimezone(ZoneInfo("America/Toronto")).date()
        first_day = first or today
        last_day = last or first_day + timedelta(days=6)
        found = desk.open_slots(desk=code, service_code=service, mode=mode,
                                first_day=first_day, last_day=last_day)
        return SlotList(desk=code, service_code=service, mode=mode, items=[
            SlotItem(starts_at=s.starts_at, ends_at=s.ends_at, capacity=s.capacity,
                     places_left=s.places_left) for s in found])

    @get("/{code:str}/appointments", operation_id="desk_appointments", sync_to_thread=True,
         summary="A desk's appointments on one day", responses=DAY_ERRORS,
         description="Every appointment booked at the desk on `day` (its local date) of the "
                     "cases the caller sees, earliest first: booked, cancelled, attended or "
                     "no_show. `min_position`: wait until the list includes that log position "
                     "(a command's `X-Civicdesk-Position`).")
    def appointments(self, request: Request[Any, Any, Any], code: str,
                     actor: NamedDependency[Actor], desk: NamedDependency[ServiceDesk],
                     appointments: NamedDependency[Any],
                     read_your_writes: NamedDependency[ReadYourWrites], day: date,
                     min_position: MinPosition = None) -> DayList:
        _desk_or_404(desk, code)
        read_your_writes.wait_for(request, min_position, APPOINTMENTS_NAME)
        # Typed here: Litestar checks a dependency's declared type, and a Protocol cannot be.
        query: AppointmentQuery = appointments
        entries = query.day_list(visible_departments(actor), desk=code, day=day)
        return DayList(desk=code, day=day, items=[_item(e) for e in entries])


class ModeRules(msgspec.Struct):
    length_minutes: int
    capacity: int  # bookings one slot takes


class SlotRulesView(msgspec.Struct):
    service_code: str
    in_person: ModeRules
    virtual: ModeRules


class SlotRulesBody(Body, kw_only=True):
    mode: ModeName
    length_minutes: Annotated[int, msgspec.Meta(ge=5, le=480, multiple_of=5)]
    capacity: Annotated[int, msgspec.Meta(ge=1, le=100)]
    reason: Short


def _rules_view(code: str, rules: dict[str, SlotRules]) -> SlotRulesView:
    def one(mode: str) -> ModeRules:
        return ModeRules(length_minutes=int(rules[mode].length.total_seconds() // 60),
                         capacity=rules[mode].capacity)

    return SlotRulesView(service_code=code, in_person=one("in_person"), virtual=one("virtual"))


RULES_READ_ERRORS = {400: problem_doc("A parameter is malformed"),
                     401: problem_doc("No valid bearer token"),
                     404: problem_doc("No such service")}
RULES_WRITE_ERRORS = {**RULES_READ_ERRORS, 403: problem_doc("Only administrators set them"),
                      409: problem_doc("Another administrator changed them at once: retry"),
                      413: problem_doc("Request body too large"),
                      422: problem_doc("A value is out of range (names the field)")}


class SlotRulesController(Controller):
    path = "/api/v1/services"
    tags = ["appointments"]
    guards = [authenticated]
    dependencies = {"actor": Provide(current_actor, sync_to_thread=False)}

    @get("/{code:str}/appointment-rules", operation_id="service_slot_rules",
         sync_to_thread=True, summary="How long a service's appointments are, and how many "
         "bookings a slot takes", responses=RULES_READ_ERRORS,
         description="Per mode: as an administrator set them, or the defaults (30 minutes, "
                     "one booking).")
    def rules(self, code: str, actor: NamedDependency[Actor],
              desk: NamedDependency[ServiceDesk]) -> SlotRulesView:
        return _rules_view(code, slot_rules(desk, code))

    @put("/{code:str}/appointment-rules", operation_id="service_slot_rules_set",
         sync_to_thread=True, summary="Set one mode's slot length and capacity (administrators)",
         responses=RULES_WRITE_ERRORS, status_code=200,
         description="Applies to slots listed and booked afterwards; bookings already made "
                     "keep their slot.")
    def set_rules(self, code: str, data: SlotRulesBody, actor: NamedDependency[Actor],
                  desk: NamedDependency[ServiceDesk]) -> SlotRulesView:
        return _rules_view(code, set_slot_rules(
            desk, actor, code, mode=data.mode, length_minutes=data.length_minutes,
            capacity=data.capacity, reason=data.reason))
