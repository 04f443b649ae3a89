"""Checks before a command uses the database: that PostgreSQL answers (a message naming where,
in seconds, instead of the connection pool's 30-second wait and traceback), and, for the
commands that only read, that a civicdesk database is there, so they never create an empty one."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from typing import TYPE_CHECKING

from application.desk import ServiceDesk
from infrastructure.master_key import has_master_key, master_key
from infrastructure.personal_vault import PersonalVault
from infrastructure.settings import Settings

if TYPE_CHECKING:
    import psycopg

CONNECT_TIMEOUT_SECONDS = 5
EVENTS_TABLES = {"sqlite": "stored_events", "postgres": "civicdesk_events"}
DATA_DIR_HINT = "set CIVICDESK_DATA_DIR to the server's data directory"


class DatabaseUnavailable(Exception):
    """The database cannot be reached, or holds no civicdesk event log."""


def reach(settings: Settings) -> None:
    """On PostgreSQL, connect once and disconnect; DatabaseUnavailable says where and why."""
    if not settings.is_postgres:
        return
    import psycopg

    try:
        with _connect(settings) as connection:
            if settings.database_schema:
                found = connection.execute(
                    "SELECT 1 FROM pg_namespace WHERE nspname = %s",
                    (settings.database_schema,)).fetchone()
                if found is None:
                    raise DatabaseUnavailable(
                        f"{settings.database_location}: the schema does not exist (create it "
                        f"first: CREATE SCHEMA {settings.database_schema})")
    except psycopg.Error as error:
        reason = " ".join(line.strip() for line in str(error).splitlines()) or repr(error)
        raise DatabaseUnavailable(
            f"cannot reach {settings.database_location}: {reason}") from None


def open_for_reading(settings: Settings) -> ServiceDesk:
    """The desk on the existing database, set up for nothing (CREATE_TABLE=no: setting the
    tables up would also quietly restore a dropped append-only guard before `verify` sees it).
    DatabaseUnavailable when there is no civicdesk database where the settings point."""
    if settings.is_postgres:
        reach(settings)
        if not _postgres_has_events(settings):
            raise DatabaseUnavailable(f"{settings.database_location} holds no civicdesk event "
                                      "log (start civicdesk serve on it once, or check "
                                      "CIVICDESK_DATABASE_URL and CIVICDESK_DATABASE_SCHEMA)")
    else:
        _check_sqlite_file(settings)
    desk = ServiceDesk(env={**settings.eventsourcing_env(), "CREATE_TABLE": "no"})
    if has_master_key(settings):
        # Reads customers' personal information; creates nothing either.
        desk.cipher = PersonalVault(desk.recorder.datastore,  # type: ignore[attr-defined]
                                    master_key(settings), create=False)
    return desk


def _check_sqlite_file(settings: Settings) -> None:
    path = settings.sqlite_path
    if not path.is_file():
        raise DatabaseUnavailable(f"no civicdesk database in {settings.data_dir}: {path} does "
                                  f"not exist ({DATA_DIR_HINT})")
    # Read-only, so checking cannot change the file.
    uri = f"{path.resolve().as_uri()}?mode=ro"
    try:
        with closing(sqlite3.connect(uri, uri=True)) as connection:
            found = connection.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                (EVENTS_TABLES["sqlite"],)).fetchone()
    except sqlite3.DatabaseError as error:
        raise DatabaseUnavailable(f"{path} is not a SQLite database: {error}") from None
    if found is None:
        raise DatabaseUnavailable(f"{path} holds no civicdesk event log ({DATA_DIR_HINT})")


def _postgres_has_events(settings: Settings) -> bool:
    table = f"{settings.database_schema or 'public'}.{EVENTS_TABLES['postgres']}"
    with _connect(settings) as connection:
        row = connection.execute("SELECT to_regclass(%s)", (table,)).fetchone()
    return row is not None and row[0] is not None


def _connect(settings: Settings) -> psycopg.Connection[tuple[object, ...]]:
    import psycopg

    env = settings.eventsourcing_env()
    return psycopg.connect(host=env["POSTGRES_HOST"], port=env["POSTGRES_PORT"],
                           dbname=env["POSTGRES_DBNAME"], user=env["POSTGRES_USER"],
                           password=env["POSTGRES_PASSWORD"],
                           connect_timeout=CONNECT_TIMEOUT_SECONDS)
