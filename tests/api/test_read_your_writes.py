"""Read your writes on every read-model route: a read model that does not reach `min_position`
in time answers 503 with Retry-After, as application/problem+json.

The app here runs no projections (as when they run in another process that is not running), so
no read model ever reaches the position of the case recorded on it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import pytest
from litestar.testing import TestClient

from api import read_your_writes
from api.app import create_app
from api.dependencies import served
from engine.views import SCHEMAS
from infrastructure.bootstrap import build_desk, seed_catalogue
from infrastructure.settings import Settings
from projections.case_index import CASE_INDEX
from tests.api.conftest import DeskClient
from tests.api.read_back import receive
from tests.command_line import TEST_MASTER_KEY
from tests.conftest import TEST_SECRET

# Every operation that takes `min_position`: a path to it, and the parameters it needs besides.
READ_MODEL_ROUTES: dict[str, tuple[str, dict[str, Any]]] = {
    "case_list": ("/api/v1/cases", {}),
    "queue_department": ("/api/v1/queues/public-works", {}),
    "queue_intake": ("/api/v1/queues/intake", {}),
    "queue_assignee": ("/api/v1/queues/assignee/staff-1", {}),
    "queue_channel": ("/api/v1/queues/channel/email", {}),
    "sla_board": ("/api/v1/sla-board", {}),
    "complaint_register": ("/api/v1/complaints", {}),
    "accommodation_list": ("/api/v1/accommodations", {}),
    "scorecard": ("/api/v1/scorecards", {"department": "public-works", "period": "2026"}),
    "inbox": ("/api/v1/inbox", {}),
    "case_duplicates": ("/api/v1/cases/{case}/duplicates", {}),
    "article_search": ("/api/v1/articles", {}),
    "article_get": ("/api/v1/articles/{article}", {}),
    "desk_appointments": ("/api/v1/desks/victoria-hall/appointments", {"day": "2026-03-04"}),
}


def path_of(operation: str, case_id: str, article_id: str) -> str:
    """The operation's path, about a real case and article where it is about one."""
    path = READ_MODEL_ROUTES[operation][0]
    return path.replace("{case}", case_id).replace("{article}", article_id)


@pytest.fixture(scope="module")
def idle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeskClient]:
    """The desk over HTTP on an app whose projections never run, waiting briefly for them."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("idle"), run_scheduler=False,
                        run_projections=False, jwt_secret=TEST_SECRET,
                        master_key=TEST_MASTER_KEY)
    desk = build_desk(settings)
    seed_catalogue(desk)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(read_your_writes, "WAIT_SECONDS", 0.05)
        with TestClient(create_app(settings, desk=desk)) as client:
            yield DeskClient(client, settings, desk)
    desk.close()


@pytest.fixture(scope="module")
def received(idle: DeskClient) -> tuple[dict[str, Any], int]:
    """A new case, and the position it answered, which no read model of the idle app will
    reach."""
    return receive(idle)


@pytest.fixture(scope="module")
def position(received: tuple[dict[str, Any], int]) -> int:
    return received[1]


@pytest.mark.parametrize("operation", READ_MODEL_ROUTES)
def test_a_read_model_that_does_not_reach_the_position_answers_503(
        idle: DeskClient, received: tuple[dict[str, Any], int], operation: str) -> None:
    case, position = received
    # (no read model of the idle app knows any article: it waits before it looks one up)
    path, params = path_of(operation, case["id"], str(uuid4())), READ_MODEL_ROUTES[operation][1]
    response = idle.client.get(path, params={**params, "min_position": position},
                               headers=idle.headers("director"))
    idle.problem(response, 503)
    assert response.headers["Retry-After"] == "1"


def test_every_operation_that_waits_for_a_position_is_covered_and_documents_503(
        idle: DeskClient) -> None:
    document = idle.client.get("/schema/openapi.json").json()
    waiting = {operation["operationId"]: operation
               for operations in document["paths"].values() for operation in operations.values()
               if isinstance(operation, dict) and any(
                   parameter["name"] == "min_position"
                   for parameter in operation.get("parameters", []))}
    assert set(waiting) == set(READ_MODEL_ROUTES)
    assert all("503" in operation["responses"] for operation in waiting.values())


def test_a_read_model_whose_tables_another_version_made_answers_503(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    # Given a case index whose recorded fingerprint is another version's (its rebuild falls
    # to a process that runs the read models; this app runs none)
    settings = Settings(data_dir=tmp_path_factory.mktemp("older"), run_scheduler=False,
                        run_projections=False, jwt_secret=TEST_SECRET,
                        master_key=TEST_MASTER_KEY)
    desk = build_desk(settings)
    seed_catalogue(desk)
    with TestClient(create_app(settings, desk=desk)) as client:
        idle = DeskClient(client, settings, desk)
        view = served(client.app).services.view(CASE_INDEX)
        with view._begin(write=True) as cursor:
            cursor.execute(f"UPDATE {SCHEMAS} SET fingerprint = 'older' "
                           "WHERE projection = 'case_index'")
        view._fits.clear()  # what the view learned of its tables before they were "replaced"
        # When the list is asked for, without waiting for any position
        response = client.get("/api/v1/cases", headers=idle.headers("director"))
    desk.close()
    # Then it is not ready: 503, a problem saying why, and when to try again
    problem = idle.problem(response, 503, "read-model-not-ready")
    assert "another version" in problem["detail"]
    assert response.headers["Retry-After"] == "5"


def test_a_scorecard_that_does_not_know_a_catalogued_department_yet_answers_503(
        idle: DeskClient) -> None:
    # Given an app whose scorecard read model has not followed the catalogue's events
    # When a department the catalogue has is asked for, without any position to wait for
    response = idle.client.get("/api/v1/scorecards",
                               params={"department": "public-works", "period": "2026"},
                               headers=idle.headers("director"))
    # Then it is not there yet (503, try again), not an unknown department (422)
    idle.problem(response, 503)
    assert response.headers["Retry-After"] == "1"
    unknown = idle.client.get("/api/v1/scorecards",
                              params={"department": "no-such-department", "period": "2026"},
                              headers=idle.headers("director"))
    idle.problem(unknown, 422, field="department")
