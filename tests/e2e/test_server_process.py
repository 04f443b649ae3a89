"""`civicdesk serve` as a real process: a case driven from receipt to closure over HTTP.

The server is started exactly as an operator starts it (`python -m api.cli serve --port N`),
configured only by `CIVICDESK_*` environment variables, on SQLite and (when configured) on
PostgreSQL in a schema of its own. Tokens come from `civicdesk token` with the same secret.
Waiting for the server polls /ready in a loop bounded by a time limit; nothing sleeps to
wait for a deadline.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from infrastructure.settings import Settings
from tests.conftest import POSTGRES_URL, fresh_postgres_schema
from tests.e2e.civicdesk_server import ServerProcess, serving

pytestmark = pytest.mark.e2e

REFERENCE = re.compile(r"^SC-\d{4}-\d{6}$")


@pytest.fixture
def postgres_schema() -> Iterator[str]:
    """A fresh schema for one server, dropped afterwards."""
    with fresh_postgres_schema("e2e") as schema:
        yield schema


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServerProcess]:
    settings = Settings(data_dir=tmp_path / "data")
    if request.param == "postgres":
        schema = request.getfixturevalue("postgres_schema")  # skips unless configured
        settings = Settings(data_dir=settings.data_dir, database_url=POSTGRES_URL,
                            database_schema=schema)
    with serving(settings, tmp_path / "server.log", CIVICDESK_LOG_LEVEL="INFO") as server:
        yield server


COMMAND_EVENTS = {"Case.Received", "Case.InteractionLogged", "Case.Assigned",
                  "Case.Acknowledged", "Case.Transferred", "Case.Resolved", "Case.Closed",
                  "Case.SurveyAnswered"}


def as_of_record(view: dict[str, Any]) -> dict[str, Any]:
    """A case view without what moves with the clock alone (time left on each target)."""
    targets = [{k: v for k, v in t.items() if k != "remaining_seconds"}
               for t in view.get("targets", [])]
    return {**view, "targets": targets}


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


class TestServerProcess:
    def test_a_case_goes_from_receipt_to_closure_over_http(self,
                                                            server: ServerProcess) -> None:
        csr = server.token("csr", "ana")
        parks_manager = server.token("manager", "raj", "community")
        auditor = server.token("auditor", "ines")
        with httpx.Client(base_url=server.base_url, timeout=30.0) as http:
            case = ok(http.post("/api/v1/cases", headers=csr, json={
                "channel": "email", "purpose": "tangible_service",
                "service_code": "public-works-roads-01",
                "subject": "Fallen tree branch on the path",
                "description": "A large branch blocks the path behind 55 King St W",
                "contact": {"name": "Sam Lee", "email": "sam@example.org"}}), 201)
            assert REFERENCE.match(case["reference"]), case["reference"]
            assert (case["status"], case["department"]) == ("open", "public-works")
            assert case["received_at"].endswith("Z")
            commands = f"/api/v1/cases/{case['id']}"

            case = ok(http.post(f"{commands}/interactions", headers=csr, json={
                "channel": "telephone", "direction": "inbound", "effort_minutes": 6,
                "wait_seconds": 40, "summary": "Customer called to add a photo"}))
            case = ok(http.post(f"{commands}/assign", headers=csr,
                                json={"assignee": "staff-7"}))
            case = ok(http.post(f"{commands}/acknowledge", headers=csr, json={
                "expected_version": case["version"], "message": "We have your request"}))
            assert case["acknowledged_at"] is not None
            acknowledged = case

            stale = http.post(f"{commands}/transfer", headers=csr, json={
                "expected_version": case["version"] - 1, "to_department": "community",
                "warm": True, "handover_note": "Parks path, not a road"})
            assert stale.status_code == 409, stale.text
            assert stale.headers["content-type"].startswith("application/problem+json")
            assert stale.json()["current_version"] == case["version"]

            case = ok(http.post(f"{commands}/transfer", headers=csr, json={
                "expected_version": case["version"], "to_department": "community",
                "warm": True, "handover_note": "Parks path, not a road",
                "customer_informed": True}))
            assert (case["department"], case["transfers"]) == ("community", 1)

            case = ok(http.post(f"{commands}/resolve", headers=parks_manager,
                                json={"resolution": "Branch removed and chipped"}))
            closing = {"Idempotency-Key": f"close-{case['id']}", **parks_manager}
            case = ok(http.post(f"{commands}/close", headers=closing, json={}))
            assert case["status"] == "closed"
            case = ok(http.post(f"{commands}/survey", headers=csr,
                                json={"csat": 5, "nps": 9, "ces": 2, "comment": "Quick"}))

            history = ok(http.get(f"{commands}/history", headers=auditor))
            events = history["events"]
            assert [e["version"] for e in events] == list(range(1, case["version"] + 1))
            commanded = [(e["type"], e["actor_id"]) for e in events
                         if e["type"] in COMMAND_EVENTS]
            assert commanded == [
                ("Case.Received", "ana"), ("Case.InteractionLogged", "ana"),
                ("Case.Assigned", "ana"), ("Case.Acknowledged", "ana"),
                ("Case.Transferred", "ana"), ("Case.Resolved", "raj"),
                ("Case.Closed", "raj"), ("Case.SurveyAnswered", "ana")]
            assert as_of_record(history["state"]) == as_of_record(case)
            then = ok(http.get(f"{commands}/history", headers=auditor,
                               params={"version": acknowledged["version"]}))
            assert as_of_record(then["state"]) == as_of_record(acknowledged)

            ready = ok(http.get("/ready"))
            assert ready["status"] == "ok"
            assert ready["database"] == ("postgresql" if "CIVICDESK_DATABASE_URL" in server.env
                                         else "sqlite")

        server.stop()

    def test_a_restarted_server_keeps_the_record_and_the_idempotent_answers(
            self, server: ServerProcess) -> None:
        csr = server.token("csr", "ana")
        with httpx.Client(base_url=server.base_url, timeout=30.0) as http:
            receipt = {"Idempotency-Key": "letter-2026-0042", **csr}
            first = http.post("/api/v1/cases", headers=receipt, json={
                "channel": "written", "purpose": "information", "department": "planning",
                "subject": "Question about a fence permit"})
            case = ok(first, 201)
        server.stop()

        server.start()
        with httpx.Client(base_url=server.base_url, timeout=30.0) as http:
            again = ok(http.get(f"/api/v1/cases/{case['id']}", headers=csr))
            # (the receipt's answer also names the customers its contact matched and the
            # likely duplicates; the case view is the rest of it)
            assert as_of_record(again) == as_of_record(
                {k: v for k, v in case.items()
                 if k not in {"customer_matches", "duplicate_suggestions"}})
            retried = http.post("/api/v1/cases", headers=receipt, json={
                "channel": "written", "purpose": "information", "department": "planning",
                "subject": "Question about a fence permit"})
            assert as_of_record(ok(retried, 201)) == as_of_record(case)
            assert retried.headers.get("idempotent-replayed") == "true"
        server.stop()

    def test_the_server_runs_its_scheduler_and_stops_without_an_error(
            self, server: ServerProcess) -> None:
        with httpx.Client(base_url=server.base_url, timeout=30.0) as http:
            assert ok(http.get("/ready"))["status"] == "ok"
        server.stop()
        assert "Traceback" not in server.log(), server.log()


def test_a_running_server_serves_its_metrics_to_a_scraper_without_a_token(
        server: ServerProcess) -> None:
    # Given a server that received a case
    csr = server.token("csr", "ana")
    with httpx.Client(base_url=server.base_url, timeout=30.0) as http:
        received = http.post("/api/v1/cases", headers=csr, json={
            "channel": "email", "purpose": "information", "department": "planning",
            "subject": "Fence permit"})
        assert received.status_code == 201, received.text
        # When Prometheus scrapes it, asking for OpenMetrics
        scraped = http.get("/metrics",
                           headers={"Accept": "application/openmetrics-text; version=1.0.0"})
    server.stop()
    # Then it answers in that format, counting the request under its route template, and
    # knows the log and the read models
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("application/openmetrics-text")
    text = scraped.text
    assert 'civicdesk_http_requests_total{method="POST",route="/api/v1/cases",status="201"} ' \
        '1.0' in text
    assert re.search(r"^civicdesk_events_appended_total \d+", text, re.MULTILINE)
    assert 'civicdesk_projection_failed{read_model="case_index"} 0.0' in text
    assert text.rstrip().endswith("# EOF")
