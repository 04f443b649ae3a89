"""Read models store the domain's verdict on a settled target; SQL only filters on it.

Met or met late is decided once, by `domain.targets.settled_state`, when a target is met,
recorded missed or planned already settled; the queues, the case index (and so the SLA board
and the case list) and the scorecard store that verdict (`verdict`), and the scorecard pauses
and meets targets by the domain's rules (`domain.targets.pauses`, `meets`), on SQLite and
PostgreSQL. A target withdrawn by a merge has no row: it counts neither way.

Email is acknowledged within 2 business days: 16 business hours. The desk opens 08:30-16:30
Toronto time (UTC-5 until Sunday 2026-03-08).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from application.desk import ServiceDesk
from application.duplicates import merge
from application.scorecards import department_scorecard
from domain.actors import Actor, Role
from domain.targets import TargetState, settled_state
from engine.runner import RUNNING, ProjectionSet, TablesOfAnotherVersion
from engine.views import SCHEMAS
from infrastructure.settings import Settings
from projections.case_index import CASE_INDEX
from projections.queues import QUEUES
from projections.scorecard import SCORECARD
from tests import receiving, toronto_time
from tests.commanding import change_case
from tests.conftest import running_projections

ADMIN = Actor(id="admin-al", role=Role.ADMIN)
CSR = Actor(id="csr-ana", role=Role.CSR)
PW = "public-works"
ACK = "acknowledge"


def toronto(day: int, hour: int, minute: int = 0) -> datetime:
    """A Toronto wall-clock time in March 2026, as UTC."""
    return toronto_time.toronto(2026, 3, day, hour, minute)


NOW = toronto(5, 14)  # Thursday 14:00
# Each case's acknowledgement target as stored, computed by hand: (verdict, paused at).
STORED: dict[str, tuple[str | None, datetime | None]] = {
    # Wed 10:00 + 16 h -> due Fri 10:00; acknowledged Wed 11:00: met
    "met": ("met", None),
    # Mon 09:00 + 16 h: Mon 7.5 h, Tue 8 h, Wed 0.5 h -> due Wed 09:00; acknowledged Wed 12:00
    "met_late": ("met_late", None),
    # Mon 10:00 + 16 h: Mon 6.5 h, Tue 8 h, Wed 1.5 h -> due Wed 10:00, recorded missed then
    "missed": ("breached", None),
    # Due Wed 10:00 and recorded missed; then an acknowledgement is entered that happened Tue
    # 10:00, before the due time: met on time, per the facts
    "overturned": ("met", None),
    # Due Wed 09:00; waiting on the customer from Tue 10:00 pauses it (before its due time);
    # resolved Thu 10:00 while paused. Its clock stopped Tue 10:00, before the due time: met,
    # although it was met (Thu 10:00) after the due time the row holds
    "paused_then_met": ("met", toronto(3, 10)),
    # Due Wed 09:00; waiting on the customer from Thu 10:00, after its due time, pauses
    # nothing (its time ran out): still open in the rows (no miss recorded), breached by now
    "paused_too_late": (None, None),
    # Thu 09:00 + 16 h -> due Mon 09:00: open
    "open": (None, None),
}
# The scorecard at NOW: met (met, overturned, paused_then_met), met late (met_late), breached
# (missed, recorded; paused_too_late, overdue at NOW), open ("open"); the withdrawn one none.
SCORECARD_AT_NOW = Counter({"met": 3, "met_late": 1, "breached": 2, "open": 1})


@pytest.fixture
def read_models(settings: Settings, desk: ServiceDesk) -> Iterator[ProjectionSet]:
    with running_projections(settings, desk, QUEUES, CASE_INDEX, SCORECARD) as running:
        yield running


def receive(desk: ServiceDesk, received_at: datetime) -> Any:
    return receiving.receive(desk, CSR, received_at=received_at).case


def change(desk: ServiceDesk, case: Any, command: str, **arguments: Any) -> None:
    change_case(desk, ADMIN, case.id, command, expected_version=None, **arguments)


@pytest.fixture
def cases(desk: ServiceDesk, clock: Any, read_models: ProjectionSet) -> dict[str, Any]:
    clock.now = NOW
    made = {"met": receive(desk, toronto(4, 10)), "met_late": receive(desk, toronto(2, 9)),
            "missed": receive(desk, toronto(2, 10)), "overturned": receive(desk, toronto(2, 10)),
            "paused_then_met": receive(desk, toronto(2, 9)),
            "paused_too_late": receive(desk, toronto(2, 9)),
            "open": receive(desk, toronto(5, 9)), "withdrawn": receive(desk, toronto(5, 9))}
    change(desk, made["met"], "acknowledge", message="We have it", occurred_at=toronto(4, 11))
    change(desk, made["met_late"], "acknowledge", message="Sorry", occurred_at=toronto(4, 12))
    assert desk.record_deadline_missed(made["missed"].id, ACK, toronto(4, 10))
    assert desk.record_deadline_missed(made["overturned"].id, ACK, toronto(4, 10))
    change(desk, made["overturned"], "acknowledge", message="Phoned back",
           occurred_at=toronto(3, 10), late_entry_reason="Call log entered late")
    change(desk, made["paused_then_met"], "wait", reason="Need a photo",
           occurred_at=toronto(3, 10))
    change(desk, made["paused_then_met"], "resolve", resolution="Fixed",
           occurred_at=toronto(5, 10))
    change(desk, made["paused_too_late"], "wait", reason="Need a photo",
           occurred_at=toronto(5, 10))
    merge(desk, ADMIN, made["withdrawn"].id, made["open"].id, reason="Same pothole")
    read_models.wait_for(desk.log_position())
    return made


def stored(read_models: ProjectionSet, projection: str, table: str, name_column: str,
           cases: dict[str, Any]) -> dict[str, tuple[str | None, datetime | None]]:
    """Each case's acknowledgement row in `table`: (verdict, paused_at)."""
    view = read_models.view(projection)
    by_id = {view.id_in(case.id): name for name, case in cases.items()}
    with view.reading() as cursor:
        cursor.execute(f"SELECT case_id, verdict, paused_at FROM {view.table(table)} "
                       f"WHERE {name_column} = {view.placeholder}", [ACK])
        return {by_id[row["case_id"]]: (
            row["verdict"], None if row["paused_at"] is None else view.time_out(row["paused_at"]))
            for row in cursor.fetchall() if row["case_id"] in by_id}


class TestSettledVerdicts:
    def test_the_domain_decides_each_settled_target_as_computed_by_hand(
            self, desk: ServiceDesk, cases: dict[str, Any]) -> None:
        # Given the cases, when the aggregate's own targets are judged with no "now"
        verdicts = {}
        for name, case in cases.items():
            target = desk.get_case(ADMIN, case.id).targets.get(ACK)
            if target is not None and name != "withdrawn":
                settled = settled_state(target)
                verdicts[name] = (None if settled is None else settled.value, target.paused_at)
        # Then each verdict is the hand-computed one (the withdrawn one stays undecided there)
        assert verdicts == STORED

    @pytest.mark.parametrize(("projection", "table", "name_column"), [
        (QUEUES.name, "queues_targets", "target"),
        (CASE_INDEX.name, "case_index_targets", "target"),
        (SCORECARD.name, "scorecard_targets", "name"),
    ])
    def test_every_read_model_stores_the_domains_verdict_when_a_target_settles(
            self, read_models: ProjectionSet, cases: dict[str, Any], projection: str,
            table: str, name_column: str) -> None:
        # Given the cases, when the read model's acknowledgement rows are read
        rows = stored(read_models, projection, table, name_column, cases)
        # Then each holds the verdict and pause computed by hand, and the target withdrawn by
        # the merge has no row
        assert rows == STORED

    def test_the_case_list_filters_on_the_stored_verdict(
            self, read_models: ProjectionSet, cases: dict[str, Any]) -> None:
        by_id = {case.id: name for name, case in cases.items()}
        listed = {}
        for state in TargetState:
            rows, _ = read_models.view(CASE_INDEX.name).list_cases(
                None, target=ACK, target_state=state.value, now=NOW, limit=200)
            listed.update({by_id[row.id]: state.value for row in rows})
        # Then the settled ones are listed by their verdict, the open ones by the time
        assert listed == {"met": "met", "met_late": "met_late", "missed": "breached",
                          "overturned": "met", "paused_then_met": "met",
                          "paused_too_late": "breached", "open": "pending"}

    def test_the_scorecard_counts_the_stored_verdicts(
            self, read_models: ProjectionSet, cases: dict[str, Any]) -> None:
        [figures] = department_scorecard(read_models.view(SCORECARD.name), ADMIN,
                                         department=PW, period="2026-03", now=NOW,
                                         min_sample=1).standards
        assert +Counter({"met": figures.met_on_time, "met_late": figures.met_late,
                         "breached": figures.breached, "open": figures.open}) == SCORECARD_AT_NOW


class TestUpgrade:
    @pytest.mark.parametrize(("projection", "table"), [
        (QUEUES, "queues_targets"), (CASE_INDEX, "case_index_targets"),
        (SCORECARD, "scorecard_targets")])
    def test_a_read_model_made_before_verdicts_were_stored_is_rebuilt_with_them(
            self, settings: Settings, desk: ServiceDesk, clock: Any, projection: Any,
            table: str) -> None:
        # Given a case acknowledged late (due Wed 09:00, acknowledged Wed 12:00), followed by
        # a read model as the previous version made it: no verdict column, its fingerprint
        clock.now = NOW
        late = receive(desk, toronto(2, 9))
        change(desk, late, "acknowledge", message="Sorry", occurred_at=toronto(4, 12))
        with running_projections(settings, desk, projection) as running:
            running.wait_for(desk.log_position())
            view = running.view(projection.name)
            with view._begin(write=True) as cursor:
                cursor.execute(f"ALTER TABLE {view.table(table)} DROP COLUMN verdict")
                cursor.execute(f"UPDATE {view._qualify(SCHEMAS)} SET fingerprint = "
                               f"'previous' WHERE projection = {view.placeholder}",
                               [projection.name])
        # When this version starts
        with running_projections(settings, desk, projection) as running:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if (running.role(projection.name) == RUNNING
                            and running.position(projection.name) >= desk.log_position()):
                        break
                except TablesOfAnotherVersion:
                    pass
                assert running.error(projection.name) is None
                assert time.monotonic() < deadline, running.positions()
                time.sleep(0.05)
            view = running.view(projection.name)
            name_column = "name" if projection is SCORECARD else "target"
            # Then it was rebuilt from the log, with the verdict the domain gives
            assert view.current_generation() == 1
            with view.reading() as cursor:
                cursor.execute(f"SELECT verdict FROM {view.table(table)} "
                               f"WHERE {name_column} = {view.placeholder}", [ACK])
                assert [row["verdict"] for row in cursor.fetchall()] == ["met_late"]
