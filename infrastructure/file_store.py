"""The attachment file store: a local directory (the default: `CIVICDESK_ATTACHMENTS_DIR`,
else `attachments/` in the data directory), where each file is kept under the SHA-256 of its
bytes (`ab/cd/abcd...`), written once and never changed, so the same bytes are kept once and
a name says what its bytes must be (`civicdesk verify` checks it).

A file is written completely (to a temporary name, synced, renamed, the folder synced) before
the event naming it is recorded: a crash leaves at worst a file no event names, never an event
whose file is missing."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from application.attachments import FileStore
    from infrastructure.settings import Settings


class LocalFileStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, digest: str) -> Path:
        return self.root / digest[:2] / digest[2:4] / digest

    def put(self, data: bytes) -> str:
        """Keep `data`; returns its SHA-256 (hex), its name in the store."""
        digest = hashlib.sha256(data).hexdigest()
        path = self.path_of(digest)
        if path.exists():
            return digest  # the same bytes are already kept (and verify checks them)
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.chmod(temporary, 0o440)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
        return digest

    def get(self, digest: str) -> bytes | None:
        """The bytes kept under `digest`, as they are now (None if the file is missing)."""
        try:
            return self.path_of(digest).read_bytes()
        except FileNotFoundError:
            return None


def attachment_store(settings: Settings) -> FileStore:
    """The store the settings name: an S3-compatible bucket if one is configured, else the
    directory (CIVICDESK_ATTACHMENTS_DIR, or attachments/ in the data directory)."""
    if settings.attachments_s3_bucket is not None:
        from infrastructure.object_store import ObjectFileStore

        return ObjectFileStore(settings.attachments_s3_bucket,
                               endpoint_url=settings.attachments_s3_endpoint,
                               prefix=settings.attachments_s3_prefix)
    return LocalFileStore(settings.attachments_directory)
