"""The ServiceDesk application on a real SQLite file and a real PostgreSQL database."""

from __future__ import annotations

from typing import Any

import pytest

from application.desk import IdempotencyKey, IdempotencyKeyReused, ServiceDesk
from domain.actors import Actor, Role
from domain.errors import Forbidden, InvalidValue, NotFound, VersionConflict
from infrastructure.bootstrap import build_desk, seed_catalogue
from infrastructure.settings import Settings
from tests.commanding import change_case
from tests.receiving import receive

CSR = Actor(id="csr-ana", role=Role.CSR)
ROADS = Actor(id="staff-bo", role=Role.STAFF, departments=frozenset({"public-works"}))
PLANNER = Actor(id="staff-cy", role=Role.STAFF, departments=frozenset({"planning"}))
AUDITOR = Actor(id="aud-di", role=Role.AUDITOR)


def test_references_are_issued_in_order_and_never_reused(desk: ServiceDesk) -> None:
    references = [receive(desk).case.reference for _ in range(3)]
    assert references == ["SC-2026-000001", "SC-2026-000002", "SC-2026-000003"]


def test_a_reference_finds_its_case(desk: ServiceDesk) -> None:
    case = receive(desk).case
    assert desk.case_id_for(case.reference) == case.id


def test_the_service_decides_the_owning_department(desk: ServiceDesk) -> None:
    case = receive(desk, department=None, service_code="planning-building-01").case
    assert case.department == "planning"


def test_a_service_of_another_department_is_refused(desk: ServiceDesk) -> None:
    with pytest.raises(InvalidValue, match="belongs to planning") as refused:
        receive(desk, department="public-works", service_code="planning-building-01")
    assert refused.value.field == "department"


def test_an_unknown_department_is_refused_and_nothing_is_recorded(desk: ServiceDesk) -> None:
    before = desk.log_position()
    with pytest.raises(InvalidValue, match="no active department"):
        receive(desk, department="space-program")
    assert desk.log_position() == before


def test_staff_cannot_see_another_departments_case(desk: ServiceDesk) -> None:
    case = receive(desk).case
    with pytest.raises(NotFound):
        desk.get_case(PLANNER, case.id)
    assert desk.get_case(ROADS, case.id).reference == case.reference


def test_auditors_read_everything_and_change_nothing(desk: ServiceDesk) -> None:
    case = receive(desk).case
    assert desk.get_case(AUDITOR, case.id).id == case.id
    with pytest.raises(Forbidden, match="read-only"):
        change_case(desk, AUDITOR, case.id, "acknowledge", expected_version=None, message="x")


def test_a_stale_expected_version_is_a_conflict_and_changes_nothing(desk: ServiceDesk) -> None:
    case = receive(desk).case
    loaded = case.version
    change_case(desk, ROADS, case.id, "assign", expected_version=loaded, assignee="staff-bo")
    with pytest.raises(VersionConflict) as conflict:
        change_case(desk, ROADS, case.id, "acknowledge", expected_version=loaded, message="hi")
    assert conflict.value.current_version == loaded + 1
    assert desk.get_case(ROADS, case.id).acknowledged_at is None


def test_two_writers_of_one_version_cannot_both_win(desk: ServiceDesk) -> None:
    # Given two clerks who loaded the same version of a case
    case_id = receive(desk).case.id
    first = desk.get_case(CSR, case_id)
    second = desk.get_case(CSR, case_id)
    first.acknowledge(message="first", actor=CSR, occurred_at=desk.clock(), now=desk.clock())
    second.acknowledge(message="second", actor=CSR, occurred_at=desk.clock(), now=desk.clock())
    desk.save(first)
    # When the second saves, the library's optimistic concurrency refuses it
    with pytest.raises(VersionConflict):
        desk._save(second)
    assert [type(e).__name__ for e in desk.case_events(CSR, case_id)][-1] == "Acknowledged"
    assert desk.get_case(CSR, case_id).version == first.version


def test_a_retried_request_returns_the_first_answer_and_records_nothing(
        desk: ServiceDesk) -> None:
    key = IdempotencyKey(key="retry-1", fingerprint="abc")
    first = receive(desk, idempotency=key)
    position = desk.log_position()
    again = receive(desk, idempotency=key)
    assert again.replayed and again.case.id == first.case.id
    assert desk.log_position() == position


def test_a_key_reused_for_a_different_request_is_refused(desk: ServiceDesk) -> None:
    receive(desk, idempotency=IdempotencyKey(key="k", fingerprint="one"))
    with pytest.raises(IdempotencyKeyReused):
        receive(desk, idempotency=IdempotencyKey(key="k", fingerprint="two"))


def test_idempotency_survives_a_restart(settings: Settings, desk: ServiceDesk) -> None:
    key = IdempotencyKey(key="across-restart", fingerprint="f")
    case = receive(desk).case
    first = change_case(desk, CSR, case.id, "acknowledge", expected_version=None,
                             idempotency=key, message="hello")
    restarted = build_desk(settings, clock=desk.clock)
    seed_catalogue(restarted)
    again = change_case(restarted, CSR, case.id, "acknowledge", expected_version=None,
                                  idempotency=key, message="hello")
    assert again.replayed and again.case.version == first.case.version
    restarted.close()


def test_a_call_on_new_years_eve_evening_takes_the_old_years_reference(
        desk: ServiceDesk, clock: Any) -> None:
    # Given 19:30 in Cobourg on Dec 31, which is already 00:30 UTC on Jan 1
    from datetime import UTC, datetime

    clock.now = datetime(2027, 1, 1, 0, 30, tzinfo=UTC)
    # When a call is recorded, then it is numbered in the Town's year, 2026
    assert receive(desk, channel="telephone").case.reference.startswith("SC-2026-")


def test_a_call_whose_wait_was_measured_can_still_be_resolved_at_first_contact(
        desk: ServiceDesk) -> None:
    case = receive(desk, channel="telephone", wait_seconds=40).case
    assert case.targets["answer_wait"].met_at is not None
    resolved = change_case(desk, CSR, case.id, "resolve", expected_version=None,
                                resolution="explained the bylaw", at_first_contact=True)
    assert resolved.case.resolved_at_first_contact


def test_a_complaint_classified_after_its_acknowledgement_counts_as_acknowledged_then(
        desk: ServiceDesk) -> None:
    # Given a web form acknowledged at once, then classified as a complaint
    case = receive(desk, channel="web_form").case
    acknowledged = change_case(desk, CSR, case.id, "acknowledge", expected_version=None,
                                    message="received").case.acknowledged_at
    classified = change_case(desk, CSR, case.id, "classify", expected_version=None,
                                  classification="complaint", reason="unhappy").case
    # Then its new acknowledgement target is already met, at the acknowledgement
    assert classified.targets["acknowledge"].met_at == acknowledged
