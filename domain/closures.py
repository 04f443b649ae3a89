"""Closures an administrator adds to the business calendar, each a recorded, dated fact, and
the calendars of the Town's desks: each desk's own hours with the Town's closures."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from types import MappingProxyType
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.actors import Actor
from domain.calendar import BusinessCalendar, Closure, OpeningHours
from domain.catalogue import Desk
from domain.errors import InvalidValue, RuleViolated

CALENDAR_ID = uuid5(NAMESPACE_URL, "https://civicdesk.example/calendar")


class CalendarBook(Aggregate):
    """The desk's calendar: opening hours and every closure, with when it became known.

    A closure counts only for deadlines computed after it was recorded, so recording one never
    silently moves a deadline already fixed.
    """

    @staticmethod
    def create_id() -> UUID:
        return CALENDAR_ID

    @event("Opened")
    def __init__(self) -> None:
        self.closures: list[Closure] = []

    def add_closure(self, *, day: date, from_time: time | None, until_time: time | None,
                    reason: str, actor: Actor, now: datetime) -> Closure:
        if not reason.strip():
            raise InvalidValue("say why the desk closes", "reason")
        try:
            closure = Closure(day=day, recorded_at=now, reason=reason, from_time=from_time,
                              until_time=until_time)
        except ValueError as error:
            raise InvalidValue(str(error), "until_time") from None
        if any(c.day == day and c.from_time == from_time and c.until_time == until_time
               for c in self.closures):
            raise RuleViolated(f"that closure on {day.isoformat()} is already recorded", "day")
        self._closure_added(day=day.isoformat(),
                            from_time=from_time.isoformat() if from_time else None,
                            until_time=until_time.isoformat() if until_time else None,
                            reason=reason, recorded_at=now, actor_id=actor.id,
                            actor_role=actor.role.value)
        return closure

    @event("ClosureAdded")
    def _closure_added(self, day: str, from_time: str | None, until_time: str | None,
                       reason: str, recorded_at: datetime, actor_id: str,
                       actor_role: str) -> None:
        self.closures.append(Closure(
            day=date.fromisoformat(day), recorded_at=recorded_at, reason=reason,
            from_time=time.fromisoformat(from_time) if from_time else None,
            until_time=time.fromisoformat(until_time) if until_time else None))

    def calendar(self, hours: OpeningHours | None = None) -> BusinessCalendar:
        return BusinessCalendar(hours or OpeningHours(), self.closures)


@dataclass(frozen=True, eq=False)
class DeskCalendars:
    """The business calendar of every desk. `of(None)` or of an unknown code is the central
    desk's (cases and targets recorded before desks had hours run on it); with no desks at
    all, the default hours. Closures are the Town's: they close every desk."""

    central: BusinessCalendar = field(default_factory=BusinessCalendar)
    by_desk: Mapping[str, BusinessCalendar] = field(default_factory=dict)
    central_code: str | None = None

    @classmethod
    def of_desks(cls, desks: Iterable[Desk], closures: Iterable[Closure] = ()) -> DeskCalendars:
        known, ordered = tuple(closures), sorted(desks, key=lambda d: d.code)
        by_desk = {desk.code: desk.calendar(known) for desk in ordered}
        central_code = next((desk.code for desk in ordered if desk.central), None)
        central = by_desk[central_code] if central_code else BusinessCalendar(closures=known)
        return cls(central, MappingProxyType(by_desk), central_code)

    def of(self, desk: str | None) -> BusinessCalendar:
        return self.by_desk.get(desk, self.central) if desk is not None else self.central

    def as_known_at(self, moment: datetime) -> DeskCalendars:
        """Every calendar with only the closures and hours changes recorded by `moment`."""
        by_desk = {code: calendar.as_known_at(moment) for code, calendar in self.by_desk.items()}
        central = (by_desk[self.central_code] if self.central_code in by_desk
                   else self.central.as_known_at(moment))
        return DeskCalendars(central, MappingProxyType(by_desk), self.central_code)
