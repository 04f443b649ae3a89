"""Benchmark: rebuilding read models from a log of 1,000,000 events, on PostgreSQL and SQLite.

1. Generate the log in bulk, not over HTTP: the demo generator (realistic cases told with the
   domain's own commands, saved a hundred at a time with their reference book), a couple of
   thousand cases per call, until the log holds `--events` notifications (or
   `--generate-seconds` have passed: the figures then say how many it holds).
2. Scan: a plain `SELECT` of the events table, in keyset pages of `--batch-size` rows, read
   into Python tuples and nothing more. This is the ceiling a rebuild is compared with. Then
   the replay's own reading without a projection (the recorder's pages, each notification
   decoded into its domain event, by eventsourcing's mapper and by the replay's decoder,
   engine.decoding), which shows how much of a rebuild is the read model's own work.
3. Rebuild every read model (or those named by `--read-model`) with `engine.rebuild.rebuild`
   (exactly what `civicdesk rebuild NAME` runs), and print each one's events per second and
   its fraction of the scan's rate.

SQLite runs in a temporary file; PostgreSQL (CIVICDESK_DATABASE_URL, else
CIVICDESK_TEST_DATABASE_URL) in a fresh schema dropped afterwards. Generating a million events
takes a while (the demo tells each case through the domain), so `--data-dir DIR` and
`--schema NAME` keep the database and reuse it next time, topping it up to `--events`.

    .venv/bin/python bench/rebuild.py [--events 1000000] [--database sqlite|postgres|both]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tqdm import tqdm  # type: ignore[import-untyped]

from application.desk import ServiceDesk
from engine.decoding import ReplayDecoder
from engine.rebuild import BATCH_SIZE, rebuild
from infrastructure.bootstrap import build_desk, seed_catalogue
from infrastructure.demo import load_demo
from infrastructure.master_key import new_master_key
from infrastructure.settings import Settings
from projections.registry import all_specs

EVENTS_PER_CASE = 10.8  # what the demo records per case, on average
CASES_PER_CALL = 2000

# The demo's customers are sealed under a key of this run (a benchmark keeps nothing).
MASTER_KEY = new_master_key()


def postgres_url() -> str | None:
    return (os.environ.get("CIVICDESK_DATABASE_URL")
            or os.environ.get("CIVICDESK_TEST_DATABASE_URL") or None)


@contextmanager
def database(kind: str, data_dir: str | None, schema: str | None) -> Iterator[Settings]:
    """Settings for the benchmark's database: kept if named, else made and removed."""
    directory = Path(data_dir) if data_dir else Path(tempfile.mkdtemp(prefix="civicdesk-bench-"))
    try:
        if kind == "sqlite":
            yield Settings(data_dir=directory, run_scheduler=False, master_key=MASTER_KEY)
            return
        import psycopg

        url = postgres_url()
        assert url is not None
        name = schema or f"bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{name}"')
        try:
            yield Settings(data_dir=directory, database_url=url, database_schema=name,
                           run_scheduler=False, master_key=MASTER_KEY)
        finally:
            if schema is None:
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute(f'DROP SCHEMA "{name}" CASCADE')
    finally:
        if data_dir is None:
            shutil.rmtree(directory, ignore_errors=True)


def generate(desk: ServiceDesk, events: int, seconds: float | None) -> str:
    """Load demo cases until the log holds `events` notifications. Says what it did."""
    started = time.monotonic()
    head = first = desk.log_position()
    seed = 1 + head  # a reused log gets new cases, not the same ones again
    with tqdm(total=events, initial=min(head, events), unit="event", unit_scale=True,
              desc="generate", file=sys.stderr) as bar:
        while head < events:
            if seconds is not None and time.monotonic() - started > seconds:
                print(f"generation stopped after {seconds:g} s (--generate-seconds)",
                      file=sys.stderr)
                break
            cases = max(10, min(CASES_PER_CALL, round((events - head) / EVENTS_PER_CASE)))
            load_demo(desk, cases=cases, seed=seed)
            seed += 1
            now = desk.log_position()
            bar.update(min(now, events) - min(head, events))
            head = now
    if head == first:
        return "reused"
    return f"{head - first:,} generated in {time.monotonic() - started:,.0f} s"


def scan(settings: Settings, desk: ServiceDesk, batch: int) -> tuple[int, float]:
    """A plain SELECT of every event row into Python, in keyset pages: (rows, seconds)."""
    table = desk.recorder.events_table_name  # type: ignore[attr-defined]
    rows = 0
    last = 0
    started = time.monotonic()
    if settings.is_postgres:
        import psycopg

        assert settings.database_url is not None
        with psycopg.connect(settings.database_url) as conn:
            statement = ("SELECT notification_id, originator_id, originator_version, topic, "
                         f'state FROM "{settings.database_schema}"."{table}" '
                         "WHERE notification_id > %s ORDER BY notification_id LIMIT %s")
            while page := conn.execute(statement, (last, batch)).fetchall():
                rows += len(page)
                last = page[-1][0]
    else:
        import sqlite3

        conn = sqlite3.connect(settings.sqlite_path)
        try:
            statement = ("SELECT rowid, originator_id, originator_version, topic, state "
                         f"FROM {table} WHERE rowid > ? ORDER BY rowid LIMIT ?")
            while page := conn.execute(statement, (last, batch)).fetchall():
                rows += len(page)
                last = page[-1][0]
        finally:
            conn.close()
    return rows, time.monotonic() - started


def decode(desk: ServiceDesk, batch: int, mapper: bool = False) -> tuple[int, float]:
    """The replay's own reading: notifications in pages, each decoded into its domain event
    (by the replay's decoder, or with `mapper` by eventsourcing's), and no projection:
    (events, seconds)."""
    events = last = 0
    to_event = desk.mapper.to_domain_event if mapper else ReplayDecoder(desk.mapper)
    started = time.monotonic()
    while page := desk.recorder.select_notifications(start=last + 1, limit=batch):
        for notification in page:
            to_event(notification)
        events += len(page)
        last = page[-1].id
    return events, time.monotonic() - started


def bench(kind: str, args: argparse.Namespace) -> list[str]:
    lines: list[str] = []

    def say(line: str) -> None:  # as soon as it is known: a long run may be cut short
        lines.append(line)
        print(line, flush=True)

    with database(kind, args.data_dir, args.schema) as settings:
        desk = build_desk(settings)
        try:
            seed_catalogue(desk)
            generated = generate(desk, args.events, args.generate_seconds)
            head = desk.log_position()
            label = "PostgreSQL" if settings.is_postgres else "SQLite"
            say(f"{label}: {head:,} events in the log ({generated})")
            rows, seconds = scan(settings, desk, args.batch_size)
            ceiling = rows / seconds
            say(f"  {'plain SELECT scan of the events table':<40}"
                         f"{ceiling:>12,.0f} events/s  (the ceiling; {seconds:.1f} s)")
            for label, mapper in (("read, decode (mapper), no projection", True),
                                  ("read, decode (replay), no projection", False)):
                events, seconds = decode(desk, args.batch_size, mapper)
                say(f"  {label:<40}{events / seconds:>12,.0f} events/s  "
                             f"({100 * events / seconds / ceiling:.1f}% of the scan; "
                             f"{seconds:.1f} s)")
            specs = all_specs()
            for name in args.read_models or list(specs):
                done = rebuild(settings, desk, specs[name], batch_size=args.batch_size,
                               progress=True, grace=0)
                rate = done.events / done.seconds
                say(f"  {'rebuild ' + name:<40}{rate:>12,.0f} events/s  "
                             f"({100 * rate / ceiling:.1f}% of the scan; {done.seconds:.1f} s "
                             f"for {done.events:,} events)")
        finally:
            desk.close()
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--batch-size", dest="batch_size", type=int, default=BATCH_SIZE,
                        help="notifications per rebuild transaction, and rows per scan page")
    parser.add_argument("--generate-seconds", dest="generate_seconds", type=float,
                        help="stop generating after this long")
    parser.add_argument("--data-dir", dest="data_dir", help="keep (and reuse) the SQLite file here")
    parser.add_argument("--schema", help="keep (and reuse) this PostgreSQL schema")
    parser.add_argument("--read-model", dest="read_models", action="append",
                        help="rebuild only this read model (repeatable; default: every one)")
    args = parser.parse_args(argv)
    kinds = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    if "postgres" in kinds and postgres_url() is None:
        if args.database == "postgres":
            parser.error("set CIVICDESK_DATABASE_URL (or CIVICDESK_TEST_DATABASE_URL)")
        print("PostgreSQL skipped: no CIVICDESK_DATABASE_URL or CIVICDESK_TEST_DATABASE_URL",
              file=sys.stderr)
        kinds.remove("postgres")
    report: list[Any] = []
    for kind in kinds:
        report += bench(kind, args)
    print("\n" + "\n".join(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
