"""The accountability report from the case snapshots read model is the report the whole log's
replay gives, byte for byte, on SQLite and PostgreSQL: over the demo, for a year, a quarter and
one department, and as of a moment after which cases moved on (those are replayed up to it).

The replay (`produce_report(..., replay=True)`, also the auditor's `replay=true`) is the
reference: it is the report's definition, unchanged. `as_of` values come from when events
were recorded (the event store's clock), never from a sleep.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import msgspec
import pytest

from api.reports import render
from application.desk import ServiceDesk
from domain.actors import Actor, Role
from domain.cases import Case
from engine.runner import ProjectionSet
from infrastructure.accountability_source import produce_report
from infrastructure.demo import load_demo
from infrastructure.settings import Settings
from projections import case_state
from projections.case_snapshots import CASE_SNAPSHOTS
from tests.commanding import change_case
from tests.conftest import running_projections
from tests.integration.test_accountability_report import a_morning, last_recorded_at, more_later
from tests.receiving import receive

if TYPE_CHECKING:
    from tests.conftest import MovableClock

CLERK = Actor(id="clerk-1", role=Role.CLERK)


@pytest.fixture
def snapshots(settings: Settings, desk: ServiceDesk) -> Iterator[ProjectionSet]:
    with running_projections(settings, desk, CASE_SNAPSHOTS) as projections:
        yield projections


def both_ways(desk: ServiceDesk, projections: ProjectionSet, **asked: Any) -> tuple[bytes, bytes]:
    """The report's JSON replayed from the log, and from the read model (once it has caught
    up with the log), for the same request and the same as_of."""
    projections.wait_for(desk.log_position(), timeout=30)
    replayed = produce_report(desk, CLERK, replay=True, **asked)
    asked.setdefault("as_of", replayed.as_of)
    used: list[int] = []

    def reached(head: int) -> bool:
        used.append(head)
        return True

    from_read_model = produce_report(desk, CLERK, read_model=projections.view(
        CASE_SNAPSHOTS.name), reached=reached, **asked)
    assert used, "the read model was not used"
    return render(replayed, "json"), render(from_read_model, "json")


class TestSameReportBothWays:
    def test_a_year_a_quarter_and_a_department_of_the_demo_are_byte_identical(
            self, desk: ServiceDesk, snapshots: ProjectionSet) -> None:
        # Given 400 demo cases over the year to 4 March 2026
        summary = load_demo(desk, cases=400, seed=11)
        first, last = summary["from"][:10], summary["to"][:10]
        # When the report is made both ways, then both give the same bytes
        for asked in ({"first": first, "last": last}, {"period": "2025-Q4"},
                      {"period": "2026", "department": "public-works"}, {"period": "2025-11"}):
            replayed, from_read_model = both_ways(desk, snapshots, **asked)
            assert replayed == from_read_model, asked
        # (and the reports are not empty)
        assert msgspec.json.decode(replayed)["cases"] > 0

    def test_as_of_a_moment_after_which_cases_moved_on_is_byte_identical(
            self, desk: ServiceDesk, clock: MovableClock, snapshots: ProjectionSet) -> None:
        # Given a morning on record, the moment it was complete, then more: new cases, and
        # the morning's cases acknowledged, resolved, reopened after that moment
        cases = a_morning(desk, clock)
        as_of = last_recorded_at(desk)
        more_later(desk, clock, cases)
        # When the report as of that moment is made both ways (and as of now)
        then = both_ways(desk, snapshots, period="2026-03", as_of=as_of)
        now = both_ways(desk, snapshots, period="2026-03")
        # Then each pair is identical, and the two moments differ
        assert then[0] == then[1]
        assert now[0] == now[1]
        assert then[0] != now[0]

    def test_a_report_as_of_a_moment_before_any_case_is_byte_identical(
            self, desk: ServiceDesk, clock: MovableClock, snapshots: ProjectionSet) -> None:
        # Given the catalogue only, its last moment, then a morning of cases
        as_of = last_recorded_at(desk)
        a_morning(desk, clock)
        # When the report as of before the cases is made both ways
        replayed, from_read_model = both_ways(desk, snapshots, period="2026-03", as_of=as_of)
        # Then they agree, and count no case
        assert replayed == from_read_model
        assert msgspec.json.decode(replayed)["cases"] == 0


class TestSnapshots:
    def test_every_demo_case_decodes_to_the_case_its_events_replay(
            self, desk: ServiceDesk, snapshots: ProjectionSet) -> None:
        # Given demo cases of every kind, followed by the read model
        load_demo(desk, cases=200, seed=5)
        snapshots.wait_for(desk.log_position(), timeout=30)
        view = snapshots.view(CASE_SNAPSHOTS.name)
        ids = [n.originator_id for n in desk.recorder.select_notifications(1, 100_000)
               if n.topic.endswith("Case.Received")]
        assert len(ids) == 200
        for case_id in ids:
            # When a case is read from its snapshot, and replayed from its events
            replayed = desk.repository.get(case_id)
            stored = view.latest(case_id)
            # Then every attribute is the same, datetimes with their offsets
            assert stored is not None and isinstance(stored, Case)
            assert stored.__dict__ == replayed.__dict__
            assert _offsets(stored.__dict__) == _offsets(replayed.__dict__)

    def test_a_case_dated_with_a_toronto_offset_keeps_it_in_its_snapshot(
            self, desk: ServiceDesk, clock: MovableClock, snapshots: ProjectionSet) -> None:
        # Given a letter stamped received at 9:00 Toronto (-05:00), acknowledged at 10:30 and
        # given a public note at 10:45
        toronto = timezone(timedelta(hours=-5))
        case_id = _received(desk, received_at=datetime(2026, 3, 4, 9, 0, tzinfo=toronto))
        clock.advance(hours=1)
        change_case(desk, Actor(id="csr-1", role=Role.CSR), case_id, "acknowledge",
                    expected_version=None, message="Received",
                    occurred_at=datetime(2026, 3, 4, 10, 30, tzinfo=toronto))
        change_case(desk, Actor(id="csr-1", role=Role.CSR), case_id, "publish_note",
                    expected_version=None, note="We have your letter",
                    occurred_at=datetime(2026, 3, 4, 10, 45, tzinfo=toronto))
        snapshots.wait_for(desk.log_position(), timeout=30)
        # When it is read from its snapshot
        stored = snapshots.view(CASE_SNAPSHOTS.name).latest(case_id)
        # Then its times keep the offsets its replay gives
        replayed = desk.repository.get(case_id)
        assert replayed.received_at.utcoffset() == timedelta(hours=-5)
        assert _offsets(stored.__dict__) == _offsets(replayed.__dict__)

    def test_a_case_with_state_the_schema_does_not_name_is_refused_not_truncated(
            self, desk: ServiceDesk) -> None:
        # Given a case with an attribute the snapshot schema does not know
        case = desk.repository.get(_received(desk))
        case.__dict__["pet_name"] = "Rex"
        # When it is encoded, then it is refused, naming the attribute
        with pytest.raises(case_state.UnknownCaseState, match="pet_name"):
            case_state.encode(case)


def _received(desk: ServiceDesk, received_at: datetime | None = None) -> Any:
    return receive(desk, channel="written", received_at=received_at).case.id


def _offsets(value: Any) -> Any:
    """Every datetime in `value` as (its instant, its UTC offset)."""
    if isinstance(value, datetime):
        return (value.astimezone(UTC), value.utcoffset())
    if isinstance(value, dict):
        return {k: _offsets(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_offsets(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return _offsets(vars(value))
    return value
