"""Rebuilding read models, crash safety and late projections, on SQLite and PostgreSQL.

Histories come from the demo generator (a realistic, reproducible mix of channels, transfers,
complaints, pauses and breaches), followed by a few fresh cases whose deadlines are still
pending, so every read model has rows. "Equal" always means row for row: `View.snapshot()`
is every row of every table of the live generation, in a stable order.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from application.desk import ServiceDesk
from application.duplicates import merge
from domain.actors import Actor, Role
from engine.rebuild import rebuild
from engine.runner import ProjectionSet, ProjectionSpec
from infrastructure.bootstrap import build_desk
from infrastructure.demo import load_demo
from infrastructure.settings import Settings
from projections.case_index import CASE_INDEX, PostgresCaseIndexView, SQLiteCaseIndexView
from projections.pending_deadlines import PENDING_DEADLINES
from projections.registry import all_specs
from tests.command_line import ROOT, civicdesk, environment
from tests.conftest import running_projections
from tests.receiving import receive

SPECS = all_specs()
DIRECTOR = Actor(id="director-1", role=Role.DIRECTOR)
HISTORY_CASES = 60  # about 700 events: every kind of event, and quick on both databases
CATCH_UP_SECONDS = 120.0


def record_history(desk: ServiceDesk, cases: int = HISTORY_CASES, seed: int = 11) -> int:
    """A demo year of cases, then three received now (pending deadlines), the last merged as
    a duplicate into the first (its targets withdrawn). Returns the head."""
    load_demo(desk, cases=cases, seed=seed)
    received = [receive(desk, channel=channel).case for channel in ("email", "telephone",
                                                                     "written")]
    merge(desk, DIRECTOR, received[-1].id, received[0].id, reason="The same pothole")
    return desk.log_position()


def case_ids(projections: ProjectionSet) -> set[Any]:
    rows, cursor = projections.view("case_index").list_cases(None, limit=200)
    assert cursor is None
    return {row.id for row in rows}


def table_exists(view: Any, table: str) -> bool:
    try:
        with view.reading() as cursor:
            cursor.execute(f"SELECT COUNT(*) AS n FROM {table}")
            cursor.fetchone()
        return True
    except Exception:
        return False


@pytest.fixture
def following(settings: Settings, desk: ServiceDesk) -> Iterator[ProjectionSet]:
    """The case index, followed incrementally from an empty log."""
    with running_projections(settings, desk, CASE_INDEX) as running:
        yield running


class InjectedCrash(RuntimeError):
    pass


class TestRebuildEqualsIncremental:
    @pytest.mark.parametrize("name", sorted(SPECS))
    def test_a_rebuilt_projection_equals_the_one_built_event_by_event(
            self, settings: Settings, desk: ServiceDesk, name: str) -> None:
        # Given a read model that followed a realistic history one event at a time
        with running_projections(settings, desk, SPECS[name]) as live:
            live.wait_for(record_history(desk), timeout=CATCH_UP_SECONDS)
            incremental, position = live.view(name).snapshot(), live.position(name)
            assert any(incremental.values()), "the history reached this read model"
            # When it is rebuilt from the log in batches (several, to cross batch borders)
            report = live.rebuild(name, grace=0, batch_size=97)
            # Then the new tables hold the same rows, at the same position
            assert (report.generation, report.replaced, report.position) == (1, 0, position)
            assert live.view(name).snapshot() == incremental
            assert live.position(name) == position


class TestServingDuringARebuild:
    def test_queries_read_the_old_tables_until_the_switch_and_the_new_ones_after(
            self, desk: ServiceDesk, following: ProjectionSet) -> None:
        # Given a case index that is caught up
        following.wait_for(record_history(desk), timeout=CATCH_UP_SECONDS)
        index = following.view("case_index")
        before = case_ids(following)
        seen: dict[str, Any] = {}

        def mid_rebuild(position: int) -> None:
            if seen:
                return
            # While the new tables hold only the first batch...
            with index.reading() as cursor:
                cursor.execute(f"SELECT COUNT(*) AS n FROM {index.tables_of(1)[1]}")
                seen["new_rows"] = int(cursor.fetchone()["n"])
            seen["served"] = case_ids(following)
            # ...a case recorded meanwhile is followed into the old tables at once.
            late = receive(desk)
            following.wait_for(late.position)
            seen["late"], seen["served_after_late"] = late.case.id, case_ids(following)

        # When the case index is rebuilt
        report = following.rebuild("case_index", grace=0, batch_size=100,
                                   on_batch=mid_rebuild)

        # Then queries were served from the old tables while the new ones filled
        assert seen["new_rows"] < len(before)
        assert seen["served"] == before
        assert seen["served_after_late"] == before | {seen["late"]}
        # and after the switch from the new ones, which the runner now follows
        assert report.generation == index.seen_generation == 1
        assert case_ids(following) == before | {seen["late"]}
        after = receive(desk)
        following.wait_for(after.position)
        assert case_ids(following) == before | {seen["late"], after.case.id}
        [status] = following.positions()
        assert (status.generation, status.running, status.error, status.lag) == (1, True, None, 0)
        assert not table_exists(index, index.tables_of(0)[1])

    def test_a_rebuild_by_another_process_moves_the_running_follower(
            self, settings: Settings, desk: ServiceDesk, following: ProjectionSet) -> None:
        # Given a follower that is caught up
        following.wait_for(record_history(desk), timeout=CATCH_UP_SECONDS)
        before = case_ids(following)
        # When another process (its own desk and connections) rebuilds the case index
        elsewhere = build_desk(settings)
        try:
            report = rebuild(settings, elsewhere, CASE_INDEX, grace=0)
        finally:
            elsewhere.close()
        # Then this process reads the new tables, and its runner follows new events into them
        assert report.generation == 1
        assert case_ids(following) == before
        outcome = receive(desk)
        following.wait_for(outcome.position)
        assert case_ids(following) == before | {outcome.case.id}
        [status] = following.positions()
        assert (status.generation, status.running, status.error) == (1, True, None)


class TestCrashSafety:
    def test_a_runner_stopped_while_events_arrive_loses_and_doubles_nothing(
            self, settings: Settings, desk: ServiceDesk) -> None:
        # Given every read model following a log that commands keep writing to
        specs = list(SPECS.values())
        keep_writing = threading.Event()
        keep_writing.set()

        def write() -> None:
            # Writes until told to stop (bounded), so events surely arrive around the stop.
            for seed in range(200):
                if not keep_writing.is_set():
                    return
                load_demo(desk, cases=5, seed=100 + seed)
                receive(desk)

        with running_projections(settings, desk, *specs) as live:
            writer = threading.Thread(target=write)
            writer.start()
            try:
                # When the runners are stopped in mid-stream, and started again
                deadline = time.monotonic() + CATCH_UP_SECONDS
                while min(live.position(spec.name) for spec in specs) < 100:
                    assert time.monotonic() < deadline
                    time.sleep(0.01)
                live.stop()
                stopped_at = {spec.name: live.position(spec.name) for spec in specs}
                assert writer.is_alive(), "the writer ran out before the runners were stopped"
                live.start()
                keep_writing.clear()
                writer.join()
                head = desk.log_position()
                assert min(stopped_at.values()) < head
                live.wait_for(head, timeout=CATCH_UP_SECONDS)
                # Then every read model equals a fresh rebuild of it, and none failed
                for spec in specs:
                    followed = live.view(spec.name).snapshot()
                    live.rebuild(spec.name, grace=0)
                    assert live.view(spec.name).snapshot() == followed, spec.name
                    assert live.error(spec.name) is None
            finally:
                keep_writing.clear()
                writer.join()

    def test_a_killed_projection_process_resumes_without_losing_or_doubling(
            self, settings: Settings, desk: ServiceDesk, tmp_path: Path) -> None:
        # Given `civicdesk project` following the log in its own process
        names = [CASE_INDEX.name, PENDING_DEADLINES.name]
        watcher = ProjectionSet(settings, desk, [CASE_INDEX, PENDING_DEADLINES])
        first = ProjectionProcess(settings, names, tmp_path / "first.log")
        try:
            head = record_history(desk)
            # When it is killed (SIGKILL: no clean up) in mid-stream
            deadline = time.monotonic() + CATCH_UP_SECONDS
            while watcher.position(CASE_INDEX.name) < head // 3:
                assert time.monotonic() < deadline, first.output()
                time.sleep(0.005)
            first.kill()
            killed_at = watcher.position(CASE_INDEX.name)
            for _ in range(3):
                receive(desk)
            head = desk.log_position()
            assert killed_at < head
            # and started again, then stopped with SIGTERM once caught up
            second = ProjectionProcess(settings, names, tmp_path / "second.log")
            try:
                while min(watcher.position(name) for name in names) < head:
                    assert time.monotonic() < deadline, second.output()
                    time.sleep(0.02)
            finally:
                assert second.terminate() == 0, second.output()
            assert "projecting: case_index, pending_deadlines" in second.output()
            # Then each read model equals a fresh rebuild (by `civicdesk rebuild`)
            followed = {name: watcher.view(name).snapshot() for name in names}
            for name in names:
                done = civicdesk(settings, "rebuild", name, "--quiet", "--grace", "0")
                assert done.returncode == 0, done.stderr
                assert f"Rebuilt {name}: generation 1 replaces 0" in done.stdout
                assert watcher.view(name).snapshot() == followed[name], name
        finally:
            first.kill()
            watcher.close()

    def test_a_rebuild_that_dies_before_the_switch_leaves_the_live_tables_serving(
            self, desk: ServiceDesk, following: ProjectionSet) -> None:
        # Given a caught-up case index
        following.wait_for(record_history(desk), timeout=CATCH_UP_SECONDS)
        index = following.view("case_index")
        before = index.snapshot()

        def crash(position: int) -> None:
            raise InjectedCrash(f"rebuild died at {position}")

        # When a rebuild dies halfway
        with pytest.raises(InjectedCrash):
            following.rebuild("case_index", grace=0, batch_size=100, on_batch=crash)
        # Then the live tables are untouched and still followed
        assert index.current_generation() == 0
        assert index.snapshot() == before
        assert table_exists(index, index.tables_of(1)[1])  # its leftovers
        outcome = receive(desk)
        following.wait_for(outcome.position)
        # and the next rebuild clears the leftovers and switches
        report = following.rebuild("case_index", grace=0)
        assert (report.generation, report.replaced) == (2, 0)
        assert not table_exists(index, index.tables_of(1)[1])
        assert outcome.case.id in case_ids(following)
        assert following.error("case_index") is None


class TestANewProjection:
    def test_a_projection_added_to_an_existing_database_catches_up_from_the_beginning(
            self, settings: Settings, desk: ServiceDesk,
            following: ProjectionSet) -> None:
        # Given a database whose history only the case index has followed
        following.wait_for(record_history(desk), timeout=CATCH_UP_SECONDS)
        added = [spec for name, spec in SPECS.items() if name != CASE_INDEX.name]
        # When the other read models are added
        late = ProjectionSet(settings, desk, added)
        assert {spec.name: late.position(spec.name) for spec in added} == {
            spec.name: 0 for spec in added}
        late.start()
        try:
            # Then they catch up from the first event and equal a rebuild
            late.wait_for(desk.log_position(), timeout=CATCH_UP_SECONDS)
            for spec in added:
                followed = late.view(spec.name).snapshot()
                assert any(followed.values()), spec.name
                late.rebuild(spec.name, grace=0)
                assert late.view(spec.name).snapshot() == followed, spec.name
        finally:
            late.close()


class TestNaming:
    def test_a_view_naming_a_table_without_table_cannot_be_rebuilt(
            self, settings: Settings, desk: ServiceDesk) -> None:
        # Given a view with an index named by hand (a rebuild would share it with the live one)
        class HandNamed:
            def view_statements(self) -> list[str]:
                return [*super().view_statements(),  # type: ignore[misc]
                        f"CREATE INDEX IF NOT EXISTS by_status ON {self.table('case_index')} "  # type: ignore[attr-defined]
                        "(status)"]

        class SQLiteHandNamed(HandNamed, SQLiteCaseIndexView):
            pass

        class PostgresHandNamed(HandNamed, PostgresCaseIndexView):
            pass

        spec = ProjectionSpec(projection=CASE_INDEX.projection, sqlite_view=SQLiteHandNamed,
                              postgres_view=PostgresHandNamed)
        # When it is rebuilt, then it is refused by name
        with pytest.raises(ValueError, match="by_status is not named by table"):
            rebuild(settings, desk, spec, grace=0)


# -- a `civicdesk project` process ------------------------------------------------------------

class ProjectionProcess:
    def __init__(self, settings: Settings, names: list[str], log: Path) -> None:
        self.log = log
        self.process = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "project", *names], env=environment(settings),
            cwd=ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT)

    def output(self) -> str:
        return self.log.read_text()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=20)

    def terminate(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)
