"""README's "Routing rules, teams and absence cover" works as written: its shell blocks, run by
bash after the walk-through's server start (on a free port), publish a team and rules, mark
Bo away, and route a pothole email to Cy, naming the rule and its version."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess

import pytest

from tests.command_line import ROOT
from tests.e2e.civicdesk_server import free_port
from tests.e2e.test_readme_walkthrough import SECTION as WALKTHROUGH
from tests.e2e.test_readme_walkthrough import SHELL_BLOCK

pytestmark = pytest.mark.e2e

SECTION = re.compile(r"^## Routing rules, teams and absence cover\n(.*?)^## ",
                     re.MULTILINE | re.DOTALL)


def script() -> str:
    readme = (ROOT / "README.md").read_text()
    section, walkthrough = SECTION.search(readme), WALKTHROUGH.search(readme)
    assert section and walkthrough, "README.md has no routing section or walk-through"
    start = SHELL_BLOCK.findall(walkthrough.group(1))[0]  # the server, started
    assert "civicdesk serve" in start
    # Each answer on its own line, so the test can read them one by one.
    blocks = [block.replace("curl -s ", "curl -s -w '\\n' ")
              for block in SHELL_BLOCK.findall(section.group(1))]
    # The trap stops the server when a step fails, so a failure is reported at once.
    return "\n".join(["trap 'kill $(jobs -p) 2>/dev/null' EXIT", start, *blocks]
                     ).replace("8765", str(free_port()))


def test_the_readme_routing_section_runs_as_written() -> None:
    if shutil.which("curl") is None or not (ROOT / ".venv/bin/civicdesk").exists():
        pytest.skip("needs curl and civicdesk installed in .venv (make install)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CIVICDESK_")}
    process = subprocess.Popen(["bash", "-euo", "pipefail", "-c", script()], cwd=ROOT, env=env,
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
    assert process.returncode == 0, err
    answers = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    team, rules, away, team_now, case, back, queue = answers
    assert [m["staff_id"] for m in team["members"]] == ["staff-bo", "staff-cy", "staff-di"]
    assert [(r["id"], r["version"]) for r in rules["rules"]] == \
        [("potholes", 1), ("marina-after-hours", 1), ("complaints", 1)]
    assert away["away"] is True and team_now["members"][0]["away"] is True
    assert (case["department"], case["assignee"], case["priority"]) == \
        ("public-works", "staff-cy", "high")
    assert case["routed_by"]["rule_id"] == "potholes"
    assert case["routed_by"]["rule_version"] == 1
    assert case["routed_by"]["rules_version"] == rules["version"]
    assert back["away"] is False
    # (the queue in priority order: each item says its priority; the read model may not have
    # caught up with the case yet, so it may not list it)
    assert all("priority" in item for item in queue["items"])
