"""The view base classes on each database: `SQLiteView` and `PostgresView`.

See engine.views for what a view is. SQLite: the view tables live in the events' file,
so one file is the whole desk (one backup), a switch is one transaction, and the runner shares
WAL mode's many-readers/one-writer rules with the commands; its writes begin with BEGIN
IMMEDIATE, so they wait for the write lock instead of failing when a command commits between a
read and a write. The library's SQLite tracking table is one table keyed by application name,
so each view has its own `<name>_tracking` instead. PostgreSQL: the view tables live in the
desk's schema; a switch of generations (and `create_table`, which checks the fingerprint of
the live generation first) takes an advisory lock each transaction holds shared.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder, SQLiteTransaction
from psycopg.abc import Buffer
from psycopg.types.string import StrBinaryDumper, StrDumperUnknown

from engine.generations import GENERATIONS
from engine.views import View, _unquoted

_PG_INDEX_SCHEMA = re.compile(r'^(\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?)'
                              r'"(?:[^"]|"")*"\.', re.IGNORECASE)


class _ImmediateTransaction(SQLiteTransaction):
    def __enter__(self) -> Any:
        cursor = self.connection.cursor()
        # A view's commit need not wait for the disk (WAL, synchronous=NORMAL): a power cut
        # may lose its last transactions, rows and position together, and the runner then
        # replays them from the log, which commits with a full sync.
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("BEGIN IMMEDIATE")
        return cursor


class SQLiteView(View, SQLiteTrackingRecorder):
    """A view in the events' SQLite file, tracked in its own `<name>_tracking` table."""

    placeholder: ClassVar[str] = "?"
    uuid_type: ClassVar[str] = "TEXT"
    time_type: ClassVar[str] = "TEXT"

    def __init__(self, datastore: SQLiteDatastore, *, generation: int | None = None,
                 **kwargs: Any) -> None:
        if not datastore.single_row_tracking:
            raise ValueError("civicdesk views need single-row tracking")
        super().__init__(datastore, **kwargs)
        self._init_generation(generation)

    BATCH_CACHE_KIB: ClassVar[int] = 65536  # page cache of a rebuild's connection

    def _qualify(self, name: str) -> str:
        return name

    def _table_exists(self, cursor: Any, table: str) -> bool:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                       [_unquoted(table)])
        return cursor.fetchone() is not None

    def _create_tracking_statement(self) -> str:
        return super()._create_tracking_statement() + " WITHOUT ROWID"

    def _analyze_statements(self, tables: list[str]) -> list[str]:
        # Sampled, not a full scan of every index each time.
        return ["PRAGMA analysis_limit = 1000", *super()._analyze_statements(tables)]

    def _pipelined(self, cursor: Any) -> AbstractContextManager[Any]:
        # A rebuild touches every row of tables that outgrow the default 2 MB page cache.
        cursor.execute(f"PRAGMA cache_size = -{self.BATCH_CACHE_KIB}")
        return nullcontext(cursor)

    def _glance(self) -> AbstractContextManager[Any]:
        return self._begin(write=False)  # in process: no round trip to save

    @contextmanager
    def _begin(self, *, write: bool) -> Iterator[Any]:
        if not write:
            with self.datastore.transaction(commit=False) as cursor:
                yield cursor
            return
        with self.datastore.get_connection(commit=True) as connection:
            # A view's commits need not wait for the disk: in WAL mode NORMAL loses nothing
            # on a crash of the process, and a power cut at worst rolls a view back to an
            # earlier position it replays from. The event log's own connections stay FULL.
            connection.cursor().execute("PRAGMA synchronous = NORMAL")
            with _ImmediateTransaction(connection, commit=True) as cursor, cursor:
                yield cursor

    def time_in(self, moment: datetime) -> Any:
        # Fixed-width UTC text, so text order is time order.
        return moment.astimezone(UTC).isoformat(timespec="microseconds")

    def time_out(self, value: Any) -> datetime:
        return datetime.fromisoformat(value).astimezone(UTC)

    def id_in(self, value: UUID) -> Any:
        return str(value)

    def id_out(self, value: Any) -> UUID:
        return UUID(value)


class _PipelineCursor:
    """A psycopg cursor for pipeline mode that gives each statement a cursor of its own.

    In a pipeline a cursor reused for a second statement may still hold the first one's
    result when the second is fetched (psycopg then returns the stale one, or raises "the last
    operation didn't produce records"). Fetches read the latest statement's own cursor; any
    other attribute (rowcount, statusmessage...) waits for every answer first.
    """

    def __init__(self, connection: Any, pipeline: Any) -> None:
        self.connection = connection
        self._pipeline = pipeline
        self._current = connection.cursor()

    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> _PipelineCursor:
        self._current = self.connection.cursor()
        self._current.execute(query, params, **kwargs)
        return self

    def executemany(self, query: Any, params_seq: Any, **kwargs: Any) -> _PipelineCursor:
        self._current = self.connection.cursor()
        self._current.executemany(query, params_seq, **kwargs)
        return self

    def fetchone(self) -> Any:
        return self._current.fetchone()

    def fetchmany(self, size: int = 0) -> list[Any]:
        return list(self._current.fetchmany(size))

    def fetchall(self) -> list[Any]:
        return list(self._current.fetchall())

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())

    def __getattr__(self, name: str) -> Any:
        self._pipeline.sync()
        return getattr(self._current, name)


class _NulFreeText(StrDumperUnknown):
    """Text parameters of a view's statements, U+0000 replaced by U+FFFD.

    PostgreSQL `text` cannot hold U+0000, SQLite's can, and the event log (JSON in bytes) holds
    whatever a command was given. A NUL in a subject or a note would otherwise fail the read
    model's INSERT on every retry and stop it for good. A read model shows text, it is not the
    record: the event keeps the original, and the replacement character marks where it was.
    Only the views' own pools get this dumper; the event log's connections are untouched.
    """

    def dump(self, obj: str) -> Buffer | None:
        return super().dump(obj.replace("\x00", "\ufffd"))


class _NulFreeBinaryText(StrBinaryDumper):
    """`_NulFreeText` for binary parameters."""

    def dump(self, obj: str) -> Buffer | None:
        return super().dump(obj.replace("\x00", "\ufffd"))


class PostgresView(View, PostgresTrackingRecorder):
    """A view in the desk's PostgreSQL schema, tracked in `<name>_tracking`."""

    placeholder: ClassVar[str] = "%s"
    uuid_type: ClassVar[str] = "uuid"
    time_type: ClassVar[str] = "timestamptz"
    _for_update: ClassVar[str] = " FOR UPDATE"
    LOCK_CLASS: ClassVar[int] = 0x6364  # advisory lock class of generation switches ("cd")
    # A view's commit need not wait for the WAL to reach the disk (as SQLite views commit with
    # synchronous=NORMAL): only a crash of the database server itself can lose its last
    # transactions (a few hundred milliseconds' worth), rows and position together, and the
    # runner then applies those events again from the log, which commits with a full sync.
    # Any later synchronous commit (the next command's) makes them durable too. A view whose
    # rows are acted on outside the log (the outbox: a message marked accepted by the mail
    # server) sets this True.
    synchronous_commit: ClassVar[bool] = False

    @classmethod
    def configure_pool(cls, datastore: PostgresDatastore) -> None:
        """Set the view's connections up before its pool opens (see `synchronous_commit`)."""
        if not cls.synchronous_commit:
            pool: Any = datastore.pool
            pool.kwargs["options"] = "-c synchronous_commit=off"

    def __init__(self, datastore: PostgresDatastore, *, generation: int | None = None,
                 **kwargs: Any) -> None:
        if not datastore.single_row_tracking:
            raise ValueError("civicdesk views need single-row tracking")
        kwargs.setdefault("tracking_table_name", f"{self.name}_tracking")
        super().__init__(datastore, **kwargs)
        self.switch_lock = (self.LOCK_CLASS, zlib.crc32(
            f"{datastore.schema}.{self.name}".encode()) - 2**31)
        self._init_generation(generation)

    def _qualify(self, name: str) -> str:
        return ".".join('"' + part.replace('"', '""') + '"'
                        for part in (self.datastore.schema, name))

    def _neutral(self, statement: str) -> str:
        return statement.replace(self._qualify("")[:-2], "")

    def _table_exists(self, cursor: Any, table: str) -> bool:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL AS found", [table])
        return bool(cursor.fetchone()["found"])

    def _dialect_statement(self, statement: str) -> str:
        # PostgreSQL puts an index in its table's schema and refuses a qualified index name.
        return _PG_INDEX_SCHEMA.sub(r"\1", statement)

    @contextmanager
    def _begin(self, *, write: bool) -> Iterator[Any]:
        with self.datastore.transaction(commit=write) as cursor:
            for adapters in (cursor.connection.adapters, cursor.adapters):
                adapters.register_dumper(str, _NulFreeText)
                adapters.register_dumper(str, _NulFreeBinaryText)
            yield cursor

    @contextmanager
    def _glance(self) -> Iterator[Any]:
        # One statement in autocommit: a read-only transaction would add BEGIN, ROLLBACK and
        # psycopg's DEALLOCATE ALL after a rollback, three more round trips.
        with self.datastore.get_connection() as connection, connection.cursor() as cursor:
            yield cursor

    def _live_generation(self, cursor: Any) -> int:
        # Its own statement: a READ COMMITTED statement's snapshot predates a lock it waits for.
        # Both sent in one pipeline (each statement still takes its snapshot when it starts,
        # so after the lock): one round trip, not two, for every read and every batch.
        if cursor.connection._pipeline is not None:  # psycopg 3.3: already pipelining
            cursor.execute("SELECT pg_advisory_xact_lock_shared(%s, %s)", self.switch_lock)
            return super()._live_generation(cursor)
        with cursor.connection.pipeline():  # leaving it syncs: both answers in one trip
            cursor.execute("SELECT pg_advisory_xact_lock_shared(%s, %s)", self.switch_lock)
            cursor.execute(f"SELECT generation FROM {self._qualify(GENERATIONS)} "
                           "WHERE projection = %s", [self.name])
        row = cursor.fetchone()
        return 0 if row is None else int(row["generation"])

    @contextmanager
    def _pipelined(self, cursor: Any) -> Iterator[Any]:
        # A batch's statements go out without a round trip each; a fetch still waits.
        if isinstance(cursor, _PipelineCursor):
            yield cursor
            return
        with cursor.connection.pipeline() as pipeline:
            yield _PipelineCursor(cursor.connection, pipeline)

    def lock_switch(self, cursor: Any) -> None:
        # Waits for every transaction that read the live generation (each holds the lock
        # shared), and holds off new ones until this transaction ends. On SQLite the switch's
        # BEGIN IMMEDIATE holds the one write lock, and readers keep their snapshots.
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", self.switch_lock)

    def time_in(self, moment: datetime) -> Any:
        return moment

    def time_out(self, value: Any) -> datetime:
        assert isinstance(value, datetime)
        return value.astimezone(UTC)

    def id_in(self, value: UUID) -> Any:
        return value

    def id_out(self, value: Any) -> UUID:
        return value if isinstance(value, UUID) else UUID(str(value))
