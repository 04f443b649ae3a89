"""`/ready` and the read-model routes tell the truth about the read models: 503 until they have
caught up with the log as it was at start and while one has failed on an event, each answer
saying how far behind its read model is; `/health` stays liveness only.

A failure is made as the issue describes it, by a read model that cannot apply an event of the
log (the buggy case index of tests.integration.test_projection_failures), run beside the app
on the same database; the app then runs no read models itself (as an API process beside a
`civicdesk project` process), or runs the fixed ones.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from api.app import create_app
from api.dependencies import served
from application.desk import ServiceDesk
from domain.actors import Actor, Role
from infrastructure.bootstrap import build_desk, seed_catalogue
from infrastructure.settings import Settings
from projections.case_index import CASE_INDEX
from tests.api.conftest import DeskClient
from tests.api.test_read_your_writes import READ_MODEL_ROUTES, path_of
from tests.conftest import DATABASES, fresh_database, running_projections
from tests.integration.test_projection_failures import (
    BUGGY,
    NAME,
    SECONDS,
    eventually,
    poisoned_log,
)
from tests.receiving import receive


@pytest.fixture(params=DATABASES)
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    with fresh_database(request.param, tmp_path) as settings:
        yield settings


@pytest.fixture
def desk(settings: Settings) -> Iterator[ServiceDesk]:
    desk = build_desk(settings)
    seed_catalogue(desk)
    yield desk
    desk.close()


def client_of(settings: Settings, desk: ServiceDesk, **options: Any) -> TestClient[Any]:
    return TestClient(create_app(dataclasses.replace(settings, **options), desk=desk))


def ready(client: TestClient[Any]) -> tuple[int, dict[str, Any]]:
    response = client.get("/ready")
    return response.status_code, response.json()


def test_a_server_on_an_empty_database_is_ready_at_once(
        settings: Settings, desk: ServiceDesk) -> None:
    with client_of(settings, desk) as client:
        _, body = eventually(lambda: (r := ready(client))[0] == 200 and r, "ready")
        assert body["status"] == "ok"
        assert client.get("/health").json() == {"status": "ok"}


def test_an_api_process_is_not_ready_until_the_read_models_have_caught_up_with_the_log(
        settings: Settings, desk: ServiceDesk) -> None:
    # Given a log the read models have not followed yet, and an API process that runs none
    receive(desk)
    head = desk.log_position()
    with client_of(settings, desk, run_projections=False) as client:
        # Then it is not ready, saying which read model is where, and still alive
        status, body = ready(client)
        assert status == 503 and body["status"] == "not_ready", body
        assert f"read model case_index is at position 0, catching up to {head}" in \
            body["read_models"]
        assert client.get("/health").status_code == 200
        # When another process runs the read models up to the head
        with running_projections(settings, desk, *served(client.app).services.projections.specs
                                 .values()) as projections:
            projections.wait_for(head, timeout=SECONDS)
        # Then it is ready, and stays ready when the log moves on
        assert ready(client) == (200, {"status": "ok", "database": body["database"],
                                       "position": head, "detail": None, "read_models": [],
                                       "ledger": None})
        receive(desk)
        assert ready(client)[0] == 200


class TestAFailedReadModel:
    def test_makes_the_api_process_unready_and_its_routes_answer_503_naming_the_failure(
            self, settings: Settings, desk: ServiceDesk) -> None:
        # Given the case index failed on an event, in another process
        poison, _, _ = poisoned_log(desk)
        with running_projections(settings, desk, BUGGY) as projections:
            eventually(lambda: projections.failure(NAME), "a recorded failure")
        with client_of(settings, desk, run_projections=False) as client:
            idle = DeskClient(client, settings, desk)
            # When /ready, the case list and the operators' report are asked for
            status, body = ready(client)
            listed = client.get("/api/v1/cases", headers=idle.headers("director"))
            report = client.get("/api/v1/admin/projections", headers=idle.headers("admin"))
        # Then /ready is 503 naming the read model, the event and the error
        assert status == 503 and body["status"] == "not_ready"
        [reason] = [r for r in body["read_models"] if "failed" in r]
        assert f"read model case_index failed at position {poison}" in reason
        assert "ValueError: this version cannot index that subject" in reason
        # and the case list is a 503 problem saying so, to retry later
        problem = idle.problem(listed, 503, "read-model-failed")
        assert f"failed at position {poison}" in problem["detail"]
        assert listed.headers["Retry-After"] == "30"
        # and the report shows the failure
        [index] = [p for p in report.json()["projections"] if p["name"] == NAME]
        assert index["role"] == "failed" and index["failure"]["position"] == poison
        assert index["failure"]["topic"].endswith("Case.Received")
        assert index["failure"]["attempts"] >= 1 and index["skipped"] == []

    def test_is_ready_again_once_a_fixed_version_has_got_past_the_event(
            self, settings: Settings, desk: ServiceDesk) -> None:
        # Given the case index failed on an event
        poisoned_log(desk)
        with running_projections(settings, desk, BUGGY) as projections:
            eventually(lambda: projections.failure(NAME), "a recorded failure")
        # When a server of the fixed version starts, running the read models
        with client_of(settings, desk) as client:
            # Then it becomes ready, and the case list answers
            eventually(lambda: ready(client)[0] == 200, "ready")
            idle = DeskClient(client, settings, desk)
            listed = client.get("/api/v1/cases", headers=idle.headers("director"))
            assert listed.status_code == 200, listed.text


def test_a_read_model_answer_says_how_far_behind_its_read_model_is(
        settings: Settings, desk: ServiceDesk) -> None:
    # Given read models caught up with the log, then three more cases they have not applied
    receive(desk)
    with running_projections(settings, desk, CASE_INDEX) as projections:
        projections.wait_for(desk.log_position(), timeout=SECONDS)
        position = projections.position(NAME)
    for _ in range(3):
        receive(desk)
    with client_of(settings, desk, run_projections=False) as client:
        idle = DeskClient(client, settings, desk)
        # When the case list is asked for (its read model does not run here)
        listed = client.get("/api/v1/cases", headers=idle.headers("director"))
        # Then it answers, saying how many log positions it has not applied
        assert listed.status_code == 200, listed.text
        assert listed.headers["X-Civicdesk-Lag"] == str(desk.log_position() - position)
        assert int(listed.headers["X-Civicdesk-Lag"]) >= 3
        # and an answer that is not a read model's says nothing of lag
        assert "X-Civicdesk-Lag" not in client.get("/health").headers
    # When the read models run and catch up, Then the lag is 0
    with client_of(settings, desk) as client:
        idle = DeskClient(client, settings, desk)
        listed = client.get("/api/v1/cases", headers=idle.headers("director"),
                            params={"min_position": desk.log_position()})
        assert listed.headers["X-Civicdesk-Lag"] == "0"


def test_every_read_model_route_says_its_lag(settings: Settings, desk: ServiceDesk) -> None:
    # Given a server whose read models have caught up with a case
    # (and an article, for the routes about one)
    case = receive(desk).case
    article = desk.knowledge.write(Actor(id="csr-1", role=Role.CSR), texts={
        "en": {"title": "Potholes", "body": "We fill them within 5 days."}},
        service_codes=[], audience="internal").article
    with client_of(settings, desk) as client:
        http = DeskClient(client, settings, desk)
        head = desk.log_position()
        served(client.app).services.projections.wait_for(head, timeout=SECONDS)
        # When each read-model route is asked, Then each answer carries its lag: none
        for operation, (_, params) in READ_MODEL_ROUTES.items():
            path = path_of(operation, str(case.id), str(article.id))
            response = client.get(path, params=params, headers=http.headers("director"))
            assert response.status_code == 200, (operation, response.text)
            assert response.headers.get("X-Civicdesk-Lag") == "0", operation
