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
def migrated_for_two_roles(tmp_path: Path, *, owner_role: bool = False) -> Iterator[TwoRoles]:
    """A fresh schema, migrated by the owner, and a fresh login role granted the runtime
    privileges (trust authentication: no password); all dropped afterwards. The owner is the
    test server's superuser, or with `owner_role` a fresh login role that owns the schema, as
    README "Operating it" sets one up."""
    suffix = uuid.uuid4().hex[:10]
    role, owner_name = f"civicdesk_app_{suffix}", f"civicdesk_owner_{suffix}"
    with fresh_database("postgres", tmp_path) as server:
        schema = server.database_schema
        with psycopg.connect(str(server.database_url), autocommit=True) as conn:
            conn.execute(f"CREATE ROLE {role} LOGIN")
            if owner_role:
                conn.execute(f"CREATE ROLE {owner_name} LOGIN")
                conn.execute(f"ALTER SCHEMA {schema} OWNER TO {owner_name}")
        owner = as_role(server, owner_name) if owner_role else server
        try:
            migrated = civicdesk(owner, "migrate", "--grant-to", role)
            assert migrated.returncode == 0, migrated.stderr
            yield TwoRoles(owner=owner, runtime=as_role(server, role), role=role,
                           migrated=migrated.stdout)
        finally:
            with psycopg.connect(str(server.database_url), autocommit=True) as conn:
                # the roles' tables go first, then what they were granted, then the roles
                conn.execute(f"DROP SCHEMA {schema} CASCADE")
                conn.execute(f"CREATE SCHEMA {schema}")  # fresh_database drops it
                for name in (role, owner_name) if owner_role else (role,):
                    conn.execute(f"DROP OWNED BY {name}")
                    conn.execute(f"DROP ROLE {name}")
