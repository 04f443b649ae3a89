"""The deadline scheduler: judges every pending deadline when its time comes, with one job.

The deadlines are held in a `DeadlineIndex`, earliest try first, and one APScheduler job is
armed at the earliest (infrastructure/deadline_job.py says why one). There is no job store: the
pending deadlines view is the store. At start every pending deadline is read; those already
past (downtime) are judged at once, the rest indexed; then a follower re-syncs each case as its
events arrive. The job only asks the application, which decides, so a late, repeated or stale
firing records nothing wrong; one that fails is tried again after its own backoff.

Threads: the follower and APScheduler's executor both change the index under `_lock`, which
also covers arming the job; the application is never called while holding it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from application.calendar_replans import follow_calendar_changes
from application.desk import ServiceDesk
from infrastructure.deadline_follower import DeadlineFollower, watched_due_times
from infrastructure.deadline_index import DeadlineIndex, PendingDeadline
from infrastructure.deadline_job import NextDeadlineJob
from infrastructure.deadline_retries import Retries, retry_delay

log = logging.getLogger("civicdesk.scheduler")

# The log position the pending deadlines are as of, and the deadlines.
Pending = Callable[[], tuple[int, Iterable[PendingDeadline]]]
# Records the fact due on (case, target) at an instant, if it still is; whether it recorded it.
Judge = Callable[[UUID, str, datetime], bool]
# A case's watched instant per target (None: nothing to watch), or None: no such case.
Watched = Callable[[ServiceDesk, UUID], dict[str, datetime | None] | None]


class DeadlineScheduler:
    """One per leader process. `clock` is the desk's clock, so tests move time by hand."""

    def __init__(self, desk: ServiceDesk, pending: Pending,
                 clock: Callable[[], datetime] | None = None, *,
                 judge: Judge | None = None, watched: Watched = watched_due_times,
                 follows_calendar: bool = True, fact: str = "deadline missed") -> None:
        """`judge` asks the desk to record the fact due at an instant (default: the desk's
        `record_deadline_missed`, looked up at each firing); `watched` gives a case's watched
        instants per target. The same scheduler records targets at risk (application.alerts)
        with those two swapped and `follows_calendar` off (the deadlines' scheduler re-plans
        after calendar changes; the re-plans reach this one as moved instants)."""
        self.desk = desk
        self.pending = pending
        self.clock = clock or desk.clock
        self._judge = judge
        self._watched = watched
        self._follows_calendar = follows_calendar
        self.fact = fact
        self._job = NextDeadlineJob(self.fire_due)
        self.scheduler = self._job.scheduler
        self.recorded = 0
        self._index = DeadlineIndex()
        self._retries = Retries()
        self._lock = threading.Lock()
        self._loaded_at = 0  # the log position the loaded deadlines were as of
        self._follower: DeadlineFollower | None = None

    @property
    def position(self) -> int:
        """How far the log has been followed: where the view stood at load, then the follower."""
        return self._follower.position if self._follower is not None else self._loaded_at

    def load(self) -> int:
        """Index every pending deadline; judge at once those already due. Returns the count
        indexed (not counting the ones judged)."""
        self._loaded_at, deadlines = self.pending()
        now = self.clock()
        future: list[PendingDeadline] = []
        past: list[PendingDeadline] = []
        for deadline in deadlines:
            (past if deadline.due_at <= now else future).append(deadline)
        with self._lock:
            self._index.load(future)
            self._arm()
        for deadline in sorted(past, key=lambda d: d.due_at):
            self.fire(deadline.case_id, deadline.target, deadline.due_at)
        return len(future)

    def start(self, follow: bool = True) -> None:
        if self._follows_calendar:
            self.catch_up_calendar()
        self.scheduler.start(paused=True)
        self.load()
        self.scheduler.resume()
        if follow:
            self._follower = DeadlineFollower(
                self.desk, self.sync_case, self._loaded_at,
                calendar_changed=(lambda: follow_calendar_changes(self.desk))
                if self._follows_calendar else (lambda: None))
            self._follower.start()

    def catch_up_calendar(self) -> None:
        """Re-plan the deadlines a closure or hours change crosses if the process that recorded
        it died before writing the re-plans: before loading, so a deadline the change moved is
        not judged at its old time. A failure is logged, not fatal: the scheduler still runs,
        and a deadline judged at a stale due time records nothing (the case decides)."""
        try:
            moved = follow_calendar_changes(self.desk)
        except Exception:
            log.exception("could not re-plan deadlines after calendar changes; the next "
                          "closure, hours change or start tries again")
            return
        if moved:
            log.info("re-planned the deadlines of %d cases after calendar changes", moved)

    def stop(self) -> None:
        follower = self._follower
        if follower is not None:
            follower.stop()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if follower is not None:
            follower.join()

    def fire_due(self) -> int:
        """The job: judge every deadline due by now, then arm for the next. Returns how many
        were judged."""
        with self._lock:
            self._job.running()
            due = self._index.pop_due(self.clock())
        for deadline in due:
            self.fire(deadline.case_id, deadline.target, deadline.due_at)
        with self._lock:
            if not due:  # the injected clock lags APScheduler's: look again, do not spin
                self._job.idle()
            self._arm(force=True)
        return len(due)

    def fire(self, case_id: UUID, target: str, due_at: datetime) -> bool:
        """Ask the desk to record the breach; it refuses if nothing was missed. Returns whether
        it recorded one. If asking fails, the deadline stays (or goes back) in the index, to be
        tried again after its backoff."""
        deadline = PendingDeadline(case_id, target, due_at)
        try:
            judge = self._judge or self.desk.record_deadline_missed
            recorded = judge(case_id, target, due_at)
        except Exception as error:  # a failing firing must not stop the scheduler, nor lose it
            self._retry_later(deadline, error)
            return False
        if recorded:
            log.info("%s: case %s target %s at %s", self.fact, case_id, target,
                     due_at.isoformat())
        with self._lock:
            self.recorded += recorded
            self._retries.succeeded(deadline)
            # Only this due time: a deadline already moved to a new due time stays.
            self._index.remove(case_id, target, due_at)
            self._arm()
        return recorded

    def _retry_later(self, deadline: PendingDeadline, error: Exception) -> None:
        """Put a deadline whose firing failed back, to be tried after its backoff; log a
        warning, with the traceback for the first failure in a row only."""
        with self._lock:
            failures = self._retries.failed(deadline)
            delay = retry_delay(failures)
            retried = self._index.retry(deadline, self.clock() + delay)
            if not retried:  # a sync moved it meanwhile: the new due time is watched instead
                self._retries.forget(deadline.case_id, deadline.target)
            self._arm()
        then = f"trying again in {delay.total_seconds():g} s" if retried else "it moved since"
        log.warning("could not judge %s/%s due %s (failure %d in a row: %s); %s",
                    deadline.case_id, deadline.target, deadline.due_at, failures, error, then,
                    exc_info=error if failures == 1 else None)

    def _arm(self, force: bool = False) -> None:
        """Hold the job at the index's earliest time to try; with the lock held."""
        self._job.arm(self._index.earliest(), force)

    def sync_case(self, case_id: UUID) -> None:
        """Make the case's indexed deadlines match its targets as they stand now."""
        watched = self._watched(self.desk, case_id)
        if watched is None:
            return
        now = self.clock()
        past = []
        with self._lock:
            for name, due in watched.items():
                self._retries.forget(case_id, name, unless_due=due)  # met or moved
                if due is None:
                    self._index.remove(case_id, name)
                elif due > now:
                    self._index.put(case_id, name, due)
                elif self._index.get(case_id, name) == due and self._retries.failures(
                        PendingDeadline(case_id, name, due)):
                    continue  # failed before: the job tries it again after its backoff
                else:
                    # Judged below; if that fails, fire() puts it back at this due time.
                    self._index.remove(case_id, name)
                    past.append((name, due))
            self._arm()
        for name, due in past:
            self.fire(case_id, name, due)

    def deadlines(self) -> dict[tuple[UUID, str], datetime]:
        """Every deadline watched, as (case, target) -> due time."""
        with self._lock:
            return self._index.as_dict()

    def status(self) -> dict[str, Any]:
        with self._lock:
            scheduled, next_due = len(self._index), self._index.earliest()
        return {"scheduled": scheduled, "next_due": next_due.astimezone(UTC) if next_due
                else None, "recorded": self.recorded, "position": self.position}
