"""`GET /api/v1/reports/accountability` over HTTP: formats, who may ask, and bad requests."""

from __future__ import annotations

import base64
import csv
import io
import re
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.api.conftest import DeskClient

REPORT = "/api/v1/reports/accountability"
MARCH = {"period": "2026-03"}  # the clock fixture's month
SECRETS = ("Ada Lovelace", "ada@example.org", "Deep pothole in front of 55 King St W",
           "Pothole on King St W", "Only Ada knows", "director-1", "csr-1")
CSV_TABLES = {"summary.csv", "standards.csv", "standards_by_department.csv",
              "standards_by_channel.csv",
              "standards_by_month.csv", "breaches.csv", "late_entries.csv", "channels.csv",
              "departments.csv", "complaints.csv", "complaint_levels.csv", "goals.csv",
              "goal_trend.csv"}


def now_utc() -> str:
    return datetime.now(UTC).isoformat()


@pytest.fixture
def desk_with_a_complaint(api: DeskClient) -> str:
    """A March case with personal details, a complaint escalated and debriefed, a survey."""
    case_id = api.receive()["id"]
    api.run(case_id, ("classify", {"classification": "complaint", "reason": "Only Ada knows"}),
            ("escalate", {"to_level": "department_manager", "reason": "Only Ada knows",
                          "owner": "manager-1"}),
            ("resolve", {"resolution": "Only Ada knows"}),
            ("debrief", {"cause": "Work order lost", "actions": "Work orders now tracked",
                         "edi_findings": "None", "accessibility_findings": "Ramp needed"}),
            ("survey", {"csat": 4, "nps": 9, "ces": 2, "comment": "Only Ada knows"}))
    return case_id


def get(api: DeskClient, role: str = "clerk", **params: Any) -> Any:
    return api.client.get(REPORT, params=params, headers=api.headers(role))


class TestFormats:
    def test_json_is_the_report_with_its_chain_anchor(
            self, api: DeskClient, desk_with_a_complaint: str) -> None:
        # When a clerk asks for March as JSON
        response = get(api, **MARCH)
        # Then the report names its period, its figures and the head it was computed from
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/json")
        report = response.json()
        assert report["period"] == {"label": "2026-03", "first_day": "2026-03-01",
                                    "last_day": "2026-03-31"}
        assert report["cases"] >= 1
        assert report["complaint_levels"][1] == {"level": "department_manager",
                                                 "complaints": report["complaint_levels"][1][
                                                     "complaints"]}
        debriefs = [c["debrief"] for c in report["complaints"] if c["debrief"]]
        assert {"cause": "Work order lost", "actions": "Work orders now tracked",
                "edi_findings": "None", "accessibility_findings": "Ramp needed"}.items() <= \
            debriefs[-1].items()
        assert response.headers["x-civicdesk-position"] == str(
            report["chain"]["head_position"])
        assert re.fullmatch(r"[0-9a-f]{64}", report["chain"]["head_hash"])

    def test_csv_is_a_zip_with_one_table_per_file(
            self, api: DeskClient, desk_with_a_complaint: str) -> None:
        response = get(api, format="csv", **MARCH)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/zip"
        assert response.headers["content-disposition"].startswith("attachment;")
        with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
            assert set(archive.namelist()) == CSV_TABLES
            summary = dict(csv.reader(io.StringIO(archive.read("summary.csv").decode())))
            complaints = list(csv.DictReader(io.StringIO(archive.read("complaints.csv")
                                                         .decode())))
        assert summary["period"] == "2026-03"
        assert summary["chain_head_hash"] == response.headers["x-civicdesk-chain-hash"]
        assert any(row["debrief_cause"] == "Work order lost" for row in complaints)

    def test_html_is_a_self_contained_page_with_three_charts(
            self, api: DeskClient, desk_with_a_complaint: str) -> None:
        response = get(api, format="html", **MARCH)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "text/html; charset=utf-8"  # one charset
        page = response.text
        assert "<h1>Accountability report</h1>" in page
        assert page.count('<img src="data:image/svg+xml;base64,') == 3
        assert not re.search(r'(src|href)="(https?:)?//', page), "the page fetches nothing"
        assert "@media print" in page

    def test_the_same_request_gives_the_same_bytes(
            self, api: DeskClient, desk_with_a_complaint: str) -> None:
        as_of = now_utc()
        for kind in ("json", "csv", "html"):
            first = get(api, format=kind, as_of=as_of, **MARCH)
            api.receive()  # recorded after as_of
            again = get(api, format=kind, as_of=as_of, **MARCH)
            assert first.status_code == again.status_code == 200
            assert first.content == again.content, kind

    def test_producing_a_report_records_nothing(
            self, api: DeskClient, desk_with_a_complaint: str) -> None:
        with api.nothing_recorded(desk_with_a_complaint):
            assert get(api, format="csv", **MARCH).status_code == 200

    def test_no_personal_information_in_any_format(
            self, api: DeskClient, desk_with_a_complaint: str) -> None:
        bodies = {kind: get(api, format=kind, **MARCH) for kind in ("json", "csv", "html")}
        with zipfile.ZipFile(io.BytesIO(bodies["csv"].content)) as archive:
            csv_text = "".join(archive.read(name).decode() for name in archive.namelist())
        html = bodies["html"].text
        charts = "".join(base64.b64decode(data).decode() for data in
                         re.findall(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", html))
        published = {"json": bodies["json"].text, "csv": csv_text, "html": html + charts}
        for kind, text in published.items():
            leaked = [secret for secret in SECRETS if secret.lower() in text.lower()]
            assert not leaked, f"{kind} leaks {leaked}"


class TestAccess:
    @pytest.mark.parametrize("role", ["clerk", "auditor", "director", "admin"])
    def test_clerks_auditors_directors_and_administrators_may_report(
            self, api: DeskClient, role: str) -> None:
        assert get(api, role, **MARCH).status_code == 200

    @pytest.mark.parametrize("role", ["csr", "staff", "manager"])
    def test_other_roles_are_forbidden(self, api: DeskClient, role: str) -> None:
        api.problem(get(api, role, **MARCH), 403, "forbidden")

    def test_without_a_token_it_is_unauthorized(self, api: DeskClient) -> None:
        response = api.client.get(REPORT, params=MARCH)
        api.problem(response, 401)
        assert response.headers["www-authenticate"].startswith("Bearer")


class TestBadRequests:
    @pytest.mark.parametrize(("params", "field"), [
        ({"period": "2026-Q5"}, "period"),
        ({"period": "March"}, "period"),
        ({}, "period"),
        ({"from": "2026-03-01"}, "to"),
        ({"from": "2026-03-01", "to": "2026-02-01"}, "to"),
        ({"from": "2026-02-30", "to": "2026-03-01"}, "from"),
        ({"period": "2026-03", "from": "2026-03-01", "to": "2026-03-02"}, "period"),
        ({"period": "2026-03", "as_of": "yesterday"}, "as_of"),
        ({"period": "2026-03", "as_of": "2026-03-04T10:00:00"}, "as_of"),
        ({"period": "2026-03", "department": "no-such-department"}, "department"),
    ])
    def test_a_bad_parameter_is_named_in_a_422_problem(
            self, api: DeskClient, params: dict[str, str], field: str) -> None:
        api.problem(get(api, **params), 422, "invalid-value", field=field)

    def test_as_of_in_the_future_is_refused(self, api: DeskClient) -> None:
        future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
        api.problem(get(api, as_of=future, **MARCH), 422, "invalid-value", field="as_of")

    def test_an_unknown_format_is_named_in_a_400_problem(self, api: DeskClient) -> None:
        api.problem(get(api, format="pdf", **MARCH), 400, "validation", field="format")
