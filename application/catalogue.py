"""Catalogue commands: administrators keep departments, services and desks up to date."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, RecordConflictError

from application.access import check_admin
from application.calendar_replans import follow_calendar_changes
from application.desk import ServiceDesk
from domain.actors import Actor
from domain.calendar import OpeningHours
from domain.catalogue import Department, Desk, Service
from domain.errors import AlreadyExists, InvalidValue, NotFound, RuleViolated, VersionConflict

# Planning figure until each department sets its own loaded hourly cost of staff time.
DEFAULT_HOURLY_RATE_CENTS = 5_500


@dataclass(frozen=True)
class DepartmentSpec:
    code: str
    name: str
    business_units: dict[str, str]
    hourly_rate_cents: int = DEFAULT_HOURLY_RATE_CENTS


@dataclass(frozen=True)
class ServiceSpec:
    code: str
    name: str
    department: str
    business_unit: str
    service_type: str
    sub_type: str
    purpose: str | None
    description: str = ""
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class DeskSpec:
    code: str
    name: str
    central: bool
    hours: OpeningHours | None = None  # None: Monday to Friday 08:30-16:30 Toronto


def register_department(desk: ServiceDesk, actor: Actor, spec: DepartmentSpec) -> Department:
    """Raises Forbidden, AlreadyExists, InvalidValue."""
    check_admin(actor)
    if desk.find_department(spec.code) is not None:
        raise AlreadyExists(f"department {spec.code} already exists", "code")
    department = Department.register(code=spec.code, name=spec.name,
                                     business_units=spec.business_units,
                                     hourly_rate_cents=spec.hourly_rate_cents, actor=actor)
    _save_new(desk, department, f"department {spec.code} already exists")
    return department


def register_service(desk: ServiceDesk, actor: Actor, spec: ServiceSpec) -> Service:
    """Raises Forbidden, AlreadyExists, InvalidValue."""
    check_admin(actor)
    if desk.find_service(spec.code) is not None:
        raise AlreadyExists(f"service {spec.code} already exists", "code")
    owner = desk.find_department(spec.department)
    if owner is None:
        raise InvalidValue(f"no department {spec.department!r}", "department")
    if spec.business_unit not in owner.business_units:
        raise InvalidValue(f"department {spec.department} has no business unit "
                           f"{spec.business_unit!r}", "business_unit")
    service = Service.register(code=spec.code, name=spec.name, department=spec.department,
                               business_unit=spec.business_unit,
                               service_type=spec.service_type, sub_type=spec.sub_type,
                               purpose=spec.purpose, description=spec.description,
                               keywords=list(spec.keywords), actor=actor)
    _save_new(desk, service, f"service {spec.code} already exists")
    return service


def revise_department(desk: ServiceDesk, actor: Actor, code: str, *, name: str | None = None,
                      business_units: dict[str, str] | None = None,
                      hourly_rate_cents: int | None = None,
                      active: bool | None = None) -> Department:
    """Raises Forbidden, NotFound, InvalidValue, RuleViolated, VersionConflict."""
    check_admin(actor)
    department = desk.find_department(code)
    if department is None:
        raise NotFound(f"no department {code}")
    if all(v is None for v in (name, business_units, hourly_rate_cents, active)):
        raise RuleViolated("a revision must change something")
    department.revise(name=name, business_units=business_units,
                      hourly_rate_cents=hourly_rate_cents, active=active, actor=actor)
    _save_revision(desk, department)
    return department


def revise_service(desk: ServiceDesk, actor: Actor, code: str, *, name: str | None = None,
                   description: str | None = None, keywords: list[str] | None = None,
                   active: bool | None = None) -> Service:
    """Raises Forbidden, NotFound, InvalidValue, RuleViolated, VersionConflict."""
    check_admin(actor)
    service = desk.find_service(code)
    if service is None:
        raise NotFound(f"no service {code}")
    service.revise(name=name, description=description, keywords=keywords, active=active,
                   actor=actor)
    _save_revision(desk, service)
    return service


def change_desk_hours(desk: ServiceDesk, actor: Actor, code: str, *, opens: time, closes: time,
                      weekdays: Iterable[int], timezone: str | None, effective_from: date,
                      reason: str) -> Desk:
    """Schedule new opening hours for a desk from a date on (today or later); deadlines
    computed from now on follow them, and every pending deadline on the desk's hours that
    the change crosses is re-planned at once. `timezone` None keeps the desk's.
    Raises Forbidden, NotFound, InvalidValue, RuleViolated, VersionConflict."""
    check_admin(actor)
    found = get_desk(desk, code)
    found.change_hours(opens=opens, closes=closes, weekdays=weekdays, timezone=timezone,
                       effective_from=effective_from, reason=reason, actor=actor,
                       now=desk.clock())
    _save_revision(desk, found)
    follow_calendar_changes(desk)
    return found


def _save_new(desk: ServiceDesk, aggregate: Aggregate, duplicate: str) -> None:
    # Two administrators registering the same code at once: the loser's version 1 conflicts.
    try:
        desk.save(aggregate)
    except (RecordConflictError, IntegrityError):
        raise AlreadyExists(duplicate, "code") from None


def _save_revision(desk: ServiceDesk, aggregate: Aggregate) -> None:
    try:
        desk.save(aggregate)
    except (RecordConflictError, IntegrityError):
        raise VersionConflict("the catalogue entry was changed by someone else; reload and "
                              "retry") from None


def seed(desk: ServiceDesk, actor: Actor, departments: Iterable[DepartmentSpec],
         services: Iterable[ServiceSpec], desks: Iterable[DeskSpec]) -> int:
    """Register whatever of the starting catalogue is missing; returns how many were added.

    Running it again adds nothing, so every start may call it.
    """
    added: list[Aggregate] = []
    for department in departments:
        if desk.find_department(department.code) is None:
            added.append(Department.register(
                code=department.code, name=department.name,
                business_units=department.business_units,
                hourly_rate_cents=department.hourly_rate_cents, actor=actor))
    for service in services:
        if desk.find_service(service.code) is None:
            added.append(Service.register(
                code=service.code, name=service.name, department=service.department,
                business_unit=service.business_unit, service_type=service.service_type,
                sub_type=service.sub_type, purpose=service.purpose,
                description=service.description, keywords=list(service.keywords),
                actor=actor))
    for spec in desks:
        try:
            desk.repository.get(Desk.create_id(spec.code))
        except AggregateNotFoundError:
            added.append(Desk.open(code=spec.code, name=spec.name, central=spec.central,
                                   hours=spec.hours, actor=actor))
    if added:
        desk.save(*added)
    return len(added)


# -- reading the catalogue ---------------------------------------------------------------------

def list_departments(desk: ServiceDesk, *, include_inactive: bool = False) -> list[Department]:
    """Departments in code order."""
    found = desk.known().all(Department)
    return sorted((d for d in found if include_inactive or d.active), key=lambda d: d.code)


def list_services(desk: ServiceDesk, *, department: str | None = None,
                  include_internal: bool = False,
                  include_inactive: bool = False) -> list[Service]:
    """Services in code order; by default only the active ones customers can ask for."""
    found = desk.known().all(Service)
    return sorted((s for s in found
                   if (department is None or s.department == department)
                   and (include_internal or s.service_type != "internal")
                   and (include_inactive or s.active)), key=lambda s: s.code)


def list_desks(desk: ServiceDesk) -> list[Desk]:
    """Service desks in code order."""
    return sorted(desk.known().all(Desk), key=lambda d: d.code)


def get_desk(desk: ServiceDesk, code: str) -> Desk:
    """The desk as recorded now (a fresh copy, safe to change). Raises NotFound (`code`)."""
    try:
        found: Aggregate = desk.repository.get(Desk.create_id(code))
    except AggregateNotFoundError:
        raise NotFound(f"no service desk {code}", "code") from None
    if not isinstance(found, Desk):
        raise NotFound(f"no service desk {code}", "code")
    return found


def get_department(desk: ServiceDesk, code: str) -> Department:
    """Raises NotFound."""
    department = desk.find_department(code)
    if department is None:
        raise NotFound(f"no department {code}")
    return department


def get_service(desk: ServiceDesk, code: str) -> Service:
    """Raises NotFound."""
    service = desk.find_service(code)
    if service is None:
        raise NotFound(f"no service {code}")
    return service
