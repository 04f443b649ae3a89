"""Read models whose tables another version of civicdesk made are rebuilt at start, on SQLite
and PostgreSQL.

"Another version" is simulated two ways: a subclass of the case index view whose statements
differ (an extra column, recorded with its own fingerprint, as a later civicdesk would), and
tables from which a column was dropped and whose fingerprints were deleted (as a civicdesk from
before fingerprints left them). Either way the rebuilt read model must hold every row the old
one held, row for row (`View.snapshot()`), in this version's shape.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest

from application.desk import ServiceDesk
from engine.runner import (
    ELSEWHERE,
    RUNNING,
    ProjectionNotReady,
    ProjectionSet,
    ProjectionSpec,
    TablesOfAnotherVersion,
)
from engine.views import SCHEMAS
from infrastructure.settings import Settings
from projections.case_index import CASE_INDEX, PostgresCaseIndexView, SQLiteCaseIndexView
from tests.conftest import running_projections
from tests.integration.test_rebuild import CATCH_UP_SECONDS, case_ids, record_history
from tests.receiving import receive

NAME = CASE_INDEX.name
WARNING = "read model case_index: tables made by another version of civicdesk"


class WithNote:
    """The case index as another version made it: one more column."""

    def view_statements(self) -> list[str]:
        statements: list[str] = super().view_statements()  # type: ignore[misc]
        first = statements[0]
        assert first.rstrip().endswith(")")
        return [first.rstrip()[:-1] + ", note TEXT)", *statements[1:]]


class SQLiteWithNote(WithNote, SQLiteCaseIndexView):
    pass


class PostgresWithNote(WithNote, PostgresCaseIndexView):
    pass


WITH_NOTE = ProjectionSpec(projection=CASE_INDEX.projection, sqlite_view=SQLiteWithNote,
                           postgres_view=PostgresWithNote)


def columns(view: Any) -> list[str]:
    """The columns of the case index's live table (it has rows)."""
    with view.reading() as cursor:
        cursor.execute(f"SELECT * FROM {view.table(NAME)} LIMIT 1")
        return list(cursor.fetchone().keys())


def fingerprints(view: Any) -> dict[int, str]:
    with view._begin(write=False) as cursor:
        cursor.execute(f"SELECT generation, fingerprint FROM {view._qualify(SCHEMAS)} "
                       f"WHERE projection = {view.placeholder}", [NAME])
        return {int(row["generation"]): row["fingerprint"] for row in cursor.fetchall()}


def followed(settings: Settings, desk: ServiceDesk, spec: ProjectionSpec) -> dict[str, Any]:
    """Run `spec` until it has followed the whole log; its rows."""
    with running_projections(settings, desk, spec) as projections:
        projections.wait_for(desk.log_position(), timeout=CATCH_UP_SECONDS)
        return projections.view(NAME).snapshot()


def running_and_caught_up(projections: ProjectionSet, head: int) -> None:
    """Wait (a rebuild runs in the background) until the case index runs here, at `head`."""
    deadline = time.monotonic() + CATCH_UP_SECONDS
    while True:
        try:
            if projections.role(NAME) == RUNNING and projections.position(NAME) >= head:
                return
        except TablesOfAnotherVersion:
            pass
        assert projections.error(NAME) is None, projections.error(NAME)
        assert time.monotonic() < deadline, projections.positions()
        time.sleep(0.05)


def made_before_fingerprints(settings: Settings, desk: ServiceDesk) -> dict[str, Any]:
    """Tables as a civicdesk before fingerprints made them, with one column fewer than this
    version's; returns the rows this version's case index holds for the same log."""
    rows = followed(settings, desk, CASE_INDEX)
    projections = ProjectionSet(settings, desk, [CASE_INDEX])
    view = projections.view(NAME)
    try:
        with view._begin(write=True) as cursor:
            cursor.execute(f"ALTER TABLE {view.table(NAME)} DROP COLUMN transfers")
            cursor.execute(f"DROP TABLE {view._qualify(SCHEMAS)}")
    finally:
        projections.close()
    return rows


@pytest.fixture
def warnings(caplog: pytest.LogCaptureFixture) -> Iterator[list[str]]:
    """The warnings of the projections' logger, as they are logged."""
    caplog.set_level(logging.WARNING, logger="civicdesk.projections")
    found: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            found.append(record.getMessage())

    handler = Collect(level=logging.WARNING)
    logger = logging.getLogger("civicdesk.projections")
    logger.addHandler(handler)
    yield found
    logger.removeHandler(handler)


class TestUpgrade:
    def test_tables_of_another_fingerprint_are_rebuilt_into_this_versions_shape(
            self, settings: Settings, desk: ServiceDesk, warnings: list[str]) -> None:
        # Given a case index another version made and followed (one more column)
        record_history(desk)
        old = followed(settings, desk, WITH_NOTE)
        assert all(row[-1] is None for row in old[NAME])
        receive(desk)  # and an event it never saw
        head = desk.log_position()
        # When this version starts
        with running_projections(settings, desk, CASE_INDEX) as projections:
            running_and_caught_up(projections, head)
            view = projections.view(NAME)
            # Then it was rebuilt from the log, said why, and has this version's shape
            assert [w for w in warnings if w.startswith(WARNING)], warnings
            assert any("rebuilding from the log" in w for w in warnings), warnings
            assert view.current_generation() == 1
            assert "note" not in columns(view)
            # holding every row the old one held (less its column), and the late case
            rebuilt = view.snapshot()
            late = {tuple(row) for row in rebuilt[NAME]} - {row[:-1] for row in old[NAME]}
            assert len(late) == 1 and len(rebuilt[NAME]) == len(old[NAME]) + 1
            # with this version's fingerprint recorded for the new generation only
            assert fingerprints(view) == {1: view.fingerprint}

    def test_tables_made_before_fingerprints_are_rebuilt_with_every_row(
            self, settings: Settings, desk: ServiceDesk, warnings: list[str]) -> None:
        # Given a case index an older civicdesk made: no fingerprint, a column fewer
        record_history(desk)
        expected = made_before_fingerprints(settings, desk)
        # When this version starts
        with running_projections(settings, desk, CASE_INDEX) as projections:
            running_and_caught_up(projections, desk.log_position())
            view = projections.view(NAME)
            # Then the rebuilt case index has the new column and equals a clean projection
            assert any("has no fingerprint" in w for w in warnings), warnings
            assert "transfers" in columns(view)
            assert view.snapshot() == expected
            assert fingerprints(view) == {1: view.fingerprint}
            # and keeps following the log
            outcome = receive(desk)
            projections.wait_for(outcome.position)
            assert outcome.case.id in case_ids(projections)

    def test_a_second_start_does_not_rebuild(
            self, settings: Settings, desk: ServiceDesk, warnings: list[str]) -> None:
        # Given a case index rebuilt by this version at its first start
        record_history(desk)
        made_before_fingerprints(settings, desk)
        with running_projections(settings, desk, CASE_INDEX) as first:
            running_and_caught_up(first, desk.log_position())
        warnings.clear()
        # When it starts again
        with running_projections(settings, desk, CASE_INDEX) as again:
            # Then it runs at once on the same generation, without a rebuild
            assert again.role(NAME) == RUNNING
            again.wait_for(desk.log_position(), timeout=CATCH_UP_SECONDS)
            assert again.view(NAME).current_generation() == 1
            assert warnings == []

    def test_a_fresh_database_gets_its_tables_and_fingerprint_without_a_rebuild(
            self, settings: Settings, desk: ServiceDesk, warnings: list[str]) -> None:
        with running_projections(settings, desk, CASE_INDEX) as projections:
            assert projections.role(NAME) == RUNNING
            projections.wait_for(receive(desk).position)
            view = projections.view(NAME)
            assert view.current_generation() == 0
            assert fingerprints(view) == {0: view.fingerprint}
            assert warnings == []


class TestReadersThatDoNotRunProjections:
    def test_they_report_not_ready_and_serve_once_another_process_has_rebuilt(
            self, settings: Settings, desk: ServiceDesk) -> None:
        # Given tables of an older civicdesk, and a process that does not run projections
        record_history(desk)
        made_before_fingerprints(settings, desk)
        reader = ProjectionSet(dataclasses.replace(settings, run_projections=False), desk,
                               [CASE_INDEX])
        try:
            # Then it neither queries nor rebuilds them: the read model is not ready
            with pytest.raises(TablesOfAnotherVersion, match="another version"):
                case_ids(reader)
            with pytest.raises(ProjectionNotReady, match="another version"):
                reader.wait_for(1, timeout=30)
            [report] = reader.positions()
            assert (report.ready, report.role, report.running) == (False, ELSEWHERE, False)
            assert report.error is not None and "another version" in report.error
            assert reader.view(NAME).current_generation() == 0
            # When a process that runs projections starts, it rebuilds them
            with running_projections(settings, desk, CASE_INDEX) as runner:
                running_and_caught_up(runner, desk.log_position())
                # and the reader serves the new tables, without a restart
                assert case_ids(reader) == case_ids(runner)
                reader.wait_for(desk.log_position())
                [report] = reader.positions()
                assert (report.ready, report.generation, report.error) == (True, 1, None)
        finally:
            reader.close()
