"""The retention run as the elected scheduler runs it: the process that leads (always on
SQLite; the holder of the advisory lock on PostgreSQL) shreds, at its start and daily after,
every customer past the schedule; a standby shreds no one until it takes over.

The desk's clock is moved past the schedule by hand; APScheduler runs the job at once when the
leader starts (then every 24 hours), so the tests poll for that thread's work, never for a
deadline. A service request closed 2026-03-05 15:00 UTC keeps its customer 2 years: until
2028-03-05 15:00 UTC."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from application.desk import ServiceDesk
from domain.cases import Case
from engine.runner import ProjectionSet
from infrastructure.leadership import AdvisoryLock
from infrastructure.retention_job import RETENTION_JOB
from infrastructure.scheduler import SchedulerService
from infrastructure.settings import Settings
from projections.pending_deadlines import PENDING_DEADLINES
from tests.conftest import MovableClock, running_projections
from tests.integration.test_retention import closed_case

PAST_RETENTION = datetime(2028, 3, 5, 15, 0, tzinfo=UTC)  # closure 2026-03-05 15:00 + 2 years


@pytest.fixture
def projections(settings: Settings, desk: ServiceDesk) -> Iterator[ProjectionSet]:
    """The pending deadlines view the scheduler service reads (its deadline half)."""
    with running_projections(settings, desk, PENDING_DEADLINES) as read_models:
        yield read_models


@pytest.fixture
def service(settings: Settings, desk: ServiceDesk,
            projections: ProjectionSet) -> Iterator[SchedulerService]:
    """The scheduler service a process runs, contending every 0.05 s; not started."""
    scheduler = SchedulerService(settings, desk, projections.view(PENDING_DEADLINES.name),
                                 interval=0.05)
    yield scheduler
    scheduler.stop()


def eventually(condition: Callable[[], bool], limit: float = 20.0) -> bool:
    """Poll `condition()` until it holds or `limit` seconds pass (waiting for a thread's work,
    never for a deadline)."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def status_of(desk: ServiceDesk, case: Case) -> str:
    return desk.customers.details(case.customer_id).status


def test_the_elected_scheduler_shreds_a_customer_past_retention_when_it_starts(
        desk: ServiceDesk, clock: MovableClock, service: SchedulerService) -> None:
    # given a service request closed 2026-03-05 15:00, and the desk's clock at closure + 2 y
    case = closed_case(desk, clock)
    clock.now = PAST_RETENTION
    assert status_of(desk, case) == "held"
    # when the scheduler service starts (and is elected: alone on PostgreSQL; SQLite leads)
    service.start()
    # then its retention run shreds the customer, and stays armed to run again daily
    assert eventually(lambda: status_of(desk, case) == "erased"), service.status()
    assert service.election.is_leader
    assert service.retention is not None
    job = service.retention.scheduler.get_job(RETENTION_JOB)
    assert job is not None and job.trigger.interval == timedelta(hours=24)
    # and once stopped it holds no retention job any more
    service.stop()
    assert service.retention is None


def test_a_customer_within_retention_is_kept_by_the_scheduler_s_run(
        desk: ServiceDesk, clock: MovableClock, service: SchedulerService) -> None:
    # given the desk's clock one second before closure + 2 years
    case = closed_case(desk, clock)
    clock.now = PAST_RETENTION - timedelta(seconds=1)
    # when the scheduler starts and its retention run at start has run (APScheduler then
    # moves the job's next run a day on: the wall clock's, as it runs on that)
    started = datetime.now(UTC)
    service.start()
    assert eventually(lambda: next_run(service) > started + timedelta(hours=23)), (
        next_run(service))
    # then the customer is held: the run is judged on the desk's clock, not the wall's
    assert status_of(desk, case) == "held"


def next_run(service: SchedulerService) -> datetime:
    """When the leader's retention job runs next (the epoch while it has none)."""
    retention = service.retention
    job = retention.scheduler.get_job(RETENTION_JOB) if retention is not None else None
    when = job.next_run_time if job is not None else None
    return when if isinstance(when, datetime) else datetime(1970, 1, 1, tzinfo=UTC)


@pytest.mark.postgres
def test_a_standby_shreds_no_one_until_it_is_elected(
        settings: Settings, desk: ServiceDesk, clock: MovableClock,
        service: SchedulerService) -> None:
    if settings.database_url is None:
        pytest.skip("one process always leads on SQLite: there is no standby")
    # given another process holding the scheduler's lock, and a customer past retention
    other = AdvisoryLock(settings.database_url, settings.database_schema or "public")
    assert other.try_acquire()
    case = closed_case(desk, clock)
    clock.now = PAST_RETENTION
    roles: list[bool] = []
    service.election.on_change = roles.append
    try:
        # when this process's scheduler starts, it stands by: no retention job, no shredding
        service.start()
        assert eventually(lambda: roles == [False]), roles
        assert service.retention is None
        assert status_of(desk, case) == "held"
    finally:
        # and when the leader goes away
        other.release()
    # then this one is elected and its retention run shreds the customer
    assert eventually(lambda: status_of(desk, case) == "erased"), roles
    assert roles == [False, True]
