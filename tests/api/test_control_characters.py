"""No NUL or other control character gets into the desk through any field (api.plain_text).

PostgreSQL `text` cannot hold U+0000: a NUL accepted here would be stored in the event log and
then halt every read model that copies it. Each refusal is a 400 problem naming the field, and
records nothing; multi-line free text keeps its line breaks and tabs.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import DeskClient

SINGLE_LINE_REFUSED = ["\x00", "\x1b[31m", "\x7f", "\x85", "\n", "\t", "\r"]
MULTI_LINE_REFUSED = ["\x00", "\x1b[31m", "\x07", "\x7f", "\x9b", "\x0c"]


@pytest.mark.parametrize("character", SINGLE_LINE_REFUSED, ids=repr)
def test_a_control_character_in_a_single_line_field_is_a_400_naming_it(
        api: DeskClient, character: str) -> None:
    # given bodies whose one-line fields (nested or not) hold a control character
    case_id = api.receive()["id"]
    for path, body, field in [
        (api.cases, api.new_case_body(subject=f"Pothole{character}"), "subject"),
        (api.cases, api.new_case_body(contact={"name": f"Ada{character}"}), "contact.name"),
        (f"{api.cases}/{case_id}/assign", {"assignee": f"staff{character}7"}, "assignee"),
        (f"{api.cases}/{case_id}/escalate",
         {"to_level": "department_manager", "reason": "Unhappy", "owner": f"m{character}"},
         "owner"),
    ]:
        # when each is sent; then a 400 names the field and nothing is recorded
        with api.nothing_recorded(case_id):
            response = api.client.post(path, json=body, headers=api.headers("director"))
        problem = api.problem(response, 400, "validation", field)
        assert "control characters" in problem["detail"]


@pytest.mark.parametrize("character", MULTI_LINE_REFUSED, ids=repr)
def test_multi_line_text_refuses_control_characters_other_than_line_breaks_and_tabs(
        api: DeskClient, character: str) -> None:
    # given a case; when free text (a description, a message, a note, a resolution, a comment,
    # a handover note) holds a control character that is not a line break or a tab
    case_id = api.receive()["id"]
    for route, body, field in [
        ("acknowledge", {"message": f"We have it{character}"}, "message"),
        ("resolve", {"resolution": f"Filled{character}"}, "resolution"),
        ("survey", {"csat": 4, "comment": f"Quick{character}"}, "comment"),
        ("transfer", {"to_department": "community", "warm": True,
                      "handover_note": f"Park{character}path"}, "handover_note"),
        ("public-notes", {"note": f"Crew booked{character}"}, "note"),
    ]:
        with api.nothing_recorded(case_id):
            response = api.post(case_id, route, body)
        # then a 400 names the field and nothing is recorded
        api.problem(response, 400, "validation", field)
    with api.nothing_recorded():
        response = api.client.post(api.cases, json=api.new_case_body(
            description=f"Deep{character}pothole"), headers=api.headers("csr"))
    api.problem(response, 400, "validation", "description")


def test_multi_line_text_keeps_its_line_breaks_and_tabs(api: DeskClient) -> None:
    # given a description and a message written over several lines, with a tab
    description = "Deep pothole\r\nin front of 55 King St W\n\tabout 20 cm"
    case = api.receive(description=description)
    # when they are recorded; then they are kept as written
    acknowledged = api.run(case["id"], ("acknowledge", {"message": "We have it.\n\nThanks"}))
    assert api.case(case["id"])["description"] == description
    assert acknowledged["version"] == case["version"] + 1


def test_a_field_name_with_a_control_character_is_refused(api: DeskClient) -> None:
    case_id = api.receive()["id"]
    with api.nothing_recorded(case_id):
        response = api.post(case_id, "acknowledge", {"mess\x00age": "hi"})
    api.problem(response, 400, "validation")


@pytest.mark.parametrize(("path", "params", "field"), [
    ("/api/v1/cases", {"assignee": "staff\x007"}, "assignee"),
    ("/api/v1/cases", {"after": "\x00"}, "after"),
    ("/api/v1/complaints", {"period": "2026\x00"}, "period"),
    ("/api/v1/audit/access", {"actor_id": "csr-1\x1b"}, "actor_id"),
    ("/api/v1/cases", {"department": "public-works\n"}, "department"),
])
def test_a_control_character_in_a_query_parameter_is_a_400_naming_it(
        api: DeskClient, path: str, params: dict[str, str], field: str) -> None:
    response = api.client.get(path, params=params, headers=api.headers("admin"))
    api.problem(response, 400, "validation", field)


@pytest.mark.parametrize(("path", "field"), [
    ("/api/v1/queues/assignee/staff%007", "assignee"),
    ("/api/v1/departments/public%00works", "code"),
    ("/api/v1/queues/public%1Bworks", "department"),
])
def test_a_control_character_in_a_path_parameter_is_a_400_naming_it(
        api: DeskClient, path: str, field: str) -> None:
    response = api.client.get(path, headers=api.headers("admin"))
    api.problem(response, 400, "validation", field)


def test_a_control_character_in_an_administrators_body_is_refused(api: Any) -> None:
    # the rule holds for every body, not only the case commands
    with api.nothing_recorded():
        response = api.client.post("/api/v1/admin/calendar/closures", json={
            "day": "2030-12-24", "reason": "Christmas Eve\x00"},
            headers=api.headers("admin"))
    api.problem(response, 400, "validation", "reason")
