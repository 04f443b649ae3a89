"""`civicdesk serve --demo-if-empty` (what `make run` runs) on a fresh database: it says on the
console how far its read models are, and answers complete queues from its first request.

A real server process on a fresh SQLite file (as `make run` on a fresh clone). Its output is a
file, not a terminal, so it logs lines instead of drawing a bar. The time limit only bounds the
wait for the server to listen (loading the demo takes a while on a busy machine); nothing here
is timed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from infrastructure.settings import Settings
from tests.command_line import ROOT, environment
from tests.e2e.civicdesk_server import ServerProcess

LISTEN_LIMIT_SECONDS = 600.0

pytestmark = pytest.mark.e2e


def start_listening(server: ServerProcess) -> None:
    """Start `server` and return as soon as it answers anything (its first request)."""
    with server.log_path.open("ab") as log:
        server.process = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--port", str(server.port),
             *server.options, *server.serve_arguments],
            env=server.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    limit = time.monotonic() + LISTEN_LIMIT_SECONDS
    while time.monotonic() < limit:
        if server.process.poll() is not None:
            pytest.fail(f"the server exited with {server.process.returncode}:\n{server.log()}")
        try:
            httpx.get(f"{server.base_url}/health", timeout=1.0)
            return
        except httpx.TransportError:
            time.sleep(0.2)  # polling interval, not a deadline
    server.kill()
    pytest.fail(f"not listening within {LISTEN_LIMIT_SECONDS}s:\n{server.log()}")


def logged(server: ServerProcess, logger: str) -> list[str]:
    """The messages `logger` wrote to the server's console (JSON lines)."""
    found = []
    for line in server.log().splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            if entry.get("logger") == logger:
                found.append(entry["message"])
    return found


def test_the_demo_serves_complete_queues_from_its_first_request_and_says_how_far_it_is(
        tmp_path: Path) -> None:
    # Given a fresh database and `make run`'s command
    settings = Settings(data_dir=tmp_path / "data")
    server = ServerProcess(environment(settings, CIVICDESK_LOG_LEVEL="INFO"),
                           tmp_path / "server.log", "--dev",
                           serve_arguments=("--demo-if-empty",))
    try:
        # When it starts, loads the demo and answers its first request
        start_listening(server)
        first = httpx.get(f"{server.base_url}/ready", timeout=10.0)
        admin = server.token("admin", "ops")
        positions = httpx.get(f"{server.base_url}/api/v1/admin/projections", headers=admin,
                              timeout=10.0).json()
        manager = server.token("manager", "pat", "public-works")
        queue = httpx.get(f"{server.base_url}/api/v1/queues/public-works", headers=manager,
                          timeout=10.0)

        # Then every read model had caught up before it served: ready at once, no lag as of
        # the log it started with, and the queue holds the demo's open cases
        assert first.status_code == 200, first.text
        read_models = positions["projections"]
        assert {p["name"] for p in read_models} >= {"queues", "case_index", "scorecard"}
        assert all(p["ready"] and p["position"] >= positions["head"] - p["lag"]
                   for p in read_models), read_models
        assert queue.status_code == 200, queue.text
        assert queue.json()["items"], queue.text
        # and its console said so while it caught up: how far behind, then done
        messages = logged(server, "civicdesk.projections")
        assert any(m.startswith("read models catching up: ") and "events to apply" in m
                   for m in messages), messages
        assert any(m.startswith("read models caught up with the log at position")
                   for m in messages), messages
    finally:
        server.kill()
