"""`civicdesk serve --workers N` on PostgreSQL: several server processes share the database,
number receipts without a conflict or a gap between them, and serve reads from read models
that one of them keeps; on SQLite the option is refused."""

from __future__ import annotations

import os
import re
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from infrastructure.settings import Settings
from tests.command_line import ROOT, environment
from tests.conftest import fresh_database
from tests.e2e.civicdesk_server import serving
from tests.e2e.test_concurrent_writers import NEW_CASE, at_once, numbers

pytestmark = pytest.mark.e2e


def children_of(pid: int) -> list[int]:
    """The processes whose parent is `pid` (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


@pytest.mark.postgres
def test_two_workers_share_the_numbering_and_the_read_models(tmp_path: Path) -> None:
    with fresh_database("postgres", tmp_path / "data") as settings, \
            serving(settings, tmp_path / "server.log", ("--workers", "2")) as server:
        assert server.process is not None
        # Given a server started with two workers: two worker processes answer
        workers = [p for p in children_of(server.process.pid)
                   if "api.app" in Path(f"/proc/{p}/cmdline").read_text()
                   or "multiprocessing" in Path(f"/proc/{p}/cmdline").read_text()]
        assert len(workers) >= 2, workers
        csr = server.token("csr", "ana")
        # When 24 clients receive a case at once (spread over both processes)
        answers = at_once(24, lambda c, i: c.post(f"{server.base_url}/api/v1/cases",
                                                  json=NEW_CASE, headers=csr))
        # Then every one is created, numbered 1 to 24 without a gap or a repeat
        assert [a.status_code for a in answers] == [201] * 24, [a.text for a in answers]
        assert numbers([a.json()["reference"] for a in answers]) == list(range(1, 25))
        # and the case index (kept by whichever process won its election) lists them all,
        # whichever process answers
        position = max(int(a.headers["X-Civicdesk-Position"]) for a in answers)
        for _ in range(4):
            listed = httpx.get(f"{server.base_url}/api/v1/cases", headers=csr, timeout=30,
                               params={"min_position": position, "limit": 100})
            assert listed.status_code == 200, listed.text
            assert len(listed.json()["items"]) == 24
        # and an answer does not wait for the client's delayed ACK (about 40 ms, which every
        # answer of a worker took while its connections lacked TCP_NODELAY): the median of
        # twenty requests on one kept-alive connection stays well under it
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            timings = []
            for _ in range(20):
                started = time.perf_counter()
                assert client.get("/health").status_code == 200
                timings.append(time.perf_counter() - started)
        assert statistics.median(timings) < 0.025, timings
        server.stop()


def test_workers_are_refused_on_sqlite(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    result = subprocess.run([sys.executable, "-m", "api.cli", "serve", "--workers", "2"],
                            cwd=ROOT, env=environment(
                                settings, CIVICDESK_JWT_SECRET=secrets.token_urlsafe(32)),
                            capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert re.search(r"--workers needs PostgreSQL", result.stderr)
