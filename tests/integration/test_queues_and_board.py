"""Work queues and the SLA board, on SQLite and PostgreSQL, against histories computed by hand.

Email is acknowledged within 2 business days: 16 business hours, at risk under 4 hours left
(25%). The desk opens 08:30-16:30 Toronto time, which is UTC-5 until Sunday 2026-03-08, then
UTC-4. Every expectation below has its arithmetic beside it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from application.desk import ServiceDesk
from application.work_queues import BoardCount, QueueEntry
from domain.actors import Actor, Role
from domain.cases import WAIT_TARGETS
from domain.errors import InvalidValue
from domain.targets import TargetState
from engine.runner import ProjectionSet
from infrastructure.settings import Settings
from projections.queues import QUEUES
from tests import receiving, toronto_time
from tests.commanding import change_case
from tests.conftest import running_projections

ADMIN = Actor(id="admin-al", role=Role.ADMIN)
CSR = Actor(id="csr-ana", role=Role.CSR)
ROADS = Actor(id="staff-bo", role=Role.STAFF, departments=frozenset({"public-works"}))
HOME, AWAY = "public-works", "planning"
PENDING, AT_RISK, BREACHED = TargetState.PENDING, TargetState.AT_RISK, TargetState.BREACHED


def toronto(day: int, hour: int, minute: int = 0) -> datetime:
    """A Toronto wall-clock time in March 2026, as UTC."""
    return toronto_time.toronto(2026, 3, day, hour, minute)


NOW = toronto(5, 14)  # Thursday 14:00 (19:00 UTC)


def receive(desk: ServiceDesk, received_at: datetime | None = None, actor: Actor = CSR,
            **overrides: Any) -> Any:
    return receiving.receive(desk, actor, received_at=received_at, **overrides).case


def change(desk: ServiceDesk, case: Any, command: str, **arguments: Any) -> int:
    return change_case(desk, ADMIN, case.id, command, expected_version=None,
                            **arguments).position


@pytest.fixture
def queues(settings: Settings, desk: ServiceDesk) -> Iterator[ProjectionSet]:
    with running_projections(settings, desk, QUEUES) as running:
        yield running


def caught_up(desk: ServiceDesk, projections: ProjectionSet) -> Any:
    projections.wait_for(desk.log_position())
    return projections.view("queues")


def every_entry(desk: ServiceDesk, projections: ProjectionSet,
                visible: frozenset[str] | None = None, now: datetime = NOW, limit: int = 200,
                **queue: Any) -> list[QueueEntry]:
    view, entries, after = caught_up(desk, projections), [], None
    while True:
        page, after = view.queue(visible, now=now, calendars=desk.calendars(now), after=after,
                                 limit=limit, **queue)
        entries += page
        if after is None:
            return entries


def board(desk: ServiceDesk, projections: ProjectionSet, now: datetime = NOW,
          **arguments: Any) -> Any:
    return caught_up(desk, projections).sla_board(None, now=now, calendars=desk.calendars(now),
                                                  **arguments)


@pytest.fixture
def history(desk: ServiceDesk, clock: Any) -> dict[str, Any]:
    """Four open email cases in public-works, seen on Thursday 14:00."""
    clock.now = NOW
    late = receive(desk, toronto(2, 10))
    # Mon 10:00 + 16 h: Mon 6.5 h, Tue 8 h (14.5), Wed 1.5 h -> Wed 10:00 (15:00 UTC).
    assert desk.record_deadline_missed(late.id, "acknowledge", toronto(4, 10))
    soon = receive(desk, toronto(3, 15))  # Tue 1.5 h, Wed 8 h, Thu 6.5 h -> Thu 15:00
    fresh = receive(desk, toronto(5, 9))  # Thu 7.5 h, Fri 8 h, Mon 0.5 h -> Mon 09:00 EDT
    met = receive(desk, toronto(4, 10))
    change(desk, met, "acknowledge", message="We have it", occurred_at=toronto(4, 11))
    return {"late": late, "soon": soon, "fresh": fresh, "met": met}


def names(history: dict[str, Any], entries: list[Any]) -> list[str]:
    by_id = {case.id: name for name, case in history.items()}
    return [by_id.get(getattr(entry, "case_id", None) or entry.id, "?") for entry in entries]


class TestDepartmentQueue:
    def test_open_cases_come_by_next_due_and_cases_with_nothing_due_come_last(
            self, desk: ServiceDesk, queues: ProjectionSet, history: dict[str, Any]) -> None:
        entries = every_entry(desk, queues, department=HOME)
        assert names(history, entries) == ["late", "soon", "fresh", "met"]
        assert [(e.next_target, e.next_due_at) for e in entries] == [
            ("acknowledge", toronto(4, 10)),  # breached, still unmet: overdue work first
            ("acknowledge", toronto(5, 15)),
            ("acknowledge", datetime(2026, 3, 9, 13, 0, tzinfo=UTC)),  # 09:00 EDT
            (None, None)]
        assert [e.sla_state for e in entries] == [BREACHED, AT_RISK, PENDING, None]
        assert [e.targets[0].remaining_seconds for e in entries[:3]] == [
            -12 * 3600,  # overdue since Wed 10:00: Wed 6.5 h + Thu 08:30-14:00 5.5 h
            3600,  # Thu 14:00 -> 15:00: under the 4 h of 25% of 16 h, so at risk
            11 * 3600]  # Thu 2.5 h + Fri 8 h + Mon 0.5 h
        assert {(e.status, e.department, e.assignee, e.transfers, e.complaint)
                for e in entries} == {("open", HOME, None, 0, False)}

    def test_age_is_business_time_since_the_case_was_received(
            self, desk: ServiceDesk, queues: ProjectionSet, history: dict[str, Any]) -> None:
        ages = {names(history, [e])[0]: e.age_business_seconds
                for e in every_entry(desk, queues, department=HOME)}
        assert ages == {"late": 28 * 3600,  # Mon 6.5 + Tue 8 + Wed 8 + Thu 5.5
                        "soon": 15 * 3600,  # Tue 1.5 + Wed 8 + Thu 5.5
                        "fresh": 5 * 3600,  # Thu 09:00 -> 14:00
                        "met": 12 * 3600}  # Wed 6.5 + Thu 5.5

    def test_every_target_is_judged_as_the_desk_judges_it(
            self, desk: ServiceDesk, queues: ProjectionSet, history: dict[str, Any]) -> None:
        change(desk, history["fresh"], "wait", reason="Which corner?")
        change(desk, history["soon"], "classify", classification="complaint", reason="Third")
        for entry in every_entry(desk, queues, department=HOME):
            case = desk.get_case(ADMIN, entry.id)
            assert list(entry.targets) == desk.target_statuses(case, NOW)
            assert (entry.status, entry.version, entry.complaint) == (
                case.status, case.version, case.classification == "complaint")

    def test_staff_see_no_other_departments_cases(
            self, desk: ServiceDesk, queues: ProjectionSet, history: dict[str, Any]) -> None:
        elsewhere = frozenset({AWAY})
        assert every_entry(desk, queues, elsewhere, department=HOME) == []
        assert len(every_entry(desk, queues, ROADS.departments, department=HOME)) == 4
        assert every_entry(desk, queues, frozenset(), department=HOME) == []

    def test_pages_list_every_case_once_in_queue_order(
            self, desk: ServiceDesk, clock: Any, queues: ProjectionSet) -> None:
        clock.now = NOW
        for hours in range(7):  # pairs received at the same moment share a due time
            receive(desk, NOW - timedelta(hours=hours // 2))
        entries = every_entry(desk, queues, department=HOME, limit=3)
        assert len({e.id for e in entries}) == len(entries) == 7
        keys = [(e.next_due_at, e.received_at, str(e.id)) for e in entries]
        assert keys == sorted(keys)

    def test_bad_parameters_are_refused_by_name(self, desk: ServiceDesk,
                                                queues: ProjectionSet) -> None:
        view, calendars = queues.view("queues"), desk.calendars(NOW)
        bad: list[tuple[dict[str, Any], str]] = [
            ({"department": HOME, "limit": 0}, "limit"),
            ({"department": HOME, "limit": 201}, "limit"),
            ({"department": HOME, "after": "not-a-cursor"}, "after"),
            ({"channel": "pigeon"}, "channel"),
        ]
        for arguments, field in bad:
            with pytest.raises(InvalidValue) as refused:
                view.queue(None, now=NOW, calendars=calendars, **arguments)
            assert refused.value.field == field, arguments
        with pytest.raises(InvalidValue) as refused:
            view.sla_board(None, now=NOW, calendars=calendars, after="bm90LWEtY3Vyc29y")
        assert refused.value.field == "after"
        for ambiguous in ({}, {"department": HOME, "intake": True}):
            with pytest.raises(ValueError, match="exactly one queue"):
                view.queue(None, now=NOW, calendars=calendars, **ambiguous)

    def test_a_queue_built_after_the_fact_catches_up_from_the_first_event(
            self, settings: Settings, desk: ServiceDesk, history: dict[str, Any]) -> None:
        with running_projections(settings, desk, QUEUES) as late:
            entries = every_entry(desk, late, department=HOME)
            assert names(history, entries) == ["late", "soon", "fresh", "met"]


class TestLeavingAndReturning:
    def test_resolving_takes_a_case_out_and_reopening_puts_it_back(
            self, desk: ServiceDesk, queues: ProjectionSet, history: dict[str, Any]) -> None:
        change(desk, history["soon"], "resolve", resolution="Filled", at_first_contact=False)
        assert names(history, every_entry(desk, queues, department=HOME)) == [
            "late", "fresh", "met"]
        change(desk, history["soon"], "reopen", reason="It sank again")
        entries = every_entry(desk, queues, department=HOME)
        # The resolution met the acknowledgement, so nothing is due: last, by received time.
        assert names(history, entries) == ["late", "fresh", "soon", "met"]
        assert entries[2].status == "open" and entries[2].next_due_at is None

    def test_a_closed_case_stays_out_until_reopened(
            self, desk: ServiceDesk, queues: ProjectionSet, history: dict[str, Any]) -> None:
        change(desk, history["late"], "resolve", resolution="Filled", at_first_contact=False)
        change(desk, history["late"], "close")
        assert "late" not in names(history, every_entry(desk, queues, department=HOME))
        change(desk, history["late"], "reopen", reason="Not filled after all")
        assert "late" in names(history, every_entry(desk, queues, department=HOME))

    def test_a_transfer_moves_a_case_to_the_other_departments_queue(
            self, desk: ServiceDesk, queues: ProjectionSet, history: dict[str, Any]) -> None:
        change(desk, history["fresh"], "assign", assignee="bo")
        change(desk, history["fresh"], "transfer", to_department=AWAY, warm=True,
               handover_note="Sidewalk permit", customer_informed=True)
        assert "fresh" not in names(history, every_entry(desk, queues, department=HOME))
        [moved] = every_entry(desk, queues, department=AWAY)
        assert (moved.id, moved.department, moved.assignee, moved.transfers) == (
            history["fresh"].id, AWAY, None, 1)
        assert moved.next_due_at == datetime(2026, 3, 9, 13, 0, tzinfo=UTC)  # clock kept

    def test_waiting_on_the_customer_stops_the_clock_until_they_respond(
            self, desk: ServiceDesk, clock: Any, queues: ProjectionSet,
            history: dict[str, Any]) -> None:
        change(desk, history["fresh"], "wait", reason="Which corner?")
        entries = every_entry(desk, queues, department=HOME)
        # Nothing is due on fresh now: last, after met (received the day before).
        assert names(history, entries) == ["late", "soon", "met", "fresh"]
        paused = entries[3]
        assert (paused.status, paused.next_due_at, paused.sla_state) == (
            "waiting_on_customer", None, PENDING)
        assert paused.targets[0].paused
        clock.advance(hours=1)  # Thu 15:00: one business hour paused
        change(desk, history["fresh"], "customer_responded", summary="At Division St")
        later = NOW + timedelta(hours=1)
        resumed = every_entry(desk, queues, now=later, department=HOME)[2]
        assert resumed.id == history["fresh"].id
        assert resumed.next_due_at == datetime(2026, 3, 9, 14, 0, tzinfo=UTC)  # Mon 10:00 EDT

    def test_escalating_a_resolved_complaint_brings_it_back(
            self, desk: ServiceDesk, queues: ProjectionSet, history: dict[str, Any]) -> None:
        met = history["met"]
        change(desk, met, "classify", classification="complaint", reason="Rude reply")
        change(desk, met, "resolve", resolution="Apologised", at_first_contact=False)
        assert "met" not in names(history, every_entry(desk, queues, department=HOME))
        change(desk, met, "escalate", to_level="department_manager", reason="Unhappy",
               owner="manager-cy")
        [entry] = [e for e in every_entry(desk, queues, department=HOME) if e.id == met.id]
        assert (entry.status, entry.complaint) == ("open", True)


class TestOtherQueues:
    def test_an_assignee_queue_holds_that_persons_open_cases(
            self, desk: ServiceDesk, queues: ProjectionSet, history: dict[str, Any]) -> None:
        for name in ("fresh", "late"):
            change(desk, history[name], "assign", assignee="bo")
        assert names(history, every_entry(desk, queues, assignee="bo")) == ["late", "fresh"]
        assert every_entry(desk, queues, frozenset({AWAY}), assignee="bo") == []

    def test_a_channel_queue_holds_the_channels_open_cases(
            self, desk: ServiceDesk, queues: ProjectionSet, history: dict[str, Any]) -> None:
        call = receive(desk, channel="telephone", department=AWAY)
        assert [e.id for e in every_entry(desk, queues, channel="telephone")] == [call.id]
        assert len(every_entry(desk, queues, channel="email")) == 4

    def test_the_intake_queue_holds_front_desk_cases_nobody_has_taken(
            self, desk: ServiceDesk, queues: ProjectionSet, history: dict[str, Any]) -> None:
        assert names(history, every_entry(desk, queues, intake=True)) == [
            "late", "soon", "fresh", "met"]
        change(desk, history["late"], "assign", assignee="bo")
        change(desk, history["soon"], "transfer", to_department=AWAY, warm=False,
               handover_note="", customer_informed=False)
        receive(desk, actor=ROADS)  # recorded by the department itself
        assert names(history, every_entry(desk, queues, intake=True)) == ["fresh", "met"]


class TestSlaBoard:
    def test_the_board_counts_targets_and_lists_those_at_risk_or_breached(
            self, desk: ServiceDesk, queues: ProjectionSet, history: dict[str, Any]) -> None:
        seen = board(desk, queues)
        # fresh pending, soon at risk, late breached; met has nothing live.
        assert seen.counts == (BoardCount(HOME, pending=1, at_risk=1, breached=1),)
        assert names(history, seen.entries) == ["late", "soon"]
        assert [(e.target.name, e.target.state, e.target.due_at, e.target.remaining_seconds,
                 e.overdue_seconds, e.basis) for e in seen.entries] == [
            ("acknowledge", BREACHED, toronto(4, 10), -12 * 3600, 12 * 3600, "business"),
            ("acknowledge", AT_RISK, toronto(5, 15), 3600, 0, "business")]
        assert seen.next_cursor is None

    def test_states_change_with_the_moment_the_board_is_seen(
            self, desk: ServiceDesk, queues: ProjectionSet, history: dict[str, Any]) -> None:
        # Friday 16:00: soon is overdue (not yet recorded: judged on the clock), and fresh
        # has Fri 0.5 h + Mon 0.5 h = 1 h left, under 4 h.
        seen = board(desk, queues, now=toronto(6, 16))
        assert seen.counts == (BoardCount(HOME, pending=0, at_risk=1, breached=2),)
        assert names(history, seen.entries) == ["late", "soon", "fresh"]

    def test_meeting_or_resolving_takes_targets_off_the_board(
            self, desk: ServiceDesk, queues: ProjectionSet, history: dict[str, Any]) -> None:
        change(desk, history["soon"], "acknowledge", message="On it")
        change(desk, history["late"], "resolve", resolution="Filled", at_first_contact=False)
        seen = board(desk, queues)
        assert seen.counts == (BoardCount(HOME, pending=1, at_risk=0, breached=0),)
        assert seen.entries == []

    def test_a_named_department_is_counted_even_with_nothing_live(
            self, desk: ServiceDesk, queues: ProjectionSet, history: dict[str, Any]) -> None:
        assert board(desk, queues, department=AWAY).counts == (BoardCount(AWAY, 0, 0, 0),)
        assert board(desk, queues, department=HOME).counts == (BoardCount(HOME, 1, 1, 1),)
        view = caught_up(desk, queues)
        assert view.sla_board(frozenset({AWAY}), now=NOW,
                              calendars=desk.calendars(NOW)).counts == ()

    def test_a_paused_target_keeps_the_state_it_had_when_paused(
            self, desk: ServiceDesk, queues: ProjectionSet, history: dict[str, Any]) -> None:
        change(desk, history["soon"], "wait", reason="Which corner?")  # at risk, 1 h left
        [entry] = [e for e in board(desk, queues, now=NOW + timedelta(days=7)).entries
                   if e.case_id == history["soon"].id]
        assert (entry.target.state, entry.target.remaining_seconds, entry.target.paused) == (
            AT_RISK, 3600, True)

    def test_board_pages_list_every_flagged_target_once(
            self, desk: ServiceDesk, queues: ProjectionSet, history: dict[str, Any]) -> None:
        for day in range(2, 5):
            receive(desk, toronto(day, 9))
        everything = board(desk, queues).entries
        pages, after = [], None
        while True:
            page = board(desk, queues, after=after, limit=2)
            pages += page.entries
            after = page.next_cursor
            if after is None:
                break
        assert pages == everything and len(everything) == 5

    def test_the_board_agrees_with_the_desk_for_every_standard_and_moment(
            self, desk: ServiceDesk, clock: Any, queues: ProjectionSet) -> None:
        clock.now = NOW
        cases = []
        for number, channel in enumerate(["email", "written", "voicemail", "missed_call"] * 4):
            cases.append(receive(desk, NOW - timedelta(hours=7 * number + 1), channel=channel,
                                 department=[HOME, AWAY][number % 2]))
        change(desk, cases[5], "wait", reason="Details")
        change(desk, cases[6], "acknowledge", message="Seen")
        for moment in (NOW, NOW + timedelta(hours=20), NOW + timedelta(days=6),
                       NOW + timedelta(days=25)):
            expected: Counter[tuple[str, TargetState]] = Counter()
            flagged = []
            for case in cases:
                state = desk.get_case(ADMIN, case.id)
                for target in desk.target_statuses(state, moment):
                    if target.met_at is None and target.name not in WAIT_TARGETS:
                        expected[state.department, target.state] += 1
                        if target.state in (AT_RISK, BREACHED):
                            flagged.append((target.due_at, case.id, target))
            seen = board(desk, queues, now=moment)
            assert {(c.department, state): n for c in seen.counts for state, n in (
                (PENDING, c.pending), (AT_RISK, c.at_risk), (BREACHED, c.breached)) if n} == \
                dict(expected), moment
            assert [(e.case_id, e.target) for e in seen.entries] == [
                (case_id, target) for _, case_id, target in sorted(
                    flagged, key=lambda f: (f[0], f[1], f[2].name))], moment


class TestDeskHours:
    """A case runs on the hours of the desk it was received at (the seed opens the Marina and
    Campground every day 10:00-18:00; Victoria Hall keeps weekdays 08:30-16:30)."""

    def test_queue_and_board_judge_a_satellite_desks_case_on_that_desks_hours(
            self, desk: ServiceDesk, queues: ProjectionSet, clock: Any) -> None:
        # Given an email taken at the Marina on Saturday Mar 7 at 11:00: 16 business hours on
        # its hours are Sat 7 h (to 18:00), Sun 8 h (15 h), Mon 1 h -> due Mon 11:00 (EDT)
        clock.now = toronto(7, 11)
        case = receiving.receive(desk, CSR, desk="marina-campground").case
        # When the queue is read on Saturday at 12:00
        saturday_noon = toronto(7, 12)
        [entry] = [e for e in every_entry(desk, queues, now=saturday_noon, department=HOME)
                   if e.id == case.id]
        # Then 6 h (Sat) + 8 h (Sun) + 1 h (Mon) = 15 h are left on the Marina's hours, 4 h
        # or more: pending. (On Victoria Hall's, closed all weekend, only Mon 08:30-11:00 =
        # 2.5 h would be left: at risk.)
        assert entry.next_due_at == toronto_time.toronto(2026, 3, 9, 11)
        assert entry.targets[0].remaining_seconds == 15 * 3600
        assert entry.sla_state is PENDING
        # and the board counts it pending, not at risk
        assert board(desk, queues, now=saturday_noon, department=HOME).counts == (
            BoardCount(HOME, 1, 0, 0),)
