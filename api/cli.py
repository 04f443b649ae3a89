"""The `civicdesk` command line: serve, token, demo, history, verify and the operators' tools."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence

from infrastructure.settings import Settings

Command = Callable[[argparse.Namespace, Settings], int]
COMMANDS: dict[str, Command] = {}


def command(name: str) -> Callable[[Command], Command]:
    def register(function: Command) -> Command:
        COMMANDS[name] = function
        return function

    return register


@command("serve")
def serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from api.app import create_app
    from infrastructure.bootstrap import build_desk, seed_catalogue

    desk = build_desk(settings)
    seed_catalogue(desk)
    if args.demo_if_empty:
        from infrastructure.demo import has_cases, load_demo

        if not has_cases(desk):
            print("civicdesk: empty database; loading the demo data", file=sys.stderr)
            load_demo(desk, progress=True)
    app = create_app(settings, desk=desk)
    uvicorn.run(app, host=args.host or settings.host, port=args.port or settings.port,
                log_level=settings.log_level.lower())
    return 0


@command("token")
def token(args: argparse.Namespace, settings: Settings) -> int:
    from api.auth import issue_token

    print(issue_token(settings, sub=args.sub, role=args.role, departments=args.department,
                      lifetime_seconds=args.hours * 3600))
    return 0


@command("demo")
def demo(args: argparse.Namespace, settings: Settings) -> int:
    from infrastructure.bootstrap import build_desk, seed_catalogue
    from infrastructure.demo import load_demo

    desk = build_desk(settings)
    seed_catalogue(desk)
    summary = load_demo(desk, cases=args.cases, seed=args.seed, progress=True)
    print(json.dumps(summary, indent=2, default=str))
    return 0


@command("history")
def history(args: argparse.Namespace, settings: Settings) -> int:
    import msgspec

    from api.history import case_history
    from domain.actors import Actor, Role
    from infrastructure.bootstrap import build_desk

    desk = build_desk(settings)
    auditor = Actor(id="civicdesk-cli", role=Role.AUDITOR)
    record = case_history(desk, auditor, desk.case_id_for(args.reference), version=args.version,
                          as_of=args.as_of)
    print(msgspec.json.format(msgspec.json.encode(record)).decode())
    return 0


@command("verify")
def verify(args: argparse.Namespace, settings: Settings) -> int:
    from application.desk import ServiceDesk
    from infrastructure.ledger import verify_log

    # CREATE_TABLE=no: setting the tables up would quietly restore a dropped guard first.
    desk = ServiceDesk(env={**settings.eventsourcing_env(), "CREATE_TABLE": "no"})
    verdict = verify_log(desk)
    if verdict.ok and not verdict.guard_ok:
        print(f"WARNING: the chain is intact but the append-only guard is not: "
              f"{verdict.guard_problem}", file=sys.stderr)
        return 1
    if verdict.ok:
        print(f"OK: {verdict.events} events; head position {verdict.head_position}; "
              f"head hash {verdict.head_hash}")
        return 0
    print(f"FAILED at notification {verdict.first_bad_position}: {verdict.problem}",
          file=sys.stderr)
    return 1


@command("scheduler")
def scheduler(args: argparse.Namespace, settings: Settings) -> int:
    """Run the deadline scheduler alone (with the pending deadlines projection, unless
    CIVICDESK_RUN_PROJECTIONS=false) until SIGTERM or SIGINT. Prints this process's role,
    "scheduler: leader" or "scheduler: standby", once at start and at every change."""
    import logging
    import signal
    import threading

    from infrastructure.bootstrap import build_desk
    from infrastructure.scheduler import SchedulerService
    from projections.pending_deadlines import PENDING_DEADLINES
    from projections.runner import ProjectionSet

    logging.basicConfig(level=settings.log_level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # a line per job otherwise
    stopping = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stopping.set()

    previous = {number: signal.signal(number, on_signal)
                for number in (signal.SIGTERM, signal.SIGINT)}

    def announce(is_leader: bool) -> None:
        print(f"scheduler: {'leader' if is_leader else 'standby'}", flush=True)

    desk = build_desk(settings)
    projections = ProjectionSet(settings, desk, [PENDING_DEADLINES])
    service = SchedulerService(settings, desk, projections.view(PENDING_DEADLINES.name),
                               interval=args.election_seconds, on_role_change=announce)
    try:
        if settings.run_projections:
            projections.start()
        service.start()
        while not stopping.wait(1.0):
            pass
    finally:
        service.stop()
        projections.close()
        desk.close()
        for number, handler in previous.items():
            signal.signal(number, handler)
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="civicdesk", description=__doc__)
    sub = root.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run the API, projections and scheduler")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--demo-if-empty", action="store_true",
                   help="load the demo data first if the database has no cases")

    p = sub.add_parser("token", help="issue a development bearer token")
    p.add_argument("--role", required=True,
                   choices=["csr", "staff", "manager", "director", "clerk", "auditor", "admin"])
    p.add_argument("--sub", required=True, help="the person's id")
    p.add_argument("--department", action="append", default=[],
                   help="a department the person acts for (repeatable)")
    p.add_argument("--hours", type=int, default=8, help="lifetime in hours")

    p = sub.add_parser("demo", help="load the catalogue and a reproducible year of cases")
    p.add_argument("--cases", type=int, default=3000)
    p.add_argument("--seed", type=int, default=2026)

    p = sub.add_parser("history", help="print a case's complete history")
    p.add_argument("reference", help="for example SC-2026-000123")
    p.add_argument("--version", type=int)
    p.add_argument("--as-of", dest="as_of", help="RFC 3339 moment")

    sub.add_parser("verify", help="walk the hash chain over the event log")

    p = sub.add_parser("scheduler", help="run the deadline scheduler alone (elected on "
                       "PostgreSQL)")
    p.add_argument("--election-seconds", dest="election_seconds", type=float, default=2.0,
                   help="how often a standby tries to take over, and the leader checks its "
                   "lock")
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    settings = Settings.from_environment()
    from domain.errors import DomainError

    try:
        return COMMANDS[args.command](args, settings)
    except DomainError as error:
        print(f"civicdesk: {error.detail}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
