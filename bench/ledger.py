"""The ledger's costs: appending with and without the application's batch signature,
extending the Merkle tree behind the log, `verify`, and proof latency at the log's size.

    .venv/bin/python bench/ledger.py [--events 100000] [--batch 10] [--fill 1000000]
        [--database-url postgresql://...]

Synthetic events (a UUID, a version, a topic and 300 bytes of state) are appended through the
chained recorder in batches of `--batch`, as commands append them, unsigned and signed in
interleaved rounds, into two temporary SQLite files (or two fresh PostgreSQL schemas, dropped
afterwards). Then the signed log is filled to `--fill` events (1,000 a transaction), the tree
extended over it, the chain verified and proofs timed at that size. Nothing is kept.
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

CPU = [0.0, 0.0]  # this process's CPU seconds appending: unsigned, signed


def append(desk: object, events: int, batch: int, cpu: int | None = None) -> float:
    """Seconds to append `events` synthetic events, `batch` per transaction (and the CPU
    seconds spent, added to CPU[cpu]: the cost a busy machine's waits do not blur)."""
    recorder = desk.recorder  # type: ignore[attr-defined]
    state = os.urandom(150).hex().encode()
    started, cpu_started = time.perf_counter(), time.process_time()
    for _ in range(0, events, batch):
        case = uuid4()
        recorder.insert_events([StoredEvent(originator_id=case, originator_version=v,
                                            topic="domain.cases:Case.Noted", state=state)
                                for v in range(1, batch + 1)])
    if cpu is not None:
        CPU[cpu] += time.process_time() - cpu_started
    return time.perf_counter() - started


def percentile(samples: list[float], q: float) -> float:
    return statistics.quantiles(samples, n=100)[q - 1] if len(samples) > 1 else samples[0]


def settings_for(directory: str, url: str | None, schema: str | None, **options: str) -> Settings:
    if url is None:
        return Settings(data_dir=Path(directory), **options)  # type: ignore[arg-type]
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    return Settings(data_dir=Path(directory), database_url=url, database_schema=schema,
                    **options)  # type: ignore[arg-type]


def drop_schemas(url: str | None, *schemas: str) -> None:
    if url is None:
        return
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        for schema in schemas:
            connection.execute(f"DROP SCHEMA {schema} CASCADE")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=10, help="events per append")
    parser.add_argument("--fill", type=int, default=0, help="fill the signed log to this "
                        "many events before timing the tree, verify and proofs")
    parser.add_argument("--database-url", default=None, help="PostgreSQL (default: SQLite)")
    args = parser.parse_args()
    tag = uuid4().hex[:8]
    schemas = (f"bench_plain_{tag}", f"bench_signed_{tag}")
    with tempfile.TemporaryDirectory() as plain_dir, tempfile.TemporaryDirectory() as signed_dir:
        signer = Signer.generate("bench.example/log")
        plain = build_desk(settings_for(plain_dir, args.database_url, schemas[0]))
        signed = build_desk(settings_for(signed_dir, args.database_url, schemas[1],
                                         checkpoint_key=str(signer)))
        print(f"{'PostgreSQL' if args.database_url else 'SQLite'}; load average "
              f"{os.getloadavg()[0]:.1f} at start")
        # Interleaved rounds, so that a busy machine weighs on both alike.
        unsigned_s = signed_s = 0.0
        for _ in range(10):
            unsigned_s += append(plain, args.events // 10, args.batch, 0)
            signed_s += append(signed, args.events // 10, args.batch, 1)
        print(f"append {args.events} events, {args.batch} a batch: unsigned {unsigned_s:.1f} s "
              f"({args.events / unsigned_s:,.0f}/s), signed {signed_s:.1f} s "
              f"({args.events / signed_s:,.0f}/s): {100 * (signed_s / unsigned_s - 1):+.1f}% "
              "(target: under +10%)")
        print(f"  CPU of this process: unsigned {CPU[0]:.1f} s, signed {CPU[1]:.1f} s: "
              f"{100 * (CPU[1] / CPU[0] - 1):+.1f}%")
        if args.fill > args.events:
            started = time.perf_counter()
            append(signed, args.fill - args.events, 1_000)
            print(f"filled to {args.fill} events in {time.perf_counter() - started:.0f} s")
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
              f"p99 {percentile(inclusion, 99):.2f} ms (target: under 5 ms); consistency "
              f"proof: p50 {percentile(consistency, 50):.2f} ms, p99 "
              f"{percentile(consistency, 99):.2f} ms; load average {os.getloadavg()[0]:.1f}")
        plain.close()
        signed.close()
        drop_schemas(args.database_url, *schemas)
    return 0


if __name__ == "__main__":
    sys.exit(main())
