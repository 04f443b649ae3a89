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
Then `wrk` (bench/commands.lua, MODE=get and MODE=view) for `--seconds` per run.

    .venv/bin/python bench/case_view.py [--database sqlite|postgres] [--seconds 5]
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from dataclasses import replace
from uuid import UUID

import httpx
from commands import CSR, Run, caught_up, receive_in_bulk, serving, wrk
from queues import database, postgres_url

from api.auth import issue_token
from infrastructure.bootstrap import build_desk, seed_catalogue
from projections.rebuild import rebuild
from projections.registry import all_specs
from tests.commanding import change_case

CLIENTS = (1, 32)
TARGET = 0.80  # of the department GET's rate at 32 clients
STEPS = (("acknowledge", {"message": "On it"}),
         ("log_interaction", {"channel": "telephone", "direction": "outbound",
                              "summary": "Called", "effort_minutes": 5, "wait_seconds": None}),
         ("log_interaction", {"channel": "email", "direction": "outbound",
                              "summary": "Wrote", "effort_minutes": 3, "wait_seconds": None}),
         ("assign", {"assignee": "roads-1"}),
         ("log_interaction", {"channel": "telephone", "direction": "inbound",
                              "summary": "Called back", "effort_minutes": 4,
                              "wait_seconds": None}),
         ("transfer", {"to_department": "community", "warm": True,
                       "handover_note": "A park path", "customer_informed": True}),
         ("resolve", {"resolution": "Patched", "at_first_contact": False}),
         ("survey", {"csat": 4, "nps": 8, "ces": 3, "comment": ""}))


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
            for command, arguments in STEPS:
                change_case(desk, CSR, UUID(case_id), command, expected_version=None,
                            **arguments)
            events = desk.get_case(CSR, UUID(case_id)).version
            for spec in all_specs().values():
                rebuild(settings, desk, spec, grace=0)
        finally:
            desk.close()
        director = issue_token(settings, sub="bench-director", role="director", departments=[])
        admin = issue_token(settings, sub="bench-admin", role="admin", departments=[])
        runs: dict[tuple[str, int], Run] = {}
        with serving(settings) as url, httpx.Client(base_url=url, timeout=30) as client:
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
    share = runs["view", 32].rate / runs["get", 32].rate
    print(f"case view at 32 clients: {share:.0%} of the department GET (target "
          f"{TARGET:.0%})")
    return 0 if share >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
