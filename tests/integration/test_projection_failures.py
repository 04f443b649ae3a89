"""A read model that cannot apply an event says so, stops alone, retries, and can be told to
pass over that one event; on PostgreSQL a NUL in a case's text no longer stops one at all.

The poison on both databases is a case index with a bug: it cannot index a case whose subject
is POISON (a real read model, run by the real runner, failing inside its transaction). The
PostgreSQL-only poison is the one the issue reported: a NUL saved through the desk itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from eventsourcing.persistence import Tracking

from application.desk import ServiceDesk
from engine import failures
from engine.rebuild import rebuild
from engine.runner import FAILED, RUNNING, ProjectionSet, ProjectionSpec, ReadModelFailed
from infrastructure.settings import Settings
from projections.case_index import CASE_INDEX
from projections.queues import QUEUES
from tests.command_line import civicdesk
from tests.conftest import running_projections
from tests.receiving import receive

POISON = "Cannot be indexed"
SECONDS = 20.0  # how long a read model may take to get where a test expects it


class CaseIndexWithABug(CASE_INDEX.projection):  # type: ignore[name-defined,misc]
    """The case index as a version with a bug made it: it cannot index one subject."""

    name = CASE_INDEX.name

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        if getattr(domain_event, "subject", None) == POISON:
            raise ValueError("this version cannot index that subject")
        super().process_event(domain_event, tracking)


BUGGY = ProjectionSpec(projection=CaseIndexWithABug, sqlite_view=CASE_INDEX.sqlite_view,
                       postgres_view=CASE_INDEX.postgres_view)
NAME = CASE_INDEX.name


def eventually(check: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + SECONDS
    while not (found := check()):
        assert time.monotonic() < deadline, f"not within {SECONDS} s: {what}"
        time.sleep(0.05)
    return found


def indexed_subjects(projections: ProjectionSet) -> set[str]:
    view = projections.view(NAME)
    with view.reading() as cursor:
        cursor.execute(f"SELECT subject FROM {view.table(NAME)}")
        return {row["subject"] for row in cursor.fetchall()}


def poisoned_log(desk: ServiceDesk) -> tuple[int, int, str]:
    """A case before the poison, the poison, and a case after it: (the poison's position, the
    head of the log, the poisoned case's id)."""
    receive(desk, subject="Before")
    poisoned = receive(desk, subject=POISON)
    receive(desk, subject="After")
    [received] = [n.id for n in desk.recorder.select_notifications(start=1, limit=10_000)
                  if n.originator_id == poisoned.case.id and n.originator_version == 1]
    return received, desk.log_position(), str(poisoned.case.id)


class TestAnEventAReadModelCannotApply:
    def test_is_recorded_with_its_position_event_and_error_and_stops_that_read_model_only(
            self, settings: Settings, desk: ServiceDesk) -> None:
        # Given the log holds an event the (buggy) case index cannot apply
        poison, head, case_id = poisoned_log(desk)
        # When the read models follow the log
        with running_projections(settings, desk, BUGGY, QUEUES) as projections:
            projections.wait_for(head, timeout=SECONDS, names=[QUEUES.name])
            failure = eventually(lambda: projections.failure(NAME), "a recorded failure")
            # Then the failure names the read model, the event and why, in the table too
            assert (failure.projection, failure.position, failure.event_id) == (
                NAME, poison, f"{case_id}@1")
            assert failure.topic.endswith("Case.Received"), failure.topic
            assert failure.error == "ValueError: this version cannot index that subject"
            assert failures.history(projections.view(NAME)) == [failure]
            # and the case index stopped just before it, while the queues went on
            assert projections.position(NAME) == poison - 1
            assert projections.position(QUEUES.name) == head
            report = {p.name: p for p in projections.positions()}
            assert report[NAME].role == FAILED and report[NAME].failure == failure
            assert report[QUEUES.name].role == RUNNING and report[QUEUES.name].failure is None
            # and it is not ready: a wait for the head fails at once, naming the failure
            assert failure.summary() in projections.unready()
            started = time.monotonic()
            with pytest.raises(ReadModelFailed, match=f"failed at position {poison}"):
                projections.wait_for(head, timeout=SECONDS, names=[NAME])
            assert time.monotonic() - started < 2.0

    def test_is_tried_again_with_a_growing_backoff(
            self, settings: Settings, desk: ServiceDesk) -> None:
        # Given a read model that failed on an event, tried again soon
        poison, _, _ = poisoned_log(desk)
        projections = ProjectionSet(settings, desk, [BUGGY])
        projections.RETRY_SECONDS = 0.1
        try:
            projections.start()
            # When time passes, Then it is tried again, each failure counted, each later
            failure = eventually(lambda: (f := projections.failure(NAME)) and f.attempts >= 3
                                 and f, "three attempts")
            assert failure.position == poison
            assert failure.last_failed_at - failure.first_failed_at >= \
                timedelta(seconds=0.1 + 0.2)  # waited 0.1, then 0.2
        finally:
            projections.close()

    def test_a_fixed_version_goes_on_from_it_after_a_restart(
            self, settings: Settings, desk: ServiceDesk) -> None:
        # Given the buggy version stopped on the poison
        poison, head, _ = poisoned_log(desk)
        with running_projections(settings, desk, BUGGY) as projections:
            eventually(lambda: projections.failure(NAME), "a recorded failure")
        # When the fixed version starts
        with running_projections(settings, desk, CASE_INDEX) as projections:
            # Then it applies the event and everything after, and is ready
            projections.wait_for(head, timeout=SECONDS)
            assert {"Before", POISON, "After"} <= indexed_subjects(projections)
            assert projections.failure(NAME) is None
            assert projections.unready() == []
            # and the failure stays on record
            assert [f.position for f in failures.history(projections.view(NAME))] == [poison]

    def test_an_operators_skip_lets_it_pass_over_that_event_alone(
            self, settings: Settings, desk: ServiceDesk) -> None:
        # Given the buggy case index stopped on the poison, and is tried again soon
        poison, head, _ = poisoned_log(desk)
        projections = ProjectionSet(settings, desk, [BUGGY])
        projections.RETRY_SECONDS = 0.1
        try:
            projections.start()
            eventually(lambda: projections.failure(NAME), "a recorded failure")
            # When an operator skips that event for that read model, saying why
            skipped = failures.skip(projections.view(NAME), poison, "bug 123: fixed in 1.4",
                                    by="ops-olga")
            # Then it goes on past it, without the poisoned case, and is ready again
            assert skipped is not None and skipped.skipped_by == "ops-olga"
            eventually(lambda: projections.role(NAME) == RUNNING, "running again")
            projections.wait_for(head, timeout=SECONDS)
            assert indexed_subjects(projections) >= {"Before", "After"}
            assert POISON not in indexed_subjects(projections)
            assert projections.failure(NAME) is None and projections.unready() == []
            # and the skip is on record: who, when and why
            [record] = projections.skipped(NAME)
            assert (record.position, record.skipped_by, record.skip_reason) == (
                poison, "ops-olga", "bug 123: fixed in 1.4")
            assert record.skipped_at is not None
            # and a rebuild passes over it too
            rebuilt = rebuild(settings, desk, BUGGY, grace=0)
            assert rebuilt.position == head
        finally:
            projections.close()

    def test_only_a_recorded_failure_can_be_skipped(
            self, settings: Settings, desk: ServiceDesk) -> None:
        # Given a read model that has failed on nothing
        receive(desk, subject="Fine")
        with running_projections(settings, desk, CASE_INDEX) as projections:
            projections.wait_for(desk.log_position(), timeout=SECONDS)
            # When an operator tries to skip an event, Then nothing is skipped
            assert failures.skip(projections.view(NAME), desk.log_position(), "why not") is None
            assert failures.history(projections.view(NAME)) == []


@pytest.mark.postgres
@pytest.mark.parametrize("settings", ["postgres"], indirect=True)
def test_a_nul_in_a_cases_text_no_longer_stops_a_read_model_on_postgresql(
        settings: Settings, desk: ServiceDesk) -> None:
    # Given a case whose subject holds a NUL, saved through the desk (the log takes it)
    receive(desk, subject="Pot\x00hole", description="Deep\x00hole")
    head = desk.log_position()
    # When every read model follows the log
    with running_projections(settings, desk, CASE_INDEX, QUEUES) as projections:
        # Then each applies it, the NUL shown as U+FFFD, and none has failed
        projections.wait_for(head, timeout=SECONDS)
        assert "Pot\ufffdhole" in indexed_subjects(projections)
        assert projections.failure(NAME) is None and projections.unready() == []


class TestTheOperatorsSkipCommand:
    def test_records_the_skip_and_the_read_model_passes_over_that_event(
            self, settings: Settings, desk: ServiceDesk) -> None:
        # Given the buggy case index failed on the poison, and stopped
        poison, head, _ = poisoned_log(desk)
        with running_projections(settings, desk, BUGGY) as projections:
            eventually(lambda: projections.failure(NAME), "a recorded failure")
        # When the operator runs `civicdesk project --skip POSITION case_index --reason ...`
        done = civicdesk(settings, "project", "--skip", str(poison), NAME,
                         "--reason", "bug 123")
        # Then it says what it skipped, and the same version goes past it when started again
        assert done.returncode == 0, done.stderr
        assert f"Skipped event {poison}" in done.stdout and "bug 123" in done.stdout
        with running_projections(settings, desk, BUGGY) as projections:
            projections.wait_for(head, timeout=SECONDS)
            assert POISON not in indexed_subjects(projections)
            [record] = projections.skipped(NAME)
            assert record.skip_reason == "bug 123" and record.skipped_by

    def test_refuses_an_event_that_did_not_fail_and_a_skip_without_a_reason(
            self, settings: Settings, desk: ServiceDesk) -> None:
        # Given a read model that failed on nothing
        receive(desk, subject="Fine")
        with running_projections(settings, desk, CASE_INDEX) as projections:
            projections.wait_for(desk.log_position(), timeout=SECONDS)
        # When an operator skips an event anyway, or gives no reason
        unknown = civicdesk(settings, "project", "--skip", "1", NAME, "--reason", "why not")
        silent = civicdesk(settings, "project", "--skip", "1", NAME)
        # Then both exit 2, saying why, and nothing is recorded
        assert unknown.returncode == 2 and "no failure recorded at position 1" in unknown.stderr
        assert silent.returncode == 2 and "--reason is required" in silent.stderr
        with running_projections(settings, desk, CASE_INDEX) as projections:
            assert failures.history(projections.view(NAME)) == []
