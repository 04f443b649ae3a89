"""Requests a client may send in odd shapes get a 4xx problem, never a 500 (api.strict_body)."""

from __future__ import annotations

import pytest

from api.strict_body import MAX_DEPTH
from tests.api.conftest import DeskClient


def nested(levels: int) -> bytes:
    """An acknowledgement whose message is an array nested `levels` arrays deep."""
    return b'{"message": ' + b"[" * levels + b"]" * levels + b"}"


@pytest.mark.parametrize("levels", [MAX_DEPTH, 1_000, 30_000])
def test_a_body_nested_deeper_than_the_limit_is_a_400_about_the_body(
        api: DeskClient, levels: int) -> None:
    # given a case; when a body nests its arrays `levels` deep (plus the object around them)
    case_id = api.receive()["id"]
    with api.nothing_recorded(case_id):
        response = api.client.post(f"{api.cases}/{case_id}/acknowledge", content=nested(levels),
                                   headers=api.headers("director",
                                                       **{"Content-Type": "application/json"}))
    # then a 400 says how deep a body may nest (msgspec used to raise RecursionError: a 500)
    problem = api.problem(response, 400, "validation", "body")
    assert f"more than {MAX_DEPTH}" in problem["detail"]


def test_a_body_within_the_depth_limit_is_judged_on_its_fields(api: DeskClient) -> None:
    case_id = api.receive()["id"]
    response = api.client.post(f"{api.cases}/{case_id}/acknowledge", content=nested(3),
                               headers=api.headers("director",
                                                   **{"Content-Type": "application/json"}))
    api.problem(response, 400, "validation", "message")  # an array is not a message


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded",
                                          "application/json; charset=latin-1"])
def test_a_json_route_refuses_a_body_that_is_not_said_to_be_json_with_415(
        api: DeskClient, content_type: str | None) -> None:
    # given a case; when a valid JSON body comes without a JSON Content-Type
    case_id = api.receive()["id"]
    headers = api.headers("director")
    if content_type:
        headers["Content-Type"] = content_type
    for path in [api.cases, f"{api.cases}/{case_id}/acknowledge"]:
        with api.nothing_recorded(case_id):
            response = api.client.post(path, content=b'{"message": "We have it"}',
                                       headers=headers)
        # then 415 Unsupported Media Type, as a problem, and nothing recorded
        problem = api.problem(response, 415)
        assert "application/json" in problem["detail"]


def test_a_json_body_with_a_utf8_charset_is_accepted(api: DeskClient) -> None:
    case_id = api.receive()["id"]
    headers = api.headers("director", **{"Content-Type": "application/json; charset=UTF-8"})
    response = api.client.post(f"{api.cases}/{case_id}/acknowledge",
                               content=b'{"message": "We have it"}', headers=headers)
    assert response.status_code == 200, response.text


FULLWIDTH_2026 = "\uff12\uff10\uff12\uff16"
ARABIC_INDIC_2026 = "\u0662\u0660\u0662\u0666"
PERSIAN_2026 = "\u06f2\u06f0\u06f2\u06f6"
FULLWIDTH_07 = "\uff10\uff17"


@pytest.mark.parametrize("period", [FULLWIDTH_2026, ARABIC_INDIC_2026, f"{FULLWIDTH_2026}-Q1",
                                    f"2026-{FULLWIDTH_07}", PERSIAN_2026])
@pytest.mark.parametrize("path", ["/api/v1/reports/accountability", "/api/v1/scorecards",
                                  "/api/v1/complaints"])
def test_a_period_written_in_other_digits_is_a_400_naming_it(
        api: DeskClient, path: str, period: str) -> None:
    # given digits Python's int() reads as 2026 but a period never has
    params = {"period": period, "department": "public-works"}
    # when a report, a scorecard or the complaint register is asked for that period
    response = api.client.get(path, params=params, headers=api.headers("admin"))
    # then a 400 names the period (the accountability report used to answer 500)
    api.problem(response, 400, "validation", "period")


def test_report_dates_written_in_other_digits_are_a_400_naming_them(api: DeskClient) -> None:
    response = api.client.get("/api/v1/reports/accountability", headers=api.headers("admin"),
                              params={"from": f"{FULLWIDTH_2026}-01-01", "to": "2026-01-31"})
    api.problem(response, 400, "validation", "from")
