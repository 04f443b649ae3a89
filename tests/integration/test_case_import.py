"""Importing past cases from a CSV export, on both databases: recorded once however often the
import runs, marked with their source, their times kept; a dry run refuses bad rows with the
row, the column and why; imported cases fire no deadline and owe no email for the past."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from application.desk import ServiceDesk
from application.scorecards import department_scorecard
from domain.actors import Actor, Role
from domain.cases import Case
from domain.errors import InvalidValue
from infrastructure.accountability_source import produce_report
from infrastructure.case_import import import_csv, mapping_named
from infrastructure.settings import Settings
from projections.outbox import OUTBOX_MODEL
from projections.pending_deadlines import PENDING_DEADLINES
from projections.scorecard import SCORECARD
from tests.command_line import civicdesk
from tests.conftest import MovableClock, running_projections
from tests.receiving import receive_at

IMPORTER = Actor(id="civicdesk-cli:clerk", role=Role.ADMIN)
CLERK = Actor(id="clerk-cy", role=Role.CLERK)
DIRECTOR = Actor(id="director-di", role=Role.DIRECTOR)
FIELDS = ["source_id", "received_at", "channel", "purpose", "department", "service_code",
          "subject", "description", "status", "resolved_at", "resolution", "closed_at"]
LONG_AGO = datetime(2023, 6, 1, 14, 0, tzinfo=UTC)  # well over a year before the clock


def row(number: int, status: str = "closed", **overrides: str) -> dict[str, str]:
    received = LONG_AGO + timedelta(hours=number)
    resolved = received + timedelta(days=2)
    fields = {"source_id": f"CAS-{number:06d}", "received_at": received.isoformat(),
              "channel": "email", "purpose": "information", "department": "public-works",
              "service_code": "", "subject": f"Old case {number}",
              "description": "From the old system", "status": status,
              "resolved_at": resolved.isoformat() if status != "open" else "",
              "resolution": "Answered" if status != "open" else "",
              "closed_at": (resolved + timedelta(days=1)).isoformat()
              if status == "closed" else ""}
    return {**fields, **overrides}


def export(path: Path, rows: list[dict[str, str]], fields: list[str] = FIELDS) -> Path:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_an_import_of_ten_thousand_rows_run_twice_records_each_case_once(
        desk: ServiceDesk, tmp_path: Path) -> None:
    # given an export of 10,000 cases: most closed, some resolved, some still open
    statuses = ["closed"] * 7 + ["resolved"] * 2 + ["open"]
    path = export(tmp_path / "cases.csv",
                  [row(n, statuses[n % 10]) for n in range(1, 10_001)])
    mapping = mapping_named("civicdesk")
    # when it is imported
    first = import_csv(desk, path, mapping, IMPORTER, bar=False)
    head = desk.log_position()
    # then every case is recorded, marked with its source and keeping its original times
    assert (first.imported, first.already, first.refused) == (10_000, 0, [])
    case = desk.repository.get(Case.create_id("IMP-CSV-CAS-000006"))
    assert isinstance(case, Case)
    assert (case.source_system, case.source_id, case.status) == ("CSV", "CAS-000006",
                                                                 "closed")
    assert case.received_at == LONG_AGO + timedelta(hours=6)
    assert case.closed_at == LONG_AGO + timedelta(hours=6, days=3)
    # (recorded now: its events' recording times are the import's, not the past's)
    assert case.modified_on > LONG_AGO + timedelta(days=365)
    # when the same export is imported again
    second = import_csv(desk, path, mapping, IMPORTER, bar=False)
    # then nothing more is recorded
    assert (second.imported, second.already, second.refused) == (0, 10_000, [])
    assert desk.log_position() == head


def test_a_dry_run_refuses_bad_rows_naming_row_and_column_and_records_nothing(
        desk: ServiceDesk, tmp_path: Path) -> None:
    # given an export with one good row and a bad one of each kind (rows numbered from 1
    # after the header)
    rows = [row(1),
            row(2, received_at="last Tuesday"),
            row(3, channel="carrier pigeon"),
            row(4, subject=""),
            row(5, department="no-such-department"),
            row(6, closed_at=(LONG_AGO - timedelta(days=30)).isoformat(), resolved_at=""),
            row(7, status="pending"),
            row(8, received_at="2099-01-01T00:00:00+00:00"),
            row(9, source_id="CAS-000001"),
            row(10, source_id="CAS 10/a")]
    path = export(tmp_path / "bad.csv", rows)
    head = desk.log_position()
    # when it is checked with a dry run
    summary = import_csv(desk, path, mapping_named("civicdesk"), IMPORTER, dry_run=True,
                         bar=False)
    # then the good row would be imported, each bad one is refused with its column
    assert (summary.rows, summary.imported) == (10, 1)
    assert [(r.row, r.column) for r in summary.refused] == [
        (2, "received_at"), (3, "channel"), (4, "subject"), (5, "department"),
        (6, "resolved_at"), (7, "status"), (8, "received_at"), (9, "source_id"),
        (10, "source_id")]
    assert "last Tuesday" in summary.refused[0].reason
    assert "row 1" in summary.refused[7].reason
    # and nothing is recorded
    assert desk.log_position() == head


def test_imported_cases_owe_no_email_and_fire_no_deadline_for_the_past(
        settings: Settings, desk: ServiceDesk, clock: MovableClock, tmp_path: Path) -> None:
    # given an export of a closed case and an open one, both received long ago
    path = export(tmp_path / "cases.csv", [row(1, "closed"), row(2, "open")])
    # when it is imported (the clock at 2026-03-04 15:00 UTC)
    import_csv(desk, path, mapping_named("civicdesk"), IMPORTER, bar=False)
    closed = desk.repository.get(Case.create_id("IMP-CSV-CAS-000001"))
    still_open = desk.repository.get(Case.create_id("IMP-CSV-CAS-000002"))
    # then the closed case carries no target, and the open one's run from the import: none
    # is due before it (an email is acknowledged within 2 business days: 16 business hours
    # from Wednesday 10:00 Toronto is Friday 10:00, 2026-03-06 15:00 UTC)
    assert closed.targets == {}
    assert still_open.targets and all(t.due_at > clock.now for t in still_open.targets.values())
    assert still_open.targets["acknowledge"].due_at == datetime(2026, 3, 6, 15, 0, tzinfo=UTC)
    with running_projections(settings, desk, OUTBOX_MODEL, PENDING_DEADLINES) as projections:
        projections.wait_for(desk.log_position())
        # and no acknowledgement is queued for either
        with projections.view(OUTBOX_MODEL.name).reading() as cursor:
            cursor.execute(f"SELECT COUNT(*) AS n FROM "
                           f"{projections.view(OUTBOX_MODEL.name).table('outbox')}")
            assert cursor.fetchone()["n"] == 0


def test_a_dynamics_365_export_is_read_through_its_mapping(
        desk: ServiceDesk, tmp_path: Path) -> None:
    # given a Dynamics 365 view exported to CSV (display names, US dates, Toronto time)
    fields = ["Case Number", "Case Title", "Description", "Origin", "Case Type", "Status",
              "Created On", "Resolved On", "Resolution", "Modified On",
              "Owning Business Unit"]
    path = export(tmp_path / "d365.csv", [
        {"Case Number": "CAS-01001-X1Y2Z3", "Case Title": "Missed pickup",
         "Description": "Bin not emptied", "Origin": "Phone", "Case Type": "Problem",
         "Status": "Resolved", "Created On": "03/15/2024 09:30 AM",
         "Resolved On": "03/18/2024 02:05 PM", "Resolution": "Picked up",
         "Modified On": "03/18/2024 02:05 PM", "Owning Business Unit": "public-works"}],
        fields)
    # when it is imported with the dynamics365 mapping
    summary = import_csv(desk, path, mapping_named("dynamics365"), IMPORTER, bar=False)
    # then the case is numbered by its source, its times read in Toronto time (EDT, -4 h)
    assert summary.refused == [] and summary.imported == 1
    case = desk.repository.get(Case.create_id("IMP-D365-CAS-01001-X1Y2Z3"))
    assert (case.channel, case.purpose, case.status) == ("telephone", "issue_or_complaint",
                                                         "resolved")
    assert case.received_at == datetime(2024, 3, 15, 13, 30, tzinfo=UTC)
    assert case.resolved_at == datetime(2024, 3, 18, 18, 5, tzinfo=UTC)


def test_the_import_command_reports_refusals_and_exits_1(
        settings: Settings, desk: ServiceDesk, tmp_path: Path) -> None:
    # given an export with a good row and a bad one
    path = export(tmp_path / "cases.csv", [row(1), row(2, channel="fax machine")])
    # when the command checks it with a dry run
    checked = civicdesk(settings, "import", "--format", "csv", "--dry-run", str(path))
    # then it names the row and column, and records nothing
    assert checked.returncode == 1, checked.stderr
    assert "row 2, column channel:" in checked.stdout
    assert '"imported": 1' in checked.stdout and '"dry_run": true' in checked.stdout
    # and an unknown mapping is an operator's mistake (exit 2)
    wrong = civicdesk(settings, "import", "--mapping", "oracle", str(path))
    assert wrong.returncode == 2 and "oracle" in wrong.stderr


def test_reports_leave_imported_cases_out_unless_asked(
        settings: Settings, desk: ServiceDesk, clock: MovableClock, tmp_path: Path) -> None:
    # given two cases imported as received in February 2026, and one the desk received then
    path = export(tmp_path / "cases.csv", [
        row(1, received_at="2026-02-10T15:00:00+00:00", resolved_at="2026-02-11T15:00:00+00:00",
            closed_at="2026-02-12T15:00:00+00:00"),
        row(2, received_at="2026-02-11T15:00:00+00:00", resolved_at="2026-02-12T15:00:00+00:00",
            closed_at="2026-02-13T15:00:00+00:00")])
    import_csv(desk, path, mapping_named("civicdesk"), IMPORTER, bar=False)
    receive_at(desk, clock, datetime(2026, 2, 16, 15, 0, tzinfo=UTC))
    clock.now = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
    # when the accountability report for February is made, then by default it counts the
    # desk's one case, and with include_imported all three
    assert produce_report(desk, CLERK, period="2026-02").cases == 1
    every = produce_report(desk, CLERK, period="2026-02", include_imported=True)
    assert (every.cases, every.include_imported) == (3, True)
    # and the scorecard likewise
    with running_projections(settings, desk, SCORECARD) as projections:
        projections.wait_for(desk.log_position())
        view = projections.view(SCORECARD.name)
        for include, expected in ((False, 1), (True, 3)):
            card = department_scorecard(view, DIRECTOR, department=None, period="2026-02",
                                        now=clock.now, include_imported=include)
            assert card.cases == expected


def test_a_mapping_file_extends_a_built_in_one_and_a_wrong_one_is_refused(
        tmp_path: Path) -> None:
    # given a file that starts from the Dynamics 365 mapping and adds the Town's words
    town = tmp_path / "town.json"
    town.write_text('{"extends": "dynamics365", "values": {"department": '
                    '{"Public Works": "public-works"}, "channel": {"Walk-in": "in_person"}}}')
    # when it is read, then it keeps the built-in columns and words and adds its own
    mapping = mapping_named(str(town))
    assert mapping.source_system == "D365" and mapping.columns["source_id"] == "Case Number"
    assert mapping.values["channel"]["Phone"] == "telephone"
    assert mapping.values["channel"]["Walk-in"] == "in_person"
    assert mapping.values["department"] == {"Public Works": "public-works"}
    # and a mapping naming a field cases do not have, or lacking a required one, is refused
    for wrong in ('{"source_system": "X", "columns": {"colour": "Colour"}}',
                  '{"source_system": "X", "columns": {"subject": "Title"}}'):
        town.write_text(wrong)
        with pytest.raises(InvalidValue) as refused:
            mapping_named(str(town))
        assert refused.value.field == "mapping"
