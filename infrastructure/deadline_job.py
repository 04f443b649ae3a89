"""The deadline scheduler's one APScheduler job, kept armed at the earliest time to try a deadline.

Why not one APScheduler job per deadline, as before: `add_job` costs about 0.1 ms (a Job, a
sorted insert into the memory store's list, an event), so 100,000 pending deadlines took 13 s
of CPU to load, and every move or drop another search of that list. The deadline index does
each in O(log n), and this one job runs at its earliest.

Arming is `reschedule_job` on the one job, or `add_job` when APScheduler has none: before the
first arming, and after each run, since APScheduler drops a date job once it has run. (It drops
it holding its job stores' lock, which `add_job` also takes, so a re-arm from the running job
cannot be dropped in its place.) Before `start()` both act on APScheduler's list of pending
jobs, which is how the tests see the job without running it.

Not thread-safe: the deadline scheduler arms it under its lock.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler

NEXT_DEADLINE_JOB = "next-deadline"
# APScheduler runs on the real clock; if the job finds nothing due by the injected clock (which
# lags it, in tests), it looks again this much later on the real clock rather than spin.
IDLE_RECHECK_SECONDS = 1.0
# Runs of the job may overlap (a deadline due while a long run is still judging): each takes
# out its own deadlines under the lock, so that is safe, whereas APScheduler would skip (and,
# for a date job, drop) a run beyond max_instances.
JOB_INSTANCES = 8


class NextDeadlineJob:
    """APScheduler's date job running `run` at the time it was last armed for."""

    def __init__(self, run: Callable[[], Any]) -> None:
        self.run = run
        self.scheduler = BackgroundScheduler(timezone=UTC, job_defaults={
            # A job that fires late must still run: the default grace of 1 s would skip it.
            "misfire_grace_time": None, "coalesce": True, "max_instances": JOB_INSTANCES})
        self._armed: datetime | None = None  # the run date the job was last given
        self._idle_until: datetime | None = None  # after a run that found nothing due

    def running(self) -> None:
        """A run has begun: APScheduler has dropped the job (a date job runs once)."""
        self._armed = None
        self._idle_until = None

    def idle(self) -> None:
        """The run found nothing due: do not run again before IDLE_RECHECK_SECONDS from now."""
        self._idle_until = datetime.now(UTC) + timedelta(seconds=IDLE_RECHECK_SECONDS)

    def arm(self, earliest: datetime | None, force: bool = False) -> None:
        """Hold the job at `earliest` (no job if None). Calls APScheduler only if the time
        changed (or `force`: after a run, APScheduler no longer has the job)."""
        run_at = earliest if earliest is None or self._idle_until is None else max(
            earliest, self._idle_until)
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
            self.scheduler.add_job(self.run, trigger="date", run_date=run_at,
                                   id=NEXT_DEADLINE_JOB, misfire_grace_time=None,
                                   coalesce=True, max_instances=JOB_INSTANCES,
                                   replace_existing=True)
