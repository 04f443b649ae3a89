"""Every promise set, over HTTP: a case received as a complaint, unmeasured waits on the case
view, accommodations not made and the list of open ones, goals set and judged in the
scorecard (JSON and CSV) and the report, and every bad input a 4xx problem that changes nothing.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from typing import Any

import pytest

from infrastructure.settings import Settings

ACCOMMODATIONS = "/api/v1/accommodations"
GOALS = "/api/v1/admin/goals"
POSITION = "X-Civicdesk-Position"
HOME, AWAY = "public-works", "planning"


@pytest.fixture(scope="module")
def settings(settings: Settings) -> Settings:
    """With the read models running (the accommodations list and the scorecard), every share
    rated from one result on."""
    return dataclasses.replace(settings, run_projections=True, min_sample=1)


def accommodation(api: Any, case_id: str, **body: Any) -> Any:
    return api.post(case_id, "accommodations", body)


def listed(api: Any, role: str = "manager", **params: Any) -> Any:
    params.setdefault("min_position", api.desk.log_position())
    return api.client.get(ACCOMMODATIONS, params=params, headers=api.headers(role))


class TestReceiving:
    def test_a_case_received_as_a_complaint_has_the_48_hour_acknowledgement(
            self, api: Any) -> None:
        # Received Wed 2026-03-04 10:00 EST on the phone: Wed 6.5 h + Thu 8 h + Fri 1.5 h
        # = Fri 10:00 EST = 15:00 UTC
        case = api.receive(channel="telephone", classification="complaint")
        assert case["classification"] == "complaint"
        targets = {t["name"]: t for t in case["targets"]}
        assert targets["acknowledge"]["due_at"] == "2026-03-06T15:00:00Z"
        # no wait recorded: the 60-second promise is there, not measured
        assert targets["answer_wait"]["state"] == "not_measured"

    def test_the_public_status_shows_the_wait_not_measured_and_the_resolution_promise(
            self, api: Any) -> None:
        # A walk-in about an issue service (10 business days seeded), no wait recorded
        case = api.receive(channel="in_person", service_code="public-works-engineering-02",
                           purpose="issue_or_complaint")
        token = case["public_token"]
        status = api.client.get(f"/api/v1/public/requests/{case['reference']}",
                                params={"token": token}).json()
        states = {p["title"]: p["state"] for p in status["promises"]}
        assert states["In person: served within 10 minutes"] == "not_measured"
        assert any(title.startswith("Resolved within") for title in states)
        page = api.client.get(f"/status/{case['reference']}", params={"token": token}).text
        assert "Not measured: your wait was not recorded" in page

    def test_a_classification_the_desk_does_not_know_is_a_400_problem(self, api: Any) -> None:
        with api.nothing_recorded():
            response = api.client.post(api.cases, json=api.new_case_body(
                classification="grievance"), headers=api.headers())
        api.problem(response, 400)


class TestAccommodations:
    def test_one_not_made_is_listed_open_with_its_alternative_until_provided(
            self, api: Any) -> None:
        case_id = api.receive()["id"]
        accommodation(api, case_id, action="request", need="ASL interpreter")
        response = accommodation(api, case_id, action="not_made", number=1,
                                 reason="No interpreter today",
                                 alternative="Interpreter on Friday")
        assert response.status_code == 200, response.text
        [shown] = response.json()["accommodations"]
        assert (shown["state"], shown["alternative"]) == ("not_made", "Interpreter on Friday")
        items = [i for i in listed(api).json()["items"] if i["case_id"] == case_id]
        assert [(i["number"], i["state"]) for i in items] == [(1, "not_made")]
        accommodation(api, case_id, action="provide", number=1, how="Interpreter attended")
        assert not [i for i in listed(api).json()["items"] if i["case_id"] == case_id]
        provided = listed(api, state="provided").json()["items"]
        assert [i["state"] for i in provided if i["case_id"] == case_id] == ["provided"]

    @pytest.mark.parametrize(("body", "field"), [
        ({"action": "not_made", "reason": "x", "alternative": "y"}, "number"),
        ({"action": "not_made", "number": 1, "alternative": "y"}, "reason"),
        ({"action": "not_made", "number": 1, "reason": "x"}, "alternative"),
        ({"action": "not_made", "number": 9, "reason": "x", "alternative": "y"}, "number"),
    ])
    def test_a_not_made_without_what_the_customer_is_told_is_a_422_problem(
            self, api: Any, body: dict[str, Any], field: str) -> None:
        case_id = api.receive()["id"]
        accommodation(api, case_id, action="request", need="Braille")
        with api.nothing_recorded(case_id):
            response = accommodation(api, case_id, **body)
        api.problem(response, 422, field=field)

    def test_the_list_refuses_an_unknown_state_and_another_department(self, api: Any) -> None:
        api.problem(listed(api, state="lost"), 400)
        api.problem(listed(api, department="no-such"), 422, field="department")
        assert listed(api, department=AWAY).status_code == 403
        assert api.client.get(ACCOMMODATIONS).status_code == 401


class TestGoals:
    def test_goals_are_set_by_administrators_and_judged_in_the_scorecard(
            self, api: Any, clock: Any) -> None:
        # Given a call in June 2026 with a 30 s wait, and another with none
        clock.now = clock.now.replace(month=6, day=9)
        api.receive(channel="telephone", wait_seconds=30)
        api.receive(channel="telephone")
        # When an administrator sets the Town's goal for the share met on time
        body = {"reason": "Council targets 2026",
                "goals": [{"metric": "share_met", "value": 90}]}
        response = api.client.put(GOALS, json=body, headers=api.headers("admin"))
        assert response.status_code == 200, response.text
        assert response.json()["goals"] == [{"metric": "share_met", "value": "90",
                                             "direction": "at_least", "department": None}]
        # Then the June scorecard judges it: 1 met / 1 decided = 100.0 % >= 90
        card = api.client.get("/api/v1/scorecards", headers=api.headers("manager"), params={
            "department": HOME, "period": "2026-06", "trend": 2,
            "min_position": api.desk.log_position()}).json()
        assert card["goals"] == [{
            "metric": "share_met", "goal": "90", "direction": "at_least", "set_for": None,
            "figure": {"value": "100.0", "count": 1, "rated": True, "reason": None},
            "met": True}]
        telephone = next(s for s in card["standards"] if s["code"] == "telephone-answer")
        assert (telephone["met_on_time"], telephone["not_measured"]) == (1, 1)
        assert [(p["period"]["label"], p["cases"]) for p in card["trend"]] == [
            ("2026-05", 0), ("2026-06", 2)]
        # And the CSV carries the goal and the trend, one figure a row
        text = api.client.get("/api/v1/scorecards", headers=api.headers("manager"), params={
            "department": HOME, "period": "2026-06", "trend": 2, "format": "csv"}).text
        rows = list(csv.reader(io.StringIO(text)))
        assert ["goals", "share_met", "met", "yes", "", ""] in rows
        assert ["trend", "cases", "2026-06", "2", "", ""] in rows

    @pytest.mark.parametrize(("goal", "status", "field"), [
        ({"metric": "happiness", "value": 1}, 400, None),
        ({"metric": "share_met", "value": 101}, 422, "value"),
        ({"metric": "csat_average", "value": 0}, 422, "value"),
        ({"metric": "share_met", "value": 90, "direction": "sideways"}, 400, None),
        ({"metric": "share_met", "value": 90, "department": "no-such"}, 422, "department"),
    ])
    def test_a_bad_goal_is_a_4xx_problem_that_changes_nothing(
            self, api: Any, goal: dict[str, Any], status: int, field: str | None) -> None:
        with api.nothing_recorded():
            response = api.client.put(GOALS, json={"reason": "typo", "goals": [goal]},
                                      headers=api.headers("admin"))
        api.problem(response, status, field=field)

    def test_only_administrators_set_goals(self, api: Any) -> None:
        with api.nothing_recorded():
            response = api.client.put(GOALS, json={"reason": "mine", "goals": []},
                                      headers=api.headers("director"))
        api.problem(response, 403)

    def test_two_goals_for_one_metric_and_department_are_a_422_problem(self, api: Any) -> None:
        goals = [{"metric": "nps", "value": 10}, {"metric": "nps", "value": 20}]
        with api.nothing_recorded():
            response = api.client.put(GOALS, json={"reason": "twice", "goals": goals},
                                      headers=api.headers("admin"))
        api.problem(response, 422, field="metric")


class TestReport:
    def test_the_html_report_shows_goals_their_trend_and_accommodations(
            self, api: Any) -> None:
        case_id = api.receive()["id"]
        accommodation(api, case_id, action="request", need="Large print")
        accommodation(api, case_id, action="not_made", number=1, reason="Printer down",
                      alternative="Audio recording")
        response = api.client.get("/api/v1/reports/accountability", headers=api.headers(
            "clerk"), params={"period": "2026-03", "format": "html"})
        assert response.status_code == 200, response.text
        page = response.text
        for heading in ('id="goals">Goals and the trend<',
                        'id="accessibility">Accessibility accommodations<'):
            assert heading in page
        assert "Could not be made at the time (customer told, alternative offered)" in page
        # the glossary's names in the JSON
        report = api.client.get("/api/v1/reports/accountability", headers=api.headers(
            "clerk"), params={"period": "2026-03"}).json()
        assert report["accommodations"]["not_made"] >= 1
        assert report["accommodations"]["open"] >= 1
        assert {row["metric"] for row in report["goal_trend"]} == {
            "share_met", "first_contact_rate", "csat_average", "nps", "ces_average"}


class TestStandards:
    def test_the_seeded_drafts_say_so_and_a_revision_confirms_them(self, api: Any) -> None:
        listed = api.client.get("/api/v1/standards", headers=api.headers()).json()
        drafts = {s["code"]: s["draft"] for s in listed["standards"]}
        assert drafts["virtual-meeting-confirm"] is True
        assert drafts["resolve-public-works-engineering-02"] is True
        assert drafts["complaint-acknowledge"] is False
        # When the Town confirms the virtual-meeting standard as drafted
        revised = [dict(s, draft=False) if s["code"] == "virtual-meeting-confirm" else s
                   for s in listed["standards"]]
        response = api.client.put("/api/v1/admin/standards", headers=api.headers("admin"),
                                  json={"reason": "Confirmed by council", "standards": revised})
        assert response.status_code == 200, response.text
        confirmed = {s["code"]: s["draft"] for s in response.json()["standards"]}
        assert confirmed["virtual-meeting-confirm"] is False

    def test_a_resolution_standard_for_an_unknown_service_is_a_422_problem(
            self, api: Any) -> None:
        body = {"reason": "typo", "standards": [{
            "code": "resolve-nothing", "title": "Resolved within 2 days", "target": "resolve",
            "seconds": 57600, "service_code": "no-such-service"}]}
        with api.nothing_recorded():
            response = api.client.put("/api/v1/admin/standards", json=body,
                                      headers=api.headers("admin"))
        api.problem(response, 422, field="service_code")
