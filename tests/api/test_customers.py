"""Customers over HTTP: intake finds or creates them, staff search them (logged), merge
duplicates (both ids resolve), list their cases; the privacy officer erases one, after which
no read returns their data and the log still verifies."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import DeskClient
from tests.api.test_access_log_api import disclosures

CUSTOMERS = "/api/v1/customers"
FIELDS = "name,email,phone,address,accessibility_needs"


def unique(tag: str) -> dict[str, str]:
    """A customer of this test alone (the module's desk is shared)."""
    return {"name": f"Hélène {tag.title()}ski", "email": f"{tag}@example.org",
            "phone": f"(905) 555-{abs(hash(tag)) % 10_000:04d}",
            "address": f"{len(tag)} {tag.title()} Street, Cobourg"}


def search(api: DeskClient, role: str = "csr", **params: str) -> Any:
    return api.client.get(CUSTOMERS, params=params, headers=api.headers(role))


def access_rows(api: DeskClient, subject: str) -> list[tuple[str, str, str]]:
    return disclosures(api, subject)


class TestIntake:
    def test_a_new_contact_becomes_a_customer_the_case_names(self, api: DeskClient) -> None:
        case = api.receive(contact={**unique("intake1"), "preferred_contact": "phone",
                                    "language": "fr", "consent_to_contact": True},
                           accessibility_needs="Large print")
        assert case["personal_information"] == "held"
        customer = api.client.get(f"{CUSTOMERS}/{case['customer_id']}",
                                  headers=api.headers("csr")).json()
        assert customer == {"id": case["customer_id"], "status": "held", "kind": "person",
                            **unique("intake1"), "accessibility_needs": "Large print",
                            "preferred_contact": "phone", "language": "fr",
                            "consent_to_contact": True, "corrections": []}

    def test_a_confirmed_customer_gets_the_new_case_and_lists_both(
            self, api: DeskClient) -> None:
        # given a customer from a first case, found again by their email
        first = api.receive(contact=unique("intake2"))
        [match] = search(api, email="INTAKE2@example.org ").json()["items"]
        # when staff confirm the match and receive a second case for them
        second = api.receive(customer_id=match["id"], contact=None)
        # then both cases name them, and their cases list both, oldest first
        assert second["customer_id"] == first["customer_id"] == match["id"]
        assert second["contact"] == first["contact"]
        listed = api.client.get(f"{CUSTOMERS}/{match['id']}/cases",
                                headers=api.headers("csr")).json()
        assert [c["reference"] for c in listed["items"]] == [first["reference"],
                                                             second["reference"]]

    def test_a_confirmed_customer_with_new_contact_details_is_refused(
            self, api: DeskClient) -> None:
        first = api.receive(contact=unique("intake3"))
        with api.nothing_recorded():
            response = api.client.post("/api/v1/cases", headers=api.headers("csr"),
                                       json=api.new_case_body(customer_id=first["customer_id"]))
        api.problem(response, 422, field="contact")

    def test_an_unknown_customer_is_not_found_and_nothing_recorded(
            self, api: DeskClient) -> None:
        with api.nothing_recorded():
            response = api.client.post("/api/v1/cases", headers=api.headers("csr"), json=api.
                                       new_case_body(customer_id="7d1c4a52-1b8e-4f57-a4c6-"
                                                     "0c7f3e9f0d11", contact=None))
        api.problem(response, 404)


class TestSearch:
    def test_by_email_phone_or_name_words_ignoring_case_accents_and_punctuation(
            self, api: DeskClient) -> None:
        case = api.receive(contact=unique("search1"))
        digits = unique("search1")["phone"]
        for params in ({"email": "Search1@Example.org"},
                       {"phone": "1-" + digits.replace("(", "").replace(")", "")},
                       {"name": "helene SEARCH1SKI"}):
            items = search(api, **params).json()["items"]
            assert [i["id"] for i in items] == [case["customer_id"]], params

    def test_every_search_is_logged_with_the_fields_disclosed(self, api: DeskClient) -> None:
        case = api.receive(contact=unique("search2"))
        search(api, email="search2@example.org")
        assert access_rows(api, case["customer_id"])[-1] == ("csr-1", f"GET {CUSTOMERS}",
                                                             FIELDS)

    def test_a_search_that_finds_no_one_is_logged_with_what_was_asked(
            self, api: DeskClient) -> None:
        assert search(api, name="Nobody Nowhere").json()["items"] == []
        rows = access_rows(api, "00000000-0000-0000-0000-000000000000")
        assert rows[-1] == ("csr-1", f"GET {CUSTOMERS}", "search:name")

    def test_an_auditor_may_not_search_people(self, api: DeskClient) -> None:
        api.problem(search(api, "auditor", email="search1@example.org"), 403)

    def test_a_search_without_criteria_is_refused(self, api: DeskClient) -> None:
        api.problem(search(api), 422, field="name")
        api.problem(search(api, phone="12"), 422, field="phone")


class TestMerge:
    def test_a_merged_duplicate_resolves_to_its_survivor_with_both_cases(
            self, api: DeskClient) -> None:
        # given the same person twice (a phone call, then an email)
        by_phone = api.receive(contact={"name": "Ravi Merge", "phone": "905-555-7001"})
        by_email = api.receive(contact={"name": "Ravi Merge", "email": "ravi@example.org"})
        # when the CSR merges the phone record into the email one
        response = api.client.post(
            f"{CUSTOMERS}/{by_phone['customer_id']}/merge", headers=api.headers("csr"),
            json={"into": by_email["customer_id"], "reason": "Same person, confirmed by phone"})
        assert response.status_code == 200, response.text
        # then both ids resolve to the survivor, which has both cases
        for customer_id in (by_phone["customer_id"], by_email["customer_id"]):
            shown = api.client.get(f"{CUSTOMERS}/{customer_id}", headers=api.headers("csr"))
            assert shown.json()["id"] == by_email["customer_id"]
        cases = api.client.get(f"{CUSTOMERS}/{by_phone['customer_id']}/cases",
                               headers=api.headers("csr")).json()["items"]
        assert {c["id"] for c in cases} == {by_phone["id"], by_email["id"]}
        # and the phone case now shows the survivor
        assert api.case(by_phone["id"])["customer_id"] == by_email["customer_id"]

    def test_department_staff_may_not_merge(self, api: DeskClient) -> None:
        a = api.receive(contact={"name": "Una Merge"})
        b = api.receive(contact={"name": "Una Merge"})
        response = api.client.post(f"{CUSTOMERS}/{a['customer_id']}/merge",
                                   headers=api.headers("staff"),
                                   json={"into": b["customer_id"], "reason": "Same"})
        api.problem(response, 403)


class TestErasure:
    def test_after_erasure_no_read_returns_their_data_and_the_log_verifies(
            self, api: DeskClient) -> None:
        # given a case whose customer's details are shown to staff
        person = unique("erase1")
        case = api.receive(contact=person, accessibility_needs="Wheelchair access")
        assert api.case(case["id"])["contact"]["email"] == person["email"]
        # when the privacy officer erases the customer
        response = api.client.post(
            f"{CUSTOMERS}/{case['customer_id']}/erase", headers=api.headers("privacy_officer"),
            json={"reason": "Request under MFIPPA, file 2026-014"})
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "erased"
        # then every read shows "erased" and none holds anything of them
        reads = {
            "case": api.client.get(f"/api/v1/cases/{case['id']}", headers=api.headers("csr")),
            "by reference": api.client.get(f"/api/v1/cases/by-reference/{case['reference']}",
                                           headers=api.headers("csr")),
            "history": api.client.get(f"/api/v1/cases/{case['id']}/history",
                                      headers=api.headers("auditor")),
            "customer": api.client.get(f"{CUSTOMERS}/{case['customer_id']}",
                                       headers=api.headers("csr")),
            "list": api.client.get("/api/v1/cases", headers=api.headers("csr")),
            "open311": api.client.get(f"/open311/v2/requests/{case['id']}.json"),
            "public status": api.client.get(
                f"/api/v1/public/requests/{case['reference']}",
                params={"token": case["public_token"]}),
            "export": api.client.get("/api/v1/audit/events", headers=api.headers("auditor")),
            "search": search(api, email=person["email"]),
        }
        for what, answer in reads.items():
            for value in (*person.values(), "Wheelchair", "erase1"):
                assert value not in answer.text, (what, value)
        assert reads["case"].json()["personal_information"] == "erased"
        assert reads["case"].json()["contact"] == {}
        assert reads["history"].json()["state"]["personal_information"] == "erased"
        assert reads["customer"].json() == {
            "id": case["customer_id"], "status": "erased", "kind": "person", "name": None,
            "email": None, "phone": None, "address": None, "accessibility_needs": None,
            "preferred_contact": None, "language": None, "consent_to_contact": None,
            "corrections": []}
        # and the log, every event of it kept, still verifies
        verdict = api.client.get("/api/v1/audit/verify", headers=api.headers("auditor"))
        assert verdict.json()["ok"] is True, verdict.text

    def test_the_erasure_is_an_event_naming_who_when_and_why_never_the_data(
            self, api: DeskClient) -> None:
        case = api.receive(contact=unique("erase2"))
        api.client.post(f"{CUSTOMERS}/{case['customer_id']}/erase",
                        headers=api.headers("privacy_officer"),
                        json={"reason": "Retention review"})
        from uuid import UUID
        [erased] = [e for e in api.desk.events.get(UUID(case["customer_id"]))
                    if type(e).__name__ == "Erased"]
        assert (erased.actor_id, erased.actor_role, erased.reason, erased.basis) == (
            "privacy_officer-1", "privacy_officer", "Retention review", "request")
        assert erased.occurred_at == api.desk.clock()

    def test_only_the_privacy_officer_erases(self, api: DeskClient) -> None:
        case = api.receive(contact=unique("erase3"))
        for role in ("csr", "director", "admin", "auditor"):
            response = api.client.post(f"{CUSTOMERS}/{case['customer_id']}/erase",
                                       headers=api.headers(role), json={"reason": "No"})
            api.problem(response, 403)
        assert api.case(case["id"])["personal_information"] == "held"

    def test_an_erased_customer_cannot_be_given_a_new_case(self, api: DeskClient) -> None:
        case = api.receive(contact=unique("erase4"))
        api.client.post(f"{CUSTOMERS}/{case['customer_id']}/erase",
                        headers=api.headers("privacy_officer"), json={"reason": "Asked"})
        response = api.client.post("/api/v1/cases", headers=api.headers("csr"), json=api.
                                   new_case_body(customer_id=case["customer_id"], contact=None))
        api.problem(response, 422, "customer-erased")
