"""Queues, the SLA board and the complaint register over HTTP: content, roles, pages, errors.

The module shares one desk per database (see conftest), so each test that counts works in a
department no other test here uses (cao, corporate, legislative, community) or picks its own
cases out of the list. Each test starts on Wednesday 2026-03-04 10:00 Toronto (15:00 UTC).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from httpx import Response

from infrastructure.settings import Settings
from tests import toronto_time
from tests.api import read_back
from tests.api.read_back import command

QUEUES, BOARD, COMPLAINTS = "/api/v1/queues", "/api/v1/sla-board", "/api/v1/complaints"
HOME, AWAY = "public-works", "planning"
ROLES = ["csr", "staff", "manager", "director", "admin", "clerk", "auditor"]
SEES_EVERY_DEPARTMENT = {"csr", "director", "admin", "clerk", "auditor"}


@pytest.fixture(scope="module")
def settings(settings: Settings) -> Settings:
    """The API conftest's databases, with the projection runners on: these are read models."""
    return dataclasses.replace(settings, run_projections=True)


def toronto(day: int, hour: int) -> datetime:
    """A Toronto wall-clock time in March 2026, as UTC."""
    return toronto_time.toronto(2026, 3, day, hour)


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def receive(api: Any, department: str, **overrides: Any) -> tuple[dict[str, Any], int]:
    """A new case for `department` (no service code), and the position its creation answered."""
    return read_back.receive(api, service_code=None, department=department, **overrides)


def read(api: Any, path: str, role: str = "csr", departments: list[str] | None = None,
         **params: Any) -> Response:
    return api.client.get(path, params=params, headers=api.headers(role, departments))


def every_item(api: Any, path: str, position: int, role: str = "csr",
               **params: Any) -> list[dict[str, Any]]:
    """Every item of a list, two at a time, once its read model has reached `position`."""
    return read_back.every_item(api, path, position, role, page=2, **params)


ROUTES = [f"{QUEUES}/{HOME}", f"{QUEUES}/intake", f"{QUEUES}/assignee/staff-1",
          f"{QUEUES}/channel/email", BOARD, COMPLAINTS]


class TestAccess:
    @pytest.mark.parametrize("path", ROUTES)
    def test_every_read_model_route_requires_a_bearer_token(self, api: Any, path: str) -> None:
        response = api.client.get(path)
        api.problem(response, 401)
        assert response.headers["www-authenticate"].startswith("Bearer")

    def test_each_role_reads_exactly_the_departments_it_should(self, api: Any) -> None:
        _, position = receive(api, AWAY)
        answers = {(role, path): read(api, path, role, min_position=position).status_code
                   for role in ROLES for path in (f"{QUEUES}/{HOME}", f"{QUEUES}/{AWAY}")}
        assert answers == {
            (role, path): 200 if path.endswith(HOME) or role in SEES_EVERY_DEPARTMENT else 403
            for role, path in answers}

    @pytest.mark.parametrize("path", [BOARD, COMPLAINTS])
    def test_naming_another_department_is_forbidden_and_an_unknown_one_invalid(
            self, api: Any, path: str) -> None:
        api.problem(read(api, path, "staff", department=AWAY), 403, "forbidden")
        api.problem(read(api, path, "staff", department="nowhere"), 422, "invalid-value",
                    field="department")
        assert read(api, path, "staff", department=HOME).status_code == 200

    def test_staff_see_only_their_departments_cases_in_shared_queues(self, api: Any) -> None:
        home, _ = receive(api, HOME)
        away, _ = receive(api, AWAY)
        position = max(command(api, case["id"], "assign", {"assignee": "staff-shared-1"})
                       for case in (home, away))
        path = f"{QUEUES}/assignee/staff-shared-1"
        assert [i["id"] for i in every_item(api, path, position, "staff")] == [home["id"]]
        assert {i["id"] for i in every_item(api, path, position, "auditor")} == {
            home["id"], away["id"]}


class TestQueues:
    def test_a_new_case_is_queued_at_the_position_its_creation_answered(self, api: Any) -> None:
        case, position = receive(api, "cao")
        page = read(api, f"{QUEUES}/cao", min_position=position).json()
        assert page["as_of"] == "2026-03-04T15:00:00Z"
        [item] = [i for i in page["items"] if i["id"] == case["id"]]
        assert item == {
            "id": case["id"], "reference": case["reference"], "status": "open",
            "department": "cao", "assignee": None, "channel": "email", "complaint": False,
            "received_at": case["received_at"], "age_business_seconds": 0, "transfers": 0,
            "version": case["version"], "next_target": "acknowledge",
            # Wed 10:00 + 16 business hours: Wed 6.5, Thu 8, Fri 1.5 -> Fri 10:00 Toronto
            "next_due_at": "2026-03-06T15:00:00Z", "sla_state": "pending",
            "targets": case["targets"], "priority": None}

    def test_a_queue_comes_next_due_first_in_pages(self, api: Any, clock: Any) -> None:
        clock.now = toronto(5, 14)  # Thursday 14:00
        made = [receive(api, "corporate", received_at=stamp(toronto(day, 10)))[0]
                for day in (4, 2, 3, 5)]
        position = command(api, made[0]["id"], "acknowledge", {"message": "Seen"})
        items = every_item(api, f"{QUEUES}/corporate", position)
        # Due Wed 10:00 (Mon's), Thu 10:00 (Tue's), Mon 10:00 EDT (Thu's); Wed's is met.
        assert [i["id"] for i in items] == [made[i]["id"] for i in (1, 2, 3, 0)]
        assert [i["sla_state"] for i in items] == ["breached", "breached", "pending", None]
        assert [i["next_due_at"] for i in items] == [
            "2026-03-04T15:00:00Z", "2026-03-05T15:00:00Z", "2026-03-09T14:00:00Z", None]

    def test_ordered_by_priority_a_queue_pages_with_its_own_cursor(self, api: Any) -> None:
        # given three cases no routing rule gave a priority (each counts as normal), received
        # Tuesday, Monday and Wednesday at 9:00 (so due in the order Monday, Tuesday, Wednesday)
        made = [receive(api, "community", received_at=stamp(toronto(day, 9)))[0]
                for day in (3, 2, 4)]
        position = api.desk.log_position()
        # when the queue is read by priority, two a page
        items = every_item(api, f"{QUEUES}/community", position, order="priority")
        # then the order among equal priorities is next due, as the default order's
        ids = [i["id"] for i in items if i["id"] in {m["id"] for m in made}]
        assert ids == [made[i]["id"] for i in (1, 0, 2)]
        assert {i["priority"] for i in items} == {None}

    def test_intake_holds_front_desk_cases_nobody_has_taken(self, api: Any) -> None:
        taken, _ = receive(api, HOME)
        waiting, _ = receive(api, HOME)
        position = command(api, taken["id"], "assign", {"assignee": "staff-intake-1"})
        ids = {i["id"] for i in every_item(api, f"{QUEUES}/intake", position)}
        assert waiting["id"] in ids and taken["id"] not in ids

    def test_a_channel_queue_holds_that_channels_open_cases(self, api: Any) -> None:
        meeting, position = receive(api, HOME, channel="virtual_meeting")
        items = every_item(api, f"{QUEUES}/channel/virtual_meeting", position)
        assert meeting["id"] in [i["id"] for i in items]
        assert {i["channel"] for i in items} == {"virtual_meeting"}

    @pytest.mark.parametrize(("path", "status", "kind"), [
        (f"{QUEUES}/nowhere", 404, "not-found"),
        (f"{QUEUES}/channel/pigeon", 404, "not-found"),
        (f"{QUEUES}/{HOME}?after=not-a-cursor", 422, "invalid-value"),
        (f"{QUEUES}/{HOME}?limit=0", 400, "validation"),
        (f"{QUEUES}/{HOME}?limit=201", 400, "validation"),
        (f"{QUEUES}/intake?min_position=-1", 400, "validation"),
        (f"{QUEUES}/intake?min_position=999999999", 422, "invalid-value"),
        (f"{QUEUES}/{HOME}?order=loudest", 400, "validation"),
        (f"{QUEUES}/{HOME}?order=due&after=WyIwIiwiMjAyNi0wMy0wNFQxNTowMDowMCswMDowMCJd", 422,
         "invalid-value"),
    ])
    def test_bad_paths_and_parameters_are_problems(self, api: Any, path: str, status: int,
                                                   kind: str) -> None:
        api.problem(api.client.get(path, headers=api.headers("csr")), status, kind)


class TestSlaBoard:
    def test_the_board_counts_and_lists_targets_at_risk_and_breached(
            self, api: Any, clock: Any) -> None:
        clock.now = toronto(5, 14)  # Thursday 14:00
        late, _ = receive(api, "legislative", received_at=stamp(toronto(2, 10)))
        soon, _ = receive(api, "legislative", received_at=stamp(toronto(3, 15)))
        receive(api, "legislative", received_at=stamp(toronto(5, 9)))
        # The scheduler records the breach when Mon 10:00 + 16 h (Wed 10:00) passes.
        assert api.desk.record_deadline_missed(UUID(late["id"]), "acknowledge", toronto(4, 10))
        position = api.desk.log_position()
        response = read(api, BOARD, "manager", ["legislative"], department="legislative",
                        min_position=position)
        assert response.status_code == 200, response.text
        board = response.json()
        assert board["departments"] == [
            {"department": "legislative", "pending": 1, "at_risk": 1, "breached": 1}]
        assert [(i["reference"], i["target"], i["state"], i["due_at"], i["overdue_seconds"],
                 i["remaining_seconds"]) for i in board["items"]] == [
            # overdue since Wed 10:00: Wed 6.5 h + Thu 5.5 h
            (late["reference"], "acknowledge", "breached", "2026-03-04T15:00:00Z", 43200,
             -43200),
            # Tue 15:00 + 16 h = Thu 15:00: one hour left, under 4 h (25%)
            (soon["reference"], "acknowledge", "at_risk", "2026-03-05T20:00:00Z", 0, 3600)]
        assert board["as_of"] == "2026-03-05T19:00:00Z" and board["next_cursor"] is None

    def test_staff_see_only_their_departments_on_the_board(self, api: Any) -> None:
        _, position = receive(api, AWAY)
        board = read(api, BOARD, "staff", min_position=position).json()
        assert {row["department"] for row in board["departments"]} <= {HOME}
        everyone = read(api, BOARD, "clerk", min_position=position).json()
        assert AWAY in {row["department"] for row in everyone["departments"]}


class TestComplaintRegister:
    def test_a_complaint_is_listed_with_its_escalation_and_outcome(self, api: Any) -> None:
        case, _ = receive(api, "community")
        command(api, case["id"], "classify", {"classification": "complaint",
                                              "reason": "Third call"})
        position = command(api, case["id"], "escalate", {
            "to_level": "department_manager", "reason": "Unhappy", "owner": "manager-7"})
        items = every_item(api, COMPLAINTS, position, "clerk", department="community")
        assert items == [{
            "id": case["id"], "reference": case["reference"], "department": "community",
            "received_at": case["received_at"], "classified_at": "2026-03-04T15:00:00Z",
            "level": "department_manager",
            "escalations": [{"from_level": "front_line", "to_level": "department_manager",
                             "reason": "Unhappy", "owner": "manager-7",
                             "at": "2026-03-04T15:00:00Z"}],
            "owner": "manager-7", "owners": ["manager-7"], "status": "open",
            "outcome": "open", "resolved_at": None, "closed_at": None, "debrief": None}]
        assert every_item(api, COMPLAINTS, position, "clerk", department="community",
                          outcome="closed") == []
        assert every_item(api, COMPLAINTS, position, "clerk", department="community",
                          period="2026-02") == []

    @pytest.mark.parametrize(("params", "status", "field"), [
        ({"level": "mayor"}, 400, "level"),
        ({"outcome": "lost"}, 400, "outcome"),
        ({"period": "2026-13"}, 422, "period"),
        ({"from": "2026-03-01"}, 422, "to"),
        ({"after": "bm90LWEtY3Vyc29y"}, 422, "after"),
    ])
    def test_bad_filters_are_problems_naming_the_parameter(
            self, api: Any, params: dict[str, Any], status: int, field: str) -> None:
        api.problem(read(api, COMPLAINTS, **params), status, field=field)


class TestContract:
    def test_every_read_model_operation_is_documented_once(self, api: Any) -> None:
        document = api.client.get("/schema/openapi.json").json()
        operations = {path: ops["get"] for path, ops in document["paths"].items()
                      if path.startswith((QUEUES, BOARD, COMPLAINTS))}
        assert {op["operationId"] for op in operations.values()} == {
            "queue_intake", "queue_assignee", "queue_channel", "queue_department",
            "sla_board", "complaint_register"}
        every_id = [op["operationId"] for ops in document["paths"].values()
                    for op in ops.values() if isinstance(op, dict) and "operationId" in op]
        assert len(every_id) == len(set(every_id))
        for path, operation in operations.items():
            expected = {"200", "400", "401", "422", "503"} | (
                {"404"} if "{" in path else set()) | (
                {"403"} if "department" in path or path in (BOARD, COMPLAINTS) else set())
            assert expected <= set(operation["responses"]), path
