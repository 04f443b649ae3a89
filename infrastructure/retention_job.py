"""The scheduler's retention run: at start and then once a day, while this process leads,
shred the personal information of every customer past the retention schedule
(application.retention). Judged on the desk's clock, so tests move time by hand."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from uuid import UUID

from apscheduler.schedulers.background import BackgroundScheduler

from application.desk import ServiceDesk
from application.retention import retire_due

log = logging.getLogger("civicdesk.retention")
RETENTION_JOB = "retention"
EVERY_HOURS = 24


class RetentionJob:
    def __init__(self, desk: ServiceDesk, every_hours: float = EVERY_HOURS) -> None:
        self.desk = desk
        self.scheduler = BackgroundScheduler(timezone=UTC)
        # Late runs still run (the default grace of 1 s would skip them), once.
        self.scheduler.add_job(self.run, "interval", hours=every_hours, id=RETENTION_JOB,
                               next_run_time=datetime.now(UTC), misfire_grace_time=None,
                               coalesce=True, max_instances=1)

    def run(self) -> list[UUID]:
        """One pass; a failure is logged and retried at the next run, never fatal."""
        try:
            retired = retire_due(self.desk)
        except Exception:
            log.exception("the retention run failed; it runs again tomorrow (or at restart)")
            return []
        if retired:
            log.info("retention: the personal information of %d customers was shredded",
                     len(retired))
        return retired

    def start(self) -> None:
        self.scheduler.start()

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
