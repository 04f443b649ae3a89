"""The access log's own hash chain: how each entry is linked, and the walk that verifies it.

Each entry's link is sha256(previous link || its canonical bytes): the moment (microseconds
since the epoch, 8 bytes), the case id (16 bytes), then the actor id, the actor's role, the
route and the fields, each as a 4-byte length and its UTF-8. Entries are linked in id order,
under a lock held until their transaction commits (infrastructure.access_log), so the chain
order is the id order. Entries written before the access log was chained have no link; they
are counted, not judged, as long as they all come before the first linked entry.

The chain alone catches an edited, deleted or reordered entry that was not relinked; a
relinked or truncated access log is caught against signed checkpoints, which carry the
access log's head (infrastructure.checkpoints).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from infrastructure.chain import GENESIS

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class Entry:
    """One access-log entry as linked: what its chain link covers."""

    at: datetime
    actor_id: str
    actor_role: str
    case_id: UUID
    route: str
    fields: str


def entry_bytes(entry: Entry) -> bytes:
    parts = [((entry.at - EPOCH) // MICROSECOND).to_bytes(8, "big", signed=True),
             entry.case_id.bytes]
    for text in (entry.actor_id, entry.actor_role, entry.route, entry.fields):
        encoded = text.encode()
        parts += [len(encoded).to_bytes(4, "big"), encoded]
    return b"".join(parts)


def access_link(previous: bytes, entry: Entry) -> bytes:
    return hashlib.sha256(previous + entry_bytes(entry)).digest()


@dataclass(frozen=True)
class AccessVerdict:
    ok: bool
    entries: int  # entries walked that are linked
    head_id: int  # the id of the last linked entry that holds (0: none)
    head_link: bytes
    unchained: int = 0  # entries from before the access log was chained
    first_bad_id: int | None = None
    problem: str | None = None


def stored_entry(row: Any) -> Entry | None:
    """The entry of a stored row, or None if a value cannot be read back as written (a
    retyped or rewritten value: only tampering makes one)."""
    try:
        at, case_id = row["at"], row["case_id"]
        if not isinstance(at, datetime):
            at = datetime.fromisoformat(str(at))
        if at.tzinfo is None:
            return None
        case = case_id if isinstance(case_id, UUID) else UUID(str(case_id))
        texts = (row["actor_id"], row["actor_role"], row["route"], row["fields"])
        if not all(isinstance(text, str) for text in texts):
            return None
        return Entry(at.astimezone(UTC), *texts[:2], case, *texts[2:])
    except (TypeError, ValueError, AttributeError, OverflowError):
        return None


class AccessWalk:
    """Folds the access log's rows in id order into a verdict (and the recomputed link at
    every id, for the check against checkpoints)."""

    def __init__(self, remember: Iterable[int] = (),
                 start: tuple[int, bytes] = (0, GENESIS)) -> None:
        """`start`: the (id, link) of an entry already known to hold, to walk on from."""
        self.head_id, self.previous = start
        self.recomputed = self.previous
        self.entries = self.unchained = 0
        self.chained = self.head_id > 0  # a linked entry was seen: every later one is linked
        self.bad: tuple[int, str] | None = None
        self.remember = set(remember)
        self.recomputed_at: dict[int, bytes] = {}  # from the stored values, ignoring links

    def add(self, row: Any) -> None:
        entry_id, stored = int(row["id"]), row["link"]
        entry = stored_entry(row)
        self.chained = self.chained or stored is not None
        if entry is not None and self.chained:
            self.recomputed = access_link(self.recomputed, entry)
        if entry_id in self.remember:
            self.recomputed_at[entry_id] = self.recomputed
        if self.bad is not None:
            return
        if stored is None:
            if self.chained:
                self.bad = (entry_id, "it has no chain link: it was written by other means "
                                      "than civicdesk, or its link was removed")
            else:
                self.unchained += 1
            return
        if entry is None:
            self.bad = (entry_id, "it was altered: a value cannot be read back as written")
            return
        if access_link(self.previous, entry) != bytes(stored):
            self.bad = (entry_id, "it or its chain link was altered, or an entry before it "
                                  "was removed or reordered")
            return
        self.previous, self.head_id, self.entries = bytes(stored), entry_id, self.entries + 1

    def verdict(self) -> AccessVerdict:
        if self.bad is not None:
            return AccessVerdict(False, self.entries, self.head_id, self.previous,
                                 self.unchained, self.bad[0], self.bad[1])
        return AccessVerdict(True, self.entries, self.head_id, self.previous, self.unchained)
