"""The `civicdesk` command line: serve, token, demo, history, verify, export and the operators'
tools."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from api.operator_mistake import OperatorMistake
from infrastructure.settings import Settings, SettingsError

if TYPE_CHECKING:
    import uvicorn

    from application.desk import ServiceDesk

Command = Callable[[argparse.Namespace, Settings], int]
COMMANDS: dict[str, Command] = {}
# Every other command is told at once when PostgreSQL does not answer (`serve` checks its
# signing key first, then the database).
REACHED_LATER = {"token", "serve", "checkpoint-key"}
# Exit codes: 0 done; 1 the command ran and found a fault (`verify`); 2 it could not run as
# asked (a setting, an argument, a file or the database to fix first).
UNUSABLE = 2


def command(name: str) -> Callable[[Command], Command]:
    def register(function: Command) -> Command:
        COMMANDS[name] = function
        return function

    return register


@command("serve")
def serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from api.app import create_app
    from api.dependencies import served
    from api.request_log import configure_logging
    from infrastructure.bootstrap import build_desk, seed_catalogue
    from infrastructure.checkpoint_keys import checkpoint_signer
    from infrastructure.database_check import reach
    from infrastructure.master_key import master_key
    from infrastructure.signing_keys import check_serving

    settings = dataclasses.replace(settings, dev=args.dev or settings.dev,
                                   host=args.host or settings.host,
                                   port=args.port or settings.port)
    check_serving(settings, settings.host)
    checkpoint_signer(settings)  # NoCheckpointKey: no server that cannot sign its log
    master_key(settings)  # NoMasterKey: no server that would refuse every customer
    reach(settings)
    if settings.dev and not (settings.jwt_secret or settings.jwt_public_key):
        print("civicdesk: development mode: tokens signed with the published development "
              f"secret are accepted; serving on {settings.host} only", file=sys.stderr)
    workers = args.workers or 1
    if workers > 1 and not settings.is_postgres:
        print("civicdesk: --workers needs PostgreSQL (CIVICDESK_DATABASE_URL): SQLite has one "
              "writer, and its read models run in one process", file=sys.stderr)
        return 2
    desk = build_desk(settings)
    demo_loaded = False
    if args.demo_if_empty:
        from infrastructure.demo import has_cases, load_demo

        if not has_cases(desk):
            # The demo seeds the catalogue itself, committed before its simulated year.
            print("civicdesk: empty database; loading the demo data", file=sys.stderr)
            load_demo(desk, progress=True)
            demo_loaded = True
    seed_catalogue(desk)
    host, port = settings.host, settings.port
    if workers > 1:
        # Each worker process builds its own app from the environment (the catalogue is
        # seeded above, once); they elect one runner per read model and one scheduler.
        warn_if_owner_level(settings, desk)
        desk.close()
        if settings.dev:
            os.environ["CIVICDESK_DEV"] = "1"  # --dev, for the workers' own settings
        configure_logging(settings.log_level)
        run_workers(uvicorn.Config("api.app:create_worker_app", factory=True, workers=workers,
                                   host=host, port=port, log_level=settings.log_level.lower(),
                                   log_config=None))
        return 0
    app = create_app(settings, desk=desk)
    configure_logging(settings.log_level)  # after the app, which sets up logging its own way
    warn_if_owner_level(settings, desk)
    tell_catch_up(settings, served(app).services.projections, before_serving=demo_loaded)
    try:
        uvicorn.run(app, host=host, port=port, log_level=settings.log_level.lower(),
                    log_config=None)
    finally:
        desk.close()
    return 0


def tell_catch_up(settings: Settings, projections: Any, *, before_serving: bool) -> None:
    """Show on the console how far the read models have to catch up with the log (engine.progress).
    `before_serving` (the demo was just loaded): run them and wait until they have, so the
    first request already finds complete queues; otherwise the server serves meanwhile (its
    /ready answers 503 until they have) and the progress is shown from a thread."""
    from engine.progress import show_catch_up, show_catch_up_in_background

    if not settings.run_projections:
        return  # another process runs them, and tells
    if before_serving:
        projections.start()  # the app's startup starts them again: a no-op then
        show_catch_up(projections)
    else:
        show_catch_up_in_background(projections)


def warn_if_owner_level(settings: Settings, desk: ServiceDesk) -> None:
    """Log a warning when `serve` connects to PostgreSQL as more than the runtime role."""
    import logging

    from infrastructure.database_roles import owner_level_reasons

    if settings.is_postgres and (reasons := owner_level_reasons(desk)):
        logging.getLogger("civicdesk.database").warning(
            "serving as an owner-level database role (%s): it could rewrite the record; "
            "serve as the runtime role that `civicdesk migrate --grant-to` names (README, "
            "Operating it)", "; ".join(reasons))


@command("migrate")
def migrate(args: argparse.Namespace, settings: Settings) -> int:
    """Create (or upgrade) the event log, its chain, the access log and their append-only
    triggers, seed the catalogue, and on PostgreSQL grant the runtime role what `serve` needs.
    Run it as the owner role; `serve` then runs as the runtime role."""
    from infrastructure.access_log import AccessLog
    from infrastructure.bootstrap import build_desk, seed_catalogue
    from infrastructure.database_roles import NoSuchRole, grant_runtime_role

    if args.grant_to and not settings.is_postgres:
        print("civicdesk: --grant-to needs PostgreSQL (CIVICDESK_DATABASE_URL); SQLite has "
              "no roles", file=sys.stderr)
        return 2
    desk = build_desk(settings)
    try:
        AccessLog(desk)
        added = seed_catalogue(desk)
        if args.grant_to:
            try:
                grant_runtime_role(desk, args.grant_to)
            except NoSuchRole:
                print(f"civicdesk: no database role {args.grant_to}; create it first "
                      "(README, Operating it)", file=sys.stderr)
                return 2
    finally:
        desk.close()
    granted = f"; granted {args.grant_to} the runtime privileges" if args.grant_to else ""
    print(f"migrated: the event log, its chain and the access log are set up; "
          f"{added} catalogue records added{granted}")
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

    settings = dataclasses.replace(settings, dev=args.dev or settings.dev)
    print(issue_token(settings, sub=args.sub, role=args.role, departments=args.department,
                      lifetime_seconds=args.hours * 3600))
    return 0


@command("demo")
def demo(args: argparse.Namespace, settings: Settings) -> int:
    from infrastructure.bootstrap import build_desk
    from infrastructure.demo import load_demo

    desk = build_desk(settings)
    # load_demo seeds the catalogue, committed before the simulated year it records.
    summary = load_demo(desk, cases=args.cases, seed=args.seed, progress=True)
    print(json.dumps(summary, indent=2, default=str))
    return 0


@command("import")
def import_cases(args: argparse.Namespace, settings: Settings) -> int:
    from domain.actors import Actor, Role
    from domain.errors import InvalidValue
    from infrastructure.bootstrap import build_desk
    from infrastructure.case_import import import_csv, mapping_named

    path = Path(args.file)
    try:
        mapping = mapping_named(args.mapping, args.source_system)
        if not path.is_file():
            raise InvalidValue(f"no file {path}", "FILE")
        desk = build_desk(settings)
        summary = import_csv(desk, path, mapping, Actor(id=cli_actor_id(), role=Role.ADMIN),
                             dry_run=args.dry_run)
    except InvalidValue as error:
        raise OperatorMistake(error.detail) from None
    for refusal in summary.refused:
        print(f"row {refusal.row}, column {refusal.column}: {refusal.reason}")
    print(json.dumps(summary.as_dict(), indent=2))
    return 1 if summary.refused else 0


@command("history")
def history(args: argparse.Namespace, settings: Settings) -> int:
    import msgspec

    from api.cases import HISTORY_FIELDS
    from api.history import case_history
    from domain.actors import Actor, Role
    from domain.errors import NotFound
    from infrastructure.access_log import AccessLog, DisclosureNotRecorded
    from infrastructure.database_check import open_for_reading

    desk = open_for_reading(settings)
    auditor = Actor(id=cli_actor_id(), role=Role.AUDITOR)
    try:
        case_id = desk.case_id_for(args.reference)
        record = case_history(desk, auditor, case_id, version=args.version, as_of=args.as_of)
    except NotFound:
        raise OperatorMistake(f"no case {args.reference}") from None
    try:
        # Set up by the server or `civicdesk migrate`; a reading command creates nothing.
        AccessLog(desk, create=False).record(auditor, case_id, "civicdesk history",
                                             HISTORY_FIELDS)
    except DisclosureNotRecorded as error:
        print(f"civicdesk: {error}", file=sys.stderr)
        return 1
    print(msgspec.json.format(msgspec.json.encode(record)).decode())
    return 0


def cli_actor_id() -> str:
    """Who ran a reading command, for the access log: the operating-system account."""
    import getpass

    try:
        return f"civicdesk-cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no name for this uid (some containers)
        return "civicdesk-cli"


@command("verify")
def verify(args: argparse.Namespace, settings: Settings) -> int:
    from api.ledger_cli import verify_checkpoints, verify_report, verify_signatures
    from infrastructure.database_check import open_for_reading
    from infrastructure.ledger import verify_log

    desk = open_for_reading(settings)
    verdict = verify_log(desk)
    # The application's signatures and the access log first: the chain's verdict stays the
    # last line before the checks against exports and checkpoints.
    signatures = verify_signatures(desk, settings, args)
    access = verify_access(desk)
    files = verify_attachments(desk, settings)
    status = 1
    if verdict.ok and not verdict.guard_ok:
        print(f"WARNING: the chain is intact but the append-only guard is not: "
              f"{verdict.guard_problem}", file=sys.stderr)
    elif verdict.ok:
        print(f"OK: {verdict.events} events; head position {verdict.head_position}; "
              f"head hash {verdict.head_hash}")
        status = 0
    else:
        if not verdict.guard_ok:  # reported too: it says how the record was reached
            print(f"FAILED: the append-only guard is not intact: {verdict.guard_problem}",
                  file=sys.stderr)
        print(f"FAILED at notification {verdict.first_bad_position}: {verdict.problem}",
              file=sys.stderr)
    status = max(status, signatures, access, files)
    if args.against:
        status = max(status, verify_export(desk, args.against))
    if args.report:
        status = max(status, verify_report(desk, settings, args))
    return max(status, verify_checkpoints(desk, settings, args))


def verify_attachments(desk: ServiceDesk, settings: Settings) -> int:
    """The attachment files against the hashes the log holds: 0 if all match, 1 (naming
    each file at fault) otherwise."""
    from infrastructure.attachment_check import check_attachments
    from infrastructure.file_store import attachment_store

    files = check_attachments(desk, attachment_store(settings))
    for problem in files.problems:
        print(f"FAILED: {problem}", file=sys.stderr)
    if files.ok:
        print(f"OK: attachments: {files.files} files match the log")
    return 0 if files.ok else 1


def verify_access(desk: ServiceDesk) -> int:
    """The access log's own chain: 0 if it holds, 1 (and where it breaks) otherwise."""
    from infrastructure.access_log import verify_access_log

    access, _ = verify_access_log(desk)
    if not access.ok:
        print(f"FAILED at access-log entry {access.first_bad_id}: {access.problem}",
              file=sys.stderr)
        return 1
    older = (f" (and {access.unchained} from before it was chained)" if access.unchained
             else "")
    print(f"OK: access log: {access.entries} entries{older}; head entry {access.head_id}")
    return 0


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
    from pathlib import Path
    from uuid import UUID

    from tqdm import tqdm  # type: ignore[import-untyped]

    from api.audit import EVENT_FIELDS
    from domain.actors import Actor, Role
    from domain.errors import NotFound
    from infrastructure.access_log import AccessLog, DisclosureNotRecorded
    from infrastructure.audit_export import write_export
    from infrastructure.database_check import open_for_reading

    check_output(args.output)
    desk = open_for_reading(settings)  # it exports the tables as they are
    # It writes only to the access log (set up by the server), one row per case exported in
    # full; a hash-only export discloses nothing personal and needs no access log.
    auditor = Actor(id=cli_actor_id(), role=Role.AUDITOR)
    full = args.content == "full"
    access_log = AccessLog(desk, create=False) if full else None
    case_id = None
    if args.case:
        try:
            case_id = desk.get_case(auditor, desk.case_id_for(args.case)).id
        except NotFound:
            print(f"civicdesk: no case {args.case}", file=sys.stderr)
            return 2
    total = None if case_id else desk.log_position()
    exported: set[str] = set()

    def disclose(record: dict[str, Any]) -> None:
        # Logged as each case's first event is written, before the file is complete (it
        # appears under its name only at the end, so nothing unlogged is ever disclosed).
        case = record["originator_id"]
        if access_log is not None and (record["type"] or "").startswith("Case.") \
                and case not in exported:
            access_log.record(auditor, UUID(case), "civicdesk export", EVENT_FIELDS)
            exported.add(case)

    def on_record(record: dict[str, Any]) -> None:
        disclose(record)
        bar.update(1 if case_id else record["position"] - bar.n)

    with writing(args.output), tqdm(total=total, unit="event", desc="export",
                                    file=sys.stderr, disable=args.quiet) as bar:
        try:
            summary = write_export(desk, args.output, case_id=case_id, on_record=on_record,
                                   content=args.content)
        except DisclosureNotRecorded as error:
            output = Path(args.output)
            output.with_name(f".{output.name}.partial").unlink(missing_ok=True)
            print(f"civicdesk: {error}; nothing was exported", file=sys.stderr)
            return 1
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


@command("outbox")
def outbox(args: argparse.Namespace, settings: Settings) -> int:
    """List the outbox, or requeue a parked message as the administrator `civicdesk-cli`
    (the case records `NotificationRequeued`). The serving process sends it."""
    from application.outbox import requeue
    from domain.actors import Actor, Role
    from engine.runner import ProjectionSet
    from infrastructure.bootstrap import build_desk
    from projections.outbox import OUTBOX_MODEL

    desk = build_desk(settings)
    projections = ProjectionSet(settings, desk, [OUTBOX_MODEL])
    view = projections.view(OUTBOX_MODEL.name)
    try:
        if args.action == "requeue":
            outcome = requeue(desk, Actor(id="civicdesk-cli", role=Role.ADMIN), view,
                              args.key, args.reason)
            print(f"requeued {args.key} (case {outcome.case.reference}); the serving process "
                  "sends it on its next pass")
        else:
            after = ""
            while page := (view.every(limit=500, after=after) if args.state is None else
                           view.in_states([args.state], limit=500, after=after,
                                          order_by_key=True)):
                for message in page:
                    print(f"{message.key}\t{message.state}\t{message.attempts}\t"
                          f"{message.last_error or ''}")
                after = page[-1].key
    finally:
        projections.close()
        desk.close()
    return 0


@command("report")
def report(args: argparse.Namespace, settings: Settings) -> int:
    """Write the accountability report (api.reports) as JSON, zipped CSV or HTML."""
    from api.reports import EXTENSIONS, render
    from domain.actors import Actor, Role
    from infrastructure.accountability_source import produce_report
    from infrastructure.database_check import open_for_reading

    to_stdout = args.output in (None, "-")
    if to_stdout and args.format == "csv" and sys.stdout.isatty():
        raise OperatorMistake("report --format csv is a zip archive, not text for a terminal: "
                              "write it to a file with -o FILE (or redirect standard output)")
    if not to_stdout:
        check_output(args.output)
    desk = open_for_reading(settings)
    clerk = Actor(id="civicdesk-cli", role=Role.CLERK)
    produced = produce_report(desk, clerk, period=args.period, first=args.first,
                              last=args.last, department=args.department, as_of=args.as_of,
                              min_sample=settings.min_sample,
                              include_imported=args.include_imported)
    body = render(produced, args.format)
    if to_stdout:
        sys.stdout.buffer.write(body)
        sys.stdout.flush()
    else:
        with writing(args.output), open(args.output, "wb") as file:
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
    from api.projection_commands import run_projections, skip_event

    if args.skip is not None:
        if len(args.names) != 1:
            print("civicdesk: --skip POSITION takes exactly one read model NAME",
                  file=sys.stderr)
            return 2
        return skip_event(settings, args.names[0], args.skip, args.reason or "")
    return run_projections(settings, args.names)


@command("rebuild")
def rebuild(args: argparse.Namespace, settings: Settings) -> int:
    from api.projection_commands import rebuild_projection

    return rebuild_projection(settings, args.name, batch_size=args.batch_size,
                              grace=args.grace, progress=not args.quiet)


def port_number(text: str) -> int:
    """argparse type of --port: a TCP port."""
    try:
        number = int(text)
    except ValueError:
        number = 0
    if not 1 <= number <= 65_535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number from 1 to 65535")
    return number


def at_least(minimum: float, kind: type[int] | type[float] = int) -> Callable[[str], float]:
    """argparse type: a number of `kind` no smaller than `minimum`."""
    def parse(text: str) -> float:
        try:
            number = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if number < minimum:
            raise argparse.ArgumentTypeError(f"{text!r} is less than {minimum}")
        return number

    return parse


def installed_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("civicdesk")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown (not installed)"


DEV_HELP = ("local development only: accept tokens signed with the published development "
            "secret when CIVICDESK_JWT_SECRET is unset (also CIVICDESK_DEV=1)")


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="civicdesk", description=__doc__)
    root.add_argument("--version", action="version", version=f"civicdesk {installed_version()}",
                      help="print civicdesk's version and exit")
    sub = root.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run the API, projections and scheduler")
    p.add_argument("--host", help="address to listen on (default: CIVICDESK_HOST, 127.0.0.1)")
    p.add_argument("--port", type=port_number,
                   help="port to listen on (default: CIVICDESK_PORT, 8000)")
    p.add_argument("--dev", action="store_true",
                   help=f"{DEV_HELP}; refused unless listening on a loopback address")
    p.add_argument("--workers", type=at_least(1), default=1,
                   help="server processes (PostgreSQL only; default 1)")
    p.add_argument("--demo-if-empty", action="store_true",
                   help="load the demo data first if the database has no cases")

    p = sub.add_parser("migrate", help="create or upgrade the tables and triggers as the owner, "
                       "and grant the runtime role")
    p.add_argument("--grant-to", dest="grant_to", metavar="ROLE",
                   help="the PostgreSQL role `serve` runs as, for example civicdesk_app")

    p = sub.add_parser("token", help="issue a bearer token signed with CIVICDESK_JWT_SECRET")
    p.add_argument("--role", required=True, help="the person's role",
                   choices=["csr", "staff", "manager", "director", "clerk", "auditor", "admin",
                            "privacy_officer"])
    p.add_argument("--sub", required=True, help="the person's id")
    p.add_argument("--department", action="append", default=[],
                   help="a department the person acts for (repeatable)")
    p.add_argument("--hours", type=at_least(1), default=8, help="lifetime in hours (default: 8)")
    p.add_argument("--dev", action="store_true", help=DEV_HELP)

    p = sub.add_parser("demo", help="load the catalogue and a reproducible year of cases")
    p.add_argument("--cases", type=at_least(0), default=3000,
                   help="how many cases to load (default: 3000)")
    p.add_argument("--seed", type=int, default=2026,
                   help="random seed: the same seed loads the same cases (default: 2026)")

    p = sub.add_parser("import", help="bring past cases from another system's CSV export, "
                       "each recorded once however often it is run")
    p.add_argument("file", metavar="FILE", help="the CSV export (a header row, then a case a row)")
    p.add_argument("--format", choices=["csv"], default="csv", help="the export's format")
    p.add_argument("--mapping", default="civicdesk",
                   help="how its columns become a case: dynamics365, salesforce, civicdesk "
                        "(the desk's own field names; the default) or a JSON mapping file")
    p.add_argument("--source-system", dest="source_system", metavar="CODE",
                   help="the source system's code in the imported references (IMP-CODE-...; "
                        "default: the mapping's)")
    p.add_argument("--dry-run", dest="dry_run", action="store_true",
                   help="check every row and report what would be refused and why; record "
                        "nothing")

    p = sub.add_parser("history", help="print a case's complete history")
    p.add_argument("reference", help="for example SC-2026-000123")
    p.add_argument("--version", type=at_least(1), help="the case as it was at this version")
    p.add_argument("--as-of", dest="as_of", help="the case as it was at this RFC 3339 moment")

    p = sub.add_parser("verify", help="walk the hash chain over the event log, and check it "
                       "against every signed checkpoint")
    p.add_argument("--against", metavar="EXPORT",
                   help="also check that the live log extends this earlier export unchanged")
    from api.ledger_cli import LEDGER_COMMANDS, add_ledger_commands, add_verify_options

    add_verify_options(p)
    add_ledger_commands(sub)
    COMMANDS.update(LEDGER_COMMANDS)

    p = sub.add_parser("export", help="write the event log (or one case's events) as JSON "
                       "lines, with positions and chain hashes")
    p.add_argument("-o", "--output", required=True, metavar="FILE",
                   help="the file to write (replaced if it exists)")
    p.add_argument("--case", metavar="REFERENCE", help="only this case's events, for example "
                   "SC-2026-000123")
    p.add_argument("--content", choices=["hashes", "full"], default="hashes",
                   help="hashes (default): each event's metadata and hashes, nothing personal, "
                   "enough for verify --against and proofs; full: every field of every event "
                   "(each case is written to the access log)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    p = sub.add_parser("scheduler", help="run the deadline scheduler alone (elected on "
                       "PostgreSQL)")
    p.add_argument("--election-seconds", dest="election_seconds", type=at_least(0.1, float),
                   default=2.0,
                   help="how often a standby tries to take over, and the leader checks its "
                   "lock")

    p = sub.add_parser("apikey", help="issue, revoke or list Open311 apps' API keys")
    actions = p.add_subparsers(dest="action", required=True)
    a = actions.add_parser("create", help="issue an app its key (printed once)")
    a.add_argument("--name", required=True, help="the app's name, for example FixMyStreet")
    a = actions.add_parser("revoke", help="revoke an app's key")
    a.add_argument("--name", required=True, help="the app's name, as when it was created")
    a.add_argument("--reason", required=True, help="why, for the record")
    actions.add_parser("list", help="every app's key, active or revoked")

    from api.routing_cli import add_routing_commands, routing_rules

    add_routing_commands(sub)
    COMMANDS["routing-rules"] = routing_rules

    p = sub.add_parser("outbox", help="list the outbox's messages, or send a parked one again")
    actions = p.add_subparsers(dest="action", required=True)
    a = actions.add_parser("list", help="messages by key: key, state, attempts, last error")
    a.add_argument("--state", choices=["pending", "sending", "accepted", "sent", "skipped",
                                       "parked"], help="only messages in this state")
    a = actions.add_parser("requeue", help="send a parked message again (recorded on its case)")
    a.add_argument("key", help="the message's key, as `outbox list` prints it")
    a.add_argument("--reason", required=True, help="why it may succeed now, for the record")

    p = sub.add_parser("report", help="write the accountability report for a period")
    p.add_argument("--period", help="2026 (a year), 2026-Q3 (a quarter) or 2026-07 (a month)")
    p.add_argument("--from", dest="first", help="first day, 2026-07-01 (with --to)")
    p.add_argument("--to", dest="last", help="last day, 2026-09-30 (with --from)")
    p.add_argument("--department", help="a department code (default: all departments)")
    p.add_argument("--as-of", dest="as_of", help="RFC 3339 moment (default: now)")
    p.add_argument("--format", choices=["json", "csv", "html"], default="html",
                   help="html (default), json, or csv (a zip archive of CSV files: needs -o "
                   "or a redirect)")
    p.add_argument("-o", "--output", help="the file to write (default: standard output)")
    p.add_argument("--include-imported", dest="include_imported", action="store_true",
                   help="count the cases imported from another system (civicdesk import); "
                        "by default the report speaks only for cases the desk received")

    p = sub.add_parser("project", help="run read models alone until SIGTERM or SIGINT")
    p.add_argument("names", nargs="*", metavar="NAME", help="a projection (default: all)")
    p.add_argument("--skip", type=at_least(1), metavar="POSITION",
                   help="instead of running: let read model NAME pass over the event at "
                        "POSITION on which it failed (recorded, with --reason)")
    p.add_argument("--reason", help="why the event may be skipped (required with --skip)")

    p = sub.add_parser("rebuild", help="replay the log into new tables of a read model and "
                       "switch them in when caught up")
    p.add_argument("name", metavar="NAME", help="the projection, for example case_index")
    p.add_argument("--batch-size", dest="batch_size", type=at_least(1), default=2000,
                   help="notifications applied per transaction")
    p.add_argument("--grace", type=at_least(0, float), default=2.0,
                   help="seconds between the switch and dropping the old tables")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return root


def check_output(path: str) -> None:
    """Refuse, before any work, an output file whose folder is missing or that is a folder
    (what cannot be written for other reasons is reported when writing, by `main`)."""
    target = Path(path)
    if target.is_dir():
        raise OperatorMistake(f"cannot write {path}: it is a folder")
    if not target.parent.is_dir():
        raise OperatorMistake(f"cannot write {path}: the folder {target.parent} does not exist")


@contextmanager
def writing(path: str) -> Iterator[None]:
    """An OSError while writing `path` (or a temporary file beside it) becomes a message that
    names `path`."""
    try:
        yield
    except OSError as error:
        raise OperatorMistake(f"cannot write {path}: {error.strerror or error}") from None


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; an operator's mistake is a message on standard error naming what and
    where, and exit code 2, never a traceback."""
    args = parser().parse_args(argv)
    from eventsourcing.domain import OriginatorVersionError
    from eventsourcing.persistence import OperationalError

    from domain.errors import DomainError
    from infrastructure.checkpoint_keys import NoCheckpointKey
    from infrastructure.damaged_log import DamagedLog, damaged_message
    from infrastructure.database_check import DatabaseUnavailable, reach
    from infrastructure.master_key import NoMasterKey
    from infrastructure.signing_keys import NoSigningKey

    try:
        settings = Settings.from_environment()
    except SettingsError as error:
        print("civicdesk: the settings are not valid:", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return UNUSABLE
    try:
        if args.command not in REACHED_LATER:
            reach(settings)
        return COMMANDS[args.command](args, settings)
    except (OperatorMistake, NoSigningKey, NoCheckpointKey, NoMasterKey,
            DatabaseUnavailable) as error:
        print(f"civicdesk: {error}", file=sys.stderr)
    except DomainError as error:
        print(f"civicdesk: {error.detail}", file=sys.stderr)
    except OperationalError as error:
        print(f"civicdesk: the database failed ({settings.database_location}): {error}",
              file=sys.stderr)
    except (DamagedLog, OriginatorVersionError) as error:
        print(f"civicdesk: {damaged_message(error)}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader went away (`civicdesk history ... | head`): not an error to report.
        # Python's advice: point stdout at devnull so the flush at exit does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as error:
        if error.filename is None:
            raise
        print(f"civicdesk: {error.filename}: {error.strerror}", file=sys.stderr)
    return UNUSABLE


if __name__ == "__main__":
    sys.exit(main())
