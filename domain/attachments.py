"""Files on a case (photos, letters, forms): which kinds the desk keeps, how a file's name is
cleaned, and what an attachment record holds. The bytes live in a file store outside the log;
the log holds their SHA-256, so the ledger covers them (see application.attachments)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.errors import InvalidValue

# The kinds the desk accepts, by what the bytes are (never by the name or the declared type):
# photos a resident takes and documents a desk scans or receives. Anything else (archives,
# office documents with macros, executables, SVG with scripts) is refused.
ACCEPTED_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp", "image/heic",
                  "application/pdf")
NAME_LIMIT = 200


def clean_name(name: str) -> str:
    """The file name as kept: its last path segment, without control characters, at most
    NAME_LIMIT characters. A name is required (it is what staff see in the list)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if any(unicodedata.category(ch).startswith("C") for ch in base):
        raise InvalidValue("the file name must not hold control characters", "name")
    if base in {"", ".", ".."}:
        raise InvalidValue("a file name is required", "name")
    if len(base) > NAME_LIMIT:
        raise InvalidValue(f"the file name is at most {NAME_LIMIT} characters", "name")
    return base


@dataclass(frozen=True)
class Attachment:
    """One file on a case. `sha256` is of the file's bytes; `stored_sha256` of what the store
    holds (the same bytes, or those bytes sealed with the customer's data key when
    `sealed_for` names the customer, so erasing the customer erases the file too)."""

    number: int
    name: str
    media_type: str
    size: int
    sha256: str
    stored_sha256: str
    sealed_for: str | None
    source: str
    added_at: datetime
    added_by: str

    @classmethod
    def of(cls, record: dict[str, Any]) -> Attachment:
        return cls(**record)


def check_digest(value: str, field: str) -> str:
    if len(value) != 64 or any(ch not in "0123456789abcdef" for ch in value):
        raise InvalidValue("must be a SHA-256 digest in lower-case hex", field)
    return value
