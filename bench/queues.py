"""Benchmark: queues, the SLA board and the case list (plain and at risk), 100,000 open cases.

1. Records `--cases` open cases in bulk (not over HTTP): `Case.receive` and `plan_targets`, as
   the desk does for a `ReceiveCase`, numbered 1, 2, 3 ... in the year (the database is new),
   received over the last four weeks across the departments and channels in the demo's
   proportions, a third of them assigned; saved a thousand per call.
2. Builds every read model with `engine.rebuild.rebuild` (what `civicdesk rebuild` runs),
   so the server starts caught up instead of replaying the log one event at a time.
3. The read models' own queries, in this process, for each department in turn (first page,
   the default size), after a warm-up: the department's queue, its SLA board, its case list
   soonest due first, and its at-risk cases soonest due first. Beside them, the floor: one
   case's row of the case index by primary key, in the same process and database.
4. The same over HTTP: a real `civicdesk serve` process (scheduler off: this measures the read
   side), once /api/v1/admin/projections reports no lag, each department's manager in turn
   over one keep-alive connection; beside them, the floor: an authenticated GET of one
   department (`GET /api/v1/departments/{code}`), the framework's own cost.
Prints p50 and p99 of each beside its ceiling (p99 10 ms for the queue, the board and the case
list, 50 ms for the at-risk list; issue 14) and the floor. Exits 1 if a read model's query
exceeds its ceiling (the HTTP figures are printed beside, with the same ceilings).

SQLite runs in a temporary file; PostgreSQL (CIVICDESK_DATABASE_URL, else
CIVICDESK_TEST_DATABASE_URL, with `--database postgres` or `both`) in a fresh schema dropped
afterwards.

    .venv/bin/python bench/queues.py [--cases 100000] [--requests 2000] [--database both]
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import httpx
from tqdm import tqdm  # type: ignore[import-untyped]

from api.auth import issue_token
from application.desk import TOWN_TIME, ServiceDesk
from domain.actors import Actor, Role
from domain.cases import Case
from domain.references import format_reference
from engine.rebuild import rebuild
from engine.runner import ProjectionSet
from infrastructure.bootstrap import build_desk, seed_catalogue
from infrastructure.demo import CHANNELS, DEPARTMENT_WEIGHT, TEAMS
from infrastructure.settings import Settings
from infrastructure.signed_note import Signer
from projections.case_index import CASE_INDEX
from projections.queues import QUEUES
from projections.registry import all_specs

P99_CEILING_MS = {"queue": 10.0, "SLA board": 10.0, "cases by next due": 10.0,
                  "at-risk cases": 50.0}
BATCH = 1000
REPO_ROOT = Path(__file__).resolve().parents[1]
CSR = Actor(id="bench-csr", role=Role.CSR)
PURPOSES = ("information", "issue_or_complaint", "tangible_service", "payment", "approval")


def postgres_url() -> str | None:
    return (os.environ.get("CIVICDESK_DATABASE_URL")
            or os.environ.get("CIVICDESK_TEST_DATABASE_URL") or None)


@contextmanager
def database(kind: str) -> Iterator[Settings]:
    data_dir = Path(tempfile.mkdtemp(prefix="civicdesk-bench-"))
    try:
        if kind == "sqlite":
            yield Settings(data_dir=data_dir, run_scheduler=False)
            return
        import psycopg

        url = postgres_url()
        assert url is not None
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        try:
            yield Settings(data_dir=data_dir, database_url=url, database_schema=schema,
                           run_scheduler=False)
        finally:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA {schema} CASCADE")
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


# -- 1. open cases --------------------------------------------------------------------------------

def record_open_cases(desk: ServiceDesk, cases: int, rng: random.Random) -> None:
    now = desk.clock()
    standards = desk.standards()
    in_force, version = standards.in_force(), standards.current_version
    calendars = {}
    year = now.astimezone(TOWN_TIME).year
    departments, weights = zip(*DEPARTMENT_WEIGHT.items(), strict=True)
    channels, channel_weights = zip(*CHANNELS.items(), strict=True)
    batch: list[Case] = []
    with tqdm(total=cases, unit="case", desc="open cases", file=sys.stderr) as bar:
        for number in range(1, cases + 1):
            entered = now - timedelta(seconds=rng.uniform(0, 28 * 86400))
            day = entered.date()
            if day not in calendars:
                calendars[day] = desk.calendar(entered)
            department = rng.choices(departments, weights)[0]
            case = Case.receive(
                reference=format_reference(year, number),
                channel=rng.choices(channels, channel_weights)[0],
                occurred_at=entered, purpose=rng.choice(PURPOSES), service_code=None,
                department=department, subject="Benchmark case", description="",
                customer_id=None, actor=CSR, now=entered)
            case.plan_targets(in_force, version, calendars[day], reason="received",
                              actor=CSR, occurred_at=entered)
            if rng.random() < 1 / 3:
                case.assign(assignee=rng.choice(TEAMS[department][0]), actor=CSR,
                            occurred_at=entered, now=entered)
            batch.append(case)
            if len(batch) == BATCH:
                desk.save(*batch)
                bar.update(len(batch))
                batch = []
        desk.save(*batch)
        bar.update(len(batch))


# -- 3. the server --------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def server(settings: Settings, log: Path, *arguments: str, **extra: str) -> Iterator[str]:
    """`civicdesk serve ARGUMENTS` on `settings`' database, scheduler off unless `extra` (more
    `CIVICDESK_*` variables) says otherwise, until the block ends."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("CIVICDESK_")}
    env.update(CIVICDESK_DATA_DIR=str(settings.data_dir), CIVICDESK_RUN_SCHEDULER="false",
               CIVICDESK_JWT_SECRET=settings.jwt_secret, CIVICDESK_LOG_LEVEL="WARNING",
               # A server with the scheduler on signs checkpoints of the log: a key of its own.
               CIVICDESK_CHECKPOINT_KEY=str(Signer.generate("civicdesk.bench/log")))
    env.update(extra)
    if settings.database_url:
        env.update(CIVICDESK_DATABASE_URL=settings.database_url,
                   CIVICDESK_DATABASE_SCHEMA=settings.database_schema or "")
    with log.open("wb") as output:
        process = subprocess.Popen(
            # --dev: the log's checkpoints signed with a development key (nothing here is kept)
            [sys.executable, "-m", "api.cli", "serve", "--dev", "--port", str(port), *arguments],
            env=env,
            cwd=REPO_ROOT, stdout=output, stderr=subprocess.STDOUT)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=60)


def wait_until_caught_up(client: httpx.Client, admin: str, limit: float = 600.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            reply = client.get("/api/v1/admin/projections",
                               headers={"Authorization": f"Bearer {admin}"})
            if reply.status_code == 200 and all(
                    p["lag"] == 0 and p["running"] for p in reply.json()["projections"]):
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise TimeoutError("the server's read models did not catch up")


# -- 4. the measurement ---------------------------------------------------------------------------

ROUTES = {  # what is measured over HTTP: a name, and the request for a department
    "floor": lambda department: (f"/api/v1/departments/{department}", {}),
    "queue": lambda department: (f"/api/v1/queues/{department}", {}),
    "SLA board": lambda department: ("/api/v1/sla-board", {"department": department}),
    "cases by next due": lambda department: (
        "/api/v1/cases", {"department": department, "order": "next_due"}),
    "at-risk cases": lambda department: (
        "/api/v1/cases", {"department": department, "order": "next_due",
                          "target_state": "at_risk"}),
}


def measure(client: httpx.Client, tokens: dict[str, str], requests: int,
            route: str) -> list[float]:
    departments = sorted(tokens)
    timings = []
    for number in range(requests):
        department = departments[number % len(departments)]
        path, params = ROUTES[route](department)
        started = time.perf_counter()
        reply = client.get(path, params=params,
                           headers={"Authorization": f"Bearer {tokens[department]}"})
        timings.append((time.perf_counter() - started) * 1000)
        if reply.status_code != 200:
            raise RuntimeError(f"{route} {department}: {reply.status_code} {reply.text[:300]}")
    return timings


def queries(settings: Settings, desk: ServiceDesk) -> dict[str, Callable[[str], object]]:
    """The read models' queries for a department, as the API calls them, at the desk's now."""
    views = ProjectionSet(settings, desk, [QUEUES, CASE_INDEX])
    queues, index = views.view(QUEUES.name), views.view(CASE_INDEX.name)
    now = desk.clock()
    calendars = desk.calendars(now)
    some_case = index.list_cases(None, limit=1)[0][0].id

    def floor(department: str) -> object:
        with index.reading() as cursor:
            cursor.execute(f"SELECT * FROM {index.table(CASE_INDEX.name)} "
                           f"WHERE id = {index.placeholder}", [index.id_in(some_case)])
            return cursor.fetchall()

    return {
        "floor": floor,
        "queue": lambda d: queues.queue(frozenset({d}), now=now, calendars=calendars,
                                        department=d),
        "SLA board": lambda d: queues.sla_board(frozenset({d}), now=now, calendars=calendars,
                                                department=d),
        "cases by next due": lambda d: index.list_cases(frozenset({d}), department=d,
                                                        order="next_due", now=now),
        "at-risk cases": lambda d: index.list_cases(frozenset({d}), department=d,
                                                    order="next_due", target_state="at_risk",
                                                    now=now),
    }


def measure_queries(calls: dict[str, Callable[[str], object]], departments: list[str],
                    requests: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {}
    for name, call in calls.items():
        for number in range(100):  # warm-up: connections, caches, plans
            call(departments[number % len(departments)])
        timings[name] = []
        for number in range(requests):
            started = time.perf_counter()
            call(departments[number % len(departments)])
            timings[name].append((time.perf_counter() - started) * 1000)
    return timings


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


def report(title: str, timings: dict[str, list[float]]) -> bool:
    """Print each figure beside its ceiling and the floor's; whether every ceiling was kept."""
    print(title)
    floor = timings["floor"]
    print(f"  {'floor':<18} p50 {percentile(floor, 0.5):7.2f} ms  p99 "
          f"{percentile(floor, 0.99):7.2f} ms")
    kept = True
    for name, measured in timings.items():
        if name == "floor":
            continue
        p50, p99 = percentile(measured, 0.50), percentile(measured, 0.99)
        ceiling = P99_CEILING_MS[name]
        print(f"  {name:<18} p50 {p50:7.2f} ms  p99 {p99:7.2f} ms  (p99 ceiling {ceiling:g} ms)"
              + ("" if p99 <= ceiling else "  OVER"))
        kept = kept and p99 <= ceiling
    return kept


def run(kind: str, cases: int, requests: int) -> bool:
    with database(kind) as base:
        settings = Settings(**{**base.__dict__, "jwt_secret": secrets.token_hex(32)})
        desk = build_desk(settings)
        try:
            seed_catalogue(desk)
            record_open_cases(desk, cases, random.Random(2026))
            for spec in all_specs().values():
                rebuild(settings, desk, spec, grace=0, progress=True)
            departments = sorted(DEPARTMENT_WEIGHT)
            direct = measure_queries(queries(settings, desk), departments, requests)
        finally:
            desk.close()
        admin = issue_token(settings, sub="bench-admin", role="admin", departments=[])
        tokens = {department: issue_token(settings, sub=f"bench-{department}",
                                          role="manager", departments=[department])
                  for department in DEPARTMENT_WEIGHT}
        with (server(settings, settings.data_dir / "serve.log") as url,
              httpx.Client(base_url=url, timeout=30) as client):
            wait_until_caught_up(client, admin)
            over_http = {}
            for route in ROUTES:
                measure(client, tokens, 100, route)  # warm-up: connections, caches, plans
                over_http[route] = measure(client, tokens, requests, route)
    kept = report(f"{kind}, {cases:,} open cases, {requests:,} calls each: the read models' "
                  "queries in process", direct)
    report(f"{kind}: the same over HTTP to `civicdesk serve`", over_http)
    return kept


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="sqlite")
    args = parser.parse_args(argv)
    if args.database != "sqlite" and postgres_url() is None:
        parser.error("set CIVICDESK_DATABASE_URL (or CIVICDESK_TEST_DATABASE_URL)")
    kinds = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    kept = [run(kind, args.cases, args.requests) for kind in kinds]
    return 0 if all(kept) else 1


if __name__ == "__main__":
    sys.exit(main())
