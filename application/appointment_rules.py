"""Administrators set how long a service's appointments are and how many bookings a slot
takes, per mode (domain.appointments.ServiceSlotRules); everyone reads them."""

from __future__ import annotations

from application.access import check_admin
from application.appointments import rules_for
from application.desk import ServiceDesk
from domain.actors import Actor
from domain.appointments import Mode, ServiceSlotRules, SlotRules
from domain.errors import NotFound


def _check_service(desk: ServiceDesk, service_code: str) -> None:
    if desk.known().service(service_code) is None:
        raise NotFound(f"no service {service_code!r}", "code")


def slot_rules(desk: ServiceDesk, service_code: str) -> dict[str, SlotRules]:
    """The rules in force for each mode. Raises NotFound (unknown service)."""
    _check_service(desk, service_code)
    return {mode.value: rules_for(desk.find, service_code, mode.value) for mode in Mode}


def set_slot_rules(desk: ServiceDesk, actor: Actor, service_code: str, *, mode: str,
                   length_minutes: int, capacity: int, reason: str) -> dict[str, SlotRules]:
    """Set one mode's rules; the rules in force after. Raises Forbidden, NotFound, InvalidValue,
    VersionConflict (two administrators at once: retry)."""
    check_admin(actor)
    _check_service(desk, service_code)
    found = desk.find(ServiceSlotRules.create_id(service_code))
    book = found if isinstance(found, ServiceSlotRules) else ServiceSlotRules.start(
        service_code)
    book.set(mode=mode, length_minutes=length_minutes, capacity=capacity, reason=reason,
             actor_id=actor.id, actor_role=actor.role.value)
    desk.save_aggregates(book)
    return slot_rules(desk, service_code)
