"""The catalogue over HTTP: everyone signed in reads it, only administrators change it.

The module shares one desk per database, so each test registers its own uniquely coded
department ("harbour-<n>") and the reading tests look only at the Appendix IV entries.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

DEPARTMENTS = "/api/v1/departments"
SERVICES = "/api/v1/services"
DESKS = "/api/v1/desks"
APPENDIX_IV_DEPARTMENTS = ["cao", "community", "corporate", "legislative", "planning",
                           "public-works"]
READERS = ["csr", "staff", "manager", "director", "clerk", "auditor", "admin"]
NOT_ADMINS = [role for role in READERS if role != "admin"]
TEST_PREFIX = "harbour"
HARBOUR = {"code": "harbour", "name": "Harbour Services",
           "business_units": {"harbour-marina": "Marina", "harbour-launch": "Boat Launch"},
           "hourly_rate_cents": 6_200}
SLIP_RENTAL = {"code": "harbour-marina-01", "name": "Rent a Seasonal Boat Slip",
               "department": "harbour", "business_unit": "harbour-marina",
               "service_type": "service_delivery", "sub_type": "individual",
               "purpose": "payment", "description": "Seasonal and transient slips",
               "keywords": ["marina", "slip", "boat"]}
_numbers = itertools.count(1)


@pytest.fixture
def harbour() -> dict[str, Any]:
    """A department body with a code no other test uses."""
    return {**HARBOUR, "code": f"{TEST_PREFIX}-{next(_numbers)}"}


def slip_rental(department: dict[str, Any]) -> dict[str, Any]:
    return {**SLIP_RENTAL, "code": f"{department['code']}-marina-01",
            "department": department["code"]}


def appendix_iv(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entries of the seeded catalogue, without those other tests registered."""
    return [item for item in items if not item["code"].startswith(TEST_PREFIX)]


def read(api: Any, path: str, role: str = "csr", **params: Any) -> Any:
    response = api.client.get(path, params=params, headers=api.headers(role))
    assert response.status_code == 200, response.text
    return response.json()


def read_all(api: Any, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a list, following `next_cursor` page after page."""
    items: list[dict[str, Any]] = []
    after = None
    while True:
        page = read(api, path, **params, **({"after": after} if after else {}))
        items += page["items"]
        after = page["next_cursor"]
        if after is None:
            return items


def as_admin(api: Any, method: str, path: str, body: Any) -> Any:
    return api.client.request(method, path, json=body, headers=api.headers("admin"))


def register(api: Any, department: dict[str, Any]) -> None:
    response = as_admin(api, "POST", DEPARTMENTS, department)
    assert response.status_code == 201, response.text


class TestReadingTheCatalogue:
    @pytest.mark.parametrize("role", READERS)
    def test_every_signed_in_role_reads_the_six_appendix_iv_departments(
            self, api: Any, role: str) -> None:
        # given the desk seeded with Appendix IV
        # when anyone signed in lists the departments
        page = read(api, DEPARTMENTS, role=role)
        # then all six are there, in code order, on one page
        assert [d["code"] for d in appendix_iv(page["items"])] == APPENDIX_IV_DEPARTMENTS
        assert page["next_cursor"] is None
        public_works = appendix_iv(page["items"])[-1]
        assert public_works["name"] == "Public Works"
        assert set(public_works["business_units"]) == {
            "public-works-engineering", "public-works-roads", "public-works-transit"}

    def test_all_113_appendix_iv_services_are_listed_page_by_page(self, api: Any) -> None:
        # given the 113 service activities of Appendix IV, 23 of them internal
        # when a client pages through the list with internal services included (50 a page)
        services = appendix_iv(read_all(api, SERVICES, include_internal=True))
        # then each service comes exactly once, in code order: 50 + 50 + 13
        codes = [s["code"] for s in services]
        assert len(codes) == len(set(codes)) == 113
        assert codes == sorted(codes)
        assert sum(s["service_type"] == "internal" for s in services) == 23

    def test_by_default_only_services_customers_can_ask_for_are_listed(self, api: Any) -> None:
        # when the services are listed without options
        services = appendix_iv(read_all(api, SERVICES, limit=200))
        # then the 90 non-internal, active ones are listed (113 - 23 internal)
        assert len(services) == 90
        assert all(s["public"] and s["service_type"] != "internal" for s in services)

    def test_services_are_filtered_by_department(self, api: Any) -> None:
        # when the services of Public Works are listed
        services = read_all(api, SERVICES, department="public-works", include_internal=True)
        # then only its services are listed, and they include road repair
        assert services and {s["department"] for s in services} == {"public-works"}
        assert "public-works-roads-01" in {s["code"] for s in services}

    def test_one_department_and_one_service_are_read_by_code(self, api: Any) -> None:
        department = read(api, f"{DEPARTMENTS}/planning", role="auditor")
        assert department["name"] == "Planning and Development"
        assert department["active"] and department["version"] == 1
        service = read(api, f"{SERVICES}/planning-building-01", role="staff")
        assert service["department"] == "planning"
        assert service["business_unit"] == "planning-building"

    def test_an_internal_service_is_still_read_by_its_code(self, api: Any) -> None:
        service = read(api, f"{SERVICES}/cao-hr-01")
        assert service["service_type"] == "internal" and not service["public"]

    def test_the_four_desks_are_listed_with_victoria_hall_the_central_one(self, api: Any) -> None:
        desks = read(api, DESKS, role="clerk")["items"]
        assert [d["code"] for d in desks] == ["community-centre", "marina-campground",
                                              "venture-13", "victoria-hall"]
        assert [d["code"] for d in desks if d["central"]] == ["victoria-hall"]

    @pytest.mark.parametrize("path", [f"{DEPARTMENTS}/space-program",
                                      f"{SERVICES}/space-program-01"])
    def test_an_unknown_code_is_not_found(self, api: Any, path: str) -> None:
        response = api.client.get(path, headers=api.headers("csr"))
        api.problem(response, 404, "not-found")


class TestAdministeringTheCatalogue:
    def test_an_administrator_registers_a_department_everyone_then_reads(
            self, api: Any, harbour: dict[str, Any]) -> None:
        # when an administrator registers a Harbour department
        with_location = as_admin(api, "POST", DEPARTMENTS, harbour)
        # then it is created where the Location header says, as sent
        assert with_location.status_code == 201, with_location.text
        here = f"{DEPARTMENTS}/{harbour['code']}"
        assert with_location.headers["location"] == here
        created = with_location.json()
        assert {k: created[k] for k in harbour} == harbour
        assert created["active"] and created["version"] == 1
        # and a CSR reads it, alone and in the list
        assert read(api, here) == created
        assert created in read(api, DEPARTMENTS)["items"]

    def test_an_administrator_revises_and_deactivates_a_department(
            self, api: Any, harbour: dict[str, Any]) -> None:
        # given a Harbour department
        register(api, harbour)
        here = f"{DEPARTMENTS}/{harbour['code']}"
        # when an administrator raises its hourly rate
        response = as_admin(api, "PATCH", here, {"hourly_rate_cents": 6_500})
        # then only the rate changes, as a new version
        assert response.status_code == 200, response.text
        revised = response.json()
        assert revised["hourly_rate_cents"] == 6_500
        assert revised["name"] == harbour["name"] and revised["version"] == 2
        # and once deactivated it leaves the default list, but not the full one
        assert as_admin(api, "PATCH", here, {"active": False}).status_code == 200
        assert harbour["code"] not in [d["code"] for d in read(api, DEPARTMENTS)["items"]]
        everything = read(api, DEPARTMENTS, include_inactive=True)["items"]
        assert [d["active"] for d in everything if d["code"] == harbour["code"]] == [False]

    def test_an_administrator_registers_a_service_and_revises_it(
            self, api: Any, harbour: dict[str, Any]) -> None:
        # given a Harbour department
        register(api, harbour)
        service = slip_rental(harbour)
        here = f"{SERVICES}/{service['code']}"
        # when an administrator registers slip rental in its marina unit
        response = as_admin(api, "POST", SERVICES, service)
        # then it is listed for the department, as sent
        assert response.status_code == 201, response.text
        assert response.headers["location"] == here
        created = response.json()
        assert {k: created[k] for k in service} == service
        assert read_all(api, SERVICES, department=harbour["code"]) == [created]
        # when it is renamed and withdrawn
        response = as_admin(api, "PATCH", here, {"name": "Rent a Boat Slip", "active": False})
        # then the change shows, and customers no longer see it offered
        assert response.status_code == 200, response.text
        assert response.json()["name"] == "Rent a Boat Slip"
        assert response.json()["version"] == 2 and not response.json()["public"]
        assert read_all(api, SERVICES, department=harbour["code"]) == []
        assert read(api, here)["active"] is False


class TestWhoMayChangeTheCatalogue:
    @pytest.mark.parametrize("role", NOT_ADMINS)
    @pytest.mark.parametrize("method, path, body", [
        ("POST", DEPARTMENTS, HARBOUR),
        ("PATCH", f"{DEPARTMENTS}/public-works", {"hourly_rate_cents": 1}),
        ("POST", SERVICES, {**SLIP_RENTAL, "department": "community",
                            "business_unit": "community-recreation"}),
        ("PATCH", f"{SERVICES}/public-works-roads-01", {"active": False}),
    ], ids=["register-department", "revise-department", "register-service", "revise-service"])
    def test_only_an_administrator_changes_the_catalogue(
            self, api: Any, role: str, method: str, path: str, body: Any) -> None:
        departments = ["public-works", "community"] if role in {"staff", "manager"} else []
        with api.nothing_recorded():
            response = api.client.request(method, path, json=body,
                                          headers=api.headers(role, departments=departments))
        api.problem(response, 403, "forbidden")

    @pytest.mark.parametrize("method, path", [
        ("GET", DEPARTMENTS), ("GET", f"{DEPARTMENTS}/cao"), ("POST", DEPARTMENTS),
        ("PATCH", f"{DEPARTMENTS}/cao"), ("GET", SERVICES), ("GET", f"{SERVICES}/cao-hr-01"),
        ("POST", SERVICES), ("PATCH", f"{SERVICES}/cao-hr-01"), ("GET", DESKS)])
    def test_without_a_token_every_catalogue_route_answers_401(
            self, api: Any, method: str, path: str) -> None:
        with api.nothing_recorded():
            response = api.client.request(method, path, json={})
        api.problem(response, 401)
        assert response.headers["www-authenticate"].startswith("Bearer")


class TestBadInput:
    @pytest.mark.parametrize("method, path, body, status, field", [
        ("POST", DEPARTMENTS, {**HARBOUR, "code": "harbour services!"}, 400, "code"),
        ("POST", DEPARTMENTS, {**HARBOUR, "colour": "blue"}, 400, "colour"),
        ("POST", DEPARTMENTS, {"code": "harbour"}, 400, "name"),
        ("POST", DEPARTMENTS, {**HARBOUR, "hourly_rate_cents": -1}, 400, "hourly_rate_cents"),
        ("POST", SERVICES, {**SLIP_RENTAL, "service_type": "magic"}, 400, "service_type"),
        ("POST", SERVICES, {**SLIP_RENTAL, "purpose": "fun"}, 400, "purpose"),
        ("POST", SERVICES, {**SLIP_RENTAL, "department": "space-program"}, 422, "department"),
        ("POST", SERVICES, {**SLIP_RENTAL, "department": "community"}, 422, "business_unit"),
        ("PATCH", f"{DEPARTMENTS}/cao", {"active": "no"}, 400, "active"),
        ("PATCH", f"{SERVICES}/cao-hr-01", {"keywords": "hr"}, 400, "keywords"),
    ], ids=["code-with-spaces", "unknown-field", "missing-name", "negative-rate",
            "unknown-service-type", "unknown-purpose", "unknown-department",
            "unit-of-another-department", "active-not-boolean", "keywords-not-a-list"])
    def test_a_bad_body_is_refused_naming_the_field(
            self, api: Any, method: str, path: str, body: Any, status: int,
            field: str) -> None:
        with api.nothing_recorded():
            response = as_admin(api, method, path, body)
        api.problem(response, status, field=field)

    @pytest.mark.parametrize("path", [f"{DEPARTMENTS}/cao", f"{SERVICES}/cao-hr-01"])
    def test_a_revision_that_changes_nothing_is_refused(self, api: Any, path: str) -> None:
        with api.nothing_recorded():
            response = as_admin(api, "PATCH", path, {})
        problem = api.problem(response, 422, "rule-violated")
        assert "must change something" in problem["detail"]

    @pytest.mark.parametrize("params, status, field", [
        ({"department": "space-program"}, 422, "department"),
        ({"after": "%%% not a cursor"}, 422, "after"),
        ({"after": "caf\u00e9"}, 422, "after"),
        ({"limit": 0}, 400, "limit"),
        ({"include_internal": "perhaps"}, 400, "include_internal"),
    ], ids=["unknown-department", "forged-cursor", "non-ascii-cursor", "limit-zero",
            "not-a-boolean"])
    def test_a_bad_list_parameter_is_refused_naming_it(
            self, api: Any, params: dict[str, Any], status: int, field: str) -> None:
        response = api.client.get(SERVICES, params=params, headers=api.headers("csr"))
        api.problem(response, status, field=field)

    @pytest.mark.parametrize("path, taken", [(DEPARTMENTS, "planning"),
                                             (SERVICES, "public-works-roads-01")])
    def test_a_code_already_taken_is_a_conflict(self, api: Any, harbour: dict[str, Any],
                                                path: str, taken: str) -> None:
        # given a Harbour department
        register(api, harbour)
        body = {**(harbour if path == DEPARTMENTS else slip_rental(harbour)), "code": taken}
        # when an administrator registers another entry under a code already taken
        with api.nothing_recorded():
            response = as_admin(api, "POST", path, body)
        # then it is a conflict naming the code, and nothing is recorded
        problem = api.problem(response, 409, "already-exists", "code")
        assert "already exists" in problem["detail"]

    @pytest.mark.parametrize("path", [f"{DEPARTMENTS}/space-program",
                                      f"{SERVICES}/space-program-01"])
    def test_revising_an_unknown_code_is_not_found(self, api: Any, path: str) -> None:
        with api.nothing_recorded():
            response = as_admin(api, "PATCH", path, {"active": False})
        api.problem(response, 404, "not-found")
