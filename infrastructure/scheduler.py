"""The deadline scheduler: turns every target's due time into a recorded DeadlineMissed fact.

APScheduler 3 holds one date job per watched target, with no job store of its own: the pending
deadlines view is the store. At start every pending deadline is loaded; those already past
(downtime) are judged at once, the rest scheduled. Then the scheduler follows the event log and
re-reads any case whose events may have changed its targets, so new, moved and met deadlines
are (re)scheduled or dropped. The job only asks the application; the application decides.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from eventsourcing.projection import ApplicationSubscription

from application.desk import ServiceDesk
from domain.cases import Case
from domain.standards import TargetKind
from infrastructure.leadership import AdvisoryLock, Election
from infrastructure.settings import Settings

log = logging.getLogger("civicdesk.scheduler")
RESUBSCRIBE_SECONDS = 2.0

# Events after which a case's watched due times may differ.
TARGET_EVENTS = ("TargetsSet", "TargetsRescheduled", "WaitingOnCustomer", "Acknowledged",
                 "InterimResponseSent", "Resolved", "InteractionLogged", "DeadlineMissed",
                 "Reopened", "Received", "WaitMeasured")
TARGET_NAMES = frozenset(kind.value for kind in TargetKind)


@dataclass(frozen=True)
class PendingDeadline:
    case_id: UUID
    target: str
    due_at: datetime


def job_id(case_id: UUID, target: str) -> str:
    return f"{case_id}/{target}"


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
            "misfire_grace_time": None, "coalesce": True, "max_instances": 1})
        self.recorded = 0
        self._follower: threading.Thread | None = None
        self._subscription: ApplicationSubscription[Any] | None = None
        self._stopping = threading.Event()
        self.position = 0

    # -- start and catch up -----------------------------------------------------------------

    def load(self) -> int:
        """Schedule every pending deadline; judge at once those already due. Returns the count
        scheduled (not counting the ones judged)."""
        self.position, deadlines = self.pending()
        now = self.clock()
        for deadline in deadlines:
            if deadline.due_at <= now:
                self.fire(deadline.case_id, deadline.target, deadline.due_at)
            else:
                self._schedule(deadline)
        return len(self.scheduler.get_jobs())

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

    # -- jobs ---------------------------------------------------------------------------------

    def fire(self, case_id: UUID, target: str, due_at: datetime) -> bool:
        """The job: ask the desk to record the breach; it refuses if nothing was missed."""
        try:
            recorded = self.desk.record_deadline_missed(case_id, target, due_at)
        except Exception:  # a failing job must not stop the scheduler; the next start retries
            log.exception("could not judge %s/%s due %s", case_id, target, due_at)
            return False
        if recorded:
            self.recorded += 1
            log.info("deadline missed: case %s target %s due %s", case_id, target,
                     due_at.isoformat())
        # Only this due time's job: a job already moved to a new due time stays.
        self._unschedule(case_id, target, due_at)
        return recorded

    def _schedule(self, deadline: PendingDeadline) -> None:
        existing = self.scheduler.get_job(job_id(deadline.case_id, deadline.target))
        if existing is not None:
            if existing.args[2] == deadline.due_at:
                return
            # Before start() APScheduler keeps a list of pending jobs, where replace_existing
            # would only append a second job with the same id: remove the old one first.
            self._unschedule(deadline.case_id, deadline.target)
        # Grace and coalescing on the job itself, not only in the defaults: APScheduler
        # applies its defaults to jobs added before start() only when it starts.
        self.scheduler.add_job(self.fire, trigger="date", run_date=deadline.due_at,
                               args=[deadline.case_id, deadline.target, deadline.due_at],
                               id=job_id(deadline.case_id, deadline.target),
                               misfire_grace_time=None, coalesce=True, max_instances=1,
                               replace_existing=True)

    def _unschedule(self, case_id: UUID, target: str, due_at: datetime | None = None) -> None:
        """Remove the target's job (with `due_at`: only if it is that due time's job)."""
        if due_at is not None:
            job = self.scheduler.get_job(job_id(case_id, target))
            if job is None or job.args[2] != due_at:
                return
        with contextlib.suppress(JobLookupError):
            self.scheduler.remove_job(job_id(case_id, target))

    def sync_case(self, case_id: UUID) -> None:
        """Make the case's jobs match its targets as they stand now."""
        case: object = self.desk.repository.get(case_id)
        if not isinstance(case, Case):
            return
        now = self.clock()
        # A transfer or reclassification may drop a target the standards no longer promise.
        for name in TARGET_NAMES - case.targets.keys():
            self._unschedule(case_id, name)
        for name, target in case.targets.items():
            due = target.watched_due_at
            if due is None:
                self._unschedule(case_id, name)
            elif due <= now:
                self.fire(case_id, name, due)
            else:
                self._schedule(PendingDeadline(case_id, name, due))

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
        jobs = self.scheduler.get_jobs() if self.scheduler.running else []
        next_due = min((j.next_run_time for j in jobs if j.next_run_time), default=None)
        return {"scheduled": len(jobs), "next_due": next_due.astimezone(UTC) if next_due
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
