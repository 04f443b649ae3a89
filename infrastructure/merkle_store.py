"""The stored Merkle tree over the event log: its tables, the follower that extends it, proofs.

The tree table holds every perfect subtree (level, index) of the RFC 9162 tree whose leaves
are the events in notification order (level 0: one row per event, with its notification id).
It is kept behind the log, not in the append transaction: `extend_tree` reads the events after
the tree's last leaf, checks each one's chain link, and inserts its leaf and the subtrees it
completes (amortised two rows, at most log n, per event), reading only the O(log n) frontier.
It stops before a row whose chain link is broken, so the tree (and every checkpoint signed
over it) never covers a damaged log. Proofs read the O(log n) subtrees they need in one query.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from eventsourcing.application import Application

from infrastructure import merkle
from infrastructure.chain import GENESIS, leaf_bytes, row_problem
from infrastructure.database_roles import qualified
from infrastructure.ledger import chain_row, log_of
from infrastructure.recorders import ChainedPostgresApplicationRecorder

BATCH = 5_000  # events added to the tree per transaction
# "civictre": serialises tree extenders on PostgreSQL.
TREE_LOCK_KEY = 0x6369766963747265


@dataclass(frozen=True)
class Growth:
    """The tree after an extension: its size, and the row that stopped it, if one did."""

    size: int
    added: int
    broken_position: int | None = None
    problem: str | None = None


@dataclass(frozen=True)
class InclusionProof:
    position: int
    leaf_index: int
    tree_size: int
    leaf_hash: bytes
    root: bytes
    hashes: list[bytes]


@dataclass(frozen=True)
class ConsistencyProof:
    first: int
    second: int
    first_root: bytes
    second_root: bytes
    hashes: list[bytes]


class NotInTree(LookupError):
    """The position or size asked for is not (yet) in the tree; the message says why."""


class TreeTables:
    """The tree table's SQL on one database (`%s` placeholders; SQLite's become `?`)."""

    def __init__(self, desk: Application[Any]) -> None:
        recorder: Any = desk.recorder
        self.datastore = recorder.datastore
        self.postgres = isinstance(recorder, ChainedPostgresApplicationRecorder)
        events = recorder.events_table_name
        if self.postgres:
            schema = recorder.datastore.schema
            self.table = qualified(schema, f"{events}_merkle")
            self.chain = qualified(schema, recorder.chain_table_name)
        else:
            self.table, self.chain = f"{events}_merkle", recorder.chain_table_name

    def sql(self, statement: str) -> str:
        return statement if self.postgres else statement.replace("%s", "?")

    def lock(self, cursor: Any) -> None:
        if self.postgres:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", (TREE_LOCK_KEY,))
        else:
            # SQLite's deferred BEGIN would read first and fail at once ("database is
            # locked", no busy wait) when it upgrades to write while another connection
            # writes; a write that touches no row takes the write lock first, waiting its turn.
            cursor.execute(f"DELETE FROM {self.table} WHERE 0")

    def last_leaf(self, cursor: Any) -> tuple[int, int]:
        """(size, notification id of the last leaf); (0, 0) for an empty tree."""
        cursor.execute(self.sql(f"SELECT idx, notification_id FROM {self.table} "
                                "WHERE level = 0 ORDER BY idx DESC LIMIT 1"))
        row = cursor.fetchone()
        return (0, 0) if row is None else (int(row["idx"]) + 1, int(row["notification_id"]))

    def nodes(self, cursor: Any, positions: Iterable[tuple[int, int]]) -> dict[tuple[int, int],
                                                                              bytes]:
        wanted = sorted(set(positions))
        if not wanted:
            return {}
        condition = " OR ".join(["(level = %s AND idx = %s)"] * len(wanted))
        cursor.execute(self.sql(f"SELECT level, idx, hash FROM {self.table} WHERE {condition}"),
                       [value for position in wanted for value in position])
        return {(int(r["level"]), int(r["idx"])): bytes(r["hash"]) for r in cursor.fetchall()}

    def link_at(self, cursor: Any, position: int) -> bytes:
        if position == 0:
            return GENESIS
        cursor.execute(self.sql(f"SELECT link FROM {self.chain} WHERE notification_id = %s"),
                       (position,))
        row = cursor.fetchone()
        return GENESIS if row is None else bytes(row["link"])

    def size_and_leaf_index(self, cursor: Any, position: int) -> tuple[int, int | None]:
        """The tree's size and the leaf index of the event at `position` (None: not in the
        tree yet), in one query."""
        cursor.execute(self.sql(
            f"SELECT (SELECT idx FROM {self.table} WHERE level = 0 ORDER BY idx DESC LIMIT 1) "
            f"AS last_idx, (SELECT idx FROM {self.table} WHERE level = 0 "
            "AND notification_id = %s) AS idx"), (position,))
        row = cursor.fetchone()
        size = 0 if row["last_idx"] is None else int(row["last_idx"]) + 1
        return size, None if row["idx"] is None else int(row["idx"])

    def leaf_index(self, cursor: Any, position: int) -> int | None:
        cursor.execute(self.sql(f"SELECT idx FROM {self.table} "
                                "WHERE level = 0 AND notification_id = %s"), (position,))
        row = cursor.fetchone()
        return None if row is None else int(row["idx"])

    def leaves(self, cursor: Any, start: int, stop: int) -> list[tuple[int, int, bytes]]:
        """(index, notification id, leaf hash) of the leaves with index in [start, stop)."""
        cursor.execute(self.sql(f"SELECT idx, notification_id, hash FROM {self.table} "
                                "WHERE level = 0 AND idx >= %s AND idx < %s ORDER BY idx"),
                       (start, stop))
        return [(int(r["idx"]), int(r["notification_id"]), bytes(r["hash"]))
                for r in cursor.fetchall()]

    def insert(self, cursor: Any, rows: Sequence[tuple[int, int, bytes, int | None]]) -> None:
        if rows:
            cursor.executemany(self.sql(f"INSERT INTO {self.table} "
                                        "(level, idx, hash, notification_id) "
                                        "VALUES (%s, %s, %s, %s)"), rows)


def extend_tree(desk: Application[Any], *, batch: int = BATCH) -> Growth:
    """Add the events after the tree's last leaf, up to the head (`batch` per transaction)."""
    added = 0
    while True:
        growth = _extend_once(desk, batch)
        added += growth.added
        if growth.problem is not None or growth.added == 0:  # broken, or caught up
            return Growth(growth.size, added, growth.broken_position, growth.problem)


def _extend_once(desk: Application[Any], batch: int) -> Growth:
    tree, log = TreeTables(desk), log_of(desk)
    with tree.datastore.transaction(commit=True) as cursor:
        tree.lock(cursor)
        size, last_position = tree.last_leaf(cursor)
        cursor.execute(log.next_sql, {"after": last_position})
        first = cursor.fetchone()["id"]
        if first is None:
            return Growth(size, 0)
        cursor.execute(log.window_sql, {"after": last_position, "last": first - 1 + batch})
        rows = [chain_row(r) for r in cursor.fetchall()]
        nodes = tree.nodes(cursor, merkle.frontier_positions(size))
        previous = tree.link_at(cursor, last_position)
        inserts: list[tuple[int, int, bytes, int | None]] = []
        broken: tuple[int, str] | None = None
        for row in rows:
            if (problem := row_problem(row, previous)) is not None:
                broken = (row.notification_id, problem)
                break
            leaf = merkle.leaf_hash(leaf_bytes(row))
            nodes[(0, size)] = leaf
            inserts.append((0, size, leaf, row.notification_id))
            for level, index in merkle.completed_by_append(size):
                node = merkle.node_hash(nodes[(level - 1, 2 * index)],
                                        nodes[(level - 1, 2 * index + 1)])
                nodes[(level, index)] = node
                inserts.append((level, index, node, None))
            assert row.stored_link is not None
            size, previous = size + 1, row.stored_link
        tree.insert(cursor, inserts)
    added = sum(1 for row in inserts if row[0] == 0)
    if broken is not None:
        return Growth(size, added, broken[0], broken[1])
    return Growth(size, added)


def tree_size(desk: Application[Any]) -> int:
    tree = TreeTables(desk)
    with tree.datastore.transaction(commit=False) as cursor:
        return tree.last_leaf(cursor)[0]


def _read_subtrees(tree: TreeTables, cursor: Any, compute: Any,
                   also: Iterable[tuple[int, int]] = ()) -> Any:
    """Run `compute(subtrees)` twice: once to learn which subtrees it reads, then over those
    subtrees read in one query (with the nodes `also` asked for, which `compute` may read)."""
    wanted: set[tuple[int, int]] = set(also)

    def record(level: int, index: int) -> bytes:
        wanted.add((level, index))
        return bytes(merkle.HASH_SIZE)

    compute(record)
    nodes = tree.nodes(cursor, wanted)
    missing = wanted - set(nodes)
    if missing:
        raise NotInTree(f"the stored tree lacks subtree(s) {sorted(missing)[:3]}")
    return compute(lambda level, index: nodes[(level, index)])


def _check_size(size: int, stored: int, name: str) -> None:
    if size > stored:
        raise NotInTree(f"{name} {size} is beyond the tree, which has {stored} leaves so far")


def root_at(desk: Application[Any], size: int) -> bytes:
    tree = TreeTables(desk)
    with tree.datastore.transaction(commit=False) as cursor:
        _check_size(size, tree.last_leaf(cursor)[0], "tree size")
        root: bytes = _read_subtrees(tree, cursor, lambda s: merkle.root(s, size))
        return root


def prove_inclusion(desk: Application[Any], position: int, size: int | None = None
                    ) -> InclusionProof:
    """The proof that the event at `position` is in the tree of `size` leaves (default: the
    whole tree)."""
    tree = TreeTables(desk)
    # Two queries whatever the tree's size: its size with the leaf's index, then every node
    # the proof, the root and the leaf need.
    with tree.datastore.transaction(commit=False) as cursor:
        stored, index = tree.size_and_leaf_index(cursor, position)
        size = stored if size is None else size
        _check_size(size, stored, "tree size")
        if index is None:
            raise NotInTree(f"no event at position {position} is in the tree yet")
        if index >= size:
            raise NotInTree(f"the event at position {position} is leaf {index + 1}, after a "
                            f"tree of {size} leaves")
        hashes, root, leaf = _read_subtrees(tree, cursor, lambda s: (
            merkle.inclusion_proof(s, index, size), merkle.root(s, size), s(0, index)))
    return InclusionProof(position, index, size, leaf, root, hashes)


def prove_consistency(desk: Application[Any], first: int, second: int | None = None
                      ) -> ConsistencyProof:
    tree = TreeTables(desk)
    with tree.datastore.transaction(commit=False) as cursor:
        stored = tree.last_leaf(cursor)[0]
        second = stored if second is None else second
        _check_size(second, stored, "tree size")
        if not 0 < first <= second:
            raise NotInTree(f"no consistency proof from {first} to {second} leaves: the first "
                            "size must be at least 1 and at most the second")
        hashes, first_root, second_root = _read_subtrees(tree, cursor, lambda s: (
            merkle.consistency_proof(s, first, second), merkle.root(s, first),
            merkle.root(s, second)))
    return ConsistencyProof(first, second, first_root, second_root, hashes)
