"""The demo loader: a reproducible, realistic year of cases, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from api.history import case_history
from application.catalogue import list_services
from application.desk import ServiceDesk
from domain.actors import Actor, Role
from domain.calendar import BusinessCalendar
from domain.cases import Case
from domain.values import Channel, Purpose
from infrastructure.accountability_source import produce_report
from infrastructure.bootstrap import build_desk, seed_catalogue
from infrastructure.demo import RECEIVED_TOPIC, has_cases, load_demo
from infrastructure.settings import Settings
from tests.command_line import TEST_MASTER_KEY
from tests.receiving import receive
from tests.toronto_time import TORONTO

END = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # the clock fixture: Wednesday, 10:00 Toronto
CASES = 300
CLERK = Actor(id="clerk-1", role=Role.CLERK)
AUDITOR = Actor(id="auditor-1", role=Role.AUDITOR)
SEED = 2026
# Arrivals and their promises may come in after hours (an email at 21:00); staff work may not.
ARRIVAL_EVENTS = {"Received", "TargetsSet", "WaitMeasured"}
BY_MACHINES = {"system"}  # the scheduler and the survey portal keep no office hours


@dataclass(frozen=True)
class Recorded:
    case: Case
    events: list[Any]

    @property
    def kinds(self) -> list[str]:
        return [type(e).__qualname__.removeprefix("Case.") for e in self.events]


@dataclass(frozen=True)
class Year:
    summary: dict[str, Any]
    cases: list[Recorded]
    public_services: dict[str, str]  # code: owning department, as the catalogue lists them
    desk: ServiceDesk


def recorded_cases(desk: ServiceDesk) -> list[Recorded]:
    """Every case on record, in the order received, read back from the database."""
    received = desk.recorder.select_notifications(1, 1_000_000, topics=[RECEIVED_TOPIC])
    found = []
    for notification in received:
        events = list(desk.events.get(notification.originator_id))
        case = None
        for event in events:
            case = event.mutate(case)
        assert isinstance(case, Case)
        found.append(Recorded(case, events))
    return found


def fingerprint(cases: list[Recorded]) -> list[tuple[Any, ...]]:
    return [(r.case.reference, r.case.channel, r.case.purpose, r.case.service_code,
             r.case.department, r.case.status, r.case.received_at, tuple(r.kinds))
            for r in cases]


def fresh_sqlite_desk(directory: Path) -> ServiceDesk:
    desk = build_desk(Settings(data_dir=directory, run_scheduler=False,
                               master_key=TEST_MASTER_KEY), clock=lambda: END)
    seed_catalogue(desk)
    return desk


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Year]:
    """The demo year on SQLite, loaded once for the tests that only read it. The tests of
    `TestLoadingTheDemo` prove that every database holds exactly this same year."""
    desk = fresh_sqlite_desk(tmp_path_factory.mktemp("demo-year"))
    try:
        summary = load_demo(desk, cases=CASES, seed=SEED, end=END)
        public = {s.code: s.department for s in list_services(desk)}
        yield Year(summary, recorded_cases(desk), public, desk)
    finally:
        desk.close()


class TestLoadingTheDemo:
    def test_has_cases_is_false_on_a_fresh_catalogue_and_true_once_loaded(
            self, desk: ServiceDesk) -> None:
        # given a desk with only the Appendix IV catalogue and the standards
        assert not has_cases(desk)
        before = desk.log_position()
        # when the demo is loaded
        summary = load_demo(desk, cases=CASES, seed=SEED, end=END)
        # then the desk has cases, and the summary counts what is on record
        assert has_cases(desk)
        cases = recorded_cases(desk)
        assert summary["cases"] == len(cases) == CASES
        assert summary["events"] == len(desk.recorder.select_notifications(before + 1, 10**6))
        assert summary["by_channel"] == dict(sorted(Counter(r.case.channel
                                                            for r in cases).items()))
        assert summary["complaints"] == sum(r.case.classification == "complaint" for r in cases)
        assert summary["escalations"] == sum(len(r.case.escalations) for r in cases)
        # and references are numbered 1, 2, 3 ... in each year, in order received
        references = [r.case.reference for r in cases]
        for year in (2025, 2026):
            numbers = [int(ref.rsplit("-", 1)[1]) for ref in references
                       if ref.startswith(f"SC-{year}-")]
            assert numbers == list(range(1, len(numbers) + 1))
        # and the next case the desk receives continues this year's numbering
        after = sum(ref.startswith("SC-2026-") for ref in references)
        assert receive(desk).case.reference == f"SC-2026-{after + 1:06d}"

    def test_the_same_seed_tells_the_same_year_on_any_database(
            self, desk: ServiceDesk, year: Year) -> None:
        # given the demo year loaded on SQLite (the `year` fixture)
        # when the demo is loaded on this database with the same seed and end
        summary = load_demo(desk, cases=CASES, seed=SEED, end=END)
        # then it holds the same references, channels, services, statuses and stories
        assert fingerprint(recorded_cases(desk)) == fingerprint(year.cases)
        assert summary == year.summary

    def test_another_seed_tells_another_year(self, tmp_path: Path) -> None:
        # given two fresh desks loaded with different seeds
        first = fresh_sqlite_desk(tmp_path / "first")
        second = fresh_sqlite_desk(tmp_path / "second")
        try:
            load_demo(first, cases=60, seed=1, end=END)
            load_demo(second, cases=60, seed=2, end=END)
            # then their cases differ
            assert fingerprint(recorded_cases(first)) != fingerprint(recorded_cases(second))
        finally:
            first.close()
            second.close()


class TestRealism:
    def test_the_year_covers_every_channel_purpose_and_kind_of_event(
            self, year: Year) -> None:
        # given the demo year
        cases = year.cases
        kinds = Counter(kind for r in cases for kind in r.kinds)
        # then every channel and purpose appears
        assert {r.case.channel for r in cases} == {c.value for c in Channel}
        assert {r.case.purpose for r in cases} == {p.value for p in Purpose}
        # and every kind of thing that happens to a case happens at least once
        for kind in ("InteractionLogged", "Assigned", "Transferred", "Acknowledged",
                     "InterimResponseSent", "WaitingOnCustomer", "CustomerResponded",
                     "Resolved", "Reopened", "Closed", "Classified", "ComplaintEscalated",
                     "ComplaintDebriefed", "AccommodationRequested", "AccommodationProvided",
                     "SurveyAnswered", "TargetsSet", "WaitMeasured", "DeadlineMissed"):
            assert kinds[kind] > 0, kind
        # warm and cold transfers, and a good share resolved at first contact
        warmth = Counter(t["warm"] for r in cases for t in r.case.transfers)
        assert warmth[True] > 0 and warmth[False] > 0
        first_contact = sum(r.case.resolved_at_first_contact for r in cases)
        assert 0.2 * CASES < first_contact < 0.7 * CASES
        # complaints climb the ladder, some to the director and beyond, and are debriefed
        levels = Counter(e["to"] for r in cases for e in r.case.escalations)
        assert levels["department_manager"] >= levels["director"] > 0
        assert levels["cao"] > 0 and levels["ombudsman"] > 0
        debriefed = [r.case for r in cases if r.case.debrief is not None]
        assert debriefed and all(c.escalations and c.classification == "complaint"
                                 for c in debriefed)
        # surveys answer CSAT, NPS and CES, each on its own scale
        surveys = [s for r in cases for s in r.case.surveys]
        for name, (low, high) in {"csat": (1, 5), "nps": (0, 10), "ces": (1, 7)}.items():
            scores = [s[name] for s in surveys if s[name] is not None]
            assert scores and all(low <= score <= high for score in scores), name

    def test_customers_ask_only_for_public_services_of_the_seeded_catalogue(
            self, year: Year) -> None:
        # given the demo year, and the public services of the catalogue it was drawn from
        public = year.public_services
        assert len(public) == 90
        # then every case names a public service, received by the department that owns it
        for recorded in year.cases:
            received = recorded.events[0]
            assert received.service_code in public
            assert received.department == public[received.service_code]

    def test_waits_are_measured_on_the_telephone_and_at_the_counter_only(
            self, year: Year) -> None:
        # given the demo year
        for recorded in year.cases:
            waits = [e.wait_seconds for e in recorded.events
                     if type(e).__qualname__ == "Case.InteractionLogged"
                     and e.wait_seconds is not None]
            # then each telephone and in-person case has its wait, and no other case has one
            if recorded.case.channel in {"telephone", "in_person"}:
                assert len(waits) == 1 and waits[0] >= 0
            else:
                assert waits == []


class TestTime:
    def test_every_story_is_in_order_and_none_reaches_past_the_end(
            self, year: Year) -> None:
        # given the demo year ending at END
        for recorded in year.cases:
            moments = [e.occurred_at for e in recorded.events]
            # then each case's events happened in the order they were recorded
            assert moments == sorted(moments), recorded.case.reference
            # within the year, and never after its end
            assert END - timedelta(days=365) < moments[0] and moments[-1] <= END

    def test_each_event_is_recorded_when_it_happened_in_the_simulated_year(
            self, year: Year) -> None:
        for recorded in year.cases:
            events = recorded.events
            # the case was entered (and its first targets set) when the story began: a letter
            # after its Received stamp, anything else when it arrived
            entered = events[1].occurred_at
            assert events[0].timestamp == entered >= events[0].occurred_at
            # then each event is recorded when it happened, never before the one before it
            for before, event in pairwise(events):
                assert event.timestamp == max(before.timestamp, event.occurred_at), (
                    recorded.case.reference, type(event).__name__)
            # all within the simulated year
            assert END - timedelta(days=366) < events[0].timestamp
            assert events[-1].timestamp <= END

    @pytest.mark.xfail(strict=True, reason="as_of selects by commit time (ledger2), which the "
                       "demo does not yet assign in simulated time order")
    def test_as_of_reports_and_histories_on_the_year_s_dates_show_what_was_recorded(
            self, year: Year) -> None:
        # Given the cases received in October 2025 (Toronto), when the clerk's report for
        # October is asked for as of its end (Sat Nov 1 00:00 Toronto = 04:00 UTC)
        october = [r for r in year.cases
                   if r.case.received_at.astimezone(TORONTO).strftime("%Y-%m") == "2025-10"]
        as_of = datetime(2025, 11, 1, 4, 0, tzinfo=UTC)
        report = produce_report(year.desk, CLERK, period="2025-10", as_of=as_of, min_sample=1)
        # Then it reports every one of them, and the promises they carried
        assert report.cases == len(october) > 0
        assert sum(r.outcomes.applied for r in report.standards) > 0
        # And a case's history as of that moment shows what was recorded on it by then
        first = october[0]
        history = case_history(year.desk, AUDITOR, first.case.id, version=None,
                               as_of=as_of.isoformat())
        assert [e.version for e in history.events] == [
            e.originator_version for e in first.events if e.timestamp <= as_of]
        assert history.events and history.state is not None

    def test_staff_work_during_business_hours(self, year: Year) -> None:
        # given the demo year and the desk's opening hours (Mon-Fri 08:30-16:30 Toronto)
        calendar = BusinessCalendar()
        work = [e.occurred_at for r in year.cases for e in r.events
                if type(e).__qualname__.removeprefix("Case.") not in ARRIVAL_EVENTS
                and e.actor_role not in BY_MACHINES]
        # then nearly all of it is inside opening hours (a call may run a little past 16:30)
        inside = sum(calendar.is_open(at) or calendar.is_open(at - timedelta(minutes=30))
                     for at in work)
        assert inside >= 0.97 * len(work)

    def test_a_letter_is_entered_after_its_received_stamp(self, year: Year) -> None:
        # given the demo year
        letters = [r for r in year.cases if r.case.channel == "written"]
        assert letters
        for letter in letters:
            # then the Received stamp is a business moment, and the entry comes after it
            stamp = letter.case.received_at
            entry = next(e for e in letter.events
                         if type(e).__qualname__ == "Case.InteractionLogged")
            assert BusinessCalendar().is_open(stamp)
            assert entry.summary.startswith("Letter date-stamped Received")
            assert entry.occurred_at > stamp


class TestDesks:
    def test_walk_ins_come_in_at_every_desk_and_other_contacts_at_the_central_one(
            self, year: Year) -> None:
        # given the demo year
        walk_ins = Counter(r.case.desk for r in year.cases if r.case.channel == "in_person")
        others = {r.case.desk for r in year.cases if r.case.channel != "in_person"}
        # then walk-ins came in at each of the four desks, most at Victoria Hall
        assert set(walk_ins) == {"victoria-hall", "community-centre", "venture-13",
                                 "marina-campground"}
        assert walk_ins.most_common(1)[0][0] == "victoria-hall"
        # and every other contact came to Service Cobourg
        assert others == {"victoria-hall"}
        # and every business-time target runs on the hours of the desk its case came in at
        assert all(t.desk == r.case.desk for r in year.cases for t in r.case.targets.values())
