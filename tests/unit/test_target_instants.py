"""The instants that decide a target's state, fixed by the domain when it plans, re-plans or
resumes a target, worked out by hand; and the case-status rule.

The desk is open Monday to Friday 08:30-16:30 Toronto time (UTC-5 until Sun 2026-03-08).
An email is acknowledged within 2 business days (16 h) and is at risk with less than 25%
(4 h) left.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from domain.calendar import BusinessCalendar
from domain.case_status import status_after
from domain.standards import ServiceStandard, TargetKind, TimeBasis
from domain.targets import Target, TargetState, pause, resume, state_at, target_for
from tests.toronto_time import local

HOUR = 3600
CALENDAR = BusinessCalendar()
EMAIL_ACK = ServiceStandard("email-acknowledge", "Emails acknowledged within 2 business days",
                            TargetKind.ACKNOWLEDGE, 16 * HOUR, channel="email")


class TestAtRiskFrom:
    def test_it_is_four_business_hours_before_the_due_time(self) -> None:
        # Given an email received Tue Mar 3 15:00: Tue 1.5 h, Wed 8 h, Thu 6.5 h -> due Thu
        # 15:00; 12 h of the 16 after receipt (Tue 1.5, Wed 8, Thu 2.5 from 08:30) is Thu 11:00
        target = target_for(EMAIL_ACK, 1, local(2026, 3, 3, 15), CALENDAR)
        assert target.due_at == local(2026, 3, 5, 15)
        assert target.at_risk_from == local(2026, 3, 5, 11)
        # Then it is pending at 11:00 and at risk a second later
        assert state_at(target, local(2026, 3, 5, 11)) is TargetState.PENDING
        assert state_at(target, local(2026, 3, 5, 11) + timedelta(seconds=1)) is (
            TargetState.AT_RISK)

    def test_landing_on_a_closing_time_it_is_the_next_opening(self) -> None:
        # Given a 12-business-hour promise at risk with a third (4 h) left, received Thu
        # Mar 5 08:30: due Thu 8 h + Fri 4 h = Fri 12:30; its lead of 12 - 4 = 8 h ends at Thu
        # 16:30, the closing time, and the 4 h left then stay 4 h overnight until time runs
        # again at Fri 08:30: at risk after that
        short = ServiceStandard("email-ack-12", "Within 12 business hours",
                                TargetKind.ACKNOWLEDGE, 12 * HOUR, channel="email",
                                at_risk_share=1 / 3)
        target = target_for(short, 1, local(2026, 3, 5, 8, 30), CALENDAR)
        assert target.due_at == local(2026, 3, 6, 12, 30)
        assert target.at_risk_from == local(2026, 3, 6, 8, 30)
        # So all night it is pending (4 h left, not less), and at risk from Fri 08:30
        assert state_at(target, local(2026, 3, 5, 20)) is TargetState.PENDING
        assert state_at(target, local(2026, 3, 6, 8, 31)) is TargetState.AT_RISK

    def test_a_clock_time_target_is_at_risk_a_share_of_its_duration_before_due(self) -> None:
        # Given a 24-hour clock-time promise received Thu 10:00, at risk with 6 h left
        clock = ServiceStandard("hotline", "Called back within 24 hours",
                                TargetKind.ACKNOWLEDGE, 24 * HOUR, basis=TimeBasis.CALENDAR)
        target = target_for(clock, 1, local(2026, 3, 5, 10), CALENDAR)
        # Then it is due Fri 10:00 and at risk after Fri 04:00
        assert (target.due_at, target.at_risk_from) == (local(2026, 3, 6, 10),
                                                        local(2026, 3, 6, 4))

    def test_resuming_moves_it_by_the_business_time_paused(self) -> None:
        # Given the Tue 15:00 email (due Thu 15:00, at risk from Thu 11:00) paused Wed 10:00
        # and resumed Thu 10:00: 8 business hours paused
        target = target_for(ServiceStandard(
            "pausable", "Pausable", TargetKind.ACKNOWLEDGE, 16 * HOUR, pausable=True),
            1, local(2026, 3, 3, 15), CALENDAR)
        paused = pause(target, local(2026, 3, 4, 10))
        # While paused it keeps the state it had when paused (11 h left: pending)
        assert state_at(paused, local(2026, 3, 6, 12)) is TargetState.PENDING
        resumed = resume(paused, local(2026, 3, 5, 10), CALENDAR)
        # Then both move on 8 h: due Fri 15:00, at risk from Fri 11:00
        assert (resumed.due_at, resumed.at_risk_from) == (local(2026, 3, 6, 15),
                                                          local(2026, 3, 6, 11))

    def test_a_target_recorded_before_the_instant_was_kept_gets_its_share_of_clock_time(
            self) -> None:
        # Given a target's data as recorded before at_risk_from existed (due Thu 15:00)
        data = target_for(EMAIL_ACK, 1, local(2026, 3, 3, 15), CALENDAR).as_data()
        del data["at_risk_from"]
        # Then it is read as at risk 4 h of clock time before: Thu 11:00
        assert Target.from_data(data).at_risk_from == local(2026, 3, 5, 11)


class TestStates:
    @pytest.mark.parametrize(("met", "missed", "expected"), [
        # met Thu 15:00, the due time itself: on time
        ((5, 15), False, TargetState.MET),
        # met Thu 15:01: late
        ((5, 15, 1), False, TargetState.MET_LATE),
        # recorded missed, then met: late
        ((5, 16), True, TargetState.MET_LATE),
    ])
    def test_met_on_time_or_late(self, met: tuple[int, ...], missed: bool,
                                 expected: TargetState) -> None:
        target = target_for(EMAIL_ACK, 1, local(2026, 3, 3, 15), CALENDAR)
        target = replace(target, met_at=local(2026, 3, *met),
                         breached_at=target.due_at if missed else None)
        assert state_at(target, local(2026, 3, 9, 9)) is expected


class TestCaseStatus:
    @pytest.mark.parametrize(("status", "event", "after"), [
        ("open", "WaitingOnCustomer", "waiting_on_customer"),
        ("waiting_on_customer", "CustomerResponded", "open"),
        ("open", "Resolved", "resolved"),
        ("resolved", "Closed", "closed"),
        ("closed", "Reopened", "open"),
        # Escalating a resolved complaint reopens it; an open one stays open
        ("resolved", "ComplaintEscalated", "open"),
        ("open", "ComplaintEscalated", "open"),
        ("waiting_on_customer", "ComplaintEscalated", "waiting_on_customer"),
        ("open", "Assigned", "open"),
    ])
    def test_each_event_moves_the_status_as_the_rule_says(self, status: str, event: str,
                                                          after: str) -> None:
        assert status_after(status, event) == after
