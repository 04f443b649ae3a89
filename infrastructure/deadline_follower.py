"""Following the event log for the deadline scheduler: re-syncing each case as its events arrive
(and re-planning pending deadlines when a closure or hours change arrives).

The scheduler's index is loaded from the pending deadlines view, as of the view's position in
the log; from there a follower thread reads every event after which a case's targets may have
changed, and has the scheduler re-read that case, so new, moved and met deadlines are indexed,
moved or dropped.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.projection import ApplicationSubscription

from application.calendar_replans import CHANGE_TOPICS
from application.desk import ServiceDesk
from domain.cases import Case
from domain.standards import TargetKind
from infrastructure.deadline_retries import retry_delay

log = logging.getLogger("civicdesk.scheduler")
RESUBSCRIBE_SECONDS = 2.0  # after a failure; doubling while the failures go on ...
RESUBSCRIBE_MAX_SECONDS = 60.0  # ... up to this

# Events after which a case's watched due times may differ.
TARGET_EVENTS = ("TargetsSet", "TargetsRescheduled", "WaitingOnCustomer", "Acknowledged",
                 "InterimResponseSent", "Resolved", "InteractionLogged", "DeadlineMissed",
                 "Reopened", "Received", "WaitMeasured", "MergedInto")
TARGET_NAMES = frozenset(kind.value for kind in TargetKind)


def watched_due_times(desk: ServiceDesk, case_id: UUID) -> dict[str, datetime | None] | None:
    """Every target's watched due time as the case stands now (None for a target with nothing
    to watch: met, paused, or no longer promised); None if there is no such case."""
    case: object = desk.repository.get(case_id)
    if not isinstance(case, Case):
        return None
    # A transfer or reclassification may drop a target the standards no longer promise.
    watched: dict[str, datetime | None] = dict.fromkeys(TARGET_NAMES - case.targets.keys())
    watched.update((name, target.watched_due_at) for name, target in case.targets.items())
    return watched


class DeadlineFollower:
    """A thread calling `sync(case_id)` for every event after `position` that may change the
    case's targets; `position` is the last one synced."""

    def __init__(self, desk: ServiceDesk, sync: Callable[[UUID], None], position: int,
                 calendar_changed: Callable[[], object] = lambda: None) -> None:
        self.desk = desk
        self.sync = sync
        # Called for a closure or hours change in the log: re-plans the deadlines it crosses
        # if the process that recorded it did not (it died first).
        self.calendar_changed = calendar_changed
        self.position = position
        self._thread: threading.Thread | None = None
        self._subscription: ApplicationSubscription[Any] | None = None
        self._stopping = threading.Event()

    def start(self) -> None:
        # Subscribed here, not in the thread, so a stop() right after start() finds it.
        self._subscription = self._subscribe()
        self._thread = threading.Thread(target=self._follow, name="deadline-follower",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Ask the thread to stop (without waiting: see `join`)."""
        self._stopping.set()
        if self._subscription is not None:
            self._subscription.stop()

    def join(self, timeout: float = 5.0) -> None:
        if self._thread is not None:
            self._thread.join(timeout=timeout)

    def _subscribe(self) -> ApplicationSubscription[Any]:
        topics = [f"domain.cases:Case.{name}" for name in TARGET_EVENTS] + list(CHANGE_TOPICS)
        return ApplicationSubscription(app=self.desk, gt=self.position, topics=topics)

    def _follow(self) -> None:
        """Sync every case whose targets may have changed. If reading the log or syncing a
        case fails (the database went away), follow again from the last position synced: a
        follower that died quietly would leave new and moved deadlines unscheduled. Failures
        in a row wait longer each time (up to RESUBSCRIBE_MAX_SECONDS) and log the traceback
        once, so a failure that does not go away neither spins nor floods the log."""
        subscription = self._subscription
        failures, failed_at = 0, self.position
        while not self._stopping.is_set():
            try:
                if subscription is None:
                    subscription = self._subscription = self._subscribe()
                    if self._stopping.is_set():  # stop() came meanwhile
                        subscription.stop()
                for event, tracking in subscription:
                    if isinstance(event, Case.Event):
                        self.sync(event.originator_id)
                    else:
                        self.calendar_changed()
                    self.position = tracking.notification_id
                return  # stopped
            except Exception:
                failures = failures + 1 if self.position == failed_at else 1
                failed_at = self.position
                wait = retry_delay(failures, RESUBSCRIBE_SECONDS,
                                   RESUBSCRIBE_MAX_SECONDS).total_seconds()
                if failures == 1:
                    log.exception("the deadline follower failed; following again from %s",
                                  self.position)
                else:
                    log.warning("the deadline follower failed again at %s (%d in a row); "
                                "trying again in %g s", self.position, failures, wait)
            if subscription is not None:
                with contextlib.suppress(Exception):
                    subscription.stop()
            subscription = None
            if self._stopping.wait(wait):
                return
