"""The ledger's costs on SQLite: appending with and without the application's batch signature,
extending the Merkle tree behind the log, `verify`, and proof latency at the log's size.

    .venv/bin/python bench/ledger.py [--events 100000] [--batch 10]

Synthetic events (a UUID, a version, a topic and 300 bytes of state) are appended through the
chained recorder in batches of `--batch`, as commands append them, first unsigned then signed,
into two temporary SQLite files; the figures are printed, nothing is kept.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from uuid import uuid4

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eventsourcing.persistence import StoredEvent

from infrastructure.bootstrap import build_desk
from infrastructure.ledger import verify_log
from infrastructure.merkle_store import (
    extend_tree,
    prove_consistency,
    prove_inclusion,
)
from infrastructure.settings import Settings
from infrastructure.signed_note import Signer


def append(desk: object, events: int, batch: int) -> float:
    """Seconds to append `events` synthetic events, `batch` per transaction."""
    recorder = desk.recorder  # type: ignore[attr-defined]
    state = os.urandom(150).hex().encode()
    started = time.perf_counter()
    for _ in range(0, events, batch):
        case = uuid4()
        recorder.insert_events([StoredEvent(originator_id=case, originator_version=v,
                                            topic="domain.cases:Case.Noted", state=state)
                                for v in range(1, batch + 1)])
    return time.perf_counter() - started


def percentile(samples: list[float], q: float) -> float:
    return statistics.quantiles(samples, n=100)[q - 1] if len(samples) > 1 else samples[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=10, help="events per append")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as plain_dir, tempfile.TemporaryDirectory() as signed_dir:
        plain = build_desk(Settings(data_dir=Path(plain_dir)))
        signer = Signer.generate("bench.example/log")
        signed = build_desk(Settings(data_dir=Path(signed_dir), checkpoint_key=str(signer)))
        # Interleaved rounds, so that a busy machine weighs on both alike.
        unsigned_s = signed_s = 0.0
        for _ in range(10):
            unsigned_s += append(plain, args.events // 10, args.batch)
            signed_s += append(signed, args.events // 10, args.batch)
        print(f"append {args.events} events, {args.batch} a batch: unsigned {unsigned_s:.1f} s "
              f"({args.events / unsigned_s:,.0f}/s), signed {signed_s:.1f} s "
              f"({args.events / signed_s:,.0f}/s): {100 * (signed_s / unsigned_s - 1):+.1f}%")
        started = time.perf_counter()
        size = extend_tree(signed).size
        tree_s = time.perf_counter() - started
        print(f"extend the tree over {size} events: {tree_s:.1f} s ({size / tree_s:,.0f}/s), "
              f"{1000 * tree_s / size * args.batch:.2f} ms per batch appended")
        started = time.perf_counter()
        verdict = verify_log(signed)
        verify_s = time.perf_counter() - started
        print(f"verify the chain: {verdict.events / verify_s:,.0f} events/s")
        positions = [random.randint(1, size) for _ in range(1_000)]
        inclusion = []
        for position in positions:
            started = time.perf_counter()
            prove_inclusion(signed, position, size)
            inclusion.append(1000 * (time.perf_counter() - started))
        consistency = []
        for position in positions[:300]:
            started = time.perf_counter()
            prove_consistency(signed, max(1, position), size)
            consistency.append(1000 * (time.perf_counter() - started))
        print(f"inclusion proof at {size}: p50 {percentile(inclusion, 50):.2f} ms, "
              f"p99 {percentile(inclusion, 99):.2f} ms; consistency proof: p50 "
              f"{percentile(consistency, 50):.2f} ms, p99 {percentile(consistency, 99):.2f} ms")
        plain.close()
        signed.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
