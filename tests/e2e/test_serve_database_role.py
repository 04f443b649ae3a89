"""`civicdesk serve` on PostgreSQL says when it runs as more than the runtime role: an owner
or superuser could rewrite the record that the runtime role can only append to."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.database_roles import migrated_for_two_roles
from tests.e2e.civicdesk_server import serving

pytestmark = pytest.mark.postgres
WARNING = "serving as an owner-level database role"


def test_serve_as_the_owner_logs_a_warning_naming_why(tmp_path: Path) -> None:
    with migrated_for_two_roles(tmp_path) as roles, \
            serving(roles.owner, tmp_path / "owner.log") as server:
        server.stop()
        log = server.log()
    assert WARNING in log
    assert "is a superuser" in log and "owns the event log" in log


def test_serve_as_the_runtime_role_takes_a_case_without_that_warning(tmp_path: Path) -> None:
    with migrated_for_two_roles(tmp_path) as roles, \
            serving(roles.runtime, tmp_path / "runtime.log") as server:
        with httpx.Client(base_url=server.base_url, timeout=30.0) as http:
            answer = http.post("/api/v1/cases", headers=server.token("csr", "ana"), json={
                "channel": "email", "purpose": "issue_or_complaint",
                "department": "public-works", "subject": "Broken swing",
                "description": "The chain snapped.", "contact": {"name": "Sam Lee"}})
        server.stop()
        log = server.log()
    assert answer.status_code == 201, answer.text
    assert WARNING not in log
