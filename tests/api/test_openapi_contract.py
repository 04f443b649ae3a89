"""The OpenAPI document at /schema/openapi.json states what the server enforces
(api.openapi_contract), and the server's headers say what the document says."""

from __future__ import annotations

import re
from typing import Any

import pytest

from api.plain_text import MULTI_LINE_PATTERN, ONE_LINE_PATTERN
from tests.api.conftest import DeskClient

PROBLEM_JSON = "application/problem+json"
IDEMPOTENT = re.compile(r"^case_(receive|publish_note|(?!get$|history$|list$)\w+)$")


@pytest.fixture
def document(api: DeskClient) -> dict[str, Any]:
    response = api.client.get("/schema/openapi.json")
    assert response.status_code == 200
    served: dict[str, Any] = response.json()
    return served


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, operation) for path, item in document["paths"].items()
            for method, operation in item.items()]


def resolved(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        found: dict[str, Any] = document["components"]["schemas"][schema["$ref"].split("/")[-1]]
        return found
    return schema


def objects_of(document: dict[str, Any], schema: dict[str, Any],
               seen: set[int] | None = None) -> list[dict[str, Any]]:
    """Every object schema a request body's schema reaches."""
    seen = set() if seen is None else seen
    schema = resolved(document, schema)
    if id(schema) in seen:
        return []
    seen.add(id(schema))
    found = [schema] if "properties" in schema else []
    children = [*schema.get("properties", {}).values(), *schema.get("oneOf", []),
                *([schema["items"]] if isinstance(schema.get("items"), dict) else [])]
    for child in children:
        found += objects_of(document, child, seen)
    return found


def test_every_request_body_object_refuses_unknown_fields(document: dict[str, Any]) -> None:
    # (an attachment's body is the file itself, not an object)
    bodies = [(f"{method} {path}", operation["requestBody"]["content"]["application/json"]
               ["schema"]) for method, path, operation in operations(document)
              if "application/json" in operation.get("requestBody", {}).get("content", {})]
    assert len(bodies) >= 20
    for label, schema in bodies:
        for item in objects_of(document, schema):
            assert item.get("additionalProperties") is False, (label, item.get("title"))


def test_every_integer_parameter_states_its_bounds(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        for parameter in operation.get("parameters", []):
            schema = parameter["schema"]
            kinds = [schema.get("type")] + [m.get("type") for m in schema.get("oneOf", [])]
            if "integer" in kinds:
                label = f"{method} {path} {parameter['name']}"
                assert "minimum" in schema and "maximum" in schema, (label, schema)


def test_free_text_is_documented_without_control_characters(document: dict[str, Any]) -> None:
    new_case = document["components"]["schemas"]["NewCase"]["properties"]
    assert new_case["subject"]["pattern"] == ONE_LINE_PATTERN
    assert new_case["description"]["pattern"] == MULTI_LINE_PATTERN
    assignee = next(p for p in document["paths"]["/api/v1/cases"]["get"]["parameters"]
                    if p["name"] == "assignee")
    assert assignee["schema"]["pattern"] == ONE_LINE_PATTERN


def test_every_command_documents_the_idempotency_key_header(document: dict[str, Any]) -> None:
    posts = [operation for method, _, operation in operations(document) if method == "post"
             and IDEMPOTENT.match(operation["operationId"])]
    assert len(posts) >= 17  # receive, 15 commands, publish a note
    for operation in posts:
        headers = [p for p in operation.get("parameters", []) if p["in"] == "header"]
        assert [h["name"] for h in headers] == ["Idempotency-Key"], operation["operationId"]
        assert headers[0]["schema"]["maxLength"] == 200


def test_every_201_documents_its_location_and_every_body_its_415(
        document: dict[str, Any]) -> None:
    created = [(method, path, operation) for method, path, operation in operations(document)
               if "201" in operation["responses"]]
    assert len(created) == 6
    for method, path, operation in created:
        assert operation["responses"]["201"]["headers"]["Location"]["required"], (method, path)
    for method, path, operation in operations(document):
        if "requestBody" in operation:
            assert PROBLEM_JSON in operation["responses"]["415"]["content"], (method, path)


def test_every_201_answer_carries_a_location_that_leads_to_what_was_made(
        api: DeskClient) -> None:
    admin = api.headers("admin")
    for path, body in [
        (api.cases, api.new_case_body()),
        ("/api/v1/admin/calendar/closures", {"day": "2031-12-24", "reason": "Christmas Eve"}),
        ("/api/v1/desks/victoria-hall/hours", {"opens": "08:00", "closes": "16:00",
                                         "weekdays": ["monday"], "effective_from": "2031-01-06",
                                         "reason": "Winter hours"}),
    ]:
        response = api.client.post(path, json=body, headers=admin)
        assert response.status_code == 201, response.text
        location = response.headers["location"]
        assert api.client.get(location, headers=admin).status_code == 200, location


@pytest.mark.parametrize(("path", "methods"), [
    ("/api/v1/cases", "GET, OPTIONS, POST"),  # two handlers, registered apart
    ("/api/v1/departments/community", "GET, OPTIONS, PATCH"),
    ("/api/v1/admin/calendar/closures", "GET, OPTIONS, POST"),
])
def test_options_and_405_name_the_same_allowed_methods(
        api: DeskClient, path: str, methods: str) -> None:
    headers = api.headers("admin")
    options = api.client.options(path, headers=headers)
    refused = api.client.delete(path, headers=headers)
    assert options.status_code == 204 and refused.status_code == 405
    assert options.headers["allow"] == methods
    assert sorted(refused.headers["allow"].split(", ")) == methods.split(", ")


def test_a_new_case_links_to_every_operation_on_it(document: dict[str, Any]) -> None:
    # the links schemathesis' stateful phase (and a client) follows from a 201
    links = document["paths"]["/api/v1/cases"]["post"]["responses"]["201"]["links"]
    on_a_case = {operation["operationId"] for path, item in document["paths"].items()
                 if path.startswith("/api/v1/cases/{case_id}") for operation in item.values()}
    assert set(links) == on_a_case
    assert links["case_get"]["parameters"] == {"case_id": "$response.body#/id"}
    department = document["paths"]["/api/v1/departments"]["post"]["responses"]["201"]["links"]
    assert department["department_get"]["parameters"] == {"code": "$response.body#/code"}
