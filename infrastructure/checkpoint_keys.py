"""Which key signs the log's checkpoints: from CIVICDESK_CHECKPOINT_KEY or the file
CIVICDESK_CHECKPOINT_KEY_FILE (a signed-note signer key), never from the database; in
development mode one is generated into the data directory on first use."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from infrastructure.key_files import configured_key, development_key
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
    text, source = configured_key(settings.checkpoint_key, settings.checkpoint_key_file,
                                  "CIVICDESK_CHECKPOINT_KEY", NoCheckpointKey,
                                  "the checkpoint key")
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
    return Signer.parse(development_key(development_key_path(settings),
                                        lambda: str(Signer.generate(DEVELOPMENT_KEY_NAME))))


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
