"""The view base class: a read model's tables and tracking, by generation, on either database.

A read model subclasses `View` with its SQL and mixes that class into `SQLiteView` or
`PostgresView` (engine.dialects), both eventsourcing tracking recorders: every
`writing(tracking)` commits the rows and the log position together, or neither.

Generations. A view's tables are named by `table(name)`: `name` itself in generation 0 and
`name__g<N>` in generation N. `projection_generations` records each projection's live
generation; a rebuild (engine.rebuild) fills generation N+1 beside the live one, then
switches the row in one transaction. So every read and write resolves the generation inside
its own transaction, and SQL takes its names from `table()` inside `reading()` or `writing()`:
- a read uses the generation live when it begins (on PostgreSQL it holds a shared advisory
  lock, which the switch takes exclusively, so no read straddles the switch; on SQLite its
  snapshot does the same);
- a write is bound to the generation its view was built for: once another is live it raises
  `GenerationChanged` and writes nothing, and `ProjectionSet` restarts the runner on the new
  generation's tables from their own position.
A view built for a rebuild is pinned to its generation and ignores the row.

Fingerprints. A view's `fingerprint` is a hash of its CREATE statements (generation 0's, with
the schema left out and whitespace folded, so every generation and schema of one version of
the code agree), plus `REVISION` when a read model sets one. `projection_schemas` records the
fingerprint of each (projection, generation) whose tables this code made. A live generation
with another fingerprint, or with tables but no row (made before fingerprints existed), was
made by another version of civicdesk: `create_table()` leaves such tables alone, and every
`reading()`/`writing()` of them raises `TablesOfAnotherVersion` (a `ProjectionNotReady`)
instead of running SQL against tables of the wrong shape, until the process that runs the
projection (engine.runner) has rebuilt it into a new generation and switched that in.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from time import monotonic
from typing import Any, ClassVar

from eventsourcing.persistence import IntegrityError, Tracking, TrackingRecorder

from engine.errors import (
    GenerationChanged,
    ProjectionNotReady,
    ReadModelFailed,
    TablesOfAnotherVersion,
)
from engine.generations import GENERATIONS, SCHEMAS, Generations
from engine.rows import Rows, Sql

__all__ = ["GENERATIONS", "SCHEMAS", "GenerationChanged", "ProjectionNotReady",
           "ReadModelFailed", "Sql", "TablesOfAnotherVersion", "View"]

_NAME = r'((?:"(?:[^"]|"")*"|[\w$]+)(?:\.(?:"(?:[^"]|"")*"|[\w$]+))?)'
_CREATED = re.compile(r"^\s*CREATE\s+(TABLE|(?:UNIQUE\s+)?INDEX)\s+(?:IF\s+NOT\s+EXISTS\s+)?"
                      + _NAME, re.IGNORECASE)


def generation_name(name: str, generation: int) -> str:
    return name if generation == 0 else f"{name}__g{generation}"


def _unquoted(name: str) -> str:
    """The last part of a possibly qualified, possibly quoted SQL name, unquoted."""
    match = re.search(r'(?:"((?:[^"]|"")*)"|([\w$]+))$', name)
    assert match is not None, name
    return match[2] if match[1] is None else match[1].replace('""', '"')


class View(Generations, Rows, TrackingRecorder):
    """What a read model's SQL may rely on, on either database.

    A read model subclasses this with its tables (`view_statements`), writes and queries.
    Names come from `table()` inside `reading()`/`writing()`, which resolve the generation.
    """

    name: ClassVar[str] = ""  # the projection's name: prefix of the view's tables
    REFRESH_SECONDS: ClassVar[float] = 0.5  # see `table()`
    # Set (or change) it when what the projection writes changes but its tables do not: the
    # fingerprint changes with it, so the tables are rebuilt from the log at the next start.
    REVISION: ClassVar[str] = ""
    placeholder: ClassVar[str]  # the driver's parameter mark
    uuid_type: ClassVar[str]
    time_type: ClassVar[str]

    def _init_generation(self, generation: int | None) -> None:
        self._local = threading.local()
        self._pinned = generation is not None
        self._seen_at = monotonic()
        self._fits: set[int] = set()  # generations whose fingerprint is this code's
        self._fingerprint: str | None = None
        self._create_generations_table()
        self._generation = generation if generation is not None else self.current_generation()
        self._seen = self._generation

    # -- what a read model defines ------------------------------------------------------------

    def view_statements(self) -> list[str]:
        """CREATE statements of the view's own tables and indexes (IF NOT EXISTS), every name
        from `table()`."""
        return []

    # -- names --------------------------------------------------------------------------------

    @property
    def generation(self) -> int:
        """The generation this view writes."""
        return self._generation

    @property
    def seen_generation(self) -> int:
        """The live generation as of this view's latest transaction."""
        return self._seen

    def _active_generation(self) -> int:
        active = getattr(self._local, "generation", None)
        if active is not None:
            return int(active)
        if not self._pinned and monotonic() - self._seen_at > self.REFRESH_SECONDS:
            self._seen = self.current_generation()
        return self._seen

    def table(self, name: str) -> str:
        """`name` in the generation at hand, as SQL refers to it.

        Inside `reading()`/`writing()` that is the transaction's generation. Outside, it is
        the generation live at most REFRESH_SECONDS ago: a rebuild waits longer than that
        (its `grace`) before it drops the tables it replaced, so a statement named before
        its transaction began still finds them, unless it is held up that long in between.
        """
        return self._qualify(generation_name(name, self._active_generation()))

    @property
    def tracking_table(self) -> str:
        """The view's tracking table, as SQL refers to it."""
        return self.table(f"{self.name}_tracking")

    def _qualify(self, name: str) -> str:
        raise NotImplementedError

    def statements_of(self, generation: int) -> list[str]:
        """Every CREATE statement of `generation`: the tracking table first."""
        with self._generation_at(generation):
            return [self._create_tracking_statement(), *map(self._dialect_statement,
                                                             self.view_statements())]

    def tables_of(self, generation: int) -> list[str]:
        """The tables of `generation` (as SQL refers to them), the tracking table first."""
        return [match[2] for match in map(_CREATED.match, self.statements_of(generation))
                if match and match[1].upper() == "TABLE"]

    @contextmanager
    def _generation_at(self, generation: int) -> Iterator[None]:
        previous = getattr(self._local, "generation", None)
        self._local.generation = generation
        try:
            yield
        finally:
            self._local.generation = previous

    def _check_names(self, generation: int, statements: list[str]) -> None:
        marker = re.compile(rf"__g{generation}(?!\d)")
        for statement in statements:
            match = _CREATED.match(statement)
            if match and not marker.search(_unquoted(match[2])):
                raise ValueError(f"view {self.name}: {match[1].lower()} {match[2]} is not named "
                                 "by table(), so a rebuild would share it with the live tables")

    def _dialect_statement(self, statement: str) -> str:
        return statement

    # -- fingerprints -------------------------------------------------------------------------

    @property
    def fingerprint(self) -> str:
        """A hash of this code's CREATE statements, the same for every generation and schema."""
        if self._fingerprint is None:
            lines = [" ".join(self._neutral(statement).split())
                     for statement in self.statements_of(0)]
            if self.REVISION:
                lines.append(f"-- revision {self.REVISION}")
            self._fingerprint = hashlib.sha256("\n".join(lines).encode()).hexdigest()
        return self._fingerprint

    def _neutral(self, statement: str) -> str:
        """`statement` without the names of where the view lives (its schema)."""
        return statement

    def _table_exists(self, cursor: Any, table: str) -> bool:
        raise NotImplementedError

    def _recorded_fingerprint(self, cursor: Any, generation: int) -> str | None:
        cursor.execute(f"SELECT fingerprint FROM {self._qualify(SCHEMAS)} WHERE projection = "
                       f"{self.placeholder} AND generation = {self.placeholder}",
                       [self.name, generation])
        row = cursor.fetchone()
        return None if row is None else str(row["fingerprint"])

    def _record_fingerprint(self, cursor: Any, generation: int) -> None:
        mark = self.placeholder
        cursor.execute(f"INSERT INTO {self._qualify(SCHEMAS)} (projection, generation, "
                       f"fingerprint) VALUES ({mark}, {mark}, {mark}) ON CONFLICT (projection, "
                       "generation) DO UPDATE SET fingerprint = excluded.fingerprint",
                       [self.name, generation, self.fingerprint])

    def _misfit(self, cursor: Any, generation: int, *, look: bool) -> str | None:
        """Why the tables of `generation` are not this code's (None if they are). With
        `look`, a generation with no fingerprint counts as this code's if it has no tables
        either (the caller is about to make them); without, it does not."""
        if generation in self._fits:
            return None
        recorded = self._recorded_fingerprint(cursor, generation)
        if recorded == self.fingerprint:
            self._fits.add(generation)
            return None
        if recorded is not None:
            return (f"read model {self.name}: tables made by another version of civicdesk "
                    f"(generation {generation}, fingerprint {recorded[:12]}, this version's "
                    f"{self.fingerprint[:12]})")
        tables = self.tables_of(generation)
        if look and not any(self._table_exists(cursor, table) for table in tables):
            return None
        return (f"read model {self.name}: tables made by another version of civicdesk "
                f"(generation {generation} has no fingerprint)")

    def misfit(self) -> str | None:
        """Why the live generation's tables are not this code's, or None if they are (or
        there are none yet). Another process may rebuild them: ask again to know."""
        with self._begin(write=False) as cursor:
            live = self._generation if self._pinned else self._live_generation(cursor)
            return self._misfit(cursor, live, look=True)

    # -- transactions -------------------------------------------------------------------------

    def writing(self, tracking: Tracking) -> AbstractContextManager[Any]:
        """A cursor whose writes commit together with `tracking`, or not at all."""
        return self._transaction(write=True, tracking=tracking)

    def updating(self) -> AbstractContextManager[Any]:
        """A cursor whose writes commit without moving the tracking position: for state a
        read model keeps beside what events decide (the outbox's delivery attempts)."""
        return self._transaction(write=True, tracking=None)

    def reading(self) -> AbstractContextManager[Any]:
        """A cursor reading the live generation (or, in a batch, the batch's transaction)."""
        return self._transaction(write=False, tracking=None)

    @contextmanager
    def batch(self, last: Tracking | Callable[[], Tracking]) -> Iterator[Any]:
        """One transaction for many events: every `writing()` and `reading()` inside shares
        it and `last`, the position of the batch's last notification, is tracked once at the
        end (a callable `last` is asked then: the live runner may stop part way). For rebuilds
        and the live runners, where a transaction per event is too slow."""
        with (self._transaction(write=True, tracking=None) as cursor,
              self._pipelined(cursor) as batched, self.joined(batched)):
            yield batched
            self._insert_tracking(batched, last if isinstance(last, Tracking) else last())

    def _pipelined(self, cursor: Any) -> AbstractContextManager[Any]:
        """`cursor`, or one that sends statements without waiting for each one's answer,
        where the driver can."""
        return nullcontext(cursor)

    @contextmanager
    def joined(self, cursor: Any) -> Iterator[None]:
        """Run `writing()` and `reading()` inside the transaction of `cursor`, untracked."""
        previous = getattr(self._local, "batch", None)
        self._local.batch = cursor
        try:
            yield
        finally:
            self._local.batch = previous

    @contextmanager
    def _transaction(self, *, write: bool, tracking: Tracking | None) -> Iterator[Any]:
        joined = getattr(self._local, "batch", None)
        if joined is not None:
            yield joined
            return
        with self._begin(write=write) as cursor:
            generation = self._generation if self._pinned else self._live_generation(cursor)
            if write and generation != self._generation:
                raise GenerationChanged(f"projection {self.name} now reads generation "
                                        f"{generation}, not {self._generation}")
            self._seen, self._seen_at = generation, monotonic()
            if not self._pinned and (misfit := self._misfit(cursor, generation, look=False)):
                raise TablesOfAnotherVersion(f"{misfit}; not ready until it is rebuilt")
            with self._generation_at(generation):
                yield cursor
                if tracking is not None:
                    self._insert_tracking(cursor, tracking)

    def _begin(self, *, write: bool) -> AbstractContextManager[Any]:
        raise NotImplementedError


    def _insert_tracking(self, cursor: Any, tracking: Tracking) -> None:
        mark, table = self.placeholder, self.tracking_table
        cursor.execute(f"INSERT INTO {table} AS tracking (application_name, notification_id) "
                       f"VALUES ({mark}, {mark}) ON CONFLICT (application_name) DO UPDATE "
                       "SET notification_id = excluded.notification_id "
                       "WHERE tracking.notification_id < excluded.notification_id "
                       "RETURNING notification_id",
                       [tracking.application_name, tracking.notification_id])
        if cursor.fetchone() is None:
            raise IntegrityError(f"projection {self.name} has already tracked "
                                 f"{tracking.application_name} {tracking.notification_id}")

    def _max_tracking_id(self, application_name: str, cursor: Any) -> int | None:
        cursor.execute(f"SELECT MAX(notification_id) AS position FROM {self.tracking_table} "
                       f"WHERE application_name = {self.placeholder}", [application_name])
        row = cursor.fetchone()
        return None if row is None or row["position"] is None else int(row["position"])

    def max_tracking_id(self, application_name: str) -> int | None:
        with self.reading() as cursor:
            return self._max_tracking_id(application_name, cursor)

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of the view's own tables in the live generation (tracking aside), by
        table name without the generation, in a stable order: what a rebuild must reproduce."""
        with self.reading() as cursor:
            generation = self._active_generation()
            found = {}
            for table in self.tables_of(generation)[1:]:
                cursor.execute(f"SELECT * FROM {table}")
                rows = [tuple(row.values() if isinstance(row, dict) else row)
                        for row in cursor.fetchall()]
                base = re.sub(rf"__g{generation}$", "", _unquoted(table))
                found[base] = sorted(rows, key=repr)
        return found
