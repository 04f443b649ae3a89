"""Shared fixtures: a ServiceDesk on a real SQLite file, and on PostgreSQL when configured."""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from application.desk import ServiceDesk
from engine.runner import ProjectionSet, ProjectionSpec
from infrastructure.bootstrap import build_desk, seed_catalogue
from infrastructure.settings import Settings
from tests.command_line import TEST_CHECKPOINT_SIGNER, TEST_MASTER_KEY

POSTGRES_URL = os.environ.get("CIVICDESK_TEST_DATABASE_URL")
# The secret every test's API verifies tokens with (Settings has no default: `civicdesk serve`
# refuses to start without one). Fresh per run, so no token outlives the run that made it.
TEST_SECRET = secrets.token_urlsafe(32)
REQUIRE_POSTGRES = os.environ.get("CIVICDESK_REQUIRE_POSTGRES") == "1"


class MovableClock:
    """A clock tests move by hand; never sleep to wait for a deadline."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        from datetime import timedelta

        self.now += timedelta(**delta)


@contextmanager
def fresh_postgres_schema(prefix: str = "t") -> Iterator[str]:
    """A new empty schema on the test server, dropped after use; skips or fails without one."""
    import psycopg

    if not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("CIVICDESK_REQUIRE_POSTGRES=1 but CIVICDESK_TEST_DATABASE_URL is unset")
        pytest.skip("PostgreSQL not configured (set CIVICDESK_TEST_DATABASE_URL)")
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
    except psycopg.OperationalError as error:
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL is required but not reachable: {error}")
        pytest.skip(f"PostgreSQL not reachable: {error}")
    try:
        yield schema
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


# Every database a test runs on: `@pytest.fixture(params=DATABASES)`, then `fresh_database`.
DATABASES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@contextmanager
def fresh_database(kind: str, data_dir: Path, **options: Any) -> Iterator[Settings]:
    """Settings (no scheduler, the test signing secret, checkpoint and master keys, then
    `options`) for a fresh, empty database of `kind`, "sqlite" in `data_dir` or "postgres" in
    a schema of its own, dropped after use. Desks built on them sign what they append with
    the key every `civicdesk` process of the tests uses (tests.command_line), so their logs
    verify alike."""
    options = {"jwt_secret": TEST_SECRET, "checkpoint_key": str(TEST_CHECKPOINT_SIGNER),
               "master_key": TEST_MASTER_KEY, **options}
    if kind == "sqlite":
        yield Settings(data_dir=data_dir, run_scheduler=False, **options)
        return
    with fresh_postgres_schema() as schema:
        yield Settings(data_dir=data_dir, database_url=POSTGRES_URL, database_schema=schema,
                       run_scheduler=False, **options)


@pytest.fixture(params=DATABASES)
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """Settings for a fresh, empty database of each kind."""
    with fresh_database(request.param, tmp_path) as settings:
        yield settings


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(datetime(2026, 3, 4, 15, 0, tzinfo=UTC))  # a Wednesday, 10:00 Toronto


@pytest.fixture
def desk(settings: Settings, clock: MovableClock) -> Iterator[ServiceDesk]:
    """A ServiceDesk with the Appendix IV catalogue seeded."""
    app = build_desk(settings, clock=clock)
    seed_catalogue(app)
    yield app
    app.close()


@contextmanager
def running_projections(settings: Settings, desk: ServiceDesk,
                        *specs: ProjectionSpec) -> Iterator[ProjectionSet]:
    """The read models of `specs`, followed by their runners in this process until the block
    ends, then closed."""
    projections = ProjectionSet(settings, desk, specs)
    try:
        projections.start()
        yield projections
    finally:
        projections.close()
