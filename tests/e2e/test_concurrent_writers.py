"""Concurrent clients of a real `civicdesk serve` process, on SQLite and PostgreSQL: receipts
and Open311 submissions sent at the same moment all succeed with distinct, contiguous
references, and commands on one case that name no version are never answered 409."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import fresh_database
from tests.e2e.civicdesk_server import ServerProcess, serving

pytestmark = pytest.mark.e2e

NEW_CASE = {"channel": "email", "purpose": "issue_or_complaint", "department": "public-works",
            "subject": "Pothole", "description": "Deep hole on King St",
            "contact": {"name": "Ann"}}
OPEN311_FORM = ("service_code=public-works-engineering-02&lat=43.9597&long=-78.1677"
                "&description=A+sinkhole")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServerProcess]:
    # The server runs its deadline scheduler too (only the environment reaches it).
    with fresh_database(request.param, tmp_path / "data") as settings, \
            serving(settings, tmp_path / "server.log") as server:
        yield server


def at_once(clients: int, send: Callable[[httpx.Client, int], httpx.Response]
            ) -> list[httpx.Response]:
    """`clients` threads, each with its own connection, released together to send once."""
    start = threading.Barrier(clients)
    answers: list[httpx.Response | None] = [None] * clients

    def one(i: int) -> None:
        with httpx.Client(timeout=60.0) as client:
            start.wait()
            answers[i] = send(client, i)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(a is not None for a in answers)
    return [a for a in answers if a is not None]


def numbers(references: list[str]) -> list[int]:
    assert all(re.fullmatch(r"SC-\d{4}-\d{6}", r) for r in references), references
    return sorted(int(r.rsplit("-", 1)[1]) for r in references)


class TestConcurrentWriters:
    def test_sixteen_receipts_at_once_are_all_created_with_contiguous_references(
            self, server: ServerProcess) -> None:
        # Given a CSR's token
        csr = server.token("csr", "ana")
        # When sixteen clients receive a case at the same moment
        answers = at_once(16, lambda c, i: c.post(f"{server.base_url}/api/v1/cases",
                                                  json=NEW_CASE, headers=csr))
        # Then all sixteen are created, numbered 1 to 16
        assert [a.status_code for a in answers] == [201] * 16, [a.text for a in answers]
        assert numbers([a.json()["reference"] for a in answers]) == list(range(1, 17))

    def test_eight_commands_on_one_case_without_a_version_are_never_a_conflict(
            self, server: ServerProcess) -> None:
        # Given a case
        csr = server.token("csr", "ana")
        case = httpx.post(f"{server.base_url}/api/v1/cases", json=NEW_CASE, headers=csr,
                          timeout=30.0).json()
        url = f"{server.base_url}/api/v1/cases/{case['id']}/interactions"
        # When eight clients log an interaction on it at once, naming no version
        answers = at_once(8, lambda c, i: c.post(url, headers=csr, json={
            "channel": "telephone", "direction": "inbound", "summary": f"call {i}",
            "effort_minutes": 1}))
        # Then every one is recorded: none is answered 409
        assert [a.status_code for a in answers] == [200] * 8, [a.text for a in answers]
        after = httpx.get(f"{server.base_url}/api/v1/cases/{case['id']}", headers=csr).json()
        assert after["interactions"] == 8 and after["version"] == case["version"] + 8

    def test_sixteen_open311_submissions_at_once_are_all_accepted(
            self, server: ServerProcess) -> None:
        # Given an app's API key
        api_key = server.cli("apikey", "create", "--name", "Cobourg Fixit")
        # When sixteen of its users submit a request at the same moment
        answers = at_once(16, lambda c, i: c.post(
            f"{server.base_url}/open311/v2/requests.json",
            content=f"api_key={api_key}&{OPEN311_FORM}",
            headers={"Content-Type": "application/x-www-form-urlencoded"}))
        # Then every one is accepted (an app does not retry a 400), each with its own request
        assert [a.status_code for a in answers] == [200] * 16, [a.text for a in answers]
        tokens = {a.json()[0]["token"] for a in answers}
        assert len(tokens) == 16
