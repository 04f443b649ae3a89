"""Signed checkpoints on SQLite and PostgreSQL: what a DBA can cover up from the chain alone
(relinking, deleting and relinking, cutting off the end, forging an event in place) is caught
against a checkpoint signed before it, at the first position that differs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from uuid import uuid4

import pytest

from application.desk import ServiceDesk
from infrastructure.checkpoint_check import CheckpointVerdict, check_checkpoints
from infrastructure.checkpoints import parse_checkpoint, sign_checkpoint, stored_checkpoints
from infrastructure.ledger import verify_log
from infrastructure.signed_note import Signer, open_note
from tests.integration.test_tamper_evidence import History, record_history
from tests.tampering import Dba

if TYPE_CHECKING:
    from infrastructure.settings import Settings
    from tests.conftest import MovableClock

SIGNER = Signer.generate("town.example/civicdesk")


@pytest.fixture
def history(desk: ServiceDesk, clock: MovableClock) -> History:
    return record_history(desk, clock)


@pytest.fixture
def published(desk: ServiceDesk, history: History, tmp_path: Path) -> str:
    """The checkpoint signed once the history was recorded, as a witness keeps it."""
    signed = sign_checkpoint(desk, SIGNER, tmp_path / "witness")
    assert signed.note is not None
    return signed.note


@pytest.fixture
def db(settings: Settings, desk: ServiceDesk) -> Dba:
    with Dba(settings, desk) as database:
        database.drop_guard()
        yield database


def against(desk: ServiceDesk, note: str) -> CheckpointVerdict:
    [verdict] = check_checkpoints(desk, [("published", note)], [SIGNER.verifier])
    return verdict


def test_a_signed_checkpoint_covers_the_whole_log_and_is_kept_twice(
        desk: ServiceDesk, history: History, published: str, tmp_path: Path) -> None:
    # given a checkpoint signed over the recorded history
    checkpoint = parse_checkpoint(open_note(published, [SIGNER.verifier]).text)
    # then it covers every event, is stored, and a witness copy is in the directory
    assert checkpoint.size == history.published.events
    assert stored_checkpoints(desk) == [published]
    assert [p.read_text() for p in (tmp_path / "witness").iterdir()] == [published]
    # and the log as it is holds against it
    assert against(desk, published).ok


def test_no_new_checkpoint_is_signed_while_the_log_has_not_grown(
        desk: ServiceDesk, published: str, tmp_path: Path, clock: MovableClock) -> None:
    assert sign_checkpoint(desk, SIGNER, tmp_path / "witness").note is None
    record_history(desk, clock)
    later = sign_checkpoint(desk, SIGNER, tmp_path / "witness").note
    assert later is not None and stored_checkpoints(desk) == [published, later]
    # and the later log still holds against the earlier checkpoint: it only grew
    assert against(desk, published).ok and against(desk, later).ok


def test_an_edit_relinked_with_the_public_formula_is_caught_at_that_event(
        desk: ServiceDesk, history: History, published: str, db: Dba) -> None:
    # given a DBA who rewrote the acknowledgement and recomputed every later link
    db.rewrite(history.acknowledged, b"We have your report", b"Fixed")
    db.rechain_from(history.acknowledged)
    assert verify_log(desk).ok  # the chain alone is fooled
    # then the published checkpoint is not, and names the event
    verdict = against(desk, published)
    assert not verdict.ok and verdict.first_bad_position == history.acknowledged


def test_a_deletion_relinked_is_caught_at_the_deleted_event(
        desk: ServiceDesk, history: History, published: str, db: Dba) -> None:
    db.delete(history.transferred)
    db.rechain_from(history.transferred + 1)
    assert verify_log(desk).ok
    verdict = against(desk, published)
    # the leaf that was the transfer is now the event after it
    assert not verdict.ok and verdict.first_bad_position == history.transferred + 1


def test_a_cut_off_end_is_caught_where_the_log_now_ends(
        desk: ServiceDesk, history: History, published: str, db: Dba) -> None:
    last = history.published.head_position
    for position in (last, last - 1, last - 2):
        db.delete(position)
    assert verify_log(desk).ok
    verdict = against(desk, published)
    assert not verdict.ok and verdict.first_bad_position == last - 2
    assert verdict.problem is not None and "cut off" in verdict.problem


def test_a_forged_event_put_in_place_of_one_with_a_correct_link_is_caught_there(
        desk: ServiceDesk, history: History, published: str, db: Dba) -> None:
    # given a DBA who replaced the escalation by a forged event and relinked from there
    db.delete(history.escalated, link_too=False)
    db.insert_event(history.escalated, uuid4(), 1, "domain.cases:Case.Closed", b"{}")
    db.rechain_from(history.escalated)
    assert verify_log(desk).ok
    verdict = against(desk, published)
    assert not verdict.ok and verdict.first_bad_position == history.escalated


def test_a_forged_or_foreign_checkpoint_is_not_accepted(
        desk: ServiceDesk, published: str) -> None:
    forged = published.replace("\n" + published.split("\n")[1] + "\n", "\n1\n", 1)
    assert "not valid" in (against(desk, forged).problem or "")
    other = Signer.generate("town.example/civicdesk")
    [verdict] = check_checkpoints(desk, [("published", published)], [other.verifier])
    assert not verdict.ok and "no signature by a trusted key" in (verdict.problem or "")
