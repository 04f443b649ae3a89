"""Publishing wait standards through the API: a customer's wait is real elapsed time, so a wait
standard's basis is calendar time, given or not, and a business-time wait is refused."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import DeskClient

STANDARDS = "/api/v1/admin/standards"
PHONE: dict[str, Any] = {"code": "telephone-answer", "title": "Telephone answered within 45 s",
                         "target": "answer_wait", "seconds": 45, "channel": "telephone",
                         "pausable": False}


def revise(api: DeskClient, *standards: dict[str, Any]) -> Any:
    return api.client.put(STANDARDS, json={"reason": "Faster answering", "standards": [
        *standards]}, headers=api.headers("admin"))


def test_a_wait_standard_published_without_a_basis_is_counted_in_real_time(
        api: DeskClient) -> None:
    # When an administrator publishes a telephone standard without saying its basis
    response = revise(api, PHONE)
    # Then it is published in calendar (real) time
    assert response.status_code == 200, response.text
    [published] = response.json()["standards"]
    assert published["basis"] == "calendar"


def test_a_wait_standard_in_business_time_is_refused_naming_basis(api: DeskClient) -> None:
    # When an administrator publishes a telephone wait counted in business time
    with api.nothing_recorded():
        response = revise(api, {**PHONE, "basis": "business"})
    # Then it is refused, naming the basis, and nothing is published
    problem = api.problem(response, 422, field="basis")
    assert "real elapsed time" in problem["detail"]
