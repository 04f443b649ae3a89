"""Benchmark: `civicdesk import` of a 10,000-row CSV export, run twice, on SQLite and
PostgreSQL.

Writes an export in the desk's own columns (70% closed, 20% resolved, 10% still open, received
over the past three years), then times the first import (every case recorded, 250 cases a
transaction), the second (every case found already recorded, nothing written) and a dry run.
Prints rows per second, CPU time and the machine's load average (the machine is shared: the
wall-clock figure moves with it).

    .venv/bin/python bench/import_cases.py [--rows 10000] [--database sqlite|postgres|both]

PostgreSQL from CIVICDESK_DATABASE_URL, else CIVICDESK_TEST_DATABASE_URL, in a fresh schema
dropped afterwards.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))

from rebuild import database, postgres_url

from application.importing import ImportSummary
from domain.actors import Actor, Role
from infrastructure.bootstrap import build_desk, seed_catalogue
from infrastructure.case_import import import_csv, mapping_named

FIELDS = ["source_id", "received_at", "channel", "purpose", "department", "service_code",
          "subject", "description", "status", "resolved_at", "resolution", "closed_at"]
STATUSES = ["closed"] * 7 + ["resolved"] * 2 + ["open"]
CHANNELS = ["email", "telephone", "web_form", "written", "in_person"]
IMPORTER = Actor(id="civicdesk-bench", role=Role.ADMIN)


def write_export(path: Path, rows: int) -> None:
    start = datetime.now(UTC) - timedelta(days=3 * 365)
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=FIELDS)
        writer.writeheader()
        for n in range(rows):
            received = start + timedelta(minutes=150 * n)
            resolved = received + timedelta(days=3)
            status = STATUSES[n % len(STATUSES)]
            writer.writerow({
                "source_id": f"CAS-{n:07d}", "received_at": received.isoformat(),
                "channel": CHANNELS[n % len(CHANNELS)], "purpose": "information",
                "department": "public-works", "service_code": "",
                "subject": f"Past case {n}", "description": "Imported for the benchmark",
                "status": status,
                "resolved_at": resolved.isoformat() if status != "open" else "",
                "resolution": "Answered" if status != "open" else "",
                "closed_at": (resolved + timedelta(days=1)).isoformat()
                if status == "closed" else ""})


def timed(label: str, rows: int, run: Callable[[], ImportSummary]) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    summary = run()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"  {label:<16} {wall:7.1f} s  ({cpu:5.1f} s CPU)  {rows / wall:8,.0f} rows/s  "
          f"{summary.as_dict()}")


def load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def bench(kind: str, rows: int) -> None:
    with database(kind, None, None) as settings:
        desk = build_desk(settings)
        seed_catalogue(desk)
        path = settings.data_dir / "export.csv"
        write_export(path, rows)
        mapping = mapping_named("civicdesk")
        print(f"{kind}: {rows:,} rows, load average {load()}")
        timed("first import", rows,
              lambda: import_csv(desk, path, mapping, IMPORTER, bar=False))
        timed("second import", rows,
              lambda: import_csv(desk, path, mapping, IMPORTER, bar=False))
        timed("dry run", rows,
              lambda: import_csv(desk, path, mapping, IMPORTER, dry_run=True, bar=False))
        print(f"  log position {desk.log_position():,}; load average now {load()}")
        desk.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    kinds = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    if "postgres" in kinds and postgres_url() is None:
        print("PostgreSQL: no CIVICDESK_DATABASE_URL or CIVICDESK_TEST_DATABASE_URL; skipped",
              file=sys.stderr)
        kinds.remove("postgres")
    for kind in kinds:
        bench(kind, args.rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
