"""`/metrics`: Prometheus text, counted after real requests and events, labelled by route
template and read model only, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from prometheus_client.parser import text_string_to_metric_families

from api.app import create_app
from api.dependencies import served
from application.desk import ServiceDesk
from infrastructure.bootstrap import build_desk, seed_catalogue
from infrastructure.settings import Settings
from tests.api.conftest import DeskClient
from tests.conftest import DATABASES, MovableClock, fresh_database
from tests.integration.test_projection_failures import (
    BUGGY,
    NAME,
    SECONDS,
    eventually,
    poisoned_log,
)

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture(params=DATABASES)
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    with fresh_database(request.param, tmp_path) as settings:
        yield settings


@pytest.fixture
def desk(settings: Settings, clock: MovableClock) -> Iterator[ServiceDesk]:
    desk = build_desk(settings, clock=clock)
    seed_catalogue(desk)
    yield desk
    desk.close()


def scrape(client: TestClient[Any]) -> Samples:
    response = client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.text)
            for sample in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_requests_events_read_models_and_deadlines_are_counted(
        settings: Settings, desk: ServiceDesk, clock: MovableClock) -> None:
    settings = dataclasses.replace(settings, run_scheduler=True)
    with TestClient(create_app(settings, desk=desk, clock=clock)) as client:
        http = DeskClient(client, settings, desk)
        before = scrape(client)
        # When two cases are received over HTTP and one is read back twice, once unknown
        first = http.receive()
        http.receive()
        http.case(first["id"])
        http.case(first["id"])
        unknown = client.get("/api/v1/cases/00000000-0000-0000-0000-000000000000",
                             headers=http.headers("auditor"))
        assert unknown.status_code == 404
        head = desk.log_position()
        served(client.app).services.projections.wait_for(head, timeout=SECONDS)
        after = scrape(client)
    # Then each route is counted under its template, with its status, and timed
    case_route = "/api/v1/cases/{case_id}"
    assert value(after, "civicdesk_http_requests_total", method="POST",
                 route="/api/v1/cases", status="201") == 2
    assert value(after, "civicdesk_http_requests_total", method="GET", route=case_route,
                 status="200") == 2
    assert value(after, "civicdesk_http_requests_total", method="GET", route=case_route,
                 status="404") == 1
    assert value(after, "civicdesk_http_request_duration_seconds_count", method="GET",
                 route=case_route) == 3
    assert value(after, "civicdesk_http_request_duration_seconds_sum", method="GET",
                 route=case_route) > 0
    # and no label holds a raw path or an id
    assert not any(first["id"] in str(labels) or "0000-0000" in str(labels)
                   for _, labels in after)
    # and the events appended are the log's head, every read model caught up with it
    assert value(after, "civicdesk_events_appended_total") == head
    assert head > value(before, "civicdesk_events_appended_total")
    for name in served(client.app).services.projections.specs:
        assert value(after, "civicdesk_projection_position", read_model=name) == head
        assert value(after, "civicdesk_projection_lag_events", read_model=name) == 0
        assert value(after, "civicdesk_projection_failed", read_model=name) == 0
    # and each new email case has its acknowledgement pending, none overdue, none missed;
    # this process leads the scheduler
    assert value(after, "civicdesk_deadlines_pending") >= 2
    assert value(after, "civicdesk_deadlines_overdue") == 0
    assert value(after, "civicdesk_deadlines_missed_total") == 0
    assert value(after, "civicdesk_scheduler_leader") == 1


def test_a_failed_read_model_and_its_lag_show_in_the_metrics(
        settings: Settings, desk: ServiceDesk) -> None:
    # Given the case index failed on an event, in another process
    poison, head, _ = poisoned_log(desk)
    from tests.conftest import running_projections

    with running_projections(settings, desk, BUGGY) as projections:
        eventually(lambda: projections.failure(NAME), "a recorded failure")
    # When an API process that runs no read models is scraped
    with TestClient(create_app(dataclasses.replace(settings, run_projections=False),
                               desk=desk)) as client:
        samples = scrape(client)
    # Then the case index is failed, at the position before the event, that far behind
    assert value(samples, "civicdesk_projection_failed", read_model=NAME) == 1
    assert value(samples, "civicdesk_projection_position", read_model=NAME) == poison - 1
    assert value(samples, "civicdesk_projection_lag_events", read_model=NAME) == \
        head - poison + 1
    # and this process does not lead the scheduler (it runs none)
    assert value(samples, "civicdesk_scheduler_leader") == 0
