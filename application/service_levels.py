"""Administering the promises: publishing service standards and closing the desk on given days."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, time

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from application.access import check_admin
from application.calendar_replans import follow_calendar_changes
from application.desk import ServiceDesk
from domain.actors import Actor
from domain.calendar import Closure
from domain.closures import CalendarBook
from domain.standards import (
    CORPORATE_STANDARDS,
    ServiceStandard,
    ServiceStandards,
    default_resolution_standards,
)


def seed_service_levels(desk: ServiceDesk, actor: Actor,
                        services: Sequence[tuple[str, str | None]] = ()) -> int:
    """Publish the corporate standards of section 4.2 as version 1, with a draft resolution
    standard for each of `services` (code, purpose: the public ones), and open the calendar.

    Does nothing that was done before, so every start may call it. Returns what it added.
    """
    missing: list[Aggregate] = []
    try:
        desk.repository.get(ServiceStandards.create_id())
    except AggregateNotFoundError:
        missing.append(ServiceStandards.publish_first(
            (*CORPORATE_STANDARDS, *default_resolution_standards(services)), actor,
            reason="Corporate service standards, section 4.2; draft resolution standards "
                   "per service for the Town to confirm"))
    try:
        desk.repository.get(CalendarBook.create_id())
    except AggregateNotFoundError:
        missing.append(CalendarBook())
    if missing:
        desk.save(*missing)
    return len(missing)


def revise_standards(desk: ServiceDesk, actor: Actor, standards: Iterable[ServiceStandard],
                     reason: str) -> int:
    """Publish a new version; cases received from now on follow it. Returns its number.

    Raises Forbidden and InvalidValue.
    """
    check_admin(actor)
    book = desk.standards()
    version = book.revise(standards, actor, reason)
    desk.save(book)
    return version


def add_closure(desk: ServiceDesk, actor: Actor, *, day: date, from_time: time | None,
                until_time: time | None, reason: str) -> Closure:
    """Close the desk for a day or part of one, and move every pending deadline the closure
    crosses. Raises Forbidden, InvalidValue, RuleViolated."""
    check_admin(actor)
    book = desk.calendar_book()
    closure = book.add_closure(day=day, from_time=from_time, until_time=until_time,
                               reason=reason, actor=actor, now=desk.clock())
    desk.save(book)
    follow_calendar_changes(desk)
    return closure
