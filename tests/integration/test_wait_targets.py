"""A customer's wait is real elapsed time from arrival, and a wait longer than its standard is met
late: the published standards, the case view, the scorecard and the report say the same.

Four contacts to public works on Wednesday 4 March 2026 (Toronto, EST = UTC-5; the desk is open
08:30-16:30):
T1 telephone at 10:00, answered after 45 s: within the 60 s standard, met.
T2 telephone at 10:05, answered after 75 s: met late, 75 - 60 = 15 s late.
P1 in person at 11:00, served after 4 min: within the 10 min standard, met.
P2 in person at 16:25, served after 12 min (at 16:37, after closing): real time counts, so
   12 - 10 = 2 min = 120 s late (in business time only 5 min would have passed by 16:30).
So each wait standard: 1 met, 1 met late, 0 breached; share met = 1 / 2 = 50 %.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from application.desk import ServiceDesk
from application.scorecards import department_scorecard
from domain.actors import Actor, Role
from domain.errors import InvalidValue
from domain.standards import ServiceStandard, TargetKind, TimeBasis
from domain.targets import TargetState
from infrastructure.accountability_source import produce_report
from infrastructure.settings import Settings
from projections.scorecard import SCORECARD
from tests import toronto_time
from tests.conftest import MovableClock, running_projections
from tests.receiving import receive_at

ADMIN = Actor(id="admin-al", role=Role.ADMIN)
CLERK = Actor(id="clerk-1", role=Role.CLERK)
WAITS = {"telephone-answer": "answer_wait", "in-person-serve": "serve_wait"}


def toronto(hour: int, minute: int = 0) -> datetime:
    return toronto_time.toronto(2026, 3, 4, hour, minute)


def four_waits(desk: ServiceDesk, clock: MovableClock) -> dict[str, Any]:
    at = {"T1": (toronto(10), "telephone", 45), "T2": (toronto(10, 5), "telephone", 75),
          "P1": (toronto(11), "in_person", 240), "P2": (toronto(16, 25), "in_person", 720)}
    return {name: receive_at(desk, clock, when, channel=channel, wait_seconds=wait)
            for name, (when, channel, wait) in at.items()}


def test_the_published_wait_standards_are_counted_in_real_time(desk: ServiceDesk) -> None:
    # Given the standards the Town publishes, when their wait standards are read
    published = {s.code: s.basis for s in desk.standards().in_force()
                 if s.target.is_wait}
    # Then each says it is real (calendar) time
    assert published == {"telephone-answer": TimeBasis.CALENDAR,
                         "in-person-serve": TimeBasis.CALENDAR}


def test_a_wait_standard_in_business_time_is_refused_naming_its_basis() -> None:
    with pytest.raises(InvalidValue) as refused:
        ServiceStandard("phone", "Phone within 60 s", TargetKind.ANSWER_WAIT, 60,
                        channel="telephone", basis=TimeBasis.BUSINESS)
    assert refused.value.field == "basis"


def test_a_wait_standard_published_before_waits_said_so_reads_as_real_time() -> None:
    # Given a version published when wait standards carried the default basis, "business"
    stored = {"code": "telephone-answer", "title": "Telephone answered within 60 seconds",
              "target": "answer_wait", "seconds": 60, "channel": "telephone",
              "basis": "business", "pausable": False}
    # Then it reads as what it always meant: the wait was measured in real time
    assert ServiceStandard.from_data(stored).basis is TimeBasis.CALENDAR


def test_waits_longer_than_the_standard_are_met_late_in_every_figure(
        settings: Settings, desk: ServiceDesk, clock: MovableClock) -> None:
    with running_projections(settings, desk, SCORECARD) as projections:
        # Given the four contacts of the module docstring
        cases = four_waits(desk, clock)
        projections.wait_for(desk.log_position(), timeout=30)
        clock.now = toronto(17)

        # Then the case view shows each wait met on time or met late, never breached
        def judged(name: str, target: str) -> tuple[TargetState, int, datetime | None]:
            [shown] = [s for s in desk.target_statuses(desk.get_case(ADMIN, cases[name].id))
                        if s.name == target]
            return shown.state, shown.remaining_seconds, shown.met_at

        assert judged("T1", "answer_wait") == (TargetState.MET, 15,  # 60 - 45 s left
                                               toronto(10) + _seconds(45))
        assert judged("T2", "answer_wait") == (TargetState.MET_LATE, -15,  # 75 - 60 s
                                               toronto(10, 5) + _seconds(75))
        assert judged("P1", "serve_wait") == (TargetState.MET, 360,  # 600 - 240 s left
                                              toronto(11, 4))
        assert judged("P2", "serve_wait") == (TargetState.MET_LATE, -120,  # 720 - 600 s
                                              toronto(16, 37))

        # And the scorecard counts 1 met and 1 met late per wait standard: 50 % met
        card = department_scorecard(projections.view(SCORECARD.name), ADMIN,
                                    department="public-works", period="2026-03",
                                    now=clock(), min_sample=1)
        figures = {f.code: (f.met_on_time, f.met_late, f.breached, f.open, f.share_met.value)
                   for f in card.standards if f.code in WAITS}
        assert figures == {code: (1, 1, 0, 0, Decimal("50.0")) for code in WAITS}

    # And so does the clerk's report, listing each late wait by how late it was
    report = produce_report(desk, CLERK, period="2026-03", department="public-works",
                            min_sample=1)
    rows = {r.code: (r.outcomes.met, r.outcomes.met_late, r.outcomes.breached,
                     r.outcomes.share_met.value) for r in report.standards if r.code in WAITS}
    assert rows == {code: (1, 1, 0, Decimal("50.0")) for code in WAITS}
    late = sorted((b.standard_code, b.state, b.seconds_late, b.met_at)
                  for b in report.breaches if b.standard_code in WAITS)
    assert late == [
        ("in-person-serve", "met_late", 120, toronto(16, 37).astimezone(UTC)),
        ("telephone-answer", "met_late", 15, (toronto(10, 5) + _seconds(75)).astimezone(UTC)),
    ]


def _seconds(n: int) -> timedelta:
    return timedelta(seconds=n)


def test_a_wait_recorded_breached_before_waits_were_met_late_reads_as_met_late(
        desk: ServiceDesk, clock: MovableClock) -> None:
    # Given T2's WaitMeasured as version 1 stored it: breached at its due time, never met
    case = receive_at(desk, clock, toronto(10, 5), channel="telephone", wait_seconds=75)
    [measured] = [e for e in desk.case_events(ADMIN, case.id)
                  if type(e).__name__ == "WaitMeasured"]
    stored = desk.mapper.to_stored_event(measured)
    state = desk.mapper.transcoder.decode(stored.state)
    del state["class_version"]
    due = toronto(10, 6)  # 10:05 + 60 s
    state["target"] = {**state["target"], "met_at": None, "breached_at": due,
                       "basis": "business"}
    version_1 = type(stored)(originator_id=stored.originator_id,
                             originator_version=stored.originator_version, topic=stored.topic,
                             state=desk.mapper.transcoder.encode(state))
    # When it is read
    read = desk.mapper.to_domain_event(version_1)
    # Then the customer was answered when the wait ended, 15 s late
    assert (read.target["met_at"], read.target["breached_at"], read.target["basis"]) == (
        toronto(10, 5) + _seconds(75), None, "calendar")
