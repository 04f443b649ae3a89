"""The auditors' export on SQLite and PostgreSQL: every event as a JSON line with its position and
chain hash, and the proof that the live log still extends an earlier export unchanged."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

import pytest

from application.commands import ReceiveCase
from application.customers import Intake
from application.desk import ServiceDesk
from domain.actors import Actor, Role
from infrastructure import merkle
from infrastructure.access_log import AccessLog
from infrastructure.audit_export import (
    FIELDS,
    HASH_FIELDS,
    audit_records,
    verify_against,
    write_export,
)
from infrastructure.chain import leaf_bytes
from infrastructure.ledger import chain_rows, verify_log
from infrastructure.settings import Settings
from tests.command_line import civicdesk
from tests.commanding import change_case
from tests.tampering import Dba

if TYPE_CHECKING:
    from tests.conftest import MovableClock  # the `clock` fixture

CSR = Actor(id="csr-1", role=Role.CSR)


@dataclass(frozen=True)
class Recorded:
    pothole: UUID  # received, acknowledged, assigned, transferred
    permit: UUID  # received and acknowledged between the pothole's events
    export: Path  # the whole log, exported once all of it was recorded
    lines: list[dict[str, Any]]


def receive(desk: ServiceDesk, subject: str) -> UUID:
    return desk.handle(CSR, ReceiveCase(
        channel="email", purpose="issue_or_complaint", department="public-works",
        subject=subject, description=f"{subject}, reported by email",
        customer=Intake(personal={"name": "Ann Lee", "email": "ann@example.org"}))).case.id


def change(desk: ServiceDesk, clock: MovableClock, case_id: UUID, command: str,
           **arguments: Any) -> None:
    clock.advance(minutes=7)
    change_case(desk, CSR, case_id, command, expected_version=None, **arguments)


def read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def position_of(lines: list[dict[str, Any]], event_type: str) -> int:
    position: int = next(line["position"] for line in lines if line["type"] == event_type)
    return position


@pytest.fixture
def recorded(desk: ServiceDesk, clock: MovableClock, tmp_path: Path) -> Recorded:
    pothole = receive(desk, "Pothole on King St")
    change(desk, clock, pothole, "acknowledge", message="We have your report")
    permit = receive(desk, "Deck permit question")
    change(desk, clock, permit, "acknowledge", message="We will call you back")
    change(desk, clock, pothole, "assign", assignee="crew-7")
    change(desk, clock, pothole, "transfer", to_department="community", warm=True,
           handover_note="The path is in the park", customer_informed=True)
    export = tmp_path / "log.jsonl"
    write_export(desk, export)
    return Recorded(pothole, permit, export, read(export))


@pytest.fixture
def dba(settings: Settings, desk: ServiceDesk) -> Iterator[Dba]:
    with Dba(settings, desk) as database:
        yield database


# -- the export ---------------------------------------------------------------------------------


def test_an_export_holds_every_event_in_log_order_with_its_stored_chain_link(
        desk: ServiceDesk, recorded: Recorded) -> None:
    # given a recorded history, exported (the fixture)
    lines = recorded.lines
    # then there is one line per event, in log order, each with every field
    assert [line["position"] for line in lines] == list(range(1, desk.log_position() + 1))
    assert all(set(FIELDS) == set(line) for line in lines)
    # and each chain hash is the link stored for that event; the last is the verified head
    stored = {row.notification_id: row.stored_link for row in chain_rows(desk)}
    assert all(bytes.fromhex(line["chain_hash"]) == stored[line["position"]] for line in lines)
    assert lines[-1]["chain_hash"] == verify_log(desk).head_hash
    # and an event reads as the auditor's history shows it: type, who, when and what
    transfer = next(line for line in lines if line["type"] == "Case.Transferred")
    assert (transfer["originator_id"], transfer["topic"]) == (
        str(recorded.pothole), "domain.cases:Case.Transferred")
    assert (transfer["actor_id"], transfer["actor_role"]) == ("csr-1", "csr")
    assert transfer["occurred_at"].endswith("Z") and transfer["recorded_at"].endswith("Z")
    assert transfer["data"] == {"from_department": "public-works",
                                "to_department": "community", "warm": True,
                                "handover_note": "The path is in the park",
                                "customer_informed": True}


def test_a_range_of_positions_is_exported_inclusively(
        desk: ServiceDesk, recorded: Recorded) -> None:
    # given the whole export, when positions 5 to 9 are asked for, read two at a time
    part = list(audit_records(desk, start=5, stop=9, window=2))
    # then exactly those lines come, identical to the whole export's
    assert part == recorded.lines[4:9]


def test_one_cases_export_holds_its_events_with_their_log_positions_and_links(
        desk: ServiceDesk, recorded: Recorded, tmp_path: Path) -> None:
    # given a case whose events are interleaved with another case's
    path = tmp_path / "pothole.jsonl"
    # when only its events are exported
    summary = write_export(desk, path, case_id=recorded.pothole)
    # then they are the whole export's lines of that case, positions and hashes unchanged
    lines = read(path)
    assert lines == [line for line in recorded.lines
                     if line["originator_id"] == str(recorded.pothole)]
    assert [line["originator_version"] for line in lines] == list(range(1, len(lines) + 1))
    assert (summary.events, summary.head_position) == (len(lines), lines[-1]["position"])
    # and the permit's events sat between them
    assert any(lines[0]["position"] < line["position"] < lines[-1]["position"]
               for line in recorded.lines if line["originator_id"] == str(recorded.permit))


# -- verifying an export against the live log ---------------------------------------------------


def test_the_live_log_verifies_against_its_own_export(
        desk: ServiceDesk, recorded: Recorded) -> None:
    # given an export of the whole log, when the live log is checked against it
    verdict = verify_against(desk, recorded.export)
    # then every exported event is found unchanged
    assert verdict.ok and verdict.problem is None
    assert verdict.exported == len(recorded.lines) == desk.log_position()


def test_a_log_that_grew_since_the_export_still_extends_it(
        desk: ServiceDesk, clock: MovableClock, recorded: Recorded, tmp_path: Path) -> None:
    # given exports of the whole log and of one case
    pothole = tmp_path / "pothole.jsonl"
    write_export(desk, pothole, case_id=recorded.pothole)
    # when more is recorded, on that case and on a new one
    change(desk, clock, recorded.pothole, "resolve", resolution="Path regraded",
           at_first_contact=False)
    receive(desk, "Streetlight out")
    # then the live log, now further along, still extends both exports unchanged
    assert desk.log_position() > recorded.lines[-1]["position"]
    assert verify_against(desk, recorded.export).ok
    assert verify_against(desk, pothole).ok


def test_an_event_altered_after_the_export_is_reported_at_its_position(
        desk: ServiceDesk, recorded: Recorded, dba: Dba) -> None:
    # given a DBA who dropped the triggers after the export
    acknowledged = position_of(recorded.lines, "Case.Acknowledged")
    dba.drop_guard()
    # when they rewrite the acknowledgement's message, leaving its link as it was
    dba.rewrite(acknowledged, b"We have your report", b"We fixed it already")
    # then the live log no longer extends the export, from that event on
    verdict = verify_against(desk, recorded.export)
    assert not verdict.ok
    assert verdict.first_difference == acknowledged
    assert verdict.problem == "data differ from the export"
    assert verdict.exported == acknowledged - 1


def test_a_rechained_forgery_is_reported_at_the_first_rewritten_event(
        desk: ServiceDesk, recorded: Recorded, dba: Dba) -> None:
    # given a DBA who rewrote the acknowledgement and recomputed every later link
    acknowledged = position_of(recorded.lines, "Case.Acknowledged")
    dba.drop_guard()
    dba.rewrite(acknowledged, b"We have your report", b"We fixed it already")
    dba.rechain_from(acknowledged)
    assert verify_log(desk).ok  # the live walk alone passes
    # when the live log is checked against the earlier export
    verdict = verify_against(desk, recorded.export)
    # then the rewritten event is where the two part, link and data
    assert (verdict.ok, verdict.first_difference) == (False, acknowledged)
    assert verdict.problem == "chain_hash, data differ from the export"


def test_an_event_deleted_after_the_export_is_reported_as_missing(
        desk: ServiceDesk, recorded: Recorded, dba: Dba) -> None:
    # given a DBA who deleted the assignment and its link
    assigned = position_of(recorded.lines, "Case.Assigned")
    dba.drop_guard()
    dba.delete(assigned)
    # then the check stops there: the exported event is missing from the live log
    verdict = verify_against(desk, recorded.export)
    assert (verdict.ok, verdict.first_difference) == (False, assigned)
    assert verdict.problem == "the exported event is missing from the live log"


def test_a_truncated_tail_is_reported_at_the_first_event_missing(
        desk: ServiceDesk, recorded: Recorded, dba: Dba) -> None:
    # given a DBA who deleted the last event and its link: the live walk alone passes
    last = recorded.lines[-1]["position"]
    dba.drop_guard()
    dba.delete(last)
    assert verify_log(desk).ok
    # then the export shows the log ends too early
    verdict = verify_against(desk, recorded.export)
    assert (verdict.ok, verdict.first_difference) == (False, last)
    assert verdict.problem == "the live log ends before this exported event"


def test_an_event_of_another_case_altered_breaks_a_one_case_export(
        desk: ServiceDesk, recorded: Recorded, dba: Dba, tmp_path: Path) -> None:
    # given an export of the pothole's events only
    path = tmp_path / "pothole.jsonl"
    write_export(desk, path, case_id=recorded.pothole)
    # when the permit's acknowledgement, recorded between them, is rewritten
    permit_acknowledged = next(
        line["position"] for line in recorded.lines
        if line["originator_id"] == str(recorded.permit) and line["type"] == "Case.Acknowledged")
    dba.drop_guard()
    dba.rewrite(permit_acknowledged, b"We will call you back", b"Nobody called")
    # then the check fails there: the pothole's later links commit to every earlier event
    verdict = verify_against(desk, path)
    assert (verdict.ok, verdict.first_difference) == (False, permit_acknowledged)
    assert verdict.problem is not None and verdict.problem.startswith(
        "the live log's chain is broken there")


def test_an_edited_export_is_reported_at_the_edited_line(
        desk: ServiceDesk, recorded: Recorded, tmp_path: Path) -> None:
    # given an export whose transfer was edited after it was written, not the log
    transferred = position_of(recorded.lines, "Case.Transferred")
    edited = [dict(line) for line in recorded.lines]
    edited[transferred - 1]["data"] = {**edited[transferred - 1]["data"], "warm": False}
    path = tmp_path / "edited.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in edited))
    # then the check names the edited line's position and field
    verdict = verify_against(desk, path)
    assert (verdict.ok, verdict.first_difference) == (False, transferred)
    assert verdict.problem == "data differ from the export"


def test_an_export_that_is_not_json_lines_is_refused(
        desk: ServiceDesk, recorded: Recorded, tmp_path: Path) -> None:
    path = tmp_path / "broken.jsonl"
    path.write_text(recorded.export.read_text().replace("\n", "\n{broken\n", 1))
    verdict = verify_against(desk, path)
    assert (verdict.ok, verdict.first_difference) == (False, None)
    assert verdict.problem == "line 2 of the export is not JSON"


# -- the command line ----------------------------------------------------------------------------


def test_the_export_and_verify_against_commands_catch_a_later_alteration(
        desk: ServiceDesk, settings: Settings, recorded: Recorded, dba: Dba,
        tmp_path: Path) -> None:
    # given `civicdesk export` run on a recorded history (and the access log the server sets up)
    AccessLog(desk)
    path = tmp_path / "cli.jsonl"
    exported = civicdesk(settings, "export", "-o", str(path), "--content", "full", "--quiet")
    assert exported.returncode == 0, exported.stderr
    assert read(path) == recorded.lines
    head = recorded.lines[-1]
    assert exported.stdout.strip() == (
        f"Exported {len(recorded.lines)} events to {path}; head position {head['position']}; "
        f"head hash {head['chain_hash']}")
    # when `civicdesk verify --against` runs on the untouched log, then it passes
    intact = civicdesk(settings, "verify", "--against", str(path))
    assert intact.returncode == 0, intact.stderr
    assert intact.stdout.strip().splitlines()[-1] == (
        f"OK: the live log extends {path} unchanged ({len(recorded.lines)} exported events)")
    # and once a DBA rewrote and rechained the acknowledgement, it fails there
    acknowledged = position_of(recorded.lines, "Case.Acknowledged")
    dba.drop_guard()
    dba.rewrite(acknowledged, b"We have your report", b"We fixed it already")
    dba.rechain_from(acknowledged)
    altered = civicdesk(settings, "verify", "--against", str(path))
    assert altered.returncode == 1, altered.stdout
    assert altered.stderr.strip().splitlines()[-1] == (
        f"FAILED against {path} at position {acknowledged}: "
        "chain_hash, data differ from the export")


def test_the_export_command_writes_one_case_by_its_reference(
        desk: ServiceDesk, settings: Settings, recorded: Recorded, tmp_path: Path) -> None:
    reference = desk.get_case(CSR, recorded.pothole).reference
    AccessLog(desk)  # as the server sets it up
    path = tmp_path / "case.jsonl"
    result = civicdesk(settings, "export", "-o", str(path), "--case", reference,
                       "--content", "full", "--quiet")
    assert result.returncode == 0, result.stderr
    assert read(path) == [line for line in recorded.lines
                          if line["originator_id"] == str(recorded.pothole)]
    unknown = civicdesk(settings, "export", "-o", str(path), "--case", "SC-1999-000001")
    assert (unknown.returncode, unknown.stderr.strip()) == (2, "civicdesk: no case SC-1999-000001")


# -- the hash-only export -----------------------------------------------------------------------


def test_the_default_export_holds_hashes_and_metadata_and_nothing_personal(
        desk: ServiceDesk, settings: Settings, recorded: Recorded, tmp_path: Path) -> None:
    # given a recorded history with a resident's contact details, and no access log at all
    path = tmp_path / "hashes.jsonl"
    # when `civicdesk export` runs with no --content
    exported = civicdesk(settings, "export", "-o", str(path), "--quiet")
    # then every event is a line of metadata and hashes: no data, no actor id, no contact
    assert exported.returncode == 0, exported.stderr
    lines = read(path)
    assert [line["position"] for line in lines] == [line["position"] for line in recorded.lines]
    assert all(set(line) == set(HASH_FIELDS) for line in lines)
    text = path.read_text()
    assert "Ann Lee" not in text and "reported by email" not in text
    # and each leaf hash is the Merkle leaf of the stored event
    rows = {row.notification_id: row for row in chain_rows(desk)}
    assert all(line["leaf_hash"] == merkle.leaf_hash(leaf_bytes(rows[line["position"]])).hex()
               and line["state_sha256"] == hashlib.sha256(
                   rows[line["position"]].state or b"").hexdigest() for line in lines)


def test_verify_against_a_hash_only_export_catches_a_relinked_edit_at_its_position(
        desk: ServiceDesk, settings: Settings, recorded: Recorded, dba: Dba,
        tmp_path: Path) -> None:
    path = tmp_path / "hashes.jsonl"
    assert civicdesk(settings, "export", "-o", str(path), "--quiet").returncode == 0
    assert verify_against(desk, path).ok
    acknowledged = position_of(recorded.lines, "Case.Acknowledged")
    dba.drop_guard()
    dba.rewrite(acknowledged, b"We have your report", b"We fixed it already")
    dba.rechain_from(acknowledged)
    verdict = verify_against(desk, path)
    assert (verdict.ok, verdict.first_difference) == (False, acknowledged)
    assert verdict.problem == "chain_hash, leaf_hash, state_sha256 differ from the export"
