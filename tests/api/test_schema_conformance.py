"""The OpenAPI document is a true contract: schemathesis finds no request that breaks it.

A real `civicdesk serve` process (tests/e2e/civicdesk_server.py) runs on each database with a
few real cases, departments and services; the schemathesis command line reads its
`/schema/openapi.json` and runs every check it has (no server error; documented statuses,
content types, headers and bodies; schema-invalid requests refused and schema-valid ones
accepted; undocumented methods answered 405 with a correct Allow; missing auth refused; ...)
over the examples, fuzzing and stateful phases, the stateful one following the links it infers
from the document and from Location headers. The run is reproducible (a fixed seed) and
bounded (MAX_EXAMPLES per operation): about a minute per database.

The coverage phase (a deterministic sweep of every boundary, about 190 requests per
operation) would take several minutes per database; the fuzzing phase sends both valid and
deliberately invalid requests ("--mode all"), so refusals are still tested.

tests/api/schemathesis.toml holds what the checks may accept (the desk's own 409 and 422);
this test adds dictionaries of real identifiers, so generated paths reach existing cases.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import DATABASES, fresh_database
from tests.e2e.civicdesk_server import ServerProcess, serving

pytestmark = pytest.mark.e2e

SEED = 2026
MAX_EXAMPLES = 25
RUN_LIMIT_SECONDS = 480  # a hung run fails the test instead of the whole suite
CONFIG = Path(__file__).with_name("schemathesis.toml")
DEPARTMENTS = ("community", "public-works")


@pytest.fixture(params=DATABASES)
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServerProcess]:
    with fresh_database(request.param, tmp_path / "data") as settings, \
            serving(settings, tmp_path / "server.log", CIVICDESK_RUN_SCHEDULER="false",
                    CIVICDESK_LOG_LEVEL="WARNING") as server:
        yield server


def seed_cases(server: ServerProcess, bearer: dict[str, str]) -> dict[str, list[str]]:
    """Real cases in two departments (one acknowledged and classified a complaint), so that
    generated requests reach the desk's rules, not only its 404s."""
    ids, references = [], []
    with httpx.Client(base_url=server.base_url, headers=bearer, timeout=30) as client:
        for department in DEPARTMENTS:
            for channel in ("email", "telephone"):
                answer = client.post("/api/v1/cases", json={
                    "channel": channel, "purpose": "issue_or_complaint",
                    "department": department, "subject": "Seeded for schemathesis",
                    "description": "A real case\nover two lines"})
                assert answer.status_code == 201, answer.text
                ids.append(answer.json()["id"])
                references.append(answer.json()["reference"])
        for step, body in [("acknowledge", {"message": "We have it"}),
                           ("classify", {"classification": "complaint", "reason": "Third call"})]:
            answer = client.post(f"/api/v1/cases/{ids[0]}/{step}", json=body)
            assert answer.status_code == 200, answer.text
        codes = {kind: [item["code"] for item in client.get(f"/api/v1/{kind}").json()["items"]]
                 for kind in ("departments", "services", "desks")}
    return {"cases": ids, "references": references, **codes}


def run_config(seeded: dict[str, list[str]]) -> str:
    """tests/api/schemathesis.toml, plus the seeded identifiers as dictionaries that path
    parameters draw from (about two requests in three; the rest are generated)."""
    bindings = {"path.case_id": "cases", "path.reference": "references",
                "path.department": "departments"}
    lines = [CONFIG.read_text(), ""]
    for name, values in seeded.items():
        lines += [f"[dictionaries.{name}]", f"values = {json.dumps(values)}", ""]
    lines.append("[parameters]")
    lines += [f'"{key}" = {{ dictionary = "{name}", probability = 0.7 }}'
              for key, name in bindings.items()]
    # `{code}` names a department, a service or a desk, by path.
    for kind in ("departments", "services", "desks"):
        lines += ["", "[[operations]]", f'include-path-regex = "^/api/v1/{kind}/"',
                  f'parameters = {{ "path.code" = {{ dictionary = "{kind}", '
                  'probability = 0.7 }}']
    return "\n".join(lines) + "\n"


def test_no_generated_request_breaks_the_documented_contract(
        server: ServerProcess, tmp_path: Path) -> None:
    # given a real server with real cases, and the document it serves
    bearer = server.token("admin", "schemathesis-admin")
    config = tmp_path / "schemathesis.toml"
    config.write_text(run_config(seed_cases(server, bearer)))
    # when schemathesis runs every check on requests generated from the document
    command = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "--no-color",
               "run", f"{server.base_url}/schema/openapi.json",
               "--header", f"Authorization: {bearer['Authorization']}",
               "--checks", "all", "--mode", "all", "--phases", "examples,fuzzing,stateful",
               "--seed", str(SEED), "--max-examples", str(MAX_EXAMPLES), "--workers", "1",
               "--output-truncate", "false", "--suppress-health-check", "all"]
    try:
        run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True,
                             timeout=RUN_LIMIT_SECONDS, check=False)
    except subprocess.TimeoutExpired as expired:
        pytest.fail(f"schemathesis ran past {RUN_LIMIT_SECONDS}s:\n{expired.stdout!r}")
    print(run.stdout[-3000:])  # the summary, shown with -s or when the test fails
    # then it finds nothing, and the server logged no unexpected error
    assert run.returncode == 0, f"{run.stdout}\n{run.stderr}\n--- server log ---\n{server.log()}"
    assert "unexpected error" not in server.log(), server.log()
