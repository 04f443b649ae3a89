"""Routing rules on their own: first match wins, each condition, versions, the team pick and
the event a decision leaves on a case. No database, no HTTP.

The central desk opens Monday to Friday 08:30-16:30 America/Toronto; in March 2026 Toronto is
UTC-5 until Sunday March 8, then UTC-4.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from domain.actors import ROUTING, Actor, Role
from domain.calendar import BusinessCalendar
from domain.cases import Case
from domain.errors import InvalidValue
from domain.routing import (
    Actions,
    CaseFacts,
    Conditions,
    RoutingDecision,
    RoutingRule,
    RoutingRules,
    first_match,
    least_open_work,
)
from projections import case_state

ADMIN = Actor(id="admin-al", role=Role.ADMIN)
CSR = Actor(id="csr-ana", role=Role.CSR)
CALENDAR = BusinessCalendar()


def facts(**overrides: Any) -> CaseFacts:
    given: dict[str, Any] = dict(
        channel="email", service_code="roads-potholes", desk="victoria-hall",
        subject="Pothole on King Street", description="A deep hole by the school",
        classification=None, received_at=datetime(2026, 3, 4, 15, 0, tzinfo=UTC),
        calendar=CALENDAR)
    given.update(overrides)
    return CaseFacts(**given)


def rule(rule_id: str, **conditions: Any) -> RoutingRule:
    return RoutingRule(id=rule_id, conditions=Conditions(**conditions),
                       actions=Actions(department="public-works"))


class TestFirstMatchWins:
    def test_given_two_matching_rules_when_evaluated_then_the_earlier_one_decides(self) -> None:
        rules = [rule("by-keyword", keywords=("pothole",)), rule("by-channel", channels=("email",))]
        assert first_match(rules, facts()).id == "by-keyword"  # type: ignore[union-attr]
        assert first_match(list(reversed(rules)), facts()).id == "by-channel"  # type: ignore[union-attr]

    def test_a_rule_whose_conditions_fail_is_passed_over_for_the_next(self) -> None:
        rules = [rule("phone", channels=("telephone",)), rule("catch-all")]
        assert first_match(rules, facts()).id == "catch-all"  # type: ignore[union-attr]

    def test_no_rule_matching_decides_nothing(self) -> None:
        assert first_match([rule("phone", channels=("telephone",))], facts()) is None

    def test_every_condition_of_a_rule_must_hold(self) -> None:
        both = rule("both", channels=("email",), services=("parks-trees",))
        assert first_match([both], facts()) is None
        assert first_match([both], facts(service_code="parks-trees")) is not None

    def test_keywords_match_subject_or_description_ignoring_case(self) -> None:
        school = rule("school", keywords=("SCHOOL",))
        assert first_match([school], facts()) is not None  # in the description
        assert first_match([school], facts(description="")) is None

    def test_desk_and_classification_conditions(self) -> None:
        marina = rule("marina", desks=("marina",))
        complaints = rule("complaints", classifications=("complaint",))
        unclassified = rule("new", classifications=("unclassified",))
        assert first_match([marina], facts()) is None
        assert first_match([marina], facts(desk="marina")) is not None
        assert first_match([complaints], facts()) is None
        assert first_match([complaints], facts(classification="complaint")) is not None
        assert first_match([unclassified], facts()) is not None


class TestTimeOfDay:
    """The after-hours rule: 16:30 to 08:30 desk-local time, and 'closed' on the calendar."""

    after_hours = rule("after-hours", local_from=time(16, 30), local_until=time(8, 30))
    closed = rule("closed", hours="closed")

    def test_at_closing_time_exactly_the_after_hours_window_has_begun(self) -> None:
        # Wednesday 2026-03-04 16:30 Toronto = 21:30 UTC (UTC-5): the window is [16:30, 08:30).
        at = datetime(2026, 3, 4, 21, 30, tzinfo=UTC)
        assert first_match([self.after_hours], facts(received_at=at)) is not None
        assert first_match([self.after_hours], facts(received_at=at - timedelta(minutes=1))) \
            is None  # 16:29 Toronto

    def test_at_opening_time_exactly_the_after_hours_window_has_ended(self) -> None:
        # Thursday 2026-03-05 08:30 Toronto = 13:30 UTC; 08:29 is still after hours.
        at = datetime(2026, 3, 5, 13, 30, tzinfo=UTC)
        assert first_match([self.after_hours], facts(received_at=at)) is None
        assert first_match([self.after_hours], facts(received_at=at - timedelta(minutes=1))) \
            is not None

    def test_the_window_is_desk_local_wall_clock_time_across_daylight_saving(self) -> None:
        # Monday 2026-03-09 (after the change to UTC-4): 16:30 Toronto = 20:30 UTC, which
        # a week earlier (UTC-5) was 15:30 Toronto, inside business hours.
        assert first_match([self.after_hours],
                           facts(received_at=datetime(2026, 3, 9, 20, 30, tzinfo=UTC)))
        assert first_match([self.after_hours],
                           facts(received_at=datetime(2026, 3, 2, 20, 30, tzinfo=UTC))) is None

    def test_closed_follows_the_desks_business_calendar_on_a_holiday(self) -> None:
        # Good Friday 2026-04-03 at 11:00 Toronto (15:00 UTC, UTC-4): a weekday inside the
        # hours, but a holiday, so the desk is closed; the day before at 11:00 it is open.
        holiday = datetime(2026, 4, 3, 15, 0, tzinfo=UTC)
        assert first_match([self.closed], facts(received_at=holiday)) is not None
        assert first_match([self.closed], facts(received_at=holiday - timedelta(days=1))) \
            is None


class TestPublishing:
    def test_each_rule_keeps_its_version_until_it_changes(self) -> None:
        rules = RoutingRules.start()
        rules.publish([rule("a", channels=("email",)), rule("b")], reason="first", actor=ADMIN)
        rules.publish([rule("b"), rule("a", channels=("telephone",))], reason="", actor=ADMIN)
        assert [(r.id, r.version) for r in rules.rules] == [("b", 1), ("a", 2)]
        rules.publish([rule("b")], reason="a retired", actor=ADMIN)
        rules.publish([rule("b"), rule("a", channels=("telephone",))], reason="", actor=ADMIN)
        # a returns as version 3: versions never repeat, so an old event's version is unique.
        assert [(r.id, r.version) for r in rules.rules] == [("b", 1), ("a", 3)]
        assert rules.version == 5  # started, then four publications

    @pytest.mark.parametrize(("rules", "field"), [
        ([rule("a"), rule("a")], "rules[1].id"),
        ([rule("bad id!")], "rules[0].id"),
        ([rule("a", channels=("pigeon",))], "rules[0].conditions.channels"),
        ([rule("a", local_from=time(8, 0))], "rules[0].conditions.local_until"),
        ([rule("a", hours="lunch")], "rules[0].conditions.hours"),
        ([rule("a", classifications=("rant",))], "rules[0].conditions.classifications"),
        ([RoutingRule(id="a", actions=Actions())], "rules[0].actions"),
        ([RoutingRule(id="a", actions=Actions(assignee="bo", team=True))],
         "rules[0].actions.team"),
        ([RoutingRule(id="a", actions=Actions(priority="asap"))], "rules[0].actions.priority"),
    ])
    def test_a_bad_rule_is_refused_naming_the_field_and_nothing_is_published(
            self, rules: list[RoutingRule], field: str) -> None:
        published = RoutingRules.start()
        with pytest.raises(InvalidValue) as refused:
            published.publish(rules, reason="", actor=ADMIN)
        assert refused.value.field == field
        assert published.rules == () and published.version == 1


class TestLeastOpenWork:
    def test_the_member_with_fewest_open_cases_is_chosen(self) -> None:
        assert least_open_work(["bo", "cy", "di"], (), {"bo": 3, "cy": 1, "di": 2}) == ("cy", ())

    def test_a_tie_goes_to_the_earlier_member(self) -> None:
        assert least_open_work(["bo", "cy"], (), {}) == ("bo", ())

    def test_given_the_least_busy_member_is_away_then_the_next_is_chosen(self) -> None:
        assert least_open_work(["bo", "cy", "di"], {"cy"}, {"bo": 3, "cy": 0, "di": 2}) == \
            ("di", ("cy",))

    def test_given_everyone_is_away_nobody_is_chosen(self) -> None:
        assert least_open_work(["bo", "cy"], {"bo", "cy"}, {}) == (None, ("bo", "cy"))


class TestTheEventOnTheCase:
    now = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)

    def a_case(self) -> Case:
        return Case.receive(reference="SC-2026-000001", channel="email",
                            occurred_at=self.now, purpose="issue_or_complaint",
                            service_code="roads-potholes", department="public-works",
                            subject="Pothole", description="", customer_id=None, actor=CSR,
                            now=self.now)

    def test_a_decision_records_the_rule_and_its_version_then_its_effects(self) -> None:
        case = self.a_case()
        decision = RoutingDecision(rule_id="after-hours", rule_version=3, rules_version=7,
                                   department="planning", assignee="cy",
                                   assigned_by="least_open_work", skipped_away=("bo",),
                                   priority="high")
        assert case.route(decision, trigger="received", actor=ROUTING, occurred_at=self.now,
                          now=self.now)
        events = case.collect_events()
        assert [type(e).__name__ for e in events] == \
            ["Received", "RoutedByRule", "Transferred", "Assigned"]
        routed: Any = events[1]
        assert (routed.rule_id, routed.rule_version, routed.rules_version, routed.trigger,
                routed.skipped_away, routed.actor_id) == \
            ("after-hours", 3, 7, "received", ["bo"], "civicdesk-routing")
        assert (case.department, case.assignee, case.priority) == ("planning", "cy", "high")

    def test_a_routed_case_is_snapshotted_exactly(self) -> None:
        case = self.a_case()
        case.route(RoutingDecision(rule_id="r", rule_version=2, rules_version=4,
                                   department="planning", priority="urgent"),
                   trigger="received", actor=ROUTING, occurred_at=self.now, now=self.now)
        case.collect_events()
        assert case_state.decode(case_state.encode(case)).__dict__ == case.__dict__

    def test_a_decision_that_changes_nothing_records_nothing(self) -> None:
        case = self.a_case()
        case.collect_events()
        decision = RoutingDecision(rule_id="roads", rule_version=1, rules_version=2,
                                   department="public-works")
        assert not case.route(decision, trigger="reclassified", actor=ROUTING,
                              occurred_at=self.now, now=self.now)
        assert case.collect_events() == []
