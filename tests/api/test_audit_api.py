"""The auditors' routes: the event log as JSON lines, its verification, and the access log of who
saw whose personal information. Only auditors and administrators use them."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest

from infrastructure.access_log import MESSAGE, TABLE
from infrastructure.audit_export import FIELDS, audit_records, encode_line
from infrastructure.ledger import verify_log

AUDIT = "/api/v1/audit"
ROUTES = [f"{AUDIT}/events", f"{AUDIT}/verify", f"{AUDIT}/access"]
MAY_AUDIT = {"auditor", "admin"}
ROLES = ["csr", "staff", "manager", "director", "clerk", "auditor", "admin"]
NDJSON = "application/x-ndjson"


def stream(api: Any, role: str = "auditor", **params: Any) -> list[dict[str, Any]]:
    response = api.client.get(f"{AUDIT}/events", params=params, headers=api.headers(role))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == NDJSON
    return [json.loads(line) for line in response.text.splitlines()]


def access_log(api: Any, **params: Any) -> dict[str, Any]:
    response = api.client.get(f"{AUDIT}/access", params=params, headers=api.headers("auditor"))
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


def lived_case(api: Any) -> str:
    case_id: str = api.receive()["id"]
    api.run(case_id, ("acknowledge", {"message": "We have your request"}),
            ("transfer", {"to_department": "community", "warm": False,
                          "handover_note": "Park path", "customer_informed": True}))
    return case_id


# -- who may read the audit trail ---------------------------------------------------------------


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("role", ROLES)
def test_only_auditors_and_administrators_read_the_audit_trail(
        api: Any, route: str, role: str) -> None:
    # given a signed-in person of each role, when they ask for an audit route
    response = api.client.get(route, headers=api.headers(role))
    # then auditors and administrators are answered, every other role is refused
    if role in MAY_AUDIT:
        assert response.status_code == 200, response.text
    else:
        api.problem(response, 403, "forbidden")


@pytest.mark.parametrize("route", ROUTES)
def test_the_audit_trail_needs_a_bearer_token(api: Any, route: str) -> None:
    response = api.client.get(route)
    api.problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")


# -- the event stream ---------------------------------------------------------------------------


def test_the_event_stream_is_the_export_one_json_object_a_line(api: Any) -> None:
    # given a lived case on the log
    case_id = lived_case(api)
    # when an auditor streams the whole log
    response = api.client.get(f"{AUDIT}/events", headers=api.headers("auditor"))
    # then it is JSON lines, byte for byte what `civicdesk export` writes
    assert response.headers["content-type"] == NDJSON
    assert response.content == b"".join(encode_line(r) for r in audit_records(api.desk))
    lines = [json.loads(line) for line in response.text.splitlines()]
    # and each line is one event with every field, in log order up to the head
    assert all(set(FIELDS) == set(line) for line in lines)
    positions = [line["position"] for line in lines]
    assert positions == sorted(set(positions)) and positions[-1] == api.desk.log_position()
    assert lines[-1]["chain_hash"] == verify_log(api.desk).head_hash
    # and the case's events say what happened, who did it and when
    received = next(line for line in lines
                    if line["originator_id"] == case_id and line["type"] == "Case.Received")
    assert (received["actor_id"], received["actor_role"]) == ("csr-1", "csr")
    # and the receipt names its customer by id: the contact is sealed in the customer's record
    assert "contact" not in received["data"] and received["data"]["customer_id"]
    assert "ada@example.org" not in response.text
    assert received["recorded_at"].endswith("Z") and len(received["chain_hash"]) == 64


def test_the_event_stream_takes_a_range_of_positions(api: Any) -> None:
    # given a log of some length
    lived_case(api)
    whole = stream(api)
    head = whole[-1]["position"]
    # when an auditor asks for a range, from a position or after one, and a number of events
    from_5_to_9 = stream(api, from_position=5, to_position=9)
    after_5 = stream(api, after=5, limit=3)
    the_tail = stream(api, after=head - 2)
    # then each holds exactly those events, as the whole stream has them
    assert from_5_to_9 == [line for line in whole if 5 <= line["position"] <= 9]
    assert after_5 == [line for line in whole if line["position"] > 5][:3]
    assert the_tail == whole[-2:]
    assert stream(api, after=head) == []


def test_the_event_stream_of_one_case_keeps_its_log_positions(api: Any) -> None:
    # given two cases whose events interleave
    first = api.receive()["id"]
    second = lived_case(api)
    api.run(first, ("acknowledge", {"message": "We have your request"}))
    # when an auditor streams the first case only
    lines = stream(api, case_id=first)
    # then they get its events alone, with the positions and hashes of the whole log
    assert lines == [line for line in stream(api) if line["originator_id"] == first]
    assert [line["originator_version"] for line in lines] == list(range(1, len(lines) + 1))
    assert lines[-1]["type"] == "Case.Acknowledged"
    assert stream(api, case_id=second)[0]["position"] < lines[-1]["position"]


def test_streaming_a_case_is_written_to_the_access_log(api: Any) -> None:
    # given a case, when an auditor streams its events
    case_id = api.receive()["id"]
    stream(api, case_id=case_id)
    # then the disclosure of its contact details is on record
    items = access_log(api, case_id=case_id, actor_id="auditor-1")["items"]
    assert [(i["actor_role"], i["route"]) for i in items] == [
        ("auditor", f"GET {AUDIT}/events")]


def test_the_event_stream_refuses_bad_parameters_before_streaming(api: Any) -> None:
    headers = api.headers("auditor")
    both = api.client.get(f"{AUDIT}/events", params={"after": 1, "from_position": 2},
                          headers=headers)
    api.problem(both, 422, "invalid-value", field="after")
    api.problem(api.client.get(f"{AUDIT}/events", params={"after": "ten"}, headers=headers), 400)
    api.problem(api.client.get(f"{AUDIT}/events", params={"limit": 0}, headers=headers), 400)
    unknown = api.client.get(f"{AUDIT}/events", headers=headers,
                             params={"case_id": "00000000-0000-4000-8000-000000000000"})
    api.problem(unknown, 404, "not-found")


# -- verification -------------------------------------------------------------------------------


def test_verify_reports_an_intact_chain_its_guard_and_its_head(api: Any) -> None:
    # given a log with a lived case on it, when an auditor verifies it
    lived_case(api)
    response = api.client.get(f"{AUDIT}/verify", headers=api.headers("auditor"))
    # then the chain and the guard check out, and the head is the log's last link
    assert response.status_code == 200, response.text
    report = response.json()
    verdict = verify_log(api.desk)
    assert report == {"ok": True, "events": verdict.events,
                      "head_position": api.desk.log_position(), "head_hash": verdict.head_hash,
                      "first_bad_position": None, "problem": None, "guard_ok": True,
                      "guard_problem": None, "signatures_ok": True, "signature_problem": None,
                      "checkpoints": 0, "checkpoints_ok": True, "checkpoint_problem": None,
                      "access_log_ok": True, "access_log_entries": report["access_log_entries"],
                      "access_log_problem": None}
    assert report["access_log_entries"] > 0  # the lived case's answers were logged
    assert report["head_hash"] == stream(api, after=report["head_position"] - 1)[0]["chain_hash"]


# -- the access log -----------------------------------------------------------------------------


def test_a_staff_read_of_a_case_shows_in_the_access_log_with_who_when_which_and_the_route(
        api: Any) -> None:
    # given a case of Public Works
    case_id = api.receive()["id"]
    # when a member of its staff reads it
    before = datetime.now(UTC)
    read = api.client.get(f"{api.cases}/{case_id}", headers=api.headers("staff", sub="staff-42"))
    after = datetime.now(UTC)
    assert read.status_code == 200, read.text
    # then the access log says who read which case, when, and through which route
    [entry] = access_log(api, case_id=case_id, actor_id="staff-42")["items"]
    assert {k: v for k, v in entry.items() if k != "at"} == {
        "actor_id": "staff-42", "actor_role": "staff", "case_id": case_id,
        "route": f"GET {api.cases}/{case_id}",
        "fields": "subject,description,contact,accessibility_needs"}
    assert before <= datetime.fromisoformat(entry["at"]) <= after
    # and the case's whole record of disclosures starts with the receipt
    routes = [i["route"] for i in access_log(api, case_id=case_id)["items"]]
    assert routes == [f"POST {api.cases}", f"GET {api.cases}/{case_id}"]


def test_the_access_log_is_paged_oldest_first_by_an_opaque_cursor(api: Any) -> None:
    # given a case read three times by one person
    case_id = api.receive()["id"]
    for _ in range(3):
        api.client.get(f"{api.cases}/{case_id}", headers=api.headers("director", sub="dir-9"))
    # when an auditor reads the log two entries at a time
    first = access_log(api, actor_id="dir-9", limit=2)
    second = access_log(api, actor_id="dir-9", limit=2, after=first["next_cursor"])
    # then the pages follow on, and the last one says there is no more
    assert len(first["items"]) == 2 and first["next_cursor"]
    assert len(second["items"]) == 1 and second["next_cursor"] is None
    assert first["items"] + second["items"] == access_log(api, actor_id="dir-9")["items"]
    bad = api.client.get(f"{AUDIT}/access", params={"after": "12"},
                         headers=api.headers("auditor"))
    api.problem(bad, 422, "invalid-value", field="after")


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_the_access_log_has_no_route_that_changes_it(api: Any, method: str) -> None:
    response = api.client.request(method, f"{AUDIT}/access", headers=api.headers("admin"))
    assert response.status_code == 405


@pytest.mark.parametrize("statement", [
    "UPDATE {table} SET actor_id = 'someone-else'", "DELETE FROM {table}"])
def test_the_access_log_refuses_updates_and_deletes_in_the_database(
        api: Any, statement: str) -> None:
    # given a disclosure on record
    case_id = api.receive()["id"]
    recorded = access_log(api, case_id=case_id)["items"]
    # when anyone with the database's password rewrites or deletes the log
    settings = api.settings
    if settings.is_postgres:
        connection: Any = psycopg.connect(str(settings.database_url), autocommit=True)
        table, refused = f"{settings.database_schema}.{TABLE}", psycopg.errors.RaiseException
    else:
        connection = sqlite3.connect(settings.sqlite_path, isolation_level=None)
        table, refused = TABLE, sqlite3.IntegrityError
    try:
        with pytest.raises(refused, match=MESSAGE):
            connection.execute(statement.format(table=table))
    finally:
        connection.close()
    # then it is refused, and the record stands as it was
    assert access_log(api, case_id=case_id)["items"] == recorded
