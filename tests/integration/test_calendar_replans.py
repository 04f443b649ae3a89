"""Closures and hours changes recorded while targets are pending move their deadlines at once,
through the ServiceDesk on a real SQLite file and on PostgreSQL.

Every moment is set on the movable clock; nothing sleeps. Toronto is UTC-4 (EDT) in May 2026;
the desks are open Monday to Friday 08:30-16:30 local time unless a test changes that. An
email is acknowledged within 2 business days (16 business hours).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any
from uuid import UUID

from application.calendar_replans import follow_calendar_changes
from application.catalogue import change_desk_hours
from application.desk import ServiceDesk
from application.service_levels import add_closure
from domain.actors import SCHEDULER, Actor, Role
from domain.cases import Case
from domain.replans import CalendarReplans
from infrastructure.settings import Settings
from projections.pending_deadlines import PENDING_DEADLINES
from tests.commanding import change_case
from tests.conftest import running_projections
from tests.receiving import receive_at
from tests.toronto_time import local, utc

if TYPE_CHECKING:
    from tests.conftest import MovableClock  # the `clock` fixture

CSR = Actor(id="csr-ana", role=Role.CSR)
ADMIN = Actor(id="admin-al", role=Role.ADMIN)
ACK, RESPOND = "acknowledge", "respond"
CENTRAL, VENTURE = "victoria-hall", "venture-13"  # both Mon-Fri 08:30-16:30 as seeded
STORM = "2026-05-05 all day (storm day)"


def set_clock(clock: MovableClock, moment: datetime) -> None:
    clock.now = moment.astimezone(UTC)


def reload(desk: ServiceDesk, case_id: UUID) -> Case:
    return desk.get_case(CSR, case_id)


def events(desk: ServiceDesk, case_id: UUID, name: str) -> list[Any]:
    return [e for e in desk.case_events(CSR, case_id) if type(e).__name__ == name]


def storm_on_tuesday(desk: ServiceDesk, clock: MovableClock) -> None:
    """At Mon 2026-05-04 11:00 EDT an administrator closes the desks all of Tue 05-05."""
    set_clock(clock, local(2026, 5, 4, 11, 0))
    add_closure(desk, ADMIN, day=date(2026, 5, 5), from_time=None, until_time=None,
                reason="storm day")


class TestAClosureRecordedWhileTargetsArePending:
    def test_moves_a_pending_deadline_it_crosses_at_once(
            self, desk: ServiceDesk, clock: MovableClock) -> None:
        # Given an email received Mon 05-04 10:00 EDT: due Wed 05-06 10:00 EDT
        # (Mon 6.5 h + Tue 8 h + Wed 1.5 h = 16 h) = 14:00 UTC
        case = receive_at(desk, clock, local(2026, 5, 4, 10, 0))
        assert reload(desk, case.id).targets[ACK].due_at == utc(2026, 5, 6, 14, 0)
        # When the desk is closed all Tuesday
        storm_on_tuesday(desk, clock)
        # Then the clock does not run Tuesday: Mon 6.5 h + Wed 8 h = 14.5 h, Thu 1.5 h -> 16 h
        # at Thu 05-07 10:00 EDT = 14:00 UTC
        assert reload(desk, case.id).targets[ACK].due_at == utc(2026, 5, 7, 14, 0)

    def test_records_an_event_naming_the_closure_and_the_old_and_new_due_times(
            self, desk: ServiceDesk, clock: MovableClock) -> None:
        case = receive_at(desk, clock, local(2026, 5, 4, 10, 0))
        storm_on_tuesday(desk, clock)
        [moved] = events(desk, case.id, "TargetsRescheduled")
        assert moved.reason == f"closure recorded: {STORM}"
        assert moved.previous_due_at == {ACK: utc(2026, 5, 6, 14, 0)}
        assert [(t["name"], t["due_at"]) for t in moved.targets] == [
            (ACK, utc(2026, 5, 7, 14, 0))]
        assert (moved.actor_id, moved.occurred_at) == (SCHEDULER.id, utc(2026, 5, 4, 15, 0))

    def test_two_identical_cases_get_the_same_deadline_whatever_else_happens_to_them(
            self, desk: ServiceDesk, clock: MovableClock) -> None:
        # Given two identical emails received Mon 05-04 10:00 EDT
        first = receive_at(desk, clock, local(2026, 5, 4, 10, 0))
        second = receive_at(desk, clock, local(2026, 5, 4, 10, 0))
        # When Tuesday is closed and only the second is transferred afterwards
        storm_on_tuesday(desk, clock)
        set_clock(clock, local(2026, 5, 4, 12, 0))
        change_case(desk, CSR, second.id, "transfer", expected_version=None,
                    to_department="planning", warm=False, handover_note="",
                    customer_informed=True)
        # Then both are due Thu 05-07 10:00 EDT (see above) = 14:00 UTC
        assert reload(desk, first.id).targets[ACK].due_at == utc(2026, 5, 7, 14, 0)
        assert reload(desk, second.id).targets[ACK].due_at == utc(2026, 5, 7, 14, 0)

    def test_leaves_a_deadline_it_does_not_cross(
            self, desk: ServiceDesk, clock: MovableClock) -> None:
        # Given an email received Thu 04-30 10:00 EDT: Thu 6.5 h + Fri 8 h + Mon 1.5 h, due
        # Mon 05-04 10:00 EDT, before the Tuesday closure (and not yet recorded missed)
        case = receive_at(desk, clock, local(2026, 4, 30, 10, 0))
        # When Tuesday is closed
        storm_on_tuesday(desk, clock)
        # Then its due time stays, and nothing is recorded
        assert reload(desk, case.id).targets[ACK].due_at == utc(2026, 5, 4, 14, 0)
        assert events(desk, case.id, "TargetsRescheduled") == []

    def test_never_moves_a_target_already_recorded_missed(
            self, desk: ServiceDesk, clock: MovableClock) -> None:
        # Given an email received Wed 04-29 10:00 EDT, due Fri 05-01 10:00 EDT = 14:00 UTC,
        # recorded missed then
        case = receive_at(desk, clock, local(2026, 4, 29, 10, 0))
        set_clock(clock, local(2026, 5, 1, 10, 0))
        assert desk.record_deadline_missed(case.id, ACK, utc(2026, 5, 1, 14, 0))
        # When on Mon 05-04 a power outage all Thu 04-30 is recorded after the fact
        set_clock(clock, local(2026, 5, 4, 11, 0))
        add_closure(desk, ADMIN, day=date(2026, 4, 30), from_time=None, until_time=None,
                    reason="power outage")
        # Then it stays missed and breached at its old due time
        target = reload(desk, case.id).targets[ACK]
        assert (target.due_at, target.breached_at) == (utc(2026, 5, 1, 14, 0),
                                                        utc(2026, 5, 1, 14, 0))
        assert events(desk, case.id, "TargetsRescheduled") == []

    def test_a_paused_target_is_moved_when_it_resumes_not_before(
            self, desk: ServiceDesk, clock: MovableClock) -> None:
        # Given an email received Mon 05-04 10:00 EDT, waiting on the customer from 10:30
        # (0.5 h run)
        case = receive_at(desk, clock, local(2026, 5, 4, 10, 0))
        set_clock(clock, local(2026, 5, 4, 10, 30))
        change_case(desk, CSR, case.id, "wait", expected_version=None, reason="need address")
        # When Tuesday is closed while it is paused
        storm_on_tuesday(desk, clock)
        # Then nothing is re-planned while paused
        assert events(desk, case.id, "TargetsRescheduled") == []
        # And when the customer responds Wed 05-06 08:30 EDT, paused Mon 10:30-16:30 = 6 h
        # (Tuesday closed): due Wed 10:00 + 6 h... computed afresh: 16 + 6 = 22 h from Mon
        # 10:00 -> Mon 6.5, Wed 8 (14.5), Thu 7.5 -> Thu 05-07 16:00 EDT = 20:00 UTC
        set_clock(clock, local(2026, 5, 6, 8, 30))
        change_case(desk, CSR, case.id, "customer_responded", expected_version=None,
                    summary="sent it")
        assert reload(desk, case.id).targets[ACK].due_at == utc(2026, 5, 7, 20, 0)

    def test_running_the_replan_again_records_nothing_more(
            self, desk: ServiceDesk, clock: MovableClock) -> None:
        # Given a case whose deadline a closure moved
        case = receive_at(desk, clock, local(2026, 5, 4, 10, 0))
        storm_on_tuesday(desk, clock)
        # When the follower runs again (as the scheduler's leader does at every start)
        assert follow_calendar_changes(desk) == 0
        # Then only the first re-plan is recorded
        assert len(events(desk, case.id, "TargetsRescheduled")) == 1

    def test_a_replan_not_written_before_a_crash_is_completed_by_the_follower(
            self, desk: ServiceDesk, clock: MovableClock) -> None:
        # Given a closure saved, but (as if the process died) no re-plan written yet
        case = receive_at(desk, clock, local(2026, 5, 4, 10, 0))
        set_clock(clock, local(2026, 5, 4, 11, 0))
        book = desk.calendar_book()
        book.add_closure(day=date(2026, 5, 5), from_time=None, until_time=None,
                         reason="storm day", actor=ADMIN, now=clock.now)
        desk.save(book)
        closure_position = desk.log_position()
        assert reload(desk, case.id).targets[ACK].due_at == utc(2026, 5, 6, 14, 0)
        # When the follower runs (at the scheduler's next start), a little later
        set_clock(clock, local(2026, 5, 4, 11, 5))
        assert follow_calendar_changes(desk) == 1
        # Then the deadline is moved as if it had run at once (Thu 10:00 EDT, see above),
        # the event naming the closure it had not followed
        assert reload(desk, case.id).targets[ACK].due_at == utc(2026, 5, 7, 14, 0)
        [moved] = events(desk, case.id, "TargetsRescheduled")
        assert moved.reason == f"closure recorded: {STORM}"
        # And its position is recorded: nothing is followed twice
        assert follow_calendar_changes(desk) == 0
        assert desk.repository.get(CalendarReplans.create_id()).position == closure_position

    def test_moves_a_resolved_case_reopened_since_but_not_one_still_resolved(
            self, desk: ServiceDesk, clock: MovableClock) -> None:
        # Given two letters received Mon 05-04 10:00 EDT, both resolved at 10:15, one reopened
        # at 10:30: its response (15 business days, 120 h) restarts from 10:30: Mon 6 h,
        # Tue-Fri 32 (38), 05-11..15 40 (78), Victoria Day 05-18, 05-19..22 32 (110), Mon 05-25
        # 8 (118), Tue 05-26 08:30 + 2 h -> 10:30 EDT = 14:30 UTC
        reopened = receive_at(desk, clock, local(2026, 5, 4, 10, 0), channel="written")
        resolved = receive_at(desk, clock, local(2026, 5, 4, 10, 0), channel="written")
        set_clock(clock, local(2026, 5, 4, 10, 15))
        for case in (reopened, resolved):
            change_case(desk, CSR, case.id, "resolve", expected_version=None,
                        resolution="fixed", at_first_contact=False)
        set_clock(clock, local(2026, 5, 4, 10, 30))
        change_case(desk, CSR, reopened.id, "reopen", expected_version=None,
                    reason="not fixed")
        assert reload(desk, reopened.id).targets[RESPOND].due_at == utc(2026, 5, 26, 14, 30)
        # When Tuesday 05-05 is closed
        storm_on_tuesday(desk, clock)
        # Then the reopened case's response moves by Tuesday's 8 h: Tue 05-26 10:30-16:30 6 h,
        # Wed 05-27 08:30 + 2 h -> 10:30 EDT = 14:30 UTC
        assert reload(desk, reopened.id).targets[RESPOND].due_at == utc(2026, 5, 27, 14, 30)
        # And the case still resolved records nothing
        assert events(desk, resolved.id, "TargetsRescheduled") == []

    def test_the_pending_deadlines_view_follows_the_moved_deadline(
            self, settings: Settings, desk: ServiceDesk, clock: MovableClock) -> None:
        with running_projections(settings, desk, PENDING_DEADLINES) as read_models:
            # Given an email received Mon 05-04 10:00 EDT, due Wed 10:00 EDT
            case = receive_at(desk, clock, local(2026, 5, 4, 10, 0))
            # When Tuesday is closed
            storm_on_tuesday(desk, clock)
            read_models.wait_for(desk.log_position(), timeout=60)
            # Then the view the scheduler loads holds the new due time, Thu 10:00 EDT
            _, rows = read_models.view(PENDING_DEADLINES.name).pending()
            assert list(rows) == [(case.id, ACK, utc(2026, 5, 7, 14, 0))]


class TestAnHoursChangeRecordedWhileTargetsArePending:
    def test_moves_pending_deadlines_on_that_desk_from_the_date_it_takes_effect(
            self, desk: ServiceDesk, clock: MovableClock) -> None:
        # Given an email received at the central desk Mon 05-04 10:00 EDT, due Wed 10:00 EDT
        case = receive_at(desk, clock, local(2026, 5, 4, 10, 0))
        # When at 11:00 Victoria Hall's hours become 09:00-13:00 weekdays from Tue 05-05
        set_clock(clock, local(2026, 5, 4, 11, 0))
        change_desk_hours(desk, ADMIN, CENTRAL, opens=time(9), closes=time(13),
                          weekdays=range(5), timezone=None, effective_from=date(2026, 5, 5),
                          reason="short hours")
        # Then Mon keeps 08:30-16:30 (6.5 h); Tue 4 h (10.5), Wed 4 h (14.5), Thu 09:00 +
        # 1.5 h -> Thu 05-07 10:30 EDT = 14:30 UTC
        assert reload(desk, case.id).targets[ACK].due_at == utc(2026, 5, 7, 14, 30)
        [moved] = events(desk, case.id, "TargetsRescheduled")
        assert moved.reason == (f"hours of desk {CENTRAL} changed from 2026-05-05: "
                                "09:00-13:00 (short hours)")
        assert moved.previous_due_at == {ACK: utc(2026, 5, 6, 14, 0)}

    def test_leaves_the_deadlines_of_other_desks(
            self, desk: ServiceDesk, clock: MovableClock) -> None:
        # Given an email received at Venture 13 Mon 05-04 10:00 EDT, due Wed 10:00 EDT
        case = receive_at(desk, clock, local(2026, 5, 4, 10, 0), desk=VENTURE)
        # When Victoria Hall's hours change from Tue
        set_clock(clock, local(2026, 5, 4, 11, 0))
        change_desk_hours(desk, ADMIN, CENTRAL, opens=time(9), closes=time(13),
                          weekdays=range(5), timezone=None, effective_from=date(2026, 5, 5),
                          reason="short hours")
        # Then Venture 13's case keeps its deadline
        assert reload(desk, case.id).targets[ACK].due_at == utc(2026, 5, 6, 14, 0)
        assert events(desk, case.id, "TargetsRescheduled") == []
