"""`GET /api/v1/cases` by SLA target over HTTP: `target_state`, `target` and `order=next_due`.

The module shares one desk per database, so each test looks for its own cases. The clock
starts on Wednesday 2026-03-04 at 10:00 Toronto (15:00 UTC); an email is acknowledged within
16 business hours (08:30-16:30): Wed 6.5 h, Thu 8 h (14.5), Fri 1.5 h -> due Fri 10:00.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from infrastructure.settings import Settings
from tests.api.read_back import every_item
from tests.api.read_back import receive as receive_case

CASES = "/api/v1/cases"
FRIDAY_10 = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def settings(settings: Settings) -> Settings:
    """The API conftest's databases, with the projection runners on: this is a read model."""
    return dataclasses.replace(settings, run_projections=True)


def receive(api: Any, **overrides: Any) -> tuple[str, int]:
    case, position = receive_case(api, **overrides)
    return case["id"], position


def listed(api: Any, position: int, **params: Any) -> list[dict[str, Any]]:
    """Every item, page by page (of 3), once the index has reached `position`."""
    return every_item(api, CASES, position, "auditor", page=3, **params)


def test_a_case_is_listed_as_breached_once_its_due_time_passes(api: Any, clock: Any) -> None:
    case_id, position = receive(api)
    assert case_id in {i["id"] for i in listed(api, position, target_state="pending")}
    assert case_id not in {i["id"] for i in listed(api, position, target_state="breached")}

    clock.now = FRIDAY_10 + timedelta(minutes=1)  # no breach recorded: judged on the clock

    breached = listed(api, position, target_state="breached", target="acknowledge")
    assert case_id in {i["id"] for i in breached}
    assert case_id not in {i["id"] for i in listed(api, position, target_state="pending")}


def test_next_due_order_puts_the_oldest_promise_first(api: Any, clock: Any) -> None:
    # A letter backdated to Monday 09:00 is acknowledged within 5 business days (40 h):
    # Mon 7.5 h, Tue-Thu 24 h (31.5), Fri 8 h (39.5), next Mon 0.5 h -> due Mon 09:00 EDT.
    # The email received now is due Fri 10:00, so it comes first.
    letter, _ = receive(api, channel="written",
                        received_at=datetime(2026, 3, 2, 14, 0, tzinfo=UTC).isoformat())
    email, position = receive(api)
    order = [i["id"] for i in listed(api, position, order="next_due")]
    assert order.index(email) < order.index(letter)
    items = {i["id"]: i for i in listed(api, position, order="next_due")}
    assert items[email]["next_due_at"] == "2026-03-06T15:00:00Z"
    assert items[email]["next_target"] == "acknowledge"


@pytest.mark.parametrize(("parameter", "value"), [
    ("target_state", "late"), ("target", "reply"), ("order", "soonest")])
def test_an_unknown_filter_value_is_a_problem_naming_the_parameter(
        api: Any, parameter: str, value: str) -> None:
    response = api.client.get(CASES, params={parameter: value}, headers=api.headers("csr"))
    api.problem(response, 400, field=parameter)


def test_a_cursor_of_the_received_order_is_refused_for_the_due_order(api: Any) -> None:
    receive(api)
    _, position = receive(api)
    first = api.client.get(CASES, params={"limit": 1, "min_position": position},
                           headers=api.headers("csr")).json()
    response = api.client.get(CASES, params={"order": "next_due", "after": first["next_cursor"]},
                              headers=api.headers("csr"))
    api.problem(response, 422, "invalid-value", field="after")
