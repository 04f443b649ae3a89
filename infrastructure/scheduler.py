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
from infrastructure.leadership import AdvisoryLock, Election
from infrastructure.settings import Settings

log = logging.getLogger("civicdesk.scheduler")

# Events after which a case's watched due times may differ.
TARGET_EVENTS = ("TargetsSet", "TargetsRescheduled", "WaitingOnCustomer", "Acknowledged",
                 "InterimResponseSent", "Resolved", "InteractionLogged", "DeadlineMissed",
                 "Reopened", "Received", "WaitMeasured")


@dataclass(frozen=True)
class PendingDeadline:
    case_id: UUID
    target: str
    due_at: datetime


def job_id(case_id: UUID, target: str) -> str:
    return f"{case_id}/{target}"


class DeadlineScheduler:
    """One per leader process. `clock` is the desk's clock, so tests move time by hand."""

    def __init__(self, desk: ServiceDesk, pending: Callable[[], tuple[int, Iterable[
                 PendingDeadline]]], clock: Callable[[], datetime] | None = None) -> None:
        self.desk = desk
        self.pending = pending
        self.clock = clock or desk.clock
        self.scheduler = BackgroundScheduler(timezone=UTC, job_defaults={
            # A job that fires late must still run: the default grace of 1 s would skip it.
            "misfire_grace_time": None, "coalesce": True, "max_instances": 1})
        self.recorded = 0
        self._follower: threading.Thread | None = None
        self._subscription: ApplicationSubscription[Any] | None = None
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
            self._follower = threading.Thread(target=self._follow, name="deadline-follower",
                                              daemon=True)
            self._follower.start()

    def stop(self) -> None:
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
        self._unschedule(case_id, target)
        return recorded

    def _schedule(self, deadline: PendingDeadline) -> None:
        self.scheduler.add_job(self.fire, trigger="date", run_date=deadline.due_at,
                               args=[deadline.case_id, deadline.target, deadline.due_at],
                               id=job_id(deadline.case_id, deadline.target),
                               replace_existing=True)

    def _unschedule(self, case_id: UUID, target: str) -> None:
        with contextlib.suppress(JobLookupError):
            self.scheduler.remove_job(job_id(case_id, target))

    def sync_case(self, case_id: UUID) -> None:
        """Make the case's jobs match its targets as they stand now."""
        case: object = self.desk.repository.get(case_id)
        if not isinstance(case, Case):
            return
        now = self.clock()
        for name, target in case.targets.items():
            due = target.watched_due_at
            if due is None:
                self._unschedule(case_id, name)
            elif due <= now:
                self.fire(case_id, name, due)
            else:
                self._schedule(PendingDeadline(case_id, name, due))

    # -- following the log --------------------------------------------------------------------

    def _follow(self) -> None:
        topics = [f"domain.cases:Case.{name}" for name in TARGET_EVENTS]
        self._subscription = ApplicationSubscription(app=self.desk, gt=self.position,
                                                     topics=topics)
        try:
            for event, tracking in self._subscription:
                self.position = tracking.notification_id
                self.sync_case(event.originator_id)
        except Exception:
            log.exception("the deadline follower stopped")

    # -- status -------------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        jobs = self.scheduler.get_jobs() if self.scheduler.running else []
        next_due = min((j.next_run_time for j in jobs if j.next_run_time), default=None)
        return {"scheduled": len(jobs), "next_due": next_due.astimezone(UTC) if next_due
                else None, "recorded": self.recorded, "position": self.position}


class SchedulerService:
    """The scheduler as a process runs it: elected on PostgreSQL, always leading on SQLite."""

    def __init__(self, settings: Settings, desk: ServiceDesk, view: Any,
                 interval: float = 2.0) -> None:
        self.desk = desk
        self.view = view
        self.scheduler: DeadlineScheduler | None = None
        lock = (AdvisoryLock(settings.database_url, settings.database_schema or "public")
                if settings.database_url else None)
        self.election = Election(lock, lead=self._lead, stand_down=self._stand_down,
                                 interval=interval)

    def _pending(self) -> tuple[int, Iterable[PendingDeadline]]:
        position, rows = self.view.pending()
        return position, (PendingDeadline(case_id, target, due) for case_id, target, due in rows)

    def _lead(self) -> None:
        self.scheduler = DeadlineScheduler(self.desk, self._pending)
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
