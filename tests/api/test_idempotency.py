"""Idempotency-Key: a retried request gets the first answer and records nothing twice."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from litestar.testing import TestClient

from api.app import create_app
from infrastructure.bootstrap import build_desk
from infrastructure.settings import Settings


def keyed(api: Any, role: str = "csr", key: str = "retry-1", sub: str | None = None) -> Any:
    return api.headers(role, sub=sub, **{"Idempotency-Key": key})


def test_a_repeated_receive_returns_the_first_case_and_records_nothing_again(
        api: Any) -> None:
    # given a new case received with an Idempotency-Key
    body = api.new_case_body(subject="Streetlight out on Division St")
    first = api.client.post(api.cases, json=body, headers=keyed(api, key="intake-42"))
    assert first.status_code == 201, first.text
    # when the client, unsure it arrived, sends it again
    with api.nothing_recorded(first.json()["id"]):
        again = api.client.post(api.cases, json=body, headers=keyed(api, key="intake-42"))
    # then it gets the first answer, marked as a replay, and no second case or reference
    assert again.status_code == 201, again.text
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert again.headers["x-civicdesk-position"] == first.headers["x-civicdesk-position"]


def test_a_repeated_command_returns_the_first_answer_even_after_the_case_moved_on(
        api: Any) -> None:
    # given a case acknowledged with a key, then assigned by someone else
    case = api.receive()
    case_id, body = case["id"], {"message": "Got it", "expected_version": case["version"]}
    first = api.post(case_id, "acknowledge", body, role="csr", **{"Idempotency-Key": "ack-1"})
    assert first.status_code == 200, first.text
    api.run(case_id, ("assign", {"assignee": "staff-7"}))
    # when the acknowledgement is retried (its expected_version is stale by now)
    with api.nothing_recorded(case_id):
        again = api.post(case_id, "acknowledge", body, role="csr",
                         **{"Idempotency-Key": "ack-1"})
    # then it is answered as the first time, with the case as that request left it
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert again.json()["assignee"] is None
    assert int(again.headers["x-civicdesk-position"]) >= int(
        first.headers["x-civicdesk-position"])


def test_a_key_is_remembered_across_a_restart(api: Any, settings: Settings,
                                              clock: Any) -> None:
    # given a case received and acknowledged with keys by one server process
    body = api.new_case_body(subject="Missed green-bin pickup")
    with restarted(api, settings, clock) as before:
        received = before.client.post(api.cases, json=body, headers=keyed(api, key="bin-1"))
        case_id = received.json()["id"]
        acknowledged = before.post(case_id, "acknowledge", {}, role="csr",
                                   **{"Idempotency-Key": "bin-2"})
        assert (received.status_code, acknowledged.status_code) == (201, 200)
    # when a new process (a new desk and app on the same database) gets both retries
    with restarted(api, settings, clock) as after, after.nothing_recorded(case_id):
        received_again = after.client.post(api.cases, json=body,
                                           headers=keyed(api, key="bin-1"))
        acknowledged_again = after.post(case_id, "acknowledge", {}, role="csr",
                                        **{"Idempotency-Key": "bin-2"})
    # then it answers as the first process did, and records nothing
    assert received_again.json() == received.json()
    assert acknowledged_again.json() == acknowledged.json()
    assert received_again.headers["idempotent-replayed"] == "true"
    assert acknowledged_again.headers["idempotent-replayed"] == "true"


@contextmanager
def restarted(api: Any, settings: Settings, clock: Any) -> Iterator[Any]:
    """A fresh desk and app on the module's database, as a restarted server would build."""
    desk = build_desk(settings, clock=clock)
    with TestClient(create_app(settings, desk=desk, clock=clock)) as client:
        yield type(api)(client, settings, desk)


def test_the_same_key_for_a_different_request_is_refused_and_records_nothing(
        api: Any) -> None:
    # given a key used to assign a case
    case_id = api.receive()["id"]
    other_id = api.receive()["id"]
    first = api.post(case_id, "assign", {"assignee": "staff-7"}, role="csr",
                     **{"Idempotency-Key": "assign-1"})
    assert first.status_code == 200, first.text
    # when the same key comes with another body, on another case, or on another route
    for target, route, body in [(case_id, "assign", {"assignee": "staff-8"}),
                                (other_id, "assign", {"assignee": "staff-7"}),
                                (case_id, "acknowledge", {})]:
        with api.nothing_recorded(case_id), api.nothing_recorded(other_id):
            response = api.post(target, route, body, role="csr",
                                **{"Idempotency-Key": "assign-1"})
        # then it is a 422 naming the key, and nothing is recorded
        api.problem(response, 422, "idempotency-key-reused", "Idempotency-Key")
    # and a new case with a used key and a different body is refused too
    with api.nothing_recorded():
        response = api.client.post(api.cases, json=api.new_case_body(subject="Other"),
                                   headers=keyed(api, key="assign-1"))
    api.problem(response, 422, "idempotency-key-reused", "Idempotency-Key")


def test_different_actors_may_use_the_same_key_independently(api: Any) -> None:
    # given two front-desk agents whose clients both number their requests from 1
    body = api.new_case_body(subject="Dog off leash at the beach")
    ada = api.client.post(api.cases, json=body, headers=keyed(api, key="1", sub="csr-ada"))
    bob = api.client.post(api.cases, json=body, headers=keyed(api, key="1", sub="csr-bob"))
    # then each gets a case of their own
    assert (ada.status_code, bob.status_code) == (201, 201), bob.text
    assert ada.json()["id"] != bob.json()["id"]
    assert (ada.json()["recorded_by"], bob.json()["recorded_by"]) == ("csr-ada", "csr-bob")
    # and each retry is answered with that agent's own first answer
    with api.nothing_recorded():
        ada_again = api.client.post(api.cases, json=body,
                                    headers=keyed(api, key="1", sub="csr-ada"))
        bob_again = api.client.post(api.cases, json=body,
                                    headers=keyed(api, key="1", sub="csr-bob"))
    assert (ada_again.json(), bob_again.json()) == (ada.json(), bob.json())


def test_a_refused_request_does_not_use_up_its_key(api: Any) -> None:
    # given an acknowledgement refused for its date
    case_id = api.receive()["id"]
    future = {"occurred_at": "2026-03-05T15:00:00Z"}
    for _ in range(2):
        # when it is retried; then it is refused again on its merits, not replayed
        with api.nothing_recorded(case_id):
            response = api.post(case_id, "acknowledge", future, role="csr",
                                **{"Idempotency-Key": "ack-9"})
        api.problem(response, 422, "invalid-value", "occurred_at")
    # and the corrected request may use the same key
    corrected = api.post(case_id, "acknowledge", {}, role="csr",
                         **{"Idempotency-Key": "ack-9"})
    assert corrected.status_code == 200, corrected.text


def test_an_idempotency_key_is_1_to_200_printable_characters(api: Any) -> None:
    case_id = api.receive()["id"]
    for key in ["", "k" * 201, "tab\tinside"]:
        with api.nothing_recorded(case_id):
            response = api.post(case_id, "acknowledge", {}, **{"Idempotency-Key": key})
        api.problem(response, 422, "invalid-value", "Idempotency-Key")
    accepted = api.post(case_id, "acknowledge", {}, **{"Idempotency-Key": "k" * 200})
    assert accepted.status_code == 200, accepted.text


def test_a_replay_after_the_case_left_the_actors_department_is_not_found_like_a_read(
        api: Any) -> None:
    # given a Public Works manager who acknowledged a case with a key
    case = api.receive(contact={"name": "Grace Hopper", "email": "grace@example.org"})
    case_id = case["id"]
    first = api.post(case_id, "acknowledge", {"message": "On it"}, role="manager",
                     **{"Idempotency-Key": "ack-moved"})
    assert first.status_code == 200, first.text
    # and the case then transferred to another department
    api.run(case_id, ("transfer", {"to_department": "community", "warm": True,
                                   "handover_note": "Parks", "customer_informed": True}))
    plain_read = api.client.get(f"{api.cases}/{case_id}", headers=api.headers("manager"))
    disclosures_before = api.client.get("/api/v1/audit/access", params={"case_id": case_id},
                                        headers=api.headers("auditor")).json()["items"]
    # when the manager replays the old request
    with api.nothing_recorded(case_id):
        again = api.post(case_id, "acknowledge", {"message": "On it"}, role="manager",
                         **{"Idempotency-Key": "ack-moved"})
    # then the answer is the plain read's 404, disclosing nothing and logging no disclosure
    api.problem(plain_read, 404)
    api.problem(again, 404)
    assert again.json()["type"] == plain_read.json()["type"]
    assert "Grace" not in again.text and "grace@" not in again.text
    disclosures_after = api.client.get("/api/v1/audit/access", params={"case_id": case_id},
                                       headers=api.headers("auditor")).json()["items"]
    assert disclosures_after == disclosures_before
