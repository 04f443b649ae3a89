"""The department directory and service catalogue (Appendix IV), and the Town's service desks."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from eventsourcing.domain import Aggregate, event

from domain.actors import Actor
from domain.calendar import BusinessCalendar, Closure, HoursChange, OpeningHours
from domain.errors import InvalidValue, RuleViolated

CATALOGUE_NAMESPACE = uuid5(NAMESPACE_URL, "https://civicdesk.example/catalogue")
SERVICE_TYPES = {"service_delivery", "service_support", "internal"}


def _check_code(code: str) -> None:
    if not code or not all(c.isalnum() or c in "-_" for c in code) or len(code) > 64:
        raise InvalidValue("code must be 1-64 letters, digits, '-' or '_'", "code")


class Department(Aggregate):
    """A department that owns cases, with its business units and its staff cost rate."""

    @staticmethod
    def create_id(code: str) -> UUID:
        return uuid5(CATALOGUE_NAMESPACE, f"department:{code}")

    @classmethod
    def register(cls, *, code: str, name: str, business_units: dict[str, str],
                 hourly_rate_cents: int, actor: Actor) -> Department:
        _check_code(code)
        if not name.strip():
            raise InvalidValue("name must not be empty", "name")
        if hourly_rate_cents < 0:
            raise InvalidValue("hourly_rate_cents must not be negative", "hourly_rate_cents")
        return cls(code=code, name=name, business_units=business_units,
                   hourly_rate_cents=hourly_rate_cents, actor_id=actor.id,
                   actor_role=actor.role.value)

    @event("Registered")
    def __init__(self, code: str, name: str, business_units: dict[str, str],
                 hourly_rate_cents: int, actor_id: str, actor_role: str) -> None:
        self.code = code
        self.name = name
        self.business_units = dict(business_units)
        self.hourly_rate_cents = hourly_rate_cents
        self.active = True

    def revise(self, *, name: str | None, business_units: dict[str, str] | None,
               hourly_rate_cents: int | None, active: bool | None, actor: Actor) -> None:
        if name is not None and not name.strip():
            raise InvalidValue("name must not be empty", "name")
        if hourly_rate_cents is not None and hourly_rate_cents < 0:
            raise InvalidValue("hourly_rate_cents must not be negative", "hourly_rate_cents")
        self._revised(name=name, business_units=business_units,
                      hourly_rate_cents=hourly_rate_cents, active=active,
                      actor_id=actor.id, actor_role=actor.role.value)

    @event("Revised")
    def _revised(self, name: str | None, business_units: dict[str, str] | None,
                 hourly_rate_cents: int | None, active: bool | None, actor_id: str,
                 actor_role: str) -> None:
        if name is not None:
            self.name = name
        if business_units is not None:
            self.business_units = dict(business_units)
        if hourly_rate_cents is not None:
            self.hourly_rate_cents = hourly_rate_cents
        if active is not None:
            self.active = active


    # The staff id of the department's manager, who gets its cases' alerts (domain.inbox);
    # None: none named. A class default: departments registered before it replay to none.
    manager: str | None = None

    def name_manager(self, *, manager: str | None, actor: Actor) -> None:
        """Name (or, with None, stop naming) the department's manager."""
        if manager is not None and (not manager.strip() or len(manager) > 200
                                    or not manager.isprintable()):
            raise InvalidValue("manager must be a staff id of 1-200 printable characters",
                               "manager")
        if manager == self.manager:
            raise RuleViolated(f"{manager or 'no one'} is already the manager of {self.code}",
                               "manager")
        self._manager_named(department=self.code, manager=manager, actor_id=actor.id,
                            actor_role=actor.role.value)

    @event("ManagerNamed")
    def _manager_named(self, department: str, manager: str | None, actor_id: str,
                       actor_role: str) -> None:
        """`department` is this department's code, so read models need not look it up."""
        self.manager = manager


class Service(Aggregate):
    """A service activity a department offers: what a case is about."""

    @staticmethod
    def create_id(code: str) -> UUID:
        return uuid5(CATALOGUE_NAMESPACE, f"service:{code}")

    @classmethod
    def register(cls, *, code: str, name: str, department: str, business_unit: str,
                 service_type: str, sub_type: str, purpose: str | None, description: str,
                 keywords: list[str], actor: Actor) -> Service:
        _check_code(code)
        if not name.strip():
            raise InvalidValue("name must not be empty", "name")
        if service_type not in SERVICE_TYPES:
            raise InvalidValue(f"service_type must be one of {sorted(SERVICE_TYPES)}",
                               "service_type")
        return cls(code=code, name=name, department=department, business_unit=business_unit,
                   service_type=service_type, sub_type=sub_type, purpose=purpose,
                   description=description, keywords=keywords, actor_id=actor.id,
                   actor_role=actor.role.value)

    @event("Registered")
    def __init__(self, code: str, name: str, department: str, business_unit: str,
                 service_type: str, sub_type: str, purpose: str | None, description: str,
                 keywords: list[str], actor_id: str, actor_role: str) -> None:
        self.code = code
        self.name = name
        self.department = department
        self.business_unit = business_unit
        self.service_type = service_type
        self.sub_type = sub_type
        self.purpose = purpose
        self.description = description
        self.keywords = list(keywords)
        self.active = True

    @property
    def is_public(self) -> bool:
        return self.service_type != "internal" and self.active

    def revise(self, *, name: str | None, description: str | None, keywords: list[str] | None,
               active: bool | None, actor: Actor) -> None:
        if name is not None and not name.strip():
            raise InvalidValue("name must not be empty", "name")
        if all(v is None for v in (name, description, keywords, active)):
            raise RuleViolated("a revision must change something")
        self._revised(name=name, description=description, keywords=keywords, active=active,
                      actor_id=actor.id, actor_role=actor.role.value)

    @event("Revised")
    def _revised(self, name: str | None, description: str | None, keywords: list[str] | None,
                 active: bool | None, actor_id: str, actor_role: str) -> None:
        if name is not None:
            self.name = name
        if description is not None:
            self.description = description
        if keywords is not None:
            self.keywords = list(keywords)
        if active is not None:
            self.active = active


def hours_data(hours: OpeningHours) -> dict[str, Any]:
    """Opening hours as an event stores them."""
    return {"opens": hours.opens.isoformat(), "closes": hours.closes.isoformat(),
            "weekdays": sorted(hours.weekdays), "timezone": hours.timezone}


def hours_from_data(data: dict[str, Any] | None) -> OpeningHours:
    if data is None:
        return OpeningHours()
    return OpeningHours(opens=time.fromisoformat(data["opens"]),
                        closes=time.fromisoformat(data["closes"]),
                        weekdays=frozenset(data["weekdays"]), timezone=data["timezone"])


def check_hours(opens: time, closes: time, weekdays: Iterable[int],
                timezone: str) -> OpeningHours:
    """Opening hours from an administrator's input, or InvalidValue naming the field at fault."""
    days = frozenset(weekdays)
    if not days or not days <= frozenset(range(7)):
        raise InvalidValue("weekdays must be a non-empty set of 0 (Monday) to 6 (Sunday)",
                           "weekdays")
    for name, moment in (("opens", opens), ("closes", closes)):
        if moment.tzinfo is not None:
            raise InvalidValue(f"{name} is a local wall-clock time, without an offset", name)
    if not opens < closes:
        raise InvalidValue("closes must be after opens; hours past midnight are not supported",
                           "closes")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidValue(f"unknown time zone {timezone!r}", "timezone") from None
    return OpeningHours(opens=opens, closes=closes, weekdays=days, timezone=timezone)


class Desk(Aggregate):
    """A place customers walk in: Victoria Hall (Service Cobourg) and three satellite desks.

    Each keeps its own opening hours (by default Monday to Friday 08:30-16:30 Toronto time).
    An administrator changes them from a date on, never retroactively; like a closure, a change
    counts only for deadlines computed after it was recorded.
    """

    class Opened(Aggregate.Created):
        """Version 2 added `hours` (None: the default hours, as every desk opened before)."""

        code: str
        name: str
        central: bool
        hours: dict[str, Any] | None
        actor_id: str
        actor_role: str
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["hours"] = None

    @staticmethod
    def create_id(code: str) -> UUID:
        return uuid5(CATALOGUE_NAMESPACE, f"desk:{code}")

    @classmethod
    def open(cls, *, code: str, name: str, central: bool, actor: Actor,
             hours: OpeningHours | None = None) -> Desk:
        _check_code(code)
        if not name.strip():
            raise InvalidValue("name must not be empty", "name")
        return cls(code=code, name=name, central=central,
                   hours=None if hours is None else hours_data(hours), actor_id=actor.id,
                   actor_role=actor.role.value)

    @event(Opened)
    def __init__(self, code: str, name: str, central: bool, actor_id: str, actor_role: str,
                 hours: dict[str, Any] | None = None) -> None:
        self.code = code
        self.name = name
        self.central = central
        self.hours = hours_from_data(hours)  # as it opened, before any change
        self.hours_changes: tuple[HoursChange, ...] = ()

    def calendar(self, closures: Iterable[Closure] = ()) -> BusinessCalendar:
        """The desk's business calendar: its hours as changed, and the Town's closures."""
        return BusinessCalendar(self.hours, closures, changes=self.hours_changes)

    def hours_on(self, day: date) -> OpeningHours:
        return self.calendar().hours_on(day)

    def today(self, now: datetime) -> date:
        """The desk's local date at `now`."""
        day = now.astimezone(ZoneInfo(self.hours.timezone)).date()
        return now.astimezone(ZoneInfo(self.hours_on(day).timezone)).date()

    def change_hours(self, *, opens: time, closes: time, weekdays: Iterable[int],
                     timezone: str | None, effective_from: date, reason: str, actor: Actor,
                     now: datetime) -> HoursChange:
        """New hours from `effective_from` (today or later, the desk's local date) on.

        Raises InvalidValue naming the field at fault, and RuleViolated (`effective_from`)
        for a retroactive change: deadlines already fixed must not silently move.
        """
        if not reason.strip():
            raise InvalidValue("say why the hours change", "reason")
        today = self.today(now)
        hours = check_hours(opens, closes, weekdays,
                            timezone or self.hours_on(today).timezone)
        if effective_from < today:
            raise RuleViolated(f"hours change from a date on, never retroactively: "
                               f"effective_from {effective_from.isoformat()} is before today "
                               f"({today.isoformat()}) at {self.name}", "effective_from")
        self._hours_changed(**hours_data(hours), effective_from=effective_from.isoformat(),
                            reason=reason, recorded_at=now, actor_id=actor.id,
                            actor_role=actor.role.value)
        return self.hours_changes[-1]

    @event("HoursChanged")
    def _hours_changed(self, opens: str, closes: str, weekdays: list[int], timezone: str,
                       effective_from: str, reason: str, recorded_at: datetime, actor_id: str,
                       actor_role: str) -> None:
        hours = hours_from_data({"opens": opens, "closes": closes, "weekdays": weekdays,
                                 "timezone": timezone})
        self.hours_changes = (*self.hours_changes, HoursChange(
            effective_from=date.fromisoformat(effective_from), hours=hours,
            recorded_at=recorded_at, reason=reason))
