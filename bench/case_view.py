"""Benchmark: one case's view (`GET /api/v1/cases/{id}`) beside an authenticated GET of one
department, over HTTP to a real `civicdesk serve`, at 1 and 32 clients.

The case view is read from the case's snapshot (the case snapshots read model) brought up to
date with the events recorded since, where it used to replay all the case's events; each
answer still writes its access-log entry (one INSERT and commit per read). The department GET
(no case, no access log) is the floor the issue compares it with: the target is at least 80%
of its rate at 32 clients, measured in the same run.

Setup: 2,000 cases received in bulk, one of them taken through eight more commands
(acknowledged, three interactions, assigned, transferred, resolved, surveyed: a case of ten
events or so), every read model rebuilt, the server started (scheduler off) and caught up.
Then `wrk` (bench/commands.lua, MODE=get and MODE=view) for `--seconds` per run. Before the
server starts, the parts of one view are timed in this process without HTTP: the case
replayed (as before), read from its snapshot, and its access-log entry.

    .venv/bin/python bench/case_view.py [--database sqlite|postgres] [--seconds 5]
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import time
from dataclasses import replace
from typing import Any
from uuid import UUID

import httpx
from commands import CSR, Run, caught_up, receive_in_bulk, serving, wrk
from queues import database, postgres_url

from api.auth import issue_token
from application import commands
from application.desk import ServiceDesk
from engine.rebuild import rebuild
from infrastructure.access_log import AccessLog
from infrastructure.bootstrap import build_desk, compose, seed_catalogue
from infrastructure.settings import Settings
from infrastructure.signed_note import Signer
from projections.case_snapshots import CASE_SNAPSHOTS
from projections.registry import all_specs

CLIENTS = (1, 32)
TARGET = 0.80  # of the department GET's rate at 32 clients
# The case viewed: its receipt, then these (ten events or so).
STEPS: tuple[tuple[type[commands.CaseCommand], dict[str, Any]], ...] = (
    (commands.AcknowledgeCase, {"message": "On it"}),
    (commands.LogInteraction, {"channel": "telephone", "direction": "outbound",
                               "summary": "Called", "effort_minutes": 5}),
    (commands.LogInteraction, {"channel": "email", "direction": "outbound",
                               "summary": "Wrote", "effort_minutes": 3}),
    (commands.AssignCase, {"assignee": "roads-1"}),
    (commands.LogInteraction, {"channel": "telephone", "direction": "inbound",
                               "summary": "Called back", "effort_minutes": 4}),
    (commands.TransferCase, {"to_department": "community", "warm": True,
                             "handover_note": "A park path", "customer_informed": True}),
    (commands.ResolveCase, {"resolution": "Patched"}),
    (commands.AnswerSurvey, {"csat": 4, "nps": 8, "ces": 3}))


def in_process(settings: Settings, desk: ServiceDesk, case_id: UUID
               ) -> dict[str, tuple[float, float]]:
    """What one case view costs without HTTP: the case replayed from its events (as before),
    read from its snapshot and brought up to date, and the access-log entry each read writes."""
    services = compose(settings, desk=desk, read_models=[CASE_SNAPSHOTS])
    access_log = AccessLog(desk)
    probes = {"replayed": lambda: desk.get_case(CSR, case_id),
              "from its snapshot": lambda: desk.view_case(CSR, case_id),
              "access-log entry": lambda: access_log.record(CSR, case_id, "GET bench",
                                                            ("subject",))}
    figures = {}
    try:
        for name, probe in probes.items():
            walls, cpus = [], []
            for _ in range(500):
                started, cpu = time.perf_counter(), time.process_time()
                probe()
                walls.append(time.perf_counter() - started)
                cpus.append(time.process_time() - cpu)
            figures[name] = (statistics.median(walls), statistics.median(cpus))
    finally:
        services.projections.close()
        desk.case_snapshots = None
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"],
                        default="postgres" if postgres_url() else "sqlite")
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args(argv)
    with database(args.database) as base:
        settings = replace(base, jwt_secret=secrets.token_hex(32))
        desk = build_desk(settings)
        try:
            seed_catalogue(desk)
            ids = receive_in_bulk(desk, 2000, "cases")
            case_id = ids[len(ids) // 2]
            for kind, arguments in STEPS:
                desk.handle(CSR, kind(case_id=UUID(case_id), **arguments), None)
            events = desk.get_case(CSR, UUID(case_id)).version
            for spec in all_specs().values():
                rebuild(settings, desk, spec, grace=0)
            parts = in_process(settings, desk, UUID(case_id))
        finally:
            desk.close()
        director = issue_token(settings, sub="bench-director", role="director", departments=[])
        admin = issue_token(settings, sub="bench-admin", role="admin", departments=[])
        runs: dict[tuple[str, int], Run] = {}
        key = str(Signer.generate("bench.localhost/log"))  # serve refuses to start without
        with serving(settings, CIVICDESK_CHECKPOINT_KEY=key) as url, \
                httpx.Client(base_url=url, timeout=30) as client:
            caught_up(client, admin)
            os.environ["VIEW_CASE"] = case_id
            wrk(url, director, "get", 8, 2)  # warm-up: connections, caches, plans
            wrk(url, director, "view", 8, 2)
            for clients in CLIENTS:
                for mode in ("get", "view"):
                    runs[mode, clients] = wrk(url, director, mode, clients, args.seconds)
    print(f"\n{args.database}: HTTP to `civicdesk serve` (read models on, scheduler off), "
          f"wrk {args.seconds:g} s per run, one case of {events} events; load average "
          f"{os.getloadavg()[0]:.1f}")
    print(f"{'run':<26}{'clients':>8}{'per s':>9}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}"
          f"{'of GET':>9}")
    names = {"get": "department GET (floor)", "view": "case view"}
    for (mode, clients), run in sorted(runs.items(), key=lambda item: (item[0][1], item[0][0])):
        floor = runs["get", clients].rate
        print(f"{names[mode]:<26}{clients:>8}{run.rate:>9.0f}{run.p50_ms:>9.1f}"
              f"{run.p99_ms:>9.1f}{run.non_2xx + run.socket_errors:>9}{run.rate / floor:>9.0%}")
    print("in one process, no HTTP, per read (median of 500; CPU in brackets): " + "; ".join(
        f"{name} {wall * 1000:.2f} ms ({cpu * 1000:.2f})" for name, (wall, cpu) in parts.items()))
    share = runs["view", 32].rate / runs["get", 32].rate
    print(f"case view at 32 clients: {share:.0%} of the department GET (target "
          f"{TARGET:.0%})")
    return 0 if share >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
