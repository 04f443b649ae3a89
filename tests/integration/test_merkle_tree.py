"""The stored Merkle tree over the log, on SQLite and PostgreSQL: kept behind the log by the
follower, never past a broken link, and its proofs checked by the RFC's verification."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from application.desk import ServiceDesk
from infrastructure import merkle
from infrastructure.chain import leaf_bytes
from infrastructure.ledger import chain_rows
from infrastructure.merkle_store import (
    NotInTree,
    extend_tree,
    prove_consistency,
    prove_inclusion,
    root_at,
    tree_size,
)
from tests.integration.test_tamper_evidence import History, record_history
from tests.tampering import Dba
from tests.unit.test_merkle import definition_root

if TYPE_CHECKING:
    from infrastructure.settings import Settings
    from tests.conftest import MovableClock


def leaf_hashes(desk: ServiceDesk) -> list[bytes]:
    return [merkle.leaf_hash(leaf_bytes(row)) for row in chain_rows(desk)]


@pytest.fixture
def history(desk: ServiceDesk, clock: MovableClock) -> History:
    return record_history(desk, clock)


def test_the_tree_covers_every_event_with_the_root_of_its_leaves(
        desk: ServiceDesk, history: History) -> None:
    # given a recorded history, when the follower extends the tree in small batches
    growth = extend_tree(desk, batch=3)
    # then it holds one leaf per event, and its root is the RFC root of the events' leaves
    hashes = leaf_hashes(desk)
    assert growth.size == tree_size(desk) == len(hashes) == history.published.events
    assert growth.problem is None
    assert root_at(desk, len(hashes)) == definition_root(hashes)
    assert all(root_at(desk, size) == definition_root(hashes[:size])
               for size in range(len(hashes) + 1))


def test_the_tree_grows_with_the_log_from_where_it_stopped(
        desk: ServiceDesk, history: History, clock: MovableClock) -> None:
    # given a tree over the history, when more is recorded and the follower runs again
    first = extend_tree(desk).size
    record_history(desk, clock)
    growth = extend_tree(desk)
    # then only the new events are added, and the root is that of the whole log
    hashes = leaf_hashes(desk)
    assert growth.added == len(hashes) - first and growth.size == len(hashes)
    assert root_at(desk, growth.size) == definition_root(hashes)


def test_every_event_has_an_inclusion_proof_at_every_tree_size(
        desk: ServiceDesk, history: History) -> None:
    # given a tree over the history
    size = extend_tree(desk).size
    positions = [row.notification_id for row in chain_rows(desk)]
    # when each event is proved in each tree that holds it
    for index, position in enumerate(positions):
        for at in range(index + 1, size + 1):
            proof = prove_inclusion(desk, position, at)
            # then the RFC's verification accepts it against that tree's root
            assert proof.leaf_index == index and proof.root == root_at(desk, at)
            assert merkle.verify_inclusion(index, at, proof.leaf_hash, proof.hashes,
                                           proof.root)


def test_every_two_tree_sizes_have_a_consistency_proof(
        desk: ServiceDesk, history: History) -> None:
    size = extend_tree(desk).size
    for first in range(1, size + 1):
        for second in range(first, size + 1):
            proof = prove_consistency(desk, first, second)
            assert merkle.verify_consistency(first, second, proof.hashes, proof.first_root,
                                             proof.second_root)


def test_a_proof_beyond_the_tree_says_so(desk: ServiceDesk, history: History) -> None:
    size = extend_tree(desk).size
    with pytest.raises(NotInTree, match="beyond the tree"):
        prove_inclusion(desk, 1, size + 1)
    with pytest.raises(NotInTree, match="no event at position"):
        prove_inclusion(desk, 10_000)
    with pytest.raises(NotInTree, match="at least 1"):
        prove_consistency(desk, 0, size)


def test_the_tree_stops_before_a_broken_link_and_covers_nothing_after_it(
        desk: ServiceDesk, settings: Settings, history: History) -> None:
    # given a DBA who rewrote the transfer behind the dropped guard
    with Dba(settings, desk) as db:
        db.drop_guard()
        db.set(history.transferred, "topic", "domain.cases:Case.Closed")
    # when the follower extends the tree
    growth = extend_tree(desk)
    # then it stops at the transfer, with the events before it, and says why
    assert growth.broken_position == history.transferred
    assert growth.problem is not None and "altered" in growth.problem
    positions = [row.notification_id for row in chain_rows(desk)]
    assert growth.size == positions.index(history.transferred)
