"""Proofs as an auditor or a resident receives them: JSON, and the C2SP tlog-proof text.

An inclusion proof is sent with the leaf it proves: the event's canonical bytes (base64; a
version byte, position, originator id, version, SHA-256 of topic and of state), whose hash
`SHA-256(0x00 || leaf)` is the Merkle leaf, so anyone holding the event (an export line) can
check that the proof is about it. When a checkpoint was signed at the proof's tree size, the
proof is also given as a `c2sp.org/tlog-proof@v1` text: the leaf as its `extra` line, the
leaf index, the proof hashes, a blank line, and the signed checkpoint.
"""

from __future__ import annotations

import base64
from typing import Any

from eventsourcing.application import Application

from infrastructure.chain import leaf_bytes
from infrastructure.checkpoints import checkpoint_at
from infrastructure.ledger import chain_rows
from infrastructure.merkle_store import (
    ConsistencyProof,
    InclusionProof,
    NotInTree,
    prove_consistency,
    prove_inclusion,
)

TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def leaf_of(desk: Application[Any], position: int) -> bytes:
    rows = list(chain_rows(desk, position, position))
    if not rows or None in (rows[0].originator_id, rows[0].originator_version, rows[0].topic,
                            rows[0].state):
        raise NotInTree(f"no event at position {position}")
    return leaf_bytes(rows[0])


def tlog_proof(proof: InclusionProof, leaf: bytes, checkpoint: str) -> str:
    hashes = "".join(f"{_b64(h)}\n" for h in proof.hashes)
    return (f"{TLOG_PROOF_HEADER}\nextra {_b64(leaf)}\nindex {proof.leaf_index}\n{hashes}\n"
            f"{checkpoint}")


def inclusion(desk: Application[Any], position: int, tree_size: int | None) -> dict[str, Any]:
    """The inclusion proof of the event at `position` in the tree of `tree_size` leaves
    (default: the latest signed checkpoint's, else the whole tree), as JSON."""
    if tree_size is None:
        from infrastructure.checkpoints import latest_checkpoint, parse_checkpoint

        latest = latest_checkpoint(desk)
        if latest is not None:
            tree_size = parse_checkpoint(latest.partition("\n\n")[0] + "\n").size
    proof = prove_inclusion(desk, position, tree_size)
    leaf = leaf_of(desk, position)
    checkpoint = checkpoint_at(desk, proof.tree_size)
    return {"position": position, "leaf_index": proof.leaf_index,
            "tree_size": proof.tree_size, "leaf": _b64(leaf), "leaf_hash": _b64(proof.leaf_hash),
            "root_hash": _b64(proof.root), "hashes": [_b64(h) for h in proof.hashes],
            "checkpoint": checkpoint,
            "tlog_proof": None if checkpoint is None else tlog_proof(proof, leaf, checkpoint)}


def consistency(desk: Application[Any], first: int, second: int | None) -> dict[str, Any]:
    proof: ConsistencyProof = prove_consistency(desk, first, second)
    return {"from": proof.first, "to": proof.second, "from_root_hash": _b64(proof.first_root),
            "to_root_hash": _b64(proof.second_root), "hashes": [_b64(h) for h in proof.hashes],
            "from_checkpoint": checkpoint_at(desk, proof.first),
            "to_checkpoint": checkpoint_at(desk, proof.second)}
