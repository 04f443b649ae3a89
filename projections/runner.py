"""Runs the read models beside a desk: view base classes for both databases, and `ProjectionSet`.

A read model is a `ProjectionSpec`: an eventsourcing `Projection` and its view class on each
database. A view class mixes the read model's SQL (a `View` subclass) into `SQLiteView` or
`PostgresView`, both tracking recorders, so eventsourcing's `ProjectionRunner` builds it from
the desk's environment and every `writing(tracking)` commits rows and position together.

Placement. PostgreSQL: the view tables and `<name>_tracking` live in the desk's database and
schema (the library's factory already names the tracking table after the projection). SQLite:
the view tables live in the events' file, not a file per projection, so one file is the whole
desk (one backup, one `data_dir`), a rebuild can swap tables in one transaction, and readers
and the runner share WAL mode's many-readers/one-writer rules with the commands. The price is
that projection writes queue behind command writes for the one write lock (short
transactions, SQLITE_LOCK_TIMEOUT bounds the wait). The library's SQLite tracking table is one
table named `tracking` keyed by application name, so two projections of the desk in one file
would share one position; `SQLiteView` gives each projection its own `<name>_tracking`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from time import monotonic, sleep
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.persistence import InfrastructureFactory, Tracking, TrackingRecorder
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.projection import Projection, ProjectionRunner
from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder
from eventsourcing.utils import Environment
from psycopg.sql import SQL, Composed

from application.desk import ServiceDesk
from infrastructure.settings import Settings

log = logging.getLogger("civicdesk.projections")


class View(TrackingRecorder):
    """What a read model's SQL may rely on, on either database.

    A read model subclasses this with its tables (`view_statements`), writes and queries,
    then mixes that class into `SQLiteView` and `PostgresView`. Writes go through
    `writing(tracking)`, which commits them with the position or not at all.
    """

    name: ClassVar[str] = ""  # the projection's name: prefix of the view's tables
    placeholder: ClassVar[str]  # the driver's parameter mark
    uuid_type: ClassVar[str]
    time_type: ClassVar[str]

    def view_statements(self) -> list[str]:
        """CREATE statements of the view's own tables and indexes (IF NOT EXISTS)."""
        return []

    def table(self, name: str) -> str:
        """`name` as SQL refers to it (schema-qualified and quoted on PostgreSQL)."""
        raise NotImplementedError

    @property
    def tracking_table(self) -> str:
        """The view's tracking table, as SQL refers to it."""
        return self.table(f"{self.name}_tracking")

    def writing(self, tracking: Tracking) -> AbstractContextManager[Any]:
        """A cursor whose writes commit together with `tracking`, or not at all."""
        raise NotImplementedError

    def reading(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def time_in(self, moment: datetime) -> Any:
        raise NotImplementedError

    def time_out(self, value: Any) -> datetime:
        raise NotImplementedError

    def id_in(self, value: UUID) -> Any:
        raise NotImplementedError

    def id_out(self, value: Any) -> UUID:
        raise NotImplementedError


class SQLiteView(View, SQLiteTrackingRecorder):
    """A view in the events' SQLite file, tracked in its own `<name>_tracking` table."""

    placeholder: ClassVar[str] = "?"
    uuid_type: ClassVar[str] = "TEXT"
    time_type: ClassVar[str] = "TEXT"

    def __init__(self, datastore: SQLiteDatastore, **kwargs: Any) -> None:
        if not datastore.single_row_tracking:
            raise ValueError("civicdesk views need single-row tracking")
        super().__init__(datastore, **kwargs)
        tracking = self.tracking_table
        self.insert_tracking_statement = (
            f"INSERT INTO {tracking} VALUES (:application_name, :notification_id) "
            "ON CONFLICT (application_name) DO UPDATE SET notification_id = :notification_id "
            f"WHERE {tracking}.notification_id < :notification_id RETURNING notification_id")
        self.select_max_tracking_id_statement = (
            f"SELECT MAX(notification_id) FROM {tracking} WHERE application_name=?")

    def construct_create_table_statements(self) -> list[str]:
        return [f"CREATE TABLE IF NOT EXISTS {self.tracking_table} (application_name TEXT, "
                "notification_id INTEGER, PRIMARY KEY (application_name)) WITHOUT ROWID",
                *self.view_statements()]

    def table(self, name: str) -> str:
        return name

    def writing(self, tracking: Tracking) -> AbstractContextManager[Any]:
        # The body should begin with a write: a deferred SQLite transaction that reads first
        # cannot wait for the write lock if a command commits meanwhile (SQLITE_BUSY_SNAPSHOT).
        return _writing(self.datastore.transaction(commit=True), self, tracking)

    def reading(self) -> AbstractContextManager[Any]:
        return self.datastore.transaction(commit=False)

    def time_in(self, moment: datetime) -> Any:
        # Fixed-width UTC text, so text order is time order.
        return moment.astimezone(UTC).isoformat(timespec="microseconds")

    def time_out(self, value: Any) -> datetime:
        return datetime.fromisoformat(value).astimezone(UTC)

    def id_in(self, value: UUID) -> Any:
        return str(value)

    def id_out(self, value: Any) -> UUID:
        return UUID(value)


class PostgresView(View, PostgresTrackingRecorder):
    """A view in the desk's PostgreSQL schema, tracked in `<name>_tracking`."""

    placeholder: ClassVar[str] = "%s"
    uuid_type: ClassVar[str] = "uuid"
    time_type: ClassVar[str] = "timestamptz"

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        if not datastore.single_row_tracking:
            raise ValueError("civicdesk views need single-row tracking")
        kwargs.setdefault("tracking_table_name", f"{self.name}_tracking")
        super().__init__(datastore, **kwargs)
        self.sql_create_statements += [Composed([SQL(s)]) for s in self.view_statements()]

    def table(self, name: str) -> str:
        return ".".join('"' + part.replace('"', '""') + '"'
                        for part in (self.datastore.schema, name))

    @property
    def tracking_table(self) -> str:
        return self.table(self.tracking_table_name)

    def writing(self, tracking: Tracking) -> AbstractContextManager[Any]:
        return _writing(self.datastore.transaction(commit=True), self, tracking)

    def reading(self) -> AbstractContextManager[Any]:
        return self.datastore.transaction(commit=False)

    def time_in(self, moment: datetime) -> Any:
        return moment

    def time_out(self, value: Any) -> datetime:
        assert isinstance(value, datetime)
        return value.astimezone(UTC)

    def id_in(self, value: UUID) -> Any:
        return value

    def id_out(self, value: Any) -> UUID:
        return value if isinstance(value, UUID) else UUID(str(value))


@contextmanager
def _writing(transaction: AbstractContextManager[Any], view: SQLiteView | PostgresView,
             tracking: Tracking) -> Iterator[Any]:
    with transaction as cursor:
        yield cursor
        view._insert_tracking(cursor, tracking)


@dataclass(frozen=True)
class ProjectionSpec:
    """A read model: its projection, and its view class on each database."""

    projection: type[Projection[Any]]
    sqlite_view: type[SQLiteView]
    postgres_view: type[PostgresView]

    def __post_init__(self) -> None:
        names = {self.projection.name, self.sqlite_view.name, self.postgres_view.name}
        if len(names) != 1:
            raise ValueError(f"a projection and its views share one name, not {names}")

    @property
    def name(self) -> str:
        return self.projection.name

    def view_class(self, settings: Settings) -> type[TrackingRecorder]:
        return self.postgres_view if settings.is_postgres else self.sqlite_view


class ProjectionNotReady(TimeoutError):
    """A read model has not reached a log position: it lags, is stopped, or failed."""


@dataclass(frozen=True)
class ProjectionPosition:
    name: str
    position: int
    lag: int  # notifications behind the head of the log (an upper bound: ids may have gaps)
    running: bool
    error: str | None = None


class ProjectionSet:
    """The read models of one desk: read views for queries, and runners that keep them fresh.

    With `settings.run_projections` the runners are expected in this process: `wait_for`
    then fails at once when one is stopped or failed, instead of waiting for its timeout.
    Without it another process runs them, and `wait_for` only watches their positions.
    """

    def __init__(self, settings: Settings, desk: ServiceDesk,
                 specs: Sequence[ProjectionSpec]) -> None:
        self.settings = settings
        self.desk = desk
        self.specs = {spec.name: spec for spec in specs}
        self._env = settings.eventsourcing_env()
        if settings.is_postgres:
            # Each view and each runner's desk has its own pool: keep them small. A runner
            # holds one connection to LISTEN and takes one to read; a view writes from one
            # thread; the read views grow on demand for concurrent requests.
            self._env.update(POSTGRES_POOL_SIZE="2", POSTGRES_MAX_OVERFLOW="8")
        self._lock = threading.Lock()
        self._runners: dict[str, ProjectionRunner[Any, Any]] = {}
        self._errors: dict[str, BaseException] = {}
        self._factories: list[InfrastructureFactory[Any]] = []
        self.views: dict[str, Any] = {}
        for spec in specs:
            factory = InfrastructureFactory[Any].construct(Environment(spec.name, self._env))
            self._factories.append(factory)
            self.views[spec.name] = factory.tracking_recorder(spec.view_class(settings))

    def view(self, name: str) -> Any:
        """The read view of projection `name`, for queries."""
        return self.views[name]

    def start(self) -> None:
        """Start a runner for every projection not running (again, if one had failed)."""
        with self._lock:
            for name, spec in self.specs.items():
                runner = self._runners.get(name)
                if runner is not None and not runner.is_interrupted.is_set():
                    continue
                if runner is not None:
                    self._close_runner(name, runner)
                self._errors.pop(name, None)
                runner = ProjectionRunner(
                    application_class=type(self.desk), projection_class=spec.projection,
                    view_class=spec.view_class(self.settings), env=self._env)
                self._runners[name] = runner.__enter__()

    def stop(self, wait: bool = True) -> None:
        """Tell every runner to stop, then (with `wait`) join them. A runner finishes the
        event in hand first: its transaction commits whole or not at all."""
        with self._lock:
            for runner in self._runners.values():
                runner.stop()
            if not wait:
                return
            for name, runner in list(self._runners.items()):
                self._close_runner(name, runner)
            self._runners.clear()

    def close(self) -> None:
        self.stop()
        for factory in self._factories:
            factory.close()
        self._factories.clear()

    def _close_runner(self, name: str, runner: ProjectionRunner[Any, Any]) -> None:
        try:
            runner.__exit__(None, None, None)
        except Exception as error:
            self._record_failure(name, error)
        finally:
            runner.view.datastore.close()

    def _record_failure(self, name: str, error: BaseException) -> None:
        log.error("projection %s failed: %r", name, error, exc_info=error)
        self._errors[name] = error

    def is_running(self, name: str) -> bool:
        runner = self._runners.get(name)
        if runner is None:
            return False
        if not runner.is_interrupted.is_set():
            return True
        try:  # A stopped runner hands over the error that stopped it, once.
            runner.run_forever(timeout=0)
        except Exception as error:
            self._record_failure(name, error)
        return False

    def error(self, name: str) -> BaseException | None:
        """What stopped projection `name`, if it failed."""
        self.is_running(name)
        return self._errors.get(name)

    def position(self, name: str) -> int:
        return int(self.views[name].max_tracking_id(self.desk.name) or 0)

    def wait_for(self, position: int, timeout: float = 5.0,
                 names: Collection[str] | None = None) -> None:
        """Block until the named read models (default: all) have processed the log up to
        `position`.

        Raises ProjectionNotReady after `timeout` seconds, or at once if a projection this
        process should run is not running. Raises KeyError for an unknown name.
        """
        names = list(self.specs) if names is None else [self.specs[n].name for n in names]
        deadline = monotonic() + timeout
        interval = 0.002
        while True:
            behind = [name for name in names if self.position(name) < position]
            if not behind:
                return
            stopped = [name for name in behind if not self.is_running(name)]
            if self.settings.run_projections and stopped:
                raise ProjectionNotReady(f"projection {', '.join(stopped)} is not running"
                                         ) from self._errors.get(stopped[0])
            remaining = deadline - monotonic()
            if remaining <= 0:
                raise ProjectionNotReady(f"projection {', '.join(behind)} has not reached "
                                         f"position {position} within {timeout:g} s")
            sleep(min(interval, remaining))
            interval = min(interval * 2, 0.05)

    def positions(self) -> list[ProjectionPosition]:
        head = self.desk.log_position()
        report = []
        for name in self.specs:
            position = self.position(name)
            running = self.is_running(name)
            error = self._errors.get(name)
            report.append(ProjectionPosition(name=name, position=position,
                                             lag=max(head - position, 0), running=running,
                                             error=None if error is None else repr(error)))
        return report
