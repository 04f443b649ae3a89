"""The ledger's costs: appending with and without the application's batch signature,
extending the Merkle tree behind the log, `verify`, and proof latency at the log's size.

On a shared machine wall time says little, so beside it the append and proof figures give
this process's CPU time (`time.process_time`) and, on SQLite, what does not depend on load at
all: statements executed (SQLite's trace callback, top-level statements and trigger bodies
apart) and pages written (WAL frames: every page a commit dirties is written to the WAL once
per commit; automatic checkpoints are off during the timed rounds so none is lost).

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
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
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
STATEMENTS = [0, 0]  # top-level SQL statements appending (SQLite): unsigned, signed
TRIGGERS = [0, 0]  # trigger bodies run appending (SQLite): unsigned, signed
PAGES = [0, 0]  # pages written appending (SQLite WAL frames): unsigned, signed
# Every SQLite connection the desks open (bench only: their pool makes them), by database file.
CONNECTIONS: dict[str, list[sqlite3.Connection]] = {}
TRACE: dict[str, Any] = {"statements": 0, "triggers": 0, "selects": 0, "previous": ""}


def count_sqlite_statements() -> None:
    """Make every SQLite connection opened from now on count its statements in TRACE."""
    from eventsourcing.sqlite import SQLiteConnectionPool

    create = SQLiteConnectionPool._create_connection

    def counted(pool: SQLiteConnectionPool) -> Any:
        connection = create(pool)
        raw: sqlite3.Connection = connection._sqlite_conn

        def trace(statement: str) -> None:
            # Python traces a trigger's body with its statement's text again: an INSERT
            # traced twice in a row (no two rows are alike) is once its trigger.
            if statement == TRACE["previous"]:
                TRACE["triggers"] += 1
            else:
                TRACE["statements"] += 1
                TRACE["selects"] += statement.startswith("SELECT")
            TRACE["previous"] = statement

        raw.set_trace_callback(trace)
        CONNECTIONS.setdefault(pool.db_name, []).append(raw)
        return connection

    SQLiteConnectionPool._create_connection = counted  # type: ignore[method-assign]


def wal_frames(path: str, *, truncate: bool) -> int:
    """The frames in the WAL of `path` (with automatic checkpoints off: every page written
    since it was last truncated), and, if `truncate`, checkpoint and empty it."""
    connections = CONNECTIONS.get(path, [])
    if not connections:
        return 0
    (_, frames, _) = connections[0].execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    if truncate:
        connections[0].execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    return max(frames, 0)


def autocheckpoint(path: str, pages: int) -> None:
    for connection in CONNECTIONS.get(path, []):
        connection.execute(f"PRAGMA wal_autocheckpoint = {pages}").fetchone()


def append(desk: object, events: int, batch: int, side: int | None = None) -> float:
    """Seconds to append `events` synthetic events, `batch` per transaction (and, added to
    index `side` of CPU, STATEMENTS, TRIGGERS and PAGES, the CPU seconds, statements and
    pages spent: the cost a busy machine's waits do not blur)."""
    recorder = desk.recorder  # type: ignore[attr-defined]
    path = getattr(recorder.datastore.pool, "db_name", None)  # None: PostgreSQL
    if side is not None and path:
        autocheckpoint(path, 0)
        wal_frames(path, truncate=True)
    state = os.urandom(150).hex().encode()
    traced = dict(TRACE)
    started, cpu_started = time.perf_counter(), time.process_time()
    for _ in range(0, events, batch):
        case = uuid4()
        recorder.insert_events([StoredEvent(originator_id=case, originator_version=v,
                                            topic="domain.cases:Case.Noted", state=state)
                                for v in range(1, batch + 1)])
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    if side is not None:
        CPU[side] += cpu
        STATEMENTS[side] += int(TRACE["statements"]) - int(traced["statements"])
        TRIGGERS[side] += int(TRACE["triggers"]) - int(traced["triggers"])
        if path:
            PAGES[side] += wal_frames(path, truncate=True)
            autocheckpoint(path, 1000)
    return elapsed


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
    count_sqlite_statements()
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
        batches = args.events // args.batch
        print(f"  CPU of this process: unsigned {CPU[0]:.2f} s, signed {CPU[1]:.2f} s: "
              f"{100 * (CPU[1] / CPU[0] - 1):+.1f}% ({1000 * CPU[0] / batches:.3f} and "
              f"{1000 * CPU[1] / batches:.3f} ms a batch)")
        if not args.database_url:
            print(f"  per batch: statements unsigned {STATEMENTS[0] / batches:.2f}, signed "
                  f"{STATEMENTS[1] / batches:.2f}; trigger bodies run unsigned "
                  f"{TRIGGERS[0] / batches:.2f}, signed {TRIGGERS[1] / batches:.2f}; pages "
                  f"written unsigned {PAGES[0] / batches:.2f}, signed {PAGES[1] / batches:.2f}"
                  f" ({100 * (PAGES[1] / PAGES[0] - 1):+.1f}%)")
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
        for name, runs, prove in (
                ("inclusion", positions, lambda p: prove_inclusion(signed, p, size)),
                ("consistency", positions[:300],
                 lambda p: prove_consistency(signed, max(1, p), size))):
            wall, cpu, traced = [], [], TRACE["selects"]
            for position in runs:
                started, cpu_started = time.perf_counter(), time.process_time()
                prove(position)
                cpu.append(1000 * (time.process_time() - cpu_started))
                wall.append(1000 * (time.perf_counter() - started))
            queries = (f", {(TRACE['selects'] - traced) / len(runs):.1f} queries each"
                       if not args.database_url else "")
            print(f"{name} proof at {size}: wall p50 {percentile(wall, 50):.2f} ms, p99 "
                  f"{percentile(wall, 99):.2f} ms; CPU p50 {percentile(cpu, 50):.2f} ms, p99 "
                  f"{percentile(cpu, 99):.2f} ms (target p99: under 5 ms){queries}; "
                  f"load average {os.getloadavg()[0]:.1f}")
        plain.close()
        signed.close()
        drop_schemas(args.database_url, *schemas)
    return 0


if __name__ == "__main__":
    sys.exit(main())
