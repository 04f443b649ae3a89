"""Benchmark: commands over HTTP against the database's own ceiling and the framework's floor.

On PostgreSQL, in one run (issue 12):
1. The raw ceiling: single-row autocommit INSERTs into a plain table of the same database, from
   1, 8 and 32 threads with a connection each (rows/s).
2. A real `civicdesk serve` process (projections and scheduler on, as an operator runs it), with
   `--cases` cases received in bulk beforehand (and the read models rebuilt over them), loaded
   by `wrk` (a separate process, C, with bench/commands.lua) at 1, 8 and 32 connections for
   `--seconds` each: an authenticated GET of one department (the floor), receipts
   (POST /api/v1/cases), and a mix of receipts and case commands (acknowledge, interaction,
   assign, transfer) each on a case of its own. Prints commands/s, p50/p99, non-2xx, and the
   rate as a fraction of the raw ceiling and of the GET at the same concurrency.
3. Receipt p50 at one connection with 0 and with `--year` cases already received this year, on
   SQLite and on PostgreSQL: a server with projections off (this measures the write path; the
   year's cases are loaded directly through the application, a thousand per save).

`--projections separate` runs the read models in their own `civicdesk project` process beside
a server with CIVICDESK_RUN_PROJECTIONS=false (as README's "Operating it" describes), and
`--workers N` starts the server with N worker processes.

Needs `wrk` (Debian: `apt-get install wrk`) and PostgreSQL from `CIVICDESK_DATABASE_URL` or
`CIVICDESK_TEST_DATABASE_URL` (each part in a fresh schema, dropped afterwards).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import psycopg
from queues import database, postgres_url, server
from tqdm import tqdm  # type: ignore[import-untyped]

from api.auth import issue_token
from application.desk import TOWN_TIME, ServiceDesk
from domain.actors import Actor, Role
from domain.cases import Case
from domain.references import format_reference
from engine.rebuild import rebuild
from infrastructure.bootstrap import build_desk, seed_catalogue
from infrastructure.settings import Settings
from projections.registry import all_specs

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "commands.lua"
CONCURRENCY = (1, 8, 32)
CSR = Actor(id="bench-csr", role=Role.CSR)
BATCH = 1000


@dataclass(frozen=True)
class Run:
    """One wrk run's figures."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


# -- 1. the raw insert ceiling --------------------------------------------------------------------

def raw_ceiling(url: str, clients: int, seconds: float) -> float:
    """Rows/s of single-row autocommit INSERTs from `clients` threads, a connection each."""
    schema = f"bench_raw_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
        conn.execute(f"CREATE TABLE {schema}.rows (id bigserial PRIMARY KEY, body text)")
    counts = [0] * clients
    start, stop = threading.Barrier(clients + 1), threading.Event()

    def insert(i: int) -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            start.wait()
            while not stop.is_set():
                conn.execute(f"INSERT INTO {schema}.rows (body) VALUES (%s)", ("x" * 100,))
                counts[i] += 1

    threads = [threading.Thread(target=insert, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    time.sleep(seconds)  # the measuring window
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")
    return sum(counts) / elapsed


# -- 2. cases in bulk, and wrk --------------------------------------------------------------------

def receive_in_bulk(desk: ServiceDesk, cases: int, what: str) -> list[str]:
    """`cases` emails to Public Works received now, saved BATCH at a time, numbered after the
    year's last (as the desk numbers a `ReceiveCase`); their ids."""
    now = desk.clock()
    standards, calendars = desk.standards(), desk.calendars(now)
    year = now.astimezone(TOWN_TIME).year
    with desk.references.lane(year) as lane:
        first = int(lane.next_reference().rsplit("-", 1)[1])
        ids = []
        with tqdm(total=cases, unit="case", desc=what, file=sys.stderr) as bar:
            for start in range(first, first + cases, BATCH):
                batch = []
                for number in range(start, min(start + BATCH, first + cases)):
                    case = Case.receive(
                        reference=format_reference(year, number), channel="email",
                        occurred_at=now, purpose="issue_or_complaint", service_code=None,
                        department="public-works", subject="Bench", description="",
                        customer_id=None, actor=CSR, now=now,
                        desk=calendars.central_code)
                    desk.follow_standards(case, "receive", actor=CSR, occurred_at=now,
                                          standards=standards, calendars=calendars)
                    batch.append(case)
                desk.save(*batch)
                lane.recorded(batch[-1].reference)
                ids += [str(case.id) for case in batch]
                bar.update(len(batch))
    return ids


def wrk(url: str, token: str, mode: str, clients: int, seconds: float,
        cases: Path | None = None) -> Run:
    threads = min(clients, 2)
    env = {**os.environ, "TOKEN": token, "MODE": mode, "THREADS": str(threads),
           "CASES": str(cases or "")}
    result = subprocess.run(
        ["wrk", "-t", str(threads), "-c", str(clients), "-d", f"{seconds:g}s", "--timeout",
         "10s", "-s", str(SCRIPT), url], env=env, capture_output=True, text=True, check=True)
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    return Run(**figures)


@contextmanager
def serving(settings: Settings, *arguments: str, **extra: str) -> Iterator[str]:
    """A `civicdesk serve ARGUMENTS` process answering /health (log in the data directory)."""
    with server(settings, settings.data_dir / "serve.log", *arguments, **extra) as url:
        limit = time.monotonic() + 120
        while time.monotonic() < limit:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)  # polling interval
        else:
            raise TimeoutError("the server did not answer /health")
        yield url


def caught_up(client: httpx.Client, admin: str, limit: float = 600.0) -> None:
    """Waits until no read model lags, wherever the read models run."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        reply = client.get("/api/v1/admin/projections",
                           headers={"Authorization": f"Bearer {admin}"})
        if reply.status_code == 200 and all(p["lag"] == 0
                                            for p in reply.json()["projections"]):
            return
        time.sleep(0.5)  # polling interval
    raise TimeoutError("the read models did not catch up")


@contextmanager
def projecting_apart(settings: Settings) -> Iterator[None]:
    """`civicdesk project` (every read model) in its own process until the block ends."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CIVICDESK_")}
    env.update(CIVICDESK_DATA_DIR=str(settings.data_dir), CIVICDESK_LOG_LEVEL="WARNING",
               CIVICDESK_DATABASE_URL=settings.database_url or "",
               CIVICDESK_DATABASE_SCHEMA=settings.database_schema or "")
    with (settings.data_dir / "project.log").open("wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "api.cli", "project"], env=env,
                                   cwd=HERE.parent, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield
    finally:
        process.terminate()
        process.wait(timeout=60)


def commands_over_http(base: Settings, cases: int, seconds: float,
                       ceiling: dict[int, float], projections: str = "in-server",
                       workers: int = 1) -> None:
    settings = replace(base, jwt_secret=secrets.token_hex(32))
    desk = build_desk(settings)
    try:
        seed_catalogue(desk)
        # Enough cases of their own for every case command the mix runs send.
        ids = receive_in_bulk(desk, cases, "cases for the mix")
        for spec in all_specs().values():
            rebuild(settings, desk, spec, grace=0)
    finally:
        desk.close()
    cases_file = settings.data_dir / "cases.txt"
    csr = issue_token(settings, sub="bench-csr", role="csr", departments=[])
    admin = issue_token(settings, sub="bench-admin", role="admin", departments=[])
    runs: dict[tuple[str, int], Run] = {}
    apart = projections == "separate"
    extra = {"CIVICDESK_RUN_PROJECTIONS": "false"} if apart else {}
    with (projecting_apart(settings) if apart else nullcontext()), \
            serving(settings, "--workers", str(workers), CIVICDESK_RUN_SCHEDULER="true",
                    **extra) as url, \
            httpx.Client(base_url=url, timeout=30) as client:
        caught_up(client, admin)
        wrk(url, csr, "get", 8, 2)  # warm-up: connections, caches, plans
        used = 0
        for mode in ("get", "receipt", "mix"):
            for clients in CONCURRENCY:
                cases_file.write_text("\n".join(ids[used:]) + "\n")
                run = wrk(url, csr, mode, clients, seconds, cases_file)
                runs[mode, clients] = run
                if mode == "mix":
                    used += run.requests  # more than it took: four in five are commands
                if used > len(ids):
                    raise RuntimeError("the mix ran out of cases: raise --cases")
                caught_up(client, admin)  # the next run starts with no backlog
    where = "in their own process" if apart else "in the server"
    print(f"\nPostgreSQL, HTTP to `civicdesk serve --workers {workers}` (scheduler on, read "
          f"models {where}), wrk {seconds:g} s per run")
    print(f"{'run':<10}{'clients':>8}{'per s':>9}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}"
          f"{'of raw':>9}{'of GET':>9}")
    for (mode, clients), run in runs.items():
        floor = runs["get", clients].rate
        print(f"{mode:<10}{clients:>8}{run.rate:>9.0f}{run.p50_ms:>9.1f}{run.p99_ms:>9.1f}"
              f"{run.non_2xx + run.socket_errors:>9}{run.rate / ceiling[clients]:>9.1%}"
              f"{run.rate / floor:>9.0%}")


# -- 3. receipt p50 with 0 and with a year of cases -----------------------------------------------

def receipt_p50_by_year_size(kind: str, year_cases: int, seconds: float) -> tuple[Run, Run]:
    with database(kind) as base:
        settings = replace(base, jwt_secret=secrets.token_hex(32))
        desk = build_desk(settings)
        seed_catalogue(desk)
        csr = issue_token(settings, sub="bench-csr", role="csr", departments=[])
        off = {"CIVICDESK_RUN_PROJECTIONS": "false"}
        with serving(settings, **off) as url:
            wrk(url, csr, "receipt", 1, 1)  # warm-up
            empty = wrk(url, csr, "receipt", 1, seconds)
        try:
            receive_in_bulk(desk, year_cases, f"{kind}: a year of cases")
        finally:
            desk.close()
        with serving(settings, **off) as url:
            wrk(url, csr, "receipt", 1, 1)
            full = wrk(url, csr, "receipt", 1, seconds)
    return empty, full


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each wrk run")
    parser.add_argument("--cases", type=int, default=20_000,
                        help="cases received beforehand for the mix's commands")
    parser.add_argument("--year", type=int, default=100_000,
                        help="cases already received this year, for the receipt p50")
    parser.add_argument("--skip-year", action="store_true", help="skip part 3")
    parser.add_argument("--skip-commands", action="store_true", help="skip parts 1 and 2")
    parser.add_argument("--projections", choices=["in-server", "separate"],
                        default="in-server", help="where the read models run in part 2")
    parser.add_argument("--workers", type=int, default=1, help="server processes in part 2")
    parser.add_argument("--year-databases", nargs="+", choices=["sqlite", "postgres"],
                        default=["sqlite", "postgres"], help="the databases of part 3")
    args = parser.parse_args(argv)
    url = postgres_url()
    if url is None:
        parser.error("set CIVICDESK_DATABASE_URL (or CIVICDESK_TEST_DATABASE_URL)")
    if not args.skip_commands:
        ceiling = {clients: raw_ceiling(url, clients, args.seconds)
                   for clients in CONCURRENCY}
        print("raw single-row autocommit INSERT ceiling (PostgreSQL): " + ", ".join(
            f"{rate:,.0f}/s at {clients}" for clients, rate in ceiling.items()), flush=True)
        with database("postgres") as base:
            commands_over_http(base, args.cases, args.seconds, ceiling, args.projections,
                               args.workers)
    if args.skip_year:
        return 0
    print(f"\nreceipt p50 at 1 client, projections off, with 0 and {args.year:,} cases this year")
    for kind in args.year_databases:
        empty, full = receipt_p50_by_year_size(kind, args.year, args.seconds)
        print(f"{kind:<10} {empty.p50_ms:6.2f} ms -> {full.p50_ms:6.2f} ms "
              f"({full.p50_ms / empty.p50_ms:.2f}x; non-2xx {empty.non_2xx + full.non_2xx})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
