"""The RFC 9162 tree against the Certificate Transparency reference vectors (RFC 6962's test
data), and every proof of small trees against a tree computed straight from the definition."""

from __future__ import annotations

import hashlib

import pytest

from infrastructure import merkle

# The reference leaves and the roots of their first n leaves (certificate-transparency's
# merkle tree tests; also used by Trillian and every CT client).
LEAVES = [bytes.fromhex(h) for h in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
    "606162636465666768696a6b6c6d6e6f")]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
INCLUSION = [  # (leaf index, tree size, proof)
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]
CONSISTENCY = [  # (first size, second size, proof)
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]


def definition_root(hashes: list[bytes]) -> bytes:
    """MTH straight from RFC 9162 section 2.1.1, recursively over a list."""
    if not hashes:
        return hashlib.sha256(b"").digest()
    if len(hashes) == 1:
        return hashes[0]
    k = 1 << ((len(hashes) - 1).bit_length() - 1)
    return hashlib.sha256(b"\x01" + definition_root(hashes[:k])
                          + definition_root(hashes[k:])).digest()


def subtrees_of(hashes: list[bytes]) -> merkle.Subtrees:
    return lambda level, index: definition_root(
        hashes[index << level:(index + 1) << level])


HASHES = [merkle.leaf_hash(leaf) for leaf in LEAVES]


@pytest.mark.parametrize("size", range(9))
def test_roots_are_the_reference_roots(size: int) -> None:
    assert merkle.root(subtrees_of(HASHES), size).hex() == ROOTS[size]


@pytest.mark.parametrize(("index", "size", "expected"), INCLUSION)
def test_inclusion_proofs_are_the_reference_proofs(index: int, size: int,
                                                   expected: list[str]) -> None:
    proof = merkle.inclusion_proof(subtrees_of(HASHES), index, size)
    assert [p.hex() for p in proof] == expected
    assert merkle.verify_inclusion(index, size, HASHES[index], proof, bytes.fromhex(ROOTS[size]))


@pytest.mark.parametrize(("first", "second", "expected"), CONSISTENCY)
def test_consistency_proofs_are_the_reference_proofs(first: int, second: int,
                                                     expected: list[str]) -> None:
    proof = merkle.consistency_proof(subtrees_of(HASHES), first, second)
    assert [p.hex() for p in proof] == expected
    assert merkle.verify_consistency(first, second, proof, bytes.fromhex(ROOTS[first]),
                                     bytes.fromhex(ROOTS[second]))


def test_every_proof_of_every_small_tree_verifies_and_a_changed_one_does_not() -> None:
    hashes = [merkle.leaf_hash(bytes([i, i * 7 % 256])) for i in range(21)]
    subtrees = subtrees_of(hashes)
    for size in range(1, len(hashes) + 1):
        tree_root = definition_root(hashes[:size])
        for index in range(size):
            proof = merkle.inclusion_proof(subtrees, index, size)
            assert merkle.verify_inclusion(index, size, hashes[index], proof, tree_root)
            assert not merkle.verify_inclusion(index, size, bytes(32), proof, tree_root)
        for first in range(1, size + 1):
            proof = merkle.consistency_proof(subtrees, first, size)
            first_root = definition_root(hashes[:first])
            assert merkle.verify_consistency(first, size, proof, first_root, tree_root)
            if first < size:
                forked = definition_root([hashes[0][::-1], *hashes[1:first]])
                assert not merkle.verify_consistency(first, size, proof, forked, tree_root)


def test_the_frontier_folds_into_the_root_as_leaves_are_appended() -> None:
    hashes = [merkle.leaf_hash(bytes([i])) for i in range(37)]
    stored: dict[tuple[int, int], bytes] = {}
    for size, leaf in enumerate(hashes):
        stored[(0, size)] = leaf
        for level, index in merkle.completed_by_append(size):
            stored[(level, index)] = merkle.node_hash(stored[(level - 1, 2 * index)],
                                                      stored[(level - 1, 2 * index + 1)])
        assert merkle.root(lambda level, index: stored[(level, index)], size + 1) \
            == definition_root(hashes[:size + 1])
        assert all(position in stored for position in merkle.frontier_positions(size + 1))


def test_a_proof_beyond_the_tree_is_refused() -> None:
    with pytest.raises(merkle.ProofError):
        merkle.inclusion_proof(subtrees_of(HASHES), 8, 8)
    with pytest.raises(merkle.ProofError):
        merkle.consistency_proof(subtrees_of(HASHES), 5, 4)


def test_a_compact_range_has_the_root_of_the_leaves_appended_so_far() -> None:
    hashes = [merkle.leaf_hash(bytes([i])) for i in range(40)]
    compact = merkle.CompactRange()
    assert compact.root() == merkle.EMPTY_ROOT
    for size, leaf in enumerate(hashes, start=1):
        compact.append(leaf)
        assert compact.root() == definition_root(hashes[:size])
