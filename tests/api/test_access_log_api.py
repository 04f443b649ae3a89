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



def test_a_damaged_access_log_is_answered_as_a_problem_not_a_500(
        api: DeskClient, settings: Settings, desk: ServiceDesk) -> None:
    # given two logged disclosures, then the first entry rewritten to a value the application
    # never writes (its guard dropped first, as the owner's password allows)
    case = api.receive()
    api.history(case["id"])
    access = (f"{settings.database_schema}.personal_information_access" if settings.is_postgres
              else "personal_information_access")
    with Dba(settings, desk) as dba:
        if settings.is_postgres:
            dba.run(f"DROP TRIGGER refuse_update_delete ON {access}")
            dba.run(f"UPDATE {access} SET at = '-infinity' WHERE id = 1")
        else:
            dba.run("DROP TRIGGER personal_information_access_refuse_update")
            dba.run(f"UPDATE {access} SET at = 'yesterday' WHERE id = 1")
    # when an auditor lists the access log
    listed = api.client.get("/api/v1/audit/access", headers=api.headers("auditor"))
    # then the answer is the damaged-log problem naming the entry, and verify fails there
    problem = api.problem(listed, 503, "log-inconsistent")
    assert "entry 1" in problem["detail"]
    verified = api.client.get("/api/v1/audit/verify", headers=api.headers("auditor")).json()
    assert (verified["ok"], verified["access_log_ok"]) == (False, False)
    assert verified["access_log_problem"].startswith("entry 1:")
