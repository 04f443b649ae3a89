"""A queue shows the priority routing rules gave each case and, asked to, lists urgent work
first, then by what is due next (`order=priority`), page by page; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from application import routing_admin
from application.desk import ServiceDesk
from application.work_queues import QueueEntry
from domain.actors import Actor, Role
from domain.errors import InvalidValue
from domain.routing import Actions, Conditions, RoutingRule
from engine.runner import ProjectionSet
from infrastructure.settings import Settings
from projections.queues import QUEUES
from tests import receiving
from tests.conftest import MovableClock, running_projections
from tests.toronto_time import toronto

ADMIN = Actor(id="admin-al", role=Role.ADMIN)
WORKS = "public-works"
RULES = [RoutingRule(id=f"{word}s", conditions=Conditions(keywords=(word,)),
                     actions=Actions(department=WORKS, priority=priority))
         for word, priority in (("flood", "urgent"), ("pothole", "high"), ("graffiti", "low"))]
# Anything else goes to public works too, with no priority (it counts as normal).
RULES.append(RoutingRule(id="everything-else", actions=Actions(department=WORKS)))


@pytest.fixture
def queues(settings: Settings, desk: ServiceDesk) -> Iterator[ProjectionSet]:
    with running_projections(settings, desk, QUEUES) as running:
        yield running


def page(desk: ServiceDesk, queues: ProjectionSet, clock: MovableClock, order: str,
         after: str | None = None, limit: int = 2) -> tuple[list[QueueEntry], str | None]:
    queues.wait_for(desk.log_position(), 30.0)
    return queues.view(QUEUES.name).queue(None, now=clock(), calendars=desk.calendars(clock()),
                                          department=WORKS, after=after, limit=limit,
                                          order=order)


def subjects_in_order(desk: ServiceDesk, queues: ProjectionSet, clock: MovableClock,
                      order: str) -> list[tuple[str, str | None]]:
    """Every case of the queue, two a page, as (reference's subject, priority)."""
    entries, cursor = page(desk, queues, clock, order)
    while cursor is not None:
        more, cursor = page(desk, queues, clock, order, after=cursor)
        entries += more
    return [(SUBJECTS[e.reference], e.priority) for e in entries]


SUBJECTS: dict[str, str] = {}


@pytest.fixture
def five_cases(desk: ServiceDesk, clock: MovableClock) -> None:
    """Five emails ten minutes apart from Wednesday 2026-03-04 10:00 Toronto, so each is due
    ten minutes after the one before (same channel, same department, same targets)."""
    routing_admin.publish_rules(desk, ADMIN, RULES, reason="spring")
    start = toronto(2026, 3, 4, 10)
    for n, subject in enumerate(["Flood on Elm St", "Graffiti on the bridge",
                                 "Streetlight out", "Pothole on King St", "Flood on King St"]):
        case = receiving.receive_at(desk, clock, start + timedelta(minutes=10 * n),
                                    subject=subject, department="planning")
        SUBJECTS[case.reference] = subject


@pytest.mark.usefixtures("five_cases")
class TestOrderByPriority:
    def test_by_default_the_queue_is_next_due_first_and_shows_each_priority(
            self, desk: ServiceDesk, queues: ProjectionSet, clock: MovableClock) -> None:
        assert subjects_in_order(desk, queues, clock, "due") == [
            ("Flood on Elm St", "urgent"), ("Graffiti on the bridge", "low"),
            ("Streetlight out", None), ("Pothole on King St", "high"),
            ("Flood on King St", "urgent")]

    def test_by_priority_urgent_comes_first_then_next_due_across_pages(
            self, desk: ServiceDesk, queues: ProjectionSet, clock: MovableClock) -> None:
        # urgent (Elm due before King), high, none (as normal), low; two a page
        assert subjects_in_order(desk, queues, clock, "priority") == [
            ("Flood on Elm St", "urgent"), ("Flood on King St", "urgent"),
            ("Pothole on King St", "high"), ("Streetlight out", None),
            ("Graffiti on the bridge", "low")]

    def test_a_cursor_of_one_order_is_refused_by_the_other(
            self, desk: ServiceDesk, queues: ProjectionSet, clock: MovableClock) -> None:
        _, by_due = page(desk, queues, clock, "due")
        _, by_priority = page(desk, queues, clock, "priority")
        for order, cursor in (("priority", by_due), ("due", by_priority)):
            with pytest.raises(InvalidValue) as refused:
                page(desk, queues, clock, order, after=cursor)
            assert refused.value.field == "after"

    def test_an_unknown_order_is_refused_naming_it(
            self, desk: ServiceDesk, queues: ProjectionSet, clock: MovableClock) -> None:
        with pytest.raises(InvalidValue) as refused:
            page(desk, queues, clock, "loudest")
        assert refused.value.field == "order"
