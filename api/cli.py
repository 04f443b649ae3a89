"""The `civicdesk` command line: serve, token, demo, history, verify, export and the operators'
tools."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from infrastructure.settings import Settings

if TYPE_CHECKING:
    import uvicorn

    from application.desk import ServiceDesk

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
    from api.request_log import configure_logging
    from infrastructure.bootstrap import build_desk, seed_catalogue

    workers = args.workers or 1
    if workers > 1 and not settings.is_postgres:
        print("civicdesk: --workers needs PostgreSQL (CIVICDESK_DATABASE_URL): SQLite has one "
              "writer, and its read models run in one process", file=sys.stderr)
        return 2
    desk = build_desk(settings)
    seed_catalogue(desk)
    if args.demo_if_empty:
        from infrastructure.demo import has_cases, load_demo

        if not has_cases(desk):
            print("civicdesk: empty database; loading the demo data", file=sys.stderr)
            load_demo(desk, progress=True)
    host, port = args.host or settings.host, args.port or settings.port
    if workers > 1:
        # Each worker process builds its own app from the environment (the catalogue is
        # seeded above, once); they elect one runner per read model and one scheduler.
        desk.close()
        configure_logging(settings.log_level)
        run_workers(uvicorn.Config("api.app:create_worker_app", factory=True, workers=workers,
                                   host=host, port=port, log_level=settings.log_level.lower(),
                                   log_config=None))
        return 0
    app = create_app(settings, desk=desk)
    configure_logging(settings.log_level)  # after the app, which sets up logging its own way
    try:
        uvicorn.run(app, host=host, port=port, log_level=settings.log_level.lower(),
                    log_config=None)
    finally:
        desk.close()
    return 0


def run_workers(config: uvicorn.Config) -> None:
    """What `uvicorn.run` does for workers, with TCP_NODELAY on the shared listening socket:
    uvicorn binds it with protocol 0, so asyncio does not set TCP_NODELAY on each connection,
    and every answer then waited about 40 ms for the client's delayed ACK (Nagle). Linux
    gives accepted connections the listening socket's TCP_NODELAY."""
    import socket

    from uvicorn.supervisors import Multiprocess

    sock = config.bind_socket()
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    Multiprocess(config, sockets=[sock]).run()


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
    status = 1
    if verdict.ok and not verdict.guard_ok:
        print(f"WARNING: the chain is intact but the append-only guard is not: "
              f"{verdict.guard_problem}", file=sys.stderr)
    elif verdict.ok:
        print(f"OK: {verdict.events} events; head position {verdict.head_position}; "
              f"head hash {verdict.head_hash}")
        status = 0
    else:
        print(f"FAILED at notification {verdict.first_bad_position}: {verdict.problem}",
              file=sys.stderr)
    if args.against:
        status = max(status, verify_export(desk, args.against))
    return status


def verify_export(desk: ServiceDesk, path: str) -> int:
    """`verify --against EXPORT`: the live log must extend the export unchanged."""
    from infrastructure.audit_export import verify_against

    try:
        result = verify_against(desk, path)
    except OSError as error:
        print(f"FAILED against {path}: cannot read it: {error.strerror}", file=sys.stderr)
        return 1
    if result.ok:
        print(f"OK: the live log extends {path} unchanged ({result.exported} exported events)")
        return 0
    where = "" if result.first_difference is None else f" at position {result.first_difference}"
    print(f"FAILED against {path}{where}: {result.problem}", file=sys.stderr)
    return 1


@command("export")
def export(args: argparse.Namespace, settings: Settings) -> int:
    """Write the event log, or one case's events, as JSON lines (infrastructure.audit_export)."""
    from tqdm import tqdm  # type: ignore[import-untyped]

    from application.desk import ServiceDesk
    from domain.actors import Actor, Role
    from domain.errors import NotFound
    from infrastructure.audit_export import write_export

    # Reads only: like `verify`, it sets nothing up, so it exports the tables as they are.
    desk = ServiceDesk(env={**settings.eventsourcing_env(), "CREATE_TABLE": "no"})
    case_id = None
    if args.case:
        try:
            case_id = desk.get_case(Actor(id="civicdesk-cli", role=Role.AUDITOR),
                                    desk.case_id_for(args.case)).id
        except NotFound:
            print(f"civicdesk: no case {args.case}", file=sys.stderr)
            return 2
    total = None if case_id else desk.log_position()
    with tqdm(total=total, unit="event", desc="export", file=sys.stderr,
              disable=args.quiet) as bar:
        summary = write_export(desk, args.output, case_id=case_id, on_record=lambda record: (
            bar.update(1) if case_id else bar.update(record["position"] - bar.n)))
    print(f"Exported {summary.events} events to {args.output}; head position "
          f"{summary.head_position}; head hash {summary.head_hash}")
    return 0


@command("scheduler")
def scheduler(args: argparse.Namespace, settings: Settings) -> int:
    """Run the deadline scheduler alone until SIGTERM or SIGINT. Prints this process's role,
    "scheduler: leader" or "scheduler: standby", once at start and at every change.

    The leader also runs the pending deadlines projection (unless CIVICDESK_RUN_PROJECTIONS
    =false), where no other process holds that read model's own advisory lock; standbys
    leave it to the leader.
    """
    import logging
    import signal
    import threading
    from dataclasses import replace

    from infrastructure.bootstrap import compose
    from projections.pending_deadlines import PENDING_DEADLINES

    logging.basicConfig(level=settings.log_level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # a line per job otherwise
    stopping = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stopping.set()

    previous = {number: signal.signal(number, on_signal)
                for number in (signal.SIGTERM, signal.SIGINT)}

    def on_role_change(is_leader: bool) -> None:
        print(f"scheduler: {'leader' if is_leader else 'standby'}", flush=True)
        if settings.run_projections:
            if is_leader:
                projections.start()
            else:
                projections.stop()

    # Not seeded: the serving processes seed the catalogue, and this one only reads it.
    services = compose(replace(settings, run_scheduler=True), read_models=[PENDING_DEADLINES],
                       seed=False, interval=args.election_seconds,
                       on_role_change=on_role_change)
    projections, service = services.projections, services.scheduler
    assert service is not None
    try:
        service.start()
        while not stopping.wait(1.0):
            pass
    finally:
        services.close()
        for number, handler in previous.items():
            signal.signal(number, handler)
    return 0


@command("apikey")
def apikey(args: argparse.Namespace, settings: Settings) -> int:
    """Issue, revoke or list the API keys of Open311 client apps (an administrator's task).
    `create` prints the key alone on stdout: it is shown this once and never stored."""
    from application.open311 import issue_api_key, list_api_keys, revoke_api_key
    from domain.actors import Actor, Role
    from infrastructure.bootstrap import build_desk

    desk = build_desk(settings)
    admin = Actor(id="civicdesk-cli", role=Role.ADMIN)
    try:
        if args.action == "create":
            issued = issue_api_key(desk, admin, args.name)
            print(issued.key)
            print(f"civicdesk: the API key of {issued.name}; store it now, it is not shown "
                  "again", file=sys.stderr)
        elif args.action == "revoke":
            revoke_api_key(desk, admin, args.name, args.reason)
            print(f"revoked the API key of {args.name}")
        else:
            for key in list_api_keys(desk, admin):
                state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
                print(f"{key.name}\t{state}\tissued {key.issued_at:%Y-%m-%d}")
    finally:
        desk.close()
    return 0


@command("report")
def report(args: argparse.Namespace, settings: Settings) -> int:
    """Write the accountability report (api.reports) as JSON, zipped CSV or HTML."""
    from api.reports import EXTENSIONS, render
    from application.desk import ServiceDesk
    from domain.actors import Actor, Role
    from infrastructure.accountability_source import produce_report

    # Reads only, like `verify` and `export`: it sets nothing up.
    desk = ServiceDesk(env={**settings.eventsourcing_env(), "CREATE_TABLE": "no"})
    clerk = Actor(id="civicdesk-cli", role=Role.CLERK)
    produced = produce_report(desk, clerk, period=args.period, first=args.first,
                              last=args.last, department=args.department, as_of=args.as_of)
    body = render(produced, args.format)
    if args.output in (None, "-"):
        sys.stdout.buffer.write(body)
        sys.stdout.flush()
    else:
        with open(args.output, "wb") as file:
            file.write(body)
    print(f"Accountability report {produced.period.label} "
          f"({produced.department or 'all departments'}) as of {produced.as_of.isoformat()}: "
          f"{produced.cases} cases; {args.format} ({EXTENSIONS[args.format]}) to "
          f"{args.output or 'standard output'}; head position "
          f"{produced.chain.head_position}; head hash {produced.chain.head_hash}",
          file=sys.stderr)
    return 0


@command("project")
def project(args: argparse.Namespace, settings: Settings) -> int:
    from api.projection_commands import run_projections

    return run_projections(settings, args.names)


@command("rebuild")
def rebuild(args: argparse.Namespace, settings: Settings) -> int:
    from api.projection_commands import rebuild_projection

    return rebuild_projection(settings, args.name, batch_size=args.batch_size,
                              grace=args.grace, progress=not args.quiet)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="civicdesk", description=__doc__)
    sub = root.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run the API, projections and scheduler")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--workers", type=int, default=1,
                   help="server processes (PostgreSQL only; default 1)")
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

    p = sub.add_parser("verify", help="walk the hash chain over the event log")
    p.add_argument("--against", metavar="EXPORT",
                   help="also check that the live log extends this earlier export unchanged")

    p = sub.add_parser("export", help="write the event log (or one case's events) as JSON "
                       "lines, with positions and chain hashes")
    p.add_argument("-o", "--output", required=True, metavar="FILE")
    p.add_argument("--case", metavar="REFERENCE", help="only this case's events, for example "
                   "SC-2026-000123")
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    p = sub.add_parser("scheduler", help="run the deadline scheduler alone (elected on "
                       "PostgreSQL)")
    p.add_argument("--election-seconds", dest="election_seconds", type=float, default=2.0,
                   help="how often a standby tries to take over, and the leader checks its "
                   "lock")

    p = sub.add_parser("apikey", help="issue, revoke or list Open311 apps' API keys")
    actions = p.add_subparsers(dest="action", required=True)
    a = actions.add_parser("create", help="issue an app its key (printed once)")
    a.add_argument("--name", required=True, help="the app's name, for example FixMyStreet")
    a = actions.add_parser("revoke", help="revoke an app's key")
    a.add_argument("--name", required=True)
    a.add_argument("--reason", required=True)
    actions.add_parser("list", help="every app's key, active or revoked")

    p = sub.add_parser("report", help="write the accountability report for a period")
    p.add_argument("--period", help="2026 (a year), 2026-Q3 (a quarter) or 2026-07 (a month)")
    p.add_argument("--from", dest="first", help="first day, 2026-07-01 (with --to)")
    p.add_argument("--to", dest="last", help="last day, 2026-09-30 (with --from)")
    p.add_argument("--department", help="a department code (default: all departments)")
    p.add_argument("--as-of", dest="as_of", help="RFC 3339 moment (default: now)")
    p.add_argument("--format", choices=["json", "csv", "html"], default="html")
    p.add_argument("-o", "--output", help="the file to write (default: standard output)")

    p = sub.add_parser("project", help="run read models alone until SIGTERM or SIGINT")
    p.add_argument("names", nargs="*", metavar="NAME", help="a projection (default: all)")

    p = sub.add_parser("rebuild", help="replay the log into new tables of a read model and "
                       "switch them in when caught up")
    p.add_argument("name", metavar="NAME", help="the projection, for example case_index")
    p.add_argument("--batch-size", dest="batch_size", type=int, default=2000,
                   help="notifications applied per transaction")
    p.add_argument("--grace", type=float, default=2.0,
                   help="seconds between the switch and dropping the old tables")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
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
