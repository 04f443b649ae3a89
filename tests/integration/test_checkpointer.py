"""The checkpointer a server runs: it signs when the log grew, and says so at ERROR when the log
is broken (on SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses
import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from application.desk import ServiceDesk
from infrastructure.checkpointer import Checkpointer, elected_checkpointer
from infrastructure.checkpoints import stored_checkpoints
from infrastructure.signed_note import Signer
from tests.integration.test_tamper_evidence import History, record_history
from tests.tampering import Dba

if TYPE_CHECKING:
    from infrastructure.settings import Settings
    from tests.conftest import MovableClock

SIGNER = Signer.generate("town.example/civicdesk")


@pytest.fixture
def history(desk: ServiceDesk, clock: MovableClock) -> History:
    return record_history(desk, clock)


def test_once_started_the_elected_checkpointer_signs_the_log_at_once(
        settings: Settings, desk: ServiceDesk, history: History, tmp_path: Path) -> None:
    configured = dataclasses.replace(settings, checkpoint_key=str(SIGNER),
                                     checkpoint_dir=tmp_path / "witness")
    checkpointer = elected_checkpointer(configured, desk)
    assert checkpointer is not None
    signed = threading.Event()
    original = checkpointer.run_once

    def run_once() -> object:
        try:
            return original()
        finally:
            signed.set()

    checkpointer.run_once = run_once  # type: ignore[method-assign]
    checkpointer.start()
    try:
        assert signed.wait(30), "the leader signs once as soon as it is elected"
    finally:
        checkpointer.stop()
    assert len(stored_checkpoints(desk)) == 1
    assert len(list((tmp_path / "witness").iterdir())) == 1


def test_without_a_key_a_server_runs_no_checkpointer(settings: Settings,
                                                     desk: ServiceDesk) -> None:
    assert elected_checkpointer(dataclasses.replace(
        settings, dev=False, checkpoint_key=None), desk) is None


def test_a_broken_log_is_reported_at_error_and_not_signed_past(
        settings: Settings, desk: ServiceDesk, history: History, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    with Dba(settings, desk) as db:
        db.drop_guard()
        db.set(history.transferred, "topic", "domain.cases:Case.Closed")
    checkpointer = Checkpointer(dataclasses.replace(settings, checkpoint_dir=tmp_path),
                                desk, SIGNER)
    with caplog.at_level(logging.ERROR, logger="civicdesk.ledger"):
        signed = checkpointer.run_once()
    assert signed.broken_position == history.transferred
    assert f"the log is inconsistent at position {history.transferred}" in caplog.text
    assert checkpointer.broken_position == history.transferred


def test_metrics_show_where_the_checkpointer_found_the_log_broken(
        settings: Settings, desk: ServiceDesk, history: History, tmp_path: Path) -> None:
    from litestar.testing import TestClient

    from api.app import create_app
    from api.dependencies import served
    from tests.api.test_metrics import scrape, value

    app = create_app(dataclasses.replace(settings, run_projections=False), desk=desk)
    checkpointer = Checkpointer(dataclasses.replace(settings, checkpoint_dir=tmp_path),
                                desk, SIGNER)
    with TestClient(app) as client:
        # Put in once the app has started, so only the test runs it
        served(app).services.checkpointer = checkpointer
        assert value(scrape(client), "civicdesk_ledger_broken_position") == 0
        with Dba(settings, desk) as db:
            db.drop_guard()
            db.set(history.transferred, "topic", "domain.cases:Case.Closed")
        checkpointer.run_once()
        assert value(scrape(client), "civicdesk_ledger_broken_position") == \
            history.transferred
