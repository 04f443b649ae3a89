"""The privacy routes over HTTP: an access request answered as one file, the retention
schedule (seed values marked unconfirmed), the retired report."""

from __future__ import annotations

import json

from tests.api.conftest import DeskClient
from tests.api.test_access_log_api import disclosures

PRIVACY = "/api/v1/privacy"


def test_an_access_request_holds_the_record_cases_events_and_access_log_in_one_file(
        api: DeskClient) -> None:
    # given a customer with two cases, one of them read by a CSR
    first = api.receive(contact={"name": "Ivy Access", "email": "ivy.access@example.org"})
    second = api.receive(customer_id=first["customer_id"], contact=None)
    api.client.get(f"/api/v1/cases/{first['id']}", headers=api.headers("csr"))
    # when the privacy officer prepares the access request
    response = api.client.get(f"{PRIVACY}/access-requests/{first['customer_id']}",
                              headers=api.headers("privacy_officer"))
    # then it is one JSON file holding everything
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"].startswith("attachment;")
    package = json.loads(response.content)
    assert (package["customer"]["name"], package["customer"]["email"]) == (
        "Ivy Access", "ivy.access@example.org")
    assert [c["case_id"] for c in package["cases"]] == [first["id"], second["id"]]
    assert package["cases"][0]["events"][0]["type"] == "Case.Received"
    assert [e["type"] for e in package["record_events"]][:2] == [
        "Customer.Registered", "Customer.CaseLinked"]
    assert ("csr-1", f"GET /api/v1/cases/{first['id']}") in {
        (e["actor_id"], e["route"]) for e in package["access_log"]}
    # and preparing it was itself logged
    assert disclosures(api, first["id"])[-1] == (
        "privacy_officer-1", f"GET {PRIVACY}/access-requests/{first['customer_id']}",
        "access_request")


def test_only_the_privacy_officer_prepares_an_access_request(api: DeskClient) -> None:
    case = api.receive(contact={"name": "Jim Access"})
    for role in ("csr", "auditor", "admin"):
        api.problem(api.client.get(f"{PRIVACY}/access-requests/{case['customer_id']}",
                                   headers=api.headers(role)), 403)


def test_the_seed_schedule_is_marked_for_the_town_to_confirm(api: DeskClient) -> None:
    shown = api.client.get(f"{PRIVACY}/retention", headers=api.headers("csr")).json()
    [service] = [p for p in shown["periods"] if p["record_class"] == "service_request"]
    assert service == {"record_class": "service_request", "years": 2, "confirmed": False,
                       "by_law": "seed value: to confirm against the Town's records "
                                 "retention by-law"}


def test_the_administrator_sets_a_period_with_its_by_law(api: DeskClient) -> None:
    response = api.client.put(f"{PRIVACY}/retention/complaint", headers=api.headers("admin"),
                              json={"years": 6, "by_law": "By-law 2026-042", "confirmed": True})
    assert response.status_code == 200, response.text
    assert {"record_class": "complaint", "years": 6, "by_law": "By-law 2026-042",
            "confirmed": True} in response.json()["periods"]
    api.problem(api.client.put(f"{PRIVACY}/retention/complaint", headers=api.headers("csr"),
                               json={"years": 6, "by_law": "x"}), 403)
    api.problem(api.client.put(f"{PRIVACY}/retention/complaint", headers=api.headers("admin"),
                               json={"years": 0, "by_law": "x"}), 400, field="years")


def test_the_retired_report_is_the_privacy_officers(api: DeskClient) -> None:
    assert api.client.get(f"{PRIVACY}/retired",
                          headers=api.headers("privacy_officer")).status_code == 200
    api.problem(api.client.get(f"{PRIVACY}/retired", headers=api.headers("csr")), 403)
