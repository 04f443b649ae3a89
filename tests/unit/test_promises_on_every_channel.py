"""Section 4.2 promises on every channel: unmeasured waits, virtual meetings, complaints from
any channel, and a resolution standard per service (domain only, no I/O)."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.actors import Actor, Role
from domain.calendar import BusinessCalendar
from domain.cases import Case
from domain.standards import (
    CORPORATE_STANDARDS,
    ServiceStandard,
    default_resolution_standards,
)
from domain.targets import TargetState, status
from tests.toronto_time import local, utc

CSR = Actor(id="csr-ana", role=Role.CSR)
CALENDAR = BusinessCalendar()


def received(channel: str, at: datetime, service_code: str | None = None) -> Case:
    return Case.receive(
        reference="SC-2026-000001", channel=channel, occurred_at=at,
        purpose="issue_or_complaint", service_code=service_code, department="public-works",
        subject="Pothole on King Street", description="Deep hole", customer_id=None,
        actor=CSR, now=at)


def planned(case: Case, at: datetime,
            standards: tuple[ServiceStandard, ...] = CORPORATE_STANDARDS) -> Case:
    case.plan_targets(standards, 1, CALENDAR, reason="received", actor=CSR, occurred_at=at)
    return case


def standard(code: str) -> ServiceStandard:
    return next(s for s in CORPORATE_STANDARDS if s.code == code)


class TestWaitsNotMeasured:
    def test_a_call_without_a_recorded_wait_shows_its_promise_as_not_measured(self) -> None:
        # Given a call at Wed 2026-05-06 10:00 EDT (14:00 UTC) with no wait recorded
        arrived = local(2026, 5, 6, 10, 0)
        case = planned(received("telephone", arrived), arrived)
        # Then the 60-second promise is there, not measured, due 14:01 UTC, and an hour later
        # it is still not measured (never breached by the clock), nothing for the scheduler
        target = case.targets["answer_wait"]
        assert target.due_at == utc(2026, 5, 6, 14, 1)
        assert target.watched_due_at is None
        later = status(target, arrived + timedelta(hours=1), CALENDAR)
        assert (later.state, later.met_at, later.breached_at) == (
            TargetState.NOT_MEASURED, None, None)

    def test_a_wait_recorded_later_replaces_the_unmeasured_promise(self) -> None:
        # Given a walk-in at 10:00 EDT with no wait recorded
        arrived = local(2026, 5, 6, 10, 0)
        case = planned(received("in_person", arrived), arrived)
        # When a 4-minute wait is recorded: 240 s <= 600 s
        case.measure_wait(standard("in-person-serve"), 1, wait_seconds=240, actor=CSR,
                          occurred_at=arrived)
        # Then it is met at 14:00 + 4 min = 14:04 UTC
        target = case.targets["serve_wait"]
        assert not target.not_measured
        assert status(target, arrived + timedelta(hours=1), CALENDAR).state == TargetState.MET
        assert target.met_at == utc(2026, 5, 6, 14, 4)

    def test_a_second_wait_does_not_judge_the_measured_promise_again(self) -> None:
        arrived = local(2026, 5, 6, 10, 0)
        case = planned(received("telephone", arrived), arrived)
        case.measure_wait(standard("telephone-answer"), 1, wait_seconds=30, actor=CSR,
                          occurred_at=arrived)
        case.measure_wait(standard("telephone-answer"), 1, wait_seconds=300, actor=CSR,
                          occurred_at=arrived)
        # 14:00:00 + 30 s: the first wait recorded stands
        assert case.targets["answer_wait"].met_at == utc(2026, 5, 6, 14, 0, 30)


class TestVirtualMeetings:
    def test_a_virtual_meeting_request_is_confirmed_within_two_business_days(self) -> None:
        # Given a request received Thu 2026-05-07 16:00 EDT: Thu 0.5 h + Fri 8 h + Mon 7.5 h
        # = Mon 2026-05-11 16:00 EDT = 20:00 UTC
        at = local(2026, 5, 7, 16, 0)
        case = planned(received("virtual_meeting", at), at)
        target = case.targets["acknowledge"]
        assert (target.standard_code, target.due_at) == (
            "virtual-meeting-confirm", utc(2026, 5, 11, 20, 0))

    def test_the_virtual_meeting_standard_is_a_draft_for_the_town_to_confirm(self) -> None:
        assert standard("virtual-meeting-confirm").draft
        assert not standard("email-acknowledge").draft


class TestComplaintsOnEveryChannel:
    def test_a_telephone_complaint_is_acknowledged_within_48_hours(self) -> None:
        # Given a call received Mon 2026-05-04 10:00 EDT, classified a complaint at once
        at = local(2026, 5, 4, 10, 0)
        case = received("telephone", at)
        case.classify(classification="complaint", reason="received as complaint", actor=CSR,
                      occurred_at=at, now=at)
        planned(case, at)
        # Then it must be acknowledged: Mon 6.5 h + Tue 8 h + Wed 1.5 h = Wed 10:00 EDT
        # = 14:00 UTC
        target = case.targets["acknowledge"]
        assert (target.standard_code, target.due_at) == (
            "complaint-acknowledge", utc(2026, 5, 6, 14, 0))

    def test_an_in_person_case_classified_a_complaint_later_gains_it_from_receipt(
            self) -> None:
        # Given a walk-in Mon 10:00 EDT, no acknowledgement promised
        at = local(2026, 5, 4, 10, 0)
        case = planned(received("in_person", at), at)
        assert "acknowledge" not in case.targets
        # When classified a complaint on Tue 15:00
        later = local(2026, 5, 5, 15, 0)
        case.classify(classification="complaint", reason="rude staff", actor=CSR,
                      occurred_at=later, now=later)
        planned(case, later)
        # Then the 48 hours run from receipt: due Wed 10:00 EDT = 14:00 UTC
        assert case.targets["acknowledge"].due_at == utc(2026, 5, 6, 14, 0)


class TestResolutionPerService:
    def test_each_service_gets_a_draft_resolution_standard_by_its_purpose(self) -> None:
        drafts = default_resolution_standards([("parks-01", "information"),
                                               ("building-02", "approval"),
                                               ("roads-03", None)])
        # 2, 20 and the default 10 business days of 8 h
        assert [(s.code, s.service_code, s.seconds, s.draft) for s in drafts] == [
            ("resolve-parks-01", "parks-01", 2 * 8 * 3600, True),
            ("resolve-building-02", "building-02", 20 * 8 * 3600, True),
            ("resolve-roads-03", "roads-03", 10 * 8 * 3600, True)]

    def test_a_case_for_the_service_is_promised_its_resolution(self) -> None:
        # Given an email for parks-01 received Mon 2026-05-04 10:00 EDT
        at = local(2026, 5, 4, 10, 0)
        standards = (*CORPORATE_STANDARDS,
                     *default_resolution_standards([("parks-01", "information")]))
        case = planned(received("email", at, service_code="parks-01"), at, standards)
        # Then it is to be resolved in 2 business days: Mon 6.5 h + Tue 8 h + Wed 1.5 h
        # = Wed 10:00 EDT = 14:00 UTC
        target = case.targets["resolve"]
        assert (target.standard_code, target.due_at) == (
            "resolve-parks-01", utc(2026, 5, 6, 14, 0))
