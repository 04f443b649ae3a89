"""The accountability report's figures, each checked against a small July computed by hand.

The history is built with the domain's own commands (no database), and every event is stamped
with the moment it was recorded, so `as_of` can be placed between them. Times are Toronto
wall-clock (EDT, UTC-4, in July 2026); the desk is open Monday to Friday 08:30-16:30, and July
2026 has no holiday after Canada Day (Wed 1st); the Civic Holiday is Monday 3 August.

    ref  channel    received (EDT)   owner at as_of          what happens
    001  email      Mon  6 09:00     public-works            answered Tue 7 10:00 (on time),
                                                             resolved at first contact
    002  email      Mon  6 10:00     planning                acknowledgement due Wed 8 10:00,
                                                             missed, acknowledged Thu 9 10:00
    003  written    Tue  7 09:30     planning (warm, from    never acknowledged nor answered
                                     public-works)
    004  telephone  Wed  8 14:00     public-works            waited 90 s (promise: 60 s): met late;
                                                             complaint, escalated, debriefed
    005  telephone  Thu  9 10:00     public-works            waited 40 s; first contact
    006  email      Fri 31 09:00     public-works (cold,     not yet acknowledged
                                     from planning)
    F    email      Tue 30 June      -                       outside the period
    H    email      Fri 31 15:00     -                       recorded after as_of
as_of is Friday 31 July 2026, 16:00 EDT (20:00 UTC).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from application.accountability import (
    MIN_SAMPLE,
    AccountabilityReport,
    Period,
    Rated,
    ReportRequest,
    build_report,
    check_may_report,
    parse_moment,
    parse_period,
)
from domain.actors import SCHEDULER, Actor, Role
from domain.calendar import BusinessCalendar
from domain.cases import Case
from domain.catalogue import Department
from domain.closures import CalendarBook
from domain.errors import Forbidden, InvalidValue
from domain.standards import CORPORATE_STANDARDS, ServiceStandards, TargetKind
from tests.toronto_time import local

CSR = Actor(id="csr-ana", role=Role.CSR)
MANAGER = Actor(id="mgr-karen", role=Role.MANAGER, departments=frozenset({"public-works"}))
PORTAL = Actor(id="survey-portal", role=Role.SYSTEM)
ADMIN = Actor(id="admin-1", role=Role.ADMIN)
CALENDAR = BusinessCalendar()
AS_OF = datetime(2026, 7, 31, 20, 0, tzinfo=UTC)  # Friday 16:00 EDT
JULY = Period("2026-07", date(2026, 7, 1), date(2026, 7, 31))
# Personal information written into the history; none of it may reach the report.
PERSONAL = ("Jane Roe", "jane.roe@example.ca", "905-555-0199", "12 King Street West",
            "Pothole outside my house", "My neighbour Bob Stone", "mgr-karen", "csr-ana",
            "John Citizen", "slow and rude", "Roe was rude")


def edt(day: int, hour: int, minute: int = 0, month: int = 7) -> datetime:
    """A Toronto wall-clock time in 2026 (July unless told): EDT."""
    return local(2026, month, day, hour, minute)


class Log:
    """The event log in the making: events in recording order, stamped when recorded."""

    def __init__(self) -> None:
        self.events: list[Any] = []

    def record(self, *aggregates: Any, at: datetime) -> None:
        for aggregate in aggregates:
            self.events += [replace(e, timestamp=at.astimezone(UTC))
                            for e in aggregate.collect_events()]

    def positions(self) -> list[tuple[int, Any]]:
        return list(enumerate(self.events, start=1))


def receive(log: Log, number: int, channel: str, at: datetime, department: str,
            wait_seconds: int | None = None, recorded_at: datetime | None = None) -> Case:
    """As the desk does for a ReceiveCase: record the contact, plan its targets, judge its wait."""
    case = Case.receive(
        reference=f"SC-2026-{number:06d}", channel=channel, occurred_at=at,
        purpose="issue_or_complaint", service_code=None, department=department,
        subject="Pothole outside my house", description="My neighbour Bob Stone saw it too",
        customer_id=None, actor=CSR, now=at)
    case.plan_targets(CORPORATE_STANDARDS, 1, CALENDAR, reason="received", actor=CSR,
                      occurred_at=at)
    if wait_seconds is not None:
        standard = next(s for s in CORPORATE_STANDARDS
                        if s.target == TargetKind.ANSWER_WAIT and s.channel == channel)
        case.measure_wait(standard, 1, wait_seconds=wait_seconds, actor=CSR, occurred_at=at)
    log.record(case, at=recorded_at or at)
    return case


def step(at: datetime, actor: Actor = CSR) -> dict[str, Any]:
    return {"actor": actor, "occurred_at": at, "now": at}


def transfer(case: Case, to: str, warm: bool, at: datetime) -> None:
    case.transfer(to_department=to, warm=warm, customer_informed=warm,
                  handover_note="John Citizen's letter, see page 2" if warm else "",
                  **step(at))
    case.plan_targets(CORPORATE_STANDARDS, 1, CALENDAR, reason=f"transferred to {to}",
                      actor=CSR, occurred_at=at)


def miss(log: Log, case: Case, target: str, due: datetime) -> None:
    """The scheduler's breach, recorded when the due time passes."""
    assert case.miss_deadline(target=target, due_at=due.astimezone(UTC), now=due,
                              actor=SCHEDULER), f"{target} was not due at {due}"
    log.record(case, at=due)


def july() -> tuple[Log, int]:
    """The history above; returns the log and the head position as of AS_OF."""
    log = Log()
    opening = datetime(2026, 1, 2, 14, 0, tzinfo=UTC)
    log.record(ServiceStandards.publish_first(CORPORATE_STANDARDS, ADMIN, reason="4.2"),
               CalendarBook(),
               Department.register(code="planning", name="Planning and Development",
                                   business_units={}, hourly_rate_cents=9_000, actor=ADMIN),
               Department.register(code="public-works", name="Public Works",
                                   business_units={}, hourly_rate_cents=5_500, actor=ADMIN),
               at=opening)

    outside = receive(log, 900, "email", edt(30, 10, month=6), "public-works")
    outside.log_interaction(channel="email", direction="outbound", summary="Replied",
                            effort_minutes=45, wait_seconds=None, **step(edt(30, 11, month=6)))
    log.record(outside, at=edt(30, 11, month=6))

    # 001: email-acknowledge due Wed 8 09:00 (Mon 7.5 h + Tue 8 h + Wed 0.5 h = 16 h).
    a = receive(log, 1, "email", edt(6, 9), "public-works")
    a.log_interaction(channel="email", direction="outbound", summary="Replied to Jane Roe",
                      effort_minutes=30, wait_seconds=None, **step(edt(7, 10)))
    a.resolve(resolution="Explained", at_first_contact=True, **step(edt(7, 10, 5)))
    log.record(a, at=edt(7, 10, 5))

    # 002: due Wed 8 10:00 (Mon 6.5 h + Tue 8 h + Wed 1.5 h = 16 h); missed, met Thu 9 10:00.
    b = receive(log, 2, "email", edt(6, 10), "planning")
    miss(log, b, "acknowledge", edt(8, 10))
    b.log_interaction(channel="telephone", direction="inbound", summary="Chased",
                      effort_minutes=20, wait_seconds=None, **step(edt(9, 9)))
    b.acknowledge(message="Received", **step(edt(9, 10)))
    b.log_interaction(channel="email", direction="outbound", summary="Answered",
                      effort_minutes=40, wait_seconds=None, **step(edt(10, 11)))
    b.resolve(resolution="Answered", at_first_contact=False, **step(edt(10, 11, 30)))
    log.record(b, at=edt(10, 11, 30))

    # 003: written-acknowledge (5 business days = 40 h) due Tue 14 09:30 (Tue 7 h, Wed-Fri
    # 24 h, Mon 13 8 h, Tue 14 1 h); written-respond (15 days = 120 h) due Tue 28 09:30.
    c = receive(log, 3, "written", edt(7, 9, 30), "public-works")
    transfer(c, "planning", warm=True, at=edt(7, 11))
    log.record(c, at=edt(7, 11))

    # 004: a 90 s wait against a 60 s promise: met late when recorded, 30 s late.
    d = receive(log, 4, "telephone", edt(8, 14), "public-works", wait_seconds=90)
    d.log_interaction(channel="telephone", direction="inbound", summary="Call",
                      effort_minutes=15, wait_seconds=None, **step(edt(8, 14)))
    d.classify(classification="complaint", reason="Says Jane Roe was rude", **step(edt(8, 14, 20)))
    log.record(d, at=edt(8, 14, 20))
    d.escalate(to_level="department_manager", reason="Roe was rude, she says",
               owner="mgr-karen", **step(edt(9, 9), MANAGER))
    d.resolve(resolution="Apologised", at_first_contact=False, **step(edt(13, 11), MANAGER))
    d.debrief_complaint(cause="Counter short-staffed", actions="Second clerk at peak hours",
                        edi_findings="No EDI concerns identified",
                        accessibility_findings="Counter too high for wheelchair users",
                        **step(edt(14, 15), MANAGER))
    log.record(d, at=edt(14, 15))

    # 005: a 40 s wait: met.
    e = receive(log, 5, "telephone", edt(9, 10), "public-works", wait_seconds=40)
    e.log_interaction(channel="telephone", direction="inbound", summary="Call",
                      effort_minutes=10, wait_seconds=None, **step(edt(9, 10)))
    e.resolve(resolution="Answered", at_first_contact=True, **step(edt(9, 10, 10)))
    log.record(e, at=edt(9, 10, 10))

    miss(log, c, "acknowledge", edt(14, 9, 30))
    for case, answers, at in ((a, (5, 10, 2), edt(8, 12)), (b, (2, 6, 5), edt(13, 9)),
                              (d, (None, 9, None), edt(15, 9)), (e, (4, 8, 1), edt(10, 9))):
        case.answer_survey(csat=answers[0], nps=answers[1], ces=answers[2],
                           comment="Jane Roe here: slow and rude", **step(at, PORTAL))
        log.record(case, at=at)
    miss(log, c, "respond", edt(28, 9, 30))

    g = receive(log, 6, "email", edt(31, 9), "planning")
    transfer(g, "public-works", warm=False, at=edt(31, 10))
    log.record(g, at=edt(31, 10))
    head = len(log.events)

    # Recorded after as_of: a contact received before it, and a reopening.
    receive(log, 7, "email", edt(31, 15), "public-works", recorded_at=edt(31, 16, 30))
    a.reopen(reason="It came back", **step(edt(3, 9, month=8)))
    log.record(a, at=edt(3, 9, month=8))
    return log, head


def link(position: int) -> str:
    return f"link-{position}"


def report_for(department: str | None = None, as_of: datetime = AS_OF,
               period: Period = JULY, min_sample: int = 1) -> AccountabilityReport:
    """July's report; every share rated from one result on unless told (July is six cases:
    TestMinimumSample uses the default)."""
    log, _ = july()
    return build_report(ReportRequest(period, department, as_of, min_sample), log.positions(),
                        link)


@pytest.fixture(scope="module")
def report() -> AccountabilityReport:
    return report_for()


def by_code(report: AccountabilityReport) -> dict[str, Any]:
    return {row.code: row.outcomes for row in report.standards}


class TestWhatBelongsToTheReport:
    def test_cases_are_those_received_in_the_period_and_recorded_by_as_of(
            self, report: AccountabilityReport) -> None:
        # Given June's case, six July cases and one recorded at 16:30, after as_of
        # Then only the six count
        assert report.cases == 6
        assert [c.channel for c in report.channels if c.cases] == ["telephone", "email",
                                                                    "written"]

    def test_the_head_is_the_last_event_recorded_at_or_before_as_of_and_carries_its_link(
            self) -> None:
        # Given events recorded after as_of (case 007 at 16:30 and a reopening on 3 August)
        log, head = july()
        # When the report is built from the whole log
        built = build_report(ReportRequest(JULY, None, AS_OF), log.positions(), link)
        # Then it names the last position recorded by as_of, and the link there
        assert built.chain.head_position == head < len(log.events)
        assert built.chain.head_hash == f"link-{head}"

    def test_events_recorded_after_as_of_change_nothing(self) -> None:
        # Given the whole log, and the log cut at the head position
        log, head = july()
        request = ReportRequest(JULY, None, AS_OF)
        # When both are reported as of the same moment
        whole = build_report(request, log.positions(), link)
        cut = build_report(request, log.positions()[:head], link)
        # Then the reports are byte-identical (001's reopening on 3 August is not seen)
        assert msgspec.json.encode(whole) == msgspec.json.encode(cut)
        assert whole.first_contact.at_first_contact == 2

    def test_an_earlier_as_of_sees_only_what_was_recorded_by_then(self) -> None:
        # Given as_of Friday 10 July 12:00 EDT: 001-005 received; 002 resolved at 11:30
        earlier = report_for(as_of=edt(10, 12))
        # Then 006 does not exist yet, and 003's acknowledgement (due Tue 14) is still open
        assert earlier.cases == 5
        assert by_code(earlier)["written-acknowledge"].open == 1
        # 001 had answered on Wed 8 and 005 on Fri 10 09:00; 002 and 004 had not
        assert earlier.satisfaction.nps_responses == 2

    def test_the_department_is_the_owner_at_as_of(self) -> None:
        # Given 003 moved to planning and 006 moved to public-works
        planning = report_for("planning")
        # Then planning answers for 002 and 003, and nothing else
        assert planning.cases == 2
        assert planning.department_name == "Planning and Development"
        assert [b.reference for b in planning.breaches] == [
            "SC-2026-000002", "SC-2026-000003", "SC-2026-000003"]
        assert [d.code for d in planning.departments] == ["planning"]


class TestStandards:
    def test_every_published_standard_is_listed_even_those_no_case_needed(
            self, report: AccountabilityReport) -> None:
        assert [r.code for r in report.standards] == sorted(s.code for s in CORPORATE_STANDARDS)
        assert all(r.in_force for r in report.standards)
        assert by_code(report)["voicemail-return"].applied == 0
        assert by_code(report)["voicemail-return"].share_met.value is None
        assert report.standards_version == 1

    def test_outcomes_and_share_met_on_time(self, report: AccountabilityReport) -> None:
        outcomes = by_code(report)
        # email: 001 met, 002 met late, 006 still open -> 1 of 2 decided = 50.0 %
        email = outcomes["email-acknowledge"]
        assert (email.applied, email.met, email.met_late, email.breached, email.open) == (
            3, 1, 1, 0, 1)
        assert email.share_met == Rated(Decimal("50.0"), 2, True)
        # telephone: 005 met (40 s), 004 met late (90 s) -> 1 of 2 = 50.0 %
        phone = outcomes["telephone-answer"]
        assert (phone.met, phone.met_late, phone.breached, phone.share_met.value) == (
            1, 1, 0, Decimal("50.0"))
        # written: 003 breached both promises -> 0 of 1 = 0.0 %
        assert outcomes["written-acknowledge"].breached == 1
        assert outcomes["written-respond"].share_met.value == Decimal("0.0")

    def test_outcomes_per_channel(self, report: AccountabilityReport) -> None:
        rows = {(r.code, r.channel): r.outcomes.applied for r in report.standards_by_channel}
        assert rows == {("email-acknowledge", "email"): 3, ("telephone-answer", "telephone"): 2,
                        ("written-acknowledge", "written"): 1,
                        ("written-respond", "written"): 1}

    def test_outcomes_per_department_owning_the_cases(
            self, report: AccountabilityReport) -> None:
        # Given July's cases by owner at as_of: public works 001, 004, 005, 006; planning 002
        # and 003 (transferred there)
        rows = [(r.department, r.name, r.standards, r.outcomes.applied, r.outcomes.met,
                 r.outcomes.met_late, r.outcomes.breached, r.outcomes.open,
                 r.outcomes.share_met.value) for r in report.standards_by_department]
        # Then planning: 002 email acknowledged late, 003 written acknowledgement and response
        # breached -> 3 standards, 3 applied, 0 met of 3 decided = 0.0 %; public works: 001
        # email met, 004 telephone met late (90 s), 005 telephone met (40 s), 006 email open
        # -> 2 standards, 4 applied, 2 met of 3 decided = 66.7 %
        assert rows == [
            ("planning", "Planning and Development", 3, 3, 0, 1, 2, 0, Decimal("0.0")),
            ("public-works", "Public Works", 2, 4, 2, 1, 0, 1, Decimal("66.7"))]

    def test_share_met_by_month_received(self, report: AccountabilityReport) -> None:
        rows = [(r.code, r.month, r.decided, r.met, r.share_met.value)
                for r in report.standards_by_month]
        assert rows == [("email-acknowledge", "2026-07", 2, 1, Decimal("50.0")),
                        ("telephone-answer", "2026-07", 2, 1, Decimal("50.0")),
                        ("written-acknowledge", "2026-07", 1, 0, Decimal("0.0")),
                        ("written-respond", "2026-07", 1, 0, Decimal("0.0"))]


class TestBreaches:
    def test_each_breach_by_reference_with_how_late_in_business_hours(
            self, report: AccountabilityReport) -> None:
        rows = [(b.reference, b.standard_code, b.state, b.due_at, b.seconds_late, b.hours_late)
                for b in report.breaches]
        assert rows == [
            # due Wed 8 10:00, met Thu 9 10:00: Wed 6.5 h + Thu 1.5 h = 8 h
            ("SC-2026-000002", "email-acknowledge", "met_late", edt(8, 10), 8 * 3600,
             Decimal("8.00")),
            # due Tue 14 09:30, open at Fri 31 16:00: Tue 7 h + Wed-Fri 24 h + 40 h + Mon-Thu
            # 32 h + Fri 7.5 h = 110.5 h
            ("SC-2026-000003", "written-acknowledge", "breached", edt(14, 9, 30),
             110 * 3600 + 1800, Decimal("110.50")),
            # due Tue 28 09:30: Tue 7 h + Wed 8 h + Thu 8 h + Fri 7.5 h = 30.5 h
            ("SC-2026-000003", "written-respond", "breached", edt(28, 9, 30),
             30 * 3600 + 1800, Decimal("30.50")),
            # waited 90 s against 60 s: met late, 30 s late = 0.0083 h, rounded to 0.01
            ("SC-2026-000004", "telephone-answer", "met_late", edt(8, 14, 1), 30,
             Decimal("0.01")),
        ]
        assert [b.basis for b in report.breaches] == ["business", "business", "business",
                                                      "calendar"]

    def test_breaches_by_department(self, report: AccountabilityReport) -> None:
        # planning: 003 breached both its promises (2), 002 was met late (1, not a breach);
        # public-works: 004's wait was met late (1, not a breach)
        assert {d.code: (d.breaches, d.met_late) for d in report.departments} == {
            "planning": (2, 1), "public-works": (0, 1)}
        # the departments' breaches add up to the standards' breached column: 2 + 0 = 2
        assert sum(d.breaches for d in report.departments) == sum(
            r.outcomes.breached for r in report.standards) == 2


class TestComplaints:
    def test_a_complaint_with_its_ladder_and_debrief(self, report: AccountabilityReport) -> None:
        [complaint] = report.complaints
        assert (complaint.reference, complaint.department, complaint.level_reached) == (
            "SC-2026-000004", "public-works", "department_manager")
        assert [(s.from_level, s.to_level, s.on) for s in complaint.escalations] == [
            ("front_line", "department_manager", date(2026, 7, 9))]
        assert complaint.debrief is not None
        assert complaint.debrief.cause == "Counter short-staffed"
        assert complaint.debrief.actions == "Second clerk at peak hours"
        assert complaint.debrief.edi_findings == "No EDI concerns identified"
        assert complaint.debrief.accessibility_findings == (
            "Counter too high for wheelchair users")

    def test_complaints_reaching_each_level(self, report: AccountabilityReport) -> None:
        assert [(r.level, r.complaints) for r in report.complaint_levels] == [
            ("front_line", 1), ("department_manager", 1), ("director", 0), ("cao", 0),
            ("ombudsman", 0)]


class TestTransfersAndFirstContact:
    def test_transfers_and_the_warm_share(self, report: AccountabilityReport) -> None:
        t = report.transfers_of_cases
        # 003 warm, 006 cold: 1 of 2 warm = 50.0 %; 2 transfers over 6 cases = 0.33 a case
        assert (t.transfers, t.warm, t.cold, t.cases_transferred) == (2, 1, 1, 2)
        assert (t.warm_share.value, t.per_case.value) == (Decimal("50.0"), Decimal("0.33"))
        # the customer was told of 003's (warm) transfer, not of 006's: 1 of 2 = 50.0 %
        assert (t.customer_informed, t.informed_share.value) == (1, Decimal("50.0"))

    def test_first_contact_resolution_rate(self, report: AccountabilityReport) -> None:
        f = report.first_contact
        # resolved: 001 (first contact), 002, 004, 005 (first contact) -> 2 of 4 = 50.0 %
        assert (f.resolved, f.at_first_contact, f.rate.value) == (4, 2, Decimal("50.0"))


class TestSatisfaction:
    def test_csat_nps_and_ces_with_their_response_counts(
            self, report: AccountabilityReport) -> None:
        s = report.satisfaction
        # CSAT 5, 2, 4: 11 / 3 = 3.666... -> 3.67
        assert (s.csat_responses, s.csat_average.value) == (3, Decimal("3.67"))
        # NPS 10, 6, 9, 8: promoters 2 (10, 9), passive 1 (8), detractor 1 (6);
        # (2 - 1) / 4 = 25.0 %
        assert (s.nps_responses, s.promoters, s.passives, s.detractors, s.nps.value) == (
            4, 2, 1, 1, Decimal("25.0"))
        # CES 2, 5, 1: 8 / 3 = 2.666... -> 2.67
        assert (s.ces_responses, s.ces_average.value) == (3, Decimal("2.67"))


class TestMinimumSample:
    def test_shares_and_averages_from_too_few_results_are_not_rated(self) -> None:
        # Given July with the default minimum sample of 10
        report = report_for(min_sample=MIN_SAMPLE)
        # then email-acknowledge's 1 of 2 decided is not "50.0 %", but too few to rate, with
        # its count; so are first contact (4 resolved) and NPS (4 answers)
        email = by_code(report)["email-acknowledge"]
        assert email.share_met == Rated(None, 2, False, "too few to rate: 2 of the 10 needed")
        assert (report.first_contact.rate.value, report.first_contact.rate.count) == (None, 4)
        assert report.satisfaction.nps == Rated(None, 4, False,
                                                "too few to rate: 4 of the 10 needed")
        # and a standard no case needed has no results at all
        assert by_code(report)["voicemail-return"].share_met == Rated(None, 0, False,
                                                                      "no results")
        assert report.min_sample == 10


class TestEffort:
    def test_effort_hours_and_cost_at_the_owning_departments_rate(
            self, report: AccountabilityReport) -> None:
        rows = {d.code: (d.effort_minutes, d.effort_hours, d.hourly_rate, d.effort_cost)
                for d in report.departments}
        # public-works: 001 30 + 004 15 + 005 10 = 55 min = 0.92 h; 55 x $55.00 / 60 = $50.42
        # planning: 002 20 + 40 = 60 min = 1.00 h; 60 x $90.00 / 60 = $90.00
        assert rows == {"planning": (60, Decimal("1.00"), Decimal("90.00"), Decimal("90.00")),
                        "public-works": (55, Decimal("0.92"), Decimal("55.00"),
                                         Decimal("50.42"))}
        # In all: 5 interactions, 115 min = 1.92 h, 842,500 cent-minutes / 60 = $140.42
        e = report.effort
        assert (e.interactions, e.minutes, e.hours, e.cost) == (
            5, 115, Decimal("1.92"), Decimal("140.42"))


class TestPersonalInformation:
    def test_the_report_holds_no_personal_information(
            self, report: AccountabilityReport) -> None:
        published = msgspec.json.encode(report).decode()
        leaked = [text for text in PERSONAL if text.lower() in published.lower()]
        assert not leaked
        assert "SC-2026-000004" in published  # references are public


class TestAsking:
    @pytest.mark.parametrize(("text", "first", "last"), [
        ("2026", date(2026, 1, 1), date(2026, 12, 31)),
        ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
        ("2026-Q3", date(2026, 7, 1), date(2026, 9, 30)),
        ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        ("2026-12", date(2026, 12, 1), date(2026, 12, 31))])
    def test_a_year_quarter_or_month_is_its_first_to_last_day(
            self, text: str, first: date, last: date) -> None:
        assert parse_period(text) == Period(text, first, last)

    def test_any_two_dates_make_a_period(self) -> None:
        period = parse_period(None, "2026-07-15", "2026-08-14")
        assert (period.label, period.months()) == ("2026-07-15..2026-08-14",
                                                   ["2026-07", "2026-08"])

    @pytest.mark.parametrize(("period", "first", "last", "field"), [
        ("2026-Q5", None, None, "period"), ("2026-13", None, None, "period"),
        ("Q3", None, None, "period"), ("1999", None, None, "period"),
        (None, None, None, "period"), (None, "2026-07-01", None, "to"),
        (None, None, "2026-07-01", "from"), (None, "2026-02-30", "2026-03-01", "from"),
        (None, "2026-07-02", "2026-07-01", "to"), (None, "July 1", "2026-07-02", "from"),
        ("2026", "2026-07-01", "2026-07-02", "period")])
    def test_a_bad_period_names_the_parameter_at_fault(
            self, period: str | None, first: str | None, last: str | None,
            field: str) -> None:
        with pytest.raises(InvalidValue) as raised:
            parse_period(period, first, last)
        assert raised.value.field == field

    def test_as_of_needs_an_offset(self) -> None:
        assert parse_moment("2026-07-31T16:00:00-04:00") == AS_OF
        for bad in ("2026-07-31T16:00:00", "yesterday"):
            with pytest.raises(InvalidValue) as raised:
                parse_moment(bad)
            assert raised.value.field == "as_of"

    @pytest.mark.parametrize("role", ["clerk", "auditor", "director", "admin"])
    def test_clerks_auditors_directors_and_administrators_may_report(self, role: str) -> None:
        check_may_report(Actor(id="someone", role=Role(role)))

    @pytest.mark.parametrize("role", ["csr", "staff", "manager", "system"])
    def test_other_roles_may_not(self, role: str) -> None:
        with pytest.raises(Forbidden):
            check_may_report(Actor(id="someone", role=Role(role)))
