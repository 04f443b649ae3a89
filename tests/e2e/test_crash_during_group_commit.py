"""A real `civicdesk serve` process killed (SIGKILL) while concurrent commands are being saved
in coalesced batches, on SQLite and PostgreSQL: after a restart every command a client saw
answered 2xx is in the log exactly once, sending every command again with its Idempotency-Key
records nothing twice, the year's references have no gap, and `civicdesk verify` passes."""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from infrastructure.settings import Settings
from tests.conftest import fresh_database
from tests.e2e.civicdesk_server import ServerProcess, serving
from tests.e2e.test_concurrent_writers import NEW_CASE, numbers

pytestmark = pytest.mark.e2e

CLIENTS = 8
# How many answered commands to wait for before the kill (so batches are being saved), and
# how long that may take at most (a bound on a poll, not a deadline).
ANSWERED_BEFORE_KILL = 48
LOAD_LIMIT_SECONDS = 120.0


@dataclass
class Sent:
    """One command a client sent: where, what (its body carries a unique `marker`), its
    Idempotency-Key, and the answer it got (None: the connection died first)."""

    path: str
    body: dict[str, Any]
    key: str
    marker: str
    status: int | None = None
    answer: dict[str, Any] | None = None


def marker(client: int, n: int) -> str:
    # Bracketed, so that no marker is part of another ("[c1n1]" is not in "[c1n12]").
    return f"[c{client}n{n}]"


class Load:
    """CLIENTS threads, each sending commands one after another (a receipt, then an
    interaction on its own case, and so on) until the server stops answering."""

    def __init__(self, server: ServerProcess, csr: dict[str, str], cases: list[str]) -> None:
        self.server, self.csr, self.cases = server, csr, cases
        self.sent: list[list[Sent]] = [[] for _ in range(CLIENTS)]
        self.answered = 0
        self.changed = threading.Condition()
        self.threads = [threading.Thread(target=self._client, args=(i,), daemon=True)
                        for i in range(CLIENTS)]

    def _command(self, client: int, n: int) -> Sent:
        mark = marker(client, n)
        if n % 2 == 0:
            return Sent("/api/v1/cases", {**NEW_CASE, "subject": f"Pothole {mark}"},
                        f"receive-{client}-{n}", mark)
        return Sent(f"/api/v1/cases/{self.cases[client]}/interactions",
                    {"channel": "telephone", "direction": "inbound",
                     "summary": f"Called back {mark}"}, f"interaction-{client}-{n}", mark)

    def _client(self, client: int) -> None:
        with httpx.Client(base_url=self.server.base_url, timeout=60.0) as http:
            for n in range(10_000):
                sent = self._command(client, n)
                self.sent[client].append(sent)
                try:
                    response = send(http, sent, self.csr)
                except httpx.TransportError:
                    return  # the server died with this command in flight
                sent.status, sent.answer = response.status_code, response.json()
                with self.changed:
                    self.answered += 1
                    self.changed.notify_all()

    def run_until_answered(self, count: int) -> None:
        for thread in self.threads:
            thread.start()
        with self.changed:
            assert self.changed.wait_for(lambda: self.answered >= count, LOAD_LIMIT_SECONDS), \
                f"only {self.answered} commands answered:\n{self.server.log()}"

    def join(self) -> list[Sent]:
        for thread in self.threads:
            thread.join(timeout=LOAD_LIMIT_SECONDS)
            assert not thread.is_alive()
        return [sent for sent_by_one in self.sent for sent in sent_by_one]


def send(http: httpx.Client, sent: Sent, csr: dict[str, str]) -> httpx.Response:
    return http.post(sent.path, json=sent.body,
                     headers={**csr, "Idempotency-Key": sent.key})


def batched_commits(server: ServerProcess) -> float:
    """The server's count of transactions that saved several commands (from /metrics)."""
    metrics = httpx.get(f"{server.base_url}/metrics", timeout=30.0).text
    found = re.search(r"^civicdesk_batched_commits_total (\S+)$", metrics, re.MULTILINE)
    assert found is not None, metrics
    return float(found.group(1))


def markers_in_log(server: ServerProcess) -> Counter[str]:
    """How many events of the whole log carry each marker (the audit export, every field)."""
    auditor = server.token("auditor", "aud")
    response = httpx.get(f"{server.base_url}/api/v1/audit/events", headers=auditor,
                         timeout=120.0)
    assert response.status_code == 200, response.text
    found: Counter[str] = Counter()
    for line in response.text.splitlines():
        found.update(set(re.findall(r"\[c\d+n\d+\]", line)))
    return found


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    with fresh_database(request.param, tmp_path / "data") as settings:
        yield settings


def test_a_server_killed_while_committing_batches_loses_no_answered_command_and_doubles_none(
        database: Settings, tmp_path: Path) -> None:
    # Given a server, and one case for each of eight clients
    with serving(database, tmp_path / "first.log") as server:
        csr = server.token("csr", "ana")
        cases = [httpx.post(f"{server.base_url}/api/v1/cases", json=NEW_CASE, headers=csr,
                            timeout=30.0).json()["id"] for _ in range(CLIENTS)]
        # When the eight send commands at once, each with its own Idempotency-Key (receipts,
        # and interactions on their own cases), and the server is killed while they do
        load = Load(server, csr, cases)
        load.run_until_answered(ANSWERED_BEFORE_KILL)
        batched = batched_commits(server)
        server.kill()  # SIGKILL: no shutdown hook runs
        sent = load.join()
    assert batched > 0  # commands were being saved together
    answered = [s for s in sent if s.status is not None]
    in_flight = [s for s in sent if s.status is None]
    assert len(answered) >= ANSWERED_BEFORE_KILL and in_flight  # killed under load
    assert all(s.status in {200, 201} for s in answered), \
        [(s.status, s.answer) for s in answered if s.status not in {200, 201}]

    with serving(database, tmp_path / "second.log") as server:
        # Then, after a restart, every answered command is in the log exactly once
        recorded = markers_in_log(server)
        assert {s.marker: recorded[s.marker] for s in answered} == \
            {s.marker: 1 for s in answered}
        # and none in flight is there twice (it is there once, or not at all)
        assert all(recorded[s.marker] <= 1 for s in in_flight)
        # When every command is sent again with its Idempotency-Key
        csr = server.token("csr", "ana")
        with httpx.Client(base_url=server.base_url, timeout=60.0) as http:
            again = {s.marker: send(http, s, csr) for s in sent}
        # Then each is answered 2xx, an answered one as it was the first time
        assert all(r.status_code in {200, 201} for r in again.values()), \
            [r.text for r in again.values() if r.status_code not in {200, 201}]
        assert [(again[s.marker].status_code, again[s.marker].json()["id"]) for s in answered] \
            == [(s.status, s.answer["id"]) for s in answered if s.answer is not None]
        # and every command is in the log exactly once
        recorded = markers_in_log(server)
        assert {s.marker: recorded[s.marker] for s in sent} == {s.marker: 1 for s in sent}
        # and the year's references run from 1 with no gap: the eight cases, then every receipt
        receipts = [again[s.marker].json()["reference"] for s in sent
                    if s.path == "/api/v1/cases"]
        assert numbers(receipts) == list(range(CLIENTS + 1, CLIENTS + 1 + len(receipts)))
        # and the log verifies: hash chain, append-only guard, signatures, checkpoints
        server.cli("verify")
