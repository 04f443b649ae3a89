"""Finding a case from the reference a caller quotes: `GET /api/v1/cases/by-reference/{ref}`
and the case list's `reference` filter, access-checked and access-logged like the case view."""

from __future__ import annotations

import dataclasses

import pytest

from infrastructure.settings import Settings
from tests.api.conftest import DeskClient
from tests.api.read_back import receive
from tests.api.test_access_log_api import CASE_FIELDS, disclosures

BY_REFERENCE = "/api/v1/cases/by-reference"


@pytest.fixture(scope="module")
def settings(settings: Settings) -> Settings:
    """The API conftest's databases, with the projection runners on (the list is one)."""
    return dataclasses.replace(settings, run_projections=True)


class TestFindByReference:
    def test_a_quoted_reference_finds_the_case_as_its_view_shows_it(
            self, api: DeskClient) -> None:
        # Given a case received at the desk
        case = api.receive()
        # When a caller quotes its reference in lower case with spaces around
        quoted = f"  {case['reference'].lower()} "
        response = api.client.get(f"{BY_REFERENCE}/{quoted}", headers=api.headers("csr"))
        # Then the answer is the case, as its own view shows it
        assert response.status_code == 200, response.text
        assert response.json() == api.client.get(
            f"/api/v1/cases/{case['id']}", headers=api.headers("csr")).json()

    def test_finding_a_case_by_reference_is_logged_with_the_fields_disclosed(
            self, api: DeskClient) -> None:
        case = api.receive()
        api.client.get(f"{BY_REFERENCE}/{case['reference']}", headers=api.headers("csr"))
        assert disclosures(api, case["id"])[-1] == (
            "csr-1", f"GET {BY_REFERENCE}/{case['reference']}", CASE_FIELDS)

    def test_another_departments_case_is_not_found_and_nothing_is_logged(
            self, api: DeskClient) -> None:
        # Given a Public Works case, and a planning staff member
        case = api.receive()
        before = disclosures(api, case["id"])
        # When they quote its reference
        response = api.client.get(f"{BY_REFERENCE}/{case['reference']}",
                                  headers=api.headers("staff", ["planning"]))
        # Then it is not found for them, and nothing was disclosed
        api.problem(response, 404)
        assert disclosures(api, case["id"]) == before

    def test_an_unknown_reference_is_not_found(self, api: DeskClient) -> None:
        api.problem(api.client.get(f"{BY_REFERENCE}/SC-1999-999999",
                                   headers=api.headers("csr")), 404)

    @pytest.mark.parametrize("text", ["SC-26-1", "123", "SC-2026-00012x", "case 12"])
    def test_something_that_is_not_a_reference_is_refused_naming_it(
            self, api: DeskClient, text: str) -> None:
        api.problem(api.client.get(f"{BY_REFERENCE}/{text}", headers=api.headers("csr")),
                    422, field="reference")

    def test_without_a_token_it_answers_401(self, api: DeskClient) -> None:
        api.problem(api.client.get(f"{BY_REFERENCE}/SC-2026-000001"), 401)


class TestReferenceFilter:
    def test_the_list_filtered_by_reference_holds_that_case_alone(
            self, api: DeskClient) -> None:
        # Given two cases
        case, _ = receive(api)
        _, position = receive(api)
        # When the list is filtered by the first one's reference
        response = api.client.get("/api/v1/cases", headers=api.headers("csr"), params={
            "reference": case["reference"].lower(), "min_position": position})
        # Then it holds that case alone
        assert response.status_code == 200, response.text
        assert [item["id"] for item in response.json()["items"]] == [case["id"]]

    def test_a_malformed_reference_filter_is_refused_naming_it(
            self, api: DeskClient) -> None:
        api.problem(api.client.get("/api/v1/cases", params={"reference": "nope"},
                                   headers=api.headers("csr")), 422, field="reference")

    def test_the_filter_keeps_to_the_departments_the_staff_member_sees(
            self, api: DeskClient) -> None:
        case, position = receive(api)
        response = api.client.get("/api/v1/cases", params={
            "reference": case["reference"], "min_position": position},
            headers=api.headers("staff", ["planning"]))
        assert response.status_code == 200, response.text
        assert response.json()["items"] == []
