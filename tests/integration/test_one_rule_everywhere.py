"""Every output judges a target's state, and a case's status, by the domain's one rule.

The same five email cases are read through the case view (`ServiceDesk.target_statuses`), the
work queue, the SLA board, the case list filtered by target state, the scorecard and the
accountability report, on SQLite and PostgreSQL, and every one of them must say the same.

Email is acknowledged within 2 business days: 16 business hours, at risk when less than 4 hours
(25%) are left. The desk opens 08:30-16:30 Toronto time (UTC-5 until Sunday 2026-03-08).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from application.access import PUBLIC_CLIENT_PREFIX
from application.desk import ServiceDesk
from application.open311.public_requests import request_view
from application.scorecards import department_scorecard
from application.service_levels import revise_standards
from domain.actors import Actor, Role
from domain.standards import ServiceStandard, TargetKind
from domain.targets import TargetState
from engine.runner import ProjectionSet
from infrastructure.accountability_source import produce_report
from infrastructure.commit_time import last_commit_time
from infrastructure.settings import Settings
from projections.case_index import CASE_INDEX
from projections.queues import QUEUES
from projections.scorecard import SCORECARD
from tests import receiving, toronto_time
from tests.commanding import change_case
from tests.conftest import running_projections

ADMIN = Actor(id="admin-al", role=Role.ADMIN)
CSR = Actor(id="csr-ana", role=Role.CSR)
CLERK = Actor(id="clerk-1", role=Role.CLERK)
OPEN311_APP = Actor(id=f"{PUBLIC_CLIENT_PREFIX}fixit", role=Role.SYSTEM)
PW = "public-works"
ACK = "acknowledge"
PENDING, AT_RISK, BREACHED = TargetState.PENDING, TargetState.AT_RISK, TargetState.BREACHED
MET, MET_LATE = TargetState.MET, TargetState.MET_LATE


def toronto(day: int, hour: int, minute: int = 0) -> datetime:
    """A Toronto wall-clock time in March 2026, as UTC."""
    return toronto_time.toronto(2026, 3, day, hour, minute)


NOW = toronto(5, 14)  # Thursday 14:00 (19:00 UTC)
# The state of each case's acknowledgement target at NOW, computed by hand.
AT_NOW = {
    # Mon 10:00 + 16 h: Mon 6.5 h, Tue 8 h (14.5), Wed 1.5 h -> due Wed 10:00, recorded missed
    "late": BREACHED,
    # Tue 15:00 + 16 h: Tue 1.5 h, Wed 8 h, Thu 6.5 h -> due Thu 15:00; 4 h before that is
    # Thu 11:00, and at 14:00 only 1 h is left: at risk
    "soon": AT_RISK,
    # Thu 09:00 + 16 h: Thu 7.5 h, Fri 8 h, Mon 0.5 h -> due Mon 09:00; at risk from Fri 13:00
    # (4 h before: Mon 0.5 h, Fri 3.5 h back from 16:30); at Thu 14:00 it is pending
    "fresh": PENDING,
    # Wed 10:00, acknowledged Wed 11:00, due Fri 10:00: met
    "met": MET,
    # Mon 09:00 + 16 h: Mon 7.5 h, Tue 8 h, Wed 0.5 h -> due Wed 09:00; acknowledged Wed 12:00
    "met_late": MET_LATE,
}


def receive(desk: ServiceDesk, received_at: datetime, **overrides: Any) -> Any:
    return receiving.receive(desk, CSR, received_at=received_at, **overrides).case


def change(desk: ServiceDesk, case: Any, command: str, **arguments: Any) -> None:
    change_case(desk, ADMIN, case.id, command, expected_version=None, **arguments)


@pytest.fixture
def read_models(settings: Settings, desk: ServiceDesk) -> Iterator[ProjectionSet]:
    with running_projections(settings, desk, QUEUES, CASE_INDEX, SCORECARD) as running:
        yield running


@pytest.fixture
def cases(desk: ServiceDesk, clock: Any, read_models: ProjectionSet) -> dict[str, Any]:
    """Five open email cases in public works, each one state of its acknowledgement at NOW."""
    clock.now = NOW
    late = receive(desk, toronto(2, 10))
    assert desk.record_deadline_missed(late.id, ACK, toronto(4, 10))
    soon = receive(desk, toronto(3, 15))
    fresh = receive(desk, toronto(5, 9))
    met = receive(desk, toronto(4, 10))
    change(desk, met, "acknowledge", message="We have it", occurred_at=toronto(4, 11))
    met_late = receive(desk, toronto(2, 9))
    change(desk, met_late, "acknowledge", message="Sorry", occurred_at=toronto(4, 12))
    read_models.wait_for(desk.log_position())
    return {"late": late, "soon": soon, "fresh": fresh, "met": met, "met_late": met_late}


def case_view(desk: ServiceDesk, cases: dict[str, Any], at: datetime) -> dict[str, TargetState]:
    return {name: next(s.state for s in desk.target_statuses(desk.get_case(ADMIN, case.id),
                                                             at=at) if s.name == ACK)
            for name, case in cases.items()}


def queue(desk: ServiceDesk, read_models: ProjectionSet, cases: dict[str, Any],
          at: datetime) -> dict[str, TargetState]:
    by_id = {case.id: name for name, case in cases.items()}
    entries, _ = read_models.view(QUEUES.name).queue(
        None, now=at, calendars=desk.calendars(at), department=PW, limit=200)
    return {by_id[e.id]: next(t.state for t in e.targets if t.name == ACK) for e in entries}


def board(desk: ServiceDesk, read_models: ProjectionSet, cases: dict[str, Any],
          at: datetime) -> tuple[Counter[TargetState], dict[str, TargetState]]:
    by_id = {case.id: name for name, case in cases.items()}
    shown = read_models.view(QUEUES.name).sla_board(None, now=at,
                                                    calendars=desk.calendars(at), limit=200)
    [count] = shown.counts
    counts = Counter({PENDING: count.pending, AT_RISK: count.at_risk,
                      BREACHED: count.breached})
    return +counts, {by_id[e.case_id]: e.target.state for e in shown.entries}


def case_list(read_models: ProjectionSet, cases: dict[str, Any],
              at: datetime) -> dict[str, TargetState]:
    by_id = {case.id: name for name, case in cases.items()}
    listed: dict[str, TargetState] = {}
    for state in TargetState:
        rows, _ = read_models.view(CASE_INDEX.name).list_cases(
            None, target=ACK, target_state=state.value, now=at, limit=200)
        for row in rows:
            assert by_id[row.id] not in listed, "a target is in one state"
            listed[by_id[row.id]] = state
    return listed


def scorecard(read_models: ProjectionSet, at: datetime) -> Counter[str]:
    [figures] = department_scorecard(read_models.view(SCORECARD.name), ADMIN, department=PW,
                                     period="2026-03", now=at, min_sample=1).standards
    return +Counter({"met": figures.met_on_time, "met_late": figures.met_late,
                     "breached": figures.breached, "open": figures.open})


def outcomes(states: dict[str, TargetState]) -> Counter[str]:
    return Counter(state.outcome for state in states.values())


class TestTheTargetStateRule:
    def test_every_output_agrees_with_the_hand_computed_states(
            self, desk: ServiceDesk, read_models: ProjectionSet,
            cases: dict[str, Any]) -> None:
        # Given the five cases, when each output is read at Thursday 14:00
        # Then the case view says what was computed by hand
        assert case_view(desk, cases, NOW) == AT_NOW
        # And so does the queue, for every case (all five are still open)
        assert queue(desk, read_models, cases, NOW) == AT_NOW
        # And the SLA board counts the live (unmet) ones: late, soon and fresh, and lists the
        # at-risk and breached ones
        counts, listed = board(desk, read_models, cases, NOW)
        assert counts == Counter({PENDING: 1, AT_RISK: 1, BREACHED: 1})
        assert listed == {"late": BREACHED, "soon": AT_RISK}
        # And the case list filtered by each state lists each case under its state, once
        assert case_list(read_models, cases, NOW) == AT_NOW
        # And the scorecard counts one met, one met late, one breached and two open (at risk
        # and pending are not decided yet)
        assert scorecard(read_models, NOW) == Counter(
            {"met": 1, "met_late": 1, "breached": 1, "open": 2})

    def test_at_a_boundary_every_output_moves_at_the_same_instant(
            self, desk: ServiceDesk, read_models: ProjectionSet,
            cases: dict[str, Any]) -> None:
        # Given "fresh" is at risk from Friday 13:00 (see AT_NOW) and "soon" is due Thursday
        # 15:00
        for moment, fresh, soon in ((toronto(6, 13), PENDING, BREACHED),
                                    (toronto(6, 13, 1), AT_RISK, BREACHED),
                                    (toronto(5, 15), PENDING, AT_RISK),
                                    (toronto(5, 15, 1), PENDING, BREACHED)):
            # When every output is read at that moment, then each says the same of both
            expected = {**AT_NOW, "fresh": fresh, "soon": soon}
            assert case_view(desk, cases, moment) == expected, moment
            assert queue(desk, read_models, cases, moment) == expected, moment
            assert case_list(read_models, cases, moment) == expected, moment
            _, listed = board(desk, read_models, cases, moment)
            assert listed == {n: s for n, s in expected.items()
                              if s in (AT_RISK, BREACHED)}, moment
            assert scorecard(read_models, moment) == outcomes(expected), moment

    def test_the_accountability_report_counts_what_every_output_shows_at_its_as_of(
            self, desk: ServiceDesk, read_models: ProjectionSet, cases: dict[str, Any],
            clock: Any) -> None:
        # Given the report speaks for the log as committed (commit times follow the real
        # clock, not the test's moved one), so its as_of is the newest event's commit time:
        # the whole log, long after "soon" and "fresh" fell due
        as_of = last_commit_time(desk)
        assert as_of is not None
        # When the report and every other output are read at as_of
        report = produce_report(desk, CLERK, period="2026-03", as_of=as_of)
        [row] = [r for r in report.standards if r.outcomes.applied]
        # Then the report counts met 1, met late 1 and breached 3 (late, soon, fresh)
        found = Counter({"met": row.outcomes.met, "met_late": row.outcomes.met_late,
                         "breached": row.outcomes.breached, "open": row.outcomes.open})
        expected = {**AT_NOW, "soon": BREACHED, "fresh": BREACHED}
        assert +found == outcomes(expected) == Counter({"met": 1, "met_late": 1,
                                                        "breached": 3})
        # And its breach table lists the four late ones by the same states
        by_reference = {case.reference: name for name, case in cases.items()}
        assert {by_reference[b.reference]: b.state for b in report.breaches} == {
            n: s.value for n, s in expected.items() if s in (MET_LATE, BREACHED)}
        # And the case view, queue, case list and scorecard say the same at as_of
        assert case_view(desk, cases, as_of) == expected
        assert queue(desk, read_models, cases, as_of) == expected
        assert case_list(read_models, cases, as_of) == expected
        assert scorecard(read_models, as_of) == +found


class TestTheDueTimeRule:
    def test_open311_expected_datetime_is_the_resolve_due_time_every_output_shows(
            self, desk: ServiceDesk, read_models: ProjectionSet, clock: Any) -> None:
        # Given public-works web requests are promised resolution within 3 business days (24 h)
        standards = desk.standards()
        revise_standards(desk, ADMIN, [*standards.in_force(), ServiceStandard(
            "pw-web-resolve", "Public Works web requests resolved within 3 business days",
            TargetKind.RESOLVE, 24 * 3600, channel="web_form", department=PW)],
            reason="Public Works' resolution standard")
        # When an Open311 app submits one Thursday 09:00
        clock.now = toronto(5, 9)
        case = receiving.receive(desk, OPEN311_APP, channel="web_form").case
        read_models.wait_for(desk.log_position())
        # Then its resolution is due when 24 business hours end: Thu 7.5 h, Fri 8 h, Mon 8 h
        # (23.5; daylight time from Sun Mar 8), 0.5 h more on Tue Mar 10 from 08:30 is 09:00
        # EDT, 13:00 UTC
        due = toronto_time.toronto(2026, 3, 10, 9, 0)
        [resolve] = [s for s in desk.target_statuses(desk.get_case(ADMIN, case.id), at=NOW)
                     if s.name == TargetKind.RESOLVE.value]
        assert resolve.due_at == due
        # And Open311's expected_datetime, the queue and the SLA data say the same
        assert request_view(desk, case.reference).expected_datetime == due
        [entry] = [e for e in read_models.view(QUEUES.name).queue(
            None, now=NOW, calendars=desk.calendars(NOW), department=PW, limit=200)[0]
            if e.id == case.id]
        assert {t.name: t.due_at for t in entry.targets}[TargetKind.RESOLVE.value] == due


class TestTheCaseStatusRule:
    def test_escalating_a_resolved_complaint_reopens_it_in_every_read_model(
            self, desk: ServiceDesk, read_models: ProjectionSet, clock: Any) -> None:
        # Given a complaint resolved on Thursday
        clock.now = NOW
        case = receive(desk, toronto(5, 9))
        change(desk, case, "classify", classification="complaint", reason="Unhappy")
        change(desk, case, "resolve", resolution="Explained", at_first_contact=False)
        read_models.wait_for(desk.log_position())
        assert [e.id for e in read_models.view(QUEUES.name).queue(
            None, now=NOW, calendars=desk.calendars(NOW), department=PW)[0]] == []
        # When it is escalated
        card = department_scorecard(read_models.view(SCORECARD.name), ADMIN, department=PW,
                                    period="2026-03", now=NOW, min_sample=1)
        assert card.first_contact.resolved == 1
        change(desk, case, "escalate", to_level="department_manager", reason="Still unhappy",
               owner="manager-mo")
        read_models.wait_for(desk.log_position())
        # Then the aggregate, the queue, the case list and the scorecard all see it open
        assert desk.get_case(ADMIN, case.id).status == "open"
        [entry] = read_models.view(QUEUES.name).queue(
            None, now=NOW, calendars=desk.calendars(NOW), department=PW)[0]
        assert (entry.id, entry.status) == (case.id, "open")
        [row] = read_models.view(CASE_INDEX.name).list_cases(None, department=PW)[0]
        assert row.status == "open"
        # (the scorecard counts a resolved case no longer: its resolution was undone)
        card = department_scorecard(read_models.view(SCORECARD.name), ADMIN, department=PW,
                                    period="2026-03", now=NOW, min_sample=1)
        assert card.first_contact.resolved == 0
