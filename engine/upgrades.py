"""Rebuilding a read model inside a running `ProjectionSet`: on demand (`rebuild`), and when
the live tables were made by another version of civicdesk (in a thread of its own, then the
runner starts on the new generation)."""

from __future__ import annotations

import logging
import threading
from time import monotonic
from typing import TYPE_CHECKING, Any

from engine.views import GenerationChanged

log = logging.getLogger("civicdesk.projections")


class _Abandoned(Exception):
    """A rebuild this process no longer wants (it stops, or lost the projection's lock)."""


class Upgrades:
    """The rebuilds of a `ProjectionSet` (engine.runner), which it mixes in."""

    SUPERSEDED_WAIT_SECONDS = 600.0  # how long a superseded rebuild waits for the other one
    REBUILD_ATTEMPTS = 3
    _lock: threading.RLock
    _rebuilding: dict[str, tuple[threading.Thread, threading.Event]]
    _errors: dict[str, BaseException]
    _halt: threading.Event
    _runners: dict[str, Any]
    views: dict[str, Any]
    specs: dict[str, Any]
    settings: Any
    desk: Any
    _env: dict[str, str]

    if TYPE_CHECKING:  # ProjectionSet's own
        def _leads(self, name: str) -> bool: ...
        def is_running(self, name: str) -> bool: ...
        def _activate(self, name: str) -> None: ...
        def _start_runner(self, name: str) -> None: ...
        def _record_failure(self, name: str, error: BaseException) -> None: ...

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

    def rebuild(self, name: str, **options: Any) -> Any:
        """Rebuild projection `name` into new tables while the old ones serve reads, switch
        them in, and move this set's runner onto them. `options` go to
        `engine.rebuild.rebuild` (batch_size, progress, grace, on_batch)."""
        from engine.rebuild import rebuild

        def switched(_: Any) -> None:
            self.views[name].refresh()
            with self._lock:
                if name in self._runners and not self._halt.is_set():
                    self._start_runner(name)

        return rebuild(self.settings, self.desk, self.specs[name], env=self._env,
                       on_switch=switched, **options)

