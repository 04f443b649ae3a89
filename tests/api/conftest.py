"""API fixtures: the Litestar app on each database, signed requests per role, ledger snapshots.

Building a desk (seeding Appendix IV and the standards) and a Litestar app (about 230 route
handlers) costs about half a second, so each test module shares one of each per database and
every test works on cases of its own. `settings` and `desk` therefore override the root
fixtures at module scope; each test still gets the root's fresh `clock`, which the `api`
fixture points the shared desk at.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import pytest
from httpx import Response
from litestar import Litestar
from litestar.testing import TestClient

from api.app import create_app
from api.auth import issue_token
from application.desk import ServiceDesk
from infrastructure.bootstrap import build_desk, seed_catalogue
from infrastructure.settings import Settings
from tests.conftest import DATABASES, fresh_database

CASES = "/api/v1/cases"
HOME = "public-works"  # the department of the staff and managers the tests sign in as
AWAY = "planning"
ROAD_REPAIR = "public-works-roads-01"
PROBLEM_JSON = "application/problem+json"

# Every command route, the steps that make it applicable, and a body it accepts.
Step = tuple[str, dict[str, Any]]
COMPLAINT: Step = ("classify", {"classification": "complaint", "reason": "Third call about it"})
ESCALATED: Step = ("escalate", {"to_level": "department_manager", "reason": "Unhappy",
                                "owner": "manager-1"})
RESOLVED: Step = ("resolve", {"resolution": "Pothole filled"})
WAITING: Step = ("wait", {"reason": "Asked for the exact address"})
COMMAND_ROUTES: dict[str, tuple[list[Step], dict[str, Any]]] = {
    "interactions": ([], {"channel": "telephone", "direction": "inbound",
                          "summary": "Customer called for an update", "effort_minutes": 6,
                          "wait_seconds": 40}),
    "assign": ([], {"assignee": "staff-7"}),
    "transfer": ([], {"to_department": "community", "warm": True,
                      "handover_note": "Park path, not a road", "customer_informed": True}),
    "acknowledge": ([], {"message": "We have your request"}),
    "interim-response": ([], {"explanation": "Waiting on a contractor quote"}),
    "wait": ([], {"reason": "Asked for a photo"}),
    "customer-responded": ([WAITING], {"summary": "Photo received"}),
    "resolve": ([], {"resolution": "Pothole filled", "at_first_contact": False}),
    "reopen": ([RESOLVED], {"reason": "It reopened after the rain"}),
    "close": ([RESOLVED], {}),
    "classify": ([], {"classification": "complaint", "reason": "Third call"}),
    "escalate": ([COMPLAINT], {"to_level": "department_manager", "reason": "Unhappy",
                               "owner": "manager-1"}),
    "debrief": ([COMPLAINT, ESCALATED, RESOLVED],
                {"cause": "Work order lost", "actions": "Work orders now tracked",
                 "edi_findings": "None", "accessibility_findings": "None"}),
    "accommodations": ([], {"action": "request", "need": "Large-print letters"}),
    "survey": ([RESOLVED], {"csat": 4, "nps": 8, "ces": 2, "comment": "Quick"}),
}


def new_case_body(**overrides: Any) -> dict[str, Any]:
    """A valid new-case body; an override of None leaves that field out."""
    body: dict[str, Any] = {"channel": "email", "purpose": "tangible_service",
                            "subject": "Pothole on King St W", "service_code": ROAD_REPAIR,
                            "description": "Deep pothole in front of 55 King St W",
                            "contact": {"name": "Ada Lovelace", "email": "ada@example.org"}}
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


class DeskClient:
    """The desk as an HTTP client sees it: requests signed as a role, and what is on record."""

    cases = CASES
    routes = COMMAND_ROUTES
    new_case_body = staticmethod(new_case_body)

    def __init__(self, client: TestClient[Litestar], settings: Settings,
                 desk: ServiceDesk) -> None:
        self.client = client
        self.settings = settings
        self.desk = desk

    def headers(self, role: str = "csr", departments: list[str] | None = None,
                sub: str | None = None, **extra: str) -> dict[str, str]:
        if departments is None:
            departments = [HOME] if role in {"staff", "manager"} else []
        token = issue_token(self.settings, sub=sub or f"{role}-1", role=role,
                            departments=departments)
        return {"Authorization": f"Bearer {token}", **extra}

    def receive(self, role: str = "csr", **overrides: Any) -> dict[str, Any]:
        response = self.client.post(CASES, json=new_case_body(**overrides),
                                    headers=self.headers(role))
        assert response.status_code == 201, response.text
        case: dict[str, Any] = response.json()
        return case

    def post(self, case_id: str, route: str, body: Any = None, role: str = "director",
             **headers: str) -> Response:
        return self.client.post(f"{CASES}/{case_id}/{route}", json={} if body is None else body,
                                headers=self.headers(role, **headers))

    def run(self, case_id: str, *steps: Step, role: str = "director") -> dict[str, Any]:
        """Runs commands that must succeed; returns the case after the last."""
        case: dict[str, Any] = {}
        for route, body in steps:
            response = self.post(case_id, route, body, role=role)
            assert response.status_code == 200, (route, response.text)
            case = response.json()
        return case

    def prepared(self, route: str, service_code: str = ROAD_REPAIR) -> tuple[str, dict[str, Any]]:
        """A new case on which `route` applies, and a body it accepts."""
        steps, body = COMMAND_ROUTES[route]
        case_id = self.receive(service_code=service_code)["id"]
        self.run(case_id, *steps)
        return case_id, dict(body)

    def case(self, case_id: str) -> dict[str, Any]:
        response = self.client.get(f"{CASES}/{case_id}", headers=self.headers("auditor"))
        assert response.status_code == 200, response.text
        case: dict[str, Any] = response.json()
        return case

    def history(self, case_id: str, role: str = "auditor", **params: Any) -> dict[str, Any]:
        response = self.client.get(f"{CASES}/{case_id}/history", params=params,
                                   headers=self.headers(role))
        assert response.status_code == 200, response.text
        history: dict[str, Any] = response.json()
        return history

    def ledger(self, case_id: str | None = None) -> tuple[int, list[Any]]:
        """The head of the log, and every stored event of the case (the source of its version
        and of its history)."""
        events = list(self.desk.events.get(UUID(case_id))) if case_id else []
        return self.desk.log_position(), events

    @contextmanager
    def nothing_recorded(self, case_id: str | None = None) -> Iterator[None]:
        """Asserts the block records nothing anywhere: the log does not move, and the case keeps
        its version and its history event for event."""
        before = self.ledger(case_id)
        yield
        after = self.ledger(case_id)
        assert after[0] == before[0], "the event log moved"
        assert [e.originator_version for e in after[1]] == [
            e.originator_version for e in before[1]], "the case's version changed"
        assert after[1] == before[1], "the case's history changed"

    @staticmethod
    def problem(response: Response, status: int, kind: str | None = None,
                field: str | None = None) -> dict[str, Any]:
        """An RFC 9457 problem: its media type, members, and the field at fault if named."""
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith(PROBLEM_JSON)
        problem: dict[str, Any] = response.json()
        assert problem["status"] == status
        assert problem["type"].startswith("https://")
        assert problem["title"] and problem["detail"]
        if kind is not None:
            assert problem["type"].endswith(f"/{kind}"), problem["type"]
        if field is not None:
            assert field in [p["name"] for p in problem.get("invalid_params", [])], problem
        return problem


@pytest.fixture(scope="module", params=DATABASES)
def settings(request: pytest.FixtureRequest,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """A fresh, empty database of each kind for the module (the case routes need no
    projection runners)."""
    with fresh_database(request.param, tmp_path_factory.mktemp("api"),
                        run_projections=False) as settings:
        yield settings


@pytest.fixture(scope="module")
def desk(settings: Settings) -> Iterator[ServiceDesk]:
    """The module's desk, with the Appendix IV catalogue and the standards seeded."""
    desk = build_desk(settings)
    seed_catalogue(desk)
    yield desk
    desk.close()


@pytest.fixture(scope="module")
def app(settings: Settings, desk: ServiceDesk) -> Litestar:
    return create_app(settings, desk=desk, clock=desk.clock)


@pytest.fixture(scope="module")
def client(app: Litestar) -> Iterator[TestClient[Litestar]]:
    with TestClient(app) as client:
        yield client


@pytest.fixture
def api(client: TestClient[Litestar], settings: Settings, desk: ServiceDesk,
        clock: Any) -> DeskClient:
    """The module's desk seen through HTTP, on this test's fresh clock."""
    desk.clock = clock
    return DeskClient(client, settings, desk)
