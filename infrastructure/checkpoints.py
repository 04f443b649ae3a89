"""Signed checkpoints of the log's Merkle tree (c2sp.org/tlog-checkpoint) and where they are kept.

A checkpoint is a signed note whose text is the log's origin (its signer key's name), the
tree size and the base64 root hash, one a line, then civicdesk's extension lines (C2SP's
"other data"; verifiers that do not know them ignore them): `access-log <entry id> <base64
link>`, the access log's chain head it covers (infrastructure.access_chain), and
`committed <RFC 3339>`, the commit time of the tree's last event. `sign_checkpoint` extends
the tree to the head, signs its root when the tree or the access log grew since the last
checkpoint, stores the note in the checkpoints table and writes it into the checkpoint
directory (one file per checkpoint, the witness copy an operator ships elsewhere). Checking
a log against checkpoints is infrastructure.checkpoint_check.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eventsourcing.application import Application

from infrastructure.chain import GENESIS
from infrastructure.merkle import HASH_SIZE
from infrastructure.merkle_store import TreeTables, extend_tree, root_at
from infrastructure.signed_note import NoteError, Signer, sign

ACCESS_LOG_LINE = "access-log"
COMMITTED_LINE = "committed"


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    access_log: tuple[int, bytes] | None = None  # (entry id, link) of the access log's head
    committed: datetime | None = None  # commit time of the tree's last event

    def text(self) -> str:
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode()]
        if self.access_log is not None:
            entry, link = self.access_log
            lines.append(f"{ACCESS_LOG_LINE} {entry} {base64.b64encode(link).decode()}")
        if self.committed is not None:
            lines.append(f"{COMMITTED_LINE} "
                         f"{self.committed.astimezone(UTC).isoformat(timespec='microseconds')}")
        return "".join(f"{line}\n" for line in lines)


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
    access_log, committed = None, None
    for line in lines[3:-1]:
        name, _, value = line.partition(" ")
        if name == ACCESS_LOG_LINE:
            access_log = _parse_access_line(value)
        elif name == COMMITTED_LINE:
            try:
                committed = datetime.fromisoformat(value)
            except ValueError:
                raise NoteError(f"a checkpoint's commit time is RFC 3339, not {value[:40]!r}"
                                ) from None
            if committed.tzinfo is None:
                raise NoteError("a checkpoint's commit time has a time zone offset")
    return Checkpoint(origin, int(size), digest, access_log, committed)


def _parse_access_line(value: str) -> tuple[int, bytes]:
    entry, _, link = value.partition(" ")
    try:
        digest = base64.b64decode(link, validate=True)
    except binascii.Error:
        digest = b""
    if not entry.isdigit() or len(digest) != HASH_SIZE:
        raise NoteError("a checkpoint's access-log line is an entry id and a 32-byte link")
    return int(entry), digest


@dataclass(frozen=True)
class Signed:
    """The outcome of one signing round: the note signed (None when the tree had not grown),
    and the break in the log that stopped the tree, if any."""

    note: str | None
    size: int
    broken_position: int | None = None
    problem: str | None = None
    access_bad_id: int | None = None  # where the access log's chain breaks, if it does
    access_problem: str | None = None
    unsigned_position: int | None = None  # an event the application did not sign, if any


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


def checkpoint_holding(desk: Application[Any], position: int) -> str | None:
    """The first checkpoint (smallest tree, then earliest) whose tree holds the event at
    `position`; None if none does yet."""
    tree, table = _table(desk)
    with tree.datastore.transaction(commit=False) as cursor:
        index = tree.leaf_index(cursor, position)
        if index is None:
            return None
        cursor.execute(tree.sql(f"SELECT note FROM {table} WHERE tree_size > %s "
                                "ORDER BY tree_size, id LIMIT 1"), (index,))
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
    """Extend the tree and sign it if it or the access log grew since the last checkpoint
    (or with `force`). The access log is covered up to its last entry that holds."""
    growth = extend_tree(desk)
    tree, table = _table(desk)
    last = _latest(desk)
    access, access_bad = _access_head(desk, last.access_log if last is not None else None)
    bad_id, access_problem = access_bad if access_bad is not None else (None, None)
    if last is not None and last.size >= growth.size and not force and (
            access is None or access == last.access_log):
        return Signed(None, growth.size, growth.broken_position, growth.problem, bad_id,
                      access_problem)
    unsigned = _unsigned_event(desk, tree, last.size if last is not None else 0)
    if unsigned is not None:  # never sign over an event the application did not append
        return Signed(None, growth.size, unsigned.first_bad_position, unsigned.problem,
                      bad_id, access_problem, unsigned.first_bad_position)
    note = sign(Checkpoint(signer.name, growth.size, root_at(desk, growth.size), access,
                           _last_commit_time(tree)).text(), [signer])
    with tree.datastore.transaction(commit=True) as cursor:
        cursor.execute(tree.sql(f"INSERT INTO {table} (tree_size, note) VALUES (%s, %s)"),
                       (growth.size, note))
    write_witness_copy(directory, growth.size, note)
    return Signed(note, growth.size, growth.broken_position, growth.problem, bad_id,
                  access_problem)


def _last_commit_time(tree: TreeTables) -> datetime | None:
    """The commit time of the tree's last event (None: an empty tree, or one from before
    commit times)."""
    from infrastructure.commit_time import moment_of

    with tree.datastore.transaction(commit=False) as cursor:
        size, position = tree.last_leaf(cursor)
        if size == 0:
            return None
        cursor.execute(tree.sql(f"SELECT committed_at FROM {tree.chain} "
                                "WHERE notification_id = %s"), (position,))
        row = cursor.fetchone()
    return None if row is None or row["committed_at"] is None else moment_of(
        int(row["committed_at"]))


def _latest(desk: Application[Any]) -> Checkpoint | None:
    note = latest_checkpoint(desk)
    return None if note is None else parse_checkpoint(note.partition("\n\n")[0] + "\n")


def _access_head(desk: Application[Any], since: tuple[int, bytes] | None
                 ) -> tuple[tuple[int, bytes] | None, tuple[int, str] | None]:
    """The access log's head to sign: its last entry that holds, walking on from the last
    checkpoint's (None without an access log), and where its chain breaks, if it does."""
    from eventsourcing.persistence import PersistenceError

    from infrastructure.access_log import AccessLog

    try:
        walk = AccessLog(desk, create=False).walk(  # type: ignore[arg-type]
            start=since or (0, GENESIS))
    except PersistenceError:
        return since, None
    verdict = walk.verdict()
    head = (verdict.head_id, verdict.head_link) if verdict.head_id else None
    broken = (None if verdict.ok or verdict.first_bad_id is None
              else (verdict.first_bad_id, str(verdict.problem)))
    return head, broken


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
