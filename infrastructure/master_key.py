"""Which master key wraps the customers' data keys: CIVICDESK_MASTER_KEY or the file
CIVICDESK_MASTER_KEY_FILE (32 random bytes, base64), never the database; in development mode
one is generated into the data directory on first use. Without one, nothing personal is
written or read (there is no plaintext fallback)."""

from __future__ import annotations

import base64
import binascii
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from infrastructure.key_files import configured_key, development_key

if TYPE_CHECKING:
    from infrastructure.settings import Settings

KEY_BYTES = 32  # AES-256
KEY_HINT = ("set CIVICDESK_MASTER_KEY_FILE to a file holding the master key (make one with "
            "python3 -c 'import base64, secrets; print(base64.b64encode("
            "secrets.token_bytes(32)).decode())' > master.key; keep it, and its copies, off "
            "the database server and its backups), or add --dev for local development")


class NoMasterKey(Exception):
    """No usable master key: the message says what to set."""


def development_key_path(settings: Settings) -> Path:
    return settings.data_dir / "personal-data-master.key"


def new_master_key() -> str:
    """A fresh master key, as the file or variable holds it."""
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def has_master_key(settings: Settings) -> bool:
    """Whether a master key is configured (or development mode will make one)."""
    return bool(settings.master_key or settings.master_key_file or settings.dev)


def master_key(settings: Settings) -> bytes:
    """The configured master key; in development mode the data directory's (made if
    missing); NoMasterKey otherwise, or when the key is not 32 bytes of base64."""
    text, source = configured_key(settings.master_key, settings.master_key_file,
                                  "CIVICDESK_MASTER_KEY", NoMasterKey, "the master key")
    if text is None and settings.dev:
        path = development_key_path(settings)
        text, source = development_key(path, new_master_key), str(path)
    if text is None:
        raise NoMasterKey(f"no master key protects customers' personal information: "
                          f"{KEY_HINT}")
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise NoMasterKey(f"the master key in {source} is not {KEY_BYTES} bytes in base64: "
                          f"{KEY_HINT}")
    return key
