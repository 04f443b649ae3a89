"""Whether the log today is the log that signed checkpoints described, and if not, where not.

One walk recomputes the Merkle root of the live log at every checkpoint's size (the leaves
straight from the events, never from the stored tree) and, beside it, the root of the stored
tree's leaves. A checkpoint whose root the live log reproduces is kept. One it does not is
broken; the first position that differs is found by comparing the live leaves with the
stored ones when the stored leaves still hash to the checkpoint's root (they are then what
was signed); otherwise it lies between the last checkpoint that held and this one, and both
ends are reported. A log shorter than a checkpoint was truncated.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from eventsourcing.application import Application

from infrastructure import merkle
from infrastructure.chain import leaf_bytes
from infrastructure.checkpoints import Checkpoint, parse_checkpoint
from infrastructure.ledger import chain_rows
from infrastructure.merkle_store import TreeTables
from infrastructure.signed_note import NoteError, Verifier, open_note

WINDOW = 10_000


@dataclass(frozen=True)
class CheckpointVerdict:
    source: str  # where the checkpoint came from (a file name, "stored #3")
    ok: bool
    size: int | None = None
    first_bad_position: int | None = None  # the first log position that differs
    problem: str | None = None
    signed_by: tuple[str, ...] = ()
    access_bad_id: int | None = None  # the first access-log entry that may differ


def check_checkpoints(desk: Application[Any], notes: Iterable[tuple[str, str]],
                      keys: list[Verifier]) -> list[CheckpointVerdict]:
    """Each (source, note) checked: its signature by one of `keys`, then the live log."""
    verdicts: list[CheckpointVerdict] = []
    opened: list[tuple[str, Checkpoint, tuple[str, ...]]] = []
    for source, note in notes:
        try:
            signed = open_note(note, keys)
            opened.append((source, parse_checkpoint(signed.text), tuple(signed.signed_by)))
        except NoteError as error:
            verdicts.append(CheckpointVerdict(source, False, problem=f"not accepted: {error}"))
    sizes = sorted({checkpoint.size for _, checkpoint, _ in opened})
    walk = _walk(desk, sizes)
    held = sorted(checkpoint.size for _, checkpoint, _ in opened
                  if walk.live_roots.get(checkpoint.size) == checkpoint.root)
    access = _AccessCheck(desk, [c.access_log for _, c, _ in opened if c.access_log])
    for source, checkpoint, signers in opened:
        verdict = _verdict(walk, held, source, checkpoint, signers)
        verdicts.append(access.check(verdict, checkpoint) if verdict.ok else verdict)
    return verdicts


class _AccessCheck:
    """The access log's head in each checkpoint against the link recomputed from the entries
    as they are now (a relinked access log recomputes to other links)."""

    def __init__(self, desk: Application[Any], heads: list[tuple[int, bytes]]) -> None:
        from infrastructure.access_log import verify_access_log

        self.verdict, self.recomputed = verify_access_log(
            desk, [entry for entry, _ in heads])  # type: ignore[arg-type]
        self.held = sorted(entry for entry, link in heads
                           if self.recomputed.get(entry) == link)

    def check(self, verdict: CheckpointVerdict, checkpoint: Checkpoint) -> CheckpointVerdict:
        if checkpoint.access_log is None:
            return verdict
        entry, link = checkpoint.access_log
        found = self.recomputed.get(entry)
        if found == link:
            return verdict
        before = max((held for held in self.held if held < entry), default=0)
        if self.verdict.first_bad_id is not None and self.verdict.first_bad_id <= entry:
            where = f"at entry {self.verdict.first_bad_id}"
        else:
            where = f"after entry {before} and at or before entry {entry}"
        problem = (f"the access log has no entry {entry} any more: entries were removed or "
                   f"its end cut off ({where})" if found is None else
                   f"the access log's entries up to entry {entry} are not those this "
                   f"checkpoint signed: altered, removed, reordered or relinked {where}")
        return CheckpointVerdict(verdict.source, False, verdict.size, None, problem,
                                 verdict.signed_by, access_bad_id=self.verdict.first_bad_id
                                 or before + 1)


@dataclass
class _Walk:
    live_roots: dict[int, bytes]  # the live log's root at each checkpoint size it reaches
    stored_roots: dict[int, bytes]  # the stored tree's leaves' root at each size
    live_count: int  # events walked (at most the largest checkpoint size)
    first_mismatch: int | None  # the first leaf index where live and stored leaves differ
    mismatch_position: int | None  # its log position (live, or stored past the live end)
    truncated_position: int | None  # the stored leaf's position just past the live end


def _walk(desk: Application[Any], sizes: list[int]) -> _Walk:
    wanted, last = set(sizes), max(sizes, default=0)
    live, stored = merkle.CompactRange(), merkle.CompactRange()
    live_roots = {0: merkle.EMPTY_ROOT} if 0 in wanted else {}
    stored_roots = dict(live_roots)
    first_mismatch = mismatch_position = truncated_position = None
    stored_leaves = _stored_leaves(desk)
    for position, leaf in _live_leaves(desk):
        if live.size >= last:
            break
        index = live.size
        live.append(leaf)
        stored_leaf = next(stored_leaves, None)
        if stored_leaf is not None:
            stored.append(stored_leaf[1])
        if first_mismatch is None and (stored_leaf is None or stored_leaf[1] != leaf):
            first_mismatch, mismatch_position = index, position
        if live.size in wanted:
            live_roots[live.size] = live.root()
        if stored_leaf is not None and stored.size in wanted:
            stored_roots[stored.size] = stored.root()
    for position, leaf in stored_leaves:  # the stored tree goes on where the live log stops
        if stored.size >= last:
            break
        if truncated_position is None:
            truncated_position = position
        if first_mismatch is None:
            first_mismatch, mismatch_position = stored.size, position
        stored.append(leaf)
        if stored.size in wanted:
            stored_roots[stored.size] = stored.root()
    return _Walk(live_roots, stored_roots, live.size, first_mismatch, mismatch_position,
                 truncated_position)


def _live_leaves(desk: Application[Any]) -> Iterator[tuple[int, bytes]]:
    for row in chain_rows(desk):
        if None in (row.originator_id, row.originator_version, row.topic, row.state):
            continue  # a link without its event is no leaf
        yield row.notification_id, merkle.leaf_hash(leaf_bytes(row))


def _stored_leaves(desk: Application[Any]) -> Iterator[tuple[int, bytes]]:
    tree, start = TreeTables(desk), 0
    while True:
        with tree.datastore.transaction(commit=False) as cursor:
            leaves = tree.leaves(cursor, start, start + WINDOW)
        for _, position, leaf in leaves:
            yield position, leaf
        if len(leaves) < WINDOW:
            return
        start += WINDOW


def _verdict(walk: _Walk, held: list[int], source: str, checkpoint: Checkpoint,
             signers: tuple[str, ...]) -> CheckpointVerdict:
    size = checkpoint.size
    if walk.live_roots.get(size) == checkpoint.root:
        return CheckpointVerdict(source, True, size, signed_by=signers)
    authentic = walk.stored_roots.get(size) == checkpoint.root  # the stored leaves were signed
    mismatch = walk.first_mismatch
    if authentic and mismatch is not None and mismatch < min(size, walk.live_count):
        return CheckpointVerdict(
            source, False, size, walk.mismatch_position,
            f"event {mismatch + 1} of the log (position {walk.mismatch_position}) is not the "
            "one this checkpoint signed: altered, removed, inserted or reordered there",
            signers)
    if walk.live_count < size:
        position = walk.truncated_position if authentic else None
        return CheckpointVerdict(
            source, False, size, position,
            f"the log has {walk.live_count} events, fewer than the {size} this checkpoint "
            f"signed: its end was cut off", signers)
    before = max((s for s in held if s < size), default=0)
    return CheckpointVerdict(
        source, False, size, None,
        f"the log's first {size} events are not those this checkpoint signed; the "
        f"difference lies after event {before} (the last checkpoint that holds), and the "
        "stored tree was rewritten too, so the exact position needs an earlier export or "
        "checkpoint", signers)
