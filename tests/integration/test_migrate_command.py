"""`civicdesk migrate`: the owner's set-up of the record, on either database, and its refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.command_line import civicdesk
from tests.conftest import DATABASES, fresh_database


@pytest.mark.parametrize("kind", DATABASES)
def test_migrate_sets_up_a_verifiable_record_and_is_repeatable(kind: str,
                                                                tmp_path: Path) -> None:
    with fresh_database(kind, tmp_path) as settings:
        # given an empty database, when the owner migrates it twice
        first = civicdesk(settings, "migrate")
        second = civicdesk(settings, "migrate")
        # then the first seeds the catalogue, the second adds nothing, and the log verifies
        assert first.returncode == 0, first.stderr
        assert second.returncode == 0, second.stderr
        assert "; 0 catalogue records added" not in first.stdout
        assert "; 0 catalogue records added" in second.stdout
        verified = civicdesk(settings, "verify")
        assert verified.returncode == 0, verified.stderr


def test_migrate_refuses_to_grant_on_sqlite_which_has_no_roles(tmp_path: Path) -> None:
    with fresh_database("sqlite", tmp_path) as settings:
        result = civicdesk(settings, "migrate", "--grant-to", "civicdesk_app")
    assert result.returncode == 2
    assert "--grant-to needs PostgreSQL" in result.stderr


@pytest.mark.postgres
def test_migrate_names_a_runtime_role_that_does_not_exist(tmp_path: Path) -> None:
    with fresh_database("postgres", tmp_path) as settings:
        result = civicdesk(settings, "migrate", "--grant-to", "no_such_civicdesk_role")
    assert result.returncode == 2
    assert "no database role no_such_civicdesk_role" in result.stderr
    assert "Traceback" not in result.stderr
