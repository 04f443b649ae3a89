"""`civicdesk routing-rules` on SQLite and PostgreSQL, in a process of its own: rules kept in a
file are published and shown with their versions; a bad file is a message naming the field
(exit 2) and publishes nothing."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from application.desk import ServiceDesk
from infrastructure.settings import Settings
from tests.command_line import civicdesk

RULES = {"reason": "kept in git", "rules": [
    {"id": "potholes", "conditions": {"keywords": ["pothole"]},
     "actions": {"department": "public-works", "priority": "high"}},
    {"id": "after-hours", "conditions": {"local_from": "16:30", "local_until": "08:30"},
     "actions": {"priority": "low"}}]}


def written(tmp_path: Path, body: Any) -> str:
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(body))
    return str(path)


def refused(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


class TestRoutingRulesCommand:
    def test_rules_in_a_file_are_published_then_shown_with_their_versions(
            self, settings: Settings, desk: ServiceDesk, tmp_path: Path) -> None:
        published = civicdesk(settings, "routing-rules", "publish", written(tmp_path, RULES))
        assert published.returncode == 0, published.stderr
        shown = civicdesk(settings, "routing-rules", "show")
        assert shown.returncode == 0, shown.stderr
        rules = json.loads(shown.stdout)
        assert json.loads(published.stdout) == rules
        assert [(r["id"], r["version"]) for r in rules["rules"]] == \
            [("potholes", 1), ("after-hours", 1)]
        assert desk.known().routing_rules is not None  # the desk routes by them now

    @pytest.mark.parametrize(("body", "fragments"), [
        ({"rules": [{"id": "x", "actions": {"department": "nowhere"}}]},
         ("rules[0].actions.department", "nowhere")),
        ({"rules": [{"id": "x", "actions": {"priority": "asap"}}]},
         ("rules[0].actions.priority",)),
        ({"rules": [{"id": "x", "actions": {"assignee": "bo\u0000"}}]},
         ("rules[0].actions.assignee", "control character")),
        ({"rulez": []}, ("rulez",)),
    ])
    def test_a_bad_file_is_refused_naming_the_field_and_nothing_is_published(
            self, settings: Settings, desk: ServiceDesk, tmp_path: Path, body: Any,
            fragments: tuple[str, ...]) -> None:
        position = desk.log_position()
        refused(civicdesk(settings, "routing-rules", "publish", written(tmp_path, body)),
                "rules.json", *fragments)
        assert desk.log_position() == position

    def test_a_missing_file_is_named(self, settings: Settings, desk: ServiceDesk,
                                     tmp_path: Path) -> None:
        refused(civicdesk(settings, "routing-rules", "publish", str(tmp_path / "none.json")),
                "none.json")
