"""The RFC 9162 (Certificate Transparency v2) Merkle tree: hashes, proofs and their checks.

Pure functions, no I/O. A tree of n leaves is read through `Subtrees`, which gives the hash of
any perfect, aligned subtree (2**level leaves starting at index * 2**level); the stored tree
(infrastructure.merkle_store) keeps exactly those. Every range the RFC's recursion visits
splits into perfect aligned subtrees, so a root or a proof reads O(log n) of them at most
O(log n) times. The checks (`verify_inclusion`, `verify_consistency`) are the RFC's own
iterative algorithms (sections 2.1.3.2 and 2.1.4.2), a second implementation beside the
recursive generation (sections 2.1.3.1 and 2.1.4.1).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

# The hash of the perfect subtree at (level, index).
Subtrees = Callable[[int, int], bytes]


class ProofError(ValueError):
    """A proof was asked for sizes or an index the tree cannot prove (says which)."""


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _largest_power_below(n: int) -> int:
    """k: the largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def range_hash(subtrees: Subtrees, start: int, end: int) -> bytes:
    """MTH(D[start:end]) for a range the recursion visits (start aligned on the range's
    largest power of two)."""
    size = end - start
    if size == 0:
        return EMPTY_ROOT
    if size & (size - 1) == 0:
        level = size.bit_length() - 1
        assert start % size == 0, "the recursion only visits aligned perfect subtrees"
        return subtrees(level, start >> level)
    k = _largest_power_below(size)
    return node_hash(range_hash(subtrees, start, start + k), range_hash(subtrees, start + k, end))


def root(subtrees: Subtrees, size: int) -> bytes:
    return range_hash(subtrees, 0, size)


def inclusion_proof(subtrees: Subtrees, index: int, size: int) -> list[bytes]:
    """PATH(index, D[0:size]), RFC 9162 section 2.1.3.1."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of {size} leaves")
    proof: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = _largest_power_below(end - start)
        if index < start + k:
            proof.append(range_hash(subtrees, start + k, end))
            end = start + k
        else:
            proof.append(range_hash(subtrees, start, start + k))
            start = start + k
    proof.reverse()  # the recursion appends the deepest sibling last
    return proof


def consistency_proof(subtrees: Subtrees, first: int, second: int) -> list[bytes]:
    """PROOF(first, D[0:second]), RFC 9162 section 2.1.4.1."""
    if not 0 < first <= second:
        raise ProofError(f"no consistency proof from {first} leaves to {second} leaves: "
                         "the first size must be at least 1 and at most the second")
    proof: list[bytes] = []
    start, end, m, whole = 0, second, first, True
    while m != end - start:
        k = _largest_power_below(end - start)
        if m <= k:
            proof.append(range_hash(subtrees, start + k, end))
            end = start + k
        else:
            proof.append(range_hash(subtrees, start, start + k))
            start, m, whole = start + k, m - k, False
    if not whole:
        proof.append(range_hash(subtrees, start, end))
    proof.reverse()
    return proof


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes],
                     expected_root: bytes) -> bool:
    """RFC 9162 section 2.1.3.2: `leaf` (a leaf hash) is leaf `index` of the tree of `size`
    leaves whose root is `expected_root`."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == expected_root


def verify_consistency(first: int, second: int, proof: Sequence[bytes], first_root: bytes,
                       second_root: bytes) -> bool:
    """RFC 9162 section 2.1.4.2: the tree of `second` leaves with root `second_root` extends
    the tree of `first` leaves with root `first_root`."""
    if not 0 < first <= second:
        return False
    if first == second:
        return not proof and first_root == second_root
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:  # a power of two: the first root is itself on the path
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == first_root and sr == second_root and sn == 0


def frontier_positions(size: int) -> list[tuple[int, int]]:
    """The perfect subtrees (level, index) whose fold is the root of `size` leaves, highest
    level first: the compact range [0, size) that an append extends."""
    return [(level, (size >> level) - 1) for level in reversed(range(size.bit_length()))
            if size >> level & 1]


def completed_by_append(size: int) -> list[tuple[int, int]]:
    """The subtrees (level, index), level >= 1, that appending leaf `size` completes: the new
    leaf's index climbs while it is a right child."""
    completed, index, level = [], size, 0
    while index & 1:
        index, level = index >> 1, level + 1
        completed.append((level, index))
    return completed


class CompactRange:
    """The root of a growing list of leaves in O(log n) memory: the frontier of perfect
    subtrees, merged as each leaf is appended (used to recompute roots while walking the log)."""

    def __init__(self) -> None:
        self.size = 0
        self._stack: list[bytes] = []  # the frontier's hashes, highest level first

    def append(self, leaf: bytes) -> None:
        node, index = leaf, self.size
        while index & 1:
            node = node_hash(self._stack.pop(), node)
            index >>= 1
        self._stack.append(node)
        self.size += 1

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        node = self._stack[-1]
        for left in reversed(self._stack[:-1]):
            node = node_hash(left, node)
        return node
