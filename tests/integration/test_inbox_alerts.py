"""Alerts and mentions reaching inboxes, on a real SQLite file and on PostgreSQL: the at-risk
scheduler driven by hand on a movable clock (never a sleep), the inbox read model followed by
its projection runner.

The email acknowledgement promise is 2 business days (16 business hours), at risk once less
than 25 % is left (after 12 business hours). Toronto is UTC-5 until Sun 2026-03-08; the desk
is open 08:30-16:30 on weekdays, no holiday in early March 2026.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

import pytest

from application.alerts import name_department_manager, record_target_at_risk
from application.commands import (
    AcknowledgeCase,
    AssignCase,
    RecordCustomerResponse,
    TransferCase,
    WaitOnCustomer,
)
from application.desk import ServiceDesk
from application.inbox import InboxItem, ReadState, mark_read
from application.internal_notes import add_internal_note
from domain.actors import Actor, Role
from domain.cases import Case
from domain.inbox import Addressee, department, person
from engine.runner import ProjectionSet
from infrastructure.bootstrap import latest_snapshot
from infrastructure.scheduler import at_risk_scheduler
from infrastructure.settings import Settings
from projections.case_snapshots import CASE_SNAPSHOTS
from projections.inbox import INBOX
from projections.pending_at_risk import PENDING_AT_RISK
from tests.conftest import running_projections
from tests.receiving import receive_at
from tests.toronto_time import toronto

if TYPE_CHECKING:
    from tests.conftest import MovableClock

CSR = Actor(id="csr-ana", role=Role.CSR)
ADMIN = Actor(id="admin-al", role=Role.ADMIN)
ACK = "acknowledge"
RECEIVED = toronto(2026, 3, 2, 10)  # Mon 10:00 Toronto, 15:00 UTC
# At risk after 12 business hours: Mon 10:00-16:30 is 6.5 h, plus 5.5 h from Tue 08:30 ends
# Tue 14:00 Toronto = 19:00 UTC.
AT_RISK_FROM = datetime(2026, 3, 3, 19, 0, tzinfo=UTC)
# Due after 16 business hours: 6.5 h Mon + 8 h Tue + 1.5 h from Wed 08:30 = Wed 10:00 Toronto.
DUE = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)


@pytest.fixture
def projections(settings: Settings, desk: ServiceDesk) -> Iterator[ProjectionSet]:
    with running_projections(settings, desk, PENDING_AT_RISK, INBOX) as read_models:
        yield read_models


def inbox(projections: ProjectionSet, desk: ServiceDesk, *addressees: Addressee,
          reader: str = "nobody", state: ReadState = ReadState.ALL) -> list[InboxItem]:
    projections.wait_for(desk.log_position(), timeout=60)
    items, _ = projections.view(INBOX.name).items(list(addressees), reader, state=state,
                                                  after=None, limit=50)
    return list(items)


def assigned_email(desk: ServiceDesk, clock: MovableClock, assignee: str) -> Case:
    case = receive_at(desk, clock, RECEIVED)
    return desk.handle(CSR, AssignCase(case_id=case.id, assignee=assignee)).case


def test_an_at_risk_alert_reaches_the_assignee_and_the_manager_at_its_instant(
        desk: ServiceDesk, clock: MovableClock, projections: ProjectionSet) -> None:
    # Given public works' manager is named and an email received Mon 10:00 is assigned
    name_department_manager(desk, ADMIN, "public-works", "mgr-mo")
    case = assigned_email(desk, clock, "staff-sam")
    # And the at-risk scheduler has loaded the pending at-risk instants
    projections.wait_for(desk.log_position(), timeout=60)
    scheduler = at_risk_scheduler(desk, projections.view(PENDING_AT_RISK.name), clock)
    scheduler.load()
    assert scheduler.deadlines()[(case.id, ACK)] == AT_RISK_FROM
    # When the clock stands a second before Tue 14:00 Toronto, nothing is recorded
    clock.now = AT_RISK_FROM - timedelta(seconds=1)
    assert scheduler.fire_due() == 0
    assert inbox(projections, desk, person("staff-sam"), person("mgr-mo")) == []
    # When it reaches it, the target is recorded at risk, stamped with that instant
    clock.now = AT_RISK_FROM
    assert scheduler.fire_due() == 1
    [fact] = [e for e in desk.events.get(case.id) if isinstance(e, Case.TargetAtRisk)]
    assert (fact.occurred_at, fact.due_at, fact.target) == (AT_RISK_FROM, DUE, ACK)
    # Then the assignee and the manager each get an at-risk item naming the target
    for who in ("staff-sam", "mgr-mo"):
        [item] = inbox(projections, desk, person(who))
        assert (item.kind, item.case_id, item.reference, item.target, item.due_at,
                item.occurred_at, item.addressee) == (
            "at_risk", case.id, case.reference, ACK, DUE, AT_RISK_FROM, f"person:{who}")
    # And firing again records nothing more
    assert not scheduler.fire(case.id, ACK, AT_RISK_FROM)
    assert len(inbox(projections, desk, person("staff-sam"))) == 1
    scheduler.stop()


def test_a_missed_deadline_alerts_the_assignee_and_the_department_without_a_manager(
        desk: ServiceDesk, clock: MovableClock, projections: ProjectionSet) -> None:
    # Given an assigned email in public works, which has no manager named
    case = assigned_email(desk, clock, "staff-sam")
    # When the scheduler records its acknowledgement missed at Wed 10:00 Toronto
    clock.now = DUE
    assert desk.record_deadline_missed(case.id, ACK, DUE)
    # Then the assignee and the department's own inbox get a deadline_missed item
    [mine] = inbox(projections, desk, person("staff-sam"))
    [theirs] = inbox(projections, desk, department("public-works"))
    assert {(i.kind, i.target, i.due_at, i.occurred_at) for i in (mine, theirs)} == {
        ("deadline_missed", ACK, DUE, DUE)}


def test_an_alert_follows_the_case_to_its_new_department_and_manager(
        desk: ServiceDesk, clock: MovableClock, projections: ProjectionSet) -> None:
    # Given planning's manager is named, and an unassigned email transferred to planning
    name_department_manager(desk, ADMIN, "planning", "mgr-pat")
    case = receive_at(desk, clock, RECEIVED)
    desk.handle(CSR, TransferCase(case_id=case.id, to_department="planning", warm=True,
                                  handover_note="A zoning question"))
    # When its acknowledgement is missed
    clock.now = DUE
    assert desk.record_deadline_missed(case.id, ACK, DUE)
    # Then planning's manager and planning get it; public works does not
    assert {i.addressee for i in inbox(projections, desk, person("mgr-pat"),
                                       department("planning"))} == {
        "person:mgr-pat", "department:planning"}
    assert inbox(projections, desk, department("public-works")) == []


def test_a_mention_reaches_a_person_and_a_department_but_not_its_author(
        desk: ServiceDesk, clock: MovableClock, projections: ProjectionSet) -> None:
    case = receive_at(desk, clock, RECEIVED)
    # When a CSR notes the case, mentioning a colleague, planning, and herself
    add_internal_note(desk, CSR, case.id, "Is this the same lot as the variance?",
                      mention_people=("staff-sam", "csr-ana"),
                      mention_departments=("planning",))
    # Then the colleague's and planning's inboxes hold the note; hers does not
    [personal] = inbox(projections, desk, person("staff-sam"))
    [departmental] = inbox(projections, desk, department("planning"))
    for item in (personal, departmental):
        assert (item.kind, item.note, item.by, item.reference) == (
            "mention", "Is this the same lot as the variance?", "csr-ana", case.reference)
    assert inbox(projections, desk, person("csr-ana")) == []


def test_read_and_unread_are_each_readers_own(
        desk: ServiceDesk, clock: MovableClock, projections: ProjectionSet) -> None:
    case = receive_at(desk, clock, RECEIVED)
    add_internal_note(desk, CSR, case.id, "Planning: please look",
                      mention_departments=("planning",))
    planner = Actor(id="staff-pia", role=Role.STAFF, departments=frozenset({"planning"}))
    [item] = inbox(projections, desk, department("planning"))
    # When one planner marks the department's item read
    read_at = mark_read(desk, projections.view(INBOX.name), planner, item.id)
    assert read_at == clock.now
    # Then it is read for her, and still unread for another planner
    mine = [person("staff-pia"), department("planning")]
    assert inbox(projections, desk, *mine, reader="staff-pia", state=ReadState.UNREAD) == []
    [read] = inbox(projections, desk, *mine, reader="staff-pia", state=ReadState.READ)
    assert read.read_at == read_at
    assert [i.id for i in inbox(projections, desk, department("planning"), reader="staff-pio",
                                state=ReadState.UNREAD)] == [item.id]
    # And marking it again records nothing
    position = desk.log_position()
    assert mark_read(desk, projections.view(INBOX.name), planner, item.id) == read_at
    assert desk.log_position() == position


def test_a_noted_case_recorded_at_risk_viewed_from_its_snapshot_is_the_replayed_case(
        settings: Settings, desk: ServiceDesk, clock: MovableClock) -> None:
    director = Actor(id="director-1", role=Role.DIRECTOR)
    # Given a case with a note, recorded at risk Tue 14:00 Toronto (see the module's arithmetic)
    case = assigned_email(desk, clock, "staff-sam")
    add_internal_note(desk, CSR, case.id, "Photo in the shared drive",
                      mention_people=("staff-sam",), mention_departments=("planning",))
    clock.now = AT_RISK_FROM
    assert record_target_at_risk(desk, case.id, ACK, AT_RISK_FROM)
    with running_projections(settings, desk, CASE_SNAPSHOTS) as projections:
        projections.wait_for(desk.log_position(), timeout=30)
        desk.case_snapshots = partial(latest_snapshot, projections.view(CASE_SNAPSHOTS.name),
                                      desk)
        # When it is viewed from its snapshot, and replayed
        viewed, replayed = desk.view_case(director, case.id), desk.get_case(director, case.id)
    # Then it is the same case, notes and at-risk mark included
    assert viewed.__dict__ == replayed.__dict__
    assert viewed.at_risk_recorded == ((ACK, AT_RISK_FROM),)
    assert [n["note"] for n in viewed.internal_notes] == ["Photo in the shared drive"]


def test_the_running_at_risk_scheduler_watches_a_case_received_after_it_started(
        desk: ServiceDesk, clock: MovableClock, projections: ProjectionSet) -> None:
    # Given the at-risk scheduler started (following the log) on an empty desk
    clock.now = RECEIVED
    projections.wait_for(desk.log_position(), timeout=60)
    scheduler = at_risk_scheduler(desk, projections.view(PENDING_AT_RISK.name), clock)
    scheduler.start()
    try:
        # When an email arrives Mon 10:00 Toronto
        case = receive_at(desk, clock, RECEIVED)
        # Then the follower indexes its at-risk instant, Tue 14:00 Toronto (polled, bounded)
        deadline = time.monotonic() + 30
        while scheduler.deadlines().get((case.id, ACK)) != AT_RISK_FROM:
            assert time.monotonic() < deadline, scheduler.deadlines()
            time.sleep(0.05)
        # And once the clock reaches it, it is recorded at risk, once (by this firing, or by
        # the job's own run if that came first: polled, bounded)
        clock.now = AT_RISK_FROM
        scheduler.fire_due()
        while not (recorded := [e.occurred_at for e in desk.events.get(case.id)
                                if isinstance(e, Case.TargetAtRisk)]):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert recorded == [AT_RISK_FROM]
    finally:
        scheduler.stop()


def test_a_met_target_leaves_the_at_risk_watch_and_a_pause_moves_its_instant(
        desk: ServiceDesk, clock: MovableClock, projections: ProjectionSet) -> None:
    def watched() -> dict[tuple[object, str], datetime]:
        projections.wait_for(desk.log_position(), timeout=60)
        _, rows = projections.view(PENDING_AT_RISK.name).pending()
        return {(case_id, name): at for case_id, name, at in rows}

    # Given two emails received Mon 10:00 Toronto, watched from Tue 14:00 Toronto
    met, paused = receive_at(desk, clock, RECEIVED), receive_at(desk, clock, RECEIVED)
    assert watched()[(met.id, ACK)] == watched()[(paused.id, ACK)] == AT_RISK_FROM
    # When one is acknowledged, it is no longer watched
    desk.handle(CSR, AcknowledgeCase(case_id=met.id, message="On it"))
    assert (met.id, ACK) not in watched()
    # When the other waits on the customer from Mon 12:00 to Mon 15:00 Toronto (3 business
    # hours), it is not watched while paused, then at risk 3 business hours later: Tue 14:00
    # + 2.5 h to 16:30, + 0.5 h from Wed 08:30 = Wed 09:00 Toronto, 14:00 UTC
    clock.now = toronto(2026, 3, 2, 12)
    desk.handle(CSR, WaitOnCustomer(case_id=paused.id, reason="Asked for a photo"))
    assert (paused.id, ACK) not in watched()
    clock.now = toronto(2026, 3, 2, 15)
    desk.handle(CSR, RecordCustomerResponse(case_id=paused.id, summary="Photo received"))
    assert watched()[(paused.id, ACK)] == datetime(2026, 3, 4, 14, 0, tzinfo=UTC)
