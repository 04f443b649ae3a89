"""Opaque keyset cursors for the read models' lists.

A cursor is the sort key of the last row of a page, as base64url JSON, so the next page starts
strictly after it whatever was inserted meanwhile.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.errors import InvalidValue

Kind = type[datetime] | type[UUID] | type[str]


def encode_cursor(*key: datetime | UUID | str) -> str:
    parts = [part.isoformat(timespec="microseconds") if isinstance(part, datetime)
             else str(part) for part in key]
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, *kinds: Kind) -> tuple[Any, ...]:
    """The sort key a cursor carries, each part as its kind. Raises InvalidValue (field
    `after`) for any text this list did not hand out."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        parts = json.loads(text)
        if not isinstance(parts, list) or len(parts) != len(kinds):
            raise ValueError("wrong shape")
        key: list[Any] = []
        for kind, part in zip(kinds, parts, strict=True):
            if not isinstance(part, str):
                raise ValueError("not text")
            if kind is datetime:
                moment = datetime.fromisoformat(part)
                if moment.tzinfo is None:
                    raise ValueError("naive time")
                key.append(moment)
            else:
                key.append(UUID(part) if kind is UUID else part)
        return tuple(key)
    except (ValueError, TypeError, AttributeError, binascii.Error):
        raise InvalidValue("after is not a cursor this list handed out", "after") from None

