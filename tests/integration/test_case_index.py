"""The case index read model, run by the projection machinery on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import dataclasses
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, timedelta
from typing import Any, ClassVar
from uuid import uuid4

import pytest
from eventsourcing.persistence import Tracking
from eventsourcing.utils import get_topic

from application.desk import ServiceDesk
from application.queries import CaseSummary, visible_departments
from domain.actors import Actor, Role
from domain.cases import Case
from domain.errors import InvalidValue
from engine.failures import EventNotApplied
from engine.runner import ProjectionNotReady, ProjectionSet, ProjectionSpec
from infrastructure.settings import Settings
from projections.case_index import (
    CASE_INDEX,
    PostgresCaseIndexView,
    SQLiteCaseIndexView,
)
from tests.commanding import change_case
from tests.conftest import running_projections
from tests.receiving import receive

ADMIN = Actor(id="admin-al", role=Role.ADMIN)
CSR = Actor(id="csr-ana", role=Role.CSR)
ROADS = Actor(id="staff-bo", role=Role.STAFF, departments=frozenset({"public-works"}))


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


def change(desk: ServiceDesk, case: Any, command: str, **arguments: Any) -> Any:
    return change_case(desk, ADMIN, case.id, command, expected_version=None, **arguments)


def every_row(projections: ProjectionSet, visible: frozenset[str] | None = None,
              **filters: Any) -> list[CaseSummary]:
    rows, cursor = projections.view("case_index").list_cases(visible, limit=200, **filters)
    assert cursor is None
    return list(rows)


def assert_index_matches_desk(desk: ServiceDesk, projections: ProjectionSet,
                              expected_cases: int) -> None:
    rows = every_row(projections)
    assert len(rows) == len({row.id for row in rows}) == expected_cases
    for row in rows:
        case = desk.get_case(ADMIN, row.id)
        assert (row.reference, row.status, row.department, row.assignee, row.classification,
                row.escalation_level, row.version, row.transfers, row.received_at) == (
            case.reference, case.status, case.department, case.assignee, case.classification,
            case.escalation_level, case.version, len(case.transfers),
            case.received_at.astimezone(UTC))


@pytest.fixture
def projections(settings: Settings, desk: ServiceDesk) -> Iterator[ProjectionSet]:
    with running_projections(settings, desk, CASE_INDEX) as running:
        yield running


class TestFollowingTheLog:
    def test_a_received_case_appears_with_its_facts(self, desk: ServiceDesk,
                                                    projections: ProjectionSet) -> None:
        outcome = receive(desk, channel="telephone", service_code="planning-building-01",
                          department=None, subject="Permit question")
        projections.wait_for(outcome.position)
        [row] = every_row(projections)
        assert row.id == outcome.case.id
        assert (row.reference, row.status, row.channel, row.department, row.service_code,
                row.purpose, row.subject) == (
            "SC-2026-000001", "open", "telephone", "planning", "planning-building-01",
            "issue_or_complaint", "Permit question")
        assert (row.assignee, row.classification, row.complaint, row.transfers) == (
            None, None, False, 0)
        assert row.received_at == desk.clock()
        assert row.version == outcome.case.version

    def test_each_command_updates_the_row(self, desk: ServiceDesk,
                                          projections: ProjectionSet) -> None:
        case = receive(desk).case
        change(desk, case, "assign", assignee="bo")
        change(desk, case, "classify", classification="complaint", reason="rude reply")
        outcome = change(desk, case, "transfer", to_department="planning", warm=True,
                         handover_note="permit side", customer_informed=True)
        projections.wait_for(outcome.position)
        [row] = every_row(projections)
        assert (row.department, row.assignee, row.transfers) == ("planning", None, 1)
        assert (row.classification, row.complaint, row.escalation_level) == (
            "complaint", True, "front_line")

        change(desk, case, "wait", reason="need photos")
        assert projections_row(desk, projections, case).status == "waiting_on_customer"
        change(desk, case, "customer_responded", summary="photos sent")
        change(desk, case, "resolve", resolution="filled", at_first_contact=False)
        assert projections_row(desk, projections, case).status == "resolved"
        # Escalating a resolved complaint reopens it (the aggregate's rule, in SQL here).
        change(desk, case, "escalate", to_level="department_manager", reason="unhappy",
               owner="manager-cy")
        row = projections_row(desk, projections, case)
        assert (row.status, row.escalation_level) == ("open", "department_manager")
        change(desk, case, "resolve", resolution="apologised", at_first_contact=False)
        change(desk, case, "close")
        assert projections_row(desk, projections, case).status == "closed"
        assert_index_matches_desk(desk, projections, 1)

    def test_positions_report_no_lag_once_caught_up(self, desk: ServiceDesk,
                                                    projections: ProjectionSet) -> None:
        projections.wait_for(receive(desk).position)
        [report] = projections.positions()
        assert (report.name, report.position, report.lag, report.running) == (
            "case_index", desk.log_position(), 0, True)


def projections_row(desk: ServiceDesk, projections: ProjectionSet, case: Any) -> CaseSummary:
    projections.wait_for(desk.log_position())
    [row] = [row for row in every_row(projections) if row.id == case.id]
    return row


class TestFilters:
    @pytest.fixture
    def cases(self, desk: ServiceDesk, projections: ProjectionSet) -> dict[str, Any]:
        made = {
            "pothole": receive(desk).case,
            "permit": receive(desk, department="planning", channel="telephone").case,
            "park": receive(desk, department="community", channel="web_form").case,
        }
        change(desk, made["pothole"], "assign", assignee="bo")
        change(desk, made["permit"], "classify", classification="complaint", reason="late")
        change(desk, made["park"], "resolve", resolution="done", at_first_contact=True)
        projections.wait_for(desk.log_position())
        return made

    FILTERS: ClassVar[list[tuple[dict[str, Any], set[str]]]] = [
        ({"department": "planning"}, {"permit"}),
        ({"status": "resolved"}, {"park"}),
        ({"status": "open"}, {"pothole", "permit"}),
        ({"channel": "telephone"}, {"permit"}),
        ({"assignee": "bo"}, {"pothole"}),
        ({"complaint": True}, {"permit"}),
        ({"complaint": False}, {"pothole", "park"}),
        ({"status": "open", "complaint": False}, {"pothole"}),
        ({"department": "planning", "status": "resolved"}, set()),
    ]

    def test_filters_select_matching_cases(self, projections: ProjectionSet,
                                           cases: dict[str, Any]) -> None:
        names = {case.id: name for name, case in cases.items()}
        found = [({names[row.id] for row in every_row(projections, **filters)}, expected)
                 for filters, expected in self.FILTERS]
        assert [selected for selected, _ in found] == [expected for _, expected in found]

    def test_staff_see_only_their_departments(self, projections: ProjectionSet,
                                              cases: dict[str, Any]) -> None:
        rows = every_row(projections, visible_departments(ROADS))
        assert [row.id for row in rows] == [cases["pothole"].id]
        assert every_row(projections, visible_departments(ROADS), department="planning") == []
        assert len(every_row(projections, visible_departments(CSR))) == 3

    def test_a_transfer_moves_the_case_out_of_sight(self, desk: ServiceDesk,
                                                   projections: ProjectionSet,
                                                   cases: dict[str, Any]) -> None:
        outcome = change(desk, cases["pothole"], "transfer", to_department="planning",
                         warm=False, handover_note="", customer_informed=False)
        projections.wait_for(outcome.position)
        assert every_row(projections, visible_departments(ROADS)) == []

    def test_bad_filters_are_refused_by_name(self, projections: ProjectionSet) -> None:
        bad: list[tuple[dict[str, Any], str]] = [
            ({"status": "lost"}, "status"), ({"channel": "pigeon"}, "channel"),
            ({"limit": 0}, "limit"), ({"limit": 201}, "limit"),
            ({"after": "not-a-cursor"}, "after"),
            ({"after": b64('["yesterday", "nobody"]')}, "after"),
            ({"after": b64('["2026-03-04T15:00:00", "' + str(uuid4()) + '"]')}, "after"),
            ({"after": b64('{"received_at": 1}')}, "after"),
        ]
        for filters, field in bad:
            with pytest.raises(InvalidValue) as refused:
                projections.view("case_index").list_cases(None, **filters)
            assert refused.value.field == field, filters


class TestPagination:
    def test_pages_return_every_case_once_in_order(self, desk: ServiceDesk, clock: Any,
                                                   projections: ProjectionSet) -> None:
        # 25 cases over 5 received times (5 each), so ties are broken by id.
        for number in range(25):
            receive(desk, received_at=clock() - timedelta(hours=number % 5))
        projections.wait_for(desk.log_position())
        index = projections.view("case_index")

        pages, cursor = [], None
        while True:
            rows, cursor = index.list_cases(None, after=cursor, limit=10)
            pages.append(rows)
            if cursor is None:
                break
        assert [len(page) for page in pages] == [10, 10, 5]
        seen = [row for page in pages for row in page]
        assert len({row.id for row in seen}) == 25
        keys = [(row.received_at, row.id) for row in seen]
        assert keys == sorted(keys, reverse=True)

    def test_a_full_last_page_has_no_next_cursor(self, desk: ServiceDesk,
                                                 projections: ProjectionSet) -> None:
        for _ in range(4):
            receive(desk)
        projections.wait_for(desk.log_position())
        index = projections.view("case_index")
        first, cursor = index.list_cases(None, limit=2)
        second, last = index.list_cases(None, after=cursor, limit=2)
        assert last is None and len({row.id for row in first + second}) == 4

    def test_staff_get_no_rows_without_departments(self, projections: ProjectionSet) -> None:
        assert projections.view("case_index").list_cases(frozenset()) == ([], None)


class TestCrashSafety:
    def test_a_failure_mid_event_loses_and_doubles_nothing(
            self, settings: Settings, desk: ServiceDesk) -> None:
        cases = [receive(desk).case for _ in range(10)]
        received = desk.recorder.select_notifications(
            start=1, limit=1000, topics=[get_topic(Case.Received)])
        faulty = faulty_spec(fail_at=received[5].id)

        with running_projections(settings, desk, faulty) as crashing:
            with pytest.raises(ProjectionNotReady):
                crashing.wait_for(desk.log_position())
            error = crashing.error("case_index")
            # It failed on that event, and says so (engine.failures)
            assert isinstance(error, EventNotApplied) and error.position == received[5].id
            assert isinstance(error.cause, InjectedCrash)
            # The row written before the crash was rolled back with its tracking position.
            assert crashing.position("case_index") < received[5].id
            assert {row.id for row in every_row(crashing)} == {case.id for case in cases[:5]}

        with running_projections(settings, desk, CASE_INDEX) as restarted:
            restarted.wait_for(desk.log_position())
            assert_index_matches_desk(desk, restarted, 10)

    def test_stopping_mid_stream_and_restarting_resumes_where_it_stopped(
            self, settings: Settings, desk: ServiceDesk) -> None:
        cases = []
        for number in range(30):
            cases.append(receive(desk).case)
            if number % 3 == 0:
                change(desk, cases[-1], "assign", assignee=f"clerk-{number}")
        received = desk.recorder.select_notifications(
            start=1, limit=1000, topics=[get_topic(Case.Received)])
        pausing, reached, release = pausing_spec(pause_at=received[15].id)
        first = ProjectionSet(settings, desk, [pausing])
        first.start()
        assert reached.wait(timeout=30)  # the runner is inside case 16's transaction
        first.stop(wait=False)
        release.set()
        first.stop()
        stopped_at = first.position("case_index")
        assert received[15].id <= stopped_at < desk.log_position()
        assert {row.id for row in every_row(first)} == {
            case.id for case in cases
            if next(n.id for n in received if n.originator_id == case.id) <= stopped_at}

        first.start()  # the same set again: a fresh runner from the tracked position
        try:
            first.wait_for(desk.log_position())
            assert first.error("case_index") is None
            assert_index_matches_desk(desk, first, 30)
        finally:
            first.close()


class TestCatchingUp:
    def test_a_new_projection_on_an_existing_database_catches_up(
            self, settings: Settings, desk: ServiceDesk) -> None:
        for number in range(6):
            case = receive(desk, department=["public-works", "planning"][number % 2]).case
            if number % 2:
                change(desk, case, "transfer", to_department="community", warm=False,
                       handover_note="", customer_informed=False)
        late = ProjectionSet(settings, desk, [CASE_INDEX])
        assert late.position("case_index") == 0
        late.start()
        try:
            late.wait_for(desk.log_position())
            assert_index_matches_desk(desk, late, 6)
        finally:
            late.close()


class TestWaiting:
    def test_waiting_fails_at_once_when_the_runner_should_run_here_but_does_not(
            self, settings: Settings, desk: ServiceDesk) -> None:
        idle = ProjectionSet(settings, desk, [CASE_INDEX])
        try:
            with pytest.raises(ProjectionNotReady, match="not running"):
                idle.wait_for(receive(desk).position, timeout=30)
        finally:
            idle.close()

    def test_waiting_can_name_the_read_models_it_needs(
            self, desk: ServiceDesk, projections: ProjectionSet) -> None:
        projections.wait_for(receive(desk).position, names=["case_index"])
        with pytest.raises(KeyError):
            projections.wait_for(1, names=["no_such_projection"])

    def test_waiting_times_out_when_another_process_runs_projections(
            self, settings: Settings, desk: ServiceDesk) -> None:
        elsewhere = dataclasses.replace(settings, run_projections=False)
        idle = ProjectionSet(elsewhere, desk, [CASE_INDEX])
        try:
            with pytest.raises(ProjectionNotReady, match="has not reached"):
                idle.wait_for(receive(desk).position, timeout=0.05)
            idle.wait_for(0)  # nothing to wait for
        finally:
            idle.close()


class TestSubscription:
    def test_the_log_subscription_follows_new_events_and_stops_promptly(
            self, desk: ServiceDesk) -> None:
        head = desk.log_position()
        with desk.recorder.subscribe(gt=head) as subscription:
            receive(desk)
            expected = [n.id for n in desk.recorder.select_notifications(head + 1, 100)]
            assert [next(subscription).id for _ in expected] == expected
            stopper = threading.Timer(0.05, subscription.stop)
            stopper.start()
            started = time.monotonic()
            with pytest.raises(StopIteration):
                next(subscription)  # idle until stopped
            assert time.monotonic() - started < 2
            stopper.join()


class InjectedCrash(RuntimeError):
    pass


def faulty_spec(fail_at: int) -> ProjectionSpec:
    """The case index, but the transaction holding notification `fail_at` dies after its row
    (a backlog is applied in batches: then the crash takes the batch's transaction)."""

    class Crashing:
        crash_at: ClassVar[int] = fail_at

        @contextmanager
        def writing(self, tracking: Tracking) -> Iterator[Any]:
            with super().writing(tracking) as cursor:  # type: ignore[misc]
                yield cursor
                if tracking.notification_id == self.crash_at:
                    raise InjectedCrash(f"crash after the row of {tracking.notification_id}")

    class CrashingSQLite(Crashing, SQLiteCaseIndexView):
        pass

    class CrashingPostgres(Crashing, PostgresCaseIndexView):
        pass

    return ProjectionSpec(projection=CASE_INDEX.projection, sqlite_view=CrashingSQLite,
                          postgres_view=CrashingPostgres)


def pausing_spec(pause_at: int) -> tuple[ProjectionSpec, threading.Event, threading.Event]:
    """The case index, but the transaction of notification `pause_at` signals `reached`, then
    holds until `release`, so the test can stop the runner in mid-stream."""
    reached, release = threading.Event(), threading.Event()

    class Pausing:
        @contextmanager
        def writing(self, tracking: Tracking) -> Iterator[Any]:
            with super().writing(tracking) as cursor:  # type: ignore[misc]
                yield cursor
                if tracking.notification_id == pause_at:
                    reached.set()
                    release.wait(timeout=30)

    class PausingSQLite(Pausing, SQLiteCaseIndexView):
        pass

    class PausingPostgres(Pausing, PostgresCaseIndexView):
        pass

    return (ProjectionSpec(projection=CASE_INDEX.projection, sqlite_view=PausingSQLite,
                           postgres_view=PausingPostgres), reached, release)
