"""The deadline scheduler as a process runs it: elected on PostgreSQL, fed by the deadlines view.

The scheduler itself is infrastructure/deadline_scheduler.py (with its index, job, retries and
log follower beside it); its names are also importable from here, where they used to live.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from functools import partial
from typing import Any

from application.alerts import record_target_at_risk, watched_at_risk_times
from application.desk import ServiceDesk
from infrastructure.deadline_index import PendingDeadline
from infrastructure.deadline_job import NEXT_DEADLINE_JOB
from infrastructure.deadline_scheduler import DeadlineScheduler, Pending
from infrastructure.leadership import AdvisoryLock, Election
from infrastructure.retention_job import RetentionJob
from infrastructure.settings import Settings

__all__ = ["NEXT_DEADLINE_JOB", "DeadlineScheduler", "Pending", "PendingDeadline",
           "SchedulerService", "at_risk_scheduler", "pending_deadlines"]


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


def at_risk_scheduler(desk: ServiceDesk, view: Any,
                      clock: Callable[[], datetime] | None = None) -> DeadlineScheduler:
    """The scheduler that records each watched target `TargetAtRisk` at its at-risk instant
    (application.alerts), fed by the pending at-risk view as the deadlines' one is by theirs."""
    return DeadlineScheduler(desk, pending_deadlines(view, desk), clock,
                             judge=partial(record_target_at_risk, desk),
                             watched=watched_at_risk_times, follows_calendar=False,
                             fact="target at risk")


class SchedulerService:
    """The scheduler as a process runs it: elected on PostgreSQL, always leading on SQLite."""

    def __init__(self, settings: Settings, desk: ServiceDesk, view: Any,
                 interval: float = 2.0,
                 on_role_change: Callable[[bool], None] | None = None,
                 at_risk_view: Any = None) -> None:
        """`view` is the pending deadlines view; `at_risk_view`, if given, the pending
        at-risk instants view, and the leader then also records targets at risk."""
        self.desk = desk
        self.view = view
        self.at_risk_view = at_risk_view
        self.scheduler: DeadlineScheduler | None = None
        self.at_risk: DeadlineScheduler | None = None
        self.retention: RetentionJob | None = None
        lock = (AdvisoryLock(settings.database_url, settings.database_schema or "public")
                if settings.database_url else None)
        self.election = Election(lock, lead=self._lead, stand_down=self._stand_down,
                                 interval=interval, on_change=on_role_change)

    def _lead(self) -> None:
        self.scheduler = DeadlineScheduler(self.desk, pending_deadlines(self.view, self.desk))
        self.scheduler.start()
        if self.at_risk_view is not None:
            self.at_risk = at_risk_scheduler(self.desk, self.at_risk_view)
            self.at_risk.start()
        self.retention = RetentionJob(self.desk)
        self.retention.start()

    def _stand_down(self) -> None:
        if self.retention is not None:
            self.retention.stop()
            self.retention = None
        if self.at_risk is not None:
            self.at_risk.stop()
            self.at_risk = None
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
