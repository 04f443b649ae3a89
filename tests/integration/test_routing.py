"""Routing rules at work on SQLite and PostgreSQL: a receipt routed by the first matching
rule, the event naming the rule and its version, auto-assignment by least open work counted
by the queues read model, staff marked away skipped, and routing again on reclassification."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from application import routing_admin
from application.desk import ServiceDesk
from domain.actors import Actor, Role
from domain.cases import Case
from domain.errors import Forbidden, InvalidValue
from domain.routing import Actions, Conditions, RoutingRule
from engine.runner import ProjectionSet
from infrastructure.bootstrap import SERVED_READ_MODELS
from infrastructure.settings import Settings
from projections.queues import QUEUES
from tests import receiving
from tests.commanding import change_case
from tests.conftest import MovableClock, running_projections
from tests.receiving import receive_at
from tests.toronto_time import toronto

ADMIN = Actor(id="admin-al", role=Role.ADMIN)
BO = Actor(id="staff-bo", role=Role.STAFF, departments=frozenset({"public-works"}))
TEAM = ["staff-bo", "staff-cy", "staff-di"]

POTHOLES = RoutingRule(id="potholes", conditions=Conditions(keywords=("pothole",)),
                       actions=Actions(department="public-works", team=True, priority="high"))
COMPLAINTS = RoutingRule(id="complaints",
                         conditions=Conditions(classifications=("complaint",)),
                         actions=Actions(department="cao", assignee="mgr-cao"))
CATCH_ALL = RoutingRule(id="everything-else", actions=Actions(priority="normal"))


@pytest.fixture
def queues(settings: Settings, desk: ServiceDesk) -> Iterator[ProjectionSet]:
    with running_projections(settings, desk, QUEUES) as running:
        desk.open_work = running.view(QUEUES.name)
        yield running


def routed_events(desk: ServiceDesk, case: Case) -> list[Any]:
    return [e for e in desk.events.get(case.id) if type(e).__name__ == "RoutedByRule"]


def receive(desk: ServiceDesk, subject: str = "Pothole on King St", **overrides: Any) -> Case:
    return receiving.receive(desk, subject=subject, department="planning", **overrides).case


class TestRoutingAtReceipt:
    def test_given_rules_when_a_pothole_email_arrives_then_the_first_match_routes_it_and_says_so(
            self, desk: ServiceDesk, queues: ProjectionSet) -> None:
        routing_admin.set_team(desk, ADMIN, "public-works", TEAM)
        routing_admin.publish_rules(desk, ADMIN, [POTHOLES, COMPLAINTS, CATCH_ALL],
                                    reason="spring")
        case = receive(desk)
        # Asked for planning; the potholes rule (first, over the catch-all) sends it to
        # public works, to the first of the team (nobody has open work: a tie).
        assert (case.department, case.assignee, case.priority) == \
            ("public-works", "staff-bo", "high")
        [routed] = routed_events(desk, case)
        assert (routed.rule_id, routed.rule_version, routed.rules_version, routed.trigger,
                routed.assigned_by) == ("potholes", 1, 2, "received", "least_open_work")
        kinds = [type(e).__name__ for e in desk.events.get(case.id)]
        assert kinds[:3] == ["Received", "RoutedByRule", "Assigned"]
        # Its targets were planned on the department it was routed to.
        assert case.targets

    def test_a_changed_rule_is_named_with_its_new_version(
            self, desk: ServiceDesk) -> None:
        routing_admin.publish_rules(desk, ADMIN, [POTHOLES, CATCH_ALL])
        changed = RoutingRule(id="potholes", conditions=POTHOLES.conditions,
                              actions=Actions(department="public-works", priority="urgent"))
        routing_admin.publish_rules(desk, ADMIN, [changed, CATCH_ALL])
        [routed] = routed_events(desk, receive(desk))
        assert (routed.rule_id, routed.rule_version, routed.rules_version) == \
            ("potholes", 2, 3)

    def test_without_rules_a_case_goes_where_its_service_says_and_no_rule_is_named(
            self, desk: ServiceDesk) -> None:
        case = receive(desk)
        assert case.department == "planning"
        assert routed_events(desk, case) == []

    def test_given_the_least_busy_member_is_away_when_a_case_arrives_then_the_next_gets_it(
            self, desk: ServiceDesk, queues: ProjectionSet) -> None:
        routing_admin.set_team(desk, ADMIN, "public-works", TEAM)
        # Open work: bo none, cy one, di two.
        for assignee, count in (("staff-cy", 1), ("staff-di", 2)):
            for _ in range(count):
                case = receiving.receive(desk).case
                change_case(desk, ADMIN, case.id, "assign", expected_version=None,
                            assignee=assignee)
        routing_admin.mark_away(desk, BO, "staff-bo", reason="annual leave")  # by himself
        routing_admin.publish_rules(desk, ADMIN, [POTHOLES])
        queues.wait_for(desk.log_position())
        case = receive(desk)
        assert case.assignee == "staff-cy"
        [routed] = routed_events(desk, case)
        assert routed.skipped_away == ["staff-bo"]
        # Back from leave: bo, with the least open work, is chosen again.
        routing_admin.mark_back(desk, ADMIN, "staff-bo")
        queues.wait_for(desk.log_position())
        assert receive(desk).assignee == "staff-bo"

    def test_only_that_person_or_an_administrator_marks_someone_away(
            self, desk: ServiceDesk) -> None:
        position = desk.log_position()
        with pytest.raises(Forbidden):
            routing_admin.mark_away(desk, BO, "staff-cy", reason="covering for her")
        assert desk.log_position() == position


class TestTimeOfDayOnTheDesksCalendar:
    """The Marina and Campground opens every day 10:00-18:00 Toronto time (the seed); Toronto
    is UTC-5 until Sunday 2026-03-08."""

    MARINA_CLOSED = RoutingRule(
        id="marina-closed",
        conditions=Conditions(desks=("marina-campground",), hours="closed"),
        actions=Actions(department="community", priority="low"))

    def test_a_walk_in_at_closing_time_exactly_is_after_hours_and_a_minute_before_is_not(
            self, desk: ServiceDesk, clock: MovableClock) -> None:
        routing_admin.publish_rules(desk, ADMIN, [self.MARINA_CLOSED])
        walk_in = dict(channel="in_person", desk="marina-campground", subject="Slip rental")
        # Wednesday 2026-03-04 17:59 Toronto = 22:59 UTC: open (closes at 18:00).
        before = receive_at(desk, clock, toronto(2026, 3, 4, 17, 59), **walk_in)
        # 18:00 Toronto = 23:00 UTC: the closing time itself is closed ([10:00, 18:00)).
        at_closing = receive_at(desk, clock, toronto(2026, 3, 4, 18, 0), **walk_in)
        assert (before.department, before.priority) == ("public-works", None)
        assert (at_closing.department, at_closing.priority) == ("community", "low")
        assert [e.rule_id for e in routed_events(desk, at_closing)] == ["marina-closed"]

    def test_the_same_hour_at_the_central_desk_is_not_the_marinas(
            self, desk: ServiceDesk, clock: MovableClock) -> None:
        routing_admin.publish_rules(desk, ADMIN, [self.MARINA_CLOSED])
        # 18:00 Toronto at Victoria Hall: closed there too, but the rule names the marina.
        case = receive_at(desk, clock, toronto(2026, 3, 4, 18, 0), channel="in_person",
                          desk="victoria-hall", subject="Dog licence")
        assert routed_events(desk, case) == []


class TestRoutingOnReclassification:
    def test_a_case_classified_as_complaint_is_routed_again_by_the_complaints_rule(
            self, desk: ServiceDesk) -> None:
        routing_admin.publish_rules(desk, ADMIN, [COMPLAINTS, CATCH_ALL])
        case = receive(desk, subject="Rude reply")
        assert (case.department, case.priority) == ("planning", "normal")
        change_case(desk, ADMIN, case.id, "classify", expected_version=None,
                    classification="complaint", reason="customer is unhappy")
        case = desk.get_case(ADMIN, case.id)
        assert (case.department, case.assignee) == ("cao", "mgr-cao")
        first, second = routed_events(desk, case)
        assert (first.rule_id, first.trigger) == ("everything-else", "received")
        assert (second.rule_id, second.rule_version, second.trigger) == \
            ("complaints", 1, "reclassified")
        kinds = [type(e).__name__ for e in desk.events.get(case.id)]
        assert kinds[kinds.index("Classified"):][:4] == \
            ["Classified", "RoutedByRule", "Transferred", "Assigned"]


class TestEveryReadModelFollows:
    def test_rules_teams_absences_and_routed_cases_pass_through_every_read_model(
            self, settings: Settings, desk: ServiceDesk) -> None:
        with running_projections(settings, desk, *SERVED_READ_MODELS) as projections:
            routing_admin.set_team(desk, ADMIN, "public-works", TEAM)
            routing_admin.mark_away(desk, ADMIN, "staff-bo", reason="training")
            routing_admin.publish_rules(desk, ADMIN, [COMPLAINTS, POTHOLES, CATCH_ALL])
            case = receive(desk)
            change_case(desk, ADMIN, case.id, "classify", expected_version=None,
                        classification="complaint", reason="third call")
            # Raises ReadModelFailed if any read model could not apply one of these events.
            projections.wait_for(desk.log_position(), timeout=30)
            queued = projections.view(QUEUES.name).open_cases_of(["mgr-cao", "staff-cy"])
        # Routed to public works for cy (bo away), then by the complaints rule to the CAO.
        assert queued == {"mgr-cao": 1}


class TestPublishingAgainstTheCatalogue:
    @pytest.mark.parametrize(("bad", "field"), [
        (RoutingRule(id="x", actions=Actions(department="nowhere")),
         "rules[1].actions.department"),
        (RoutingRule(id="x", conditions=Conditions(services=("no-such",)),
                     actions=Actions(priority="low")), "rules[1].conditions.services"),
        (RoutingRule(id="x", conditions=Conditions(desks=("the-moon",)),
                     actions=Actions(priority="low")), "rules[1].conditions.desks"),
    ])
    def test_a_rule_naming_what_the_catalogue_lacks_is_refused_and_nothing_published(
            self, desk: ServiceDesk, bad: RoutingRule, field: str) -> None:
        position = desk.log_position()
        with pytest.raises(InvalidValue) as refused:
            routing_admin.publish_rules(desk, ADMIN, [CATCH_ALL, bad])
        assert refused.value.field == field
        assert desk.log_position() == position
