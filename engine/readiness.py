"""Where the read models of a `ProjectionSet` stand: positions, waiting for one
(read-your-writes), failures and readiness."""

from __future__ import annotations

import threading
from collections.abc import Collection
from datetime import UTC, datetime
from time import monotonic, sleep
from typing import TYPE_CHECKING, Any

from engine import failures
from engine.failures import EventNotApplied, Failure
from engine.spec import FAILED, RUNNING, STOPPED, ProjectionPosition
from engine.views import ProjectionNotReady, ReadModelFailed, TablesOfAnotherVersion


class Readiness:
    """The positions and readiness of a `ProjectionSet` (engine.runner), which mixes it in."""

    FAILURE_CACHE_SECONDS = 1.0  # how long `failure` trusts its last look at the table
    _lock: threading.RLock
    _errors: dict[str, BaseException]
    _failing: dict[str, EventNotApplied]
    _attempts: dict[str, int]
    _failures_seen: dict[str, tuple[float, Failure | None]]
    _caught_up: bool
    start_head: int
    views: dict[str, Any]
    specs: dict[str, Any]
    settings: Any
    desk: Any

    if TYPE_CHECKING:  # ProjectionSet's own
        def _leads(self, name: str) -> bool: ...
        def role(self, name: str) -> str: ...

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

