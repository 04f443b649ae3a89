"""A published accountability report carries the signed checkpoint it is final at (JSON, CSV
and HTML), and `civicdesk verify --report` checks it against the log, on SQLite and
PostgreSQL: the checkpoint holds and the log as of the report's moment gives the same report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from api.reports import render
from application.desk import ServiceDesk
from infrastructure.accountability_source import produce_report
from infrastructure.checkpoints import sign_checkpoint, stored_checkpoints
from infrastructure.commit_time import last_commit_time
from infrastructure.settings import Settings
from tests.command_line import TEST_CHECKPOINT_SIGNER, civicdesk
from tests.integration.test_accountability_report import CLERK, MARCH, a_morning, receive

if TYPE_CHECKING:
    from datetime import datetime

    from tests.conftest import MovableClock


def a_final_report_moment(desk: ServiceDesk, clock: MovableClock, tmp_path: Path) -> datetime:
    """A morning on record, its last commit time T, one more receipt after T, and a
    checkpoint over all of it: the report as of T is final."""
    a_morning(desk, clock)
    as_of = last_commit_time(desk)
    assert as_of is not None
    receive(desk)
    assert sign_checkpoint(desk, TEST_CHECKPOINT_SIGNER, tmp_path / "witness").note is not None
    return as_of


def test_a_report_before_any_checkpoint_after_its_moment_is_provisional(
        desk: ServiceDesk, clock: MovableClock, tmp_path: Path) -> None:
    # given a morning and a checkpoint over it, but nothing committed after the moment
    a_morning(desk, clock)
    sign_checkpoint(desk, TEST_CHECKPOINT_SIGNER, tmp_path)
    report = produce_report(desk, CLERK, period=MARCH, as_of=last_commit_time(desk))
    # then the report carries no checkpoint, and its page says it is provisional
    assert report.checkpoint is None
    assert "Provisional." in render(report, "html").decode()


def test_a_final_report_carries_its_checkpoint_in_every_format(
        desk: ServiceDesk, clock: MovableClock, tmp_path: Path) -> None:
    # given a report whose moment a signed checkpoint has passed
    as_of = a_final_report_moment(desk, clock, tmp_path)
    report = produce_report(desk, CLERK, period=MARCH, as_of=as_of)
    # then it carries that checkpoint, in JSON, CSV and HTML
    [note] = stored_checkpoints(desk)
    assert report.checkpoint == note
    assert json.loads(render(report, "json"))["checkpoint"] == note
    page = render(report, "html").decode()
    assert "Final." in page and note.splitlines()[0] in page
    assert render(report, "csv") != b""


def test_verify_report_accepts_the_published_report_and_refuses_an_altered_one(
        settings: Settings, desk: ServiceDesk, clock: MovableClock, tmp_path: Path) -> None:
    # given the published JSON of a final report
    as_of = a_final_report_moment(desk, clock, tmp_path)
    published = tmp_path / "report.json"
    published.write_bytes(render(produce_report(desk, CLERK, period=MARCH, as_of=as_of),
                                 "json"))
    # when an auditor checks it against the log, then it holds
    checked = civicdesk(settings, "verify", "--report", str(published))
    assert checked.returncode == 0, checked.stderr
    assert f"OK: {published} is the log's report as of" in checked.stdout
    # and a copy whose case count was changed does not
    altered = json.loads(published.read_bytes())
    altered["cases"] += 1
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(altered))
    checked = civicdesk(settings, "verify", "--report", str(forged))
    assert checked.returncode == 1
    assert "gives another report" in checked.stderr and "cases" in checked.stderr


def test_verify_report_refuses_a_provisional_report_and_a_file_that_is_no_report(
        settings: Settings, desk: ServiceDesk, clock: MovableClock, tmp_path: Path) -> None:
    a_morning(desk, clock)
    provisional = tmp_path / "provisional.json"
    provisional.write_bytes(render(produce_report(desk, CLERK, period=MARCH), "json"))
    checked = civicdesk(settings, "verify", "--report", str(provisional))
    assert checked.returncode == 1 and "carries no checkpoint" in checked.stderr
    (tmp_path / "page.html").write_text("<html></html>")
    checked = civicdesk(settings, "verify", "--report", str(tmp_path / "page.html"))
    assert checked.returncode == 2 and "not an accountability report in JSON" in checked.stderr
