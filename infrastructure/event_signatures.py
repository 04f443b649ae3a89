"""Events signed by the application: each batch the recorder appends carries an Ed25519
signature, made with the checkpoint signer key (outside the database), over its events' Merkle
leaf hashes. A row inserted with the database's own credentials has no such signature, so
`check_signatures` reports it (and the checkpointer will not sign a tree holding it).

The signatures table has one row per batch: its first and last notification id and
`key id (4 bytes) || signature` over `DOMAIN || leaf hash of each event of the batch`, in
log order. A log kept before signing began has no signatures: only events after the first
signed batch must be signed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidSignature
from eventsourcing.application import Application

from infrastructure import merkle
from infrastructure.chain import ChainRow, leaf_bytes
from infrastructure.signed_note import Signer, Verifier

DOMAIN = b"civicdesk event batch v1\n"
WINDOW = 10_000


def batch_message(rows: Sequence[ChainRow]) -> bytes:
    return DOMAIN + b"".join(merkle.leaf_hash(leaf_bytes(row)) for row in rows)


def sign_batch(signer: Signer, rows: Sequence[ChainRow]) -> bytes:
    return signer.verifier.id + signer.private_key.sign(batch_message(rows))


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

    def check(batch: tuple[int, int, bytes], rows: list[ChainRow]) -> str | None:
        first, last, blob = batch
        if keys is None:
            return None
        key = by_id.get(blob[:4])
        if key is None:
            return f"the batch of positions {first} to {last} is signed by an unknown key " \
                   f"{blob[:4].hex()}"
        try:
            key.public_key.verify(blob[4:], batch_message(rows))
        except InvalidSignature:
            return (f"the events of positions {first} to {last} are not those the "
                    "application signed: altered, removed or inserted")
        return None

    for row in chain_rows(desk, start):
        if None in (row.originator_id, row.originator_version, row.topic, row.state):
            continue  # a link without its event: the chain walk reports it
        position = row.notification_id
        while current is not None and current[1] < position:  # a batch that ended short
            if (problem := check(current, rows)) is not None:
                return SignatureVerdict(False, count, current[0], problem)
            count, rows, current = count + 1, [], next(batches, None)
        if current is not None and current[0] <= position:
            started = True
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
