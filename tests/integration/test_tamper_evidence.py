"""Tamper evidence on SQLite and PostgreSQL: the append-only triggers, and the hash chain that
catches what a database administrator who drops them can still do."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

import psycopg
import pytest

from application.commands import ReceiveCase
from application.customers import Intake
from application.desk import ServiceDesk
from domain.actors import Actor, Role
from infrastructure.chain import GENESIS, Verdict, link
from infrastructure.ledger import chain_rows, verify_log
from infrastructure.recorders import APPEND_ONLY_MESSAGE
from infrastructure.settings import Settings
from tests.command_line import civicdesk
from tests.commanding import change_case
from tests.tampering import Dba

if TYPE_CHECKING:
    from tests.conftest import MovableClock  # the `clock` fixture

CSR = Actor(id="csr-1", role=Role.CSR)
ROADS_MANAGER = Actor(id="mgr-roads", role=Role.MANAGER, departments=frozenset({"public-works"}))
REFUSED = (sqlite3.IntegrityError, psycopg.errors.RaiseException)
ALTERED = "its event or chain link was altered, removed or reordered"


@dataclass(frozen=True)
class History:
    published: Verdict  # what the auditor published once the history was recorded
    acknowledged: int  # the log positions of three events in the middle of the log
    transferred: int
    escalated: int


def record_history(desk: ServiceDesk, clock: MovableClock) -> History:
    """Three cases through the desk's usual commands, a few minutes apart."""

    def receive(subject: str, department: str, purpose: str) -> UUID:
        return desk.handle(CSR, ReceiveCase(
            channel="email", purpose=purpose, department=department, subject=subject,
            description=f"{subject}, reported by email",
            customer=Intake(personal={"name": "Ann Lee"}))).case.id

    def change(actor: Actor, case_id: UUID, command: str, **arguments: Any) -> int:
        clock.advance(minutes=7)
        return change_case(desk, actor, case_id, command, expected_version=None,
                                **arguments).position

    pothole = receive("Pothole on King St", "public-works", "issue_or_complaint")
    acknowledged = change(CSR, pothole, "acknowledge", message="We have your report")
    change(CSR, pothole, "assign", assignee="crew-7")
    change(CSR, pothole, "log_interaction", channel="telephone", direction="outbound",
           summary="Confirmed the location", effort_minutes=5, wait_seconds=40)
    change(CSR, pothole, "resolve", resolution="Patched", at_first_contact=False)
    change(CSR, pothole, "close")
    permit = receive("Deck permit question", "planning", "information")
    transferred = change(CSR, permit, "transfer", to_department="public-works", warm=True,
                         handover_note="The deck overhangs the road allowance",
                         customer_informed=True)
    change(CSR, permit, "wait", reason="Asked for a site plan")
    change(CSR, permit, "customer_responded", summary="Site plan received")
    complaint = receive("Crew left debris", "public-works", "issue_or_complaint")
    change(CSR, complaint, "classify", classification="complaint", reason="Service failure")
    escalated = change(ROADS_MANAGER, complaint, "escalate", to_level="department_manager",
                       reason="Second report", owner="mgr-roads")
    change(CSR, complaint, "interim_response", explanation="Crew scheduled for Friday")
    return History(verify_log(desk), acknowledged, transferred, escalated)


@pytest.fixture
def history(desk: ServiceDesk, clock: MovableClock) -> History:
    return record_history(desk, clock)


@pytest.fixture
def db(settings: Settings, desk: ServiceDesk) -> Iterator[Dba]:
    with Dba(settings, desk) as database:
        yield database


# -- the intact log and the guard ---------------------------------------------------------------


def test_an_intact_log_verifies_with_the_last_link_as_its_head(
        desk: ServiceDesk, history: History, db: Dba) -> None:
    # given a realistic history, when the log is verified
    verdict = verify_log(desk)
    # then every event checks out, and the head is the last link stored
    assert verdict.ok and verdict.guard_ok and verdict.guard_problem is None
    assert verdict.events == verdict.head_position == desk.log_position()
    assert verdict.head_hash == db.links()[verdict.head_position].hex()
    assert verdict == history.published


@pytest.mark.parametrize("table", ["events", "chain"])
@pytest.mark.parametrize("statement", ["UPDATE {table} SET {column} = {column}",
                                       "DELETE FROM {table}"])
def test_the_guard_refuses_updates_and_deletes(
        desk: ServiceDesk, history: History, db: Dba, table: str, statement: str) -> None:
    # given a recorded history
    column = "topic" if table == "events" else "link"
    # when anyone updates or deletes a row of the log or of its chain
    with pytest.raises(REFUSED, match=APPEND_ONLY_MESSAGE):
        db.run(statement.format(table=getattr(db, table), column=column))
    # then it is refused, and the log is as published
    assert verify_log(desk) == history.published


@pytest.mark.parametrize("table", ["events", "chain"])
def test_postgres_refuses_truncate(desk: ServiceDesk, settings: Settings, history: History,
                                   db: Dba, table: str) -> None:
    if not settings.is_postgres:
        pytest.skip("SQLite has no TRUNCATE (its DELETE is refused above)")
    with pytest.raises(REFUSED, match=APPEND_ONLY_MESSAGE):
        db.run(f"TRUNCATE {getattr(db, table)}")
    assert verify_log(desk) == history.published


@pytest.mark.parametrize("table", ["events", "chain"])
def test_the_guard_refuses_a_replacing_insert(
        request: pytest.FixtureRequest, desk: ServiceDesk, settings: Settings,
        history: History, db: Dba, table: str) -> None:
    # given a recorded history
    key, columns, changed = {
        "events": ("originator_id, originator_version",
                   f"{db.id}, originator_id, originator_version, topic, state", "topic"),
        "chain": ("notification_id", "notification_id, link", "link")}[table]
    target, where = getattr(db, table), "notification_id" if table == "chain" else db.id
    verb, conflict = (("INSERT", f" ON CONFLICT ({key}) DO UPDATE SET {changed} = "
                                 f"EXCLUDED.{changed}") if settings.is_postgres
                      else ("INSERT OR REPLACE", ""))
    # when a row is rewritten by an insert that replaces it
    with pytest.raises(REFUSED, match=APPEND_ONLY_MESSAGE):
        db.run(f"{verb} INTO {target} ({columns}) SELECT {columns} FROM {target} "
               f"WHERE {where} = ?{conflict}", history.acknowledged)
    # then it is refused like an update, and the log is as published
    assert verify_log(desk) == history.published


def test_the_walk_reads_window_by_window_and_jumps_gaps_in_the_ids(
        desk: ServiceDesk, history: History, db: Dba) -> None:
    # given a log with a hole in its ids (an event and its link removed behind the guard)
    db.drop_guard()
    db.delete(history.transferred)
    head = history.published.head_position
    # when it is walked seven ids at a time, whole and between two positions
    whole = [row.notification_id for row in chain_rows(desk, window=7)]
    part = [row.notification_id for row in chain_rows(desk, start=5, stop=head - 1, window=3)]
    # then every remaining id comes once, in order, and only within the bounds asked for
    assert whole == [n for n in range(1, head + 1) if n != history.transferred]
    assert part == [n for n in whole if 5 <= n <= head - 1]


# -- what the chain catches once the guard is dropped -------------------------------------------


def test_an_altered_state_is_caught_at_that_event(
        desk: ServiceDesk, history: History, db: Dba) -> None:
    # given a DBA who dropped the triggers
    db.drop_guard()
    # when the acknowledgement's message is rewritten
    db.rewrite(history.acknowledged, b"We have your report", b"We fixed it already")
    # then verification stops at that event
    verdict = verify_log(desk)
    assert not verdict.ok
    assert verdict.first_bad_position == history.acknowledged and verdict.problem == ALTERED


def test_an_altered_topic_is_caught_at_that_event(
        desk: ServiceDesk, history: History, db: Dba) -> None:
    # given a DBA who dropped the triggers, when an escalation is relabelled as an interim reply
    db.drop_guard()
    db.set(history.escalated, "topic", "domain.cases:Case.InterimResponseSent")
    # then verification stops at that event
    assert verify_log(desk).first_bad_position == history.escalated


def test_a_deleted_event_whose_link_remains_is_caught_as_missing(
        desk: ServiceDesk, history: History, db: Dba) -> None:
    # given a DBA who dropped the triggers, when a transfer is deleted but its link is not
    db.drop_guard()
    db.delete(history.transferred, link_too=False)
    # then the outer join shows a link without its event
    verdict = verify_log(desk)
    assert verdict.first_bad_position == history.transferred
    assert verdict.problem == "its event is missing from the log"


def test_a_deleted_event_and_link_are_caught_at_the_next_event(
        desk: ServiceDesk, history: History, db: Dba) -> None:
    # given a DBA who dropped the triggers, when a transfer and its link are both deleted
    db.drop_guard()
    db.delete(history.transferred)
    # then the next link no longer follows from the one before the gap
    verdict = verify_log(desk)
    assert verdict.first_bad_position == history.transferred + 1
    assert verdict.problem == ALTERED


def test_two_swapped_events_are_caught_at_the_earlier_one(
        desk: ServiceDesk, history: History, db: Dba) -> None:
    # given a DBA who dropped the triggers
    db.drop_guard()
    # when the acknowledgement and the escalation exchange their topics and states
    _, _, topic_a, state_a = db.event(history.acknowledged)
    _, _, topic_b, state_b = db.event(history.escalated)
    for position, topic, state in ((history.acknowledged, topic_b, state_b),
                                   (history.escalated, topic_a, state_a)):
        db.set(position, "topic", topic)
        db.set(position, "state", state)
    # then verification stops at the earlier of the two
    assert verify_log(desk).first_bad_position == history.acknowledged


@pytest.mark.parametrize("forged_link", ["from the genesis", "none"])
def test_a_forged_event_appended_at_the_end_is_caught_there(
        desk: ServiceDesk, history: History, db: Dba, forged_link: str) -> None:
    # given a DBA who dropped the triggers (on PostgreSQL, the one that links inserts too)
    db.drop_guard()
    # when they append an event with a link computed wrongly, or with none
    position, originator_id, state = history.published.head_position + 1, uuid4(), b"{}"
    topic = "domain.cases:Case.Closed"
    db.insert_event(position, originator_id, 1, topic, state)
    if forged_link != "none":
        db.run(f"INSERT INTO {db.chain} (notification_id, link) VALUES (?, ?)", position,
               link(GENESIS, position, originator_id, 1, topic, state))
    # then verification stops at the forgery, with everything before it intact
    verdict = verify_log(desk)
    assert verdict.first_bad_position == position
    assert verdict.head_hash == history.published.head_hash


def test_a_rechained_log_passes_the_walk_but_no_longer_matches_the_published_head(
        desk: ServiceDesk, history: History, db: Dba) -> None:
    # given a DBA who dropped the triggers and rewrote the acknowledgement
    db.drop_guard()
    db.rewrite(history.acknowledged, b"We have your report", b"Fixed")
    # when they recompute every later link with the public formula
    db.rechain_from(history.acknowledged)
    # then the walk alone passes, but the head differs from the one published before
    verdict = verify_log(desk)
    assert verdict.ok and verdict.head_position == history.published.head_position
    assert verdict.head_hash != history.published.head_hash


def test_a_truncated_tail_passes_the_walk_but_no_longer_matches_the_published_head(
        desk: ServiceDesk, history: History, db: Dba) -> None:
    # given a DBA who dropped the triggers, when the last event and its link are deleted
    db.drop_guard()
    last = history.published.head_position
    db.delete(last)
    # then the shorter log verifies, but its head is not the one published
    verdict = verify_log(desk)
    assert verdict.ok and verdict.head_position == last - 1
    assert verdict.head_hash != history.published.head_hash


@pytest.mark.parametrize("sabotage", ["dropped", "neutered", "disabled"])
def test_the_guard_check_reports_a_sabotaged_trigger(
        desk: ServiceDesk, settings: Settings, db: Dba, sabotage: str) -> None:
    if sabotage == "disabled" and not settings.is_postgres:
        pytest.skip("SQLite cannot disable a trigger")
    # given a DBA who drops, neuters or disables the trigger refusing deletes of events
    name = db.sabotage_delete_guard(sabotage)
    # when the log is verified
    verdict = verify_log(desk)
    # then the chain is intact, but the guard is reported missing, altered or disabled
    assert verdict.ok and not verdict.guard_ok
    assert verdict.guard_problem is not None and name in verdict.guard_problem


# -- the command line ----------------------------------------------------------------------------


def test_the_verify_command_prints_the_head_of_an_intact_log(
        settings: Settings, history: History) -> None:
    # given a recorded history, when `civicdesk verify` runs in its own process
    result = civicdesk(settings, "verify")
    # then it succeeds and prints the head an auditor publishes
    published = history.published
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines() == [
        "OK: access log: 0 entries; head entry 0",
        "OK: attachments: 0 files match the log",
        f"OK: {published.events} events; head position {published.head_position}; "
        f"head hash {published.head_hash}"]


def test_the_verify_command_fails_at_the_first_tampered_event(
        settings: Settings, history: History, db: Dba) -> None:
    # given a DBA who dropped the triggers and relabelled the transfer
    db.drop_guard()
    db.set(history.transferred, "topic", "domain.cases:Case.Closed")
    # when `civicdesk verify` runs
    result = civicdesk(settings, "verify")
    # then it fails, naming the event
    assert result.returncode == 1, result.stdout
    assert result.stderr.strip().splitlines()[-1] == (
        f"FAILED at notification {history.transferred}: {ALTERED}")
