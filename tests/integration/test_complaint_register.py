"""The complaint register, on SQLite and PostgreSQL, against a small history written out by hand."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar

import pytest

from application.complaint_register import (
    ComplaintEntry,
    Debrief,
    EscalationStep,
    received_between,
)
from application.desk import ServiceDesk
from domain.actors import Actor, Role
from domain.errors import InvalidValue
from engine.runner import ProjectionSet
from infrastructure.settings import Settings
from projections.complaint_register import COMPLAINT_REGISTER
from tests import receiving, toronto_time
from tests.commanding import change_case
from tests.conftest import running_projections

ADMIN = Actor(id="admin-al", role=Role.ADMIN)
CSR = Actor(id="csr-ana", role=Role.CSR)
HOME, AWAY = "public-works", "planning"


def toronto(month: int, day: int, hour: int = 10) -> datetime:
    """A Toronto wall-clock time in 2026 (10:00 unless told), as UTC."""
    return toronto_time.toronto(2026, month, day, hour)


NOW = toronto(3, 5, 14)  # Thursday 2026-03-05 14:00


def receive(desk: ServiceDesk, received_at: datetime, **overrides: Any) -> Any:
    return receiving.receive(desk, received_at=received_at,
                             **{"subject": "Rude reply", "description": "", **overrides}).case


def change(desk: ServiceDesk, case: Any, command: str, at: datetime | None = None,
           **arguments: Any) -> None:
    change_case(desk, ADMIN, case.id, command, expected_version=None, occurred_at=at,
                     **arguments)


def classify(desk: ServiceDesk, case: Any, kind: str = "complaint",
             at: datetime | None = None) -> None:
    change(desk, case, "classify", at, classification=kind, reason="as the customer put it")


@pytest.fixture
def register(settings: Settings, desk: ServiceDesk) -> Iterator[ProjectionSet]:
    with running_projections(settings, desk, COMPLAINT_REGISTER) as running:
        yield running


def entries(desk: ServiceDesk, register: ProjectionSet, visible: frozenset[str] | None = None,
            limit: int = 200, **filters: Any) -> list[ComplaintEntry]:
    register.wait_for(desk.log_position())
    view, found, after = register.view("complaint_register"), [], None
    while True:
        page, after = view.complaints(visible, after=after, limit=limit, **filters)
        found += page
        if after is None:
            return found


@pytest.fixture
def history(desk: ServiceDesk, clock: Any) -> dict[str, Any]:
    clock.now = NOW
    rude = receive(desk, toronto(2, 10))
    classify(desk, rude, at=toronto(2, 11))
    change(desk, rude, "assign", toronto(2, 11, 11), assignee="staff-bo")
    change(desk, rude, "escalate", toronto(2, 12), to_level="department_manager",
           reason="Unhappy with the reply", owner="manager-cy")
    change(desk, rude, "escalate", toronto(2, 16), to_level="director",
           reason="Still unresolved", owner="director-di")
    change(desk, rude, "resolve", toronto(2, 20), resolution="Apologised to Ms. Smith",
           at_first_contact=False)
    change(desk, rude, "close", toronto(2, 23))
    change(desk, rude, "debrief", toronto(2, 25), cause="Template too curt",
           actions="Templates rewritten", edi_findings="None",
           accessibility_findings="Letter not offered in large print")
    slow = receive(desk, toronto(3, 2), department=AWAY, subject="Permit delay")
    classify(desk, slow, at=toronto(3, 2, 11))
    classify(desk, receive(desk, toronto(3, 3), subject="Nice staff"), "feedback")
    receive(desk, toronto(3, 4), subject="Question")
    return {"rude": rude, "slow": slow}


class TestRegister:
    def test_a_complaint_is_registered_with_its_path_owners_outcome_and_debrief(
            self, desk: ServiceDesk, register: ProjectionSet, history: dict[str, Any]) -> None:
        [rude, _] = entries(desk, register)
        assert (rude.id, rude.reference, rude.department) == (
            history["rude"].id, history["rude"].reference, HOME)
        assert (rude.received_at, rude.classified_at) == (toronto(2, 10), toronto(2, 11))
        assert rude.escalations == (
            EscalationStep("front_line", "department_manager", "Unhappy with the reply",
                           "manager-cy", toronto(2, 12)),
            EscalationStep("department_manager", "director", "Still unresolved",
                           "director-di", toronto(2, 16)))
        assert (rude.level, rude.owner, rude.owners) == (
            "director", "director-di", ("manager-cy", "director-di"))
        assert (rude.status, rude.outcome, rude.resolved_at, rude.closed_at) == (
            "closed", "closed", toronto(2, 20), toronto(2, 23))
        assert rude.debrief == Debrief("Template too curt", "Templates rewritten", "None",
                                       "Letter not offered in large print", toronto(2, 25))
        # The resolution text may name the customer: the register keeps the outcome only.
        assert "Smith" not in repr(rude)

    def test_an_open_complaint_at_the_front_line_is_owned_by_its_assignee(
            self, desk: ServiceDesk, register: ProjectionSet, history: dict[str, Any]) -> None:
        change(desk, history["slow"], "assign", assignee="staff-ed")
        change(desk, history["slow"], "wait", reason="Need the permit number")
        [_, slow] = entries(desk, register)
        assert (slow.level, slow.escalations, slow.owner, slow.owners) == (
            "front_line", (), "staff-ed", ())
        assert (slow.status, slow.outcome, slow.resolved_at, slow.debrief) == (
            "waiting_on_customer", "open", None, None)

    def test_only_cases_classified_as_complaints_are_registered(
            self, desk: ServiceDesk, clock: Any, register: ProjectionSet,
            history: dict[str, Any]) -> None:
        assert [e.id for e in entries(desk, register)] == [history["rude"].id,
                                                           history["slow"].id]
        classify(desk, history["slow"], "feedback")
        assert [e.id for e in entries(desk, register)] == [history["rude"].id]
        classify(desk, history["slow"], "complaint", at=toronto(3, 5, 9))
        [_, again] = entries(desk, register)
        assert (again.id, again.classified_at, again.level) == (
            history["slow"].id, toronto(3, 5, 9), "front_line")

    def test_escalating_a_resolved_complaint_reopens_it(
            self, desk: ServiceDesk, register: ProjectionSet, history: dict[str, Any]) -> None:
        slow = history["slow"]
        change(desk, slow, "resolve", toronto(3, 3), resolution="Issued",
               at_first_contact=False)
        assert entries(desk, register)[1].outcome == "resolved"
        change(desk, slow, "escalate", toronto(3, 4), to_level="department_manager",
               reason="Wrong permit", owner="manager-fe")
        [_, reopened] = entries(desk, register)
        assert (reopened.status, reopened.resolved_at, reopened.level, reopened.owner) == (
            "open", None, "department_manager", "manager-fe")

    def test_a_transfer_moves_a_complaint_to_its_new_department(
            self, desk: ServiceDesk, register: ProjectionSet, history: dict[str, Any]) -> None:
        change(desk, history["slow"], "transfer", to_department="community", warm=False,
               handover_note="", customer_informed=True)
        assert entries(desk, register)[1].department == "community"
        assert [e.id for e in entries(desk, register, department=AWAY)] == []


class TestFiltersAndPages:
    FILTERS: ClassVar[list[tuple[dict[str, Any], list[str]]]] = [
        ({"department": HOME}, ["rude"]),
        ({"department": AWAY}, ["slow"]),
        ({"level": "director"}, ["rude"]),
        ({"level": "front_line"}, ["slow"]),
        ({"status": "closed"}, ["rude"]),
        ({"outcome": "open"}, ["slow"]),
        ({"outcome": "resolved"}, []),
        ({"department": HOME, "outcome": "open"}, []),
    ]

    def test_filters_select_matching_complaints(
            self, desk: ServiceDesk, register: ProjectionSet, history: dict[str, Any]) -> None:
        names = {case.id: name for name, case in history.items()}
        found = [([names[e.id] for e in entries(desk, register, **filters)], expected)
                 for filters, expected in self.FILTERS]
        assert [selected for selected, _ in found] == [expected for _, expected in found]

    def test_a_period_selects_complaints_by_the_toronto_day_they_were_received(
            self, desk: ServiceDesk, register: ProjectionSet, history: dict[str, Any]) -> None:
        def received(period: str | None = None, first: str | None = None,
                     last: str | None = None) -> list[Any]:
            start, end = received_between(period, first, last)
            return [e.id for e in entries(desk, register, received_from=start,
                                          received_before=end)]

        assert received("2026-02") == [history["rude"].id]
        assert received("2026-Q1") == [history["rude"].id, history["slow"].id]
        assert received(first="2026-03-02", last="2026-03-02") == [history["slow"].id]
        assert received(first="2026-03-03", last="2026-03-31") == []
        # Toronto midnight, not UTC midnight: 2026-03-02 starts at 05:00 UTC.
        assert received_between(None, "2026-03-02", "2026-03-02") == (
            datetime(2026, 3, 2, 5, tzinfo=UTC), datetime(2026, 3, 3, 5, tzinfo=UTC))

    def test_staff_see_only_their_departments_complaints(
            self, desk: ServiceDesk, register: ProjectionSet, history: dict[str, Any]) -> None:
        assert [e.id for e in entries(desk, register, frozenset({AWAY}))] == [
            history["slow"].id]
        assert entries(desk, register, frozenset()) == []

    def test_pages_list_every_complaint_once_first_received_first(
            self, desk: ServiceDesk, clock: Any, register: ProjectionSet) -> None:
        clock.now = NOW
        for day in (2, 2, 3, 3, 4):  # pairs share a received time, so the id breaks ties
            classify(desk, receive(desk, toronto(3, day)))
        found = entries(desk, register, limit=2)
        assert len({e.id for e in found}) == len(found) == 5
        keys = [(e.received_at, str(e.id)) for e in found]
        assert keys == sorted(keys)

    def test_bad_filters_are_refused_by_name(self, register: ProjectionSet) -> None:
        bad: list[tuple[dict[str, Any], str]] = [
            ({"level": "mayor"}, "level"), ({"status": "lost"}, "status"),
            ({"outcome": "waiting_on_customer"}, "outcome"), ({"limit": 0}, "limit"),
            ({"limit": 201}, "limit"), ({"after": "not-a-cursor"}, "after"),
        ]
        for filters, field in bad:
            with pytest.raises(InvalidValue) as refused:
                register.view("complaint_register").complaints(None, **filters)
            assert refused.value.field == field, filters
