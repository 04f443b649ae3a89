"""Keeping the routing rules, the departments' teams and who is away: administrators publish
rules and teams; staff mark themselves away and back (an administrator may for them)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, RecordConflictError

from application.access import check_admin
from application.desk import ServiceDesk
from domain.actors import Actor, Role
from domain.errors import Forbidden, InvalidValue, NotFound, VersionConflict
from domain.routing import RoutingRule, RoutingRules
from domain.teams import StaffAvailability, Team

A = TypeVar("A", bound=Aggregate)


def current_rules(desk: ServiceDesk) -> RoutingRules | None:
    """The rules as now published (None: never published)."""
    return desk.known().routing_rules


def publish_rules(desk: ServiceDesk, actor: Actor, rules: Sequence[RoutingRule], *,
                  reason: str = "", expected_version: int | None = None) -> RoutingRules:
    """Replace the routing rules, in order. Raises Forbidden, InvalidValue (naming the field,
    e.g. `rules[1].actions.department`), VersionConflict (`expected_version` is not the
    version now published, or another administrator published meanwhile)."""
    check_admin(actor)
    known = desk.known()
    for index, rule in enumerate(rules):
        where = f"rules[{index}]"
        department = rule.actions.department
        if department is not None and (
                (found := known.department(department)) is None or not found.active):
            raise InvalidValue(f"no active department {department!r}",
                               f"{where}.actions.department")
        for service in rule.conditions.services:
            if known.service(service) is None:
                raise InvalidValue(f"no service {service!r}", f"{where}.conditions.services")
        desks = set(known.calendars(desk.clock()).by_desk) if rule.conditions.desks else set()
        for code in rule.conditions.desks:
            if code not in desks:
                raise InvalidValue(f"no service desk {code!r}", f"{where}.conditions.desks")
    stored = _load(desk, RoutingRules, RoutingRules.create_id())
    published = stored or RoutingRules.start()
    version = 0 if stored is None else stored.version
    if expected_version is not None and expected_version != version:
        raise VersionConflict(f"expected version {expected_version}, but the rules are at "
                              f"version {version}", version)
    published.publish(rules, reason=reason, actor=actor)
    _save(desk, published, "the routing rules were published by someone else; reload")
    return published


def team_of(desk: ServiceDesk, department: str) -> Team | None:
    return _load(desk, Team, Team.create_id(department))


def set_team(desk: ServiceDesk, actor: Actor, department: str,
             members: Sequence[str]) -> Team:
    """Raises Forbidden, NotFound (no such department), InvalidValue (`members[i]`)."""
    check_admin(actor)
    if desk.known().department(department) is None:
        raise NotFound(f"no department {department}", "department")
    team = team_of(desk, department) or Team.form(department=department)
    team.set_members(members, actor=actor)
    _save(desk, team, "the team was changed by someone else; reload")
    return team


def availability(desk: ServiceDesk, staff_id: str) -> StaffAvailability | None:
    return _load(desk, StaffAvailability, StaffAvailability.create_id(staff_id))


def mark_away(desk: ServiceDesk, actor: Actor, staff_id: str,
              reason: str) -> StaffAvailability:
    """Raises Forbidden (neither that person nor an administrator), InvalidValue,
    RuleViolated (already away)."""
    _check_self_or_admin(actor, staff_id)
    found = availability(desk, staff_id) or StaffAvailability.begin(staff_id=staff_id)
    found.mark_away(reason=reason, actor=actor)
    _save(desk, found, "someone else changed this person's availability; reload")
    return found


def mark_back(desk: ServiceDesk, actor: Actor, staff_id: str) -> StaffAvailability:
    """Raises Forbidden, RuleViolated (not away)."""
    _check_self_or_admin(actor, staff_id)
    found = availability(desk, staff_id) or StaffAvailability.begin(staff_id=staff_id)
    found.mark_back(actor=actor)
    _save(desk, found, "someone else changed this person's availability; reload")
    return found


def _check_self_or_admin(actor: Actor, staff_id: str) -> None:
    if actor.role != Role.ADMIN and actor.id != staff_id:
        raise Forbidden("only that person or an administrator marks someone away or back")


def _load(desk: ServiceDesk, kind: type[A], aggregate_id: UUID) -> A | None:
    try:
        found: Aggregate = desk.repository.get(aggregate_id)
    except AggregateNotFoundError:
        return None
    if not isinstance(found, kind):
        raise NotFound(f"no {kind.__name__} {aggregate_id}")
    return found


def _save(desk: ServiceDesk, aggregate: Aggregate, conflict: str) -> None:
    try:
        desk.save(aggregate)
    except (RecordConflictError, IntegrityError):
        raise VersionConflict(conflict) from None
