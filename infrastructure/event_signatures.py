"""Events signed by the application: each batch the recorder appends carries an Ed25519
signature, made with the checkpoint signer key (outside the database), over the hashes of its
events' content (their version 1 Merkle leaves: the commit time, which the database assigns
under the chain's lock, is covered by the chain, the tree and checkpoints instead). A row
inserted with the database's own credentials has no such signature, so `check_signatures`
reports it (and the checkpointer will not sign a tree holding it).

The signatures table has one row per batch: its first and last notification id and `key id (4
bytes) || signature` over `DOMAIN || version 1 leaf hash of each event of the batch`, in log
order. A log kept before signing began has no signatures: only events after the first signed
batch must be signed.
"""

from __future__ import annotations

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
    that every such event is in a signed batch)."""
    from infrastructure.ledger import chain_rows

    by_id = {key.id: key for key in keys or ()}
    batches = _batches(desk, start)
    started = _signed_before(desk, start)
    current = next(batches, None)
    rows: list[ChainRow] = []
    count = 0

    recomputed = _link_before(desk, start) if keys is not None else GENESIS
    last_links: dict[int, bytes] = {}  # the link recomputed at each batch's last position

    def check(batch: tuple[int, int, bytes], rows: list[ChainRow]) -> str | None:
        first, last, blob = batch
        if keys is None:
            return None
        key = by_id.get(blob[:4])
        if key is None:
            return f"the batch of positions {first} to {last} is signed by an unknown key " \
                   f"{blob[:4].hex()}"
        at_last = last_links.pop(last, None)
        for version in (2, 1):  # v1's leaves are hashed only if v2 does not hold
            if version == 2 and at_last is None:
                continue
            message = (link_message(first, last, at_last) if at_last is not None
                       and version == 2 else batch_message(rows))
            try:
                key.public_key.verify(blob[4:], message)
                return None
            except InvalidSignature:
                continue
        return (f"the events of positions {first} to {last} are not those the "
                "application signed: altered, removed or inserted")

    for row in chain_rows(desk, start):
        if None in (row.originator_id, row.originator_version, row.topic, row.state):
            continue  # a link without its event: the chain walk reports it
        position = row.notification_id
        if keys is not None:  # from the events as they are, not the stored links
            assert row.originator_id is not None and row.originator_version is not None
            assert row.topic is not None and row.state is not None
            recomputed = link(recomputed, position, row.originator_id, row.originator_version,
                              row.topic, row.state, row.committed)
        while current is not None and current[1] < position:  # a batch that ended short
            if (problem := check(current, rows)) is not None:
                return SignatureVerdict(False, count, current[0], problem)
            count, rows, current = count + 1, [], next(batches, None)
        if current is not None and current[0] <= position:
            started = True
            if keys is not None and position == current[1]:
                last_links[position] = recomputed
            rows.append(row)
            if position == current[1]:
                if (problem := check(current, rows)) is not None:
                    return SignatureVerdict(False, count, current[0], problem)
                count, rows, current = count + 1, [], next(batches, None)
        elif started:
            return SignatureVerdict(False, count, position,
                                    "its event is not signed by the application: it was "
                                    "inserted by other means than civicdesk")
    if current is not None:
        if (problem := check(current, rows)) is not None:
            return SignatureVerdict(False, count, current[0], problem)
        count += 1
    return SignatureVerdict(True, count)


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
    tree, table, _ = _table(desk)
    with tree.datastore.transaction(commit=False) as cursor:
        cursor.execute(tree.sql(f"SELECT 1 AS one FROM {table} WHERE first_id < %s LIMIT 1"),
                       (start,))
        return cursor.fetchone() is not None


def _link_before(desk: Application[Any], start: int) -> bytes:
    """The stored link just before `start` (the chain walk vouches for it), or the genesis."""
    if start <= 1:
        return GENESIS
    tree = _table(desk)[0]
    with tree.datastore.transaction(commit=False) as cursor:
        cursor.execute(tree.sql(f"SELECT link FROM {tree.chain} WHERE notification_id < %s "
                                "ORDER BY notification_id DESC LIMIT 1"), (start,))
        row = cursor.fetchone()
    return GENESIS if row is None else bytes(row["link"])
