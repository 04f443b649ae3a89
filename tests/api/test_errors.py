"""Bad requests: every one is an RFC 9457 problem naming what is wrong, and records nothing."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from litestar import Litestar, get
from litestar.params import Parameter
from litestar.testing import TestClient

from api.problems import EXCEPTION_HANDLERS, invalid_param
from domain.catalogue import Department
from tests.commanding import change_case


def post_raw(api: Any, path: str, content: Any) -> Any:
    return api.client.post(path, content=content, headers=api.headers(
        "director", **{"Content-Type": "application/json"}))


def test_malformed_json_is_a_400_problem_about_the_body(api: Any) -> None:
    # given a case; when a new case or a command arrives as broken JSON; then a 400 on the body
    case_id = api.receive()["id"]
    for path in [api.cases, f"{api.cases}/{case_id}/acknowledge"]:
        with api.nothing_recorded(case_id):
            response = post_raw(api, path, b'{"message": "unterminated')
        api.problem(response, 400, "malformed-body", "body")


def test_an_invalid_acknowledgement_names_the_field_at_fault(api: Any, subtests: Any) -> None:
    # given a case; when an acknowledgement has one field at fault; then a 400 names it
    case_id = api.receive()["id"]
    for what, body, field in [
        ("a string for a string", {"message": ["We", "have", "it"]}, "message"),
        ("an unparseable date", {"occurred_at": "yesterday"}, "occurred_at"),
        ("a misspelt field", {"messag": "We have your request"}, "messag"),
        ("a field the client may not set", {"actor_id": "someone-else"}, "actor_id"),
        ("a version below 1", {"expected_version": 0}, "expected_version"),
        ("a message over 10,000 characters", {"message": "x" * 10_001}, "message"),
    ]:
        with subtests.test(msg=what), api.nothing_recorded(case_id):
            response = api.post(case_id, "acknowledge", body)
            problem = api.problem(response, 400, "validation", field)
            assert problem["detail"].startswith(f"{field}: ")


def test_a_json_body_is_typed_strictly(api: Any) -> None:
    # given a case; when JSON values of the wrong type are sent
    case_id = api.receive()["id"]
    refused = []
    for route, body, field in [
        ("acknowledge", {"expected_version": "2"}, "expected_version"),
        ("acknowledge", {"occurred_at": 1772636400}, "occurred_at"),  # epoch seconds
        ("transfer", {"to_department": "community", "warm": "false"}, "warm"),
    ]:
        with api.nothing_recorded(case_id):
            response = api.post(case_id, route, body)
        refused.append(response.status_code == 400 and field in response.text)
    # then each is refused as invalid, naming the field, and records nothing
    assert all(refused), refused


def test_every_command_names_its_missing_wrongly_typed_or_unknown_field(
        api: Any, subtests: Any) -> None:
    # given a case; when each command gets a body with one field at fault
    case_id = api.receive()["id"]
    for route, body, field in [
        ("interactions", {"channel": "email", "summary": "Called"}, "direction"),
        ("interactions", {"channel": "fax", "direction": "inbound", "summary": "x"},
         "channel"),
        ("interactions", {"channel": "email", "direction": "inbound", "summary": "x",
                          "effort_minutes": -5}, "effort_minutes"),
        ("assign", {}, "assignee"),
        ("assign", {"assignee": 7}, "assignee"),
        ("transfer", {"to_department": "planning"}, "warm"),
        ("transfer", {"to_department": "planning", "warm": "yes"}, "warm"),
        ("transfer", {"to_department": "Planning Dept", "warm": False}, "to_department"),
        ("interim-response", {"explantion": "typo"}, "explantion"),
        ("wait", {}, "reason"),
        ("customer-responded", {"summary": None}, "summary"),
        ("resolve", {"resolution": "Done", "at_first_contact": "no"}, "at_first_contact"),
        ("reopen", {"reason": 3}, "reason"),
        ("close", {"reason": "Done"}, "reason"),
        ("classify", {"classification": "praise"}, "classification"),
        ("escalate", {"to_level": "mayor", "reason": "x", "owner": "y"}, "to_level"),
        ("escalate", {"to_level": "director", "reason": "x"}, "owner"),
        ("debrief", {"cause": "x"}, "actions"),
        ("accommodations", {"action": "grant"}, "action"),
        ("accommodations", {"action": "provide", "number": 0, "how": "x"}, "number"),
        ("survey", {"csat": "five"}, "csat"),
        ("survey", {"nps": 11}, "nps"),
    ]:
        with subtests.test(msg=f"{route} {field}"), api.nothing_recorded(case_id):
            # then it is a 400 problem whose invalid_params names that field
            api.problem(api.post(case_id, route, body), 400, "validation", field)


def test_an_invalid_new_case_names_the_field_at_fault_even_when_nested(
        api: Any, subtests: Any) -> None:
    # when a new case has one field at fault, nested or not; then a 400 names its path
    for body, field in [
        ({k: v for k, v in api.new_case_body().items() if k != "channel"}, "channel"),
        (api.new_case_body(channel="carrier_pigeon"), "channel"),
        (api.new_case_body(subject=""), "subject"),
        (api.new_case_body(service_code="roads; DROP TABLE"), "service_code"),
        (api.new_case_body(contact={"nam": "Ada"}), "contact.nam"),
        (api.new_case_body(contact={"name": 42}), "contact.name"),
        (api.new_case_body(contact={"preferred_contact": "pigeon"}),
         "contact.preferred_contact"),
        (api.new_case_body(contact=["Ada"]), "contact"),
        ([api.new_case_body()], "body"),
    ]:
        with subtests.test(msg=field), api.nothing_recorded():
            response = api.client.post(api.cases, json=body, headers=api.headers("csr"))
            api.problem(response, 400, "validation", field)


def test_a_missing_body_is_a_problem_about_the_body(api: Any) -> None:
    # given a case; when a command comes with no body at all; then a 400 names the body
    case_id = api.receive()["id"]
    with api.nothing_recorded(case_id):
        response = api.client.post(f"{api.cases}/{case_id}/acknowledge",
                                   headers=api.headers("director"))
    api.problem(response, 400, "validation", "body")


def test_a_body_over_the_size_limit_is_refused_whole(api: Any, settings: Any) -> None:
    # given a body one byte over settings.max_body_bytes
    case_id = api.receive()["id"]
    prefix, suffix = b'{"message": "', b'"}'
    oversized = prefix + b"x" * (settings.max_body_bytes + 1 - len(prefix) - len(suffix)) + suffix
    assert len(oversized) == settings.max_body_bytes + 1
    with api.nothing_recorded(case_id):
        # when it is sent with a Content-Length, and streamed without one
        declared = post_raw(api, f"{api.cases}/{case_id}/acknowledge", oversized)
        streamed = post_raw(api, f"{api.cases}/{case_id}/acknowledge",
                            iter([oversized[:1000], oversized[1000:]]))
    # then both are 413 problems
    api.problem(declared, 413)
    api.problem(streamed, 413)


def test_an_unknown_case_is_not_found_on_every_route(api: Any) -> None:
    # given an id no case has, and the id of an aggregate that is not a case
    position = api.desk.log_position()
    for case_id in [uuid.uuid4(), Department.create_id("planning")]:
        missing = f"{api.cases}/{case_id}"
        # when it is read or commanded; then each answer is a 404 problem
        for path in [missing, f"{missing}/history"]:
            problem = api.problem(api.client.get(path, headers=api.headers("admin")), 404,
                                  "not-found")
            assert problem["detail"] == f"no case {case_id}"
        for route, (_, body) in api.routes.items():
            api.problem(api.post(str(case_id), route, body, role="admin"), 404, "not-found")
    # and nothing was recorded
    assert api.desk.log_position() == position


def test_a_path_that_is_not_a_case_id_or_command_is_not_found(api: Any) -> None:
    # given a case; when a path names no case id or no command; then a 404 problem
    case_id = api.receive()["id"]
    for method, path in [("GET", f"{api.cases}/SC-2026-000001"),
                         ("GET", f"{api.cases}/not-a-uuid/history"),
                         ("POST", f"{api.cases}/12345/acknowledge"),
                         ("POST", f"{api.cases}/{case_id}/teleport")]:
        with api.nothing_recorded(case_id):
            response = api.client.request(method, path, json={} if method == "POST" else None,
                                          headers=api.headers("admin"))
        api.problem(response, 404)


def test_an_unsupported_method_is_a_405_problem(api: Any) -> None:
    # given a case; when a command route is read with GET; then a 405 problem
    case_id = api.receive()["id"]
    response = api.client.get(f"{api.cases}/{case_id}/acknowledge",
                              headers=api.headers("admin"))
    api.problem(response, 405)


def test_a_stale_expected_version_is_a_409_with_the_current_version(api: Any) -> None:
    # given a case a client read, which someone else then acknowledged
    read = api.receive()
    current = api.run(read["id"], ("acknowledge", {}))["version"]
    # when the client assigns it at the version it read
    with api.nothing_recorded(read["id"]):
        response = api.post(read["id"], "assign", {"assignee": "staff-7",
                                                   "expected_version": read["version"]})
    # then it is told the case moved on, and to which version
    problem = api.problem(response, 409, "version-conflict", "expected_version")
    assert problem["current_version"] == current > read["version"]
    # and retrying at the current version succeeds
    retry = api.post(read["id"], "assign", {"assignee": "staff-7", "expected_version": current})
    assert retry.status_code == 200, retry.text


def rival_assigns_between_load_and_save(api: Any, clock: Any, case_id: str) -> None:
    """Sets the desk's clock so that a rival assigns the case the first time it is read (as
    a command reads it, after loading the case and before saving)."""
    desk, rival_raced = api.desk, []

    def racing_clock() -> Any:
        if not rival_raced:
            rival_raced.append(True)
            from domain.actors import Actor, Role
            change_case(desk, Actor("rival", Role.DIRECTOR), uuid.UUID(case_id), "assign",
                        expected_version=None, assignee="rival", occurred_at=None)
        return clock()

    desk.clock = racing_clock


def test_a_write_naming_its_version_that_loses_a_race_is_a_409_with_the_current_version(
        api: Any, clock: Any) -> None:
    # given a case; and a rival who assigns it between our load and our save
    case = api.receive()
    rival_assigns_between_load_and_save(api, clock, case["id"])
    # when we acknowledge it, naming the version we read
    response = api.post(case["id"], "acknowledge", {"expected_version": case["version"]})
    api.desk.clock = clock
    # then the save conflicts, and the answer says where the case now stands
    problem = api.problem(response, 409, "version-conflict")
    assert api.case(case["id"])["assignee"] == "rival"
    assert problem["current_version"] == api.case(case["id"])["version"]


def test_a_write_naming_no_version_that_loses_a_race_is_run_again_on_the_new_version(
        api: Any, clock: Any) -> None:
    # given a case; and a rival who assigns it between our load and our save
    case = api.receive()
    rival_assigns_between_load_and_save(api, clock, case["id"])
    # when we acknowledge it, naming no version
    response = api.post(case["id"], "acknowledge", {})
    api.desk.clock = clock
    # then the desk ran it again on the rival's version: both are recorded, ours last
    assert response.status_code == 200, response.text
    after = api.case(case["id"])
    assert after["assignee"] == "rival" and after["acknowledged_at"] is not None
    assert response.json()["version"] == after["version"] == case["version"] + 2


def test_dates_without_a_time_zone_are_refused_naming_the_field(api: Any) -> None:
    # given a case; when a date has no offset (whose 09:00?); then a 422 names the field
    case_id = api.receive()["id"]
    with api.nothing_recorded(case_id):
        command = api.post(case_id, "acknowledge", {"occurred_at": "2026-03-04T09:00:00"})
        new_case = api.client.post(api.cases, headers=api.headers("csr"), json=api.new_case_body(
            received_at="2026-03-04T09:00:00"))
        history = api.client.get(f"{api.cases}/{case_id}/history",
                                 params={"as_of": "2026-03-04T09:00:00"},
                                 headers=api.headers("auditor"))
    api.problem(command, 422, "invalid-value", "occurred_at")
    api.problem(new_case, 422, "invalid-value", "received_at")
    api.problem(history, 422, "invalid-value", "as_of")


def test_dates_in_the_future_are_refused_naming_the_field(api: Any, clock: Any) -> None:
    # given the clock at 15:00 UTC; when something is dated one second later
    case_id = api.receive()["id"]
    one_second_late = "2026-03-04T10:00:01-05:00"
    with api.nothing_recorded(case_id):
        command = api.post(case_id, "resolve", {"resolution": "Done",
                                                "occurred_at": one_second_late})
        new_case = api.client.post(api.cases, headers=api.headers("csr"),
                                   json=api.new_case_body(received_at=one_second_late))
    # then it is refused; and once the clock has moved on, the same date is accepted
    api.problem(command, 422, "invalid-value", "occurred_at")
    api.problem(new_case, 422, "invalid-value", "received_at")
    clock.advance(seconds=1)
    accepted = api.post(case_id, "resolve", {"resolution": "Done",
                                             "occurred_at": one_second_late})
    assert accepted.json()["resolved_at"] == "2026-03-04T15:00:01Z"


def test_a_received_stamp_from_long_before_the_desk_is_refused_and_records_nothing(
        api: Any) -> None:
    # given stamps no letter in the in-tray can carry (a year-1 stamp is also outside
    # datetime's range in UTC)
    for stamp in ["0001-01-01T00:00:00Z", "1900-01-01T09:00:00-05:00"]:
        # when a case is received with one; then it is refused naming received_at
        with api.nothing_recorded():
            response = api.client.post(api.cases, headers=api.headers("csr"),
                                       json=api.new_case_body(received_at=stamp))
        api.problem(response, 422, "invalid-value", "received_at")


def test_an_as_of_outside_the_calendar_is_a_422(api: Any) -> None:
    # given a case; when its history is asked as of a moment past year 9999 in UTC
    case_id = api.receive()["id"]
    response = api.client.get(f"{api.cases}/{case_id}/history",
                              params={"as_of": "9999-12-31T23:59:59-01:00"},
                              headers=api.headers("auditor"))
    api.problem(response, 422, "invalid-value", "as_of")


def test_history_parameters_are_validated(api: Any) -> None:
    # given a case; when its history is asked with bad parameters; then each is named
    case_id = api.receive()["id"]
    history = f"{api.cases}/{case_id}/history"
    auditor = api.headers("auditor")
    for params, status, field in [({"version": "latest"}, 400, "version"),
                                  ({"version": 0}, 400, "version"),
                                  ({"as_of": "last tuesday"}, 422, "as_of"),
                                  ({"version": 1, "as_of": "2026-03-04T15:00:00Z"}, 422,
                                   "as_of")]:
        api.problem(api.client.get(history, params=params, headers=auditor), status,
                    field=field)


def test_an_unexpected_failure_is_a_500_problem_that_reveals_nothing(
        api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # given a desk whose storage fails with an internal message
    case_id = api.receive()["id"]

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("connection to 10.0.0.7 refused; password=hunter2")

    monkeypatch.setattr(api.desk, "get_case", broken)
    # when a case is read; then the client gets a generic problem, not the internals
    problem = api.problem(api.client.get(f"{api.cases}/{case_id}",
                                         headers=api.headers("auditor")), 500, "internal")
    assert "hunter2" not in problem["detail"] and "10.0.0.7" not in problem["detail"]


def test_the_field_at_fault_is_named_from_every_form_of_msgspec_message() -> None:
    # given the error items Litestar puts in ValidationException.extra, with msgspec's
    # location either stripped into `key` or still at the end of the message
    for item, name in [
        ({"message": "Expected `int`, got `str` - at `$.expected_version`", "key": "data",
          "source": "body"}, "expected_version"),
        ({"message": "Expected `int`, got `str`", "key": "expected_version",
          "source": "body"}, "expected_version"),
        ({"message": "Object contains unknown field `messag`", "key": "data",
          "source": "body"}, "messag"),
        ({"message": "Object contains unknown field `nam`", "key": "contact",
          "source": "body"}, "contact.nam"),
        ({"message": "Object missing required field `how` - at `$.steps[2]`", "key": "data",
          "source": "body"}, "steps[2].how"),
        ({"message": "Expected `object`, got `array`", "key": "data", "source": "body"},
         "body"),
        ({"message": "'data'", "key": "data"}, "body"),
        ({"message": "Expected `int`, got `str`", "key": "version", "source": "query"},
         "version"),
    ]:
        # then the invalid parameter is that field's JSON path, and the reason has no location
        param = invalid_param(item, "fallback")
        assert param["name"] == name, item
        assert " - at " not in param["reason"]


def test_a_missing_required_parameter_is_named() -> None:
    # given a route with a required header, behind the desk's error handlers
    @get("/probe", sync_to_thread=False)
    def probe(token: str = Parameter(header="X-Probe")) -> str:
        return token

    app = Litestar([probe], exception_handlers=EXCEPTION_HANDLERS)  # type: ignore[arg-type]
    # when it is called without it; then the problem names the header
    with TestClient(app) as client:
        response = client.get("/probe")
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["invalid_params"][0]["name"] == "X-Probe"
