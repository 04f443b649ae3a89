"""The access log on both databases: its `fields` column added to older tables, disclosures
written in the transaction that saves a command's events, and the reading commands logged."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

import pytest

from application.commands import ReceiveCase
from application.customers import Intake
from application.desk import ServiceDesk
from domain.actors import Actor, Role
from infrastructure.access_log import TABLE, AccessLog, DisclosureNotRecorded
from infrastructure.settings import Settings
from tests.command_line import civicdesk
from tests.commanding import change_case
from tests.tampering import Dba

if TYPE_CHECKING:
    from tests.conftest import MovableClock

CSR = Actor(id="csr-1", role=Role.CSR)


def receive(desk: ServiceDesk, subject: str = "Pothole on King St") -> UUID:
    return desk.handle(CSR, ReceiveCase(
        channel="email", purpose="issue_or_complaint", department="public-works",
        subject=subject, description="Deep, by the school",
        customer=Intake(personal={"name": "Ann Lee", "email": "ann@example.org"}))).case.id


@pytest.fixture
def dba(settings: Settings, desk: ServiceDesk) -> Iterator[Dba]:
    with Dba(settings, desk) as database:
        yield database


def table(settings: Settings) -> str:
    return f"{settings.database_schema}.{TABLE}" if settings.is_postgres else TABLE


class TestTheFieldsColumn:
    def test_a_table_made_before_fields_gets_the_column_and_keeps_its_rows(
            self, desk: ServiceDesk, settings: Settings, dba: Dba) -> None:
        # given an access log as older versions made it, without `fields`, with one row
        case_id = receive(desk)
        id_, at, kind = (("bigserial", "timestamptz", "uuid") if settings.is_postgres
                         else ("INTEGER", "TEXT", "TEXT"))
        dba.run(f"CREATE TABLE {table(settings)} (id {id_} PRIMARY KEY, at {at} NOT NULL, "
                "actor_id TEXT NOT NULL, actor_role TEXT NOT NULL, "
                f"case_id {kind} NOT NULL, route TEXT NOT NULL)")
        dba.run(f"INSERT INTO {table(settings)} (at, actor_id, actor_role, case_id, route) "
                "VALUES ('2026-03-01T10:00:00+00:00', 'old', 'staff', ?, 'GET /old')",
                str(case_id))
        # when this version sets it up, twice (every start does)
        AccessLog(desk)
        log = AccessLog(desk)
        # then the old row is there with no fields named, and new rows name theirs
        log.record(CSR, case_id, "GET /new", ("subject", "contact"))
        rows = [d for _, d in log.disclosures(case_id=case_id)]
        assert [(d.route, d.fields) for d in rows] == [("GET /old", ""),
                                                       ("GET /new", "subject,contact")]


class TestDisclosuresOfWrites:
    def test_a_commands_disclosure_is_saved_with_its_events(self, desk: ServiceDesk) -> None:
        # given the access log; when a command runs inside a disclosing write
        log = AccessLog(desk)
        with log.disclosing_writes(CSR, "POST /api/v1/cases", ("contact",)) as pending:
            case_id = receive(desk)
        # then its disclosure is logged, written by the save itself
        assert pending.written == {case_id}
        [(_, disclosure)] = log.disclosures(case_id=case_id)
        assert (disclosure.actor_id, disclosure.route, disclosure.fields) == (
            "csr-1", "POST /api/v1/cases", "contact")

    def test_when_the_access_log_cannot_be_written_the_command_is_not_saved(
            self, desk: ServiceDesk, settings: Settings, dba: Dba) -> None:
        # given a case, and an access log that refuses rows
        log = AccessLog(desk)
        case_id = receive(desk)
        dba.break_access_log()
        position, version = desk.log_position(), desk.get_case(CSR, case_id).version
        # when a command whose answer discloses the case runs
        with pytest.raises(DisclosureNotRecorded), \
                log.disclosing_writes(CSR, "POST /acknowledge", ("contact",)):
            change_case(desk, CSR, case_id, "acknowledge", expected_version=None,
                        message="We have it")
        # then nothing was saved: no answer can be a 500 for a write that was saved
        assert desk.log_position() == position
        assert desk.get_case(CSR, case_id).version == version
        # and a plain read's disclosure is refused too
        with pytest.raises(DisclosureNotRecorded):
            log.record(CSR, case_id, "GET /case", ("contact",))


class TestTheReadingCommands:
    def test_history_is_logged_with_the_fields_it_shows(
            self, desk: ServiceDesk, settings: Settings) -> None:
        # given a case, and the access log as the server sets it up
        case_id = receive(desk)
        reference = desk.get_case(CSR, case_id).reference
        log = AccessLog(desk)
        # when an operator reads its history on the command line
        shown = civicdesk(settings, "history", reference)
        # then the disclosure is logged, with the operator and the fields shown
        assert shown.returncode == 0, shown.stderr
        [(_, disclosure)] = log.disclosures(case_id=case_id)
        assert disclosure.actor_id.startswith("civicdesk-cli")
        assert (disclosure.actor_role, disclosure.route) == ("auditor", "civicdesk history")
        assert disclosure.fields == "subject,description,contact,accessibility_needs,events"

    def test_history_without_an_access_log_shows_nothing_and_creates_no_table(
            self, desk: ServiceDesk, settings: Settings, dba: Dba) -> None:
        # given a database whose access log was never set up
        reference = desk.get_case(CSR, receive(desk)).reference
        # when an operator reads a case's history
        shown = civicdesk(settings, "history", reference)
        # then it refuses, shows nothing personal, and leaves the tables as they were
        assert shown.returncode == 1 and shown.stdout == ""
        assert "access log" in shown.stderr
        if settings.is_postgres:
            assert dba.run("SELECT to_regclass(?)", table(settings)) == [(None,)]
        else:
            assert dba.run("SELECT name FROM sqlite_master WHERE name = ?", TABLE) == []

    def test_export_logs_every_case_it_writes(self, desk: ServiceDesk, settings: Settings,
                                              tmp_path: Path) -> None:
        # given two cases and the access log the server sets up
        cases = {receive(desk, "Pothole"), receive(desk, "Deck permit")}
        log = AccessLog(desk)
        # when the whole log is exported
        path = tmp_path / "log.jsonl"
        exported = civicdesk(settings, "export", "-o", str(path), "--content", "full", "--quiet")
        assert exported.returncode == 0, exported.stderr
        # then each case written is logged once, as its events
        rows = [d for _, d in log.disclosures()]
        assert {d.case_id for d in rows} == cases and len(rows) == 2
        assert {(d.route, d.fields) for d in rows} == {("civicdesk export", "events")}
        assert {json.loads(line)["originator_id"] for line in path.read_text().splitlines()
                } >= {str(c) for c in cases}

    def test_export_without_an_access_log_exports_nothing_and_creates_no_table(
            self, desk: ServiceDesk, settings: Settings, dba: Dba, tmp_path: Path) -> None:
        # given a database whose access log was never set up
        receive(desk)
        path = tmp_path / "log.jsonl"
        # when the export runs
        exported = civicdesk(settings, "export", "-o", str(path), "--content", "full", "--quiet")
        # then it refuses, writes no file, and leaves the tables as they were
        assert exported.returncode == 1, exported.stdout
        assert "access log" in exported.stderr
        assert not path.exists() and not list(tmp_path.glob(".log.jsonl*"))
        if settings.is_postgres:
            assert dba.run("SELECT to_regclass(?)", table(settings)) == [(None,)]
        else:
            assert dba.run("SELECT name FROM sqlite_master WHERE name = ?", TABLE) == []

    def test_export_stops_when_the_access_log_refuses(
            self, desk: ServiceDesk, settings: Settings, dba: Dba, tmp_path: Path,
            clock: MovableClock) -> None:
        receive(desk)
        AccessLog(desk)
        dba.break_access_log()
        path = tmp_path / "log.jsonl"
        exported = civicdesk(settings, "export", "-o", str(path), "--content", "full", "--quiet")
        assert exported.returncode == 1 and not path.exists()
