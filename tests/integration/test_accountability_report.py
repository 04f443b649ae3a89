"""The accountability report read from a real log, on SQLite and PostgreSQL: reproducible to the
byte, blind to what was recorded after `as_of`, and anchored to the hash chain.

`as_of` is compared with when events were committed (their commit time, from the system
clock); the tests take it from the last event committed, never from a sleep. The desk's
own (movable) clock dates what happened: Wednesday 4 March 2026, 10:00 Toronto.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec
import psycopg
import pytest

from api.cli import main as civicdesk
from api.reports import render
from application.commands import ReceiveCase
from application.customers import Intake
from application.desk import ServiceDesk
from domain.actors import Actor, Role
from infrastructure.accountability_source import LedgerNotIntact, produce_report
from infrastructure.commit_time import last_commit_time
from infrastructure.demo import load_demo
from infrastructure.ledger import chain_rows
from infrastructure.settings import Settings
from tests.commanding import change_case

if TYPE_CHECKING:
    from tests.conftest import MovableClock

CSR = Actor(id="csr-1", role=Role.CSR)
CLERK = Actor(id="clerk-1", role=Role.CLERK)
MARCH = "2026-03"


def receive(desk: ServiceDesk, channel: str = "email", department: str = "public-works",
            **extra: Any) -> Any:
    return desk.handle(CSR, ReceiveCase(
        channel=channel, purpose="information", department=department,
        subject="Streetlight out", description="On Division Street",
        customer=Intake(personal={"name": "Sam Lee"}), **extra)).case


def change(desk: ServiceDesk, case: Any, command: str, **arguments: Any) -> None:
    change_case(desk, CSR, case.id, command, expected_version=None, **arguments)


def last_recorded_at(desk: ServiceDesk) -> datetime:
    """When the newest event was committed: a moment at which the log stood exactly as now."""
    moment = last_commit_time(desk)
    assert moment is not None
    return moment


def a_morning(desk: ServiceDesk, clock: MovableClock) -> list[Any]:
    """Three cases: an email answered in time, a call resolved at once, a transferred letter."""
    email = receive(desk)
    clock.advance(hours=2)
    change(desk, email, "acknowledge", message="We are on it")
    call = receive(desk, channel="telephone", wait_seconds=75)
    change(desk, call, "log_interaction", channel="telephone", direction="inbound",
           summary="Call", effort_minutes=12, wait_seconds=None)
    change(desk, call, "resolve", resolution="Answered", at_first_contact=True)
    letter = receive(desk, channel="written", department="planning")
    change(desk, letter, "transfer", to_department="public-works", warm=True,
           handover_note="Streetlight, not a planning matter", customer_informed=True)
    change(desk, call, "survey", csat=4, nps=9, ces=2, comment="")
    return [email, call, letter]


def more_later(desk: ServiceDesk, clock: MovableClock, cases: list[Any]) -> None:
    """What happens after as_of: new March cases, and the old ones move on."""
    clock.advance(hours=3)
    email, call, letter = cases
    receive(desk, channel="in_person", wait_seconds=30)
    receive(desk, channel="telephone", department="planning", wait_seconds=200)
    change(desk, letter, "acknowledge", message="Received your letter")
    change(desk, email, "resolve", resolution="Fixed", at_first_contact=False)
    change(desk, call, "reopen", reason="It went out again")


class TestReproducibility:
    def test_the_same_inputs_give_a_byte_identical_report_however_much_is_recorded_later(
            self, desk: ServiceDesk, clock: MovableClock) -> None:
        # Given a morning on record, and the moment it was complete
        cases = a_morning(desk, clock)
        as_of = last_recorded_at(desk)
        # When the report is produced in every format, then more is recorded, then again
        before = produce_report(desk, CLERK, period=MARCH, as_of=as_of)
        first = {kind: render(before, kind) for kind in ("json", "csv", "html")}
        more_later(desk, clock, cases)
        after = produce_report(desk, CLERK, period=MARCH, as_of=as_of)
        # Then every format is the same, byte for byte
        assert desk.log_position() > before.chain.head_position
        for kind, body in first.items():
            assert render(after, kind) == body, kind

    def test_as_of_excludes_everything_recorded_after_it(
            self, desk: ServiceDesk, clock: MovableClock) -> None:
        # Given a morning, as_of, and then two new cases and changes to the old ones
        cases = a_morning(desk, clock)
        as_of = last_recorded_at(desk)
        more_later(desk, clock, cases)
        # When reported as of then, and as of now
        then = produce_report(desk, CLERK, period=MARCH, as_of=as_of)
        now = produce_report(desk, CLERK, period=MARCH)
        # Then as of then: three cases, the letter not yet acknowledged (and, judged at as_of,
        # long overdue: the desk's clock put its receipt in March), the call still resolved at
        # first contact; as of now: five cases, the letter acknowledged (dated the same
        # March afternoon, so on time), the call reopened
        assert then.cases == 3
        written = {r.code: r.outcomes for r in then.standards}["written-acknowledge"]
        assert (written.applied, written.met, written.met_late, written.breached) == (1, 0, 0, 1)
        assert [b.met_at for b in then.breaches if b.standard_code == "written-acknowledge"] == [
            None]
        assert (then.first_contact.resolved, then.first_contact.at_first_contact) == (1, 1)
        assert then.transfers_of_cases.warm == 1
        assert now.cases == 5
        written = {r.code: r.outcomes for r in now.standards}["written-acknowledge"]
        assert (written.met, written.breached) == (1, 0)
        assert (now.first_contact.resolved, now.first_contact.at_first_contact) == (1, 0)

    def test_a_period_before_the_cases_or_another_department_reports_nothing_of_them(
            self, desk: ServiceDesk, clock: MovableClock) -> None:
        a_morning(desk, clock)
        assert produce_report(desk, CLERK, period="2026-02").cases == 0
        assert produce_report(desk, CLERK, period=MARCH, department="community").cases == 0
        # The letter was received by planning but moved to public-works
        assert produce_report(desk, CLERK, period=MARCH, department="planning").cases == 0
        assert produce_report(desk, CLERK, period=MARCH, department="public-works").cases == 3


class TestCommandLine:
    def test_civicdesk_report_writes_the_same_bytes_as_the_api_renders(
            self, desk: ServiceDesk, clock: MovableClock, settings: Settings, tmp_path: Path,
            monkeypatch: pytest.MonkeyPatch) -> None:
        # Given a morning on record, and the command line pointed at the same database
        a_morning(desk, clock)
        as_of = last_recorded_at(desk).isoformat()
        monkeypatch.setenv("CIVICDESK_DATA_DIR", str(settings.data_dir))
        if settings.is_postgres:
            monkeypatch.setenv("CIVICDESK_DATABASE_URL", str(settings.database_url))
            monkeypatch.setenv("CIVICDESK_DATABASE_SCHEMA", str(settings.database_schema))
        for kind in ("html", "csv"):
            # When `civicdesk report --period 2026-03 --as-of T --format K -o FILE` runs
            written = tmp_path / f"report.{kind}"
            status = civicdesk(["report", "--period", MARCH, "--department", "public-works",
                                "--as-of", as_of, "--format", kind, "-o", str(written)])
            # Then it wrote exactly what the report renders to
            expected = render(produce_report(desk, CLERK, period=MARCH,
                                             department="public-works", as_of=as_of), kind)
            assert status == 0
            assert written.read_bytes() == expected

    def test_civicdesk_report_names_a_bad_period(
            self, desk: ServiceDesk, settings: Settings, monkeypatch: pytest.MonkeyPatch,
            capsys: pytest.CaptureFixture[str]) -> None:
        monkeypatch.setenv("CIVICDESK_DATA_DIR", str(settings.data_dir))
        if settings.is_postgres:
            monkeypatch.setenv("CIVICDESK_DATABASE_URL", str(settings.database_url))
            monkeypatch.setenv("CIVICDESK_DATABASE_SCHEMA", str(settings.database_schema))
        assert civicdesk(["report", "--period", "2026-Q5"]) == 2
        assert "period must be" in capsys.readouterr().err


class TestChainAnchor:
    def test_the_head_hash_is_the_chain_link_stored_at_the_head_position(
            self, desk: ServiceDesk, clock: MovableClock) -> None:
        # Given a morning on record, then more
        cases = a_morning(desk, clock)
        as_of, head = last_recorded_at(desk), desk.log_position()
        more_later(desk, clock, cases)
        # When the report is produced as of the end of the morning
        report = produce_report(desk, CLERK, period=MARCH, as_of=as_of)
        # Then it names the morning's last position and the link the log stores there
        [row] = list(chain_rows(desk, head, head))
        assert report.chain.head_position == head
        assert row.stored_link is not None
        assert report.chain.head_hash == row.stored_link.hex()

    def test_no_report_is_certified_over_a_tampered_log(
            self, desk: ServiceDesk, clock: MovableClock, settings: Settings) -> None:
        # Given a morning on record, and a link in the middle of the chain overwritten by
        # someone who disabled the append-only guard
        a_morning(desk, clock)
        overwrite_link(desk, settings, position=desk.log_position() // 2)
        # When a report is asked for, then it is refused
        with pytest.raises(LedgerNotIntact, match="fails verification"):
            produce_report(desk, CLERK, period=MARCH)


def overwrite_link(desk: ServiceDesk, settings: Settings, position: int) -> None:
    chain = desk.recorder.chain_table_name  # type: ignore[attr-defined]
    if settings.is_postgres:
        table = f"{settings.database_schema}.{chain}"
        with psycopg.connect(str(settings.database_url), autocommit=True) as connection:
            connection.execute(f"ALTER TABLE {table} DISABLE TRIGGER refuse_update_delete")
            connection.execute(f"UPDATE {table} SET link = %s WHERE notification_id = %s",
                               (bytes(32), position))
        return
    connection = sqlite3.connect(settings.sqlite_path, isolation_level=None)
    try:
        connection.execute(f"DROP TRIGGER {chain}_refuse_update")
        connection.execute(f"UPDATE {chain} SET link = zeroblob(32) WHERE notification_id = ?",
                           (position,))
    finally:
        connection.close()


class TestAgainstTheDemo:
    def test_a_year_of_demo_cases_is_reported_as_the_demo_recorded_it(
            self, desk: ServiceDesk) -> None:
        # Given 300 demo cases over the year to 4 March 2026
        summary = load_demo(desk, cases=300, seed=7)
        first, last = summary["from"][:10], summary["to"][:10]
        # When the report covers that whole span
        report = produce_report(desk, CLERK, first=first, last=last)
        # Then its counts are the demo's own, replayed from the log
        assert report.cases == summary["cases"]
        assert {c.channel: c.cases for c in report.channels if c.cases} == summary["by_channel"]
        assert report.first_contact.at_first_contact == summary["first_contact_resolutions"]
        assert len(report.complaints) == summary["complaints"]
        assert sum(1 for c in report.complaints if c.debrief) == summary["debriefs"]
        assert (report.transfers_of_cases.warm, report.transfers_of_cases.cold) == (
            summary["transfers"]["warm"], summary["transfers"]["cold"])
        assert report.effort.minutes == summary["effort_minutes"]
        assert sum(len(c.escalations) for c in report.complaints) == summary["escalations"]
        assert report.satisfaction.csat_responses <= summary["surveys"]
        assert msgspec.json.encode(report) == msgspec.json.encode(produce_report(
            desk, CLERK, first=first, last=last, as_of=report.as_of))
