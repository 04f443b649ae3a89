"""Which key signs checkpoints: the configured one, a generated one in development mode only."""

from __future__ import annotations

from pathlib import Path

import pytest

from infrastructure.checkpoint_keys import (
    NoCheckpointKey,
    checkpoint_signer,
    development_key_path,
    trusted_keys,
)
from infrastructure.settings import Settings
from infrastructure.signed_note import Signer

SIGNER = Signer.generate("town.example/civicdesk")


def test_without_a_key_outside_development_mode_there_is_no_signer(tmp_path: Path) -> None:
    with pytest.raises(NoCheckpointKey, match="set CIVICDESK_CHECKPOINT_KEY_FILE"):
        checkpoint_signer(Settings(data_dir=tmp_path))
    assert not development_key_path(Settings(data_dir=tmp_path)).exists()


def test_development_mode_generates_a_private_key_once_and_keeps_it(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", dev=True)
    first = checkpoint_signer(settings)
    path = development_key_path(settings)
    assert path.stat().st_mode & 0o777 == 0o600
    assert str(checkpoint_signer(settings)) == str(first)


def test_the_key_is_read_from_the_environment_or_a_file(tmp_path: Path) -> None:
    assert str(checkpoint_signer(Settings(checkpoint_key=str(SIGNER)))) == str(SIGNER)
    (tmp_path / "signer.key").write_text(f"{SIGNER}\n")
    from_file = checkpoint_signer(Settings(checkpoint_key_file=tmp_path / "signer.key"))
    assert str(from_file) == str(SIGNER)


@pytest.mark.parametrize(("settings", "message"), [
    (Settings(checkpoint_key="PRIVATE+KEY+oops"), "CIVICDESK_CHECKPOINT_KEY is not a signer"),
    (Settings(checkpoint_key=str(SIGNER.verifier)), "is not a signer key"),
    (Settings(checkpoint_key_file=Path("/nonexistent/signer.key")), "cannot read"),
], ids=["mangled", "a public key", "missing file"])
def test_a_key_that_cannot_be_used_is_refused_with_what_is_wrong(settings: Settings,
                                                                 message: str) -> None:
    with pytest.raises(NoCheckpointKey, match=message):
        checkpoint_signer(settings)


def test_verifiers_are_the_given_keys_or_files_of_them(tmp_path: Path) -> None:
    old = Signer.generate("town.example/civicdesk")
    (tmp_path / "keys.txt").write_text(f"{old.verifier}\n{SIGNER.verifier}\n")
    keys = trusted_keys(Settings(), [str(tmp_path / "keys.txt")])
    assert [str(k) for k in keys] == [str(old.verifier), str(SIGNER.verifier)]
    own = trusted_keys(Settings(checkpoint_key=str(SIGNER)), [])
    assert [str(k) for k in own] == [str(SIGNER.verifier)]
