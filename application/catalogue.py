"""Catalogue commands: administrators keep departments, services and desks up to date."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from application.access import check_admin
from application.desk import ServiceDesk
from domain.actors import Actor
from domain.catalogue import Department, Desk, Service
from domain.errors import AlreadyExists, InvalidValue, NotFound

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


def register_department(desk: ServiceDesk, actor: Actor, spec: DepartmentSpec) -> Department:
    """Raises Forbidden, AlreadyExists, InvalidValue."""
    check_admin(actor)
    if desk.find_department(spec.code) is not None:
        raise AlreadyExists(f"department {spec.code} already exists", "code")
    department = Department.register(code=spec.code, name=spec.name,
                                     business_units=spec.business_units,
                                     hourly_rate_cents=spec.hourly_rate_cents, actor=actor)
    desk.save(department)
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
    desk.save(service)
    return service


def revise_department(desk: ServiceDesk, actor: Actor, code: str, *, name: str | None = None,
                      business_units: dict[str, str] | None = None,
                      hourly_rate_cents: int | None = None,
                      active: bool | None = None) -> Department:
    check_admin(actor)
    department = desk.find_department(code)
    if department is None:
        raise NotFound(f"no department {code}")
    department.revise(name=name, business_units=business_units,
                      hourly_rate_cents=hourly_rate_cents, active=active, actor=actor)
    desk.save(department)
    return department


def revise_service(desk: ServiceDesk, actor: Actor, code: str, *, name: str | None = None,
                   description: str | None = None, keywords: list[str] | None = None,
                   active: bool | None = None) -> Service:
    check_admin(actor)
    service = desk.find_service(code)
    if service is None:
        raise NotFound(f"no service {code}")
    service.revise(name=name, description=description, keywords=keywords, active=active,
                   actor=actor)
    desk.save(service)
    return service


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
            added.append(Desk(code=spec.code, name=spec.name, central=spec.central,
                              actor_id=actor.id, actor_role=actor.role.value))
    if added:
        desk.save(*added)
    return len(added)
