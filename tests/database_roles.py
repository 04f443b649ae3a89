"""A test's PostgreSQL database with two roles: the owner (the test server's superuser), who
runs `civicdesk migrate --grant-to`, and a fresh runtime role, as README "Operating it" sets
them up."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import psycopg

from infrastructure.settings import Settings
from tests.command_line import civicdesk
from tests.conftest import fresh_database


@dataclasses.dataclass(frozen=True)
class TwoRoles:
    owner: Settings  # the test server's superuser, who runs `civicdesk migrate`
    runtime: Settings  # the role `serve` would use
    role: str
    migrated: str  # what `civicdesk migrate` printed


def as_role(settings: Settings, role: str) -> Settings:
    url = urlparse(str(settings.database_url))
    return dataclasses.replace(settings, database_url=url._replace(
        netloc=f"{role}@{url.hostname}:{url.port or 5432}").geturl())


@contextmanager
def migrated_for_two_roles(tmp_path: Path) -> Iterator[TwoRoles]:
    """A fresh schema, migrated by the owner, and a fresh login role granted the runtime
    privileges (trust authentication: no password); both dropped afterwards."""
    role = f"civicdesk_app_{uuid.uuid4().hex[:10]}"
    with fresh_database("postgres", tmp_path) as owner:
        with psycopg.connect(str(owner.database_url), autocommit=True) as conn:
            conn.execute(f"CREATE ROLE {role} LOGIN")
        try:
            migrated = civicdesk(owner, "migrate", "--grant-to", role)
            assert migrated.returncode == 0, migrated.stderr
            yield TwoRoles(owner=owner, runtime=as_role(owner, role), role=role,
                           migrated=migrated.stdout)
        finally:
            with psycopg.connect(str(owner.database_url), autocommit=True) as conn:
                # its read-model tables go first, then what it was granted, then the role
                conn.execute(f"DROP SCHEMA {owner.database_schema} CASCADE")
                conn.execute(f"CREATE SCHEMA {owner.database_schema}")  # fresh_database drops it
                conn.execute(f"DROP OWNED BY {role}")
                conn.execute(f"DROP ROLE {role}")
