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
