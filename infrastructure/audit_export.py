"""The auditors' export: every event of the log (or of one case) as one JSON object a line, and
the check that the live log still extends an earlier export unchanged.

Format (the same bytes for `civicdesk export` and `GET /api/v1/audit/events`): JSON lines, no
header or trailer, so any slice of an export is itself an export and `jq`/`grep` work on it.
Each line is one event in notification order with the keys of `FIELDS`: `position` (the
notification id), `type` (`Case.Transferred`), `topic` (the stored class topic), who and when,
`data` (the event's own fields), and `chain_hash` (the hex of the link stored for it, which
commits to every event before it). The export's head is its last line's position and hash. A
row the walk finds broken (a link without its event, an event that cannot be decoded) is
still written, with what is known and a `problem` key saying what is wrong.

Two contents: `full` (every field of every event: residents' contact details and
descriptions included), and `hashes` (the keys of `HASH_FIELDS`: the metadata, no actor id,
and instead of `data` the SHA-256 of the stored event, `state_sha256`, and its Merkle leaf
hash, `leaf_hash`). A hash-only export holds no personal information, yet `verify --against`
checks the live log against it as strictly (the stored event's hash is compared), and its
leaf hashes are what inclusion proofs prove: it is the export to keep off-site.
"""

from __future__ import annotations

import hashlib
import itertools
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.application import Application
from eventsourcing.persistence import StoredEvent
from psycopg.sql import SQL, Identifier

from infrastructure import merkle
from infrastructure.chain import ChainRow, leaf_bytes, verify
from infrastructure.ledger import chain_rows
from infrastructure.recorders import (
    ChainedPostgresApplicationRecorder,
    ChainedSQLiteApplicationRecorder,
)

FIELDS = ("position", "type", "topic", "originator_id", "originator_version", "actor_id",
          "actor_role", "occurred_at", "recorded_at", "data", "chain_hash")
HASH_FIELDS = ("position", "type", "topic", "originator_id", "originator_version",
               "actor_role", "occurred_at", "recorded_at", "state_sha256", "leaf_hash",
               "chain_hash")
CONTENTS = ("hashes", "full")
ENVELOPE = {"originator_id", "originator_version", "timestamp", "originator_topic"}
WINDOW = 1_000  # events read per query: a window of the log, never the whole of it
_ENCODER = msgspec.json.Encoder(enc_hook=str)


def event_type(domain_event: object) -> str:
    """`Case.Transferred` style: the aggregate and the past-tense event, as auditors read it."""
    return type(domain_event).__qualname__


def event_data(domain_event: object) -> dict[str, Any]:
    data = {k: v for k, v in vars(domain_event).items() if k not in ENVELOPE}
    return {k: (v.astimezone(UTC) if isinstance(v, datetime) else
                str(v) if isinstance(v, UUID) else v) for k, v in data.items()}


def audit_records(desk: Application[Any], start: int | None = None, stop: int | None = None,
                  case_id: UUID | None = None, *, window: int = WINDOW,
                  content: str = "full") -> Iterator[dict[str, Any]]:
    """Events from position `start` to `stop` (inclusive; the head when the walk begins), or
    only one case's, each as a JSON-ready dict; read `window` positions at a time."""
    if case_id is None:
        rows: Iterable[ChainRow] = chain_rows(desk, start, stop, window=window)
    else:
        rows = itertools.chain.from_iterable(
            chain_rows(desk, position, position) for position in _positions_of(desk, case_id)
            if (start is None or position >= start) and (stop is None or position <= stop))
    for row in rows:
        record = audit_record(desk, row)
        yield record if content == "full" else hashed_record(record, row)


def hashed_record(record: dict[str, Any], row: ChainRow) -> dict[str, Any]:
    """The hash-only line of an event: its metadata and hashes, nothing personal."""
    complete = None not in (row.originator_id, row.originator_version, row.topic, row.state)
    hashed = {key: record.get(key) for key in HASH_FIELDS}
    hashed["state_sha256"] = None if row.state is None else hashlib.sha256(row.state).hexdigest()
    hashed["leaf_hash"] = merkle.leaf_hash(leaf_bytes(row)).hex() if complete else None
    if "problem" in record:
        hashed["problem"] = record["problem"]
    return hashed


def audit_record(desk: Application[Any], row: ChainRow) -> dict[str, Any]:
    record: dict[str, Any] = dict.fromkeys(FIELDS)
    record.update(position=row.notification_id, topic=row.topic,
                  originator_id=None if row.originator_id is None else str(row.originator_id),
                  originator_version=row.originator_version,
                  chain_hash=None if row.stored_link is None else row.stored_link.hex())
    if row.originator_id is None or row.originator_version is None or row.topic is None \
            or row.state is None:
        record["problem"] = "its event is missing from the log, or a field of it is empty"
        return record
    try:
        event: Any = desk.mapper.to_domain_event(StoredEvent(
            originator_id=row.originator_id, originator_version=row.originator_version,
            topic=row.topic, state=row.state))
        data = event_data(event)
        record.update(type=event_type(event), actor_id=data.pop("actor_id", None),
                      actor_role=data.pop("actor_role", None),
                      occurred_at=data.pop("occurred_at", None),
                      recorded_at=event.timestamp.astimezone(UTC), data=data)
        record = msgspec.to_builtins(record, enc_hook=str)
    except Exception as error:  # a tampered row must not end the walk: it is reported
        record.update(dict.fromkeys(("type", "actor_id", "actor_role", "occurred_at",
                                     "recorded_at", "data")))
        record["problem"] = f"its event cannot be decoded: {type(error).__name__}: {error}"
    if row.stored_link is None:
        record["problem"] = "its event has no chain link"
    return record


def encode_line(record: dict[str, Any]) -> bytes:
    return _ENCODER.encode(record) + b"\n"


@dataclass(frozen=True)
class ExportSummary:
    events: int
    head_position: int | None  # the last line's position and chain hash (None when empty)
    head_hash: str | None


def write_export(desk: Application[Any], path: str | Path, *, case_id: UUID | None = None,
                 on_record: Callable[[dict[str, Any]], None] | None = None,
                 content: str = "full") -> ExportSummary:
    """Write the export to `path` atomically: a reader never finds half an export there."""
    target = Path(path)
    partial = target.with_name(f".{target.name}.partial")
    events, last = 0, None
    with partial.open("wb") as file:
        for record in audit_records(desk, case_id=case_id, content=content):
            file.write(encode_line(record))
            events, last = events + 1, record
            if on_record is not None:
                on_record(record)
        file.flush()
        os.fsync(file.fileno())
    partial.replace(target)
    if last is None:
        return ExportSummary(0, None, None)
    return ExportSummary(events, last["position"], last["chain_hash"])


@dataclass(frozen=True)
class AgainstVerdict:
    """Whether the live log extends an export unchanged; if not, where they first differ."""

    ok: bool
    exported: int  # the export's lines found unchanged in the live log
    first_difference: int | None = None  # a log position (None: the export itself is unreadable)
    problem: str | None = None


def verify_against(desk: Application[Any], path: str | Path) -> AgainstVerdict:
    """Walk the live log from the genesis to the export's last position, recomputing its chain,
    and compare each exported line with the live event at that position.

    Every exported `chain_hash` commits to every event before it, so matching links and an
    intact live chain prove nothing earlier was altered, removed, inserted or reordered, even
    between the lines of a one-case export. Later live events are an extension, not checked.
    """
    comparison = _Comparison(_exported_lines(Path(path)))
    chain = verify(comparison.walk(chain_rows(desk, window=WINDOW), desk))
    if not chain.ok and (comparison.position is None or chain.first_bad_position is None
                         or chain.first_bad_position < comparison.position):
        return AgainstVerdict(False, comparison.matched, chain.first_bad_position,
                              f"the live log's chain is broken there: {chain.problem}")
    if comparison.problem is not None:
        return AgainstVerdict(False, comparison.matched, comparison.position,
                              comparison.problem)
    return AgainstVerdict(True, comparison.matched)


class _Comparison:
    """Matches the live rows, as the chain walk passes them, with the export's lines."""

    def __init__(self, lines: Iterator[dict[str, Any]]) -> None:
        self.lines = lines
        self.matched = 0
        self.position: int | None = None  # where the first difference was found
        self.problem: str | None = None

    def _next(self) -> dict[str, Any] | None:
        try:
            return next(self.lines, None)
        except ValueError as error:
            self.problem = str(error)
            return None

    def walk(self, rows: Iterator[ChainRow], desk: Application[Any]) -> Iterator[ChainRow]:
        expected = self._next()
        for row in rows:
            if expected is None:
                return  # the export is exhausted: what follows is an extension
            position = expected["position"]
            if row.notification_id > position:
                self._differ(position, "the exported event is missing from the live log")
                return
            if row.notification_id == position:
                live = audit_record(desk, row)
                if "data" not in expected and "state_sha256" in expected:  # a hash-only line
                    live = hashed_record(live, row)
                changed = [key for key in sorted(set(live) | set(expected))
                           if live.get(key) != expected.get(key)]
                if changed:
                    self._differ(position, f"{', '.join(changed)} differ from the export")
            # To the chain walk, which stops at a broken link without asking for more rows.
            yield row
            if self.problem is not None:
                return
            if row.notification_id == position:
                self.matched += 1
                expected = self._next()
        if expected is not None:
            self._differ(expected["position"], "the live log ends before this exported event")

    def _differ(self, position: int, problem: str) -> None:
        self.position, self.problem = position, problem


def _exported_lines(path: Path) -> Iterator[dict[str, Any]]:
    """The export's lines one at a time; ValueError for one that is not an exported event."""
    previous = 0
    with path.open("rb") as file:
        for number, line in enumerate(file, start=1):
            if not line.strip():
                continue  # a blank line (an editor's last newline) claims nothing
            try:
                record = msgspec.json.decode(line)
            except msgspec.DecodeError:
                raise ValueError(f"line {number} of the export is not JSON") from None
            position = record.get("position") if isinstance(record, dict) else None
            if type(position) is not int or position <= previous:
                raise ValueError(f"line {number} of the export has no position after "
                                 f"{previous}")
            previous = position
            yield record


def _positions_of(desk: Application[Any], case_id: UUID) -> list[int]:
    """The notification ids of one aggregate's events, by its primary-key index."""
    recorder: Any = desk.recorder
    if isinstance(recorder, ChainedPostgresApplicationRecorder):
        sql: Any = SQL("SELECT notification_id AS id FROM {} WHERE originator_id = %(id)s "
                       "ORDER BY notification_id").format(
            Identifier(recorder.datastore.schema, recorder.events_table_name))
        params: dict[str, Any] = {"id": case_id}
    elif isinstance(recorder, ChainedSQLiteApplicationRecorder):
        # Stored as hex, or as text when ORIGINATOR_ID_TYPE is "text".
        sql = (f"SELECT rowid AS id FROM {recorder.events_table_name} "
               "WHERE originator_id IN (:hex, :text) ORDER BY rowid")
        params = {"hex": case_id.hex, "text": str(case_id)}
    else:
        raise TypeError(f"{type(recorder).__name__} keeps no hash chain")
    with recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute(sql, params)
        return [int(row["id"]) for row in cursor.fetchall()]
