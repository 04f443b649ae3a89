"""Intake suggests the customers already on record: a staff receipt with a new contact is
answered with the live customers whose email or phone is exactly the contact's (ids and the
fields matched, nothing personal), each suggestion logged; staff confirm one by merging the
new record into it, after which the case is that customer's. On SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import DeskClient
from tests.api.test_access_log_api import disclosures

CUSTOMERS = "/api/v1/customers"
RECEIPT = "POST /api/v1/cases"


def person(tag: str, phone: str) -> dict[str, str]:
    """A customer of this test alone (the module's desk is shared)."""
    return {"name": f"Marie {tag.title()}", "email": f"{tag}@example.org", "phone": phone}


def cases_of(api: DeskClient, customer_id: str) -> list[str]:
    listed = api.client.get(f"{CUSTOMERS}/{customer_id}/cases", headers=api.headers("csr"))
    assert listed.status_code == 200, listed.text
    return [c["id"] for c in listed.json()["items"]]


class TestSuggestions:
    def test_a_contact_matching_no_one_is_answered_with_no_suggestion(
            self, api: DeskClient) -> None:
        # when a new caller no one has on record is received
        case = api.receive(contact=person("match0", "905-555-0100"))
        # then the case and its new customer are made, and nothing is suggested
        assert case["personal_information"] == "held"
        assert case["customer_matches"] == []

    def test_the_same_email_suggests_the_existing_customer_and_nothing_personal(
            self, api: DeskClient) -> None:
        # given a customer on record from an earlier email
        first = api.receive(contact=person("match1", "905-555-0101"))
        # when they phone, and the CSR types their email (other letter case, other phone)
        second = api.receive(channel="telephone",
                             contact={"name": "M. Match1", "email": " MATCH1@Example.org",
                                      "phone": "289-555-0199"})
        # then a new record is made for the call, and the first one is suggested on email
        assert second["customer_id"] != first["customer_id"]
        assert second["customer_matches"] == [{"customer_id": first["customer_id"],
                                               "matched_on": ["email"]}]

    def test_a_match_by_phone_alone_is_suggested_on_phone(self, api: DeskClient) -> None:
        # given a caller on record by phone only
        first = api.receive(channel="telephone", contact={"name": "Sam Phoneonly",
                                                          "phone": "(905) 555-0102"})
        # when a letter gives the same number written otherwise (a leading 1) and an email
        second = api.receive(channel="written", contact={"name": "Samuel P.",
                                                         "email": "sam.p@example.org",
                                                         "phone": "1 905 555 0102"})
        # then the first record is suggested, on phone alone
        assert second["customer_matches"] == [{"customer_id": first["customer_id"],
                                               "matched_on": ["phone"]}]

    def test_a_match_on_both_fields_names_both_once(self, api: DeskClient) -> None:
        first = api.receive(contact=person("match3", "905-555-0103"))
        second = api.receive(contact=person("match3", "905-555-0103"))
        assert second["customer_matches"] == [{"customer_id": first["customer_id"],
                                               "matched_on": ["email", "phone"]}]

    def test_each_suggestion_is_in_the_access_log_with_the_field_it_matched(
            self, api: DeskClient) -> None:
        # given a customer on record
        first = api.receive(contact=person("match4", "905-555-0104"))
        before = disclosures(api, first["customer_id"])
        # when another receipt's contact matches them by email
        api.receive(role="staff", contact={"email": "match4@example.org"})
        # then the disclosure of that customer (by that field) is logged, naming the receiver
        assert disclosures(api, first["customer_id"])[len(before):] == [
            ("staff-1", RECEIPT, "match:email")]

    def test_a_confirmed_customer_is_not_suggested_nor_is_an_erased_one(
            self, api: DeskClient) -> None:
        # given a customer on record, and one erased (same phone)
        kept = api.receive(contact=person("match5", "905-555-0105"))
        gone = api.receive(contact={"phone": "905-555-0105"})
        erased = api.client.post(f"{CUSTOMERS}/{gone['customer_id']}/erase",
                                 headers=api.headers("privacy_officer"),
                                 json={"reason": "MFIPPA request"})
        assert erased.status_code == 200, erased.text
        # when staff receive a case for the customer they confirmed
        confirmed = api.receive(customer_id=kept["customer_id"], contact=None)
        # then nothing is suggested; and a new contact with that phone finds the live one only
        assert confirmed["customer_matches"] == []
        again = api.receive(contact={"phone": "905 555 0105"})
        assert [m["customer_id"] for m in again["customer_matches"]] == [kept["customer_id"]]


    def test_a_retried_receipt_is_answered_with_its_first_suggestions_not_later_records(
            self, api: DeskClient) -> None:
        # given a customer on record, and a receipt (with an idempotency key) suggesting them
        first = api.receive(contact=person("match6", "905-555-0106"))
        headers = {**api.headers("csr"), "Idempotency-Key": "intake-match6"}
        body = api.new_case_body(contact={"email": "match6@example.org"})
        answer = api.client.post("/api/v1/cases", json=body, headers=headers)
        assert answer.status_code == 201, answer.text
        # when a third record with that email is made, then the receipt is retried
        api.receive(contact={"email": "match6@example.org"})
        again = api.client.post("/api/v1/cases", json=body, headers=headers)
        # then the retry answers what the receipt did: the record older than its own
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json()["customer_matches"] == answer.json()["customer_matches"] == [
            {"customer_id": first["customer_id"], "matched_on": ["email"]}]


class TestConfirming:
    def test_merging_the_new_record_into_the_suggestion_puts_the_case_under_that_customer(
            self, api: DeskClient) -> None:
        # given a customer on record with one case
        first = api.receive(contact=person("confirm1", "905-555-0201"))
        # when they call again and the receipt suggests them
        second = api.receive(channel="telephone",
                             contact={"name": "Marie Confirm1", "phone": "905.555.0201"})
        [match] = second["customer_matches"]
        # and the CSR, having confirmed it is them, merges the new record into the suggestion
        merged = api.client.post(
            f"{CUSTOMERS}/{second['customer_id']}/merge", headers=api.headers("csr"),
            json={"into": match["customer_id"], "reason": "Same caller, confirmed by phone"})
        assert merged.status_code == 200, merged.text
        # then the second case shows under the existing customer, beside the first
        assert api.case(second["id"])["customer_id"] == first["customer_id"]
        assert set(cases_of(api, first["customer_id"])) == {first["id"], second["id"]}
        # and a later receipt with that phone suggests the one surviving record only
        third = api.receive(contact={"phone": "905-555-0201"})
        assert third["customer_matches"] == [{"customer_id": first["customer_id"],
                                              "matched_on": ["phone"]}]


def test_the_receipt_answer_documents_customer_matches(api: DeskClient) -> None:
    schema: Any = api.client.get("/schema/openapi.json").json()
    answer = schema["paths"]["/api/v1/cases"]["post"]["responses"]["201"]
    ref = answer["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    received = schema["components"]["schemas"][ref]
    match_ref = received["properties"]["customer_matches"]["items"]["$ref"].rsplit("/", 1)[-1]
    assert set(schema["components"]["schemas"][match_ref]["properties"]) == {
        "customer_id", "matched_on"}
