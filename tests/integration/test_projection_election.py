"""One runner per projection among PostgreSQL processes: each projection's advisory lock elects
the process that runs it; the others stand by, serve reads, and take over when it stops.

Two `ProjectionSet`s stand for two processes: each has its own desk and connections, and
advisory locks belong to a session, so they contend exactly as two processes do.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

import pytest

from application.desk import ServiceDesk
from engine.runner import RUNNING, STANDBY, ProjectionSet
from infrastructure.bootstrap import build_desk
from infrastructure.settings import Settings
from projections.case_index import CASE_INDEX
from projections.pending_deadlines import PENDING_DEADLINES
from tests.integration.test_rebuild import CATCH_UP_SECONDS, case_ids, receive, record_history
from tests.integration.test_view_schema_upgrade import (
    made_before_fingerprints,
    running_and_caught_up,
)

SPECS = [CASE_INDEX, PENDING_DEADLINES]
NAMES = [spec.name for spec in SPECS]
TAKEOVER_SECONDS = 10.0


@pytest.fixture
def settings(settings: Settings) -> Settings:
    if not settings.is_postgres:
        pytest.skip("SQLite is one process per file: no election")
    return settings


@pytest.fixture
def other_desk(settings: Settings) -> Iterator[ServiceDesk]:
    """The desk of a second process: its own connections."""
    desk = build_desk(settings)
    yield desk
    desk.close()


def quick(projections: ProjectionSet) -> ProjectionSet:
    projections.ELECTION_SECONDS = 0.2
    return projections


def roles(projections: ProjectionSet) -> dict[str, str]:
    return {report.name: report.role for report in projections.positions()}


class TestOneRunnerPerProjection:
    def test_the_second_process_stands_by_serves_reads_and_takes_over(
            self, settings: Settings, desk: ServiceDesk, other_desk: ServiceDesk) -> None:
        first = quick(ProjectionSet(settings, desk, SPECS))
        second = quick(ProjectionSet(settings, other_desk, SPECS))
        try:
            # Given a process that runs the projections, and a second one starting
            first.start()
            second.start()
            # Then the first runs each projection and the second stands by
            assert roles(first) == dict.fromkeys(NAMES, RUNNING)
            assert roles(second) == dict.fromkeys(NAMES, STANDBY)
            # and the second serves reads of the tables the first keeps, and may wait for
            # them (a standby is not a failure)
            head = record_history(desk, cases=10)
            second.wait_for(head, timeout=CATCH_UP_SECONDS)
            assert case_ids(second) == case_ids(first)
            # When the first stops
            first.close()
            # Then the second takes over within seconds and follows new events
            deadline = time.monotonic() + TAKEOVER_SECONDS
            while roles(second) != dict.fromkeys(NAMES, RUNNING):
                assert time.monotonic() < deadline, second.positions()
                time.sleep(0.05)
            late = receive(other_desk)
            second.wait_for(late.position, timeout=CATCH_UP_SECONDS)
            assert late.case.id in case_ids(second)
            assert [report.error for report in second.positions()] == [None, None]
        finally:
            first.close()
            second.close()

    def test_a_stopped_standby_set_starts_contending_again(
            self, settings: Settings, desk: ServiceDesk, other_desk: ServiceDesk) -> None:
        first = quick(ProjectionSet(settings, desk, [CASE_INDEX]))
        second = quick(ProjectionSet(settings, other_desk, [CASE_INDEX]))
        try:
            first.start()
            second.start()
            second.stop()
            assert roles(second) == {CASE_INDEX.name: "stopped"}
            first.stop()
            second.start()
            assert roles(second) == {CASE_INDEX.name: RUNNING}
            first.start()
            assert roles(first) == {CASE_INDEX.name: STANDBY}
        finally:
            first.close()
            second.close()


class TestUpgradeWithTwoProcesses:
    def test_two_processes_starting_at_once_on_old_tables_rebuild_them_once(
            self, settings: Settings, desk: ServiceDesk, other_desk: ServiceDesk,
            caplog: pytest.LogCaptureFixture) -> None:
        # Given tables an older civicdesk made
        record_history(desk, cases=20)
        expected = made_before_fingerprints(settings, desk)
        caplog.set_level(logging.WARNING, logger="civicdesk.projections")
        first = quick(ProjectionSet(settings, desk, [CASE_INDEX]))
        second = quick(ProjectionSet(settings, other_desk, [CASE_INDEX]))
        try:
            # When two processes start at once
            starts = [threading.Thread(target=first.start), threading.Thread(target=second.start)]
            for start in starts:
                start.start()
            for start in starts:
                start.join()
            # Then one of them rebuilds, once, and runs; the other stands by
            leader, standby = (first, second) if first.role(CASE_INDEX.name) != STANDBY \
                else (second, first)
            running_and_caught_up(leader, desk.log_position())
            assert standby.role(CASE_INDEX.name) == STANDBY
            warnings = [record.getMessage() for record in caplog.records]
            assert len([w for w in warnings if "rebuilding from the log" in w]) == 1, warnings
            assert leader.view(CASE_INDEX.name).current_generation() == 1
            assert standby.view(CASE_INDEX.name).snapshot() == expected
        finally:
            first.close()
            second.close()
