"""Duplicate cases over HTTP, on SQLite and PostgreSQL: intake suggests the open cases a new one
likely repeats (the same service within 50 metres, or the same customer with a similar
subject), and staff merge a duplicate into the case that carries it on: the duplicate closes
as merged, both references keep resolving, and its undecided targets count neither as met nor
as breached.

The module shares one desk per database (see conftest): each test reports at a place of its
own (at least a kilometre from the others') or for a customer of its own.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from uuid import uuid4

import pytest

from application.open311 import issue_api_key
from domain.actors import Actor, Role
from infrastructure.settings import Settings
from tests import toronto_time
from tests.api.test_access_log_api import disclosures

V2 = "/open311/v2"
FORM = {"content-type": "application/x-www-form-urlencoded; charset=utf-8"}
SERVICE = "public-works-engineering-02"  # public: an Open311 app may report it
OTHER_SERVICE = "public-works-transit-02"
ADMIN = Actor(id="admin-1", role=Role.ADMIN)
# One degree of latitude on the haversine's sphere (R = 6 371 008.8 m): 2 pi R / 360 =
# 111 195.08 m. Along a meridian the haversine distance is exactly R times the difference of
# latitude, so 0.00027 degrees = 30.02 m and 0.00072 degrees = 80.06 m.
THIRTY_METRES = 0.00027
EIGHTY_METRES = 0.00072


@pytest.fixture(scope="module")
def settings(settings: Settings) -> Settings:
    """The API conftest's databases, with the projection runners on (suggestions read the
    duplicate candidates read model; the scorecard is one too)."""
    return dataclasses.replace(settings, run_projections=True, min_sample=1)


@pytest.fixture(scope="module")
def key(desk: Any) -> str:
    return issue_api_key(desk, ADMIN, f"Duplicates app {uuid4().hex[:8]}").key


def report(api: Any, key: str, lat: float, long: float, service: str = SERVICE,
           description: str = "A deep pothole in the eastbound lane") -> dict[str, Any]:
    """An Open311 request at (lat, long), as the staff see its case."""
    body = {"api_key": key, "jurisdiction_id": "cobourg.ca", "service_code": service,
            "lat": f"{lat:.6f}", "long": f"{long:.6f}", "description": description,
            "email": f"{uuid4().hex[:10]}@example.org"}
    response = api.client.post(f"{V2}/requests.json", content=urlencode(body), headers=FORM)
    assert response.status_code == 200, response.text
    [answer] = response.json()
    return api.case(answer["token"])


def duplicates(api: Any, case_id: str, role: str = "csr") -> list[dict[str, Any]]:
    """The case's suggested duplicates, once the read model has everything recorded so far."""
    response = api.client.get(f"{api.cases}/{case_id}/duplicates",
                              params={"min_position": api.desk.log_position()},
                              headers=api.headers(role))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def merge(api: Any, case_id: str, into: str, role: str = "csr",
          reason: str = "Same pothole, reported twice") -> Any:
    return api.client.post(f"{api.cases}/{case_id}/merge-into",
                           json={"into": into, "reason": reason}, headers=api.headers(role))


class TestSuggestedByPlace:
    def test_a_request_30_metres_from_an_open_one_is_suggested_and_one_80_metres_away_not(
            self, api: Any, key: str) -> None:
        # given an open request for a pothole at 43.9600 N, 78.1700 W
        first = report(api, key, 43.9600, -78.1700)
        # when one is reported 30.02 m north of it, and another 80.06 m south of it
        near = report(api, key, 43.9600 + THIRTY_METRES, -78.1700)
        far = report(api, key, 43.9600 - EIGHTY_METRES, -78.1700)
        # then the near one suggests the first, 30.0 m away
        assert duplicates(api, near["id"]) == [{
            "case_id": first["id"], "reference": first["reference"],
            "department": first["department"], "status": "open",
            "received_at": first["received_at"], "reasons": ["same_service_nearby"],
            "distance_metres": 30.0, "subject_similarity": None}]
        # and the far one (80.06 m from the first, 110.08 m from the near one) suggests none
        assert duplicates(api, far["id"]) == []

    def test_another_service_at_the_same_place_or_a_closed_request_is_not_suggested(
            self, api: Any, key: str) -> None:
        # given a pothole report at 43.9700 N, 78.1600 W, and a transit issue at the same spot
        first = report(api, key, 43.9700, -78.1600)
        transit = report(api, key, 43.9700, -78.1600, service=OTHER_SERVICE)
        # then the transit issue is not a duplicate of the pothole
        assert duplicates(api, transit["id"]) == []
        # and once the pothole is resolved, a new report 10 m away suggests nothing
        api.run(first["id"], ("resolve", {"resolution": "Filled"}))
        again = report(api, key, 43.9700 + 0.00009, -78.1600)
        assert duplicates(api, again["id"]) == []


class TestSuggestedByCustomer:
    def test_the_same_customer_with_a_similar_subject_is_suggested_in_the_receipt(
            self, api: Any) -> None:
        # given a customer's open case "Pothole on King St W"
        first = api.receive(contact={"name": "Grace Hopper",
                                     "email": f"{uuid4().hex[:8]}@example.org"})
        assert duplicates(api, first["id"]) == []  # (and the read model has it)
        # when they call again, confirmed as the same customer, about "pothole King Street West"
        second = api.client.post(api.cases, json=api.new_case_body(
            channel="telephone", subject="pothole King Street West", contact=None,
            customer_id=first["customer_id"]), headers=api.headers("csr"))
        assert second.status_code == 201, second.text
        # then the receipt's answer suggests the first case: the sorted words "king on pothole
        # st w" and "king pothole street west" are 0.829 alike (difflib's ratio)
        assert second.json()["duplicate_suggestions"] == [{
            "case_id": first["id"], "reference": first["reference"],
            "department": first["department"], "status": "open",
            "received_at": first["received_at"], "reasons": ["same_customer_similar_subject"],
            "distance_metres": None, "subject_similarity": 0.829}]
        # and the access log records that the answer disclosed the customer's other cases
        assert disclosures(api, first["customer_id"])[-1] == ("csr-1", "POST /api/v1/cases",
                                                              "cases")

    def test_the_same_customer_about_something_else_is_not_suggested(self, api: Any) -> None:
        first = api.receive(contact={"name": "Alan Turing",
                                     "email": f"{uuid4().hex[:8]}@example.org"})
        duplicates(api, first["id"])  # the read model has caught up
        second = api.client.post(api.cases, json=api.new_case_body(
            subject="Missed garbage pickup", contact=None, customer_id=first["customer_id"]),
            headers=api.headers("csr"))
        assert second.status_code == 201, second.text
        assert second.json()["duplicate_suggestions"] == []


class TestMerging:
    def test_a_merged_duplicate_closes_and_both_references_keep_resolving(
            self, api: Any, key: str) -> None:
        # given two reports of one pothole, 30 m apart, by two residents
        survivor = report(api, key, 43.9500, -78.1800)
        duplicate = report(api, key, 43.9500 + THIRTY_METRES, -78.1800)
        assert [d["reference"] for d in duplicates(api, duplicate["id"])] == [
            survivor["reference"]]
        # when a CSR merges the second into the first
        response = merge(api, duplicate["id"], survivor["id"])
        # then the duplicate is closed as merged into the first, its targets withdrawn
        assert response.status_code == 200, response.text
        merged = response.json()
        assert (merged["status"], merged["merged_into"]) == ("closed", survivor["reference"])
        assert merged["targets"] == []
        # and both references still find their cases; the survivor lists the duplicate and
        # the duplicate's customer as a subscriber who hears its outcome
        by_reference = api.client.get(f"{api.cases}/by-reference/{duplicate['reference']}",
                                      headers=api.headers("csr"))
        assert by_reference.json()["merged_into"] == survivor["reference"]
        kept = api.client.get(f"{api.cases}/by-reference/{survivor['reference']}",
                              headers=api.headers("csr")).json()
        assert (kept["status"], kept["merged_from"], kept["subscribers"]) == (
            "open", [duplicate["reference"]], [duplicate["customer_id"]])
        # and Open311 shows the duplicate closed, pointing at the survivor
        [public] = api.client.get(f"{V2}/requests/{duplicate['reference']}.json").json()
        assert public["status"] == "closed"
        assert survivor["reference"] in public["status_notes"]
        # and the resident's status page (with their own token) points at the survivor
        page = api.client.get(f"/api/v1/public/requests/{duplicate['reference']}",
                              params={"token": duplicate["public_token"]})
        assert page.json()["merged_into"] == {"reference": survivor["reference"],
                                              "status": "open"}
        html = api.client.get(f"/status/{duplicate['reference']}",
                              params={"token": duplicate["public_token"]}).text
        assert "merged into it" in html and survivor["reference"] in html
        # and the survivor no longer suggests the duplicate, which is closed
        assert duplicates(api, survivor["id"]) == []

    @pytest.mark.parametrize("case", ["itself", "merged", "closed", "chain"])
    def test_a_merge_that_cannot_be_is_a_422_naming_into_and_records_nothing(
            self, api: Any, key: str, case: str) -> None:
        first = report(api, key, 43.9400, -78.1900)
        second = report(api, key, 43.9400, -78.1900)
        third = report(api, key, 43.9400, -78.1900)
        if case == "itself":
            source, into = first["id"], first["id"]
        elif case == "merged":  # into a case that was itself merged
            assert merge(api, second["id"], first["id"]).status_code == 200
            source, into = third["id"], second["id"]
        elif case == "closed":
            api.run(first["id"], ("resolve", {"resolution": "Filled"}))
            source, into = third["id"], first["id"]
        else:  # a case holding merged duplicates merged on: a chain
            assert merge(api, second["id"], first["id"]).status_code == 200
            source, into = first["id"], third["id"]
        with api.nothing_recorded(source):
            response = merge(api, source, into)
        api.problem(response, 422, field="into")

    def test_merging_a_merged_case_again_or_into_an_unknown_case_is_refused(
            self, api: Any, key: str) -> None:
        first = report(api, key, 43.9300, -78.2000)
        second = report(api, key, 43.9300, -78.2000)
        assert merge(api, second["id"], first["id"]).status_code == 200
        with api.nothing_recorded(second["id"]):
            again = merge(api, second["id"], first["id"])
        api.problem(again, 422, "case-merged")
        with api.nothing_recorded(first["id"]):
            unknown = merge(api, first["id"], str(uuid4()))
        api.problem(unknown, 404)
        reopened = api.post(second["id"], "reopen", {"reason": "Still there"})
        api.problem(reopened, 422, "case-merged")

    def test_a_retried_merge_with_its_idempotency_key_answers_again_and_records_nothing(
            self, api: Any, key: str) -> None:
        first = report(api, key, 43.9250, -78.2100)
        second = report(api, key, 43.9250, -78.2100)
        body = {"into": first["id"], "reason": "Same fallen tree"}
        headers = api.headers("csr", **{"Idempotency-Key": f"merge-{uuid4()}"})
        path = f"{api.cases}/{second['id']}/merge-into"
        answered = api.client.post(path, json=body, headers=headers)
        assert answered.status_code == 200, answered.text
        with api.nothing_recorded(second["id"]):
            again = api.client.post(path, json=body, headers=headers)
        assert again.status_code == 200, again.text
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json() == answered.json()

    def test_an_auditor_may_not_merge(self, api: Any, key: str) -> None:
        first = report(api, key, 43.9350, -78.2050)
        second = report(api, key, 43.9350, -78.2050)
        with api.nothing_recorded(second["id"]):
            response = merge(api, second["id"], first["id"], role="auditor")
        api.problem(response, 403)


def toronto(month: int, day: int, hour: int) -> datetime:
    return toronto_time.toronto(2026, month, day, hour)


class TestMergedTargets:
    def test_a_merged_cases_targets_count_neither_met_nor_breached_in_scorecard_or_report(
            self, api: Any, clock: Any) -> None:
        # given two emails to public works on Tuesday 2026-08-04 at 10:00, each promised an
        # acknowledgement within 2 business days (due Thursday 08-06 at 10:00)
        clock.now = toronto(8, 4, 10)
        survivor = api.receive(subject="Flooded basement on Hibernia St")
        duplicate = api.receive(subject="Basement flooding Hibernia Street")
        # when the second is merged into the first at 11:00
        clock.now = toronto(8, 4, 11)
        assert merge(api, duplicate["id"], survivor["id"]).status_code == 200
        # and no one acknowledges either by Friday 08-07 at 10:00
        clock.now = toronto(8, 7, 10)
        response = api.client.get("/api/v1/scorecards", params={
            "department": "public-works", "period": "2026-08",
            "min_position": api.desk.log_position()}, headers=api.headers("director"))
        assert response.status_code == 200, response.text
        card = response.json()
        # then both contacts were received, but only the survivor's promise was broken: the
        # duplicate's was withdrawn when it was merged
        assert card["cases"] == 2
        assert [(s["code"], s["met_on_time"], s["met_late"], s["breached"], s["open"])
                for s in card["standards"]] == [("email-acknowledge", 0, 0, 1, 0)]
        # and so does the clerk's accountability report: one promise applied, one broken
        report = api.client.get("/api/v1/reports/accountability", params={
            "period": "2026-08", "department": "public-works"}, headers=api.headers("clerk"))
        assert report.status_code == 200, report.text
        [email] = [s["outcomes"] for s in report.json()["standards"]
                   if s["code"] == "email-acknowledge"]
        assert (email["applied"], email["met"], email["breached"], email["open"]) == (1, 0, 1, 0)
        # and the duplicate's view has no target left to keep
        assert api.case(duplicate["id"])["targets"] == []
