"""The access log is a ledger on both databases: its entries are chained, so an edited,
deleted or reordered entry is caught at its id; a relinked or cut-off access log is caught
against a checkpoint signed before (checkpoints carry its head); and concurrent reads' entries
are written by group commit, each read returning only once its entry is committed."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID, uuid4

import pytest

from application.desk import ServiceDesk
from domain.actors import Actor, Role
from infrastructure.access_chain import access_link, stored_entry
from infrastructure.access_log import (
    TABLE,
    AccessLog,
    DamagedAccessLog,
    DisclosureNotRecorded,
    verify_access_log,
)
from infrastructure.chain import GENESIS
from infrastructure.checkpoint_check import check_checkpoints
from infrastructure.checkpoints import parse_checkpoint, sign_checkpoint
from infrastructure.settings import Settings
from infrastructure.signed_note import Signer, open_note
from tests.command_line import civicdesk
from tests.tampering import Dba

if TYPE_CHECKING:
    from tests.conftest import MovableClock

SIGNER = Signer.generate("town.example/civicdesk")
STAFF = Actor(id="staff-1", role=Role.STAFF)


@pytest.fixture
def access_log(desk: ServiceDesk, clock: MovableClock) -> AccessLog:
    """An access log of five entries (ids 1 to 5), a minute apart."""
    log = AccessLog(desk)
    for n in range(5):
        log.record(STAFF, uuid4(), f"GET /api/v1/cases/{n}", ("subject", "contact"))
        clock.advance(minutes=1)
    return log


@pytest.fixture
def dba(settings: Settings, desk: ServiceDesk) -> Iterator[Dba]:
    with Dba(settings, desk) as database:
        yield database


def table(settings: Settings) -> str:
    return f"{settings.database_schema}.{TABLE}" if settings.is_postgres else TABLE


def unguard(dba: Dba, settings: Settings) -> None:
    """Drop the access log's append-only triggers, as whoever holds the owner's password can."""
    if settings.is_postgres:
        dba.run(f"DROP TRIGGER refuse_update_delete ON {table(settings)}")
    else:
        for operation in ("update", "delete"):
            dba.run(f"DROP TRIGGER {TABLE}_refuse_{operation}")


def relink(dba: Dba, settings: Settings) -> None:
    """Recompute every entry's link over the entries as they now are (covering a tamper)."""
    previous = GENESIS
    columns = "id, at, actor_id, actor_role, case_id, route, fields"
    for values in dba.run(f"SELECT {columns} FROM {table(settings)} ORDER BY id"):
        entry = stored_entry(dict(zip(columns.split(", "), values, strict=True)))
        assert entry is not None
        previous = access_link(previous, entry)
        dba.run(f"UPDATE {table(settings)} SET link = ? WHERE id = ?", previous, values[0])


def test_an_intact_access_log_verifies_to_its_last_entry(access_log: AccessLog,
                                                           desk: ServiceDesk) -> None:
    # when the access log of five entries is walked
    verdict, _ = verify_access_log(desk)
    # then every entry links, and the head is the last one
    assert (verdict.ok, verdict.entries, verdict.head_id) == (True, 5, 5)
    assert verdict.head_link == access_log.head()[1]


@pytest.mark.parametrize(("tamper", "caught_at"), [
    ("UPDATE {table} SET route = 'GET /elsewhere' WHERE id = 3", 3),  # edited
    ("DELETE FROM {table} WHERE id = 3", 4),  # deleted: the next entry no longer links
    ("UPDATE {table} SET link = NULL WHERE id = 2", 2),  # unlinked
])
def test_a_tampered_entry_is_caught_at_its_position(
        access_log: AccessLog, desk: ServiceDesk, settings: Settings, dba: Dba, tamper: str,
        caught_at: int) -> None:
    # given the access log, its guard dropped and one entry tampered with
    unguard(dba, settings)
    dba.run(tamper.format(table=table(settings)))
    # when it is walked
    verdict, _ = verify_access_log(desk)
    # then the walk fails at that entry
    assert (verdict.ok, verdict.first_bad_id) == (False, caught_at)


def test_entries_swapped_and_relinked_pass_the_chain_but_not_a_checkpoint_signed_before(
        access_log: AccessLog, desk: ServiceDesk, settings: Settings, dba: Dba,
        tmp_path: Path) -> None:
    # given a checkpoint that covers the five entries
    signed = sign_checkpoint(desk, SIGNER, tmp_path)
    assert signed.note is not None
    assert parse_checkpoint(open_note(signed.note, [SIGNER.verifier]).text).access_log == \
        access_log.head()
    # when entries 2 and 4 swap routes and the whole access log is relinked
    unguard(dba, settings)
    [(second,)] = dba.run(f"SELECT route FROM {table(settings)} WHERE id = 2")
    [(fourth,)] = dba.run(f"SELECT route FROM {table(settings)} WHERE id = 4")
    dba.run(f"UPDATE {table(settings)} SET route = ? WHERE id = 2", fourth)
    dba.run(f"UPDATE {table(settings)} SET route = ? WHERE id = 4", second)
    relink(dba, settings)
    # then the chain alone holds, but the checkpoint does not
    assert verify_access_log(desk)[0].ok
    [verdict] = check_checkpoints(desk, [("published", signed.note)], [SIGNER.verifier])
    assert not verdict.ok
    assert verdict.problem is not None
    assert "access log's entries up to entry 5" in verdict.problem
    assert "after entry 0 and at or before entry 5" in verdict.problem


def test_an_access_log_cut_off_after_a_checkpoint_is_caught_against_it(
        access_log: AccessLog, desk: ServiceDesk, settings: Settings, dba: Dba,
        tmp_path: Path) -> None:
    # given a checkpoint over the five entries, then entry 6 and a second checkpoint
    first = sign_checkpoint(desk, SIGNER, tmp_path).note
    access_log.record(STAFF, uuid4(), "GET /api/v1/cases/6", ("subject",))
    second = sign_checkpoint(desk, SIGNER, tmp_path).note
    assert first is not None and second is not None
    # when the last two entries are deleted
    unguard(dba, settings)
    dba.run(f"DELETE FROM {table(settings)} WHERE id >= 5")
    # then the chain holds (to entry 4), and both checkpoints say the end was cut off
    assert verify_access_log(desk)[0].ok
    verdicts = check_checkpoints(desk, [("first", first), ("second", second)],
                                 [SIGNER.verifier])
    assert [v.ok for v in verdicts] == [False, False]
    assert "no entry 5 any more" in str(verdicts[0].problem)
    assert "no entry 6 any more" in str(verdicts[1].problem)


def test_the_checkpointer_signs_when_only_the_access_log_grew(
        access_log: AccessLog, desk: ServiceDesk, tmp_path: Path) -> None:
    # given a checkpoint; when only a read is logged since
    assert sign_checkpoint(desk, SIGNER, tmp_path).note is not None
    access_log.record(STAFF, uuid4(), "GET /api/v1/cases/7", ("subject",))
    note = sign_checkpoint(desk, SIGNER, tmp_path).note
    # then a new checkpoint carries the new head (entry 6)
    assert note is not None
    assert parse_checkpoint(open_note(note, [SIGNER.verifier]).text).access_log == \
        access_log.head()
    assert access_log.head()[0] == 6


def test_verify_reports_the_access_log_and_where_it_breaks(
        access_log: AccessLog, settings: Settings, dba: Dba) -> None:
    # given an intact access log, verify says so
    shown = civicdesk(settings, "verify")
    assert "OK: access log: 5 entries; head entry 5" in shown.stdout
    # when entry 3 is edited, verify fails there
    unguard(dba, settings)
    dba.run(f"UPDATE {table(settings)} SET actor_id = 'someone-else' WHERE id = 3")
    shown = civicdesk(settings, "verify")
    assert shown.returncode == 1
    assert "FAILED at access-log entry 3" in shown.stderr


def test_an_entry_that_cannot_be_read_back_is_a_damaged_log_not_a_crash(
        access_log: AccessLog, desk: ServiceDesk, settings: Settings, dba: Dba) -> None:
    # given entry 2 rewritten to a value the application never writes
    unguard(dba, settings)
    dba.run(f"UPDATE {table(settings)} SET at = 'infinity' WHERE id = 2" if settings.is_postgres
            else f"UPDATE {table(settings)} SET case_id = 'not a case' WHERE id = 2")
    # then the walk fails at it, and listing disclosures names it as a damaged log
    verdict, _ = verify_access_log(desk)
    assert (verdict.ok, verdict.first_bad_id) == (False, 2)
    with pytest.raises(DamagedAccessLog, match="inconsistent at entry 2"):
        access_log.disclosures()


class TestGroupCommit:
    def test_concurrent_reads_share_one_transaction_and_return_once_it_commits(
            self, desk: ServiceDesk) -> None:
        # given the writer held (a batch being written), and eight readers lining up
        log = AccessLog(desk)
        before = log.writer.transactions
        cases = [uuid4() for _ in range(8)]
        returned: list[UUID] = []

        def read(case: UUID) -> None:
            log.record(STAFF, case, "GET /api/v1/cases/x", ("subject",))
            # a read returns only with its entry committed: visible on another connection
            assert [d.case_id for _, d in log.disclosures(case_id=case)] == [case]
            returned.append(case)

        with log.writer.held():
            readers = [threading.Thread(target=read, args=(c,)) for c in cases]
            for reader in readers:
                reader.start()
            while log.writer.queued < len(cases):
                time.sleep(0.001)  # waiting for threads to queue, not for a deadline
            assert returned == []
        for reader in readers:
            reader.join(timeout=30)
        # then all eight entries were written in one transaction, chained in order
        assert sorted(returned) == sorted(cases)
        assert log.writer.transactions == before + 1
        assert verify_access_log(desk)[0].entries == 8

    def test_a_batch_that_cannot_be_written_answers_no_reader_and_writes_nothing(
            self, desk: ServiceDesk, settings: Settings, dba: Dba) -> None:
        # given an access log that refuses rows, and three readers in one batch
        log = AccessLog(desk)
        dba.break_access_log()
        failures: list[BaseException] = []

        def read() -> None:
            try:
                log.record(STAFF, uuid4(), "GET /api/v1/cases/x", ("subject",))
            except DisclosureNotRecorded as error:
                failures.append(error)

        with log.writer.held():
            readers = [threading.Thread(target=read) for _ in range(3)]
            for reader in readers:
                reader.start()
            while log.writer.queued < 3:
                time.sleep(0.001)
        for reader in readers:
            reader.join(timeout=30)
        # then every reader is refused (none answered) and nothing was written
        dba.mend_access_log()
        assert len(failures) == 3
        assert log.disclosures() == []
