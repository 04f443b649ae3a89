"""The case index by SLA target: filtered by target state and ordered by what is due next.

On SQLite and PostgreSQL, against a history computed by hand. Email is acknowledged within 2
business days: 16 business hours, at risk under 4 hours left (25%). The desk opens 08:30-16:30
Toronto time (UTC-5 in the first week of March 2026). The list is judged on Thursday 14:00.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from application.commands import ReceiveCase
from application.desk import ServiceDesk
from application.queries import CaseSummary
from domain.actors import Actor, Role
from domain.errors import InvalidValue
from engine.runner import ProjectionSet
from infrastructure.settings import Settings
from projections.case_index import CASE_INDEX
from tests import toronto_time
from tests.commanding import change_case
from tests.conftest import running_projections

ADMIN = Actor(id="admin-al", role=Role.ADMIN)
CSR = Actor(id="csr-ana", role=Role.CSR)


def toronto(day: int, hour: int, minute: int = 0) -> datetime:
    """A Toronto wall-clock time in March 2026, as UTC."""
    return toronto_time.toronto(2026, 3, day, hour, minute)


NOW = toronto(5, 14)  # Thursday 14:00


def receive(desk: ServiceDesk, received_at: datetime, /, **overrides: Any) -> Any:
    fields: dict[str, Any] = dict(
        channel="email", received_at=received_at, purpose="issue_or_complaint",
        service_code=None, department="public-works", subject="Pothole",
        description="Deep hole", customer=None)
    fields.update(overrides)
    return desk.handle(CSR, ReceiveCase(**fields)).case


def change(desk: ServiceDesk, case: Any, command: str, **arguments: Any) -> None:
    change_case(desk, ADMIN, case.id, command, expected_version=None, **arguments)


@pytest.fixture
def index(settings: Settings, desk: ServiceDesk) -> Iterator[ProjectionSet]:
    with running_projections(settings, desk, CASE_INDEX) as running:
        yield running


@pytest.fixture
def history(desk: ServiceDesk, clock: Any) -> dict[str, Any]:
    """Seven email cases in public-works, each in a different place against its promise."""
    clock.now = NOW
    late = receive(desk, toronto(2, 10))
    # Mon 10:00 + 16 h: Mon 6.5 h, Tue 8 h (14.5), Wed 1.5 h -> due Wed 10:00; recorded missed.
    assert desk.record_deadline_missed(late.id, "acknowledge", toronto(4, 10))
    soon = receive(desk, toronto(3, 15))
    # Tue 1.5 h, Wed 8 h, Thu 6.5 h -> due Thu 15:00; at Thu 14:00 1 h left < 4 h: at risk.
    fresh = receive(desk, toronto(5, 9))
    # Thu 7.5 h, Fri 8 h, Mon 0.5 h -> due Mon 09:00 EDT (13:00 UTC): pending.
    on_time = receive(desk, toronto(4, 10))
    change(desk, on_time, "acknowledge", message="We have it", occurred_at=toronto(4, 11))
    # due Fri 10:00, acknowledged Wed 11:00: met.
    tardy = receive(desk, toronto(2, 9))
    change(desk, tardy, "acknowledge", message="Sorry", occurred_at=toronto(5, 10))
    # Mon 7.5 h, Tue 8 h (15.5), Wed 0.5 h -> due Wed 09:00; acknowledged Thu 10:00 with no
    # breach recorded (the scheduler was down): met late all the same.
    waiting = receive(desk, toronto(3, 15))
    change(desk, waiting, "wait", reason="Which address?", occurred_at=toronto(4, 15, 30))
    # due Thu 15:00 like `soon`, but paused Wed 15:30 with 1 h (Wed) + 6.5 h (Thu) = 7.5 h
    # left, 4 h or more: pending while paused, and nothing running, so nothing due.
    overdue = receive(desk, toronto(2, 11))
    # Mon 5.5 h, Tue 8 h (13.5), Wed 2.5 h -> due Wed 11:00; no breach recorded yet (the
    # scheduler has not fired): breached all the same, since Wed 11:00 has passed.
    return {"late": late, "soon": soon, "fresh": fresh, "on_time": on_time, "tardy": tardy,
            "waiting": waiting, "overdue": overdue}


def listed(desk: ServiceDesk, index: ProjectionSet, history: dict[str, Any], *,
           limit: int = 200, **filters: Any) -> list[str]:
    """The names of every case listed, across pages of `limit`."""
    index.wait_for(desk.log_position())
    view, names, after = index.view("case_index"), [], None
    by_id = {case.id: name for name, case in history.items()}
    while True:
        rows, after = view.list_cases(None, now=NOW, after=after,
                                      limit=limit, **filters)
        names += [by_id[row.id] for row in rows]
        if after is None:
            return names


def rows(desk: ServiceDesk, index: ProjectionSet, **filters: Any) -> list[CaseSummary]:
    index.wait_for(desk.log_position())
    found, _ = index.view("case_index").list_cases(None, now=NOW,
                                                   limit=200, **filters)
    return found


class TestFilterByTargetState:
    @pytest.mark.parametrize(("state", "expected"), [
        ("breached", {"late", "overdue"}),
        ("at_risk", {"soon"}),
        ("pending", {"fresh", "waiting"}),
        ("met", {"on_time"}),
        ("met_late", {"tardy"}),
    ])
    def test_each_case_is_listed_under_the_state_of_its_target_now(
            self, desk: ServiceDesk, index: ProjectionSet, history: dict[str, Any],
            state: str, expected: set[str]) -> None:
        assert set(listed(desk, index, history, target_state=state)) == expected

    def test_a_state_judged_on_the_calendar_fills_every_page(
            self, desk: ServiceDesk, index: ProjectionSet, history: dict[str, Any]) -> None:
        # Pages of one: the pending cases are found across the others between them.
        assert sorted(listed(desk, index, history, target_state="pending", limit=1)) == [
            "fresh", "waiting"]

    def test_a_target_name_narrows_the_state_to_that_target(
            self, desk: ServiceDesk, index: ProjectionSet, history: dict[str, Any]) -> None:
        assert listed(desk, index, history, target="resolve", target_state="breached") == []
        assert set(listed(desk, index, history, target="acknowledge",
                          target_state="breached")) == {"late", "overdue"}

    def test_an_unknown_state_or_target_is_refused_by_name(
            self, desk: ServiceDesk, index: ProjectionSet, history: dict[str, Any]) -> None:
        with pytest.raises(InvalidValue) as refused:
            listed(desk, index, history, target_state="late")
        assert refused.value.field == "target_state"
        with pytest.raises(InvalidValue) as refused:
            listed(desk, index, history, target="reply")
        assert refused.value.field == "target"


class TestOrderByNextDue:
    def test_overdue_work_comes_first_and_cases_with_nothing_running_last(
            self, desk: ServiceDesk, index: ProjectionSet, history: dict[str, Any]) -> None:
        names = listed(desk, index, history, order="next_due")
        # Due Wed 10:00 (late), Wed 11:00 (overdue), Thu 15:00 (soon), Mon 09:00 (fresh);
        # then met, met late and paused, by id.
        assert names[:4] == ["late", "overdue", "soon", "fresh"]
        assert set(names[4:]) == {"on_time", "tardy", "waiting"}

    def test_each_row_names_its_next_target_and_due_time(
            self, desk: ServiceDesk, index: ProjectionSet, history: dict[str, Any]) -> None:
        found = {row.id: row for row in rows(desk, index)}
        assert (found[history["soon"].id].next_target,
                found[history["soon"].id].next_due_at) == ("acknowledge", toronto(5, 15))
        assert found[history["fresh"].id].next_due_at == datetime(2026, 3, 9, 13, 0,
                                                                   tzinfo=UTC)
        assert found[history["waiting"].id].next_due_at is None  # paused: nothing running

    def test_pages_follow_the_due_order_without_gaps_or_repeats(
            self, desk: ServiceDesk, index: ProjectionSet, history: dict[str, Any]) -> None:
        whole = listed(desk, index, history, order="next_due")
        assert listed(desk, index, history, order="next_due", limit=2) == whole

    def test_a_cursor_of_the_other_order_is_refused(
            self, desk: ServiceDesk, index: ProjectionSet, history: dict[str, Any]) -> None:
        index.wait_for(desk.log_position())
        view = index.view("case_index")
        _, received_cursor = view.list_cases(None, limit=1)
        with pytest.raises(InvalidValue) as refused:
            view.list_cases(None, order="next_due", after=received_cursor, limit=1)
        assert refused.value.field == "after"

    def test_resuming_brings_the_paused_deadline_back_moved_by_the_pause(
            self, desk: ServiceDesk, index: ProjectionSet, history: dict[str, Any],
            clock: Any) -> None:
        change(desk, history["waiting"], "customer_responded", summary="12 King St",
               occurred_at=toronto(5, 13, 30))
        # Paused Wed 15:30 to Thu 13:30: 1 h (Wed) + 5 h (Thu) = 6 h of business time, so the
        # Thu 15:00 deadline moves 6 h on: Thu 1.5 h, Fri 4.5 h -> Fri 13:00.
        [row] = [r for r in rows(desk, index) if r.id == history["waiting"].id]
        assert (row.next_target, row.next_due_at) == ("acknowledge", toronto(6, 13))


class TestDeskHours:
    def test_a_satellite_desks_case_is_judged_on_that_desks_hours(
            self, desk: ServiceDesk, index: ProjectionSet, clock: Any) -> None:
        # Given an email taken at the Marina (seeded open every day 10:00-18:00) on Saturday
        # Mar 7 at 11:00: Sat 7 h, Sun 8 h (15 h), Mon 1 h -> due Mon Mar 9 11:00
        clock.now = toronto(7, 11)
        case = receive(desk, toronto(7, 11), desk="marina-campground")
        index.wait_for(desk.log_position())
        view, noon = index.view("case_index"), toronto(7, 12)

        def listed(state: str) -> bool:
            rows, _ = view.list_cases(None, target_state=state, now=noon, limit=200)
            return case.id in {row.id for row in rows}

        # When it is listed on Saturday at 12:00, 15 h of the Marina's hours are left, 4 h or
        # more: pending, not at risk (on Victoria Hall's, only Mon 08:30-11:00 = 2.5 h)
        assert listed("pending")
        assert not listed("at_risk")
