"""Writing through the API and reading a read model back at the position the write answered."""

from __future__ import annotations

from typing import Any

POSITION = "X-Civicdesk-Position"


def receive(api: Any, **overrides: Any) -> tuple[dict[str, Any], int]:
    """A new case received by a CSR (`overrides` change the body), and the position its
    creation answered."""
    response = api.client.post(api.cases, json=api.new_case_body(**overrides),
                               headers=api.headers("csr"))
    assert response.status_code == 201, response.text
    return response.json(), int(response.headers[POSITION])


def command(api: Any, case_id: str, route: str, body: dict[str, Any]) -> int:
    """Runs a command that must succeed; the position it answered."""
    response = api.post(case_id, route, body)
    assert response.status_code == 200, response.text
    return int(response.headers[POSITION])


def every_item(api: Any, path: str, position: int, role: str = "csr", *, page: int,
               **params: Any) -> list[dict[str, Any]]:
    """Every item of the list at `path`, `page` at a time, once its read model has reached
    `position`."""
    items: list[dict[str, Any]] = []
    after = None
    while True:
        query = {**params, "limit": page, "min_position": position}
        if after is not None:
            query["after"] = after
        response = api.client.get(path, params=query, headers=api.headers(role))
        assert response.status_code == 200, response.text
        listed = response.json()
        items += listed["items"]
        after = listed["next_cursor"]
        if after is None:
            return items
