"""`GET /api/v1/cases` over HTTP: read-your-writes, visibility, filters, pages, errors.

The module shares one desk per database (see conftest), so every test looks for its own
cases in the list rather than expecting the list to hold only them.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from httpx import Response

from infrastructure.settings import Settings
from tests.api import read_back
from tests.api.read_back import command, receive

CASES = "/api/v1/cases"
HOME, AWAY = "public-works", "planning"


@pytest.fixture(scope="module")
def settings(settings: Settings) -> Settings:
    """The API conftest's databases, with the projection runners on: this is a read model."""
    return dataclasses.replace(settings, run_projections=True)


def listing(api: Any, role: str = "csr", departments: list[str] | None = None,
            **params: Any) -> Response:
    return api.client.get(CASES, params=params, headers=api.headers(role, departments))


def every_item(api: Any, position: int, role: str = "csr", **params: Any) -> list[Any]:
    """Every listed case, seven at a time, once the index has reached `position`."""
    return read_back.every_item(api, CASES, position, role, page=7, **params)


class TestReadYourWrites:
    def test_a_new_case_is_listed_at_the_position_its_creation_answered(self, api: Any) -> None:
        case, position = receive(api)
        response = listing(api, min_position=position, limit=200)
        assert response.status_code == 200, response.text
        [item] = [i for i in response.json()["items"] if i["id"] == case["id"]]
        assert item == {
            "id": case["id"], "reference": case["reference"], "status": "open",
            "channel": "email", "department": HOME, "service_code": case["service_code"],
            "purpose": "tangible_service", "subject": "Pothole on King St W",
            "assignee": None, "classification": None, "complaint": False,
            "escalation_level": None, "received_at": case["received_at"],
            "updated_at": item["updated_at"], "version": case["version"], "transfers": 0,
            "next_due_at": case["targets"][0]["due_at"], "next_target": "acknowledge"}

    def test_a_command_is_visible_at_the_position_it_answered(self, api: Any) -> None:
        case, _ = receive(api)
        position = command(api, case["id"], "assign", {"assignee": "staff-list-9"})
        items = every_item(api, position, assignee="staff-list-9")
        assert [item["id"] for item in items] == [case["id"]]

    def test_a_position_beyond_the_log_is_refused(self, api: Any) -> None:
        _, position = receive(api)
        response = listing(api, min_position=position + 1_000_000)
        api.problem(response, 422, "invalid-value", field="min_position")


class TestVisibility:
    def test_staff_see_only_their_departments_cases(self, api: Any) -> None:
        home, _ = receive(api)
        away, position = receive(api, service_code=None, department=AWAY)
        staff = every_item(api, position, role="staff")
        assert {item["department"] for item in staff} == {HOME}
        assert home["id"] in {item["id"] for item in staff}
        assert away["id"] not in {item["id"] for item in staff}
        everyone = {item["id"] for item in every_item(api, position, role="auditor")}
        assert {home["id"], away["id"]} <= everyone

    def test_the_list_requires_a_bearer_token(self, api: Any) -> None:
        api.problem(api.client.get(CASES), 401)


class TestFilters:
    def test_filters_narrow_the_list(self, api: Any) -> None:
        plain, _ = receive(api)
        complaint, _ = receive(api, channel="telephone")
        position = command(api, complaint["id"], "classify",
                           {"classification": "complaint", "reason": "Third call"})
        position = max(position, command(api, plain["id"], "resolve",
                                         {"resolution": "Filled"}))

        def ids(**params: Any) -> set[str]:
            return {item["id"] for item in every_item(api, position, **params)}

        mine = {plain["id"], complaint["id"]}
        assert ids(complaint="true") & mine == {complaint["id"]}
        assert ids(complaint="false") & mine == {plain["id"]}
        assert ids(status="resolved") & mine == {plain["id"]}
        assert ids(status="open", channel="telephone") & mine == {complaint["id"]}
        assert ids(department=AWAY) & mine == set()

    @pytest.mark.parametrize(("params", "status", "field"), [
        ({"after": "not-a-cursor"}, 422, "after"),
        ({"status": "lost"}, 400, "status"),
        ({"channel": "pigeon"}, 400, "channel"),
        ({"complaint": "maybe"}, 400, "complaint"),
        ({"limit": 0}, 400, "limit"),
        ({"limit": 201}, 400, "limit"),
        ({"min_position": -1}, 400, "min_position"),
    ])
    def test_bad_parameters_are_problems_naming_the_parameter(
            self, api: Any, params: dict[str, Any], status: int, field: str) -> None:
        api.problem(listing(api, **params), status, field=field)


class TestPages:
    def test_pages_list_every_case_once_in_a_stable_order(self, api: Any) -> None:
        made = [receive(api) for _ in range(5)]
        position = max(position for _, position in made)
        items = every_item(api, position)
        ids = [item["id"] for item in items]
        assert len(ids) == len(set(ids))
        assert {case["id"] for case, _ in made} <= set(ids)
        keys = [(item["received_at"], item["id"]) for item in items]
        assert keys == sorted(keys, reverse=True)  # same UTC format, so text order is time order

    def test_the_operation_is_documented(self, api: Any) -> None:
        document = api.client.get("/schema/openapi.json").json()
        operation = document["paths"][CASES]["get"]
        assert operation["operationId"] == "case_list"
        assert {"200", "400", "401", "422", "503"} <= set(operation["responses"])


class TestTheAccessLog:
    def test_a_listing_logs_each_listed_case_with_its_subject(self, api: Any) -> None:
        # given a case in the index; when a staff member lists their department's cases
        case, position = receive(api)
        response = api.client.get(CASES, params={"min_position": position, "limit": 200},
                                  headers=api.headers("staff", sub="staff-lister"))
        assert response.status_code == 200, response.text
        listed = {item["id"] for item in response.json()["items"]}
        # then each listed case is in the access log, with the subject it disclosed
        rows: list[dict[str, Any]] = []
        after = None
        while True:
            page = api.client.get("/api/v1/audit/access", params={
                "actor_id": "staff-lister", **({"after": after} if after else {})},
                headers=api.headers("auditor")).json()
            rows += page["items"]
            if not (after := page["next_cursor"]):
                break
        assert {row["case_id"] for row in rows} == listed and case["id"] in listed
        assert {(row["route"], row["fields"]) for row in rows} == {
            ("GET /api/v1/cases", "subject")}
