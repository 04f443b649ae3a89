"""Retention enforced by the scheduler, on a frozen clock: past the schedule a customer's
personal information is shredded, their cases keep every non-personal fact, the log still
verifies, and a report lists what was retired.

Seed periods: a service request's customer is kept 2 years after their last case closed, a
complaint's 5 years (to be confirmed by the Town)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from application import retention
from application.desk import ServiceDesk
from domain.actors import Actor, Role
from domain.cases import Case
from domain.errors import Forbidden
from infrastructure.ledger import verify_log
from infrastructure.retention_job import RetentionJob
from tests.commanding import change_case
from tests.conftest import MovableClock
from tests.receiving import CSR, receive

DIRECTOR = Actor(id="dir-1", role=Role.DIRECTOR)
ADMIN = Actor(id="admin-1", role=Role.ADMIN)
OFFICER = Actor(id="privacy-1", role=Role.PRIVACY_OFFICER)
CLOSED_AT = datetime(2026, 3, 5, 15, 0, tzinfo=UTC)  # the clock fixture's next day


def closed_case(desk: ServiceDesk, clock: MovableClock, *, complaint: bool = False) -> Case:
    case = receive(desk).case
    if complaint:
        change_case(desk, CSR, case.id, "classify", expected_version=None,
                    classification="complaint", reason="Unhappy")
    clock.now = CLOSED_AT
    change_case(desk, DIRECTOR, case.id, "resolve", expected_version=None, resolution="Done")
    change_case(desk, DIRECTOR, case.id, "close", expected_version=None)
    return desk.get_case(CSR, case.id)


def status_of(desk: ServiceDesk, case: Case) -> str:
    return desk.customers.details(case.customer_id).status


class TestTheSchedulersRun:
    def test_a_service_requests_customer_is_shredded_two_years_after_closure_not_before(
            self, desk: ServiceDesk, clock: MovableClock) -> None:
        # given a service request closed on 2026-03-05 15:00 UTC
        case = closed_case(desk, clock)
        job = RetentionJob(desk)
        # when the scheduler runs one second before 2028-03-05 15:00 (closure + 2 years)
        clock.now = datetime(2028, 3, 5, 15, 0, tzinfo=UTC) - timedelta(seconds=1)
        assert job.run() == []
        assert status_of(desk, case) == "held"
        # and again at 2028-03-05 15:00 exactly
        clock.now = datetime(2028, 3, 5, 15, 0, tzinfo=UTC)
        assert job.run() == [case.customer_id]
        # then the customer is erased, the case keeps its facts, and the log verifies
        assert status_of(desk, case) == "erased"
        kept = desk.get_case(CSR, case.id)
        assert (kept.status, kept.channel, kept.department, kept.closed_at) == (
            "closed", "email", "public-works", CLOSED_AT)
        assert verify_log(desk).ok
        # and a second run shreds nothing twice
        assert job.run() == []

    def test_a_complaints_customer_is_kept_five_years(
            self, desk: ServiceDesk, clock: MovableClock) -> None:
        case = closed_case(desk, clock, complaint=True)
        clock.now = datetime(2029, 3, 5, 15, 0, tzinfo=UTC)  # 3 years on
        assert retention.retire_due(desk) == []
        clock.now = datetime(2031, 3, 5, 15, 0, tzinfo=UTC)  # closure + 5 years
        assert retention.retire_due(desk) == [case.customer_id]

    def test_a_customer_with_a_case_still_open_is_kept(
            self, desk: ServiceDesk, clock: MovableClock) -> None:
        case = receive(desk).case
        clock.now = datetime(2040, 1, 1, tzinfo=UTC)
        assert retention.retire_due(desk) == []
        assert desk.customers.details(case.customer_id).status == "held"


class TestTheSchedule:
    def test_the_administrator_shortens_a_period_and_the_next_run_follows_it(
            self, desk: ServiceDesk, clock: MovableClock) -> None:
        case = closed_case(desk, clock)
        retention.set_period(desk, ADMIN, "service_request", 1, "By-law 2026-042, sched. A",
                             confirmed=True)
        clock.now = datetime(2027, 3, 5, 15, 0, tzinfo=UTC)  # closure + 1 year
        assert retention.retire_due(desk) == [case.customer_id]

    def test_only_an_administrator_sets_a_period(self, desk: ServiceDesk) -> None:
        with pytest.raises(Forbidden):
            retention.set_period(desk, OFFICER, "complaint", 3, "x", confirmed=False)


class TestTheReport:
    def test_the_report_lists_who_was_retired_when_why_and_their_cases(
            self, desk: ServiceDesk, clock: MovableClock) -> None:
        case = closed_case(desk, clock)
        clock.now = datetime(2028, 3, 5, 15, 0, tzinfo=UTC)
        retention.retire_due(desk)
        [row] = retention.retired_report(desk, OFFICER)
        assert (row.customer_id, row.at, row.cases) == (
            case.customer_id, clock.now, [case.reference])
        assert row.reason == "retention: service_request, 2 years after the last case closed"
