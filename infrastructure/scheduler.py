"""The deadline scheduler: turns every target's due time into a recorded DeadlineMissed fact.

The pending deadlines live in memory in a `DeadlineIndex` (a dict (case, target) -> due time
and a heap, earliest first: infrastructure/deadline_index.py), and APScheduler 3 holds ONE date
job, "next-deadline", armed at the earliest due time. When it runs it takes out every deadline
due by now, asks the application about each, and arms itself again for the next earliest.
Why not one APScheduler job per deadline, as before: `add_job` costs about 0.1 ms (a Job, a
sorted insert into the memory store's list, an event), so 100,000 pending deadlines took 13 s
of CPU to load, and every move or drop another search of that list. The index loads them with
one heapify and schedules, moves or drops one in O(log n).

There is no job store: the pending deadlines view is the store. At start every pending
deadline is read; those already past (downtime) are judged at once, the rest indexed. Then the
scheduler follows the event log and re-reads any case whose events may have changed its
targets, so new, moved and met deadlines are indexed, moved or dropped, and the job re-armed
whenever the earliest changes. The job only asks the application; the application decides, so
a late, repeated or stale firing records nothing wrong. A firing that fails (the database went
away) puts its deadline back, to be tried again RETRY_SECONDS later.

Arming (`_arm`) is `reschedule_job` on the one job, or `add_job` when APScheduler has none:
before the first arming, and after each run, since APScheduler drops a date job once it has
run. (It drops it holding its job stores' lock, which `add_job` also takes, so a re-arm from
the running job cannot be dropped in its place.) Before `start()` both act on APScheduler's
list of pending jobs, which is how the tests see the job without running it.

Threads: the follower and APScheduler's executor both change the index, under `_lock`, which
also covers arming the job (so the job is always armed at the index's earliest). The
application is never called while holding it.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from eventsourcing.projection import ApplicationSubscription

from application.desk import ServiceDesk
from domain.cases import Case
from domain.standards import TargetKind
from infrastructure.deadline_index import DeadlineIndex, PendingDeadline
from infrastructure.leadership import AdvisoryLock, Election
from infrastructure.settings import Settings

__all__ = ["NEXT_DEADLINE_JOB", "DeadlineScheduler", "Pending", "PendingDeadline",
           "SchedulerService", "pending_deadlines"]

log = logging.getLogger("civicdesk.scheduler")
RESUBSCRIBE_SECONDS = 2.0
NEXT_DEADLINE_JOB = "next-deadline"
# After a failed firing, the job waits this long before trying again (not a hot loop against
# a database that is down).
RETRY_SECONDS = 5.0
# APScheduler runs on the real clock; if the job finds nothing due by the injected clock (which
# lags it, in tests), it looks again this much later on the real clock rather than spin.
IDLE_RECHECK_SECONDS = 1.0
# Runs of the job may overlap (a deadline due while a long run is still judging): each takes
# out its own deadlines under the lock, so that is safe, whereas APScheduler would skip (and,
# for a date job, drop) a run beyond max_instances.
JOB_INSTANCES = 8

# Events after which a case's watched due times may differ.
TARGET_EVENTS = ("TargetsSet", "TargetsRescheduled", "WaitingOnCustomer", "Acknowledged",
                 "InterimResponseSent", "Resolved", "InteractionLogged", "DeadlineMissed",
                 "Reopened", "Received", "WaitMeasured")
TARGET_NAMES = frozenset(kind.value for kind in TargetKind)


Pending = Callable[[], tuple[int, Iterable[PendingDeadline]]]


def pending_deadlines(view: Any, desk: ServiceDesk) -> Pending:
    """The pending deadlines view as the scheduler reads it: the log position its rows are
    as of, and the rows.

    The position is the view's tracking row for this desk, read before the rows, so the rows
    are at least as new: following the log from there may re-sync a case, never miss one.
    (The position `view.pending()` returns reads the tracking table without naming the
    application, and can get eventsourcing's `__migration__` row, 1: the follower would then
    re-read every case in the log at every start.)
    """
    def pending() -> tuple[int, Iterable[PendingDeadline]]:
        position = int(view.max_tracking_id(desk.name) or 0)
        _, rows = view.pending()
        return position, (PendingDeadline(case_id, target, due) for case_id, target, due in rows)

    return pending


class DeadlineScheduler:
    """One per leader process. `clock` is the desk's clock, so tests move time by hand."""

    def __init__(self, desk: ServiceDesk, pending: Pending,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.desk = desk
        self.pending = pending
        self.clock = clock or desk.clock
        self.scheduler = BackgroundScheduler(timezone=UTC, job_defaults={
            # A job that fires late must still run: the default grace of 1 s would skip it.
            "misfire_grace_time": None, "coalesce": True, "max_instances": JOB_INSTANCES})
        self.recorded = 0
        self._index = DeadlineIndex()
        self._lock = threading.Lock()
        self._armed: datetime | None = None  # the run date the job was last given
        self._retry_at: datetime | None = None  # after a failure: no firing before this
        self._follower: threading.Thread | None = None
        self._subscription: ApplicationSubscription[Any] | None = None
        self._stopping = threading.Event()
        self.position = 0

    # -- start and catch up -----------------------------------------------------------------

    def load(self) -> int:
        """Index every pending deadline; judge at once those already due. Returns the count
        indexed (not counting the ones judged)."""
        self.position, deadlines = self.pending()
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
        self.scheduler.start(paused=True)
        self.load()
        self.scheduler.resume()
        if follow:
            # Subscribed here, not in the thread, so a stop() right after start() finds it.
            self._subscription = self._subscribe()
            self._follower = threading.Thread(target=self._follow, name="deadline-follower",
                                              daemon=True)
            self._follower.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._subscription is not None:
            self._subscription.stop()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if self._follower is not None:
            self._follower.join(timeout=5)

    # -- the job ------------------------------------------------------------------------------

    def fire_due(self) -> int:
        """The job: judge every deadline due by now, then arm for the next. Returns how many
        were judged."""
        with self._lock:
            self._armed = None  # APScheduler drops a date job once it has run
            due = self._index.pop_due(self.clock())
        for deadline in due:
            self.fire(deadline.case_id, deadline.target, deadline.due_at)
        with self._lock:
            if not due:  # the injected clock lags APScheduler's: look again, do not spin
                self._retry_at = datetime.now(UTC) + timedelta(seconds=IDLE_RECHECK_SECONDS)
            self._arm(force=True)
        return len(due)

    def fire(self, case_id: UUID, target: str, due_at: datetime) -> bool:
        """Ask the desk to record the breach; it refuses if nothing was missed. Returns whether
        it recorded one. If asking fails, the deadline stays (or goes back) in the index, and
        the job tries it again RETRY_SECONDS later."""
        try:
            recorded = self.desk.record_deadline_missed(case_id, target, due_at)
        except Exception:  # a failing firing must not stop the scheduler, nor lose the deadline
            log.exception("could not judge %s/%s due %s; trying again in %g s", case_id,
                          target, due_at, RETRY_SECONDS)
            with self._lock:
                self._index.add_if_absent(PendingDeadline(case_id, target, due_at))
                self._retry_at = self.clock() + timedelta(seconds=RETRY_SECONDS)
                self._arm()
            return False
        if recorded:
            log.info("deadline missed: case %s target %s due %s", case_id, target,
                     due_at.isoformat())
        with self._lock:
            self.recorded += recorded
            self._retry_at = None
            # Only this due time: a deadline already moved to a new due time stays.
            self._index.remove(case_id, target, due_at)
            self._arm()
        return recorded

    def _arm(self, force: bool = False) -> None:
        """Hold the one job at the index's earliest due time (none if the index is empty).
        Called with the lock held, after every change; calls APScheduler only if the time
        changed (or `force`: the job has run, so APScheduler no longer has it)."""
        earliest = self._index.earliest()
        run_at = earliest if earliest is None or self._retry_at is None else max(
            earliest, self._retry_at)
        if run_at == self._armed and not force:
            return
        self._armed = run_at
        if run_at is None:
            with contextlib.suppress(JobLookupError):
                self.scheduler.remove_job(NEXT_DEADLINE_JOB)
            return
        try:
            self.scheduler.reschedule_job(NEXT_DEADLINE_JOB, trigger="date", run_date=run_at)
        except JobLookupError:  # never armed, or it has run and APScheduler dropped it
            # Grace, coalescing and instances on the job itself: APScheduler applies its
            # defaults to jobs added before start() only when it starts.
            self.scheduler.add_job(self.fire_due, trigger="date", run_date=run_at,
                                   id=NEXT_DEADLINE_JOB, misfire_grace_time=None,
                                   coalesce=True, max_instances=JOB_INSTANCES,
                                   replace_existing=True)

    # -- following cases ----------------------------------------------------------------------

    def sync_case(self, case_id: UUID) -> None:
        """Make the case's indexed deadlines match its targets as they stand now."""
        case: object = self.desk.repository.get(case_id)
        if not isinstance(case, Case):
            return
        now = self.clock()
        past = []
        with self._lock:
            # A transfer or reclassification may drop a target the standards no longer promise.
            for name in TARGET_NAMES - case.targets.keys():
                self._index.remove(case_id, name)
            for name, target in case.targets.items():
                due = target.watched_due_at
                if due is None:
                    self._index.remove(case_id, name)
                elif due <= now:
                    # Judged below; if that fails, fire() puts it back at this due time.
                    self._index.remove(case_id, name)
                    past.append((name, due))
                else:
                    self._index.put(case_id, name, due)
            self._arm()
        for name, due in past:
            self.fire(case_id, name, due)

    def deadlines(self) -> dict[tuple[UUID, str], datetime]:
        """Every deadline watched, as (case, target) -> due time."""
        with self._lock:
            return self._index.as_dict()

    # -- following the log --------------------------------------------------------------------

    def _subscribe(self) -> ApplicationSubscription[Any]:
        topics = [f"domain.cases:Case.{name}" for name in TARGET_EVENTS]
        return ApplicationSubscription(app=self.desk, gt=self.position, topics=topics)

    def _follow(self) -> None:
        """Sync every case whose targets may have changed. If reading the log fails (the
        database went away), follow again from the last position synced: a follower that
        died quietly would leave new and moved deadlines unscheduled."""
        subscription = self._subscription
        while not self._stopping.is_set():
            try:
                if subscription is None:
                    subscription = self._subscription = self._subscribe()
                    if self._stopping.is_set():  # stop() came meanwhile
                        subscription.stop()
                for event, tracking in subscription:
                    self.sync_case(event.originator_id)
                    self.position = tracking.notification_id
                return  # stopped
            except Exception:
                log.exception("the deadline follower failed; following again from %s",
                              self.position)
            if subscription is not None:
                with contextlib.suppress(Exception):
                    subscription.stop()
            subscription = None
            if self._stopping.wait(RESUBSCRIBE_SECONDS):
                return

    # -- status -------------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        with self._lock:
            scheduled, next_due = len(self._index), self._index.earliest()
        return {"scheduled": scheduled, "next_due": next_due.astimezone(UTC) if next_due
                else None, "recorded": self.recorded, "position": self.position}


class SchedulerService:
    """The scheduler as a process runs it: elected on PostgreSQL, always leading on SQLite."""

    def __init__(self, settings: Settings, desk: ServiceDesk, view: Any,
                 interval: float = 2.0,
                 on_role_change: Callable[[bool], None] | None = None) -> None:
        self.desk = desk
        self.view = view
        self.scheduler: DeadlineScheduler | None = None
        lock = (AdvisoryLock(settings.database_url, settings.database_schema or "public")
                if settings.database_url else None)
        self.election = Election(lock, lead=self._lead, stand_down=self._stand_down,
                                 interval=interval, on_change=on_role_change)

    def _lead(self) -> None:
        self.scheduler = DeadlineScheduler(self.desk, pending_deadlines(self.view, self.desk))
        self.scheduler.start()

    def _stand_down(self) -> None:
        if self.scheduler is not None:
            self.scheduler.stop()
            self.scheduler = None

    def start(self) -> None:
        self.election.start()

    def stop(self) -> None:
        self.election.stop()

    def status(self) -> dict[str, Any]:
        scheduler = self.scheduler
        details = scheduler.status() if scheduler is not None else {
            "scheduled": 0, "next_due": None, "recorded": 0, "position": None}
        return {"role": "leader" if self.election.is_leader else "standby", **details}
