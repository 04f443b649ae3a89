"""Events signed by the application, on SQLite and PostgreSQL: a row inserted with the
database's own credentials (linked correctly by the chain's own trigger, or relinked by hand)
is reported unsigned at its position, and the checkpointer will not sign over it."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import uuid4

import pytest

from application.desk import ServiceDesk
from infrastructure.bootstrap import build_desk, seed_catalogue
from infrastructure.checkpoints import sign_checkpoint
from infrastructure.event_signatures import check_signatures
from infrastructure.ledger import verify_log
from infrastructure.signed_note import Signer
from tests.command_line import TEST_CHECKPOINT_SIGNER, civicdesk
from tests.integration.test_tamper_evidence import History, record_history
from tests.tampering import Dba

if TYPE_CHECKING:
    from infrastructure.settings import Settings
    from tests.conftest import MovableClock


@pytest.fixture
def signing(settings: Settings, clock: MovableClock) -> Iterator[ServiceDesk]:
    """A desk built with the test processes' checkpoint key: it signs what it appends."""
    desk = build_desk(dataclasses.replace(settings, checkpoint_key=str(TEST_CHECKPOINT_SIGNER)),
                      clock=clock)
    seed_catalogue(desk)
    yield desk
    desk.close()


@pytest.fixture
def history(signing: ServiceDesk, clock: MovableClock) -> History:
    return record_history(signing, clock)


def forge_at_the_end(db: Dba, desk: ServiceDesk, history: History) -> int:
    """An event appended by SQL; on PostgreSQL the chain's trigger links it, on SQLite the
    forger links it by the public formula."""
    position = history.published.head_position + 1
    db.insert_event(position, uuid4(), 1, "domain.cases:Case.Closed", b"{}")
    if not db.postgres:
        db.run(f"INSERT INTO {db.chain} (notification_id, link, committed_at) VALUES "
               f"(?, ?, (SELECT MAX(committed_at) + 1 FROM {db.chain}))", position, bytes(32))
        db.rechain_from(position)
    return position


def test_every_batch_the_desk_appends_is_signed(signing: ServiceDesk, history: History) -> None:
    verdict = check_signatures(signing, [TEST_CHECKPOINT_SIGNER.verifier])
    assert verdict.ok and verdict.signed_batches > 0


def test_an_event_inserted_by_sql_with_a_correct_link_is_reported_unsigned(
        settings: Settings, signing: ServiceDesk, history: History) -> None:
    # given a forger who can insert into the events table (the runtime role can)
    with Dba(settings, signing) as db:
        if not db.postgres:
            db.drop_guard()
        position = forge_at_the_end(db, signing, history)
    # then the chain verifies, but the forged event is reported unsigned at its position
    assert verify_log(signing).ok
    verdict = check_signatures(signing, [TEST_CHECKPOINT_SIGNER.verifier])
    assert (verdict.ok, verdict.first_bad_position) == (False, position)
    assert "not signed by the application" in (verdict.problem or "")
    # and `civicdesk verify` fails there
    result = civicdesk(settings, "verify")
    assert result.returncode == 1
    assert f"FAILED at position {position}: its event is not signed" in result.stderr


def test_the_checkpointer_will_not_sign_over_an_unsigned_event(
        settings: Settings, signing: ServiceDesk, history: History, tmp_path: Path) -> None:
    with Dba(settings, signing) as db:
        if not db.postgres:
            db.drop_guard()
        position = forge_at_the_end(db, signing, history)
    signed = sign_checkpoint(signing, TEST_CHECKPOINT_SIGNER, tmp_path)
    assert signed.note is None and signed.broken_position == position


def test_an_unsigned_event_is_logged_at_error_and_shown_by_ready_and_metrics(
        settings: Settings, signing: ServiceDesk, history: History, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    from litestar.testing import TestClient

    from api.app import create_app
    from api.dependencies import served
    from infrastructure.checkpointer import Checkpointer
    from infrastructure.checkpoints import stored_checkpoints
    from tests.api.test_metrics import scrape, value

    # given a server's checkpointer, and a row inserted with the database's own credentials
    checkpointer = Checkpointer(dataclasses.replace(settings, checkpoint_dir=tmp_path),
                                signing, TEST_CHECKPOINT_SIGNER)
    with Dba(settings, signing) as db:
        if not db.postgres:
            db.drop_guard()
        position = forge_at_the_end(db, signing, history)
    # when the checkpointer's round comes
    with caplog.at_level(logging.ERROR, logger="civicdesk.ledger"):
        checkpointer.run_once()
    # then it signs nothing, says so at ERROR, and /ready and /metrics name the position
    assert stored_checkpoints(signing) == []
    assert f"did not sign is in the log at position {position}" in caplog.text
    app = create_app(dataclasses.replace(settings, run_projections=False), desk=signing)
    with TestClient(app) as client:
        served(app).services.checkpointer = checkpointer  # once started: only the test runs it
        assert value(scrape(client), "civicdesk_ledger_unsigned_position") == position
        ready = client.get("/ready").json()
        assert f"did not sign is at position {position}" in ready["ledger"]


def test_an_edited_signed_event_fails_its_batch_signature(
        settings: Settings, signing: ServiceDesk, history: History) -> None:
    with Dba(settings, signing) as db:
        db.drop_guard()
        db.set(history.transferred, "topic", "domain.cases:Case.Closed")
        db.rechain_from(history.transferred)
    verdict = check_signatures(signing, [TEST_CHECKPOINT_SIGNER.verifier])
    assert (verdict.ok, verdict.first_bad_position) == (False, history.transferred)
    stranger = check_signatures(signing, [Signer.generate("x").verifier])
    assert not stranger.ok and "unknown key" in (stranger.problem or "")


def signed_rows(db: Dba) -> list[tuple[int, bytes]]:
    return [(n, bytes(blob)) for n, blob in db.run(
        f"SELECT notification_id, signature FROM {db.chain} WHERE signature IS NOT NULL "
        "ORDER BY notification_id")]


def test_each_batch_is_signed_in_the_chain_row_of_its_last_event_and_nowhere_else(
        settings: Settings, signing: ServiceDesk, history: History) -> None:
    # given a desk that signs, which has appended the catalogue and a history of commands
    with Dba(settings, signing) as db:
        positions = sorted(n for n in db.links())
        signed = signed_rows(db)
        old_rows = db.run(f"SELECT COUNT(*) FROM {db.events}_signatures")[0][0]
    # then nothing went to the signatures table, and the signed rows' batch sizes (bytes 4-8:
    # key id, size, signature) tile the log exactly: each signed row ends its batch
    assert old_rows == 0
    assert len(signed) == check_signatures(signing, [TEST_CHECKPOINT_SIGNER.verifier]) \
        .signed_batches
    tiled, covered = 0, []
    for position, blob in signed:
        assert blob[:4] == TEST_CHECKPOINT_SIGNER.verifier.id and len(blob) == 4 + 4 + 64
        size = int.from_bytes(blob[4:8], "big")
        covered += positions[tiled:tiled + size]
        tiled += size
        assert covered[-1] == position
    assert covered == positions


def test_a_batch_signature_copied_onto_a_forged_row_does_not_sign_it(
        settings: Settings, signing: ServiceDesk, history: History) -> None:
    # given a forger who appends an event by SQL and gives its chain row the signature of the
    # last one-event batch the desk signed
    with Dba(settings, signing) as db:
        if not db.postgres:
            db.drop_guard()
        position = forge_at_the_end(db, signing, history)
        copied = next(blob for _, blob in reversed(signed_rows(db))
                      if int.from_bytes(blob[4:8], "big") == 1)
        update_chain(db, signing, "SET signature = ? WHERE notification_id = ?", copied,
                     position)
    # then the signature does not hold over it, at its position
    verdict = check_signatures(signing, [TEST_CHECKPOINT_SIGNER.verifier])
    assert (verdict.ok, verdict.first_bad_position) == (False, position)
    assert "not those the application signed" in (verdict.problem or "")


def to_the_old_format(settings: Settings, desk: ServiceDesk) -> int:
    """Rewrite the log as civicdesk kept it before signatures moved into the chain: each batch
    a row of the signatures table (SQLite: version 2 over the link at its last event, the
    same message; PostgreSQL: version 1 over its leaves, as its recorder signed then) and no
    signature in the chain. The number of batches."""
    from infrastructure.event_signatures import sign_batch
    from infrastructure.ledger import chain_rows

    rows = {row.notification_id: row for row in chain_rows(desk)}
    with Dba(settings, desk) as db:
        batches, first = [], 1
        for last, blob in signed_rows(db):
            size = int.from_bytes(blob[4:8], "big")
            batch = [rows[n] for n in sorted(rows) if n <= last][-size:]
            first = batch[0].notification_id
            signature = (blob[:4] + blob[8:] if not db.postgres
                         else sign_batch(TEST_CHECKPOINT_SIGNER, batch))
            batches.append((first, last, signature))
        for batch in batches:
            db.run(f"INSERT INTO {db.events}_signatures (first_id, last_id, signature) "
                   "VALUES (?, ?, ?)", *batch)
        update_chain(db, desk, "SET signature = NULL")
    return len(batches)


def update_chain(db: Dba, desk: ServiceDesk, sql: str, *params: object) -> None:
    """`UPDATE chain <sql>`, the chain's update guard standing aside for it, then back as it
    was."""
    if db.postgres:
        db.run(f"ALTER TABLE {db.chain} DISABLE TRIGGER refuse_update_delete")
        db.run(f"UPDATE {db.chain} {sql}", *params)
        db.run(f"ALTER TABLE {db.chain} ENABLE ALWAYS TRIGGER refuse_update_delete")
        return
    name = f"{db.chain}_refuse_update"
    if db.run("SELECT 1 FROM sqlite_master WHERE name = ?", name):
        db.run(f"DROP TRIGGER {name}")
    db.run(f"UPDATE {db.chain} {sql}", *params)
    recorder = desk.recorder  # type: ignore[attr-defined]
    db.run(next(s for s in recorder.construct_create_table_statements() if f" {name} " in s))


def test_a_database_signed_in_the_old_signatures_table_still_verifies_and_keeps_growing(
        settings: Settings, signing: ServiceDesk, history: History,
        clock: MovableClock) -> None:
    # given a log whose batches were signed in the signatures table, as before the upgrade
    old_batches = to_the_old_format(settings, signing)
    verdict = check_signatures(signing, [TEST_CHECKPOINT_SIGNER.verifier])
    assert (verdict.ok, verdict.signed_batches) == (True, old_batches)
    # when the upgraded desk appends more (signed in the chain)
    record_history(signing, clock)
    # then old and new batches verify together, and `civicdesk verify` (guards included)
    # passes
    verdict = check_signatures(signing, [TEST_CHECKPOINT_SIGNER.verifier])
    assert verdict.ok and verdict.signed_batches > old_batches
    assert verify_log(signing).ok and verify_log(signing).guard_ok
    assert civicdesk(settings, "verify").returncode == 0


def test_an_edit_inside_an_old_format_batch_is_still_caught_at_its_position(
        settings: Settings, signing: ServiceDesk, history: History) -> None:
    to_the_old_format(settings, signing)
    with Dba(settings, signing) as db:
        db.drop_guard()
        db.set(history.transferred, "topic", "domain.cases:Case.Closed")
        db.rechain_from(history.transferred)
    verdict = check_signatures(signing, [TEST_CHECKPOINT_SIGNER.verifier])
    assert (verdict.ok, verdict.first_bad_position) == (False, history.transferred)


def test_after_an_old_format_log_a_forged_row_is_still_reported_unsigned(
        settings: Settings, signing: ServiceDesk, history: History) -> None:
    to_the_old_format(settings, signing)
    with Dba(settings, signing) as db:
        if not db.postgres:
            db.drop_guard()
        position = forge_at_the_end(db, signing, history)
    verdict = check_signatures(signing, [TEST_CHECKPOINT_SIGNER.verifier])
    assert (verdict.ok, verdict.first_bad_position) == (False, position)
    assert "not signed by the application" in (verdict.problem or "")


def test_postgres_not_yet_migrated_keeps_signing_in_the_old_table_until_migrate(
        tmp_path: Path, clock: MovableClock) -> None:
    import re

    from tests.database_roles import migrated_for_two_roles

    with migrated_for_two_roles(tmp_path) as two:
        owner = build_desk(two.owner, clock=clock)
        # given the schema as the version before left it: no signature column in the chain,
        # the chain's trigger function as it was (this one's, less the signature), and the
        # runtime role's INSERT on the signatures table
        function = next(s.as_string(None) for s in owner.recorder.sql_create_statements  # type: ignore[attr-defined]
                        if "SECURITY DEFINER" in s.as_string(None)
                        and "RETURNS trigger" in s.as_string(None))
        old = re.sub(r"batch := COALESCE.*?END IF; ", "", function).replace(
            " batch text; signature bytea;", "").replace(
            ", committed_at, signature)", ", committed_at)").replace(
            "committed, signature); ", "committed); ")
        assert "signature" not in old
        with Dba(two.owner, owner) as db:
            db.run(old)
            db.run(f"ALTER TABLE {db.chain} DROP COLUMN signature")
            db.run(f"GRANT INSERT ON {db.events}_signatures TO {two.role}")
        owner.close()
        runtime = dataclasses.replace(two.runtime, checkpoint_key=str(TEST_CHECKPOINT_SIGNER))
        # when the new version serves on it before `civicdesk migrate`
        unmigrated = build_desk(runtime, clock=clock)
        seed_catalogue(unmigrated)
        record_history(unmigrated, clock)
        # then its batches are signed in the old table, and verify
        with Dba(two.owner, unmigrated) as db:
            old_rows = db.run(f"SELECT COUNT(*) FROM {db.events}_signatures")[0][0]
        assert not unmigrated.recorder.signs_in_chain and old_rows > 0  # type: ignore[attr-defined]
        assert check_signatures(unmigrated, [TEST_CHECKPOINT_SIGNER.verifier]).ok
        unmigrated.close()
        # and once migrated, new batches go in the chain; old and new verify together, and
        # the runtime role's INSERT on the old table is taken back
        assert civicdesk(two.owner, "migrate", "--grant-to", two.role).returncode == 0
        migrated = build_desk(runtime, clock=clock)
        record_history(migrated, clock)
        with Dba(two.owner, migrated) as db:
            assert signed_rows(db)
            assert db.run(f"SELECT COUNT(*) FROM {db.events}_signatures")[0][0] == old_rows
        assert check_signatures(migrated, [TEST_CHECKPOINT_SIGNER.verifier]).ok
        verdict = verify_log(migrated)
        assert verdict.ok and verdict.guard_ok, verdict.guard_problem
        migrated.close()


def test_events_appended_before_a_key_was_configured_are_accepted_and_later_ones_are_not(
        settings: Settings, clock: MovableClock) -> None:
    # given a log begun without a key, then continued by a desk that signs
    unsigned = build_desk(settings, clock=clock)
    seed_catalogue(unsigned)
    unsigned.close()
    desk = build_desk(dataclasses.replace(settings, checkpoint_key=str(TEST_CHECKPOINT_SIGNER)),
                      clock=clock)
    history = record_history(desk, clock)
    # then the unsigned beginning is accepted and every batch after it verifies
    verdict = check_signatures(desk, [TEST_CHECKPOINT_SIGNER.verifier])
    assert verdict.ok and verdict.signed_batches > 0
    # and a row forged after signing began is still reported unsigned, at its position
    with Dba(settings, desk) as db:
        if not db.postgres:
            db.drop_guard()
        position = forge_at_the_end(db, desk, history)
    verdict = check_signatures(desk, [TEST_CHECKPOINT_SIGNER.verifier])
    assert (verdict.ok, verdict.first_bad_position) == (False, position)
    desk.close()
