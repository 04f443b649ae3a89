"""Runs the read models beside a desk: `ProjectionSpec` and `ProjectionSet`.

A read model is a `ProjectionSpec`: an eventsourcing `Projection` and its view class on each
database (projections.views and projections.dialects, whose classes are re-exported here).
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
(projections.views) with its own code's: tables another version of civicdesk made (another
fingerprint, or none) are rebuilt from the log into a new generation and switched in (logged
at WARNING), in a thread of their own; meanwhile that read model answers "not ready". A fresh
database just gets its tables. Processes that do not lead (standbys, and those with
`settings.run_projections` false) never rebuild: their views refuse tables of another version
(`TablesOfAnotherVersion`, a `ProjectionNotReady`) until the leader has replaced them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from time import monotonic, sleep
from typing import Any

from eventsourcing.persistence import InfrastructureFactory, Tracking, TrackingRecorder
from eventsourcing.projection import BaseProjectionRunner, Projection, ProjectionRunner
from eventsourcing.utils import Environment, get_topic

from application.desk import ServiceDesk
from infrastructure.leadership import AdvisoryLock, Election, LockSession
from infrastructure.settings import Settings
from projections import failures
from projections.dialects import PostgresView, SQLiteView
from projections.failures import EventNotApplied, Failure
from projections.views import (
    GenerationChanged,
    ProjectionNotReady,
    ReadModelFailed,
    TablesOfAnotherVersion,
    View,
)

__all__ = ["GenerationChanged", "PostgresView", "ProjectionNotReady", "ProjectionPosition",
           "ProjectionSet", "ProjectionSpec", "ReadModelFailed", "SQLiteView",
           "TablesOfAnotherVersion", "View"]

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


# What this process does with a projection (`ProjectionSet.role`).
RUNNING = "running"  # runs it
REBUILDING = "rebuilding"  # rebuilds its tables, made by another version, then runs it
STANDBY = "standby"  # stands by: another process holds its lock and runs it (PostgreSQL)
ELSEWHERE = "elsewhere"  # runs no projections (settings.run_projections false)
STOPPED = "stopped"  # should run it, but is not started
FAILED = "failed"  # ran it until it failed (see `error`)


@dataclass(frozen=True)
class ProjectionPosition:
    name: str
    position: int
    lag: int  # notifications behind the head of the log (an upper bound: ids may have gaps)
    running: bool  # this process runs it
    error: str | None = None  # what stopped it, or why its tables are not ready
    generation: int = 0  # which generation of its tables is live (see projections.views)
    role: str = RUNNING  # RUNNING, REBUILDING, STANDBY, ELSEWHERE, STOPPED or FAILED
    ready: bool = True  # its live tables are this version's, so it can be queried
    failure: Failure | None = None  # the event it cannot apply (projections.failures)


class _Guarded:
    """A projection whose failure on an event names the event (`EventNotApplied`), and which
    passes over an event an operator skipped after it failed (projections.failures)."""

    def __init__(self, projection: Projection[Any], view: View) -> None:
        self.projection, self.view = projection, view

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        try:
            self.projection.process_event(domain_event, tracking)
        except (GenerationChanged, TablesOfAnotherVersion):
            raise  # the tables moved, not the event's fault: ProjectionSet follows them
        except Exception as error:
            position = tracking.notification_id
            if position in failures.skipped_positions(self.view):
                with self.view.writing(tracking):
                    pass  # tracked, not applied: the operator's recorded decision
                log.warning("projection %s: passed over event %d, skipped by an operator",
                            self.view.name, position)
                return
            event_id = f"{domain_event.originator_id}@{domain_event.originator_version}"
            raise EventNotApplied(self.view.name, position, event_id,
                                  get_topic(type(domain_event)), error) from error


    def process_batch(self, batch: Sequence[tuple[Any, Tracking]],
                      stopping: threading.Event) -> None:
        """Apply `batch` in one transaction, tracking its last position once. If any event in
        it fails, nothing of it is written, and it is applied again one event at a time: the
        events before the poison are applied and the poison is the one that fails (or is
        passed over), by its own position."""
        if len(batch) == 1:
            self.process_event(*batch[0])
            return
        applied: list[Tracking] = []
        try:
            # Stopping, it finishes the event in hand and commits what it has applied.
            with self.view.batch(lambda: applied[-1]):
                for domain_event, tracking in batch:
                    self.projection.process_event(domain_event, tracking)
                    applied.append(tracking)
                    if stopping.is_set():
                        break
        except (GenerationChanged, TablesOfAnotherVersion):
            raise  # nothing was written; ProjectionSet follows the tables
        except Exception as error:
            log.info("projection %s: a batch of %d events failed (%r); applying them one at "
                     "a time", self.view.name, len(batch), error)
            for domain_event, tracking in batch:
                self.process_event(domain_event, tracking)


def _waiting(subscription: Any) -> bool:
    """Whether `subscription` (an eventsourcing ApplicationSubscription) has a notification
    in hand, so that taking it does not wait for the log. It knows the two subscriptions a
    desk's recorder gives: eventsourcing's LISTEN/NOTIFY one (PostgreSQL), which reads ahead
    into lists of up to 500, and infrastructure.recorders.PollingSubscription (SQLite)."""
    inner = subscription.subscription
    pending = getattr(inner, "_pending", None)  # PollingSubscription
    if pending is not None:
        return bool(pending)
    index, notifications = inner._notifications_index, inner._notifications
    return bool(index < len(notifications) or not inner._notifications_queue.empty())


class _Runner(ProjectionRunner[Any, Any]):
    """A ProjectionRunner on a view made by the caller: it shares the read view's connections
    instead of a pool of its own, and applies the events waiting for it in batches of up to
    BATCH_SIZE, one transaction each (the tracking position in it): a burst, or a backlog at
    start, costs a transaction per batch instead of one per event. It never waits for a
    batch to fill: an event that arrives alone is applied alone, at once."""

    BATCH_SIZE = 500

    def __init__(self, *, application_class: type[ServiceDesk],
                 projection_class: type[Projection[Any]], view: View,
                 env: dict[str, str]) -> None:
        self.view = view
        self.projection = projection_class(view=view)
        BaseProjectionRunner.__init__(
            self, projection=_Guarded(self.projection, view),  # type: ignore[arg-type]
            application_class=application_class, tracking_recorder=view,
            topics=self.projection.topics, env=env)

    @staticmethod
    def _process_events_loop(subscription: Any, projection: Any, is_stopping: threading.Event,
                             runner: Any) -> None:
        """The library's loop (it hands an error to `run_forever`), applying batches."""
        try:
            for first in subscription:
                batch = [first]
                try:
                    while len(batch) < _Runner.BATCH_SIZE and not is_stopping.is_set() \
                            and _waiting(subscription):
                        batch.append(next(subscription))
                except StopIteration:
                    pass  # stopped meanwhile: what is in hand is applied whole, or not at all
                projection.process_batch(batch, is_stopping)
        except BaseException as error:
            found = runner()
            if found is not None:
                found._thread_error = error
            else:
                log.error("projection runner gone before its error was handed over: %r",
                          error)
        finally:
            is_stopping.set()


class _Abandoned(Exception):
    """A rebuild this process no longer wants (it stops, or lost the projection's lock)."""


class ProjectionSet:
    """The read models of one desk: read views for queries, and runners that keep them fresh.

    With `settings.run_projections` the runners are expected in this process or, on
    PostgreSQL, in another that holds a projection's lock: `wait_for` fails at once when a
    projection is neither running nor standing by here (not started, or failed), instead of
    waiting for its timeout. Without it another process runs them, and `wait_for` only
    watches their positions. Either way it fails at once for tables another version made.
    """

    SUPERVISE_SECONDS = 0.5  # how soon a runner moves after another process's rebuild
    ELECTION_SECONDS = 2.0  # how often a standby tries a projection's lock (and a leader checks)
    SUPERSEDED_WAIT_SECONDS = 600.0  # how long a superseded rebuild waits for the other one
    REBUILD_ATTEMPTS = 3
    RETRY_SECONDS = 1.0  # a failed read model is tried again after this, doubled each time,
    RETRY_MAX_SECONDS = 60.0  # up to this
    FAILURE_CACHE_SECONDS = 1.0  # how long `failure` trusts its last look at the table

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

    # -- upgrading ----------------------------------------------------------------------------

    def _start_rebuild(self, name: str, misfit: str) -> None:
        log.warning("%s; rebuilding from the log", misfit)
        abandon = threading.Event()
        thread = threading.Thread(target=self._rebuild_then_run, args=(name, abandon),
                                  daemon=True, name=f"civicdesk-rebuild-{name}")
        self._rebuilding[name] = (thread, abandon)
        self._errors.pop(name, None)
        thread.start()

    def _rebuild_then_run(self, name: str, abandon: threading.Event) -> None:
        def on_batch(position: int) -> None:
            if abandon.is_set():
                raise _Abandoned(f"rebuild of {name} abandoned at position {position}")

        view = self.views[name]
        try:
            for attempt in range(1, self.REBUILD_ATTEMPTS + 1):
                try:
                    done = self.rebuild(name, on_batch=on_batch)
                    log.warning("read model %s: rebuilt into generation %d (%d events in "
                                "%.1f s)", name, done.generation, done.events, done.seconds)
                    break
                except GenerationChanged:
                    # Another rebuild (`civicdesk rebuild`) claimed a later generation: let it
                    # finish, then look again instead of superseding it in turn.
                    live, deadline = view.current_generation(), \
                        monotonic() + self.SUPERSEDED_WAIT_SECONDS
                    while view.current_generation() == live and monotonic() < deadline:
                        if abandon.wait(1.0):
                            return
                    if view.misfit() is None:
                        break
                    if attempt == self.REBUILD_ATTEMPTS:
                        raise
        except _Abandoned:
            return
        except Exception as error:
            with self._lock:
                self._record_failure(name, error)
            return
        finally:
            with self._lock:
                if self._rebuilding.get(name, (None, None))[1] is abandon:
                    del self._rebuilding[name]
        with self._lock:
            if not abandon.is_set() and not self._halt.is_set() and self._leads(name) \
                    and not self.is_running(name):
                self._activate(name)

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
        """What this process does with projection `name`: RUNNING, REBUILDING, STANDBY,
        ELSEWHERE, STOPPED or FAILED (see their definitions)."""
        with self._lock:
            running = self.is_running(name)
            if name in self._failing:
                return FAILED  # even while a retry runs: until it gets past that event
            if running:
                return RUNNING
            if name in self._rebuilding:
                return REBUILDING
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
                            self._activate(name)
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
        """How far projection `name` has followed the log. Raises TablesOfAnotherVersion if
        its live tables are another version's."""
        return int(self.views[name].max_tracking_id(self.desk.name) or 0)

    def wait_for(self, position: int, timeout: float = 5.0,
                 names: Collection[str] | None = None) -> None:
        """Block until the named read models (default: all) have processed the log up to
        `position`.

        Raises ProjectionNotReady after `timeout` seconds, or at once if a projection this
        process should run is neither running nor standing by (not started, or failed), or
        if its tables are another version's (TablesOfAnotherVersion). Raises KeyError for an
        unknown name.
        """
        names = list(self.specs) if names is None else [self.specs[n].name for n in names]
        deadline = monotonic() + timeout
        interval = 0.002
        while True:
            behind = [name for name in names if self.position(name) < position]
            if not behind:
                return
            failed = [found for name in behind if (found := self.failure(name)) is not None
                      and found.position <= position]
            if failed:
                raise ReadModelFailed(failed[0].summary())
            stopped = [name for name in behind if self.role(name) in (STOPPED, FAILED)]
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
            role = self.role(name)
            error = self._errors.get(name)
            detail = None if error is None else repr(error)
            failure = None
            try:
                position, ready = self.position(name), True
                failure = self.failure(name)
            except TablesOfAnotherVersion as misfit:
                position, ready, detail = 0, False, detail or str(misfit)
            if failure is not None:
                role, detail = FAILED, failure.summary()
            report.append(ProjectionPosition(name=name, position=position,
                                             lag=max(head - position, 0),
                                             running=role == RUNNING, error=detail,
                                             generation=self.views[name].seen_generation,
                                             role=role, ready=ready, failure=failure))
        return report

    # -- failures and readiness ---------------------------------------------------------------

    def failure(self, name: str) -> Failure | None:
        """The event read model `name` has failed on and not yet got past, in any process
        (from `projection_failures`, looked at most FAILURE_CACHE_SECONDS ago), or None.
        Where this process leads it, only a failure its own runner met counts: a version
        started after a fix gets the chance to go past the event first."""
        if self._leads(name) and name not in self._failing:
            return None
        seen = self._failures_seen.get(name)
        if seen is not None and monotonic() - seen[0] < self.FAILURE_CACHE_SECONDS:
            return seen[1]
        found = failures.open_failure(self.views[name], self.position(name))
        failing = self._failing.get(name)
        if found is None and failing is not None \
                and failing.position not in failures.skipped_positions(self.views[name]):
            # Failed here, but the database did not take the record of it.
            now = datetime.now(UTC)
            found = Failure(name, failing.position, failing.event_id, failing.topic,
                            failing.error, self._attempts.get(name, 1), now, now)
        self._failures_seen[name] = (monotonic(), found)
        return found

    def skipped(self, name: str) -> list[Failure]:
        """The failures of `name` an operator skipped: the audit record of each skip."""
        return [f for f in failures.history(self.views[name]) if f.skipped_at is not None]

    def unready(self) -> list[str]:
        """Why the read models cannot serve yet, or [] when they can: each has caught up to
        the head of the log as it was when this set was made (once all have, that holds), and
        none has failed (on an event, or, for one this process runs, at all) or has tables of
        another version."""
        reasons, behind = [], []
        for name in self.specs:
            try:
                position = self.position(name)
                failure = self.failure(name)
            except TablesOfAnotherVersion as misfit:
                reasons.append(str(misfit))
                continue
            if failure is not None:
                reasons.append(failure.summary())
            elif self.settings.run_projections and self.role(name) in (FAILED, STOPPED):
                error = self._errors.get(name)
                reasons.append(f"read model {name} is not running"
                               + ("" if error is None else f": {failures.describe(error)}"))
            if position < self.start_head:
                behind.append(f"read model {name} is at position {position}, catching up "
                              f"to {self.start_head}")
        if not behind:
            self._caught_up = True
        return reasons + ([] if self._caught_up else behind)
