"""Runs the read models beside a desk: `ProjectionSpec` and `ProjectionSet`.

A read model is a `ProjectionSpec`: an eventsourcing `Projection` and its view class on each
database (projections.views and projections.dialects, whose classes are re-exported here).
`ProjectionSet` keeps one read view per projection for queries and, when started, one
eventsourcing `ProjectionRunner` thread per projection following the desk's notification log,
plus a supervisor thread that moves a runner onto the new tables when a rebuild (in this
process or another) switches its projection to a new generation.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from time import monotonic, sleep
from typing import Any

from eventsourcing.persistence import InfrastructureFactory, TrackingRecorder
from eventsourcing.projection import Projection, ProjectionRunner
from eventsourcing.utils import Environment

from application.desk import ServiceDesk
from infrastructure.settings import Settings
from projections.dialects import PostgresView, SQLiteView
from projections.views import GenerationChanged, View

__all__ = ["GenerationChanged", "PostgresView", "ProjectionNotReady", "ProjectionPosition",
           "ProjectionSet", "ProjectionSpec", "SQLiteView", "View"]

log = logging.getLogger("civicdesk.projections")


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
    generation: int = 0  # which generation of its tables is live (see projections.views)


class ProjectionSet:
    """The read models of one desk: read views for queries, and runners that keep them fresh.

    With `settings.run_projections` the runners are expected in this process: `wait_for`
    then fails at once when one is stopped or failed, instead of waiting for its timeout.
    Without it another process runs them, and `wait_for` only watches their positions.
    """

    SUPERVISE_SECONDS = 0.5  # how soon a runner moves after another process's rebuild

    def __init__(self, settings: Settings, desk: ServiceDesk,
                 specs: Sequence[ProjectionSpec]) -> None:
        self.settings = settings
        self.desk = desk
        self.specs = {spec.name: spec for spec in specs}
        self._env = settings.eventsourcing_env()
        if settings.is_postgres:
            # Each view and each runner's desk has its own pool: keep them small (five read
            # models hold about twenty connections idle). A runner holds one connection to
            # LISTEN and takes one to read; a view writes from one thread; the read views
            # grow on demand for concurrent requests.
            self._env.update(POSTGRES_POOL_SIZE="1", POSTGRES_MAX_OVERFLOW="9")
        self._lock = threading.RLock()
        self._runners: dict[str, ProjectionRunner[Any, Any]] = {}
        self._errors: dict[str, BaseException] = {}
        self._factories: list[InfrastructureFactory[Any]] = []
        self._halt = threading.Event()
        self._halt.set()
        self._supervisor: threading.Thread | None = None
        self.views: dict[str, Any] = {}
        for spec in specs:
            factory = InfrastructureFactory[Any].construct(Environment(spec.name, self._env))
            self._factories.append(factory)
            self.views[spec.name] = factory.tracking_recorder(spec.view_class(settings))

    def view(self, name: str) -> Any:
        """The read view of projection `name`, for queries."""
        return self.views[name]

    # -- runners ------------------------------------------------------------------------------

    def start(self) -> None:
        """Start a runner for every projection not running (again, if one had failed)."""
        with self._lock:
            for name in self.specs:
                runner = self._runners.get(name)
                if runner is not None and not runner.is_interrupted.is_set():
                    continue
                self._start_runner(name)
            if self._halt.is_set():
                self._halt = halt = threading.Event()
                self._supervisor = threading.Thread(
                    target=self._supervise, args=(halt,), daemon=True,
                    name="civicdesk-projections-supervisor")
                self._supervisor.start()

    def _start_runner(self, name: str) -> None:
        runner = self._runners.pop(name, None)
        if runner is not None:
            self._close_runner(name, runner)
        self._errors.pop(name, None)
        spec = self.specs[name]
        self._runners[name] = ProjectionRunner(
            application_class=type(self.desk), projection_class=spec.projection,
            view_class=spec.view_class(self.settings), env=self._env).__enter__()

    def stop(self, wait: bool = True) -> None:
        """Tell every runner to stop, then (with `wait`) join them. A runner finishes the
        event in hand first: its transaction commits whole or not at all."""
        with self._lock:
            self._halt.set()
            supervisor, self._supervisor = self._supervisor, None
            for runner in self._runners.values():
                runner.stop()
        if supervisor is not None and supervisor is not threading.current_thread():
            supervisor.join()  # before anyone closes the views it reads
        if not wait:
            return
        with self._lock:
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
        except GenerationChanged:
            pass  # retired by a rebuild: not a failure
        except Exception as error:
            self._record_failure(name, error)
        finally:
            runner.view.datastore.close()

    def _record_failure(self, name: str, error: BaseException) -> None:
        log.error("projection %s failed: %r", name, error, exc_info=error)
        self._errors[name] = error

    def is_running(self, name: str) -> bool:
        """Whether projection `name` has a live runner here. A runner a rebuild retired is
        replaced on the spot, so it counts as running."""
        with self._lock:
            runner = self._runners.get(name)
            if runner is None:
                return False
            if not runner.is_interrupted.is_set():
                return True
            try:  # A stopped runner hands over the error that stopped it, once.
                runner.run_forever(timeout=0)
            except GenerationChanged:
                if self._halt.is_set():
                    return False
                log.info("projection %s: a rebuild switched its tables; following them",
                         name)
                self._start_runner(name)
                return True
            except Exception as error:
                self._record_failure(name, error)
            return False

    def _supervise(self, halt: threading.Event) -> None:
        """Move runners onto the live generation when a rebuild elsewhere switched it."""
        while not halt.wait(self.SUPERVISE_SECONDS):
            for name in list(self.specs):
                if halt.is_set():
                    return
                try:
                    live = self.views[name].current_generation()
                    with self._lock:
                        runner = self._runners.get(name)
                        if halt.is_set() or runner is None or not self.is_running(name):
                            continue
                        if self._runners[name].view.generation != live:
                            log.info("projection %s: generation %d is live; following it",
                                     name, live)
                            self._start_runner(name)
                except Exception as error:  # a database hiccup: try again next round
                    log.warning("projection %s: supervisor: %r", name, error)

    def error(self, name: str) -> BaseException | None:
        """What stopped projection `name`, if it failed."""
        self.is_running(name)
        return self._errors.get(name)

    # -- rebuilds -----------------------------------------------------------------------------

    def rebuild(self, name: str, **options: Any) -> Any:
        """Rebuild projection `name` into new tables while the old ones serve reads, switch
        them in, and move this set's runner onto them. `options` go to
        `projections.rebuild.rebuild` (batch_size, progress, grace, on_batch)."""
        from projections.rebuild import rebuild

        def switched(_: Any) -> None:
            self.views[name].refresh()
            with self._lock:
                if name in self._runners and not self._halt.is_set():
                    self._start_runner(name)

        return rebuild(self.settings, self.desk, self.specs[name], env=self._env,
                       on_switch=switched, **options)

    # -- positions ----------------------------------------------------------------------------

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
                                             error=None if error is None else repr(error),
                                             generation=self.views[name].seen_generation))
        return report
