"""Who saw whose personal information: an append-only log of every disclosure of a case's
personal fields (contact details, description, subject, accessibility needs), with which
fields (MFIPPA makes the Town answer "who saw my information").

It is a table beside the event log, not events in it: reads are far more frequent than
changes, and a read is not a fact about the case. The table refuses UPDATE and DELETE the
same way the event log does. A command's answer discloses the case too: its row is written by
the event recorder in the transaction that saves the command's events (`disclosing_writes`),
so a saved write is never left unlogged, and a log that cannot be written saves nothing.

The access log is a ledger too: every entry is linked into its own hash chain
(infrastructure.access_chain), under a lock held until the entry's transaction commits, and
signed checkpoints carry its head. Reads' entries are written by group commit
(infrastructure.access_batches): a read waits until its entry is committed, so an answered
read is always logged, and concurrent reads share one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from application.committer import SAVED_ON_BEHALF
from application.desk import ServiceDesk
from domain.actors import Actor
from infrastructure.access_batches import GroupWriter
from infrastructure.access_chain import (
    AccessVerdict,
    AccessWalk,
    Entry,
    access_link,
    stored_entry,
)
from infrastructure.chain import GENESIS
from infrastructure.damaged_log import HINT, DamagedLog
from infrastructure.database_roles import (
    ACCESS_LOG_TABLE,
    qualified,
    set_up_by_another_role,
)

TABLE = ACCESS_LOG_TABLE
MESSAGE = "the civicdesk access log is append-only"
CASE_TOPIC = "domain.cases:Case."
# "civicacc": serialises access-log appends on PostgreSQL until their transaction commits.
ACCESS_LOCK_KEY = 0x6369766963616363


# The append-only guards, which the guard check (infrastructure.ledger) expects as made here.
POSTGRES_GUARDS = {"refuse_update_delete", "refuse_truncate"}  # triggers, on the table
POSTGRES_GUARD_FUNCTION = f"{TABLE}_refuse"
POSTGRES_GUARD_BODY = f" BEGIN RAISE EXCEPTION '{MESSAGE}: % refused', TG_OP; END "
SQLITE_GUARDS = {f"{TABLE}_refuse_{op.lower()}": f"CREATE TRIGGER IF NOT EXISTS "
                 f"{TABLE}_refuse_{op.lower()} BEFORE {op} ON {TABLE} "
                 f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END" for op in ("UPDATE", "DELETE")}


class DamagedAccessLog(DamagedLog):
    """An access-log entry cannot be read back as written (answered as a damaged log)."""


class DisclosureNotRecorded(Exception):
    """The access log could not be written, so nothing personal was disclosed (and a command
    whose answer would have disclosed it was not saved)."""


@dataclass(frozen=True)
class Disclosure:
    at: datetime
    actor_id: str
    actor_role: str
    case_id: UUID
    route: str
    fields: str  # the personal fields disclosed, comma-separated ("" in rows before fields)


@dataclass
class PendingDisclosure:
    """A command's disclosure, waiting for the recorder to write it beside the events."""

    log: AccessLog
    actor: Actor
    route: str
    fields: Sequence[str]
    written: set[UUID] = field(default_factory=set)


_pending: ContextVar[PendingDisclosure | None] = ContextVar("civicdesk_pending_disclosure",
                                                            default=None)


def write_pending_disclosures(cursor: Any, originator_ids: Iterable[UUID | str],
                              topics: Iterable[str],
                              flush: Callable[[], None] | None = None) -> None:
    """Called by the event recorders inside the transaction that inserts events: logs the
    pending disclosure (if any) of each case among them, the one of the command that changed
    it (a batch holds several commands' cases; see application.committer)."""
    on_behalf = SAVED_ON_BEHALF.get()
    by_pending: dict[int, tuple[PendingDisclosure, list[UUID]]] = {}
    for originator, topic in zip(originator_ids, topics, strict=True):
        if not topic.startswith(CASE_TOPIC):
            continue
        case = originator if isinstance(originator, UUID) else UUID(originator)
        context = on_behalf.get(case) if on_behalf is not None else None
        pending = context.get(_pending) if context is not None else _pending.get()
        if pending is not None:
            cases = by_pending.setdefault(id(pending), (pending, []))[1]
            if case not in cases:
                cases.append(case)
    try:
        for pending, cases in by_pending.values():
            pending.log.insert(cursor, pending.actor, cases, pending.route, pending.fields)
        if by_pending and flush is not None:
            flush()
    except Exception as error:
        raise DisclosureNotRecorded("the access log cannot be written, so the command was not "
                                    "saved; retry shortly") from error
    for pending, cases in by_pending.values():
        pending.written.update(cases)


class AccessLog:
    """Writes and queries the access log in the desk's own database.

    `create=False` (the read-only commands) sets nothing up: a missing table, or one without
    the `fields` column, refuses every disclosure (DisclosureNotRecorded) until the server
    (or `civicdesk migrate`) has set it up.
    """

    def __init__(self, desk: ServiceDesk, *, create: bool = True) -> None:
        self.datastore: Any = desk.recorder.datastore
        self.postgres = hasattr(self.datastore, "schema")
        self.mark = "%s" if self.postgres else "?"
        self.table = f'"{self.datastore.schema}".{TABLE}' if self.postgres else TABLE
        # A moment psycopg cannot read back (infinity, BC or beyond year 9999: only tampering
        # stores one) is read as NULL, so it is reported as a damaged entry, not a crash.
        self.at = ("CASE WHEN at BETWEEN '0001-01-02' AND '9999-12-30' THEN at END AS at"
                   if self.postgres else "at")
        self.clock = desk.clock
        self.writer = GroupWriter(self._write_batch)
        if create:
            self._create()

    def _create(self) -> None:
        if self.postgres:
            guard = f'"{self.datastore.schema}".{TABLE}_refuse'
            statements = [
                f"CREATE TABLE IF NOT EXISTS {self.table} (id bigserial PRIMARY KEY, "
                "at timestamptz NOT NULL, actor_id text NOT NULL, actor_role text NOT NULL, "
                "case_id uuid NOT NULL, route text NOT NULL, fields text NOT NULL DEFAULT '', "
                "link bytea)",
                # Tables made before disclosures named their fields, or were chained.
                f"ALTER TABLE {self.table} ADD COLUMN IF NOT EXISTS fields text NOT NULL "
                "DEFAULT ''",
                f"ALTER TABLE {self.table} ADD COLUMN IF NOT EXISTS link bytea",
                f"CREATE INDEX IF NOT EXISTS {TABLE}_by_case ON {self.table} (case_id, id)",
                f"CREATE OR REPLACE FUNCTION {guard}() RETURNS trigger LANGUAGE plpgsql AS "
                f"$${POSTGRES_GUARD_BODY}$$",
                f"CREATE OR REPLACE TRIGGER refuse_update_delete BEFORE UPDATE OR DELETE ON "
                f"{self.table} FOR EACH ROW EXECUTE FUNCTION {guard}()",
                f"CREATE OR REPLACE TRIGGER refuse_truncate BEFORE TRUNCATE ON "
                f"{self.table} FOR EACH STATEMENT EXECUTE FUNCTION {guard}()",
            ]
            with self.datastore.transaction(commit=True) as cursor:
                if set_up_by_another_role(cursor, qualified(self.datastore.schema, TABLE)):
                    return  # the owner made it (`civicdesk migrate`); this role only appends
                for statement in statements:
                    cursor.execute(statement)
            return
        statements = [
            f"CREATE TABLE IF NOT EXISTS {TABLE} (id INTEGER PRIMARY KEY AUTOINCREMENT, "
            "at TEXT NOT NULL, actor_id TEXT NOT NULL, actor_role TEXT NOT NULL, "
            "case_id TEXT NOT NULL, route TEXT NOT NULL, fields TEXT NOT NULL DEFAULT '', "
            "link BLOB)",
            f"CREATE INDEX IF NOT EXISTS {TABLE}_by_case ON {TABLE} (case_id, id)",
            *SQLITE_GUARDS.values(),
        ]
        with self.datastore.transaction(commit=True) as cursor:
            for statement in statements:
                cursor.execute(statement)
            # SQLite has no ADD COLUMN IF NOT EXISTS: older tables get their columns here.
            cursor.execute(f"PRAGMA table_info({TABLE})")
            columns = {row[1] for row in cursor.fetchall()}
            if "fields" not in columns:
                cursor.execute(f"ALTER TABLE {TABLE} ADD COLUMN fields TEXT NOT NULL "
                               "DEFAULT ''")
            if "link" not in columns:
                cursor.execute(f"ALTER TABLE {TABLE} ADD COLUMN link BLOB")

    def entries(self, actor: Actor, case_ids: Sequence[UUID], route: str,
                fields: Sequence[str]) -> list[Entry]:
        at = self.clock().astimezone(UTC)
        return [Entry(at, actor.id, actor.role.value, case_id, route, ",".join(fields))
                for case_id in case_ids]

    def insert(self, cursor: Any, actor: Actor, case_ids: Sequence[UUID], route: str,
               fields: Sequence[str]) -> None:
        """One entry per case, on the caller's cursor (so in the caller's transaction)."""
        self.append(cursor, self.entries(actor, case_ids, route, fields))

    def append(self, cursor: Any, entries: Sequence[Entry]) -> None:
        """Link `entries` after the chain's head and insert them, on the caller's cursor.

        The lock taken first is held until the caller's transaction ends, so no other entry
        is linked in between and ids follow the chain's order."""
        if not entries:
            return
        if self.postgres:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", (ACCESS_LOCK_KEY,))
        else:  # takes SQLite's write lock before reading the head (waits its turn)
            cursor.execute(f"DELETE FROM {self.table} WHERE 0")
        cursor.execute(f"SELECT link FROM {self.table} WHERE link IS NOT NULL "
                       "ORDER BY id DESC LIMIT 1")
        row = cursor.fetchone()
        previous = GENESIS if row is None else bytes(row["link"])
        values = []
        for entry in entries:
            previous = access_link(previous, entry)
            values.append((
                entry.at if self.postgres else entry.at.isoformat(timespec="microseconds"),
                entry.actor_id, entry.actor_role,
                entry.case_id if self.postgres else str(entry.case_id), entry.route,
                entry.fields, previous))
        marks = ", ".join([self.mark] * 7)
        cursor.executemany(
            f"INSERT INTO {self.table} (at, actor_id, actor_role, case_id, route, fields, "
            f"link) VALUES ({marks})", values)

    def _write_batch(self, entries: Sequence[Entry]) -> None:
        with self.datastore.transaction(commit=True) as cursor:
            self.append(cursor, entries)

    def record(self, actor: Actor, case_id: UUID | Sequence[UUID], route: str,
               fields: Sequence[str]) -> None:
        """Log a disclosure before it is made: returns once its entries are committed (in a
        batch with other readers' entries). Raises DisclosureNotRecorded."""
        case_ids = [case_id] if isinstance(case_id, UUID) else list(case_id)
        if not case_ids:
            return
        try:
            self.writer.write(self.entries(actor, case_ids, route, fields))
        except Exception as error:
            raise DisclosureNotRecorded("the access log cannot be written, so personal "
                                        "information is not disclosed; retry shortly") from error

    @contextmanager
    def disclosing_writes(self, actor: Actor, route: str,
                          fields: Sequence[str]) -> Iterator[PendingDisclosure]:
        """Within the block, every save of case events also logs this disclosure of those
        cases, in the same transaction. A block that saved nothing (an idempotent replay)
        must `record` its disclosure itself: see `PendingDisclosure.written`."""
        pending = PendingDisclosure(log=self, actor=actor, route=route, fields=fields)
        token = _pending.set(pending)
        try:
            yield pending
        finally:
            _pending.reset(token)

    def walk(self, remember: Iterable[int] = (), start: tuple[int, bytes] = (0, GENESIS),
             window: int = 10_000) -> AccessWalk:
        """Every entry after `start` (an entry known to hold: its id and link) in id order
        through the chain walk, a window of ids per query."""
        walk, after = AccessWalk(remember, start), start[0]
        while True:
            with self.datastore.transaction(commit=False) as cursor:
                cursor.execute(f"SELECT id, {self.at}, actor_id, actor_role, case_id, route, "
                               f"fields, link FROM {self.table} WHERE id > {self.mark} "
                               f"ORDER BY id LIMIT {self.mark}", (after, window))
                rows = cursor.fetchall()
            for row in rows:
                walk.add(row)
            if len(rows) < window:
                return walk
            after = int(rows[-1]["id"])

    def head(self) -> tuple[int, bytes]:
        """(id, link) of the last linked entry; (0, genesis) when none is linked."""
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(f"SELECT id, link FROM {self.table} WHERE link IS NOT NULL "
                           "ORDER BY id DESC LIMIT 1")
            row = cursor.fetchone()
        return (0, GENESIS) if row is None else (int(row["id"]), bytes(row["link"]))

    def disclosures(self, *, case_id: UUID | None = None, actor_id: str | None = None,
                    after_id: int = 0, limit: int = 100) -> list[tuple[int, Disclosure]]:
        where, values = [f"id > {self.mark}"], [after_id]
        if case_id is not None:
            where.append(f"case_id = {self.mark}")
            values.append(case_id if self.postgres else str(case_id))  # type: ignore[arg-type]
        if actor_id is not None:
            where.append(f"actor_id = {self.mark}")
            values.append(actor_id)  # type: ignore[arg-type]
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(f"SELECT id, {self.at}, actor_id, actor_role, case_id, route, fields "
                           f"FROM {self.table} WHERE {' AND '.join(where)} ORDER BY id "
                           f"LIMIT {self.mark}", [*values, limit])
            rows = cursor.fetchall()
        found = []
        for row in rows:
            entry = stored_entry(row)
            if entry is None:
                raise DamagedAccessLog(f"the access log is inconsistent at entry {row['id']}: "
                                       f"it cannot be read back as written; {HINT}")
            found.append((int(row["id"]), Disclosure(
                at=entry.at, actor_id=entry.actor_id, actor_role=entry.actor_role,
                case_id=entry.case_id, route=entry.route, fields=entry.fields)))
        return found


def verify_access_log(desk: ServiceDesk,
                      remember: Iterable[int] = ()) -> tuple[AccessVerdict, dict[int, bytes]]:
    """The access log's chain walked from its first entry (a database whose access log was
    never set up has none: an empty verdict), and the link recomputed from the stored values
    at each id in `remember` (for the check against checkpoints)."""
    from eventsourcing.persistence import PersistenceError

    try:
        walk = AccessLog(desk, create=False).walk(remember)
    except PersistenceError:
        return AccessVerdict(True, 0, 0, GENESIS), {}
    return walk.verdict(), walk.recomputed_at
