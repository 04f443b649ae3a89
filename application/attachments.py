"""Putting a file on a case and reading it back: what the bytes are is read from the bytes
(magic numbers, the `filetype` package), never from the name or the declared type; the size is
bounded; a file on a case with a customer is sealed with the customer's data key before it is
stored, so erasing the customer erases it (application.personal_data). The store keeps what it
is given under the SHA-256 of those bytes, and the event records both hashes, so the ledger
covers the file and `civicdesk verify` can tell a changed or missing one."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Protocol, runtime_checkable
from uuid import UUID

import filetype  # type: ignore[import-untyped]

from application.commands import AttachFile
from application.desk import IdempotencyKey, Outcome, ServiceDesk
from domain.actors import Actor
from domain.attachments import ACCEPTED_TYPES, Attachment
from domain.errors import DomainError, InvalidValue, RuleViolated

DEFAULT_MAX_BYTES = 10 * 1024 * 1024


class FileTooLarge(InvalidValue):
    code = "file-too-large"


class UnsupportedFile(InvalidValue):
    code = "unsupported-file"


class FileUnavailable(DomainError):
    """The file's bytes cannot be given: erased with the customer, or missing or changed in
    the store (then `civicdesk verify` names it)."""

    code = "file-unavailable"


class FileErased(FileUnavailable):
    code = "file-erased"


@runtime_checkable
class FileStore(Protocol):
    def put(self, data: bytes) -> str:
        """Keep `data`; returns its SHA-256 (hex)."""
        ...

    def get(self, digest: str) -> bytes | None:
        """The bytes kept under `digest` (None: no such file)."""
        ...


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes
    declared_type: str | None = None  # the Content-Type the client sent, if any
    source: str = "staff"  # "staff", or "open311" for a public app's `media`


def kind_of(data: bytes, declared_type: str | None) -> str:
    """The media type the bytes are, if the desk keeps that kind and it is what the client
    said it sent. Raises UnsupportedFile naming what the bytes are."""
    found = filetype.guess_mime(data[:8192])
    if found not in ACCEPTED_TYPES:
        kinds = ", ".join(ACCEPTED_TYPES)
        raise UnsupportedFile(f"the file's content is {found or 'of no known kind'}; the desk "
                              f"keeps {kinds}", "file")
    declared = (declared_type or "").split(";")[0].strip().lower()
    if declared and declared not in {"application/octet-stream", found}:
        raise UnsupportedFile(f"the file's content is {found} but it was sent as {declared}",
                              "Content-Type")
    return str(found)


def check_upload(upload: Upload, max_bytes: int) -> str:
    """The file's media type, if the desk keeps it: not empty, not larger than `max_bytes`,
    a kept kind, and what the client said it is. Raises FileTooLarge, UnsupportedFile,
    InvalidValue."""
    if not upload.data:
        raise InvalidValue("the file is empty", "file")
    if len(upload.data) > max_bytes:
        raise FileTooLarge(f"the file is {len(upload.data)} bytes; at most {max_bytes} are "
                           f"kept", "file")
    return kind_of(upload.data, upload.declared_type)


def attach_file(desk: ServiceDesk, actor: Actor, case_id: UUID, upload: Upload,
                store: FileStore, *, max_bytes: int = DEFAULT_MAX_BYTES,
                idempotency: IdempotencyKey | None = None) -> Outcome:
    """Check, seal (if the case has a customer), store, then record the file on the case.
    Raises NotFound, Forbidden, FileTooLarge, UnsupportedFile, InvalidValue, RuleViolated."""
    media_type = check_upload(upload, max_bytes)
    case = desk.get_case(actor, case_id)
    stored = upload.data
    if case.customer_id is not None:
        try:
            stored = desk.cipher.seal_bytes(case.customer_id, upload.data)
        except LookupError:
            raise RuleViolated("the case's customer was erased: no file about them is kept "
                               "any more", "file") from None
    stored_sha256 = store.put(stored)
    command = AttachFile(case_id=case_id, name=upload.name, media_type=media_type,
                         size=len(upload.data), sha256=hashlib.sha256(upload.data).hexdigest(),
                         stored_sha256=stored_sha256, sealed_for=case.customer_id,
                         source=upload.source)
    return desk.handle(actor, command, idempotency)


def file_bytes(desk: ServiceDesk, attachment: Attachment, store: FileStore) -> bytes:
    """The file's own bytes (opened with the customer's key if sealed), checked against both
    hashes the log holds. Raises FileErased, FileUnavailable."""
    stored = store.get(attachment.stored_sha256)
    if stored is None or hashlib.sha256(stored).hexdigest() != attachment.stored_sha256:
        raise FileUnavailable(f"attachment {attachment.number} is missing or changed in the "
                              f"file store; run civicdesk verify")
    data = stored
    if attachment.sealed_for is not None:
        opened = desk.cipher.open_bytes(UUID(attachment.sealed_for), stored)
        if opened is None:
            raise FileErased(f"attachment {attachment.number} was erased with the customer")
        data = opened
    if hashlib.sha256(data).hexdigest() != attachment.sha256:
        raise FileUnavailable(f"attachment {attachment.number} does not match its recorded "
                              f"hash; run civicdesk verify")
    return data
