"""The ledger's command line on SQLite and PostgreSQL, in processes of their own: `checkpoint`,
`verify --checkpoint`, `proof inclusion|consistency` and `checkpoint-key`."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from application.desk import ServiceDesk
from infrastructure import merkle
from infrastructure.checkpoints import parse_checkpoint
from infrastructure.signed_note import Signer, Verifier, open_note
from tests.command_line import TEST_CHECKPOINT_SIGNER, civicdesk
from tests.integration.test_tamper_evidence import History, record_history
from tests.tampering import Dba

if TYPE_CHECKING:
    from infrastructure.settings import Settings
    from tests.conftest import MovableClock

PUBLIC_KEY = str(TEST_CHECKPOINT_SIGNER.verifier)


@pytest.fixture
def history(desk: ServiceDesk, clock: MovableClock) -> History:
    return record_history(desk, clock)


@pytest.fixture
def witness(settings: Settings, history: History, tmp_path: Path) -> Path:
    """The checkpoint directory a witness copied after `civicdesk checkpoint` ran."""
    folder = tmp_path / "witness"
    result = civicdesk(settings, "checkpoint", CIVICDESK_CHECKPOINT_DIR=str(folder))
    assert result.returncode == 0, result.stderr
    assert [p.read_text() for p in folder.iterdir()] == [result.stdout]
    return folder


def test_checkpoint_prints_the_signed_note_of_the_whole_log(
        settings: Settings, history: History, witness: Path) -> None:
    [note] = [p.read_text() for p in witness.iterdir()]
    opened = open_note(note, [Verifier.parse(PUBLIC_KEY)])
    assert parse_checkpoint(opened.text).size == history.published.events
    # a second run with nothing new signs nothing
    again = civicdesk(settings, "checkpoint", CIVICDESK_CHECKPOINT_DIR=str(witness))
    assert again.returncode == 0 and again.stdout == ""
    assert "has not grown" in again.stderr


def test_verify_with_the_checkpoints_of_an_intact_log_succeeds(
        settings: Settings, witness: Path) -> None:
    result = civicdesk(settings, "verify", "--checkpoint", str(witness), "--key", PUBLIC_KEY)
    assert result.returncode == 0, result.stderr
    assert "OK: the log is consistent with" in result.stdout
    assert "OK: 1 of 1 stored checkpoints signed and consistent with the log" in result.stdout


def test_verify_names_the_position_of_a_relinked_edit_against_the_witness_copy(
        settings: Settings, desk: ServiceDesk, history: History, witness: Path) -> None:
    # given a DBA who dropped the guard, rewrote the transfer and relinked the chain
    with Dba(settings, desk) as db:
        db.drop_guard()
        db.set(history.transferred, "topic", "domain.cases:Case.Closed")
        db.rechain_from(history.transferred)
    # when the auditor verifies against the witness copy, with the public key
    result = civicdesk(settings, "verify", "--checkpoint", str(witness), "--key", PUBLIC_KEY)
    # then the chain alone passes, but the checkpoints (the witness's and the stored one)
    # name the event
    assert result.returncode == 1
    assert "WARNING: the chain is intact" in result.stderr
    [published] = witness.iterdir()
    assert f"{published} at position {history.transferred}: event" in result.stderr
    assert f"stored checkpoint 1 at position {history.transferred}: event" in result.stderr


def test_verify_refuses_a_checkpoint_signed_by_a_key_not_trusted(
        settings: Settings, witness: Path) -> None:
    stranger = str(Signer.generate("civicdesk.test/log").verifier)
    result = civicdesk(settings, "verify", "--checkpoint", str(witness), "--key", stranger)
    assert result.returncode == 1
    assert "no signature by a trusted key" in result.stderr


def test_an_inclusion_proof_is_a_tlog_proof_that_verifies_against_its_checkpoint(
        settings: Settings, history: History, witness: Path) -> None:
    result = civicdesk(settings, "proof", "inclusion", str(history.escalated))
    assert result.returncode == 0, result.stderr
    head, _, checkpoint_note = result.stdout.partition("\n\n")
    lines = head.split("\n")
    assert lines[0] == "c2sp.org/tlog-proof@v1"
    leaf = base64.b64decode(lines[1].removeprefix("extra "))
    index = int(lines[2].removeprefix("index "))
    hashes = [base64.b64decode(line) for line in lines[3:]]
    checkpoint = parse_checkpoint(open_note(checkpoint_note,
                                            [Verifier.parse(PUBLIC_KEY)]).text)
    assert int.from_bytes(leaf[1:9], "big") == history.escalated
    assert merkle.verify_inclusion(index, checkpoint.size, merkle.leaf_hash(leaf), hashes,
                                   checkpoint.root)


def test_a_consistency_proof_links_two_checkpoints(
        settings: Settings, desk: ServiceDesk, clock: MovableClock, witness: Path) -> None:
    [first_note] = [p.read_text() for p in witness.iterdir()]
    record_history(desk, clock)
    second = civicdesk(settings, "checkpoint", CIVICDESK_CHECKPOINT_DIR=str(witness))
    first_size = parse_checkpoint(first_note.partition("\n\n")[0] + "\n")
    result = civicdesk(settings, "proof", "consistency", str(first_size.size))
    assert result.returncode == 0, result.stderr
    proof = json.loads(result.stdout)
    later = parse_checkpoint(second.stdout.partition("\n\n")[0] + "\n")
    assert proof["to"] == later.size and proof["to_checkpoint"] == second.stdout
    assert merkle.verify_consistency(first_size.size, later.size,
                                     [base64.b64decode(h) for h in proof["hashes"]],
                                     first_size.root, later.root)


def test_a_proof_of_what_is_not_in_the_tree_exits_2_saying_why(
        settings: Settings, history: History, witness: Path) -> None:
    result = civicdesk(settings, "proof", "inclusion", "1", "--tree-size", "100000")
    assert result.returncode == 2
    assert "beyond the tree" in result.stderr and "Traceback" not in result.stderr


def test_checkpoint_without_a_key_exits_2_saying_what_to_set(
        settings: Settings, history: History) -> None:
    result = civicdesk(settings, "checkpoint", CIVICDESK_CHECKPOINT_KEY="")
    assert result.returncode == 2
    assert "set CIVICDESK_CHECKPOINT_KEY_FILE" in result.stderr


def test_checkpoint_key_writes_a_private_key_and_prints_its_public_key(
        settings: Settings, tmp_path: Path) -> None:
    result = civicdesk(settings, "checkpoint-key", "--name", "town.example/civicdesk",
                       "-o", str(tmp_path / "signer.key"))
    assert result.returncode == 0, result.stderr
    signer = Signer.parse((tmp_path / "signer.key").read_text())
    assert result.stdout.strip() == str(signer.verifier)
    assert (tmp_path / "signer.key").stat().st_mode & 0o777 == 0o600
    again = civicdesk(settings, "checkpoint-key", "--name", "x", "-o",
                      str(tmp_path / "signer.key"))
    assert again.returncode == 2 and "never replaced" in again.stderr
