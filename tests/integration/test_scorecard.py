"""The department scorecard against a small history worked out by hand, on SQLite and PostgreSQL.

The history (Toronto times, 2026; Service Cobourg is open 08:30-16:30 on weekdays, so a
business day is 8 hours; DST starts Sunday March 8 and leaves opening hours where they are):

A  email, information, public works; received Wed Mar 4 10:00; outbound reply 12:00 (30 min);
   resolved Thu 10:00; survey CSAT 5, NPS 10, CES 2.
B  telephone, payment, public works; received Wed Mar 4 11:00 after a 45 s wait; the call
   11:05 (15 min); resolved at first contact 11:10; survey 4, 9, 1, then a second answer
   -, 7, 6 (the latest of each kind counts: CSAT 4, NPS 7, CES 6).
C  email, issue or complaint, public works; received Thu Mar 5 15:00; acknowledgement breached
   Mon Mar 9 15:00 (recorded), acknowledged Tue 09:30; classified a complaint; a call (20 min);
   escalated to the department manager; resolved Wed Mar 11 10:00; escalated to the director
   (which reopens it); resolved Thu Mar 12 10:00; debriefed; survey 2, 3, -.
D  written, approval, public works; stamped Received Mon Mar 2 09:00, entered Wed Mar 4 09:00;
   read (40 min); cold transfer to planning; acknowledged Thu Mar 5 09:00; resolved Fri Mar 13
   10:00.
E  social media, tangible service, planning; received Wed Mar 4 13:00; warm transfer to public
   works 14:00; waits on the customer Thu Mar 5 09:00 to Mon Mar 9 09:00; a message (10 min);
   never answered, so never surveyed (an answer on it is refused).
F  in person, consultation, public works; received Wed Mar 4 14:00 after a 15 minute wait;
   warm transfer to community.
H  email, information, public works; received Tue Mar 31 21:00 (Apr 1 01:00 UTC); nothing yet.
I  email, information, public works; received Wed Apr 1 00:30 (04:30 UTC); waits on the
   customer from Apr 1 10:00.

Public works' hourly rate is revised from $55 to $60 on Mar 16. The scorecards are read at
Thu Apr 2 12:00.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from application.accountability import MIN_SAMPLE, Rated, rated
from application.catalogue import revise_department
from application.commands import ReceiveCase
from application.desk import ServiceDesk
from application.scorecards import (
    BusinessTimes,
    Scorecard,
    StandardFigures,
    TargetFacts,
    department_scorecard,
    nearest_rank,
    outcome,
)
from application.service_levels import add_closure
from domain.actors import Actor, Role
from domain.errors import Forbidden, InvalidValue
from domain.surveys import CaseNotResolved
from domain.targets import TargetState
from engine.runner import ProjectionSet
from infrastructure.bootstrap import build_desk, seed_catalogue
from infrastructure.settings import Settings
from projections.scorecard import SCORECARD
from tests import toronto_time
from tests.commanding import change_case
from tests.conftest import DATABASES, MovableClock, fresh_database, running_projections

ADMIN = Actor(id="admin-al", role=Role.ADMIN)
HOUR = 3600
PW, PLANNING, COMMUNITY = "public-works", "planning", "community"
STATE = {TargetState.MET: "met", TargetState.MET_LATE: "met_late",
         TargetState.BREACHED: "breached", TargetState.PENDING: "open",
         TargetState.AT_RISK: "open"}


def toronto(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A Toronto wall-clock time in 2026, as UTC."""
    return toronto_time.toronto(2026, month, day, hour, minute)


def receive(desk: ServiceDesk, channel: str, purpose: str, department: str = PW,
            received_at: datetime | None = None, wait_seconds: int | None = None) -> UUID:
    outcome = desk.handle(ADMIN, ReceiveCase(
        channel=channel, received_at=received_at, purpose=purpose, department=department,
        subject="Matter", description="", wait_seconds=wait_seconds))
    return outcome.case.id


def change(desk: ServiceDesk, case_id: UUID, command: str, **arguments: Any) -> None:
    change_case(desk, ADMIN, case_id, command, expected_version=None, **arguments)


def interaction(desk: ServiceDesk, case_id: UUID, channel: str, minutes: int,
                direction: str = "inbound") -> None:
    change(desk, case_id, "log_interaction", channel=channel, direction=direction,
           summary="Contact", effort_minutes=minutes, wait_seconds=None)


def transfer(desk: ServiceDesk, case_id: UUID, to: str, warm: bool) -> None:
    change(desk, case_id, "transfer", to_department=to, warm=warm,
           handover_note="Context handed over" if warm else "", customer_informed=warm)


def survey(desk: ServiceDesk, case_id: UUID, csat: int | None, nps: int | None,
           ces: int | None) -> None:
    change(desk, case_id, "survey", csat=csat, nps=nps, ces=ces, comment="")


def record_history(desk: ServiceDesk, clock: MovableClock) -> dict[str, UUID]:
    """The history of the module docstring, in the order it happened."""
    cases: dict[str, UUID] = {}
    clock.now = toronto(3, 4, 9)
    cases["D"] = receive(desk, "written", "approval", received_at=toronto(3, 2, 9))
    interaction(desk, cases["D"], "written", 40)
    change(desk, cases["D"], "assign", assignee="staff-bo")
    transfer(desk, cases["D"], PLANNING, warm=False)
    clock.now = toronto(3, 4, 10)
    cases["A"] = receive(desk, "email", "information")
    clock.now = toronto(3, 4, 11)
    cases["B"] = receive(desk, "telephone", "payment", wait_seconds=45)
    clock.now = toronto(3, 4, 11, 5)
    change(desk, cases["A"], "assign", assignee="staff-bo")
    change(desk, cases["B"], "assign", assignee="staff-bo")
    interaction(desk, cases["B"], "telephone", 15)
    clock.now = toronto(3, 4, 11, 10)
    change(desk, cases["B"], "resolve", resolution="Paid", at_first_contact=True)
    clock.now = toronto(3, 4, 12)
    interaction(desk, cases["A"], "email", 30, direction="outbound")
    clock.now = toronto(3, 4, 13)
    cases["E"] = receive(desk, "social_media", "tangible_service", department=PLANNING)
    clock.now = toronto(3, 4, 14)
    transfer(desk, cases["E"], PW, warm=True)
    cases["F"] = receive(desk, "in_person", "consultation", wait_seconds=900)
    transfer(desk, cases["F"], COMMUNITY, warm=True)
    clock.now = toronto(3, 5, 9)
    change(desk, cases["D"], "acknowledge", message="Received your letter")
    change(desk, cases["E"], "wait", reason="Which sign?")
    clock.now = toronto(3, 5, 10)
    change(desk, cases["A"], "resolve", resolution="Answered", at_first_contact=False)
    clock.now = toronto(3, 5, 15)
    cases["C"] = receive(desk, "email", "issue_or_complaint")
    clock.now = toronto(3, 9, 9)
    change(desk, cases["E"], "customer_responded", summary="The one on King St")
    # C's acknowledgement: 2 business days = 16 h from Thu 15:00: Thu 1.5 h + Fri 8 h = 9.5 h,
    # the other 6.5 h run Mon 08:30-15:00.
    clock.now = toronto(3, 9, 15)
    due = desk.get_case(ADMIN, cases["C"]).targets["acknowledge"].due_at
    assert due == toronto(3, 9, 15)
    assert desk.record_deadline_missed(cases["C"], "acknowledge", due)
    clock.now = toronto(3, 10, 9, 30)
    change(desk, cases["C"], "acknowledge", message="Sorry for the delay")
    change(desk, cases["C"], "classify", classification="complaint", reason="Repeated")
    interaction(desk, cases["C"], "telephone", 20)
    interaction(desk, cases["E"], "social_media", 10)
    change(desk, cases["C"], "escalate", to_level="department_manager", reason="Unhappy",
           owner="manager-1")
    clock.now = toronto(3, 11, 10)
    change(desk, cases["C"], "resolve", resolution="Repaired", at_first_contact=False)
    clock.now = toronto(3, 11, 11)
    change(desk, cases["C"], "escalate", to_level="director", reason="Still unhappy",
           owner="director-1")
    clock.now = toronto(3, 12, 10)
    change(desk, cases["C"], "resolve", resolution="Repaired again", at_first_contact=False)
    clock.now = toronto(3, 12, 11)
    change(desk, cases["C"], "debrief", cause="Crew sent to wrong street",
           actions="Addresses confirmed", edi_findings="None", accessibility_findings="None")
    clock.now = toronto(3, 13, 10)
    change(desk, cases["D"], "resolve", resolution="Approved", at_first_contact=False)
    clock.now = toronto(3, 16, 9)
    survey(desk, cases["A"], 5, 10, 2)
    survey(desk, cases["B"], 4, 9, 1)
    survey(desk, cases["C"], 2, 3, None)
    survey(desk, cases["B"], None, 7, 6)
    with pytest.raises(CaseNotResolved):
        survey(desk, cases["E"], None, 7, 6)
    revise_department(desk, ADMIN, PW, hourly_rate_cents=6000)
    clock.now = toronto(4, 1, 9)
    cases["H"] = receive(desk, "email", "information", received_at=toronto(3, 31, 21))
    cases["I"] = receive(desk, "email", "information", received_at=toronto(4, 1, 0, 30))
    clock.now = toronto(4, 1, 10)
    change(desk, cases["I"], "wait", reason="Which address?")
    clock.now = toronto(4, 2, 12)
    return cases


@dataclasses.dataclass
class History:
    desk: ServiceDesk
    projections: ProjectionSet
    clock: MovableClock
    cases: dict[str, UUID]

    def scorecard(self, department: str | None = PW, period: str = "2026-03",
                  actor: Actor = ADMIN, now: datetime | None = None,
                  min_sample: int = 1, **narrowed: str) -> Scorecard:
        """The scorecard; every share rated from one result on unless told (the history is
        small: the minimum sample has its own test)."""
        return department_scorecard(self.projections.view(SCORECARD.name), actor,
                                    department=department, period=period,
                                    now=now or self.clock(), min_sample=min_sample,
                                    **narrowed)


def share(value: str | None, count: int) -> Rated:
    """A share or average computed from `count` results, rated from one result on."""
    return rated(None if value is None else Decimal(value), count, 1)


@pytest.fixture(scope="module", params=DATABASES)
def history(request: pytest.FixtureRequest,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[History]:
    """The module's history, recorded once per database while the projection follows it."""
    with fresh_database(request.param, tmp_path_factory.mktemp("scorecard")) as settings:
        clock = MovableClock(toronto(3, 4, 9))
        desk = build_desk(settings, clock=clock)
        try:
            seed_catalogue(desk)
            with running_projections(settings, desk, SCORECARD) as projections:
                cases = record_history(desk, clock)
                projections.wait_for(desk.log_position(), timeout=30)
                yield History(desk, projections, clock, cases)
        finally:
            desk.close()


class TestVolumes:
    def test_cases_count_by_channel_and_purpose_for_the_department_that_owns_them(
            self, history: History) -> None:
        # Given A, B, C, E and H owned by public works in March (D and F were transferred
        # away, E was transferred in), when its March scorecard is read
        card = history.scorecard()
        # then each is counted once, by channel and by purpose
        assert card.cases == 5
        assert {k: v for k, v in card.by_channel.items() if v} == {
            "email": 3, "telephone": 1, "social_media": 1}  # A C H; B; E
        assert {k: v for k, v in card.by_purpose.items() if v} == {
            "information": 2, "payment": 1, "issue_or_complaint": 1, "tangible_service": 1}
        assert set(card.by_channel) >= {"written", "in_person", "virtual_meeting"}
        assert history.scorecard(PLANNING).by_channel["written"] == 1  # D
        assert history.scorecard(COMMUNITY).by_purpose["consultation"] == 1  # F

    def test_the_toronto_date_of_receipt_decides_the_period(self, history: History) -> None:
        # Given H received Mar 31 21:00 Toronto (Apr 1 in UTC) and I on Apr 1 00:30 Toronto
        # when the months, the quarters and the year are read
        # then H counts in March and Q1, I in April and Q2, both in 2026
        assert [history.scorecard(period=p).cases
                for p in ("2026-02", "2026-03", "2026-Q1", "2026-04", "2026-Q2", "2026")] == [
            0, 5, 5, 1, 1, 6]


class TestStandards:
    def test_targets_are_counted_met_on_time_met_late_breached_or_open_per_standard(
            self, history: History) -> None:
        # Given email-acknowledge met by A's reply, met late by C (breached Mon 15:00,
        # acknowledged Tue), still open for H (due Thu Apr 2 16:30); social-acknowledge
        # overdue for E since Tue Mar 10 13:00 (16 h + 16 h paused), never recorded as missed;
        # telephone-answer met by B's 45 s wait; when read at Apr 2 12:00
        card = history.scorecard()
        # then the share met is met on time over decided: 1 / (1 + 1 + 0) = 50.0 %
        assert card.standards == [
            StandardFigures("email-acknowledge", 1, 1, 0, 1, share("50.0", 2)),
            StandardFigures("social-acknowledge", 0, 0, 1, 0, share("0.0", 1)),
            StandardFigures("telephone-answer", 1, 0, 0, 0, share("100.0", 1))]

    def test_other_departments_see_their_own_targets(self, history: History) -> None:
        # D: acknowledged Thu Mar 5 (due Mon Mar 9 09:00) and resolved Fri Mar 13 (respond due
        # Mon Mar 23 09:00); F: waited 15 min against 10, so served 5 min late: met late.
        assert history.scorecard(PLANNING).standards == [
            StandardFigures("written-acknowledge", 1, 0, 0, 0, share("100.0", 1)),
            StandardFigures("written-respond", 1, 0, 0, 0, share("100.0", 1))]
        assert history.scorecard(COMMUNITY).standards == [
            StandardFigures("in-person-serve", 0, 1, 0, 0, share("0.0", 1))]

    def test_an_open_target_counts_as_breached_once_its_due_time_passes(
            self, history: History) -> None:
        # Given H's acknowledgement due Thu Apr 2 16:30, when read at 16:31 (no event since)
        card = history.scorecard(now=toronto(4, 2, 16, 31))
        # then it is breached, not open
        assert card.standards[0] == StandardFigures("email-acknowledge", 1, 1, 1, 0,
                                                    share("33.3", 3))

    def test_a_target_paused_for_the_customer_does_not_fall_due(self, history: History) -> None:
        # Given I, due the same Thu Apr 2 16:30 as H, but waiting on the customer since Apr 1
        # 10:00, when read at 16:31, then its acknowledgement is still open
        card = history.scorecard(period="2026-04", now=toronto(4, 2, 16, 31))
        assert card.standards == [StandardFigures("email-acknowledge", 0, 0, 0, 1,
                                                  share(None, 0))]

    @pytest.mark.parametrize("moment", [toronto(4, 2, 12), toronto(4, 2, 16, 31)])
    def test_outcomes_agree_with_the_cases_own_target_states(self, history: History,
                                                             moment: datetime) -> None:
        # Given every case of the history, when the year's scorecards of its departments are
        # read, then each standard's counts are those of the aggregates' own SLA states then
        for department in (PW, PLANNING, COMMUNITY):
            expected: dict[str, Counter[str]] = {}
            for case_id in history.cases.values():
                case = history.desk.get_case(ADMIN, case_id)
                if case.department != department:
                    continue
                for state in history.desk.target_statuses(case, at=moment):
                    expected.setdefault(state.standard_code, Counter())[STATE[state.state]] += 1
            found = {s.code: Counter({"met": s.met_on_time, "met_late": s.met_late,
                                      "breached": s.breached, "open": s.open})
                     for s in history.scorecard(department, "2026", now=moment).standards}
            assert {code: +c for code, c in found.items()} == expected, department


class TestBusinessTimes:
    def test_time_to_acknowledge_is_business_time_to_the_first_response(
            self, history: History) -> None:
        # A: Wed 10:00 to the outbound reply at 12:00 = 2 h = 7200 s
        # B: 11:00 to the resolution at 11:10 = 600 s
        # C: Thu 15:00 to Tue 09:30 = Thu 1.5 h + Fri 8 h + Mon 8 h + Tue 1 h = 18.5 h = 66600 s
        # nearest rank of [600, 7200, 66600]: median rank ceil(1.5) = 2, p90 ceil(2.7) = 3
        assert history.scorecard().time_to_acknowledge == BusinessTimes(
            3, 7200, 66600, Decimal("2.00"), Decimal("18.50"))

    def test_time_to_resolve_is_business_time_to_the_resolution_that_stands(
            self, history: History) -> None:
        # A: Wed 10:00 to Thu 10:00 = 6.5 h + 1.5 h = 8 h = 28800 s; B: 600 s
        # C: its Wed 11 resolution was undone by the escalation; Thu Mar 5 15:00 to Thu Mar 12
        # 10:00 = 1.5 + 8 (Fri) + 8 + 8 + 8 (Mon-Wed) + 1.5 = 35 h = 126000 s
        assert history.scorecard().time_to_resolve == BusinessTimes(
            3, 28800, 126000, Decimal("8.00"), Decimal("35.00"))

    def test_a_backdated_letter_is_timed_from_its_received_stamp(self, history: History) -> None:
        # D stamped Mon Mar 2 09:00: acknowledged Thu 09:00 = 7.5 + 8 + 8 + 0.5 = 24 h;
        # resolved Fri Mar 13 10:00 = 39.5 (first week) + 32 (Mon-Thu) + 1.5 = 73 h = 262800 s
        card = history.scorecard(PLANNING)
        assert (card.time_to_acknowledge.median_seconds, card.time_to_resolve.median_seconds) == (
            24 * HOUR, 73 * HOUR)


class TestTransfersAndFirstContact:
    def test_transfers_count_for_the_department_that_made_them(self, history: History) -> None:
        # Public works transferred D (cold) and F (warm) away and received E: 2 made, 1 warm =
        # 50.0 %; it handled A B C E H (owns them) and D F (sent on) = 7; 2 / 7 = 0.29 per case
        # handled; the customer was told of F's transfer (warm), not D's: 1 / 2 = 50.0 %
        card = history.scorecard()
        t = card.transfers_made
        assert (t.made, t.warm, t.cold, t.warm_share, t.cases_handled, t.per_case_handled,
                card.transfers_received) == (2, 1, 1, share("50.0", 2), 7, share("0.29", 7), 1)
        assert (t.customer_informed, t.informed_share) == (1, share("50.0", 2))
        # Planning sent E on warm (customer told) and received D: 1 / 2 handled = 0.50
        planning = history.scorecard(PLANNING)
        p = planning.transfers_made
        assert (p.made, p.warm_share, p.cases_handled, p.per_case_handled,
                planning.transfers_received) == (1, share("100.0", 1), 2, share("0.50", 2), 1)
        assert (p.customer_informed, p.informed_share) == (1, share("100.0", 1))

    def test_first_contact_resolution_is_the_share_of_resolved_cases(
            self, history: History) -> None:
        # A, B and C stand resolved; only B at first contact: 1 / 3 = 33.3 %
        f = history.scorecard().first_contact
        assert (f.resolved, f.at_first_contact, f.rate) == (3, 1, share("33.3", 3))


class TestComplaintsEffortSatisfaction:
    def test_complaints_count_escalations_per_level_reached_and_debriefs(
            self, history: History) -> None:
        c = history.scorecard().complaints
        assert (c.complaints, c.escalated, c.debriefs) == (1, 1, 1)
        assert c.escalations == {"department_manager": 1, "director": 1, "cao": 0,
                                 "ombudsman": 0}

    def test_effort_is_costed_at_the_departments_rate_as_it_stands(
            self, history: History) -> None:
        # Public works: A 30 + B 15 + C 20 + E 10 = 75 min = 1.25 h at the revised $60/h = $75
        e = history.scorecard().effort
        assert (e.interactions, e.minutes, e.hours, e.hourly_rate, e.cost) == (
            4, 75, Decimal("1.25"), Decimal("60.00"), Decimal("75.00"))
        # Planning: D's 40 min (logged before D was sent there) at $55/h = 36.666 -> $36.67
        p = history.scorecard(PLANNING).effort
        assert (p.minutes, p.hours, p.hourly_rate, p.cost) == (
            40, Decimal("0.67"), Decimal("55.00"), Decimal("36.67"))

    def test_satisfaction_averages_and_nps_with_response_counts(
            self, history: History) -> None:
        s = history.scorecard().satisfaction
        # One answer per case per kind, the latest: A (5, 10, 2), B (4, 7, 6; its nps 9 and
        # ces 1 superseded), C (2, 3, -).
        # CSAT 5, 4, 2: 11 / 3 = 3.67; CES 2, 6: 8 / 2 = 4.00
        # NPS 10 promoter, 7 passive, 3 detractor: (1 - 1) / 3 = 0.0 (all four answers
        # counted would give (2 - 1) / 4 = 25.0)
        assert (s.csat_responses, s.csat_average, s.ces_responses, s.ces_average) == (
            3, share("3.67", 3), 2, share("4.00", 2))
        assert (s.nps_responses, s.promoters, s.passives, s.detractors, s.nps) == (
            3, 1, 1, 1, share("0.0", 3))

    def test_a_period_without_cases_has_no_averages(self, history: History) -> None:
        card = history.scorecard(period="2026-02")
        assert (card.satisfaction.nps.value, card.first_contact.rate.value,
                card.transfers_made.per_case_handled.value,
                card.time_to_resolve.median_seconds) == (None, None, None, None)
        assert card.satisfaction.nps == Rated(None, 0, False, "no results")


class TestMinimumSample:
    def test_a_share_from_fewer_results_than_the_minimum_is_too_few_to_rate(
            self, history: History) -> None:
        # Given public works' March: email-acknowledge decided for 2 targets (1 met, 1 late),
        # 3 resolved cases (1 at first contact), 3 NPS answers, 2 transfers made of 7 handled
        card = history.scorecard(min_sample=MIN_SAMPLE)
        # when read with the default minimum sample of 10, then none of them is rated: no
        # value (never "50 %" from two targets), the count it would come from, and why
        assert MIN_SAMPLE == 10
        assert card.min_sample == 10
        assert card.standards[0].share_met == Rated(
            None, 2, False, "too few to rate: 2 of the 10 needed")
        assert card.first_contact.rate == Rated(None, 3, False,
                                                "too few to rate: 3 of the 10 needed")
        assert (card.satisfaction.nps.value, card.satisfaction.nps.count) == (None, 3)
        assert (card.transfers_made.warm_share.rated,
                card.transfers_made.per_case_handled.count) == (False, 7)
        # and so are the median and 90th percentile times (3 cases acknowledged), though the
        # counts themselves are still published
        assert (card.time_to_acknowledge.cases, card.time_to_acknowledge.median_seconds,
                card.time_to_acknowledge.rated) == (3, None, False)
        assert (card.first_contact.resolved, card.satisfaction.nps_responses) == (3, 3)

    def test_the_minimum_is_inclusive(self, history: History) -> None:
        # 3 resolved cases with a minimum of 3: rated, 1 / 3 = 33.3 %; with 4: not rated
        assert history.scorecard(min_sample=3).first_contact.rate == Rated(
            Decimal("33.3"), 3, True)
        assert not history.scorecard(min_sample=4).first_contact.rate.rated


class TestTownAndNarrowerScorecards:
    def test_the_town_wide_scorecard_counts_every_department(self, history: History) -> None:
        # Given March: A B C E H owned by public works, D by planning, F by community
        card = history.scorecard(None)
        assert (card.department, card.department_name, card.cases) == (
            None, "Town of Cobourg", 7)
        assert {k: v for k, v in card.by_channel.items() if v} == {
            "email": 3, "telephone": 1, "written": 1, "social_media": 1, "in_person": 1}
        # every transfer is made and received within the Town: D (cold), E and F (warm, the
        # customer told): 3 made, 2 warm = 66.7 %, 2 told = 66.7 %; 3 / 7 cases = 0.43
        t = card.transfers_made
        assert (t.made, t.warm, t.customer_informed, card.transfers_received) == (3, 2, 2, 3)
        assert (t.warm_share, t.per_case_handled) == (share("66.7", 3), share("0.43", 7))
        # effort at each owner's rate: public works 75 min x $60 + planning 40 min x $55 =
        # (450000 + 220000) cent-minutes / 60 = 11166.67 cents -> $111.67; no single rate
        e = card.effort
        assert (e.interactions, e.minutes, e.hourly_rate, e.cost) == (
            5, 115, None, Decimal("111.67"))

    def test_a_scorecard_per_channel(self, history: History) -> None:
        # Town-wide email: A, C (resolved, neither at first contact) and H (open)
        email = history.scorecard(None, channel="email")
        assert (email.channel, email.cases, email.first_contact.resolved,
                email.first_contact.at_first_contact) == ("email", 3, 2, 0)
        # public works by telephone: B alone, 15 min at $60 = $15.00
        phone = history.scorecard(PW, channel="telephone")
        assert (phone.cases, phone.effort.minutes, phone.effort.cost) == (
            1, 15, Decimal("15.00"))

    def test_a_staff_members_scorecard_counts_the_cases_assigned_to_them_now(
            self, history: History) -> None:
        # Given A and B assigned to staff-bo, and D assigned to them before its transfer
        # (which left D unassigned)
        card = history.scorecard(PW, assignee="staff-bo")
        # then their March is A and B: 30 + 15 = 45 min at $60 = $45.00
        assert (card.assignee, card.cases, card.effort.minutes, card.effort.cost) == (
            "staff-bo", 2, 45, Decimal("45.00"))
        assert history.scorecard(PLANNING, assignee="staff-bo").cases == 0

    @pytest.mark.parametrize("role", ["staff", "csr", "clerk", "auditor"])
    def test_only_managers_directors_and_administrators_see_a_staff_members_figures(
            self, history: History, role: str) -> None:
        asking = Actor(id="someone", role=Role(role), departments=frozenset({PW}))
        with pytest.raises(Forbidden) as refused:
            history.scorecard(PW, actor=asking, assignee="staff-bo")
        assert refused.value.field == "assignee"

    def test_an_unknown_channel_service_or_business_unit_is_refused_by_name(
            self, history: History) -> None:
        for narrowed, field in (({"channel": "pigeon"}, "channel"),
                                ({"service": "no-such-service"}, "service"),
                                ({"business_unit": "no-such-unit"}, "business_unit")):
            with pytest.raises(InvalidValue) as refused:
                history.scorecard(None, **narrowed)
            assert refused.value.field == field

    def test_staff_and_managers_may_not_see_the_town_wide_scorecard(
            self, history: History) -> None:
        manager = Actor(id="mgr-kim", role=Role.MANAGER, departments=frozenset({PW}))
        with pytest.raises(Forbidden, match="Town-wide"):
            history.scorecard(None, actor=manager)
        assert history.scorecard(PW, actor=manager).cases == 5


class TestAskingForAScorecard:
    def test_the_figures_name_the_position_they_are_as_of(self, history: History) -> None:
        card = history.scorecard()
        assert card.position == history.desk.log_position()
        assert (card.department_name, card.period.first_day, card.period.last_day) == (
            "Public Works", date(2026, 3, 1), date(2026, 3, 31))

    def test_staff_see_only_their_own_departments(self, history: History) -> None:
        staff = Actor(id="staff-bo", role=Role.STAFF, departments=frozenset({PLANNING}))
        assert history.scorecard(PLANNING, actor=staff).cases == 1
        with pytest.raises(Forbidden):
            history.scorecard(PW, actor=staff)

    @pytest.mark.parametrize("period", ["2026-13", "2026-Q5", "26", "2026-3", "March", ""])
    def test_a_bad_period_is_refused_by_name(self, history: History, period: str) -> None:
        with pytest.raises(InvalidValue) as refused:
            history.scorecard(period=period)
        assert refused.value.field == "period"

    def test_an_unknown_department_is_refused_by_name(self, history: History) -> None:
        with pytest.raises(InvalidValue) as refused:
            history.scorecard("no-such-department")
        assert refused.value.field == "department"


@pytest.fixture
def march_scorecard(settings: Settings, desk: ServiceDesk,
                    clock: MovableClock) -> Iterator[Callable[[], Scorecard]]:
    """Public works' March scorecard on the test's own desk, read once the projection (running
    for the test) has followed the whole log."""
    with running_projections(settings, desk, SCORECARD) as projections:

        def scorecard() -> Scorecard:
            projections.wait_for(desk.log_position())
            return department_scorecard(projections.view(SCORECARD.name), ADMIN,
                                        department=PW, period="2026-03", now=clock(),
                                        min_sample=1)

        yield scorecard


class TestFollowingChanges:
    """Histories of their own, on the shared per-test desk."""

    def test_business_time_counts_the_closures_known_when_the_response_was_recorded(
            self, desk: ServiceDesk, clock: MovableClock,
            march_scorecard: Callable[[], Scorecard]) -> None:
        # Given an email received Wed Mar 4 10:00 and the whole of Thu Mar 5 closed
        clock.now = toronto(3, 4, 10)
        case = receive(desk, "email", "information")
        clock.now = toronto(3, 4, 11)
        add_closure(desk, ADMIN, day=date(2026, 3, 5), from_time=None, until_time=None,
                    reason="Storm")
        # when it is acknowledged Fri 10:00, then Fri afternoon is closed after the fact
        clock.now = toronto(3, 6, 10)
        change(desk, case, "acknowledge", message="Thanks")
        clock.now = toronto(3, 6, 11)
        add_closure(desk, ADMIN, day=date(2026, 3, 6), from_time=time(8, 30),
                    until_time=None, reason="Power cut")
        # then it took Wed 6.5 h + Thu 0 h + Fri 1.5 h = 8 h, and keeps that figure
        card = march_scorecard()
        assert card.time_to_acknowledge.median_seconds == 8 * HOUR

    def test_business_time_runs_on_the_hours_of_the_desk_the_case_was_received_at(
            self, desk: ServiceDesk, clock: MovableClock,
            march_scorecard: Callable[[], Scorecard]) -> None:
        # Given a walk-in at the Marina (seeded open every day 10:00-18:00) on Saturday
        # Mar 7 at 11:00, resolved at 15:00 the same day
        clock.now = toronto(3, 7, 11)
        case = desk.handle(ADMIN, ReceiveCase(
            channel="in_person", purpose="consultation", department=PW, subject="Slip rental",
            description="", wait_seconds=60, desk="marina-campground")).case.id
        clock.now = toronto(3, 7, 15)
        change(desk, case, "resolve", resolution="Booked", at_first_contact=True)
        # then it took Sat 11:00-15:00 = 4 h of the Marina's business time (Victoria Hall,
        # closed on Saturdays, would count none)
        card = march_scorecard()
        assert card.time_to_resolve.median_seconds == 4 * HOUR

    def test_a_reopened_case_leaves_the_resolution_figures_until_resolved_again(
            self, desk: ServiceDesk, clock: MovableClock,
            march_scorecard: Callable[[], Scorecard]) -> None:
        # Given a call resolved at first contact 10 minutes after it came in
        clock.now = toronto(3, 4, 10)
        case = receive(desk, "telephone", "information")
        clock.now = toronto(3, 4, 10, 10)
        change(desk, case, "resolve", resolution="Told", at_first_contact=True)
        assert march_scorecard().first_contact.rate == share("100.0", 1)
        # when it is reopened, then it is not resolved
        clock.now = toronto(3, 5, 9)
        change(desk, case, "reopen", reason="Wrong answer")
        card = march_scorecard()
        assert (card.first_contact.resolved, card.time_to_resolve.cases) == (0, 0)
        # and resolved again Thu 09:30, it took Wed 6.5 h + Thu 1 h = 7.5 h, not at first
        # contact; its first response stays the first resolution, 10 minutes in
        clock.now = toronto(3, 5, 9, 30)
        change(desk, case, "resolve", resolution="Corrected", at_first_contact=False)
        card = march_scorecard()
        assert (card.first_contact.resolved, card.first_contact.rate) == (1, share("0.0", 1))
        assert card.time_to_resolve.median_seconds == int(7.5 * HOUR)
        assert card.time_to_acknowledge.median_seconds == 600


class TestRebuilding:
    def test_a_rebuilt_scorecard_equals_the_one_built_as_the_log_was_followed(
            self, settings: Settings, desk: ServiceDesk, clock: MovableClock) -> None:
        with running_projections(settings, desk, SCORECARD) as projections:
            # Given the module's history, followed event by event
            record_history(desk, clock)
            projections.wait_for(desk.log_position(), timeout=30)
            view = projections.view(SCORECARD.name)
            followed, card = view.snapshot(), department_scorecard(
                view, ADMIN, department=PW, period="2026", now=clock())
            # when it is rebuilt from the whole log, in batches of 7 events
            rebuilt = projections.rebuild(SCORECARD.name, batch_size=7, grace=0)
            assert (rebuilt.replaced, rebuilt.generation) == (0, 1)
            # then every row and every figure is the same, and the new tables follow the log
            assert view.snapshot() == followed
            assert department_scorecard(view, ADMIN, department=PW, period="2026",
                                        now=clock()) == card
            receive(desk, "email", "information", received_at=toronto(4, 2, 11))
            projections.wait_for(desk.log_position(), timeout=30)
            assert department_scorecard(view, ADMIN, department=PW, period="2026-04",
                                        now=clock()).cases == 2


class TestFigures:
    def test_nearest_rank_takes_a_value_some_case_actually_took(self) -> None:
        assert nearest_rank([], 50) is None
        assert nearest_rank([7], 90) == 7
        # [1, 2, 3, 4]: median rank ceil(2.0) = 2, the lower middle; p90 rank ceil(3.6) = 4
        assert (nearest_rank([4, 1, 3, 2], 50), nearest_rank([4, 1, 3, 2], 90)) == (2, 4)
        # ten values: p90 rank ceil(9.0) = 9
        assert nearest_rank(list(range(1, 11)), 90) == 9

    def test_a_target_met_while_paused_is_judged_where_its_clock_stopped(self) -> None:
        due = toronto(3, 6, 12)
        paused = TargetFacts("s", due, paused_at=due - timedelta(hours=1),
                             met_at=due + timedelta(days=3), breached_at=None)
        assert outcome(paused, now=due + timedelta(days=9)) == "met"
        waited_too_long = TargetFacts("s", due, None, None, breached_at=due)
        assert outcome(waited_too_long, now=due - timedelta(minutes=5)) == "breached"
