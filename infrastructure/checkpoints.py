"""Signed checkpoints of the log's Merkle tree (c2sp.org/tlog-checkpoint) and where they are kept.

A checkpoint is a signed note whose text is the log's origin (its signer key's name), the
tree size and the base64 root hash, one a line. `sign_checkpoint` extends the tree to the
head, signs its root when it grew since the last checkpoint, stores the note in the
checkpoints table and writes it into the checkpoint directory (one file per checkpoint, the
witness copy an operator ships elsewhere). Checking a log against checkpoints is
infrastructure.checkpoint_check.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eventsourcing.application import Application

from infrastructure.merkle import HASH_SIZE
from infrastructure.merkle_store import TreeTables, extend_tree, root_at
from infrastructure.signed_note import NoteError, Signer, sign


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    def text(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"


def parse_checkpoint(text: str) -> Checkpoint:
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "" or not lines[0]:
        raise NoteError("a checkpoint is an origin, a tree size and a root hash, one a line")
    origin, size, root = lines[0], lines[1], lines[2]
    if not size.isdigit() or (size != "0" and size.startswith("0")):
        raise NoteError(f"a checkpoint's tree size is a decimal number, not {size[:30]!r}")
    try:
        digest = base64.b64decode(root, validate=True)
    except binascii.Error:
        digest = b""
    if len(digest) != HASH_SIZE:
        raise NoteError("a checkpoint's root hash is 32 bytes of base64")
    return Checkpoint(origin, int(size), digest)


@dataclass(frozen=True)
class Signed:
    """The outcome of one signing round: the note signed (None when the tree had not grown),
    and the break in the log that stopped the tree, if any."""

    note: str | None
    size: int
    broken_position: int | None = None
    problem: str | None = None


def _table(desk: Application[Any]) -> tuple[TreeTables, str]:
    tree = TreeTables(desk)
    recorder: Any = desk.recorder
    if tree.postgres:
        from infrastructure.database_roles import qualified

        return tree, qualified(recorder.datastore.schema,
                               f"{recorder.events_table_name}_checkpoints")
    return tree, f"{recorder.events_table_name}_checkpoints"


def stored_checkpoints(desk: Application[Any]) -> list[str]:
    """Every checkpoint note stored, oldest first."""
    tree, table = _table(desk)
    with tree.datastore.transaction(commit=False) as cursor:
        cursor.execute(f"SELECT note FROM {table} ORDER BY id")
        return [str(row["note"]) for row in cursor.fetchall()]


def latest_checkpoint(desk: Application[Any]) -> str | None:
    tree, table = _table(desk)
    with tree.datastore.transaction(commit=False) as cursor:
        cursor.execute(f"SELECT note FROM {table} ORDER BY id DESC LIMIT 1")
        row = cursor.fetchone()
        return None if row is None else str(row["note"])


def checkpoint_at(desk: Application[Any], size: int) -> str | None:
    """The latest checkpoint stored for a tree of `size` leaves, if one was signed."""
    tree, table = _table(desk)
    with tree.datastore.transaction(commit=False) as cursor:
        cursor.execute(tree.sql(f"SELECT note FROM {table} WHERE tree_size = %s "
                                "ORDER BY id DESC LIMIT 1"), (size,))
        row = cursor.fetchone()
        return None if row is None else str(row["note"])


def sign_checkpoint(desk: Application[Any], signer: Signer, directory: Path, *,
                    force: bool = False) -> Signed:
    """Extend the tree and sign it if it grew since the last checkpoint (or with `force`)."""
    growth = extend_tree(desk)
    tree, table = _table(desk)
    with tree.datastore.transaction(commit=False) as cursor:
        cursor.execute(f"SELECT MAX(tree_size) AS size FROM {table}")
        last = cursor.fetchone()["size"]
    if last is not None and last >= growth.size and not force:
        return Signed(None, growth.size, growth.broken_position, growth.problem)
    unsigned = _unsigned_event(desk, tree, last or 0)
    if unsigned is not None:  # never sign over an event the application did not append
        return Signed(None, growth.size, unsigned.first_bad_position, unsigned.problem)
    note = sign(Checkpoint(signer.name, growth.size, root_at(desk, growth.size)).text(),
                [signer])
    with tree.datastore.transaction(commit=True) as cursor:
        cursor.execute(tree.sql(f"INSERT INTO {table} (tree_size, note) VALUES (%s, %s)"),
                       (growth.size, note))
    write_witness_copy(directory, growth.size, note)
    return Signed(note, growth.size, growth.broken_position, growth.problem)


def _unsigned_event(desk: Application[Any], tree: TreeTables, last_size: int) -> Any:
    """The signature verdict over the leaves added since the last checkpoint, if it fails."""
    from infrastructure.event_signatures import check_signatures

    with tree.datastore.transaction(commit=False) as cursor:
        leaves = tree.leaves(cursor, last_size, last_size + 1)
    if not leaves:
        return None
    verdict = check_signatures(desk, None, start=leaves[0][1])
    return None if verdict.ok else verdict


def write_witness_copy(directory: Path, size: int, note: str) -> Path:
    """The note as `<tree size>.checkpoint` in `directory`, written atomically."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{size:012d}.checkpoint"
    partial = directory / f".{target.name}.partial"
    with partial.open("w") as file:
        file.write(note)
        file.flush()
        os.fsync(file.fileno())
    partial.replace(target)
    return target
