"""Every answer that carries a case's personal fields is in the access log, with the fields;
an access log that cannot be written saves nothing and discloses nothing (503, never 500)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from application.commands import ReceiveCase
from application.customers import Intake
from application.desk import ServiceDesk
from domain.actors import Actor, Role
from infrastructure.settings import Settings
from tests.api.conftest import DeskClient
from tests.tampering import Dba

CASE_FIELDS = "subject,description,contact,accessibility_needs"


def disclosures(api: DeskClient, case_id: str) -> list[tuple[str, str, str]]:
    page = api.client.get("/api/v1/audit/access", params={"case_id": case_id},
                          headers=api.headers("auditor")).json()
    return [(row["actor_id"], row["route"], row["fields"]) for row in page["items"]]


@pytest.fixture
def access_log_down(settings: Settings, desk: ServiceDesk) -> Iterator[None]:
    """The access log refuses rows for the test (a full disk, a revoked grant), then recovers."""
    with Dba(settings, desk) as dba:
        dba.break_access_log()
        try:
            yield
        finally:
            dba.mend_access_log()


def test_a_receipt_and_a_command_are_logged_with_the_fields_they_answered(
        api: DeskClient) -> None:
    case = api.receive()
    api.run(case["id"], ("acknowledge", {"message": "We have it"}))
    assert disclosures(api, case["id"]) == [
        ("csr-1", "POST /api/v1/cases", CASE_FIELDS),
        ("director-1", f"POST /api/v1/cases/{case['id']}/acknowledge", CASE_FIELDS)]


def test_a_replayed_answer_is_logged_like_a_read(api: DeskClient) -> None:
    # given a command answered once with a key
    case = api.receive()
    key = {"Idempotency-Key": "log-replay"}
    assert api.post(case["id"], "assign", {"assignee": "s-1"}, **key).status_code == 200
    # when it is replayed (nothing is saved)
    again = api.post(case["id"], "assign", {"assignee": "s-1"}, **key)
    # then the second disclosure is logged too
    assert again.headers["idempotent-replayed"] == "true"
    route = f"POST /api/v1/cases/{case['id']}/assign"
    assert disclosures(api, case["id"])[-2:] == [("director-1", route, CASE_FIELDS)] * 2


def test_the_event_stream_is_logged_as_events(api: DeskClient) -> None:
    case = api.receive()
    stream = api.client.get("/api/v1/audit/events", params={"case_id": case["id"]},
                            headers=api.headers("auditor"))
    assert stream.status_code == 200
    assert disclosures(api, case["id"])[-1] == ("auditor-1", "GET /api/v1/audit/events",
                                                "events")


def test_the_history_is_logged_with_its_events(api: DeskClient) -> None:
    case = api.receive()
    api.history(case["id"])
    assert disclosures(api, case["id"])[-1] == (
        "auditor-1", f"GET /api/v1/cases/{case['id']}/history", f"{CASE_FIELDS},events")


def test_when_the_access_log_cannot_be_written_a_command_saves_nothing_and_answers_503(
        api: DeskClient, access_log_down: None) -> None:
    # given a case, received by the desk itself (no answer, so no disclosure to log), while
    # the access log is down
    case = api.desk.handle(Actor(id="csr-1", role=Role.CSR), ReceiveCase(
        channel="email", purpose="information", department="public-works",
        subject="Tree down", description="On Division St",
        customer=Intake(personal={"name": "Ann Lee"}))).case
    # when a command and a receipt are sent
    with api.nothing_recorded(str(case.id)):
        command = api.post(str(case.id), "acknowledge", {"message": "We have it"})
        received = api.client.post(api.cases, json=api.new_case_body(),
                                   headers=api.headers("csr"))
    # then both are 503 problems that may be retried, nothing was saved, nothing disclosed
    for response in (command, received):
        problem = api.problem(response, 503, "access-log-unavailable")
        assert response.headers["retry-after"]
        assert "Ann Lee" not in response.text and problem["detail"]
    # and a read is refused the same way
    read = api.client.get(f"{api.cases}/{case.id}", headers=api.headers("auditor"))
    api.problem(read, 503, "access-log-unavailable")
    assert "Ann Lee" not in read.text

