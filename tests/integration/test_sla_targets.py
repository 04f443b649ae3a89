"""Service-level targets through the ServiceDesk, on a real SQLite file and on PostgreSQL.

Every moment is set on the movable clock; nothing sleeps. Toronto is UTC-4 (EDT) throughout
May 2026; the desk is open Monday to Friday 08:30-16:30 local time, and Mon 2026-05-18 is
Victoria Day. "N business days" is N x 8 hours of open time.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

import pytest

from application.desk import ServiceDesk
from application.service_levels import add_closure, revise_standards
from domain.actors import Actor, Role
from domain.cases import Case
from domain.standards import CORPORATE_STANDARDS, ServiceStandard, TargetKind
from domain.targets import TargetState, TargetStatus
from tests.commanding import change_case
from tests.receiving import receive_at
from tests.toronto_time import local, utc

if TYPE_CHECKING:
    from tests.conftest import MovableClock  # the `clock` fixture

CSR = Actor(id="csr-ana", role=Role.CSR)
ADMIN = Actor(id="admin-al", role=Role.ADMIN)
ACK, RESPOND, RESOLVE = "acknowledge", "respond", "resolve"
HOUR = 3600


def set_clock(clock: MovableClock, moment: datetime) -> None:
    clock.now = moment.astimezone(UTC)


def change(desk: ServiceDesk, clock: MovableClock, case_id: UUID, command: str,
           at: datetime, **arguments: Any) -> Case:
    set_clock(clock, at)
    return change_case(desk, CSR, case_id, command, expected_version=None, **arguments).case


def reload(desk: ServiceDesk, case_id: UUID) -> Case:
    return desk.get_case(CSR, case_id)


def events(desk: ServiceDesk, case_id: UUID, name: str) -> list[Any]:
    return [e for e in desk.case_events(CSR, case_id) if type(e).__name__ == name]


def fire(desk: ServiceDesk, clock: MovableClock, case_id: UUID, target: str,
         due_at: datetime, at: datetime) -> bool:
    """What a scheduler job does when it runs at `at` for the deadline `due_at`."""
    set_clock(clock, at)
    return desk.record_deadline_missed(case_id, target, due_at)


def state_of(desk: ServiceDesk, case_id: UUID, target: str, at: datetime) -> TargetStatus:
    statuses = desk.target_statuses(reload(desk, case_id), at.astimezone(UTC))
    return next(s for s in statuses if s.name == target)


def revised(*extra: ServiceStandard, email_days: int = 2) -> list[ServiceStandard]:
    """The corporate standards with email acknowledged within `email_days`, plus `extra`."""
    standards = [replace(s, seconds=email_days * 8 * HOUR) if s.code == "email-acknowledge"
                 else s for s in CORPORATE_STANDARDS]
    return [*standards, *extra]


PLANNING_RESOLVE = ServiceStandard(
    "planning-resolve", "Planning resolves within 10 business days", TargetKind.RESOLVE,
    10 * 8 * HOUR, department="planning")


# --- fixed at receipt, with the version of the standards ----------------------------------------

def test_targets_are_fixed_at_receipt_and_recorded_with_the_standards_version(
        desk: ServiceDesk, clock: MovableClock) -> None:
    # Given an email received Wed 2026-05-06 10:00 EDT
    case = receive_at(desk, clock, local(2026, 5, 6, 10, 0))
    # Then its acknowledgement is due Wed 6.5 h + Thu 8 h + Fri 1.5 h = Fri 10:00 EDT
    # = 14:00 UTC, recorded on the case as a TargetsSet event with version 1
    stored = reload(desk, case.id)
    target = stored.targets[ACK]
    assert (target.due_at, target.standard_code, target.standard_version) == (
        utc(2026, 5, 8, 14, 0), "email-acknowledge", 1)
    assert stored.standards_version == 1
    [planned] = events(desk, case.id, "TargetsSet")
    assert (planned.reason, planned.standards_version, planned.occurred_at) == (
        "received", 1, utc(2026, 5, 6, 14, 0))
    assert [t["due_at"] for t in planned.targets] == [utc(2026, 5, 8, 14, 0)]


def test_a_letters_targets_run_from_its_received_stamp(
        desk: ServiceDesk, clock: MovableClock) -> None:
    # Given a letter stamped Received Fri 2026-05-08 18:00 EDT, entered Mon 05-11 09:00
    case = receive_at(desk, clock, local(2026, 5, 11, 9, 0), channel="written",
                   received_at=local(2026, 5, 8, 18, 0).astimezone(UTC))
    stored = reload(desk, case.id)
    # Then the clock started at Mon 08:30 (the desk was closed when it arrived), not at entry:
    # acknowledge 5 x 8 h = Mon-Fri, due Fri 05-15 16:30 EDT = 20:30 UTC; respond 15 days:
    # 05-11..15 (5), Victoria Day 05-18, 05-19..22 (9), 05-25..29 (14), Mon 06-01 (15) 16:30
    assert stored.targets[ACK].due_at == utc(2026, 5, 15, 20, 30)
    assert stored.targets[RESPOND].due_at == utc(2026, 6, 1, 20, 30)


def test_a_standards_revision_applies_to_later_cases_only_even_on_transfer(
        desk: ServiceDesk, clock: MovableClock) -> None:
    # Given an email received Mon 2026-05-04 10:00 EDT under version 1: due 6.5 + 8 + 1.5 h
    # = Wed 05-06 10:00 EDT = 14:00 UTC
    earlier = receive_at(desk, clock, local(2026, 5, 4, 10, 0))
    # When at 11:00 an administrator publishes version 2: email in 1 day, and a Planning
    # resolution standard
    set_clock(clock, local(2026, 5, 4, 11, 0))
    assert revise_standards(desk, ADMIN, revised(PLANNING_RESOLVE, email_days=1),
                            reason="faster email replies") == 2
    # Then an email received at 12:00 follows version 2: Mon 4.5 h + Tue 3.5 h = Tue 12:00 EDT
    later = receive_at(desk, clock, local(2026, 5, 4, 12, 0))
    assert reload(desk, later.id).targets[ACK].due_at == utc(2026, 5, 5, 16, 0)
    assert reload(desk, later.id).targets[ACK].standard_version == 2
    # And the earlier case keeps its version 1 deadline
    assert reload(desk, earlier.id).targets[ACK].due_at == utc(2026, 5, 6, 14, 0)
    # When the earlier case is transferred to Planning
    moved = change(desk, clock, earlier.id, "transfer", local(2026, 5, 4, 13, 0),
                   to_department="planning", warm=True, handover_note="zoning question",
                   customer_informed=True)
    # Then it is recomputed with version 1: no Planning resolve target, email still 2 days
    assert set(moved.targets) == {ACK}
    assert moved.targets[ACK].due_at == utc(2026, 5, 6, 14, 0)
    assert moved.standards_version == 1
    assert {e.standards_version for e in events(desk, earlier.id, "TargetsSet")} == {1}


# --- what the standards say a command changes --------------------------------------------------

def test_a_web_form_classified_as_a_complaint_gains_the_two_day_acknowledgement(
        desk: ServiceDesk, clock: MovableClock) -> None:
    # Given web-form feedback received Thu 2026-05-07 16:00 EDT: no promise applies yet
    case = receive_at(desk, clock, local(2026, 5, 7, 16, 0), channel="web_form")
    assert reload(desk, case.id).targets == {}
    # When it is classified as a complaint on Fri 09:00
    classified = change(desk, clock, case.id, "classify", local(2026, 5, 8, 9, 0),
                        classification="complaint", reason="says staff were rude")
    # Then it gains the acknowledgement, counted from receipt: Thu 0.5 h + Fri 8 h + Mon
    # 7.5 h = Mon 05-11 16:00 EDT = 20:00 UTC, and an event explains why
    target = classified.targets[ACK]
    assert (target.standard_code, target.due_at) == (
        "complaint-acknowledge", utc(2026, 5, 11, 20, 0))
    assert [e.reason for e in events(desk, case.id, "TargetsSet")] == [
        "received", "classified as complaint"]


def test_a_transfer_to_a_department_with_its_own_standard_gains_it_from_receipt(
        desk: ServiceDesk, clock: MovableClock) -> None:
    # Given Planning's own standard (version 2) and an email received by Public Works
    # Mon 2026-05-04 10:00 EDT, which only has its acknowledgement
    set_clock(clock, local(2026, 5, 4, 8, 0))
    revise_standards(desk, ADMIN, revised(PLANNING_RESOLVE), reason="recommendation 2C")
    case = receive_at(desk, clock, local(2026, 5, 4, 10, 0))
    assert set(reload(desk, case.id).targets) == {ACK}
    # When it is transferred to Planning on Tue 14:00
    moved = change(desk, clock, case.id, "transfer", local(2026, 5, 5, 14, 0),
                   to_department="planning", warm=False, handover_note="",
                   customer_informed=True)
    # Then it gains Planning's 10-day resolution, counted from receipt, not from the
    # transfer: Mon 6.5 h; Tue-Fri 32 h -> 38.5; 05-11..15 40 h -> 78.5; Mon 05-18 Victoria
    # Day; Tue 05-19 08:30 + 1.5 h = 10:00 EDT = 14:00 UTC
    resolve = moved.targets[RESOLVE]
    assert (resolve.standard_code, resolve.standard_version) == ("planning-resolve", 2)
    assert resolve.started_at == utc(2026, 5, 4, 14, 0)
    assert resolve.due_at == utc(2026, 5, 19, 14, 0)
    # And the acknowledgement is untouched: Mon 6.5 + Tue 8 + Wed 1.5 h = Wed 10:00 EDT
    assert moved.targets[ACK].due_at == utc(2026, 5, 6, 14, 0)
    assert events(desk, case.id, "TargetsSet")[-1].reason == "transferred to planning"


def test_reopening_restarts_the_response_clock_and_keeps_what_was_met(
        desk: ServiceDesk, clock: MovableClock) -> None:
    # Given a letter received Mon 2026-05-04 09:00 EDT, resolved Tue 10:00 (meets both targets)
    case = receive_at(desk, clock, local(2026, 5, 4, 9, 0), channel="written")
    change(desk, clock, case.id, "resolve", local(2026, 5, 5, 10, 0),
           resolution="answered by letter", at_first_contact=False)
    # When the customer disputes it and it is reopened Wed 05-06 11:00 EDT
    reopened = change(desk, clock, case.id, "reopen", local(2026, 5, 6, 11, 0),
                      reason="customer disputes the answer")
    # Then the official response is owed again, 15 days from the reopening: Wed 5.5 h;
    # Thu-Fri 16 h -> 21.5; 05-11..15 40 h -> 61.5; Victoria Day; 05-19..22 32 h -> 93.5;
    # 05-25..27 24 h -> 117.5; Thu 05-28 08:30 + 2.5 h = 11:00 EDT = 15:00 UTC
    respond = reopened.targets[RESPOND]
    assert (respond.started_at, respond.due_at, respond.met_at) == (
        utc(2026, 5, 6, 15, 0), utc(2026, 5, 28, 15, 0), None)
    # And the acknowledgement stays met when it was
    assert reopened.targets[ACK].met_at == utc(2026, 5, 5, 14, 0)
    assert events(desk, case.id, "TargetsSet")[-1].reason == "reopened"
    assert state_of(desk, case.id, RESPOND, local(2026, 5, 6, 11, 0)).state == (
        TargetState.PENDING)


def test_waiting_on_the_customer_moves_due_times_by_exactly_the_business_time_paused(
        desk: ServiceDesk, clock: MovableClock) -> None:
    # Given a letter received Wed 2026-05-06 10:00 EDT: acknowledge due Wed 05-13 10:00 EDT
    # (6.5 + 8 + 8 + 8 + 8 + 1.5 h), respond due Thu 05-28 10:00 EDT (6.5 + 16 + 40, Victoria
    # Day, 32 + 24 -> 118.5 h, Thu + 1.5 h)
    case = receive_at(desk, clock, local(2026, 5, 6, 10, 0), channel="written")
    assert reload(desk, case.id).targets[ACK].due_at == utc(2026, 5, 13, 14, 0)
    assert reload(desk, case.id).targets[RESPOND].due_at == utc(2026, 5, 28, 14, 0)
    # When the desk waits on the customer from Thu 05-07 15:30 until the customer responds
    # Mon 05-11 10:00: Thu 1 h + Fri 8 h + Mon 1.5 h = 10.5 h of business time paused
    change(desk, clock, case.id, "wait", local(2026, 5, 7, 15, 30), reason="need the lot number")
    resumed = change(desk, clock, case.id, "customer_responded", local(2026, 5, 11, 10, 0),
                     summary="sent the lot number")
    # Then both due times move by exactly 10.5 business hours:
    # acknowledge Wed 05-13 10:00 + 6.5 h (to 16:30) + 4 h = Thu 05-14 12:30 EDT = 16:30 UTC
    # respond Thu 05-28 10:00 + 6.5 h + 4 h = Fri 05-29 12:30 EDT = 16:30 UTC
    assert resumed.targets[ACK].due_at == utc(2026, 5, 14, 16, 30)
    assert resumed.targets[RESPOND].due_at == utc(2026, 5, 29, 16, 30)
    calendar = desk.calendar()
    assert calendar.elapsed(utc(2026, 5, 13, 14, 0), utc(2026, 5, 14, 16, 30)) == timedelta(
        hours=10.5)
    [rescheduled] = events(desk, case.id, "TargetsRescheduled")
    assert rescheduled.reason == "the customer responded; paused targets resume"
    assert {t["name"]: t["paused_seconds"] for t in rescheduled.targets} == {
        ACK: int(10.5 * HOUR), RESPOND: int(10.5 * HOUR)}


# --- deadlines missed: recorded by the scheduler, once, at the due time -------------------------

EMAIL_AT = local(2026, 5, 6, 10, 0)  # Wed; acknowledgement due Fri 05-08 10:00 EDT
EMAIL_DUE = utc(2026, 5, 8, 14, 0)


def test_a_missed_deadline_is_recorded_exactly_once_stamped_with_its_due_time(
        desk: ServiceDesk, clock: MovableClock) -> None:
    case = receive_at(desk, clock, EMAIL_AT)
    # When the job fires at the due time, and then fires again
    assert fire(desk, clock, case.id, ACK, EMAIL_DUE, at=EMAIL_DUE)
    assert not fire(desk, clock, case.id, ACK, EMAIL_DUE, at=EMAIL_DUE + timedelta(minutes=5))
    # Then exactly one DeadlineMissed is recorded, occurring at the due time
    missed = events(desk, case.id, "DeadlineMissed")
    assert [(e.target, e.due_at, e.occurred_at, e.standard_version) for e in missed] == [
        (ACK, EMAIL_DUE, EMAIL_DUE, 1)]
    assert missed[0].actor_id == "civicdesk-scheduler"
    assert state_of(desk, case.id, ACK, EMAIL_DUE).state == TargetState.BREACHED


def test_a_deadline_job_firing_early_records_nothing(
        desk: ServiceDesk, clock: MovableClock) -> None:
    case = receive_at(desk, clock, EMAIL_AT)
    position = desk.log_position()
    # When the job fires one second before the due time
    assert not fire(desk, clock, case.id, ACK, EMAIL_DUE, at=EMAIL_DUE - timedelta(seconds=1))
    # Then nothing is recorded
    assert desk.log_position() == position
    assert reload(desk, case.id).targets[ACK].breached_at is None


def test_a_deadline_job_firing_late_still_stamps_the_due_time(
        desk: ServiceDesk, clock: MovableClock) -> None:
    case = receive_at(desk, clock, EMAIL_AT)
    # When the server was down and the job only fires a week later
    assert fire(desk, clock, case.id, ACK, EMAIL_DUE, at=EMAIL_DUE + timedelta(days=7))
    # Then the breach happened at the due time, not when it was noticed
    [missed] = events(desk, case.id, "DeadlineMissed")
    assert missed.occurred_at == EMAIL_DUE
    assert reload(desk, case.id).targets[ACK].breached_at == EMAIL_DUE


def test_an_old_due_time_moved_by_a_pause_records_nothing(
        desk: ServiceDesk, clock: MovableClock) -> None:
    # Given the email paused Thu 05-07 15:30 (2.5 h left) while its old due time passes
    case = receive_at(desk, clock, EMAIL_AT)
    change(desk, clock, case.id, "wait", local(2026, 5, 7, 15, 30), reason="need a photo")
    assert not fire(desk, clock, case.id, ACK, EMAIL_DUE, at=EMAIL_DUE)
    # When the customer responds Mon 05-11 10:00: new due Mon 10:00 + 2.5 h = 12:30 EDT
    resumed = change(desk, clock, case.id, "customer_responded", local(2026, 5, 11, 10, 0),
                     summary="photo sent")
    new_due = utc(2026, 5, 11, 16, 30)
    assert resumed.targets[ACK].due_at == new_due
    # Then a job still holding the old due time records nothing, even after the new one
    assert not fire(desk, clock, case.id, ACK, EMAIL_DUE, at=local(2026, 5, 11, 11, 0))
    assert not fire(desk, clock, case.id, ACK, EMAIL_DUE, at=new_due + timedelta(hours=1))
    assert events(desk, case.id, "DeadlineMissed") == []
    # And the job for the new due time records the breach at the new due time
    assert fire(desk, clock, case.id, ACK, new_due, at=new_due)
    assert [e.occurred_at for e in events(desk, case.id, "DeadlineMissed")] == [new_due]


def test_a_met_target_is_never_breached(desk: ServiceDesk, clock: MovableClock) -> None:
    # Given the email acknowledged Thu 05-07 11:00, before its due time
    case = receive_at(desk, clock, EMAIL_AT)
    change(desk, clock, case.id, "acknowledge", local(2026, 5, 7, 11, 0), message="Received")
    # When its deadline job fires at the due time, and late
    assert not fire(desk, clock, case.id, ACK, EMAIL_DUE, at=EMAIL_DUE)
    assert not fire(desk, clock, case.id, ACK, EMAIL_DUE, at=EMAIL_DUE + timedelta(days=3))
    # Then nothing is breached, and it stays met
    assert events(desk, case.id, "DeadlineMissed") == []
    judged = state_of(desk, case.id, ACK, EMAIL_DUE + timedelta(days=3))
    assert (judged.state, judged.met_at, judged.breached_at) == (
        TargetState.MET, utc(2026, 5, 7, 15, 0), None)


def test_a_target_met_after_its_breach_is_met_late(
        desk: ServiceDesk, clock: MovableClock) -> None:
    case = receive_at(desk, clock, EMAIL_AT)
    assert fire(desk, clock, case.id, ACK, EMAIL_DUE, at=EMAIL_DUE)
    # When the customer gets a call back on Mon 05-11 09:00 (an outbound contact)
    change(desk, clock, case.id, "log_interaction", local(2026, 5, 11, 9, 0),
           channel="telephone", direction="outbound", summary="called back",
           effort_minutes=5, wait_seconds=None)
    # Then the target is met late: 6.5 h (Fri 10:00-16:30) + 0.5 h (Mon) = 7 h overdue
    judged = state_of(desk, case.id, ACK, local(2026, 5, 11, 12, 0))
    assert (judged.state, judged.met_at, judged.breached_at, judged.remaining_seconds) == (
        TargetState.MET_LATE, utc(2026, 5, 11, 13, 0), EMAIL_DUE, -7 * HOUR)


def test_a_breach_missed_while_the_scheduler_was_down_survives_a_later_pause(
        desk: ServiceDesk, clock: MovableClock) -> None:
    # Given the email due Fri 05-08 10:00 EDT, unmet, and the scheduler down over the weekend
    case = receive_at(desk, clock, EMAIL_AT)
    # When staff put the case on hold Mon 05-11 09:00, after the due time had passed
    change(desk, clock, case.id, "wait", local(2026, 5, 11, 9, 0), reason="need a photo")
    # Then the target is not paused: its time had run out, so its due time stays
    assert reload(desk, case.id).targets[ACK].due_at == EMAIL_DUE
    # And the scheduler, back at 10:00, records the breach at the original due time
    assert fire(desk, clock, case.id, ACK, EMAIL_DUE, at=local(2026, 5, 11, 10, 0))
    assert [e.occurred_at for e in events(desk, case.id, "DeadlineMissed")] == [EMAIL_DUE]


# --- wait-time standards through the desk ------------------------------------------------------

@pytest.mark.parametrize(("channel", "wait", "name", "state", "decided_at", "due_at"), [
    # telephone promise 60 s from 14:00 UTC: waited 75 s -> answered 14:01:15 UTC, met late
    pytest.param("telephone", 75, "answer_wait", TargetState.MET_LATE,
                 utc(2026, 5, 6, 14, 1, 15), utc(2026, 5, 6, 14, 1, 0),
                 id="telephone-75s-met-late"),
    # in person promise 10 min from 14:00 UTC: waited 4 min -> met at 14:04:00 UTC
    pytest.param("in_person", 240, "serve_wait", TargetState.MET,
                 utc(2026, 5, 6, 14, 4, 0), utc(2026, 5, 6, 14, 10, 0),
                 id="in-person-4min-met"),
])
def test_a_wait_recorded_at_receipt_is_judged_immediately(
        desk: ServiceDesk, clock: MovableClock, channel: str, wait: int, name: str,
        state: TargetState, decided_at: datetime, due_at: datetime) -> None:
    # Given a contact arriving Wed 05-06 10:00 EDT with the wait it had
    case = receive_at(desk, clock, EMAIL_AT, channel=channel, wait_seconds=wait)
    # Then its wait target is decided at once, recorded as WaitMeasured
    judged = state_of(desk, case.id, name, EMAIL_AT)
    assert judged.state == state
    assert (judged.met_at, judged.breached_at) == (decided_at, None)
    [measured] = events(desk, case.id, "WaitMeasured")
    assert measured.wait_seconds == wait
    # And no scheduler job could ever breach it again
    assert judged.due_at == due_at
    assert not fire(desk, clock, case.id, name, due_at, at=EMAIL_AT + timedelta(hours=1))


# --- closures added by an administrator ---------------------------------------------------------

def test_a_closure_moves_deadlines_of_later_cases_and_pending_ones_already_fixed(
        desk: ServiceDesk, clock: MovableClock) -> None:
    # Given an email received Mon 2026-05-04 10:00 EDT: due Wed 05-06 10:00 EDT (6.5 + 8 + 1.5)
    earlier = receive_at(desk, clock, local(2026, 5, 4, 10, 0))
    # When at 11:00 an administrator closes the desk all of Tue 05-05, and part of Thu 05-07
    # (from 12:00 to closing)
    set_clock(clock, local(2026, 5, 4, 11, 0))
    add_closure(desk, ADMIN, day=date(2026, 5, 5), from_time=None, until_time=None,
                reason="staff training")
    add_closure(desk, ADMIN, day=date(2026, 5, 7), from_time=time(12, 0),
                until_time=None, reason="council meeting")
    # Then an email received at 12:00 skips them: Mon 4.5 h; Tue closed; Wed 8 h -> 12.5;
    # Thu 08:30-12:00 3.5 h -> 16 h exactly at Thu 12:00 EDT = 16:00 UTC
    later = receive_at(desk, clock, local(2026, 5, 4, 12, 0))
    assert reload(desk, later.id).targets[ACK].due_at == utc(2026, 5, 7, 16, 0)
    # And the earlier, still pending case is re-planned: Mon 6.5 h; Tue closed; Wed 8 h ->
    # 14.5; Thu 08:30-10:00 1.5 h -> Thu 10:00 EDT = 14:00 UTC (before the afternoon closure)
    assert reload(desk, earlier.id).targets[ACK].due_at == utc(2026, 5, 7, 14, 0)
    # And its deadline job for the old due time records nothing; the new one records the breach
    assert not fire(desk, clock, earlier.id, ACK, utc(2026, 5, 6, 14, 0),
                    at=local(2026, 5, 6, 10, 0))
    assert fire(desk, clock, earlier.id, ACK, utc(2026, 5, 7, 14, 0), at=local(2026, 5, 7, 10, 0))
    # And the calendar as known before the closures does not include them
    assert desk.calendar(local(2026, 5, 4, 10, 30)).is_business_day(date(2026, 5, 5))
    assert not desk.calendar().is_business_day(date(2026, 5, 5))
