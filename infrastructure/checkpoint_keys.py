"""Which key signs the log's checkpoints: from CIVICDESK_CHECKPOINT_KEY or the file
CIVICDESK_CHECKPOINT_KEY_FILE (a signed-note signer key), never from the database; in
development mode one is generated into the data directory on first use."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from infrastructure.signed_note import NoteError, Signer, Verifier

if TYPE_CHECKING:
    from infrastructure.settings import Settings

DEVELOPMENT_KEY_NAME = "civicdesk.localhost/development-log"
KEY_HINT = ("set CIVICDESK_CHECKPOINT_KEY_FILE to a file holding the log's signer key (make "
            "one with `civicdesk checkpoint-key --name your.town.example/civicdesk`; keep it "
            "off the database server's backups), or add --dev for local development")


class NoCheckpointKey(Exception):
    """No usable key signs checkpoints; the message says what to set."""


def development_key_path(settings: Settings) -> Path:
    return settings.data_dir / "checkpoint-signer.key"


def checkpoint_signer(settings: Settings) -> Signer:
    """The configured signer; in development mode the data directory's (made if missing);
    NoCheckpointKey otherwise."""
    text, source = settings.checkpoint_key, "CIVICDESK_CHECKPOINT_KEY"
    if text is None and settings.checkpoint_key_file is not None:
        source = str(settings.checkpoint_key_file)
        try:
            text = settings.checkpoint_key_file.read_text()
        except OSError as error:
            raise NoCheckpointKey(f"cannot read the checkpoint key {source}: "
                                  f"{error.strerror}") from None
    if text is None and settings.dev:
        return _development_signer(settings)
    if text is None:
        raise NoCheckpointKey(f"no key signs the log's checkpoints: {KEY_HINT}")
    try:
        return Signer.parse(text)
    except (NoteError, ValueError) as error:
        raise NoCheckpointKey(f"the checkpoint key in {source} is not a signer key: "
                              f"{error}") from None


def _development_signer(settings: Settings) -> Signer:
    path = development_key_path(settings)
    if path.exists():
        return Signer.parse(path.read_text())
    signer = Signer.generate(DEVELOPMENT_KEY_NAME)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(f"{signer}\n")
    return signer


def trusted_keys(settings: Settings, given: list[str]) -> list[Verifier]:
    """The verifier keys to check checkpoints with: each given key (a verifier key, or a file
    of them one a line), else this installation's own signer's."""
    keys: list[Verifier] = []
    for item in given:
        path = Path(item)
        lines = path.read_text().splitlines() if path.is_file() else [item]
        keys += [Verifier.parse(line) for line in lines if line.strip()]
    if not keys:
        keys.append(checkpoint_signer(settings).verifier)
    return keys
