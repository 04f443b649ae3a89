"""Correcting a customer's personal information (MFIPPA s.36) over HTTP: the request and its
decision are events; a correction made is used from then on; a refusal keeps the original
with the customer's statement of disagreement."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from tests.api.conftest import DeskClient

CUSTOMERS = "/api/v1/customers"


def ask(api: DeskClient, customer_id: str, field: str, value: str) -> int:
    response = api.client.post(f"{CUSTOMERS}/{customer_id}/corrections",
                               headers=api.headers("csr"), json={"field": field, "value": value})
    assert response.status_code == 200, response.text
    number: int = response.json()["corrections"][-1]["number"]
    return number


def decide(api: DeskClient, customer_id: str, number: int, role: str = "privacy_officer",
           **body: Any) -> Any:
    return api.client.post(f"{CUSTOMERS}/{customer_id}/corrections/{number}/decision",
                           headers=api.headers(role), json=body)


def test_a_correction_made_is_used_from_then_on_and_found_by_search(api: DeskClient) -> None:
    # given a customer whose address was taken down wrong
    case = api.receive(contact={"name": "Omar Fix", "address": "21 Kng St"})
    customer_id = case["customer_id"]
    # when they ask for it to be corrected, and the privacy officer makes the correction
    number = ask(api, customer_id, "address", "21 King St W")
    response = decide(api, customer_id, number, outcome="made", reason="Typing error")
    # then the record, and the case, show the corrected address from now on
    assert response.status_code == 200, response.text
    assert response.json()["address"] == "21 King St W"
    assert api.case(case["id"])["contact"]["address"] == "21 King St W"
    assert response.json()["corrections"] == [{
        "number": 1, "field": "address", "requested_value": "21 King St W",
        "outcome": "made", "reason": "Typing error", "statement_of_disagreement": None}]
    # and both facts are events on the record, the original still in the earlier one
    kinds = [type(e).__name__ for e in api.desk.events.get(UUID(customer_id))]
    assert kinds[-2:] == ["CorrectionRequested", "CorrectionDecided"]


def test_a_refused_correction_keeps_the_original_with_a_statement_of_disagreement(
        api: DeskClient) -> None:
    # given a customer who disputes the name on record
    case = api.receive(contact={"name": "Jo Refuse", "email": "jo.refuse@example.org"})
    customer_id = case["customer_id"]
    number = ask(api, customer_id, "name", "Joanna Refuse-Smith")
    # when the Town refuses, and the customer states their disagreement
    response = decide(api, customer_id, number, outcome="refused",
                      reason="Name as on the signed application",
                      statement_of_disagreement="My legal name is Joanna Refuse-Smith.")
    # then the original stays, and the statement is attached to it wherever it is shown
    assert response.status_code == 200, response.text
    shown = api.client.get(f"{CUSTOMERS}/{customer_id}", headers=api.headers("csr")).json()
    assert shown["name"] == "Jo Refuse"
    assert shown["corrections"] == [{
        "number": 1, "field": "name", "requested_value": "Joanna Refuse-Smith",
        "outcome": "refused", "reason": "Name as on the signed application",
        "statement_of_disagreement": "My legal name is Joanna Refuse-Smith."}]


def test_a_refusal_without_the_statement_is_refused_and_records_nothing(
        api: DeskClient) -> None:
    case = api.receive(contact={"name": "Al Nostatement"})
    number = ask(api, case["customer_id"], "name", "Albert Nostatement")
    with api.nothing_recorded():
        response = decide(api, case["customer_id"], number, outcome="refused", reason="No")
    api.problem(response, 422, field="statement_of_disagreement")


def test_only_the_privacy_officer_decides_and_a_decision_is_made_once(
        api: DeskClient) -> None:
    case = api.receive(contact={"name": "Bea Once"})
    number = ask(api, case["customer_id"], "name", "Beatrice Once")
    api.problem(decide(api, case["customer_id"], number, "csr", outcome="made",
                       reason="Asked"), 403)
    assert decide(api, case["customer_id"], number, outcome="made",
                  reason="Asked").status_code == 200
    api.problem(decide(api, case["customer_id"], number, outcome="made", reason="Again"),
                422, field="number")


def test_a_request_for_something_not_personal_is_refused(api: DeskClient) -> None:
    case = api.receive(contact={"name": "Cy Field"})
    response = api.client.post(f"{CUSTOMERS}/{case['customer_id']}/corrections",
                               headers=api.headers("csr"),
                               json={"field": "reference", "value": "x"})
    api.problem(response, 400, field="field")
