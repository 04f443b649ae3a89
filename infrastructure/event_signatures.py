"""Events signed by the application: each batch the recorder appends carries an Ed25519
signature, made with the checkpoint signer key (outside the database). A row inserted with the
database's own credentials has no such signature, so `check_signatures` reports it (and the
checkpointer will not sign a tree holding it).

Where a batch's signature is kept:
- Today, in the chain row of the batch's last event (its `signature` column, NULL on every
  other row): `key id (4 bytes) || number of events in the batch (4 bytes) || signature`. No
  second table, so a signed commit writes no more pages or statements than an unsigned one.
  SQLite signs version 2 (the batch's first and last position and the chain link at the last,
  which covers every event up to there); PostgreSQL, whose trigger assigns positions and
  links, signs version 3 before the insert (`content_message`).
- Before (databases kept since), in the signatures table: one row per batch, its first and last
  notification id and `key id || signature` over version 2, or version 1 (`DOMAIN || version 1
  leaf hash of each event`). Those rows stay and are checked; nothing is added to them once
  the chain has its column (SQLite at once; PostgreSQL after `civicdesk migrate`).
A log kept before signing began has no signatures: only events after the first signed batch
must be signed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidSignature
from eventsourcing.application import Application

from infrastructure import merkle
from infrastructure.chain import GENESIS, ChainRow, content_bytes, link
from infrastructure.signed_note import Signer, Verifier

DOMAIN = b"civicdesk event batch v1\n"
# Version 2 signs the batch's first and last position and the chain link at the last, which
# covers every event up to there (commit times included): on SQLite the link is at hand when
# signing, so nothing is hashed twice. PostgreSQL's trigger computes links, so it signs v1.
DOMAIN_V2 = b"civicdesk event batch v2\n"
WINDOW = 10_000


def batch_message(rows: Sequence[ChainRow]) -> bytes:
    return DOMAIN + b"".join(merkle.leaf_hash(content_bytes(row)) for row in rows)


def sign_batch(signer: Signer, rows: Sequence[ChainRow]) -> bytes:
    return signer.verifier.id + signer.private_key.sign(batch_message(rows))


def link_message(first: int, last: int, last_link: bytes) -> bytes:
    return (DOMAIN_V2 + first.to_bytes(8, "big", signed=True)
            + last.to_bytes(8, "big", signed=True) + last_link)


def sign_link(signer: Signer, first: int, last: int, last_link: bytes) -> bytes:
    return signer.verifier.id + signer.private_key.sign(link_message(first, last, last_link))


DOMAIN_V3 = b"civicdesk event batch v3\n"


def content_message(previous: bytes, rows: Sequence[ChainRow]) -> bytes:
    """Version 3, signed before the events are inserted (PostgreSQL, whose trigger assigns
    positions, links and commit times): the link at the head before the batch, the number of
    events, and each event's originator id, version and SHA-256 of topic and of state, in
    order. The link fixes where the batch begins; the order, the positions that follow."""
    parts = [DOMAIN_V3, previous, len(rows).to_bytes(8, "big")]
    for row in rows:
        assert row.originator_id is not None and row.originator_version is not None
        assert row.topic is not None and row.state is not None
        parts += [row.originator_id.bytes, row.originator_version.to_bytes(8, "big", signed=True),
                  hashlib.sha256(row.topic.encode()).digest(), hashlib.sha256(row.state).digest()]
    return b"".join(parts)


def chain_signature(count: int, keyed: bytes) -> bytes:
    """What the chain row of a batch's last event stores: the key id (4 bytes), the number of
    events in the batch (4 bytes), then the signature (`keyed` is key id || signature)."""
    return keyed[:4] + count.to_bytes(4, "big") + keyed[4:]


def batch_setting(signer: Signer, stored_events: Sequence[Any], previous: bytes) -> str:
    """The value the PostgreSQL recorder hands its chain trigger: the last event's originator
    id and version (which row carries the signature) and the signature, hex."""
    rows = stored_rows(list(range(len(stored_events))), stored_events)
    keyed = signer.verifier.id + signer.private_key.sign(content_message(previous, rows))
    last = rows[-1]
    return f"{last.originator_id},{last.originator_version}," \
           f"{chain_signature(len(rows), keyed).hex()}"


def stored_rows(notification_ids: Sequence[int], stored_events: Sequence[Any]) -> list[ChainRow]:
    return [ChainRow(n, e.originator_id if isinstance(e.originator_id, UUID)
                     else UUID(str(e.originator_id)), e.originator_version, e.topic, e.state,
                     None) for n, e in zip(notification_ids, stored_events, strict=True)]


@dataclass(frozen=True)
class SignatureVerdict:
    ok: bool
    signed_batches: int
    first_bad_position: int | None = None
    problem: str | None = None


def check_signatures(desk: Application[Any], keys: Sequence[Verifier] | None,
                     start: int = 1) -> SignatureVerdict:
    """Every event from `start` on, after the first signed batch, is in a batch whose
    signature by one of `keys` holds over the events as they are now (with `keys` None, only
    that every such event is in a signed batch). Signatures are checked from the log's start
    only: with `keys`, `start` must be 1."""
    from infrastructure.ledger import chain_rows

    if keys is not None and start != 1:
        raise ValueError("signatures are checked from position 1")
    walk = _Walk({key.id: key for key in keys or ()}, keys is not None,
                 _signed_before(desk, start), partial_first=start > 1)
    batches = _batches(desk, start)
    current = next(batches, None)
    for row in chain_rows(desk, start):
        if None in (row.originator_id, row.originator_version, row.topic, row.state):
            continue  # a link without its event: the chain walk reports it
        position = row.notification_id
        walk.follow(row)
        while current is not None and current[1] < position:  # a batch that ended short
            if (problem := walk.check_table_batch(current)) is not None:
                return SignatureVerdict(False, walk.count, current[0], problem)
            current = next(batches, None)
        if current is not None and current[0] <= position:  # in the signatures table
            if (bad := walk.unsigned()) is not None:
                return bad
            walk.pending.clear()  # appended before signing began: no later batch reaches them
            walk.started = True
            walk.table_rows.append(row)
            if position == current[1]:
                if (problem := walk.check_table_batch(current)) is not None:
                    return SignatureVerdict(False, walk.count, current[0], problem)
                current = next(batches, None)
            continue
        walk.pending.append((row, walk.before))
        if row.signature is not None and (bad := walk.check_chain_batch(row)) is not None:
            return bad
    if current is not None and (problem := walk.check_table_batch(current)) is not None:
        return SignatureVerdict(False, walk.count, current[0], problem)
    return walk.unsigned() or SignatureVerdict(True, walk.count)


# Rows kept while no event has been signed yet, in case the first signed batch spans them: a
# first signed batch longer than this, right after an unsigned log, would be reported altered.
UNSIGNED_PREFIX_KEPT = 100_000
ALTERED = "are not those the application signed: altered, removed or inserted"


class _Walk:
    """The state of `check_signatures`'s walk: the links it recomputes from the events as they
    are now (not the stored links), the rows since the last signed one, and the rows of the
    current batch of the signatures table."""

    def __init__(self, by_id: dict[bytes, Verifier], checking: bool, started: bool,
                 partial_first: bool) -> None:
        self.by_id, self.checking, self.started = by_id, checking, started
        self.partial_first = partial_first  # the walk began inside a batch: not all of it seen
        self.recomputed = self.before = GENESIS
        self.pending: list[tuple[ChainRow, bytes]] = []  # each with the link before it
        self.table_rows: list[ChainRow] = []
        self.last_links: dict[int, bytes] = {}  # the link recomputed at each row
        self.count = 0

    def follow(self, row: ChainRow) -> None:
        self.before = self.recomputed
        if self.checking:
            assert row.originator_id is not None and row.originator_version is not None
            assert row.topic is not None and row.state is not None
            self.recomputed = link(self.recomputed, row.notification_id, row.originator_id,
                                   row.originator_version, row.topic, row.state, row.committed)
            self.last_links = {row.notification_id: self.recomputed}

    def unsigned(self) -> SignatureVerdict | None:
        """The first row since the last signed batch, if signing had begun before it."""
        if self.pending and self.started:
            return SignatureVerdict(False, self.count, self.pending[0][0].notification_id,
                                    "its event is not signed by the application: it was "
                                    "inserted by other means than civicdesk")
        del self.pending[:-UNSIGNED_PREFIX_KEPT]
        return None

    def key(self, blob: bytes, first: int, last: int) -> Verifier | str:
        key = self.by_id.get(blob[:4])
        if key is None:
            return (f"the batch of positions {first} to {last} is signed by an unknown key "
                    f"{blob[:4].hex()}")
        return key

    def check_chain_batch(self, row: ChainRow) -> SignatureVerdict | None:
        """The batch whose signature `row` (the last of `pending`) carries."""
        assert row.signature is not None
        size = int.from_bytes(row.signature[4:8], "big")
        if size > len(self.pending) and self.partial_first and not self.count:
            size = len(self.pending)  # the walk began inside this batch: only presence counts
            checking = False
        elif not 0 < size <= len(self.pending):
            first = self.pending[0][0].notification_id
            return SignatureVerdict(False, self.count, first, f"the events of positions "
                                    f"{first} to {row.notification_id} {ALTERED}")
        else:
            checking = self.checking
        extra, batch = self.pending[:-size], self.pending[-size:]
        if extra and self.started:  # rows before the batch, signed by none
            self.pending = extra
            return self.unsigned()
        self.pending, self.started = [], True
        if checking and (problem := self._chain_problem(row, batch)) is not None:
            return SignatureVerdict(False, self.count, batch[0][0].notification_id, problem)
        self.count += 1
        return None

    def _chain_problem(self, row: ChainRow, batch: list[tuple[ChainRow, bytes]]) -> str | None:
        assert row.signature is not None
        first, last = batch[0][0].notification_id, row.notification_id
        key = self.key(row.signature, first, last)
        if isinstance(key, str):
            return key
        signature = row.signature[8:]
        if _holds(key, signature, link_message(first, last, self.recomputed)) or _holds(
                key, signature, content_message(batch[0][1], [r for r, _ in batch])):
            return None  # version 3's message is built only if version 2 fails
        return f"the events of positions {first} to {last} {ALTERED}"

    def check_table_batch(self, batch: tuple[int, int, bytes]) -> str | None:
        """A batch of the signatures table, over the rows of it seen (`table_rows`)."""
        rows, self.table_rows = self.table_rows, []
        self.count += 1
        if not self.checking:
            return None
        first, last, blob = batch
        key = self.key(blob, first, last)
        if isinstance(key, str):
            return key
        at_last = self.last_links.get(last) if rows and rows[-1].notification_id == last \
            else None
        if ((at_last is not None and _holds(key, blob[4:], link_message(first, last, at_last)))
                or _holds(key, blob[4:], batch_message(rows))):  # v1's leaves if v2 fails
            return None
        return f"the events of positions {first} to {last} {ALTERED}"


def _holds(key: Verifier, signature: bytes, message: bytes) -> bool:
    try:
        key.public_key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


def _table(desk: Application[Any]) -> tuple[Any, str, bool]:
    from infrastructure.merkle_store import TreeTables

    tree = TreeTables(desk)
    recorder: Any = desk.recorder
    name = f"{recorder.events_table_name}_signatures"
    if tree.postgres:
        from infrastructure.database_roles import qualified

        return tree, qualified(recorder.datastore.schema, name), True
    return tree, name, False


def _batches(desk: Application[Any], start: int) -> Iterator[tuple[int, int, bytes]]:
    tree, table, _ = _table(desk)
    after = start - 1
    while True:
        with tree.datastore.transaction(commit=False) as cursor:
            cursor.execute(tree.sql(f"SELECT first_id, last_id, signature FROM {table} "
                                    "WHERE last_id > %s ORDER BY first_id LIMIT %s"),
                           (after, WINDOW))
            found = [(int(r["first_id"]), int(r["last_id"]), bytes(r["signature"]))
                     for r in cursor.fetchall()]
        yield from found
        if len(found) < WINDOW:
            return
        after = found[-1][1]


def _signed_before(desk: Application[Any], start: int) -> bool:
    """Whether any batch was signed before `start`: in the signatures table, or in a chain row
    (searched back from `start`, where signing usually is found at once)."""
    if start <= 1:
        return False
    tree, table, _ = _table(desk)
    with tree.datastore.transaction(commit=False) as cursor:
        cursor.execute(tree.sql(f"SELECT 1 AS one FROM {table} WHERE first_id < %s LIMIT 1"),
                       (start,))
        if cursor.fetchone() is not None:
            return True
        if not getattr(desk.recorder, "signs_in_chain", True):
            return False
        cursor.execute(tree.sql(f"SELECT notification_id FROM {tree.chain} "
                                "WHERE notification_id < %s AND signature IS NOT NULL "
                                "ORDER BY notification_id DESC LIMIT 1"), (start,))
        return cursor.fetchone() is not None
