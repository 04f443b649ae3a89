"""Runs the read models beside a desk: `ProjectionSpec` and `ProjectionSet`.

A read model is a `ProjectionSpec`: an eventsourcing `Projection` and its view class on each
database (engine.views and engine.dialects, whose classes are re-exported here).
`ProjectionSet` keeps one read view per projection for queries and, when started, runs each
projection it leads: one eventsourcing `ProjectionRunner` following the desk's notification
log, plus a supervisor thread that moves a runner onto the new tables when a rebuild (in this
process or another) switches its projection to a new generation.

Leading. On PostgreSQL each projection has an advisory lock (infrastructure.leadership; the
locks of one set share one connection): the process holding it runs the projection, the
others stand by, serve reads from its tables, and try the lock every ELECTION_SECONDS, so a
standby takes over within seconds of the holder stopping or dying. Two runners of one
projection would collide on its tracking row. On SQLite (one process per file) every started
set leads every projection.

Upgrades. Before it runs a projection, the leader compares the live generation's fingerprint
(engine.views) with its own code's: tables another version of civicdesk made (another
fingerprint, or none) are rebuilt from the log into a new generation and switched in (logged
at WARNING), in a thread of their own; meanwhile that read model answers "not ready". A fresh
database just gets its tables. Processes that do not lead (standbys, and those with
`settings.run_projections` false) never rebuild: their views refuse tables of another version
(`TablesOfAnotherVersion`, a `ProjectionNotReady`) until the leader has replaced them.
"""


from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from functools import partial
from time import monotonic
from typing import Any

from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.projection import ProjectionRunner
from eventsourcing.utils import Environment

from application.desk import ServiceDesk
from engine import failures
from engine.catch_up import CATCHING_UP, CatchingUp
from engine.failures import EventNotApplied, Failure
from engine.follower import _Runner
from engine.readiness import Readiness
from engine.spec import (
    ELSEWHERE,
    FAILED,
    REBUILDING,
    RUNNING,
    STANDBY,
    STOPPED,
    ProjectionPosition,
    ProjectionSpec,
)
from engine.upgrades import Upgrades
from engine.views import (
    GenerationChanged,
    ProjectionNotReady,
    ReadModelFailed,
    TablesOfAnotherVersion,
)
from infrastructure.leadership import AdvisoryLock, Election, LockSession
from infrastructure.settings import Settings

__all__ = ["CATCHING_UP", "ELSEWHERE", "FAILED", "REBUILDING", "RUNNING", "STANDBY", "STOPPED",
           "ProjectionNotReady", "ProjectionPosition", "ProjectionSet", "ProjectionSpec",
           "ReadModelFailed"]

log = logging.getLogger("civicdesk.projections")


class ProjectionSet(CatchingUp, Upgrades, Readiness):
    """The read models of one desk: read views for queries, and runners that keep them fresh.

    With `settings.run_projections` the runners are expected in this process or, on
    PostgreSQL, in another that holds a projection's lock: `wait_for` fails at once when a
    projection is neither running nor standing by here (not started, or failed), instead of
    waiting for its timeout. Without it another process runs them, and `wait_for` only
    watches their positions. Either way it fails at once for tables another version made.
    """

    SUPERVISE_SECONDS = 0.5  # how soon a runner moves after another process's rebuild
    ELECTION_SECONDS = 2.0  # how often a standby tries a projection's lock (and a leader checks)
    RETRY_SECONDS = 1.0  # a failed read model is tried again after this, doubled each time,
    RETRY_MAX_SECONDS = 60.0  # up to this

    def __init__(self, settings: Settings, desk: ServiceDesk,
                 specs: Sequence[ProjectionSpec]) -> None:
        self.settings = settings
        self.desk = desk
        self.specs = {spec.name: spec for spec in specs}
        self._env = settings.eventsourcing_env()
        if settings.is_postgres:
            # Each view and each runner's desk has its own pool: keep them small. A runner's
            # desk holds one connection to LISTEN and takes one to read; its view writes
            # through the read view's pool, which grows on demand for concurrent requests.
            self._env.update(POSTGRES_POOL_SIZE="1", POSTGRES_MAX_OVERFLOW="9")
        self._lock = threading.RLock()
        self._runners: dict[str, ProjectionRunner[Any, Any]] = {}
        self._errors: dict[str, BaseException] = {}
        self._failing: dict[str, EventNotApplied] = {}  # until it passes that position
        self._attempts: dict[str, int] = {}  # failures in a row, for the backoff
        self._retry_at: dict[str, float] = {}
        self._failures_seen: dict[str, tuple[float, Failure | None]] = {}
        self.start_head = desk.log_position()  # readiness: every read model gets here first
        self._caught_up = False
        self._elections: dict[str, Election] = {}
        self._rebuilding: dict[str, tuple[threading.Thread, threading.Event]] = {}
        self._catching_up: set[str] = set()  # of those in _rebuilding
        self._catch_up_turn: AbstractContextManager[Any] = (
            nullcontext() if settings.is_postgres else threading.Lock())
        self._session: LockSession | None = None
        self._factories: list[InfrastructureFactory[Any]] = []
        self._halt = threading.Event()
        self._halt.set()
        self._supervisor: threading.Thread | None = None
        self.views: dict[str, Any] = {}
        for spec in specs:
            factory = InfrastructureFactory[Any].construct(Environment(spec.name, self._env))
            self._factories.append(factory)
            if settings.is_postgres:
                spec.postgres_view.configure_pool(factory.datastore)  # type: ignore[attr-defined]
                # Open the pool, and wait for its connection, before the first query: a query
                # that waits for it makes psycopg_pool open a second, idle for ten minutes.
                factory.datastore.pool.open(wait=True, timeout=30)  # type: ignore[attr-defined]
            # Makes the tables on a fresh database; leaves those of another version alone.
            self.views[spec.name] = factory.tracking_recorder(spec.view_class(settings))

    def view(self, name: str) -> Any:
        """The read view of projection `name`, for queries."""
        return self.views[name]

    # -- leading ------------------------------------------------------------------------------

    def start(self) -> None:
        """Contend for every projection (PostgreSQL) and run those this process leads; start
        again any that had failed or been stopped. Returns once each projection's first
        contest is decided: those it won are running, or rebuilding in the background."""
        contests = []
        with self._lock:
            if self._halt.is_set():
                self._halt = halt = threading.Event()
                self._supervisor = threading.Thread(
                    target=self._supervise, args=(halt,), daemon=True,
                    name="civicdesk-projections-supervisor")
                self._supervisor.start()
            if self.settings.database_url and self._session is None:
                self._session = LockSession(self.settings.database_url)
            for name in self.specs:
                election = self._elections.get(name)
                if election is None:
                    lock = None if self._session is None else AdvisoryLock(
                        self.settings.database_url or "",
                        self.settings.database_schema or "public", name=name,
                        session=self._session)
                    self._elections[name] = election = Election(
                        lock, lead=partial(self._lead, name),
                        stand_down=partial(self._stand_down, name),
                        interval=self.ELECTION_SECONDS, what=f"read model {name}")
                    contests.append(election)
                elif election.is_leader and not self.is_running(name) \
                        and name not in self._rebuilding:
                    self._activate(name)
        for election in contests:
            election.start(first_attempt_here=True)

    def _lead(self, name: str) -> None:
        with self._lock:
            if not self._halt.is_set():
                self._activate(name)

    def _leads(self, name: str) -> bool:
        election = self._elections.get(name)
        return election is not None and election.is_leader

    def _stand_down(self, name: str) -> None:
        """Lost the lock of `name` (or stopping): stop its runner and any rebuild of it."""
        with self._lock:
            runner = self._runners.pop(name, None)
            rebuilding = self._rebuilding.get(name)
            if rebuilding is not None:
                rebuilding[1].set()
        if runner is not None:
            log.warning("projection %s: lost its lock; standing by", name)
            self._close_runner(name, runner)

    def _activate(self, name: str) -> None:
        """Run projection `name` here (the lock held): on the live generation if its tables
        are this version's, else after rebuilding them. A failure is recorded, not raised."""
        if name in self._rebuilding:
            return
        try:
            misfit = self.views[name].misfit()
            if misfit is None and self._far_behind(name):
                self._start_catch_up(name)
                return
            if misfit is None:
                try:
                    self._start_runner(name)
                    return
                except TablesOfAnotherVersion as error:  # switched in meanwhile
                    misfit = str(error)
            self._start_rebuild(name, misfit)
        except Exception as error:
            self._record_failure(name, error)

    def _start_runner(self, name: str) -> None:
        runner = self._runners.pop(name, None)
        if runner is not None:
            self._close_runner(name, runner)
        self._errors.pop(name, None)
        spec = self.specs[name]
        view_class: Any = spec.view_class(self.settings)
        view = view_class(datastore=self.views[name].datastore)
        view.create_table()
        view.max_tracking_id(self.desk.name)  # raises TablesOfAnotherVersion before the desk
        self._runners[name] = _Runner(
            application_class=type(self.desk), projection_class=spec.projection, view=view,
            env=self._env).__enter__()

    # -- running ------------------------------------------------------------------------------

    def stop(self, wait: bool = True) -> None:
        """Tell every runner (and rebuild) to stop, then (with `wait`) join them and give up
        the projections' locks. A runner finishes the event in hand first: its transaction
        commits whole or not at all. Locks go last, so no successor starts meanwhile."""
        with self._lock:
            self._halt.set()
            supervisor, self._supervisor = self._supervisor, None
            for runner in self._runners.values():
                runner.stop()
            rebuilds = list(self._rebuilding.values())
            for _, abandon in rebuilds:
                abandon.set()
        if supervisor is not None and supervisor is not threading.current_thread():
            supervisor.join()  # before anyone closes the views it reads
        if not wait:
            return
        for thread, _ in rebuilds:
            thread.join(timeout=60)  # past its last batch it switches, then drops the old
        with self._lock:
            for name, runner in list(self._runners.items()):
                self._close_runner(name, runner)
            self._runners.clear()
            elections, self._elections = list(self._elections.values()), {}
            session, self._session = self._session, None
        for election in elections:  # outside the lock: its thread may be waiting for it
            election.stop()
        if session is not None:
            session.close()

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

    def _record_failure(self, name: str, error: BaseException) -> None:
        """Remember why `name` stopped, record an event it could not apply, and try it
        again after a backoff (see `_retry_failed`)."""
        log.error("projection %s failed: %r", name, error, exc_info=error)
        self._errors[name] = error
        attempts = self._attempts[name] = self._attempts.get(name, 0) + 1
        self._retry_at[name] = monotonic() + min(self.RETRY_MAX_SECONDS,
                                                 self.RETRY_SECONDS * 2 ** (attempts - 1))
        if isinstance(error, EventNotApplied):
            # Recorded before it is remembered, so whoever sees the failure here finds it in
            # the table too.
            try:
                failures.record(self.views[name], error)
            except Exception as trouble:  # the database is away: the memory still says it
                log.error("projection %s: could not record its failure: %r", name, trouble)
            self._failing[name] = error
            self._failures_seen.pop(name, None)

    def _retry_failed(self, halt: threading.Event) -> None:
        """Start again each failed read model this process leads once its backoff is over,
        and forget a failure once its read model has applied (or passed over) that event."""
        with self._lock:
            for name in self.specs:
                if halt.is_set():
                    return
                running = self.is_running(name)  # collects a failure that just happened
                failing = self._failing.get(name)
                if running and failing is not None \
                        and self.position(name) >= failing.position:
                    log.warning("projection %s: went past position %d; running again", name,
                                failing.position)
                    del self._failing[name]
                    self._failures_seen.pop(name, None)
                    failing = None
                if running and failing is None:
                    self._attempts.pop(name, None)
                due = self._retry_at.get(name)
                if running or due is None or due > monotonic() or not self._leads(name) \
                        or name in self._rebuilding:
                    continue
                del self._retry_at[name]
                log.warning("projection %s: trying again after %d failure(s)", name,
                            self._attempts.get(name, 0))
                self._activate(name)

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
                self._activate(name)
                runner = self._runners.get(name)
                return runner is not None and not runner.is_interrupted.is_set()
            except Exception as error:
                self._record_failure(name, error)
            return False

    def role(self, name: str) -> str:
        """What this process does with projection `name`: RUNNING, CATCHING_UP (engine.catch_up),
        REBUILDING, STANDBY, ELSEWHERE, STOPPED or FAILED (see their definitions)."""
        with self._lock:
            running = self.is_running(name)
            if name in self._failing:
                return FAILED  # even while a retry runs: until it gets past that event
            if running:
                return RUNNING
            if name in self._rebuilding:
                return CATCHING_UP if name in self._catching_up else REBUILDING
            if name in self._errors:
                return FAILED
            election = self._elections.get(name)
            if election is not None and not election.is_leader and not self._halt.is_set():
                return STANDBY
            return STOPPED if self.settings.run_projections else ELSEWHERE

    def _supervise(self, halt: threading.Event) -> None:
        """Move runners onto the live generation when a rebuild elsewhere switched it."""
        while not halt.wait(self.SUPERVISE_SECONDS):
            try:
                self._retry_failed(halt)
            except Exception as error:  # a database hiccup: try again next round
                log.warning("projections: supervisor: %r", error)
            try:
                # One statement a round for every read model (it was a transaction each).
                lives = (next(iter(self.views.values())).live_generations()
                         if self.views else {})
            except Exception as error:  # a database hiccup: try again next round
                log.warning("projections: supervisor: %r", error)
                continue
            for name in list(self.specs):
                if halt.is_set():
                    return
                try:
                    live = lives.get(name, 0)
                    with self._lock:
                        runner = self._runners.get(name)
                        if halt.is_set() or runner is None or not self.is_running(name):
                            continue
                        if self._runners[name].view.generation != live:
                            log.info("projection %s: generation %d is live; following it",
                                     name, live)
                            self._activate(name)
                except Exception as error:  # a database hiccup: try again next round
                    log.warning("projection %s: supervisor: %r", name, error)

    def error(self, name: str) -> BaseException | None:
        """What stopped projection `name`, if it failed."""
        self.is_running(name)
        return self._errors.get(name)

