"""Benchmark: the deadline scheduler with 100,000 pending deadlines.

1. Builds real cases in bulk (Case.receive + plan_targets, saved a batch at a time) until they
   hold the requested number of pending deadlines, and fills the pending deadlines view with
   exactly the rows the projection makes from them (in one bulk transaction; `--project`
   runs the real projection runner instead, which is much slower).
2. Load: the time `DeadlineScheduler.start()` takes to read the view, index every deadline
   and arm its one APScheduler job for the earliest (APScheduler paused while loading, as in
   production).
3. Breach delay: with that scheduler running and following the log, a few cases are received
   whose deadlines fall a few hundred milliseconds later on the real clock (a 2-second
   calendar-time standard); for each, the delay from its due time to the recorded
   DeadlineMissed (the event's own timestamp). The probes are the earliest deadlines, so each
   one re-arms the job (after each run, as a new APScheduler job).

Runs on a temporary SQLite file, or on PostgreSQL in a fresh schema (dropped afterwards) when
CIVICDESK_DATABASE_URL is set. Prints each figure with the ceiling it is held to and exits 1
if any ceiling is exceeded.

    .venv/bin/python bench/deadlines.py [--deadlines 100000] [--project]
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from eventsourcing.persistence import Tracking

from application.commands import ReceiveCase
from application.customers import Intake
from application.desk import ServiceDesk
from application.service_levels import revise_standards
from domain.actors import Actor, Role
from domain.cases import Case
from domain.standards import ServiceStandard, TargetKind, TimeBasis
from engine.runner import ProjectionSet
from infrastructure.bootstrap import build_desk, seed_catalogue
from infrastructure.scheduler import DeadlineScheduler, pending_deadlines
from infrastructure.settings import Settings
from projections.pending_deadlines import NAME, PENDING_DEADLINES

# Measured 1.3 s (SQLite) and 2.4 s (PostgreSQL) with 100,000 deadlines, on 2 shared cores at
# load average 4: most of it reading the view. 30 s while each deadline was its own APScheduler
# job (13 s of CPU in add_job alone).
LOAD_CEILING_SECONDS = 10.0
BREACH_DELAY_CEILING_SECONDS = 2.0
BATCH = 1000
CSR = Actor(id="bench-csr", role=Role.CSR)
ADMIN = Actor(id="bench-admin", role=Role.ADMIN)
# Channels whose standards give every case at least 2 business days (16 open hours): a case
# received within the last 6 hours cannot be due yet. A letter has two targets.
CHANNELS = ["email", "voicemail", "social_media", "written"]
DEPARTMENTS = ["public-works", "community", "legislative", "corporate", "planning"]
# The breach-delay probes: a calendar-time promise short enough to wait for.
PROBE = ServiceStandard("bench-probe", "Virtual meetings acknowledged within 2 seconds",
                        TargetKind.ACKNOWLEDGE, 2, channel="virtual_meeting",
                        basis=TimeBasis.CALENDAR)
PROBES = 5


# -- the database ---------------------------------------------------------------------------------

def database() -> Iterator[Settings]:
    """Settings for a throwaway database: a fresh PostgreSQL schema or a temporary SQLite file."""
    base = Settings.from_environment()
    data_dir = Path(tempfile.mkdtemp(prefix="civicdesk-bench-"))
    try:
        if base.database_url is None:
            yield Settings(data_dir=data_dir, run_scheduler=False)
            return
        import psycopg

        schema = f"bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(base.database_url, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        try:
            yield Settings(data_dir=data_dir, database_url=base.database_url,
                           database_schema=schema, run_scheduler=False)
        finally:
            with psycopg.connect(base.database_url, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA {schema} CASCADE")
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


# -- 1. many pending deadlines --------------------------------------------------------------------

def build_cases(desk: ServiceDesk, deadlines: int, rng: random.Random) -> tuple[int, int]:
    """Receive cases (as the desk does for a `ReceiveCase`, without the reference book) until they
    hold `deadlines` watched targets. Returns (cases, deadlines)."""
    now = desk.clock()
    standards = desk.standards()
    in_force, version = standards.in_force(), standards.current_version
    calendar = desk.calendar(now)
    made = cases = 0
    batch: list[Case] = []
    while made < deadlines:
        channel = rng.choice(CHANNELS if deadlines - made > 1 else CHANNELS[:-1])
        received_at = now - timedelta(seconds=rng.uniform(0, 6 * 3600))
        case = Case.receive(
            reference=f"BENCH-{cases:07d}", channel=channel, occurred_at=received_at,
            purpose="information", service_code=None, department=rng.choice(DEPARTMENTS),
            subject="Benchmark", description="", customer_id=None, actor=CSR, now=now)
        case.plan_targets(in_force, version, calendar, reason="received", actor=CSR,
                          occurred_at=now)
        watched = [t for t in case.targets.values() if t.watched_due_at is not None]
        assert watched and all(t.due_at > now for t in watched)
        made += len(watched)
        cases += 1
        batch.append(case)
        if len(batch) == BATCH:
            desk.save(*batch)
            batch = []
    if batch:
        desk.save(*batch)
    return cases, made


def fill_view(desk: ServiceDesk, projections: ProjectionSet) -> int:
    """Write every case's watched targets into the view in one transaction, tracked at the
    head of the log: the rows the projection would have made, without one transaction per
    event."""
    view = projections.view(NAME)
    head = desk.log_position()
    mark, table = view.placeholder, view.table(NAME)
    rows: list[tuple[Any, ...]] = []
    planned = desk.recorder.select_notifications(1, 10_000_000,
                                                 topics=["domain.cases:Case.TargetsSet"])
    for notification in planned:
        event: Any = desk.mapper.to_domain_event(notification)
        for data in event.targets:
            due = data["due_at"]
            if data["met_at"] is None and data["breached_at"] is None and not data["paused_at"]:
                rows.append((view.id_in(event.originator_id), data["name"], view.time_in(due),
                             data["pausable"]))
    with view.writing(Tracking(desk.name, head)) as cursor:
        cursor.executemany(f"INSERT INTO {table} (case_id, target, due_at, pausable) "
                           f"VALUES ({mark}, {mark}, {mark}, {mark})", rows)
    return len(rows)


# -- 3. breach delay ------------------------------------------------------------------------------

def probe_breaches(desk: ServiceDesk) -> list[float]:
    """Receive PROBES cases due 0.4 s, 0.6 s, ... from now; the seconds from each due time to
    its DeadlineMissed timestamp."""
    probes: list[tuple[Case, datetime]] = []
    for i in range(PROBES):
        now = desk.clock()
        lead = timedelta(seconds=0.4 + 0.2 * i)
        received_at = now - timedelta(seconds=PROBE.seconds) + lead
        case = desk.handle(CSR, ReceiveCase(
            channel="virtual_meeting", received_at=received_at, purpose="information",
            department="corporate", subject="Probe", description="",
            customer=Intake(personal={"name": "Probe"}))).case
        probes.append((case, case.targets[TargetKind.ACKNOWLEDGE.value].due_at))
    delays = []
    for case, due in probes:
        missed = wait_for_breach(desk, case.id, limit=10 * BREACH_DELAY_CEILING_SECONDS + 10)
        delays.append((missed.timestamp - due).total_seconds() if missed else float("inf"))
    return delays


def wait_for_breach(desk: ServiceDesk, case_id: uuid.UUID, limit: float) -> Any:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        for event in desk.events.get(case_id):
            if type(event).__name__ == "DeadlineMissed":
                return event
        time.sleep(0.02)
    return None


# -- the run --------------------------------------------------------------------------------------

def verdict(label: str, value: float, ceiling: float, unit: str = "s") -> bool:
    ok = value <= ceiling
    print(f"{label:<44} {value:10.3f} {unit}   ceiling {ceiling:g} {unit}   "
          f"{'ok' if ok else 'EXCEEDED'}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deadlines", type=int, default=100_000)
    parser.add_argument("--project", action="store_true",
                        help="build the view with the projection runner (slow)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    rng = random.Random(args.seed)

    settings_iter = database()
    settings = next(settings_iter)
    where = (f"PostgreSQL schema {settings.database_schema}" if settings.is_postgres
             else f"SQLite {settings.sqlite_path}")
    print(f"civicdesk deadline scheduler benchmark on {where}")
    desk = build_desk(settings)
    projections: ProjectionSet | None = None
    scheduler: DeadlineScheduler | None = None
    try:
        seed_catalogue(desk)
        started = time.perf_counter()
        cases, deadlines = build_cases(desk, args.deadlines, rng)
        built = time.perf_counter() - started
        print(f"{'cases received (bulk, ' + str(BATCH) + ' a save)':<44} {cases:10d}"
              f"   {deadlines} deadlines, {desk.log_position()} events, {built:.1f} s "
              f"({cases / built:.0f} cases/s)")

        projections = ProjectionSet(settings, desk, [PENDING_DEADLINES])
        started = time.perf_counter()
        if args.project:
            projections.start()
            projections.wait_for(desk.log_position(), timeout=24 * 3600)
            how = "by the projection runner"
        else:
            fill_view(desk, projections)
            how = "in bulk"
        view = projections.view(NAME)
        rows = view.count()
        print(f"{'pending deadlines view filled ' + how:<44} {rows:10d}   rows, "
              f"{time.perf_counter() - started:.1f} s")
        assert rows == deadlines, (rows, deadlines)
        projections.start()  # keep it following the probes

        scheduler = DeadlineScheduler(desk, pending_deadlines(view, desk))
        started, cpu = time.perf_counter(), time.process_time()
        scheduler.start(follow=True)
        load, cpu = time.perf_counter() - started, time.process_time() - cpu
        scheduled = scheduler.status()["scheduled"]
        apscheduler_jobs = len(scheduler.scheduler.get_jobs())
        print(f"{'deadlines indexed at start':<44} {scheduled:10d}   {cpu:.2f} s of CPU, "
              f"{scheduled / load:.0f} deadlines/s, {apscheduler_jobs} APScheduler job; "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        ok = scheduled == deadlines and apscheduler_jobs == 1
        ok &= verdict("load and index every deadline at start", load, LOAD_CEILING_SECONDS)

        revise_standards(desk, ADMIN, [*desk.standards().in_force(), PROBE],
                         reason="benchmark probe")
        delays = probe_breaches(desk)
        print(f"{'breach delays (due -> DeadlineMissed)':<44} "
              + ", ".join(f"{d * 1000:.0f} ms" for d in delays))
        ok &= verdict("worst breach delay", max(delays), BREACH_DELAY_CEILING_SECONDS)
        return 0 if ok else 1
    finally:
        if scheduler is not None:
            scheduler.stop()
        if projections is not None:
            projections.close()
        desk.close()
        next(settings_iter, None)


if __name__ == "__main__":
    sys.exit(main())
