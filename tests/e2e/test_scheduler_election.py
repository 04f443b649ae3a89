"""Two real `civicdesk scheduler` processes on PostgreSQL: one leads, the other takes over.

Each process is started as an operator starts it (`python -m api.cli scheduler`), configured
only by `CIVICDESK_*` environment variables, in a fresh schema of its own. Their stdout lines
("scheduler: leader" / "scheduler: standby") are read by a thread into a queue and awaited
with a time limit; breaches are awaited by polling the database within a time limit. Nothing
sleeps for a fixed time.
"""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from uuid import UUID

import pytest

from application.commands import ReceiveCase
from application.customers import Intake
from application.desk import ServiceDesk
from domain.actors import SCHEDULER, Actor, Role
from engine.runner import ProjectionSet
from infrastructure.bootstrap import build_desk, seed_catalogue
from infrastructure.settings import Settings
from projections.pending_deadlines import PENDING_DEADLINES
from tests.command_line import ROOT, TEST_MASTER_KEY, environment
from tests.conftest import POSTGRES_URL, fresh_postgres_schema

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

LEADER, STANDBY = "scheduler: leader", "scheduler: standby"
START_LIMIT_SECONDS = 60.0  # the first role line, including the interpreter's start
TAKEOVER_LIMIT_SECONDS = 10.0
STOP_LIMIT_SECONDS = 20.0
CSR = Actor(id="csr-ana", role=Role.CSR)


class SchedulerProcess:
    """`civicdesk scheduler` in a child process, its stdout lines in a queue."""

    def __init__(self, name: str, env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.stderr"
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "scheduler"], cwd=ROOT, env=env,
            stdout=subprocess.PIPE, stderr=self._log, text=True, bufsize=1)
        self.lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, name=f"{name}-stdout", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)  # end of output: the process exited

    def next_line(self, timeout: float) -> str:
        """The next line the process prints, waiting at most `timeout` seconds."""
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"{self.name} printed nothing within {timeout:g} s\n"
                                 f"{self.log()}") from None
        if line is None:
            raise AssertionError(f"{self.name} exited ({self.process.poll()})\n{self.log()}")
        return line

    def printed_nothing_more(self) -> bool:
        return self.lines.empty()

    def terminate(self) -> int:
        """SIGTERM, and the exit code once it has stopped."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=STOP_LIMIT_SECONDS)

    def kill(self) -> None:
        """SIGKILL: nothing in the process runs any more, so only PostgreSQL noticing the
        dropped connection can release its lock."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=STOP_LIMIT_SECONDS)

    def close(self) -> None:
        self.kill()
        self._log.close()

    def log(self) -> str:
        self._log.flush()
        return f"--- {self.name} stderr ---\n{self.log_path.read_text()}"


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[Settings]:
    """A fresh schema, dropped afterwards."""
    with fresh_postgres_schema("e2e_sched") as schema:
        yield Settings(data_dir=tmp_path, database_url=POSTGRES_URL, database_schema=schema,
                       master_key=TEST_MASTER_KEY)


@pytest.fixture
def desk(settings: Settings) -> Iterator[ServiceDesk]:
    """The desk's tables, catalogue and pending deadlines view, made before any scheduler
    starts (as a server would have made them)."""
    app = build_desk(settings)
    seed_catalogue(app)
    ProjectionSet(settings, app, [PENDING_DEADLINES]).close()
    yield app
    app.close()


@pytest.fixture
def start_scheduler(settings: Settings,
                    tmp_path: Path) -> Iterator[Callable[[str], SchedulerProcess]]:
    started: list[SchedulerProcess] = []
    env = environment(settings, PYTHONUNBUFFERED="1")

    def start(name: str) -> SchedulerProcess:
        process = SchedulerProcess(name, env, tmp_path)
        started.append(process)
        return process

    yield start
    for process in started:
        process.close()


def overdue_email(desk: ServiceDesk) -> UUID:
    """An email received 30 days ago and entered now: its one target, acknowledgement within
    2 business days, is long past."""
    now = desk.clock()
    return desk.handle(CSR, ReceiveCase(
        channel="email", received_at=now - timedelta(days=30), purpose="information",
        department="planning", subject="Fence permit", description="Question about a fence",
        customer=Intake(personal={"name": "Bo"}))).case.id


def eventually_missed(desk: ServiceDesk, case_id: UUID, limit: float) -> list[object]:
    """The case's DeadlineMissed events, once there are any (polled within `limit` seconds)."""
    deadline = time.monotonic() + limit
    while True:
        missed = [e for e in desk.case_events(CSR, case_id)
                  if type(e).__name__ == "DeadlineMissed"]
        if missed or time.monotonic() > deadline:
            return missed
        time.sleep(0.1)


def test_one_scheduler_leads_and_a_standby_takes_over_when_it_is_killed(
        desk: ServiceDesk, start_scheduler: Callable[[str], SchedulerProcess]) -> None:
    # Given an email whose acknowledgement is already overdue
    first_email = overdue_email(desk)

    # When two scheduler processes start on the same schema, the second once the first has
    # settled its role (started at the same instant they may deadlock creating the event
    # store's functions and triggers: reported, infrastructure/recorders.py)
    one = start_scheduler("one")
    roles = {one.name: one.next_line(START_LIMIT_SECONDS)}
    two = start_scheduler("two")
    roles[two.name] = two.next_line(START_LIMIT_SECONDS)

    # Then exactly one leads and the other stands by
    assert sorted(roles.values()) == [LEADER, STANDBY], roles
    leader, standby = (one, two) if roles[one.name] == LEADER else (two, one)
    # And the leader judged the overdue deadline, as the scheduler
    missed = eventually_missed(desk, first_email, limit=15)
    assert [getattr(e, "target", None) for e in missed] == ["acknowledge"]
    assert getattr(missed[0], "actor_id", None) == SCHEDULER.id
    # And the standby has not claimed the lead meanwhile
    assert standby.printed_nothing_more()

    # When the leader is killed outright (SIGKILL: it cannot release anything itself)
    killed_at = time.monotonic()
    leader.kill()

    # Then the standby says it leads within ~10 seconds
    assert standby.next_line(TAKEOVER_LIMIT_SECONDS) == LEADER
    assert time.monotonic() - killed_at < TAKEOVER_LIMIT_SECONDS
    # And it runs the scheduler: a new overdue email's breach is recorded by it
    second_email = overdue_email(desk)
    missed = eventually_missed(desk, second_email, limit=15)
    assert [getattr(e, "target", None) for e in missed] == ["acknowledge"], standby.log()

    # When it is asked to stop (SIGTERM)
    exit_code = standby.terminate()

    # Then it stops cleanly, having printed nothing more
    assert exit_code == 0, standby.log()
    assert standby.lines.get(timeout=STOP_LIMIT_SECONDS) is None  # end of its output
    assert "Traceback" not in standby.log_path.read_text(), standby.log()
