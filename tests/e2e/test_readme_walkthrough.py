"""README's "A case's life, with curl" works exactly as written: its shell blocks, run in order
by bash from the repository (only the port changed to a free one), take a case from receipt to
survey on a development-mode server, and print what the README shows."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess

import pytest

from tests.command_line import ROOT
from tests.e2e.civicdesk_server import free_port

pytestmark = pytest.mark.e2e

SECTION = re.compile(r"^## A case's life, with curl\n(.*?)^### ", re.MULTILINE | re.DOTALL)
SHELL_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.MULTILINE | re.DOTALL)


def walkthrough() -> str:
    section = SECTION.search((ROOT / "README.md").read_text())
    assert section, "README.md has no walk-through section"
    return "\n".join(SHELL_BLOCK.findall(section.group(1)))


def test_the_readme_walkthrough_runs_as_written() -> None:
    if shutil.which("curl") is None or not (ROOT / ".venv/bin/civicdesk").exists():
        pytest.skip("needs curl and civicdesk installed in .venv (make install)")
    # given the walk-through, on a free port, in an environment with no civicdesk setting
    # (the trap stops the server the walk-through starts when a step fails, so a failure is
    # reported at once instead of after the timeout)
    script = "trap 'kill $(jobs -p) 2>/dev/null' EXIT\n" + walkthrough().replace(
        "8765", str(free_port()))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CIVICDESK_")}
    # when bash runs it from the repository, stopping at the first failing command
    process = subprocess.Popen(["bash", "-euo", "pipefail", "-c", script], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        out, err = process.communicate(timeout=180)
    finally:
        # the whole group, always: a step failing under `set -e` ends bash but leaves the
        # server it started in the background holding the output pipe open
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    # then every step did what the README says
    assert process.returncode == 0, err
    assert re.search(r'"reference":"SC-\d{4}-000001"', out)
    assert '"status":409' in out and "version-conflict" in out  # the stale acknowledge
    assert '"status":403' in out  # Ana may not escalate
    # (curl prints no newline after a JSON answer, so a line may start after one)
    history = re.findall(r"(\d+) (Case\.\w+) (\w+) (\w+) \d{4}-\d\d-\d\dT", out)
    assert [(version, kind, actor) for version, kind, actor, _ in history] == [
        ("1", "Case.Received", "ana"), ("2", "Case.TargetsSet", "ana"),
        ("3", "Case.Acknowledged", "ana"), ("4", "Case.Transferred", "ana"),
        ("5", "Case.Classified", "ana"), ("6", "Case.ComplaintEscalated", "raj"),
        ("7", "Case.Resolved", "raj"), ("8", "Case.Closed", "raj"),
        ("9", "Case.SurveyAnswered", "ana")]
    assert re.search(r"^OK: \d+ events; head position \d+; head hash [0-9a-f]{64}$", out,
                     re.MULTILINE)
    assert "development mode" in err  # the server said which mode it runs in
