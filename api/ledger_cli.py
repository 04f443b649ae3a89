"""The ledger's commands: `checkpoint`, `checkpoint-key`, `proof`, and the checkpoint part of
`verify` (the rest of the command line is api/cli.py)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from api.operator_mistake import OperatorMistake
from infrastructure.settings import Settings

if TYPE_CHECKING:
    from application.desk import ServiceDesk


Command = Callable[[argparse.Namespace, Settings], int]
LEDGER_COMMANDS: dict[str, Command] = {}


def command(name: str) -> Callable[[Command], Command]:
    def register(function: Command) -> Command:
        LEDGER_COMMANDS[name] = function
        return function

    return register


def add_ledger_commands(sub: Any) -> None:
    from api.cli import at_least


    p = sub.add_parser("checkpoint", help="extend the Merkle tree and sign a checkpoint of "
                       "the log now (printed; also stored and written to the checkpoint "
                       "directory)")
    p.add_argument("--force", action="store_true",
                   help="sign even if the log has not grown since the last checkpoint")

    p = sub.add_parser("checkpoint-key", help="make a new checkpoint signer key: the private "
                       "key into a file, its public (verifier) key on standard output")
    p.add_argument("--name", required=True, help="the log's name, which is also the origin "
                   "line of its checkpoints, for example town.example/civicdesk")
    p.add_argument("-o", "--output", required=True, metavar="FILE",
                   help="the file for the private key (created, never replaced; mode 0600)")

    p = sub.add_parser("proof", help="prove an event is in the log, or that the log only grew")
    kinds = p.add_subparsers(dest="kind", required=True)
    a = kinds.add_parser("inclusion", help="the C2SP tlog-proof of the event at POSITION")
    a.add_argument("position", type=at_least(1), help="the event's log position")
    a.add_argument("--tree-size", dest="tree_size", type=at_least(1),
                   help="a tree size a checkpoint was signed at (default: the latest)")
    a = kinds.add_parser("consistency", help="the proof that the tree of TO leaves extends "
                         "the tree of FROM leaves, as JSON")
    a.add_argument("first", type=at_least(1), metavar="FROM", help="the earlier tree size")
    a.add_argument("second", type=at_least(1), metavar="TO", nargs="?",
                   help="default: the whole tree")


def add_verify_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--checkpoint", action="append", default=[], metavar="FILE",
                   help="also prove the log consistent with this signed checkpoint (a file, "
                   "or a folder of .checkpoint files; repeatable)")
    p.add_argument("--report", metavar="FILE",
                   help="also check a published accountability report (its JSON form): its "
                   "checkpoint is signed and holds, and the log as of the report's moment "
                   "gives the same report")
    p.add_argument("--key", action="append", default=[], metavar="KEY",
                   help="a verifier key trusted to sign checkpoints, or a file of them one a "
                   "line (repeatable; default: the key this installation signs with)")


@command("checkpoint")
def checkpoint(args: argparse.Namespace, settings: Settings) -> int:
    from infrastructure.bootstrap import build_desk
    from infrastructure.checkpoint_keys import checkpoint_signer
    from infrastructure.checkpoints import sign_checkpoint

    signer = checkpoint_signer(settings)
    desk = build_desk(settings)
    try:
        signed = sign_checkpoint(desk, signer, settings.checkpoint_directory, force=args.force)
    finally:
        desk.close()
    if signed.problem is not None:
        print(f"civicdesk: the tree stops before position {signed.broken_position}: "
              f"{signed.problem}; run civicdesk verify", file=sys.stderr)
    if signed.note is None:
        print(f"civicdesk: the log has not grown since the last checkpoint (tree size "
              f"{signed.size}); nothing signed", file=sys.stderr)
    else:
        sys.stdout.write(signed.note)
    return 1 if signed.problem is not None else 0


@command("checkpoint-key")
def checkpoint_key(args: argparse.Namespace, settings: Settings) -> int:
    import os

    from infrastructure.signed_note import NoteError, Signer

    try:
        signer = Signer.generate(args.name)
    except NoteError as error:
        raise OperatorMistake(str(error)) from None
    try:
        descriptor = os.open(args.output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise OperatorMistake(f"{args.output} exists; a key is never replaced") from None
    with os.fdopen(descriptor, "w") as file:
        file.write(f"{signer}\n")
    print(signer.verifier)
    return 0


@command("proof")
def proof(args: argparse.Namespace, settings: Settings) -> int:
    from infrastructure.database_check import open_for_reading
    from infrastructure.merkle_store import NotInTree
    from infrastructure.proofs import consistency, inclusion

    desk = open_for_reading(settings)
    try:
        if args.kind == "inclusion":
            found = inclusion(desk, args.position, args.tree_size)
            if found["tlog_proof"] is None:
                raise OperatorMistake(
                    f"no checkpoint was signed at tree size {found['tree_size']}: sign one "
                    "(civicdesk checkpoint) or give a --tree-size a checkpoint was signed at")
            sys.stdout.write(found["tlog_proof"])
        else:
            print(json.dumps(consistency(desk, args.first, args.second), indent=2))
    except NotInTree as error:
        raise OperatorMistake(str(error)) from None
    finally:
        desk.close()
    return 0


def verify_signatures(desk: ServiceDesk, settings: Settings, args: argparse.Namespace) -> int:
    """Every event after the first signed batch is in a batch the application signed, and
    the signatures hold (with the trusted keys, when there are any)."""
    from eventsourcing.persistence import PersistenceError

    from infrastructure.checkpoint_keys import NoCheckpointKey, trusted_keys
    from infrastructure.event_signatures import check_signatures
    from infrastructure.signed_note import NoteError

    try:
        keys = trusted_keys(settings, args.key)
    except (NoCheckpointKey, NoteError, OSError):
        keys = None  # coverage only; the checkpoint check says what is wrong with the keys
    try:
        verdict = check_signatures(desk, keys)
    except PersistenceError:
        return 0  # a database from before signatures: nothing to check
    if verdict.ok:
        if verdict.signed_batches and not keys:
            print(f"WARNING: {verdict.signed_batches} signed batches of events, their "
                  "signatures not checked: no key (give --key)", file=sys.stderr)
        return 0
    print(f"FAILED at position {verdict.first_bad_position}: {verdict.problem}",
          file=sys.stderr)
    return 1


def verify_checkpoints(desk: ServiceDesk, settings: Settings, args: argparse.Namespace) -> int:
    """Every stored checkpoint and every one given: signed by a trusted key, and the log
    today consistent with it. 0 if all hold, 1 otherwise."""
    from eventsourcing.persistence import PersistenceError

    from infrastructure.checkpoint_check import check_checkpoints
    from infrastructure.checkpoint_keys import NoCheckpointKey, trusted_keys
    from infrastructure.checkpoints import stored_checkpoints
    from infrastructure.signed_note import NoteError

    try:
        stored = [(f"stored checkpoint {n}", note)
                  for n, note in enumerate(stored_checkpoints(desk), start=1)]
    except PersistenceError:
        print("WARNING: this database has no checkpoints table yet (run civicdesk migrate "
              "or serve once)", file=sys.stderr)
        stored = []
    given = [(str(path), path.read_text()) for path in _checkpoint_files(args.checkpoint)]
    if not stored and not given:
        return 0
    try:
        keys = trusted_keys(settings, args.key)
    except NoCheckpointKey as error:
        if given:
            raise OperatorMistake(f"{error}; or give the public keys with --key") from None
        print(f"WARNING: {len(stored)} stored checkpoints not checked: no key to check them "
              "with (give --key)", file=sys.stderr)
        return 0
    except (NoteError, OSError) as error:
        raise OperatorMistake(f"a --key is not a verifier key: {error}") from None
    status = 0
    verdicts = check_checkpoints(desk, [*stored, *given], keys)
    for verdict in verdicts:
        if verdict.ok:
            if not verdict.source.startswith("stored"):
                print(f"OK: the log is consistent with {verdict.source} (tree size "
                      f"{verdict.size})")
            continue
        status = 1
        where = ("" if verdict.first_bad_position is None
                 else f" at position {verdict.first_bad_position}")
        print(f"FAILED against {verdict.source}{where}: {verdict.problem}", file=sys.stderr)
    held = sum(1 for v in verdicts if v.ok and v.source.startswith("stored"))
    if stored:
        print(f"{'OK' if held == len(stored) else 'FAILED'}: {held} of {len(stored)} stored "
              "checkpoints signed and consistent with the log")
    return status


def _checkpoint_files(given: list[str]) -> list[Path]:
    files: list[Path] = []
    for item in given:
        path = Path(item)
        if path.is_dir():
            files += sorted(path.glob("*.checkpoint"))
        elif path.is_file():
            files.append(path)
        else:
            raise OperatorMistake(f"no checkpoint {item}: not a file or folder")
    return files


def verify_report(desk: ServiceDesk, settings: Settings, args: argparse.Namespace) -> int:
    """`verify --report FILE`: the report's checkpoint is signed by a trusted key and the log
    is consistent with it, and the report produced again from the log as of its moment is
    the published one, figure for figure. 0 if so, 1 otherwise."""
    from domain.actors import Actor, Role
    from domain.errors import DomainError
    from infrastructure.accountability_source import produce_report
    from infrastructure.checkpoint_check import check_checkpoints
    from infrastructure.checkpoint_keys import NoCheckpointKey, trusted_keys
    from infrastructure.signed_note import NoteError

    path = Path(args.report)
    try:
        published = json.loads(path.read_bytes())
        period, note = published["period"], published.get("checkpoint")
        label, as_of = str(period["label"]), str(published["as_of"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise OperatorMistake(f"{path} is not an accountability report in JSON (format=json): "
                              f"{type(error).__name__}: {error}") from None
    if not isinstance(note, str):
        print(f"FAILED: {path} carries no checkpoint: it was provisional when produced (no "
              "checkpoint after its moment was signed yet); produce it again", file=sys.stderr)
        return 1
    try:
        keys = trusted_keys(settings, args.key)
    except NoCheckpointKey as error:
        raise OperatorMistake(f"{error}; or give the public keys with --key") from None
    except (NoteError, OSError) as error:
        raise OperatorMistake(f"a --key is not a verifier key: {error}") from None
    [anchor] = check_checkpoints(desk, [(str(path), note)], keys)
    if not anchor.ok:
        where = ("" if anchor.first_bad_position is None
                 else f" at position {anchor.first_bad_position}")
        print(f"FAILED: the report's checkpoint{where}: {anchor.problem}", file=sys.stderr)
        return 1
    ranged = ".." in label
    clerk = Actor(id="civicdesk-verify", role=Role.AUDITOR)
    try:
        again = produce_report(
            desk, clerk, period=None if ranged else label,
            first=str(period["first_day"]) if ranged else None,
            last=str(period["last_day"]) if ranged else None,
            department=published.get("department"), as_of=as_of,
            min_sample=int(published["min_sample"]))
    except DomainError as error:
        print(f"FAILED: the report cannot be produced again from the log: {error}",
              file=sys.stderr)
        return 1
    from api.report_formats import to_json

    recomputed = json.loads(to_json(again))
    differ = [key for key in published if published.get(key) != recomputed.get(key)]
    if differ or set(recomputed) != set(published):
        print(f"FAILED: the log as of {as_of} gives another report than {path}: "
              f"{', '.join(differ) or 'its fields'} differ", file=sys.stderr)
        return 1
    print(f"OK: {path} is the log's report as of {as_of} ({again.cases} cases), anchored by "
          f"the checkpoint of tree size {anchor.size}")
    return 0
