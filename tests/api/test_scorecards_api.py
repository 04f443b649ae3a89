"""`GET /api/v1/scorecards` over HTTP: JSON and CSV, read-your-writes, who sees what, errors.

The module shares one desk per database (see conftest); each test that records cases does so
in a month of its own, so its scorecard holds only its cases.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from httpx import Response

from api.dependencies import served
from infrastructure.settings import Settings
from tests import toronto_time
from tests.api.conftest import ROAD_REPAIR

SCORECARDS = "/api/v1/scorecards"
POSITION = "X-Civicdesk-Position"
HOME, AWAY = "public-works", "planning"


@pytest.fixture(scope="module")
def settings(settings: Settings) -> Settings:
    """The API conftest's databases, with the projection runners on: this is a read model.
    Every share is rated from one result on (CIVICDESK_MIN_SAMPLE=1): these histories are a
    case or two; TestMinimumSample raises it."""
    return dataclasses.replace(settings, run_projections=True, min_sample=1)


def toronto(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A Toronto wall-clock time in 2026, as UTC."""
    return toronto_time.toronto(2026, month, day, hour, minute)


def post(api: Any, path: str, body: dict[str, Any]) -> int:
    response = api.client.post(path, json=body, headers=api.headers("director"))
    assert response.status_code in {200, 201}, response.text
    return int(response.headers[POSITION])


def get(api: Any, role: str = "manager", departments: list[str] | None = None,
        **params: Any) -> Response:
    """The scorecard, once its read model has caught up with everything recorded so far (the
    module's app starts its projections afresh, and they may still be following the log)."""
    params.setdefault("min_position", api.desk.log_position())
    response: Response = api.client.get(SCORECARDS, params=params,
                                        headers=api.headers(role, departments))
    return response


def email_resolved_in(api: Any, clock: Any, month: int) -> int:
    """An email received Tue 10:00 in the first full week of `month`, answered at 12:00 (30 min
    of effort), resolved Wed 10:00 and rated; the position the last command answered."""
    day = next(d for d in range(1, 8) if datetime(2026, month, d).weekday() == 1)
    clock.now = toronto(month, day, 10)
    case_id = api.receive()["id"]
    clock.now = toronto(month, day, 12)
    post(api, f"{api.cases}/{case_id}/interactions", {
        "channel": "email", "direction": "outbound", "summary": "Replied",
        "effort_minutes": 30})
    clock.now = toronto(month, day + 1, 10)
    post(api, f"{api.cases}/{case_id}/resolve", {"resolution": "Filled",
                                                  "at_first_contact": False})
    return post(api, f"{api.cases}/{case_id}/survey", {"csat": 4, "nps": 9, "ces": 3,
                                                        "comment": ""})


class TestJson:
    def test_the_scorecard_includes_a_command_at_the_position_it_answered(
            self, api: Any, clock: Any) -> None:
        # Given an email to public works answered after 2 business hours and resolved after
        # 8 (Tue 10:00-16:30 = 6.5 h, Wed 08:30-10:00 = 1.5 h), with 30 minutes of effort
        position = email_resolved_in(api, clock, month=5)
        # when its manager asks for May at the position the survey answered
        response = get(api, department=HOME, period="2026-05", min_position=position)
        # then every figure counts it
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/json")
        assert int(response.headers[POSITION]) >= position
        card = response.json()
        assert (card["department"], card["department_name"], card["period"]) == (
            HOME, "Public Works", {"label": "2026-05", "first_day": "2026-05-01",
                                   "last_day": "2026-05-31"})
        assert card["cases"] == 1 and card["by_channel"]["email"] == 1
        assert card["by_purpose"]["tangible_service"] == 1
        assert card["standards"] == [{"code": "email-acknowledge", "met_on_time": 1,
                                      "met_late": 0, "breached": 0, "open": 0,
                                      "share_met": {"value": "100.0", "count": 1,
                                                    "rated": True, "reason": None},
                                      "not_measured": 0}]
        assert card["time_to_acknowledge"] == {
            "cases": 1, "median_seconds": 7200, "p90_seconds": 7200,
            "median_hours": "2.00", "p90_hours": "2.00", "rated": True, "reason": None}
        assert card["time_to_resolve"]["median_hours"] == "8.00"
        assert card["first_contact"] == {"resolved": 1, "at_first_contact": 0, "rate": {
            "value": "0.0", "count": 1, "rated": True, "reason": None}}
        # 30 min at $55/h = $27.50
        assert card["effort"] == {"interactions": 1, "minutes": 30, "hours": "0.50",
                                  "hourly_rate": "55.00", "cost": "27.50"}
        assert card["satisfaction"]["nps"]["value"] == "100.0"  # one promoter, no detractors
        assert card["satisfaction"]["ces_average"]["value"] == "3.00"
        assert card["transfers_made"]["per_case_handled"]["value"] == "0.00"
        assert card["complaints"]["escalations"] == {
            "department_manager": 0, "director": 0, "cao": 0, "ombudsman": 0}

    @pytest.mark.parametrize(("period", "first", "last"), [
        ("2026-Q3", "2026-07-01", "2026-09-30"), ("2026", "2026-01-01", "2026-12-31"),
        ("2026-02", "2026-02-01", "2026-02-28")])
    def test_a_period_is_a_month_a_quarter_or_a_year(self, api: Any, period: str, first: str,
                                                     last: str) -> None:
        response = get(api, department=HOME, period=period)
        assert response.status_code == 200, response.text
        assert response.json()["period"] == {"label": period, "first_day": first,
                                             "last_day": last}


class TestCsv:
    def test_csv_is_one_long_table_of_section_metric_dimension_value(
            self, api: Any, clock: Any) -> None:
        position = email_resolved_in(api, clock, month=6)
        response = get(api, department=HOME, period="2026-06", format="csv",
                       min_position=position)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "text/csv; charset=utf-8"  # one charset
        assert response.headers["content-disposition"] == (
            'attachment; filename="scorecard-public-works-2026-06.csv"')
        table = list(csv.reader(io.StringIO(response.text)))
        assert table[0] == ["section", "metric", "dimension", "value", "count", "note"]
        found = {(section, metric, dimension): value for section, metric, dimension, value, *_
                 in table[1:]}
        counts = {(section, metric, dimension): count
                  for section, metric, dimension, _, count, _ in table[1:]}
        assert counts[("standards", "share_met_percent", "email-acknowledge")] == "1"
        assert counts[("volumes", "cases", "")] == ""  # a count has no sample of its own
        assert len(found) == len(table) - 1  # each figure once
        assert found[("scorecard", "period", "")] == "2026-06"
        assert found[("volumes", "cases", "")] == "1"
        assert found[("volumes", "cases_by_channel", "email")] == "1"
        assert found[("volumes", "cases_by_channel", "telephone")] == "0"
        assert found[("standards", "share_met_percent", "email-acknowledge")] == "100.0"
        assert found[("time_to_resolve", "median_business_seconds", "")] == "28800"
        assert found[("complaints", "escalations", "director")] == "0"
        assert found[("effort", "cost_dollars", "")] == "27.50"
        assert found[("satisfaction", "csat_average", "")] == "4.00"

    def test_a_figure_with_no_value_is_an_empty_cell(self, api: Any) -> None:
        response = get(api, department=HOME, period="2025-01", format="csv")
        assert response.status_code == 200, response.text
        rows = {(s, m, d): v for s, m, d, v, *_ in csv.reader(io.StringIO(response.text))}
        assert rows[("volumes", "cases", "")] == "0"
        assert rows[("satisfaction", "nps", "")] == ""
        assert rows[("time_to_acknowledge", "median_business_hours", "")] == ""


class TestTownServiceAndBusinessUnit:
    def test_the_town_a_service_and_a_business_unit_each_have_a_scorecard(
            self, api: Any, clock: Any) -> None:
        # Given one email in August about road repair (public-works-roads-01, business unit
        # public-works-roads), 30 minutes of effort at public works' $55/h
        position = email_resolved_in(api, clock, month=8)
        scopes = {"town": {}, "service": {"service": ROAD_REPAIR},
                  "unit": {"business_unit": "public-works-roads"},
                  "other service": {"service": "public-works-transit-01"}}
        # when a director asks for the Town's, the service's and the business unit's August
        cards = {name: get(api, "director", period="2026-08", min_position=position,
                           **params).json() for name, params in scopes.items()}
        # then each counts the case (another service's does not), with effort and cost
        # (30 min x $55 / 60 = $27.50) and its survey answer (CSAT 4)
        for name in ("town", "service", "unit"):
            card = cards[name]
            assert (card["cases"], card["effort"]["cost"],
                    card["satisfaction"]["csat_average"]["value"]) == (1, "27.50", "4.00"), name
        assert (cards["town"]["department"], cards["town"]["department_name"],
                cards["town"]["effort"]["hourly_rate"]) == (None, "Town of Cobourg", None)
        assert cards["service"]["service"] == ROAD_REPAIR
        assert cards["unit"]["business_unit"] == "public-works-roads"
        assert cards["other service"]["cases"] == 0


class TestMinimumSample:
    @pytest.fixture
    def minimum_of_ten(self, api: Any) -> Iterator[None]:
        """The server as CIVICDESK_MIN_SAMPLE=10 (the default) configures it."""
        services = served(api.client.app).services
        before = services.settings
        services.settings = dataclasses.replace(before, min_sample=10)
        yield
        services.settings = before

    def test_a_share_from_too_few_results_is_published_as_too_few_to_rate(
            self, api: Any, clock: Any, minimum_of_ten: None) -> None:
        # Given one email in July, acknowledged on time and resolved (not at first contact),
        # with one survey answer
        position = email_resolved_in(api, clock, month=7)
        # when the scorecard is read with a minimum sample of 10, as JSON and as CSV
        card = get(api, department=HOME, period="2026-07", min_position=position).json()
        table = list(csv.reader(io.StringIO(get(
            api, department=HOME, period="2026-07", format="csv").text)))
        # then 1 of 1 met is not "100.0": no value, its count, not rated, and why
        assert card["min_sample"] == 10
        assert card["standards"][0]["share_met"] == {
            "value": None, "count": 1, "rated": False,
            "reason": "too few to rate: 1 of the 10 needed"}
        assert card["first_contact"]["rate"]["value"] is None
        assert card["time_to_resolve"] == {
            "cases": 1, "median_seconds": None, "p90_seconds": None, "median_hours": None,
            "p90_hours": None, "rated": False, "reason": "too few to rate: 1 of the 10 needed"}
        assert card["satisfaction"]["nps"]["rated"] is False
        rows = {(s, m, d): (v, n, note) for s, m, d, v, n, note in table[1:]}
        assert rows[("standards", "share_met_percent", "email-acknowledge")] == (
            "", "1", "too few to rate: 1 of the 10 needed")
        assert rows[("first_contact", "rate_percent", "")] == (
            "", "1", "too few to rate: 1 of the 10 needed")


class TestWhoSeesWhat:
    @pytest.mark.parametrize("role", ["csr", "director", "clerk", "auditor", "admin"])
    def test_roles_beyond_the_departments_see_every_scorecard(self, api: Any,
                                                             role: str) -> None:
        assert get(api, role, department=AWAY, period="2026").status_code == 200

    @pytest.mark.parametrize("role", ["staff", "manager"])
    def test_staff_and_managers_see_only_their_departments(self, api: Any, role: str) -> None:
        assert get(api, role, department=HOME, period="2026").status_code == 200
        api.problem(get(api, role, department=AWAY, period="2026"), 403)
        assert get(api, role, [AWAY], department=AWAY, period="2026").status_code == 200

    def test_the_scorecard_requires_a_bearer_token(self, api: Any) -> None:
        response = api.client.get(SCORECARDS, params={"department": HOME, "period": "2026"})
        api.problem(response, 401)


class TestErrors:
    @pytest.mark.parametrize(("params", "status", "field"), [
        ({"department": HOME, "period": "2026-13"}, 422, "period"),
        ({"department": HOME, "period": "2026-Q5"}, 422, "period"),
        ({"department": HOME, "period": "Q3-2026"}, 422, "period"),
        ({"department": HOME}, 400, "period"),
        ({"department": HOME, "period": "2026", "channel": "pigeon"}, 422, "channel"),
        ({"department": HOME, "period": "2026", "format": "xml"}, 400, "format"),
        ({"department": HOME, "period": "2026", "min_position": -1}, 400, "min_position"),
        ({"department": HOME, "period": "2026", "min_position": 10**9}, 422, "min_position"),
    ])
    def test_bad_parameters_are_problems_naming_the_parameter(
            self, api: Any, params: dict[str, Any], status: int, field: str) -> None:
        api.problem(get(api, **params), status, field=field)

    def test_a_manager_asking_for_the_town_wide_scorecard_is_forbidden(self, api: Any) -> None:
        api.problem(get(api, "manager", period="2026"), 403)

    @pytest.mark.parametrize(("params", "field"), [
        ({"service": "no-such-service"}, "service"),
        ({"business_unit": "no-such-unit"}, "business_unit")])
    def test_an_unknown_service_or_business_unit_is_a_problem_naming_it(
            self, api: Any, params: dict[str, str], field: str) -> None:
        api.problem(get(api, "director", period="2026", **params), 422, field=field)

    def test_an_unknown_department_is_a_problem_naming_it(self, api: Any) -> None:
        api.problem(get(api, "director", department="no-such-dept", period="2026"), 422,
                    field="department")

    def test_the_operation_is_documented(self, api: Any) -> None:
        schema = api.client.get("/schema/openapi.json").json()
        operation = schema["paths"][SCORECARDS]["get"]
        assert operation["operationId"] == "scorecard"
        assert {"200", "400", "401", "403", "422", "503"} <= set(operation["responses"])
        assert {"application/json", "text/csv"} <= set(operation["responses"]["200"]["content"])
