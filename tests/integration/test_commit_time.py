"""Commit time on SQLite and PostgreSQL: every event gets one under the chain's lock, strictly
increasing in log order (a clock stepping back does not reorder it), hashed into its link and
leaf; a report as of T selects by it, so a write stamped before T that commits after the
report ran does not change the report."""

from __future__ import annotations

import itertools
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from api.reports import render
from application.desk import ServiceDesk
from infrastructure.accountability_source import produce_report
from infrastructure.checkpoints import parse_checkpoint, sign_checkpoint
from infrastructure.commit_time import cut_at, last_commit_time, micros
from infrastructure.ledger import chain_rows, verify_log
from infrastructure.settings import Settings
from infrastructure.signed_note import Signer, open_note
from tests.integration.test_accountability_report import CLERK, MARCH, a_morning, receive
from tests.tampering import Dba

if TYPE_CHECKING:
    from tests.conftest import MovableClock

SIGNER = Signer.generate("town.example/civicdesk")


def test_a_write_stamped_before_as_of_that_commits_after_the_report_does_not_change_it(
        desk: ServiceDesk, clock: MovableClock) -> None:
    # given a morning on record, and a receipt whose events are stamped but wait to commit
    a_morning(desk, clock)
    with desk.committer.held():
        late = threading.Thread(target=receive, args=(desk,))
        late.start()
        while desk.committer.queued < 1:
            time.sleep(0.001)  # waiting for the thread to queue, not for a deadline
        as_of = datetime.now(UTC)
        # when the report as of now runs while that write has not committed
        before = produce_report(desk, CLERK, period=MARCH, as_of=as_of)
        assert not cut_at(desk, as_of).final  # nothing committed after as_of yet
    late.join(timeout=30)
    # then the late write was stamped before as_of, but committed after it
    [notification] = desk.recorder.select_notifications(desk.log_position(), 1)
    assert desk.mapper.to_domain_event(notification).timestamp < as_of
    committed = last_commit_time(desk)
    assert committed is not None and committed > as_of
    # and the report as of then is unchanged, byte for byte, and now final
    after = produce_report(desk, CLERK, period=MARCH, as_of=as_of)
    assert cut_at(desk, as_of).final
    assert (before.cases, after.cases) == (3, 3)
    for kind in ("json", "csv", "html"):
        assert render(after, kind) == render(before, kind), kind
    assert produce_report(desk, CLERK, period=MARCH).cases == 4


def test_commit_times_increase_strictly_in_log_order(desk: ServiceDesk,
                                                      clock: MovableClock) -> None:
    # given a morning on record
    a_morning(desk, clock)
    # then every event has a commit time, each after the one before, and the log verifies
    committed = [row.committed for row in chain_rows(desk)]
    assert None not in committed
    assert all(b > a for a, b in itertools.pairwise(committed))  # type: ignore[operator]
    assert verify_log(desk).ok


def test_a_clock_stepping_back_does_not_reorder_commit_times(
        settings: Settings, desk: ServiceDesk) -> None:
    if settings.is_postgres:
        pytest.skip("PostgreSQL takes commit times from its server's clock, which a test "
                    "cannot step back; the same GREATEST rule is in its trigger")
    # given a receipt while the clock reads 2030, then one after it stepped back to 2020
    recorder: Any = desk.recorder
    recorder.commit_clock = lambda: micros(datetime(2030, 1, 1, tzinfo=UTC)) * 1000
    receive(desk)
    first_head = desk.log_position()
    recorder.commit_clock = lambda: micros(datetime(2020, 1, 1, tzinfo=UTC)) * 1000
    receive(desk)
    # then the later events are committed one microsecond after another, after 2030
    rows = [row for row in chain_rows(desk) if row.notification_id >= first_head]
    assert rows[0].committed is not None
    assert rows[0].committed >= micros(datetime(2030, 1, 1, tzinfo=UTC))
    # each +1 µs: the clock (2020) is behind the previous commit time (2030)
    assert [row.committed for row in rows] == [rows[0].committed + n for n in range(len(rows))]
    assert verify_log(desk).ok


def test_an_altered_commit_time_is_caught_at_its_event(
        settings: Settings, desk: ServiceDesk, clock: MovableClock) -> None:
    # given a morning on record, and a DBA who moves one event's commit time back a second
    a_morning(desk, clock)
    position = desk.log_position() - 2
    with Dba(settings, desk) as dba:
        dba.drop_guard()
        dba.run(f"UPDATE {dba.chain} SET committed_at = committed_at - 1000000 "
                "WHERE notification_id = ?", position)
    # then verification fails at that event: its link covers its commit time
    verdict = verify_log(desk)
    assert (verdict.ok, verdict.first_bad_position) == (False, position)


def test_a_checkpoint_carries_the_commit_time_of_its_last_event(
        desk: ServiceDesk, clock: MovableClock, tmp_path: Path) -> None:
    # given a morning on record; when a checkpoint is signed
    a_morning(desk, clock)
    note = sign_checkpoint(desk, SIGNER, tmp_path).note
    assert note is not None
    # then it names the commit time of the log's newest event
    checkpoint = parse_checkpoint(open_note(note, [SIGNER.verifier]).text)
    assert checkpoint.committed == last_commit_time(desk)
    assert checkpoint.size == desk.log_position()
