"""Facts entered late: a target is met on time by when the meeting fact happened, so the same
cases give the same figures whether or not the scheduler had recorded the deadline missed
before the fact was entered; and every such late entry is visible, with its reason.

Ten emails to public works, received Mon 2 March 2026 10:00 Toronto (EST, UTC-5). Each must be
acknowledged within 2 business days = 16 h: Mon 10:00-16:30 6.5 h + Tue 8 h + Wed 08:30-10:00
1.5 h, so due Wed 4 March 10:00 EST (15:00 UTC).
- E1-E5: acknowledged Tue 3 March 11:00, entered then.
- E6-E10: acknowledged by telephone Mon 2 March 14:00 (two days early), entered only on
  Fri 6 March 09:00, with that occurred_at and why it was entered late.
With the scheduler on, it runs Wed 4 March 12:00 and records E6-E10's deadlines missed (at
10:00); with it off, nothing is recorded missed. Read on Mon 9 March 12:00, both ways: 10 met
on time, 0 met late, 0 breached, 100 % met; nothing listed as a breach or as met late.
E6's acknowledgement was met with Mon 14:00-16:30 2.5 h + Tue 8 h + Wed 1.5 h = 12 h to spare.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from api.report_html import render_html
from application.desk import ServiceDesk
from application.scorecards import department_scorecard
from domain.actors import Actor, Role
from domain.errors import InvalidValue
from domain.targets import TargetState
from engine.runner import ProjectionSet
from infrastructure.accountability_source import produce_report
from infrastructure.deadline_scheduler import DeadlineScheduler
from infrastructure.scheduler import pending_deadlines
from infrastructure.settings import Settings
from projections.case_index import CASE_INDEX
from projections.pending_deadlines import PENDING_DEADLINES
from projections.scorecard import SCORECARD
from tests import toronto_time
from tests.commanding import change_case
from tests.conftest import MovableClock, running_projections
from tests.receiving import receive_at

CSR = Actor(id="csr-ana", role=Role.CSR)
ADMIN = Actor(id="admin-al", role=Role.ADMIN)
CLERK = Actor(id="clerk-1", role=Role.CLERK)
ACK = "acknowledge"
REASON = "Phoned the customer Monday; the call was logged only on Friday"


def toronto(day: int, hour: int, minute: int = 0) -> datetime:
    return toronto_time.toronto(2026, 3, day, hour, minute)


DUE = toronto(4, 10)
EARLY = toronto(2, 14)
READ_AT = toronto(9, 12)


@dataclass
class Recorded:
    desk: ServiceDesk
    projections: ProjectionSet
    cases: dict[str, Any]
    misses_recorded: int


def acknowledge(desk: ServiceDesk, case: Any, **arguments: Any) -> Any:
    return change_case(desk, CSR, case.id, "acknowledge", expected_version=None,
                       message="Thank you, we are on it", **arguments).case


def ten_cases(desk: ServiceDesk, clock: MovableClock, projections: ProjectionSet, *,
              scheduler_on: bool) -> dict[str, Any]:
    """The ten cases of the module docstring; returns them by name and the misses recorded."""
    cases = {f"E{n}": receive_at(desk, clock, toronto(2, 10)) for n in range(1, 11)}
    clock.now = toronto(3, 11)
    for n in range(1, 6):
        acknowledge(desk, cases[f"E{n}"])
    misses = 0
    if scheduler_on:
        clock.now = toronto(4, 12)
        projections.wait_for(desk.log_position(), timeout=30)
        scheduler = DeadlineScheduler(desk, pending_deadlines(
            projections.view(PENDING_DEADLINES.name), desk))
        try:
            scheduler.load()  # catches up: every deadline due by now is judged at once
            misses = scheduler.recorded
        finally:
            scheduler.stop()
    clock.now = toronto(6, 9)
    for n in range(6, 11):
        acknowledge(desk, cases[f"E{n}"], occurred_at=EARLY, late_entry_reason=REASON)
    clock.now = READ_AT
    projections.wait_for(desk.log_position(), timeout=30)
    return {"cases": cases, "misses": misses}


@pytest.fixture(params=["scheduler on", "scheduler off"])
def recorded(request: pytest.FixtureRequest, settings: Settings, desk: ServiceDesk,
             clock: MovableClock) -> Iterator[Recorded]:
    with running_projections(settings, desk, PENDING_DEADLINES, SCORECARD,
                             CASE_INDEX) as projections:
        made = ten_cases(desk, clock, projections, scheduler_on=request.param == "scheduler on")
        yield Recorded(desk, projections, made["cases"], made["misses"])


def test_the_scheduler_records_the_misses_only_when_it_runs(recorded: Recorded) -> None:
    # Given E6-E10 unacknowledged when the scheduler ran (if it did)
    events = [type(e).__name__ for c in recorded.cases.values()
              for e in recorded.desk.case_events(CSR, c.id)]
    # Then it recorded their five misses, and each late entry says it came after one
    assert events.count("DeadlineMissed") == recorded.misses_recorded
    assert events.count("LateEntryRecorded") == recorded.misses_recorded
    assert recorded.misses_recorded in {0, 5}


def test_the_same_ten_cases_give_the_same_figures_with_the_scheduler_on_or_off(
        recorded: Recorded) -> None:
    desk, projections = recorded.desk, recorded.projections
    # Then the scorecard: 10 met on time, 0 met late, 0 breached, 0 open, 100 % met
    card = department_scorecard(projections.view(SCORECARD.name), ADMIN,
                                department="public-works", period="2026-03", now=READ_AT,
                                min_sample=1)
    [email] = [(f.met_on_time, f.met_late, f.breached, f.open, f.share_met.value)
               for f in card.standards if f.code == "email-acknowledge"]
    assert email == (10, 0, 0, 0, Decimal("100.0"))
    # And the report says the same, listing nothing as breached or met late
    report = produce_report(desk, CLERK, period="2026-03", department="public-works",
                            min_sample=1)
    [row] = [r.outcomes for r in report.standards if r.code == "email-acknowledge"]
    assert (row.met, row.met_late, row.breached, row.share_met.value) == (
        10, 0, 0, Decimal("100.0"))
    assert report.breaches == []
    # And the case view judges E6 met on time, with 12 h to spare
    [shown] = [s for s in desk.target_statuses(desk.get_case(CSR, recorded.cases["E6"].id),
                                               READ_AT) if s.name == ACK]
    assert (shown.state, shown.met_at, shown.remaining_seconds) == (
        TargetState.MET, EARLY, 12 * 3600)
    # And the case list finds all ten met, none met late
    view = projections.view(CASE_INDEX.name)

    def listed(state: str) -> int:
        rows, _ = view.list_cases(None, now=READ_AT, limit=50, target_state=state)
        return len(rows)

    assert (listed("met"), listed("met_late"), listed("breached")) == (10, 0, 0)


def test_the_report_lists_each_entry_made_after_the_miss_was_recorded(
        recorded: Recorded) -> None:
    report = produce_report(recorded.desk, CLERK, period="2026-03", min_sample=1)
    listed = [(r.department, r.reference, r.fact, r.targets, r.occurred_at, r.missed_due_at,
               r.entered_by_department, r.reason) for r in report.late_entries]
    # Then with the scheduler on, E6-E10 are listed under public works, with the reason; with
    # it off no miss was recorded, so no entry came after one
    expected = [("public-works", recorded.cases[f"E{n}"].reference, "Acknowledged", ACK,
                 EARLY.astimezone(UTC), DUE.astimezone(UTC), "public-works", REASON)
                for n in range(6, 11)] if recorded.misses_recorded else []
    assert listed == sorted(expected)
    assert all(r.recorded_at > DUE for r in report.late_entries)
    # And the published page lists them in their own section, reason included
    page = render_html(report)
    assert page.count(REASON) == len(expected)


def test_a_fact_backdated_past_a_recorded_miss_without_a_reason_is_refused(
        desk: ServiceDesk, clock: MovableClock) -> None:
    # Given an email whose acknowledgement was recorded missed at Wed 10:00
    case = receive_at(desk, clock, toronto(2, 10))
    clock.now = toronto(4, 12)
    assert desk.record_deadline_missed(case.id, ACK, DUE.astimezone(UTC))
    version = desk.get_case(CSR, case.id).version
    # When it is acknowledged as of Monday without saying why so late
    clock.now = toronto(6, 9)
    with pytest.raises(InvalidValue) as refused:
        acknowledge(desk, case, occurred_at=EARLY)
    # Then it is refused naming late_entry_reason, and nothing is recorded
    assert refused.value.field == "late_entry_reason"
    assert desk.get_case(CSR, case.id).version == version
    # While an acknowledgement that happened after the due time needs no reason: met late
    later = acknowledge(desk, case, occurred_at=toronto(5, 9))
    assert later.targets[ACK].met_at == toronto(5, 9)
    assert [type(e).__name__ for e in desk.case_events(CSR, case.id)][-1] == "Acknowledged"
