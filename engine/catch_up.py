"""Catching up: a read model far behind the log is brought near its head by the rebuild's own
replay (engine.rebuild.Replay) before its runner follows the log.

A `ProjectionSet` that is to run a read model more than CATCH_UP_FROM events behind (the demo
just loaded, events recorded while no process ran it) replays the log into its live tables in
batches of BATCH_SIZE notifications, each one transaction with its tracking position, in a
thread of its own, exactly as a rebuild fills new tables: incremental catch-up and rebuild take
one path, so they cost the same and give the same rows. Then its runner starts from where the
replay left off. Meanwhile the read model answers "not ready" as it would while its runner lags.

A batch is written whole or not at all, so a crash, a stop or a rebuild switched in elsewhere
(GenerationChanged) loses or doubles nothing: the runner, or the next catch-up, goes on from the
tracked position. An event the read model cannot apply ends the catch-up without recording a
failure: the runner then applies the events before it one by one and records the failure at the
event itself (engine.follower).
"""

from __future__ import annotations

import logging
import threading
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from engine.failures import EventNotApplied
from engine.rebuild import BATCH_SIZE, Replay
from engine.views import GenerationChanged

log = logging.getLogger("civicdesk.projections")

CATCHING_UP = "catching_up"  # a role (engine.spec): replays the log into its live tables


class CatchingUp:
    """The catch-ups of a `ProjectionSet` (engine.runner), which mixes it in."""

    CATCH_UP_FROM = BATCH_SIZE  # events behind from which a read model catches up first
    CATCH_UP_BATCH = BATCH_SIZE  # notifications per transaction of the catch-up
    _lock: threading.RLock
    _rebuilding: dict[str, tuple[threading.Thread, threading.Event]]
    _catching_up: set[str]
    # SQLite has one writer: catch-ups take turns, a batch each, instead of waiting for the
    # write lock until one gives up ("database is locked"). PostgreSQL's run side by side.
    _catch_up_turn: AbstractContextManager[Any]
    _errors: dict[str, BaseException]
    _halt: threading.Event
    views: dict[str, Any]
    specs: dict[str, Any]
    settings: Any
    desk: Any

    if TYPE_CHECKING:  # ProjectionSet's own
        def _leads(self, name: str) -> bool: ...
        def is_running(self, name: str) -> bool: ...
        def _activate(self, name: str) -> None: ...
        def _start_runner(self, name: str) -> None: ...
        def _record_failure(self, name: str, error: BaseException) -> None: ...
        def position(self, name: str) -> int: ...

    def _far_behind(self, name: str) -> bool:
        return bool(self.desk.log_position() - self.position(name) > self.CATCH_UP_FROM)

    def _start_catch_up(self, name: str) -> None:
        abandon = threading.Event()
        thread = threading.Thread(target=self._catch_up_then_run, args=(name, abandon),
                                  daemon=True, name=f"civicdesk-catch-up-{name}")
        self._rebuilding[name] = (thread, abandon)
        self._catching_up.add(name)
        self._errors.pop(name, None)
        thread.start()

    def _catch_up(self, name: str, abandon: threading.Event) -> None:
        spec = self.specs[name]
        view_class: Any = spec.view_class(self.settings)
        view = view_class(datastore=self.views[name].datastore)
        view.create_table()
        replay = Replay(self.desk, spec.projection(view=view), view, self.CATCH_UP_BATCH)
        replay.position = start = view.max_tracking_id(self.desk.name) or 0
        log.info("read model %s: catching up from position %d", name, start)
        while not abandon.is_set() and not self._halt.is_set():
            with self._catch_up_turn:
                if replay.step() < self.CATCH_UP_BATCH:
                    break
        log.info("read model %s: caught up to position %d (%d events); following the log",
                 name, replay.position, replay.events)

    def _catch_up_then_run(self, name: str, abandon: threading.Event) -> None:
        again = False  # whether to look again (another generation) or just run
        try:
            self._catch_up(name, abandon)
        except GenerationChanged as error:  # a rebuild switched its tables: follow them
            log.info("read model %s: catch-up ended early (%s)", name, error)
            again = True
        except EventNotApplied as error:
            # The runner applies the events before it one by one, and records the failure.
            log.info("read model %s: catch-up ended early (%s)", name, error)
        except Exception as error:
            with self._lock:
                self._record_failure(name, error)
            return
        finally:
            with self._lock:
                if self._rebuilding.get(name, (None, None))[1] is abandon:
                    del self._rebuilding[name]
                    self._catching_up.discard(name)
        with self._lock:
            if not abandon.is_set() and not self._halt.is_set() and self._leads(name) \
                    and not self.is_running(name):
                if again:
                    self._activate(name)
                    return
                try:
                    self._start_runner(name)
                except Exception as error:
                    self._record_failure(name, error)
