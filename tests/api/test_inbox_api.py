"""Internal notes, mentions and the inbox over HTTP, on each database: a note mentioning a
person and a department reaches both inboxes; read and unread per reader; pages; who has an
inbox; the public (Open311, the status page) never sees a note; a missed deadline alerts the
manager an administrator named.

Every test here starts on Wednesday 2026-03-04 10:00 Toronto (15:00 UTC).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from litestar import Litestar

from api.dependencies import served
from api.open311.rate_limit import RateLimiter
from infrastructure.settings import Settings
from tests.api.read_back import POSITION
from tests.api.test_open311 import V2, key, submit  # noqa: F401 (key is a fixture)

INBOX = "/api/v1/inbox"
NOTE = "Same lot as the 2024 variance? Check with planning before we dig."


@pytest.fixture(scope="module")
def settings(settings: Settings) -> Settings:
    """The API conftest's databases, with the projection runners on: the inbox is one."""
    return dataclasses.replace(settings, run_projections=True)


@pytest.fixture(autouse=True)
def fresh_limits(app: Litestar) -> Iterator[None]:
    served(app).open311_limiter = RateLimiter()
    yield


def note(api: Any, case_id: str, role: str = "staff", **body: Any) -> Any:
    return api.client.post(f"/api/v1/cases/{case_id}/internal-notes",
                           json={"note": NOTE, **body}, headers=api.headers(role))


def read_inbox(api: Any, sub: str, role: str = "staff", departments: list[str] | None = None,
               **params: Any) -> dict[str, Any]:
    response = api.client.get(INBOX, params={"min_position": api.desk.log_position(),
                                             **params},
                              headers=api.headers(role, departments, sub=sub))
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


def mine(page: dict[str, Any], case_id: str) -> list[dict[str, Any]]:
    return [item for item in page["items"] if item["case_id"] == case_id]


def test_a_mention_reaches_the_person_and_the_department(api: Any) -> None:
    case = api.receive()
    # When public works staff note the case, mentioning a colleague and planning
    response = note(api, case["id"], mention_people=["staff-sam"],
                    mention_departments=["planning"])
    assert response.status_code == 200, response.text
    assert int(response.headers[POSITION]) == api.desk.log_position()
    # Then the colleague has it in her inbox, addressed to her, unread
    [item] = mine(read_inbox(api, "staff-sam"), case["id"])
    assert (item["kind"], item["note"], item["by"], item["reference"], item["addressee"],
            item["read"]) == ("mention", NOTE, "staff-1", case["reference"],
                              "person:staff-sam", False)
    # And anyone acting for planning has it, addressed to planning
    [planning] = mine(read_inbox(api, "staff-pia", departments=["planning"]), case["id"])
    assert planning["addressee"] == "department:planning"
    # And someone in neither does not
    assert mine(read_inbox(api, "staff-zed", departments=["community"]), case["id"]) == []
    # And the case's notes list it for staff who may see the case
    notes = api.client.get(f"/api/v1/cases/{case['id']}/internal-notes",
                           headers=api.headers("staff")).json()["items"]
    assert [(n["note"], n["mention_people"], n["mention_departments"], n["by"])
            for n in notes] == [(NOTE, ["staff-sam"], ["planning"], "staff-1")]


def test_marking_read_is_the_readers_own_and_filters_the_inbox(api: Any) -> None:
    case = api.receive()
    assert note(api, case["id"], mention_departments=["planning"]).status_code == 200
    [item] = mine(read_inbox(api, "staff-pia", departments=["planning"]), case["id"])
    # When one planner marks it read
    marked = api.client.post(f"{INBOX}/{item['id']}/read",
                             headers=api.headers("staff", ["planning"], sub="staff-pia"))
    assert marked.status_code == 200, marked.text
    assert (marked.json()["read"], marked.json()["read_at"]) == (True, "2026-03-04T15:00:00Z")
    # Then her unread list leaves it out and her read list has it
    assert mine(read_inbox(api, "staff-pia", departments=["planning"], state="unread"),
                case["id"]) == []
    [read] = mine(read_inbox(api, "staff-pia", departments=["planning"], state="read"),
                  case["id"])
    assert read["read_at"] == "2026-03-04T15:00:00Z"
    # And another planner still has it unread
    [other] = mine(read_inbox(api, "staff-pio", departments=["planning"], state="unread"),
                   case["id"])
    assert other["read"] is False
    # And marking it again records nothing
    with api.nothing_recorded():
        again = api.client.post(f"{INBOX}/{item['id']}/read",
                                headers=api.headers("staff", ["planning"], sub="staff-pia"))
    assert again.status_code == 200


def test_the_inbox_pages_newest_first(api: Any) -> None:
    case = api.receive()
    for _ in range(3):
        assert note(api, case["id"], mention_people=["staff-pager"]).status_code == 200
    seen, after = [], None
    while True:
        page = read_inbox(api, "staff-pager", limit=2, **({"after": after} if after else {}))
        seen += page["items"]
        after = page["next_cursor"]
        if after is None:
            break
    assert len(seen) == 3 and len({i["id"] for i in seen}) == 3
    assert [i["occurred_at"] for i in seen] == sorted(i["occurred_at"] for i in seen)[::-1]


def test_marking_another_persons_item_is_not_found_and_records_nothing(api: Any) -> None:
    case = api.receive()
    assert note(api, case["id"], mention_people=["staff-sam"]).status_code == 200
    [item] = mine(read_inbox(api, "staff-sam"), case["id"])
    with api.nothing_recorded():
        api.problem(api.client.post(f"{INBOX}/{item['id']}/read",
                                    headers=api.headers("staff", sub="staff-eve")), 404)
        api.problem(api.client.post(f"{INBOX}/{uuid4()}/read",
                                    headers=api.headers("staff", sub="staff-sam")), 404)


@pytest.mark.parametrize("role", ["auditor", "clerk", "privacy_officer"])
def test_roles_that_only_read_the_record_have_no_inbox(api: Any, role: str) -> None:
    api.problem(api.client.get(INBOX, headers=api.headers(role)), 403)


def test_a_bad_cursor_or_state_is_refused_naming_it(api: Any) -> None:
    api.problem(api.client.get(INBOX, params={"after": "not-a-cursor"},
                               headers=api.headers("staff")), 422, field="after")
    api.problem(api.client.get(INBOX, params={"after": f"{2 ** 64}.{uuid4()}"},
                               headers=api.headers("staff")), 422, field="after")
    api.problem(api.client.get(INBOX, params={"state": "archived"},
                               headers=api.headers("staff")), 400)
    assert api.client.get(INBOX).status_code == 401


def test_a_bad_note_is_refused_naming_the_field_and_records_nothing(api: Any) -> None:
    case = api.receive()
    with api.nothing_recorded(case["id"]):
        api.problem(note(api, case["id"], mention_departments=["atlantis"]), 422,
                    field="mention_departments")
        api.problem(api.client.post(f"/api/v1/cases/{case['id']}/internal-notes",
                                    json={"note": "   "}, headers=api.headers("staff")),
                    422, field="note")
        api.problem(note(api, case["id"], role="auditor"), 403)
        api.problem(api.client.post(f"/api/v1/cases/{case['id']}/internal-notes",
                                    json={"note": NOTE},
                                    headers=api.headers("staff", ["planning"])), 404)


def test_a_note_never_shows_on_open311_or_the_status_page(api: Any, key: str) -> None:  # noqa: F811
    # Given a request a resident posted through Open311, which staff note internally
    token, reference = submit(api, key)
    assert note(api, token, mention_people=["staff-sam"]).status_code == 200
    served(api.client.app).services.projections.wait_for(api.desk.log_position(), 10.0)
    # Then neither Open311 (JSON or XML) nor the status page shows it
    for fmt in ("json", "xml"):
        response = api.client.get(f"{V2}/requests/{reference}.{fmt}")
        assert response.status_code == 200
        assert "variance" not in response.text and "Check with planning" not in response.text
    public = api.case(token)["public_token"]
    page = api.client.get(f"/status/{reference}", params={"token": public})
    status = api.client.get(f"/api/v1/public/requests/{reference}", params={"token": public})
    for response in (page, status):
        assert response.status_code == 200
        assert "variance" not in response.text and "Check with planning" not in response.text
    # While staff see it on the case
    assert api.client.get(f"/api/v1/cases/{token}/internal-notes",
                          headers=api.headers("staff")).json()["items"][0]["note"] == NOTE


def test_an_access_request_carries_the_notes_for_the_privacy_officer_to_review(
        api: Any) -> None:
    case = api.receive(contact={"name": "Ivy Notes", "email": "ivy.notes@example.org"})
    assert note(api, case["id"]).status_code == 200
    response = api.client.get(f"/api/v1/privacy/access-requests/{case['customer_id']}",
                              headers=api.headers("privacy_officer"))
    assert response.status_code == 200, response.text
    [history] = json.loads(response.content)["cases"]
    [added] = [e for e in history["events"] if e["type"] == "Case.InternalNoteAdded"]
    assert added["data"]["note"] == NOTE


def test_a_missed_deadline_alerts_the_manager_an_administrator_named(api: Any) -> None:
    # Given an administrator names corporate services' manager
    named = api.client.put("/api/v1/admin/departments/corporate/manager",
                           json={"manager": "mgr-cora"}, headers=api.headers("admin"))
    assert named.status_code == 200, named.text
    assert (named.json()["department"], named.json()["manager"]) == ("corporate", "mgr-cora")
    # And an email to corporate services, received Mon 2026-03-02 10:00 Toronto, assigned
    case = api.receive(service_code=None, department="corporate",
                       received_at="2026-03-02T15:00:00Z")
    api.run(case["id"], ("assign", {"assignee": "staff-cy"}))
    # When its acknowledgement is recorded missed at its due time: 6.5 h Mon + 8 h Tue +
    # 1.5 h Wed = 16 business hours, Wed 10:00 Toronto
    due = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
    assert api.desk.record_deadline_missed(UUID(case["id"]), "acknowledge", due)
    # Then the manager and the assignee each have a deadline_missed item
    for sub, role in (("mgr-cora", "manager"), ("staff-cy", "staff")):
        [item] = mine(read_inbox(api, sub, role, departments=["corporate"]), case["id"])
        assert (item["kind"], item["target"], item["due_at"], item["addressee"]) == (
            "deadline_missed", "acknowledge", "2026-03-04T15:00:00Z", f"person:{sub}")


def test_only_an_administrator_names_a_manager_of_a_known_department(api: Any) -> None:
    route = "/api/v1/admin/departments/{}/manager"
    with api.nothing_recorded():
        api.problem(api.client.put(route.format("cao"), json={"manager": "mgr-x"},
                                   headers=api.headers("manager")), 403)
        api.problem(api.client.put(route.format("atlantis"), json={"manager": "mgr-x"},
                                   headers=api.headers("admin")), 404)
        api.problem(api.client.put(route.format("cao"), json={"boss": "mgr-x"},
                                   headers=api.headers("admin")), 400)
