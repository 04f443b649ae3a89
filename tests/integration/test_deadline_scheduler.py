"""The deadline scheduler, driven by hand on a real SQLite file and on PostgreSQL.

The scheduler is not started: APScheduler's BackgroundScheduler holds a job added before
`start()` as a pending job, which `get_jobs()` lists, so each test loads or syncs, looks at the
deadlines indexed and at the one job armed for the earliest, moves the movable clock and calls
`fire_due()` (or `fire()`) exactly as the job would. Nothing sleeps to wait for a deadline; two
tests start the scheduler, to see it follow the log and run its job, and poll for that.

Toronto is UTC-5 (EST) until Sun 2026-03-08 and UTC-4 (EDT) from then on; the desk is open
Monday to Friday 08:30-16:30 local time and there is no holiday in March 2026, so "N business
days" is N x 8 hours of open time. Every case here is received on Wed 2026-03-04 10:00 EST
(15:00 UTC) unless it says otherwise.
"""

from __future__ import annotations

import logging
import random
import sqlite3
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from application.desk import ServiceDesk
from application.service_levels import revise_standards
from domain.actors import Actor, Role
from domain.cases import Case
from domain.errors import DomainError
from domain.standards import CORPORATE_STANDARDS, ServiceStandard, TargetKind
from engine.runner import ProjectionSet
from infrastructure.deadline_index import PendingDeadline
from infrastructure.deadline_job import NEXT_DEADLINE_JOB
from infrastructure.deadline_retries import RETRY_MAX_SECONDS, RETRY_SECONDS
from infrastructure.deadline_scheduler import DeadlineScheduler, Pending
from infrastructure.scheduler import pending_deadlines
from infrastructure.settings import Settings
from projections.pending_deadlines import PENDING_DEADLINES
from tests.commanding import change_case
from tests.conftest import running_projections
from tests.receiving import receive_at

if TYPE_CHECKING:
    from tests.conftest import MovableClock  # the `clock` fixture

CSR = Actor(id="csr-ana", role=Role.CSR)
ADMIN = Actor(id="admin-al", role=Role.ADMIN)
ACK, RESPOND, RESOLVE = "acknowledge", "respond", "resolve"
RECEIVED_TOPIC = "domain.cases:Case.Received"
TORONTO = ZoneInfo("America/Toronto")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


WEDNESDAY_10_EST = utc(2026, 3, 4, 15, 0)


# -- fixtures and helpers -------------------------------------------------------------------------

@pytest.fixture
def projections(settings: Settings, desk: ServiceDesk) -> Iterator[ProjectionSet]:
    """The pending deadlines view, kept up to date by its projection runner."""
    with running_projections(settings, desk, PENDING_DEADLINES) as read_models:
        yield read_models


def from_view(projections: ProjectionSet, desk: ServiceDesk, timeout: float = 60.0) -> Pending:
    """What SchedulerService feeds the scheduler: the view, read once it has caught up."""
    read = pending_deadlines(projections.view(PENDING_DEADLINES.name), desk)

    def pending() -> tuple[int, Iterable[PendingDeadline]]:
        projections.wait_for(desk.log_position(), timeout=timeout)
        return read()

    return pending


@pytest.fixture
def scheduler(projections: ProjectionSet, desk: ServiceDesk) -> Iterator[DeadlineScheduler]:
    """A scheduler not started (unless a test starts it): APScheduler keeps its one job pending,
    for the test to inspect, and never runs it."""
    deadlines = DeadlineScheduler(desk, from_view(projections, desk))
    yield deadlines
    deadlines.stop()


def receive(desk: ServiceDesk, clock: MovableClock, at: datetime = WEDNESDAY_10_EST,
            **overrides: Any) -> Case:
    return receive_at(desk, clock, at, **overrides)


def change(desk: ServiceDesk, clock: MovableClock, case_id: UUID, command: str,
           at: datetime, **arguments: Any) -> Case:
    clock.now = at
    return change_case(desk, CSR, case_id, command, expected_version=None, **arguments).case


def armed(deadlines: DeadlineScheduler) -> datetime | None:
    """When the scheduler's one APScheduler job will run (None: it holds no job)."""
    listed = deadlines.scheduler.get_jobs()
    assert len(listed) <= 1, f"{len(listed)} APScheduler jobs: there should be at most one"
    if not listed:
        return None
    [job] = listed
    assert job.id == NEXT_DEADLINE_JOB
    assert job.func == deadlines.fire_due
    return job.trigger.run_date


def jobs(deadlines: DeadlineScheduler) -> dict[tuple[UUID, str], datetime]:
    """Every deadline the scheduler watches, as (case, target) -> due time; checking that it
    holds one APScheduler job, armed at the earliest of them, or none if there are none."""
    held = deadlines.deadlines()
    assert armed(deadlines) == min(held.values(), default=None)
    return held


def breaches(desk: ServiceDesk, case_id: UUID) -> list[Any]:
    return [e for e in desk.case_events(CSR, case_id) if type(e).__name__ == "DeadlineMissed"]


def case_ids(desk: ServiceDesk) -> list[UUID]:
    received = desk.recorder.select_notifications(1, 1_000_000, topics=[RECEIVED_TOPIC])
    return [UUID(str(n.originator_id)) for n in received]


def watched(desk: ServiceDesk) -> set[tuple[UUID, str, datetime]]:
    """What the aggregates say the scheduler must watch: every target's watched due time."""
    found = set()
    for case_id in case_ids(desk):
        case = desk.get_case(CSR, case_id)
        found |= {(case.id, name, t.watched_due_at) for name, t in case.targets.items()
                  if t.watched_due_at is not None}
    return found


# -- at start -------------------------------------------------------------------------------------

def test_at_start_it_watches_every_unmet_target_with_one_job_at_the_earliest(
        desk: ServiceDesk, clock: MovableClock, scheduler: DeadlineScheduler) -> None:
    # Given an email, a letter and a missed call received Wed 10:00 EST, and an email that was
    # acknowledged at once
    email = receive(desk, clock)
    letter = receive(desk, clock, channel="written")
    missed_call = receive(desk, clock, channel="missed_call")
    answered = receive(desk, clock)
    change(desk, clock, answered.id, "acknowledge", WEDNESDAY_10_EST, message="Thanks")

    # When the scheduler starts
    scheduled = scheduler.load()

    # Then it watches every unmet target at its due time, with one job armed at the earliest
    # (the missed call's):
    assert scheduled == 4
    assert jobs(scheduler) == {
        # email, 2 business days: Wed 6.5 h + Thu 8 h + Fri 1.5 h = Fri 10:00 EST
        (email.id, ACK): utc(2026, 3, 6, 15, 0),
        # missed call, 1 business day: Wed 6.5 h + Thu 1.5 h = Thu 10:00 EST
        (missed_call.id, ACK): utc(2026, 3, 5, 15, 0),
        # letter, 5 business days: Wed 6.5 + Thu 8 + Fri 8 + Mon 8 + Tue 8 + Wed 1.5 h
        # = Wed 03-11 10:00 EDT (daylight time began Sun 03-08)
        (letter.id, ACK): utc(2026, 3, 11, 14, 0),
        # letter, 15 business days: Wed 6.5 h + 14 full days (Thu 03-05 .. Tue 03-24) 112 h
        # + Wed 03-25 1.5 h = Wed 03-25 10:00 EDT
        (letter.id, RESPOND): utc(2026, 3, 25, 14, 0),
    }
    assert armed(scheduler) == utc(2026, 3, 5, 15, 0)
    # And the job runs however late it fires (no misfire grace), once (coalesced)
    [job] = scheduler.scheduler.get_jobs()
    assert job.misfire_grace_time is None
    assert job.coalesce is True
    # And nothing was judged: nothing was due yet
    assert scheduler.recorded == 0
    assert all(not breaches(desk, c.id) for c in (email, letter, missed_call, answered))
    # And it will follow the log from where the view stands, not from its beginning
    assert scheduler.position == desk.log_position()


def test_a_restart_after_downtime_records_every_breach_that_fell_in_the_gap(
        desk: ServiceDesk, clock: MovableClock, projections: ProjectionSet) -> None:
    # Given a scheduler that started on Wed 10:00 EST with an email, a letter, a missed call
    # and an email that will be acknowledged in time
    email = receive(desk, clock)
    letter = receive(desk, clock, channel="written")
    missed_call = receive(desk, clock, channel="missed_call")
    answered = receive(desk, clock)
    before = DeadlineScheduler(desk, from_view(projections, desk))
    assert before.load() == 5
    # And that process died at once; while it was down the email was acknowledged on Thu 03-05
    # 11:00 EST, before its due time Fri 10:00 EST
    change(desk, clock, answered.id, "acknowledge", utc(2026, 3, 5, 16, 0), message="Thanks")

    # When a scheduler starts again on Thu 03-12 08:00 EDT
    clock.now = utc(2026, 3, 12, 12, 0)
    after = DeadlineScheduler(desk, from_view(projections, desk))
    scheduled = after.load()

    # Then every deadline that passed meanwhile is recorded as missed, at its due time:
    # missed call Thu 03-05 10:00 EST, email Fri 03-06 10:00 EST, letter's acknowledgement
    # Wed 03-11 10:00 EDT
    gap = {(missed_call.id, ACK): utc(2026, 3, 5, 15, 0), (email.id, ACK): utc(2026, 3, 6, 15, 0),
           (letter.id, ACK): utc(2026, 3, 11, 14, 0)}
    recorded = {(e.originator_id, e.target): e for c in (email, letter, missed_call, answered)
                for e in breaches(desk, c.id)}
    assert set(recorded) == set(gap)
    for key, due in gap.items():
        assert recorded[key].occurred_at == due
        assert recorded[key].due_at == due
        assert desk.get_case(CSR, key[0]).targets[key[1]].breached_at == due
    assert after.recorded == 3
    # And nothing for the email acknowledged before its due time
    assert breaches(desk, answered.id) == []
    # And only the letter's response (due Wed 03-25 10:00 EDT) is still scheduled
    assert scheduled == 1
    assert jobs(after) == {(letter.id, RESPOND): utc(2026, 3, 25, 14, 0)}


# -- firing ---------------------------------------------------------------------------------------

def test_firing_twice_records_the_breach_once(
        desk: ServiceDesk, clock: MovableClock, scheduler: DeadlineScheduler) -> None:
    # Given an email due Fri 10:00 EST, scheduled
    email = receive(desk, clock)
    scheduler.load()
    due = utc(2026, 3, 6, 15, 0)
    assert jobs(scheduler) == {(email.id, ACK): due}

    # When its job runs at the due time, and runs again
    clock.now = due
    first = scheduler.fire(email.id, ACK, due)
    second = scheduler.fire(email.id, ACK, due)

    # Then one breach is recorded, stamped with the due time, and the job is gone
    assert (first, second) == (True, False)
    [missed] = breaches(desk, email.id)
    assert (missed.target, missed.occurred_at, missed.due_at) == (ACK, due, due)
    assert jobs(scheduler) == {}
    # And syncing the case afterwards schedules nothing and records nothing more
    scheduler.sync_case(email.id)
    assert jobs(scheduler) == {}
    assert len(breaches(desk, email.id)) == 1


def test_a_job_that_runs_late_still_records_the_breach_at_its_due_time(
        desk: ServiceDesk, clock: MovableClock, scheduler: DeadlineScheduler) -> None:
    # Given an email due Fri 10:00 EST, scheduled
    email = receive(desk, clock)
    scheduler.load()
    due = utc(2026, 3, 6, 15, 0)

    # When its job runs three days late (the process was busy, or suspended)
    clock.now = utc(2026, 3, 9, 15, 0)
    recorded = scheduler.fire(email.id, ACK, due)

    # Then the breach is recorded as having happened at the due time
    assert recorded
    [missed] = breaches(desk, email.id)
    assert missed.occurred_at == due


def test_firing_after_a_pause_moved_the_deadline_records_nothing_and_the_job_follows_it(
        desk: ServiceDesk, clock: MovableClock, scheduler: DeadlineScheduler) -> None:
    # Given an email due Fri 03-06 10:00 EST, scheduled
    email = receive(desk, clock)
    scheduler.load()
    old_due = utc(2026, 3, 6, 15, 0)
    assert jobs(scheduler) == {(email.id, ACK): old_due}
    # And the desk waited on the customer from Thu 03-05 10:00 EST to Mon 03-09 10:00 EDT:
    # Thu 6.5 h + Fri 8 h + Mon 1.5 h = 16 business hours paused
    change(desk, clock, email.id, "wait", utc(2026, 3, 5, 15, 0), reason="Which address?")
    change(desk, clock, email.id, "customer_responded", utc(2026, 3, 9, 14, 0),
           summary="12 King St")

    # When the job for the old due time fires (the scheduler had not seen the pause yet)
    clock.now = utc(2026, 3, 9, 14, 0)
    recorded = scheduler.fire(email.id, ACK, old_due)

    # Then nothing is recorded
    assert not recorded
    assert breaches(desk, email.id) == []
    # And once the case is synced the job follows the new due time: Fri 10:00 EST + 16 h =
    # Fri 6.5 h + Mon 8 h + Tue 1.5 h = Tue 03-10 10:00 EDT
    scheduler.sync_case(email.id)
    new_due = utc(2026, 3, 10, 14, 0)
    assert desk.get_case(CSR, email.id).targets[ACK].watched_due_at == new_due
    assert jobs(scheduler) == {(email.id, ACK): new_due}
    # And that job, when it comes, records the breach at the new due time
    clock.now = new_due
    assert scheduler.fire(email.id, ACK, new_due)
    [missed] = breaches(desk, email.id)
    assert missed.occurred_at == new_due


def test_a_stale_job_firing_after_a_sync_leaves_the_job_for_the_new_due_time(
        desk: ServiceDesk, clock: MovableClock, scheduler: DeadlineScheduler) -> None:
    # Given an email whose acknowledgement moved from Fri 03-06 10:00 EST to Tue 03-10
    # 10:00 EDT by a pause (as above), and the scheduler synced to it
    email = receive(desk, clock)
    scheduler.load()
    change(desk, clock, email.id, "wait", utc(2026, 3, 5, 15, 0), reason="Which address?")
    change(desk, clock, email.id, "customer_responded", utc(2026, 3, 9, 14, 0),
           summary="12 King St")
    scheduler.sync_case(email.id)
    new_due = utc(2026, 3, 10, 14, 0)

    # When a job for the old due time still runs (it was already running when it moved)
    assert not scheduler.fire(email.id, ACK, utc(2026, 3, 6, 15, 0))

    # Then it records nothing and does not remove the job for the new due time
    assert breaches(desk, email.id) == []
    assert jobs(scheduler) == {(email.id, ACK): new_due}


def test_a_paused_target_is_unscheduled_and_rescheduled_when_it_resumes(
        desk: ServiceDesk, clock: MovableClock, scheduler: DeadlineScheduler) -> None:
    # Given an email due Fri 03-06 10:00 EST, scheduled
    email = receive(desk, clock)
    scheduler.load()

    # When the desk waits on the customer from Thu 10:00 EST, and the case is synced
    change(desk, clock, email.id, "wait", utc(2026, 3, 5, 15, 0), reason="Which address?")
    scheduler.sync_case(email.id)

    # Then the paused target has no job (nothing can be missed while paused)
    assert jobs(scheduler) == {}
    # And when the customer answers Mon 10:00 EDT it is scheduled again, 16 business hours on
    change(desk, clock, email.id, "customer_responded", utc(2026, 3, 9, 14, 0),
           summary="12 King St")
    scheduler.sync_case(email.id)
    assert jobs(scheduler) == {(email.id, ACK): utc(2026, 3, 10, 14, 0)}


# -- following cases ------------------------------------------------------------------------------

def test_a_met_target_is_unscheduled_when_its_case_is_synced(
        desk: ServiceDesk, clock: MovableClock, scheduler: DeadlineScheduler) -> None:
    # Given a letter with its acknowledgement and response scheduled
    letter = receive(desk, clock, channel="written")
    scheduler.load()
    assert set(jobs(scheduler)) == {(letter.id, ACK), (letter.id, RESPOND)}

    # When it is acknowledged on Thu and the case is synced
    change(desk, clock, letter.id, "acknowledge", utc(2026, 3, 5, 15, 0), message="Received")
    scheduler.sync_case(letter.id)

    # Then only the response is still scheduled
    assert jobs(scheduler) == {(letter.id, RESPOND): utc(2026, 3, 25, 14, 0)}
    # And once it is resolved nothing is
    change(desk, clock, letter.id, "resolve", utc(2026, 3, 6, 15, 0), resolution="Answered",
           at_first_contact=False)
    scheduler.sync_case(letter.id)
    assert jobs(scheduler) == {}
    # And no breach was ever recorded
    assert breaches(desk, letter.id) == []


def test_a_new_case_gets_its_jobs_when_synced(
        desk: ServiceDesk, clock: MovableClock, scheduler: DeadlineScheduler) -> None:
    # Given a scheduler started on an empty desk
    assert scheduler.load() == 0

    # When a voicemail is received Wed 10:00 EST and its case is synced
    voicemail = receive(desk, clock, channel="voicemail")
    scheduler.sync_case(voicemail.id)

    # Then it is scheduled: 2 business days = Fri 10:00 EST
    assert jobs(scheduler) == {(voicemail.id, ACK): utc(2026, 3, 6, 15, 0)}


def test_a_new_case_already_past_its_due_time_is_judged_at_once(
        desk: ServiceDesk, clock: MovableClock, scheduler: DeadlineScheduler) -> None:
    # Given a scheduler started on an empty desk
    scheduler.load()

    # When a letter stamped Received Mon 02-23 10:00 EST is entered Wed 03-04 10:00 EST, and
    # its case is synced
    letter = receive(desk, clock, channel="written", received_at=utc(2026, 2, 23, 15, 0))
    scheduler.sync_case(letter.id)

    # Then its acknowledgement, due after 5 business days (Mon 6.5 + Tue 8 + Wed 8 + Thu 8 +
    # Fri 8 + Mon 03-02 1.5 h = Mon 03-02 10:00 EST), is recorded as missed then
    [missed] = breaches(desk, letter.id)
    assert (missed.target, missed.occurred_at) == (ACK, utc(2026, 3, 2, 15, 0))
    # And its response (Mon 6.5 h + 14 days 02-24 .. 03-13 + Mon 03-16 1.5 h = Mon 03-16
    # 10:00 EDT) is scheduled
    assert jobs(scheduler) == {(letter.id, RESPOND): utc(2026, 3, 16, 14, 0)}


# -- one job over the index -----------------------------------------------------------------------

def test_it_holds_one_apscheduler_job_however_many_deadlines_are_pending(
        desk: ServiceDesk, clock: MovableClock) -> None:
    # Given 10,000 pending deadlines, one a minute from Fri 03-06 10:00 EST on, in random order
    clock.now = WEDNESDAY_10_EST
    first = utc(2026, 3, 6, 15, 0)
    rng = random.Random(3)
    rows = [PendingDeadline(UUID(int=rng.getrandbits(128)), ACK, first + timedelta(minutes=i))
            for i in range(10_000)]
    rng.shuffle(rows)
    deadlines = DeadlineScheduler(desk, lambda: (7, iter(rows)))

    # When the scheduler loads them
    scheduled = deadlines.load()

    # Then it watches all of them with one APScheduler job, armed at the earliest
    assert scheduled == 10_000
    assert len(deadlines.scheduler.get_jobs()) == 1
    assert armed(deadlines) == first
    assert deadlines.status() == {"scheduled": 10_000, "next_due": first, "recorded": 0,
                                  "position": 7}


def test_a_new_earlier_deadline_and_a_deadline_moved_earlier_re_arm_the_job(
        desk: ServiceDesk, clock: MovableClock, scheduler: DeadlineScheduler) -> None:
    # Given complaints answered within 5 business days, and a letter received Wed 10:00 EST,
    # acknowledged at once: only its response is watched, due after 15 business days on
    # Wed 03-25 10:00 EDT (as above)
    revise_standards(desk, ADMIN, [*CORPORATE_STANDARDS, COMPLAINT_RESPOND],
                     reason="recommendation 2C")
    letter = receive(desk, clock, channel="written")
    change(desk, clock, letter.id, "acknowledge", WEDNESDAY_10_EST, message="Received")
    scheduler.load()
    assert armed(scheduler) == utc(2026, 3, 25, 14, 0)

    # When an email is received Thu 03-05 10:00 EST and synced
    email = receive(desk, clock, utc(2026, 3, 5, 15, 0))
    scheduler.sync_case(email.id)

    # Then the job is armed for it: 2 business days, Thu 6.5 h + Fri 8 h + Mon 1.5 h = Mon
    # 03-09 10:00 EDT
    assert armed(scheduler) == utc(2026, 3, 9, 14, 0)

    # When the email is acknowledged and the letter found to be a complaint, Thu 11:00 EST
    change(desk, clock, email.id, "acknowledge", utc(2026, 3, 5, 16, 0), message="Thanks")
    scheduler.sync_case(email.id)
    change(desk, clock, letter.id, "classify", utc(2026, 3, 5, 16, 0),
           classification="complaint", reason="The customer says so")
    scheduler.sync_case(letter.id)

    # Then the email is no longer watched, and the letter's response moved earlier, to 5
    # business days from receipt: Wed 6.5 + Thu 8 + Fri 8 + Mon 8 + Tue 8 + Wed 1.5 h = Wed
    # 03-11 10:00 EDT; the job follows it
    assert jobs(scheduler) == {(letter.id, RESPOND): utc(2026, 3, 11, 14, 0)}


def test_when_the_earliest_target_is_met_the_job_is_re_armed_for_the_next(
        desk: ServiceDesk, clock: MovableClock, scheduler: DeadlineScheduler) -> None:
    # Given a missed call due Thu 03-05 10:00 EST and an email due Fri 03-06 10:00 EST
    missed_call = receive(desk, clock, channel="missed_call")
    email = receive(desk, clock)
    scheduler.load()
    assert armed(scheduler) == utc(2026, 3, 5, 15, 0)

    # When the call is returned Wed 11:00 EST and the case synced
    change(desk, clock, missed_call.id, "acknowledge", utc(2026, 3, 4, 16, 0),
           message="Called back")
    scheduler.sync_case(missed_call.id)

    # Then its entry is dropped and the job waits for the email
    assert jobs(scheduler) == {(email.id, ACK): utc(2026, 3, 6, 15, 0)}
    # And when that is acknowledged too, the job goes
    change(desk, clock, email.id, "acknowledge", utc(2026, 3, 4, 17, 0), message="Thanks")
    scheduler.sync_case(email.id)
    assert jobs(scheduler) == {}
    assert armed(scheduler) is None


def test_the_job_judges_every_deadline_due_by_now_including_two_due_at_the_same_instant(
        desk: ServiceDesk, clock: MovableClock, scheduler: DeadlineScheduler) -> None:
    # Given two emails received at the same instant (both due Fri 03-06 10:00 EST), a missed
    # call due Thu 03-05 10:00 EST and a letter due Wed 03-11 10:00 EDT
    first, second = receive(desk, clock), receive(desk, clock)
    missed_call = receive(desk, clock, channel="missed_call")
    letter = receive(desk, clock, channel="written")
    scheduler.load()

    # When the job runs Fri 10:00 EST (late for the call)
    clock.now = utc(2026, 3, 6, 15, 0)
    judged = scheduler.fire_due()

    # Then it judged the call and both emails, each breach stamped with its own due time
    assert judged == 3
    assert [(e.target, e.occurred_at) for e in breaches(desk, missed_call.id)] == [
        (ACK, utc(2026, 3, 5, 15, 0))]
    for email in (first, second):
        assert [(e.target, e.occurred_at) for e in breaches(desk, email.id)] == [
            (ACK, utc(2026, 3, 6, 15, 0))]
    assert scheduler.recorded == 3
    # And it is armed again for the letter's acknowledgement
    assert jobs(scheduler) == {(letter.id, ACK): utc(2026, 3, 11, 14, 0),
                               (letter.id, RESPOND): utc(2026, 3, 25, 14, 0)}


class DatabaseGone:
    """A desk's `record_deadline_missed` that fails its first `failures` calls."""

    def __init__(self, desk: ServiceDesk, failures: int) -> None:
        self.record, self.failures, self.calls = desk.record_deadline_missed, failures, 0

    def __call__(self, case_id: UUID, target: str, due_at: datetime) -> bool:
        self.calls += 1
        if self.calls <= self.failures:
            raise sqlite3.OperationalError("database is locked")
        return self.record(case_id, target, due_at)


def test_a_firing_that_fails_keeps_the_deadline_and_the_job_tries_again_later(
        desk: ServiceDesk, clock: MovableClock, scheduler: DeadlineScheduler,
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    # Given an email due Fri 03-06 10:00 EST and a letter due Wed 03-11 10:00 EDT
    email = receive(desk, clock)
    letter = receive(desk, clock, channel="written")
    scheduler.load()
    due = utc(2026, 3, 6, 15, 0)
    # And a database that fails the next call
    gone = DatabaseGone(desk, failures=1)
    monkeypatch.setattr(desk, "record_deadline_missed", gone)

    # When the job runs at the email's due time
    clock.now = due
    scheduler.fire_due()

    # Then nothing is recorded, the failure is logged, and the email is still watched
    assert breaches(desk, email.id) == [] and scheduler.recorded == 0
    assert "could not judge" in caplog.text
    assert scheduler.deadlines()[(email.id, ACK)] == due
    # And the job tries again RETRY_SECONDS later, not at once (the database is down)
    assert armed(scheduler) == due + timedelta(seconds=RETRY_SECONDS)

    # When it runs again then, the database back
    clock.advance(seconds=RETRY_SECONDS)
    scheduler.fire_due()

    # Then the breach is recorded at its due time, and the job armed for the letter
    assert [e.occurred_at for e in breaches(desk, email.id)] == [due]
    assert gone.calls == 2
    assert jobs(scheduler) == {(letter.id, ACK): utc(2026, 3, 11, 14, 0),
                               (letter.id, RESPOND): utc(2026, 3, 25, 14, 0)}


def test_a_catch_up_firing_that_fails_at_start_keeps_the_deadline(
        desk: ServiceDesk, clock: MovableClock, scheduler: DeadlineScheduler,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Given an email due Fri 03-06 10:00 EST, and a scheduler starting Mon 03-09 10:00 EDT on
    # a database that fails the first call
    email = receive(desk, clock)
    due = utc(2026, 3, 6, 15, 0)
    clock.now = utc(2026, 3, 9, 14, 0)
    monkeypatch.setattr(desk, "record_deadline_missed", DatabaseGone(desk, failures=1))

    # When it loads, judging the overdue email at once fails
    scheduler.load()

    # Then the email stays watched, and the job will try again RETRY_SECONDS later
    assert breaches(desk, email.id) == []
    assert scheduler.deadlines() == {(email.id, ACK): due}
    assert armed(scheduler) == clock.now + timedelta(seconds=RETRY_SECONDS)
    # And then it is recorded
    clock.advance(seconds=RETRY_SECONDS)
    assert scheduler.fire_due() == 1
    assert [e.occurred_at for e in breaches(desk, email.id)] == [due]
    assert jobs(scheduler) == {}


class CaseGone:
    """A desk's `record_deadline_missed` that always fails for one case (it no longer loads)."""

    def __init__(self, desk: ServiceDesk, case_id: UUID) -> None:
        self.record, self.case_id, self.calls = desk.record_deadline_missed, case_id, 0

    def __call__(self, case_id: UUID, target: str, due_at: datetime) -> bool:
        if case_id != self.case_id:
            return self.record(case_id, target, due_at)
        self.calls += 1
        raise ValueError(f"case {case_id} cannot be loaded")


def run_job_until(deadlines: DeadlineScheduler, clock: MovableClock,
                  until: datetime) -> list[datetime]:
    """What APScheduler does by `until`: run the job at each time it is armed for, the clock
    moved there. Returns the times it ran."""
    runs = []
    while (run_at := armed(deadlines)) is not None and run_at <= until:
        clock.now = run_at
        deadlines.fire_due()
        runs.append(run_at)
    return runs


def seconds_after(start: datetime, times: list[datetime]) -> list[float]:
    return [(t - start).total_seconds() for t in times]


def test_while_one_deadline_keeps_failing_another_due_meanwhile_fires_on_time(
        desk: ServiceDesk, clock: MovableClock, scheduler: DeadlineScheduler,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Given two missed calls received Wed 10:00 and 10:01 EST, each due 1 business day on
    # (Wed 6.5 h + Thu 1.5 h): Thu 03-05 10:00 and 10:01 EST
    broken = receive(desk, clock, channel="missed_call")
    other = receive(desk, clock, utc(2026, 3, 4, 15, 1), channel="missed_call")
    scheduler.load()
    due, other_due = utc(2026, 3, 5, 15, 0), utc(2026, 3, 5, 15, 1)
    # And a desk that can never judge the first (its case no longer loads)
    gone = CaseGone(desk, broken.id)
    monkeypatch.setattr(desk, "record_deadline_missed", gone)

    # When the job runs each time it is armed for, until 10:01:15
    runs = run_job_until(scheduler, clock, due + timedelta(seconds=75))

    # Then the broken deadline is tried at 10:00:00, then 5, 10, 20 s after each failure
    # (:05, :15, :35), the other one at its due time 10:01:00 in between, and the broken one
    # again 40 s after :35, at 10:01:15
    assert seconds_after(due, runs) == [0, 5, 15, 35, 60, 75]
    assert gone.calls == 5
    assert [(e.target, e.occurred_at) for e in breaches(desk, other.id)] == [(ACK, other_due)]
    assert breaches(desk, broken.id) == [] and scheduler.recorded == 1
    # And the broken one is still watched, to be tried 80 s later, at 10:02:35
    assert scheduler.deadlines() == {(broken.id, ACK): due}
    assert armed(scheduler) == due + timedelta(seconds=75 + 80)


def test_a_deadline_that_always_fails_backs_off_to_a_cap_with_one_traceback(
        desk: ServiceDesk, clock: MovableClock, scheduler: DeadlineScheduler,
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    # Given an email due Fri 03-06 10:00 EST whose case no longer loads
    email = receive(desk, clock)
    scheduler.load()
    due = utc(2026, 3, 6, 15, 0)
    monkeypatch.setattr(desk, "record_deadline_missed", CaseGone(desk, email.id))
    caplog.set_level(logging.INFO, logger="civicdesk.scheduler")

    # When the job runs each time it is armed for, for 20 minutes
    runs = run_job_until(scheduler, clock, due + timedelta(minutes=20))

    # Then the wait doubles after each failure, from RETRY_SECONDS (5 s) up to
    # RETRY_MAX_SECONDS (300 s): waits of 5, 10, 20, 40, 80, 160, 300, 300 s, so it is tried
    # at 0, 5, 15, 35, 75, 155, 315, 615 and 915 s after the due time
    assert (RETRY_SECONDS, RETRY_MAX_SECONDS) == (5, 300)
    assert seconds_after(due, runs) == [0, 5, 15, 35, 75, 155, 315, 615, 915]
    # And the next try is RETRY_MAX_SECONDS on, 1215 s after the due time
    assert armed(scheduler) == due + timedelta(seconds=915 + RETRY_MAX_SECONDS)
    assert scheduler.deadlines() == {(email.id, ACK): due}
    assert breaches(desk, email.id) == []
    # And each failure logged one warning, with the traceback the first time only
    failures = [r for r in caplog.records if r.getMessage().startswith("could not judge")]
    assert [r.levelno for r in failures] == [logging.WARNING] * len(runs)
    assert [r.exc_info is not None for r in failures] == [True] + [False] * (len(runs) - 1)
    assert "cannot be loaded" in failures[-1].getMessage()


def test_a_retry_that_succeeds_records_the_breach_at_its_due_time_and_clears_the_backoff(
        desk: ServiceDesk, clock: MovableClock, scheduler: DeadlineScheduler,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Given an email due Fri 03-06 10:00 EST, on a database that fails the next three calls
    email = receive(desk, clock)
    scheduler.load()
    due = utc(2026, 3, 6, 15, 0)
    gone = DatabaseGone(desk, failures=3)
    monkeypatch.setattr(desk, "record_deadline_missed", gone)

    # When the job runs each time it is armed for, for an hour
    runs = run_job_until(scheduler, clock, due + timedelta(hours=1))

    # Then it failed at 0, 5 and 15 s, and at 35 s recorded the breach, stamped with the due
    # time, not the time of the try
    assert seconds_after(due, runs) == [0, 5, 15, 35]
    [missed] = breaches(desk, email.id)
    assert (missed.target, missed.occurred_at, missed.due_at) == (ACK, due, due)
    assert jobs(scheduler) == {}
    # And the backoff is cleared: a repeated firing of that deadline that fails (as a stale
    # run might) waits RETRY_SECONDS again, not the 40 s a fourth failure in a row would
    gone.failures = gone.calls + 1
    assert not scheduler.fire(email.id, ACK, due)
    assert armed(scheduler) == clock.now + timedelta(seconds=RETRY_SECONDS)


def test_syncing_a_case_does_not_retry_its_failed_deadline_before_its_time(
        desk: ServiceDesk, clock: MovableClock, scheduler: DeadlineScheduler,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Given an email due Fri 03-06 10:00 EST whose firing failed then, to be tried 5 s later
    email = receive(desk, clock)
    scheduler.load()
    due = utc(2026, 3, 6, 15, 0)
    gone = DatabaseGone(desk, failures=10)
    monkeypatch.setattr(desk, "record_deadline_missed", gone)
    clock.now = due
    scheduler.fire_due()
    assert (gone.calls, armed(scheduler)) == (1, due + timedelta(seconds=RETRY_SECONDS))

    # When the case is synced 1 s later (the follower read it again)
    clock.advance(seconds=1)
    scheduler.sync_case(email.id)

    # Then it is not tried at once: it waits for its retry time
    assert (gone.calls, armed(scheduler)) == (1, due + timedelta(seconds=RETRY_SECONDS))
    assert scheduler.deadlines() == {(email.id, ACK): due}


def eventually(condition: Any, limit: float = 10.0) -> bool:
    """Poll `condition()` until it holds or `limit` seconds pass (waiting for a thread, never
    for a deadline)."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_a_running_scheduler_follows_new_and_met_deadlines_in_the_log(
        desk: ServiceDesk, clock: MovableClock, scheduler: DeadlineScheduler) -> None:
    # Given a running scheduler, with the desk's clock at the real time (so APScheduler, which
    # runs on the real clock, has nothing due for days)
    clock.now = datetime.now(UTC).replace(microsecond=0)
    scheduler.start(follow=True)
    assert scheduler.status()["scheduled"] == 0

    # When an email is received
    email = receive(desk, clock, clock.now)
    due = desk.get_case(CSR, email.id).targets[ACK].due_at

    # Then the scheduler, following the log, schedules its acknowledgement
    assert eventually(lambda: jobs(scheduler) == {(email.id, ACK): due}), jobs(scheduler)
    assert scheduler.status()["next_due"] == due
    # And when it is acknowledged the job goes
    change(desk, clock, email.id, "acknowledge", clock.now, message="Thanks")
    assert eventually(lambda: jobs(scheduler) == {}), jobs(scheduler)
    assert breaches(desk, email.id) == []


def test_a_running_scheduler_runs_its_job_and_arms_it_again_for_the_next_deadline(
        desk: ServiceDesk, clock: MovableClock, scheduler: DeadlineScheduler) -> None:
    # Given two emails and a letter received now (the desk's clock at the real time), and the
    # scheduler running: its job armed at the emails' acknowledgement, 2 business days on
    clock.now = datetime.now(UTC).replace(microsecond=0)
    emails = [receive(desk, clock, clock.now), receive(desk, clock, clock.now)]
    letter = receive(desk, clock, clock.now, channel="written")
    due = desk.get_case(CSR, emails[0].id).targets[ACK].due_at
    next_due = desk.get_case(CSR, letter.id).targets[ACK].due_at  # 5 business days on
    scheduler.start(follow=False)
    assert armed(scheduler) == due

    # When the desk's clock reaches that due time, and APScheduler's job comes due (nudged to
    # run now, as waiting two business days is not an option)
    clock.now = due
    scheduler.scheduler.modify_job(NEXT_DEADLINE_JOB, next_run_time=datetime.now(UTC))

    # Then APScheduler runs the job, which records both breaches and arms the job again (as a
    # new job: APScheduler dropped the one that ran) for the letter
    assert eventually(lambda: scheduler.recorded == 2 and armed(scheduler) == next_due), (
        scheduler.recorded, jobs(scheduler))
    for email in emails:
        assert [(e.target, e.occurred_at) for e in breaches(desk, email.id)] == [(ACK, due)]
    assert scheduler.status()["scheduled"] == 2
    assert scheduler.status()["next_due"] == next_due


# -- the view agrees with the aggregates ----------------------------------------------------------

PLANNING_RESOLVE = ServiceStandard(
    "planning-resolve", "Planning resolves within 10 business days", TargetKind.RESOLVE,
    10 * 8 * 3600, department="planning")
COMPLAINT_RESPOND = ServiceStandard(
    "complaint-respond", "Complaints answered within 5 business days", TargetKind.RESPOND,
    5 * 8 * 3600, complaint=True)
CHANNELS = ["email", "written", "voicemail", "missed_call", "social_media", "web_form",
            "telephone", "in_person"]
DEPARTMENTS = ["public-works", "community", "legislative", "corporate", "planning"]


NEXT_STEPS = {  # what the desk tends to do next, by the case's status
    "open": {"acknowledge": 6, "interim_response": 2, "wait": 3, "resolve": 3, "transfer": 2,
             "classify": 2, "log_interaction": 3},
    "waiting_on_customer": {"customer_responded": 5, "resolve": 1, "acknowledge": 1},
    "resolved": {"close": 3, "reopen": 1},
    "closed": {"reopen": 1},
}


def random_command(rng: random.Random, case: Case) -> tuple[str, dict[str, Any]]:
    """One thing the desk might do next to a case (the rules may still refuse it)."""
    steps = NEXT_STEPS[case.status]
    command = rng.choices(list(steps), weights=list(steps.values()))[0]
    every: dict[str, dict[str, Any]] = {
        "acknowledge": {"message": "We have it"},
        "interim_response": {"explanation": "We need more time"},
        "wait": {"reason": "Need a photo"},
        "customer_responded": {"summary": "Photo sent"},
        "resolve": {"resolution": "Fixed", "at_first_contact": False},
        "reopen": {"reason": "Not fixed"},
        "close": {},
        "transfer": {"to_department": rng.choice(DEPARTMENTS), "warm": False,
                     "handover_note": "", "customer_informed": True},
        "classify": {"classification": rng.choice(["complaint", "feedback"]),
                     "reason": "The customer says so"},
        "log_interaction": {"channel": "telephone", "direction": rng.choice(
            ["inbound", "outbound"]), "summary": "Called", "effort_minutes": 5,
            "wait_seconds": None},
    }
    return command, every[command]


def run_due_jobs(deadlines: DeadlineScheduler, now: datetime) -> None:
    """What a running scheduler does by `now`: run its job if its time has come."""
    run_at = armed(deadlines)
    if run_at is not None and run_at <= now:
        deadlines.fire_due()


def test_the_pending_deadlines_view_agrees_with_the_aggregates_after_a_random_history(
        desk: ServiceDesk, clock: MovableClock, projections: ProjectionSet,
        scheduler: DeadlineScheduler) -> None:
    # Given a realistic year at the desk, with department and complaint standards in force
    from infrastructure.demo import load_demo

    revise_standards(desk, ADMIN, [*CORPORATE_STANDARDS, PLANNING_RESOLVE, COMPLAINT_RESPOND],
                     reason="recommendation 2C")
    load_demo(desk, cases=200, seed=7)
    scheduler.load()
    ids = case_ids(desk)
    # And four weeks of contacts, answers, pauses, transfers, reclassifications, reopenings and
    # closures, some entered late, with the scheduler running every job that came due
    rng = random.Random(7)
    for _ in range(500):
        clock.advance(minutes=rng.randint(5, 150))
        run_due_jobs(scheduler, clock.now)
        try:
            if rng.random() < 0.25:
                channel = rng.choice(CHANNELS)
                case = receive(
                    desk, clock, clock.now, channel=channel,
                    department=rng.choice(DEPARTMENTS),
                    received_at=clock.now - timedelta(hours=rng.choice([0, 0, 20, 100])),
                    wait_seconds=rng.randint(0, 900)
                    if channel in {"telephone", "in_person"} else None)
                ids.append(case.id)
            else:
                case_id = rng.choice(ids[-120:])
                current = desk.get_case(CSR, case_id)
                command, arguments = random_command(rng, current)
                late = min(timedelta(minutes=rng.choice([0, 0, 0, 30, 600])),
                           clock.now - current.received_at)
                case = change(desk, clock, case_id, command, clock.now,
                              occurred_at=clock.now - late, **arguments)
        except DomainError:
            continue  # refused by the rules, as the desk would refuse it
        scheduler.sync_case(case.id)
    run_due_jobs(scheduler, clock.now)

    # When the view has projected the whole log
    projections.wait_for(desk.log_position(), timeout=60)
    _, rows = projections.view(PENDING_DEADLINES.name).pending()
    view = set(rows)

    # Then its rows are exactly the targets the aggregates say are watched, with their due times
    expected = watched(desk)
    assert view == expected
    assert len(expected) > 20, "the history should leave deadlines pending"
    # And the scheduler that followed the history watches exactly those, as does one that
    # starts afresh from the view
    assert set(jobs(scheduler).items()) == {((c, t), due) for c, t, due in expected}
    fresh = DeadlineScheduler(desk, from_view(projections, desk))
    fresh.load()
    assert jobs(fresh) == jobs(scheduler)
    assert fresh.recorded == 0


def test_at_start_the_scheduler_completes_replans_a_crash_left_before_judging_anything(
        desk: ServiceDesk, clock: MovableClock, scheduler: DeadlineScheduler) -> None:
    # Given an email received Wed 03-04 10:00 EST: due Fri 03-06 10:00 EST = 15:00 UTC
    email = receive(desk, clock)
    assert desk.get_case(CSR, email.id).targets[ACK].due_at == utc(2026, 3, 6, 15, 0)
    # And a closure of all Thu 03-05 saved Thu 09:00 EST by a process that died before
    # re-planning (its re-plans never written)
    clock.now = utc(2026, 3, 5, 14, 0)
    book = desk.calendar_book()
    book.add_closure(day=date(2026, 3, 5), from_time=None, until_time=None,
                     reason="power outage", actor=ADMIN, now=clock.now)
    desk.save(book)
    # When the scheduler starts Fri 03-06 11:00 EST, after the old due time
    clock.now = utc(2026, 3, 6, 16, 0)
    scheduler.start(follow=False)
    # Then the deadline was moved first: Wed 6.5 h, Thu closed, Fri 8 h (14.5), Mon 03-09
    # (EDT from Sun 03-08) 1.5 h -> 10:00 EDT = 14:00 UTC; nothing was judged missed
    assert desk.get_case(CSR, email.id).targets[ACK].due_at == utc(2026, 3, 9, 14, 0)
    assert breaches(desk, email.id) == []
    assert scheduler.deadlines() == {(email.id, ACK): utc(2026, 3, 9, 14, 0)}


def test_a_running_scheduler_completes_replans_a_crashed_process_left(
        desk: ServiceDesk, clock: MovableClock, scheduler: DeadlineScheduler) -> None:
    # Given a running scheduler, the desk's clock at the real time, and an email received now
    clock.now = datetime.now(UTC).replace(microsecond=0)
    scheduler.start(follow=True)
    email = receive(desk, clock, clock.now)
    due = desk.get_case(CSR, email.id).targets[ACK].due_at
    # When another process saves a closure of the day the email is due on, and dies before
    # re-planning
    book = desk.calendar_book()
    book.add_closure(day=due.astimezone(TORONTO).date(), from_time=None, until_time=None,
                     reason="power outage", actor=ADMIN, now=clock.now)
    desk.save(book)
    # Then the scheduler's follower re-plans it: the due time moves past the closed day, and
    # the scheduler watches the new one
    def moved() -> bool:
        return desk.get_case(CSR, email.id).targets[ACK].due_at > due
    assert eventually(moved)
    new_due = desk.get_case(CSR, email.id).targets[ACK].due_at
    assert eventually(lambda: scheduler.deadlines() == {(email.id, ACK): new_due})
