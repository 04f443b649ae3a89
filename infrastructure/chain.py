"""The SHA-256 hash chain over the notification log, and the walk that verifies it.

Every event appended since commit times began carries one (`committed`, microseconds since
the epoch, UTC): assigned under the chain's lock, strictly greater than the previous event's,
and hashed into its link and its Merkle leaf (leaf version 2). Events appended before have
none, and keep the links and leaves (version 1) they were given; once one event has a commit
time, every later one must.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from uuid import UUID

GENESIS = bytes(32)


def link(previous: bytes, notification_id: int, originator_id: UUID, originator_version: int,
         topic: str, state: bytes, committed: int | None = None) -> bytes:
    """One link: fixed-width fields, so no two different events can hash alike by shifting;
    the commit time last, when the event has one."""
    return hashlib.sha256(
        previous
        + notification_id.to_bytes(8, "big", signed=True)
        + originator_id.bytes
        + originator_version.to_bytes(8, "big", signed=True)
        + hashlib.sha256(topic.encode()).digest()
        + hashlib.sha256(state).digest()
        + (b"" if committed is None else committed.to_bytes(8, "big", signed=True))
    ).digest()


@dataclass(frozen=True)
class ChainRow:
    """One event of the log as stored, beside the link stored for it (either may be missing)."""

    notification_id: int
    originator_id: UUID | None
    originator_version: int | None
    topic: str | None
    state: bytes | None
    stored_link: bytes | None
    committed: int | None = None  # the commit time, microseconds since the epoch (UTC)
    # The application's signature of the batch this row ends (infrastructure.event_signatures)
    signature: bytes | None = None


@dataclass(frozen=True)
class Verdict:
    ok: bool
    events: int
    head_position: int
    head_hash: str
    first_bad_position: int | None = None
    problem: str | None = None
    guard_ok: bool = True  # the append-only triggers are in place (see infrastructure.ledger)
    guard_problem: str | None = None


def verify(rows: Iterator[ChainRow], previous: bytes = GENESIS) -> Verdict:
    """Walk the log in notification order and recompute every link from `previous` (the
    genesis, or a link verified before the first of `rows`)."""
    count, position, committed = 0, 0, None
    for row in rows:
        problem = row_problem(row, previous) or time_problem(row, committed)
        if problem is not None:
            return _bad(row, count, position, previous, problem)
        assert row.stored_link is not None
        previous, count, position = row.stored_link, count + 1, row.notification_id
        committed = row.committed if row.committed is not None else committed
    return Verdict(ok=True, events=count, head_position=position, head_hash=previous.hex())


def time_problem(row: ChainRow, previous: int | None) -> str | None:
    """What is wrong with a row's commit time after the previous event's (None: fine)."""
    if previous is None:
        return None
    if row.committed is None:
        return ("its event has no commit time, though the events before it have: it was "
                "linked by other means than civicdesk")
    if row.committed <= previous:
        return "its commit time is not after the previous event's: the log was reordered"
    return None


def row_problem(row: ChainRow, previous: bytes) -> str | None:
    """What is wrong with one row that follows the link `previous`, or None if it links."""
    fields = (row.originator_id, row.originator_version, row.topic, row.state)
    if all(field is None for field in fields):  # the outer join found only a link
        return "its event is missing from the log"
    if row.stored_link is None:
        return "its event has no chain link"
    if (row.originator_id is None or row.originator_version is None or row.topic is None
            or row.state is None):
        return "its event was altered: a field is empty"
    expected = link(previous, row.notification_id, row.originator_id,
                    row.originator_version, row.topic, row.state, row.committed)
    if expected != row.stored_link:
        return "its event or chain link was altered, removed or reordered"
    return None


LEAF_VERSION = 1  # an event without a commit time
TIMED_LEAF_VERSION = 2  # an event with one: its 8 bytes follow the version 1 fields


def content_bytes(row: ChainRow) -> bytes:
    """What the application wrote of one event, at fixed widths (the topic and state by their
    SHA-256): the version 1 leaf, and what the application signs (commit time aside, which the
    database assigns)."""
    assert row.originator_id is not None and row.originator_version is not None
    assert row.topic is not None and row.state is not None
    return (bytes([LEAF_VERSION]) + row.notification_id.to_bytes(8, "big", signed=True)
            + row.originator_id.bytes + row.originator_version.to_bytes(8, "big", signed=True)
            + hashlib.sha256(row.topic.encode()).digest()
            + hashlib.sha256(row.state).digest())


def leaf_bytes(row: ChainRow) -> bytes:
    """The Merkle leaf of one event: a version byte, then the fields its chain link hashes,
    at fixed widths, the commit time last (version 2) when it has one."""
    content = content_bytes(row)
    if row.committed is None:
        return content
    return (bytes([TIMED_LEAF_VERSION]) + content[1:]
            + row.committed.to_bytes(8, "big", signed=True))


def _bad(row: ChainRow, count: int, position: int, previous: bytes, problem: str) -> Verdict:
    return Verdict(ok=False, events=count, head_position=position, head_hash=previous.hex(),
                   first_bad_position=row.notification_id, problem=problem)
