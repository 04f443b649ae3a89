"""Who saw whose personal information: an append-only log of every disclosure of a case's
personal fields (contact details, description, subject, accessibility needs), with which
fields (MFIPPA makes the Town answer "who saw my information").

It is a table beside the event log, not events in it: reads are far more frequent than
changes, and a read is not a fact about the case. The table refuses UPDATE and DELETE the
same way the event log does. A command's answer discloses the case too: its row is written by
the event recorder in the transaction that saves the command's events (`disclosing_writes`),
so a saved write is never left unlogged, and a log that cannot be written saves nothing.
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
from infrastructure.database_roles import (
    ACCESS_LOG_TABLE,
    qualified,
    set_up_by_another_role,
)

TABLE = ACCESS_LOG_TABLE
MESSAGE = "the civicdesk access log is append-only"
CASE_TOPIC = "domain.cases:Case."


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
        self.clock = desk.clock
        if create:
            self._create()

    def _create(self) -> None:
        if self.postgres:
            guard = f'"{self.datastore.schema}".{TABLE}_refuse'
            statements = [
                f"CREATE TABLE IF NOT EXISTS {self.table} (id bigserial PRIMARY KEY, "
                "at timestamptz NOT NULL, actor_id text NOT NULL, actor_role text NOT NULL, "
                "case_id uuid NOT NULL, route text NOT NULL, fields text NOT NULL DEFAULT '')",
                # Tables made before disclosures named their fields.
                f"ALTER TABLE {self.table} ADD COLUMN IF NOT EXISTS fields text NOT NULL "
                "DEFAULT ''",
                f"CREATE INDEX IF NOT EXISTS {TABLE}_by_case ON {self.table} (case_id, id)",
                f"CREATE OR REPLACE FUNCTION {guard}() RETURNS trigger LANGUAGE plpgsql AS "
                f"$$ BEGIN RAISE EXCEPTION '{MESSAGE}: % refused', TG_OP; END $$",
                f"CREATE OR REPLACE TRIGGER refuse_update_delete BEFORE UPDATE OR DELETE ON "
                f"{self.table} FOR EACH ROW EXECUTE FUNCTION {guard}()",
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
            "case_id TEXT NOT NULL, route TEXT NOT NULL, fields TEXT NOT NULL DEFAULT '')",
            f"CREATE INDEX IF NOT EXISTS {TABLE}_by_case ON {TABLE} (case_id, id)",
            *(f"CREATE TRIGGER IF NOT EXISTS {TABLE}_refuse_{op.lower()} BEFORE {op} ON "
              f"{TABLE} BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
              for op in ("UPDATE", "DELETE")),
        ]
        with self.datastore.transaction(commit=True) as cursor:
            for statement in statements:
                cursor.execute(statement)
            # SQLite has no ADD COLUMN IF NOT EXISTS: tables made before fields get it here.
            cursor.execute(f"PRAGMA table_info({TABLE})")
            if "fields" not in {row[1] for row in cursor.fetchall()}:
                cursor.execute(f"ALTER TABLE {TABLE} ADD COLUMN fields TEXT NOT NULL "
                               "DEFAULT ''")

    def insert(self, cursor: Any, actor: Actor, case_ids: Sequence[UUID], route: str,
               fields: Sequence[str]) -> None:
        """One row per case, on the caller's cursor (so in the caller's transaction)."""
        at = self.clock().astimezone(UTC)
        stamp = at if self.postgres else at.isoformat(timespec="microseconds")
        marks = ", ".join([self.mark] * 6)
        cursor.executemany(
            f"INSERT INTO {self.table} (at, actor_id, actor_role, case_id, route, fields) "
            f"VALUES ({marks})",
            [(stamp, actor.id, actor.role.value, case_id if self.postgres else str(case_id),
              route, ",".join(fields)) for case_id in case_ids])

    def record(self, actor: Actor, case_id: UUID | Sequence[UUID], route: str,
               fields: Sequence[str]) -> None:
        """Log a disclosure before it is made. Raises DisclosureNotRecorded."""
        case_ids = [case_id] if isinstance(case_id, UUID) else list(case_id)
        if not case_ids:
            return
        try:
            with self.datastore.transaction(commit=True) as cursor:
                self.insert(cursor, actor, case_ids, route, fields)
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
            cursor.execute(f"SELECT id, at, actor_id, actor_role, case_id, route, fields FROM "
                           f"{self.table} WHERE {' AND '.join(where)} ORDER BY id "
                           f"LIMIT {self.mark}", [*values, limit])
            rows = cursor.fetchall()
        return [(int(r["id"]), Disclosure(
            at=r["at"].astimezone(UTC) if isinstance(r["at"], datetime)
            else datetime.fromisoformat(r["at"]),
            actor_id=r["actor_id"], actor_role=r["actor_role"],
            case_id=r["case_id"] if isinstance(r["case_id"], UUID) else UUID(r["case_id"]),
            route=r["route"], fields=r["fields"])) for r in rows]
