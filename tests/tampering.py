"""Tampering with the stored log behind the guard's back, as a DBA (or an intruder with their
password) would: the tamper-evidence and audit-export tests share these."""

from __future__ import annotations

import sqlite3
from types import TracebackType
from typing import Any
from uuid import UUID

import psycopg

from application.desk import ServiceDesk
from infrastructure.access_log import TABLE as ACCESS_LOG
from infrastructure.chain import link
from infrastructure.settings import Settings


class Dba:
    """The desk's tables reached directly, on SQLite or PostgreSQL; closes as a context manager."""

    def __init__(self, settings: Settings, desk: ServiceDesk) -> None:
        self.postgres = settings.is_postgres
        table = desk.recorder.events_table_name  # type: ignore[attr-defined]
        if self.postgres:
            self.connection: Any = psycopg.connect(str(settings.database_url), autocommit=True)
            self.events, self.id = f"{settings.database_schema}.{table}", "notification_id"
        else:
            self.connection = sqlite3.connect(settings.sqlite_path, isolation_level=None)
            self.events, self.id = table, "rowid"
        self.chain = f"{self.events}_chain"
        self.schema = settings.database_schema

    def __enter__(self) -> Dba:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.connection.close()

    def run(self, sql: str, *params: Any) -> list[Any]:
        """`sql` with `?` placeholders, on either database; the rows it returns, if any."""
        cursor = self.connection.execute(sql.replace("?", "%s") if self.postgres else sql, params)
        return list(cursor.fetchall()) if cursor.description else []

    # -- reading what is stored ---------------------------------------------------------------

    def event(self, position: int) -> tuple[UUID, int, str, bytes]:
        """The stored event's originator id, version, topic and state: what its link hashes."""
        [(originator_id, version, topic, state)] = self.run(
            f"SELECT originator_id, originator_version, topic, state FROM {self.events} "
            f"WHERE {self.id} = ?", position)
        return UUID(str(originator_id)), version, topic, bytes(state)

    def links(self) -> dict[int, bytes]:
        return {n: bytes(value) for n, value in self.run(
            f"SELECT notification_id, link FROM {self.chain} ORDER BY notification_id")}

    def triggers(self) -> list[tuple[str, str]]:
        """The guard: every trigger on the events and chain tables, with its table."""
        if self.postgres:
            return self.run("SELECT tgname, tgrelid::regclass::text FROM pg_trigger WHERE "
                            "tgrelid IN (?::regclass, ?::regclass) AND NOT tgisinternal",
                            self.events, self.chain)
        return self.run("SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'")

    # -- disarming the guard ------------------------------------------------------------------

    def drop_guard(self) -> None:
        for name, table in self.triggers():
            self.run(f"DROP TRIGGER {name} ON {table}" if self.postgres else f"DROP TRIGGER {name}")

    def sabotage_delete_guard(self, how: str) -> str:
        """Drop, neuter or disable the trigger refusing deletes of events; return its name."""
        if not self.postgres:
            name = f"{self.events}_refuse_delete"
            self.run(f"DROP TRIGGER {name}")
            if how == "neutered":
                self.run(f"CREATE TRIGGER {name} BEFORE DELETE ON {self.events} "
                         "BEGIN SELECT 1; END")
            return name
        name = "refuse_update_delete"
        self.run({"dropped": f"DROP TRIGGER {name} ON {self.events}",
                  "neutered": f"CREATE OR REPLACE FUNCTION {self.events}_refuse() RETURNS "
                              "trigger LANGUAGE plpgsql AS $$ BEGIN RETURN OLD; END $$",
                  "disabled": f"ALTER TABLE {self.events} DISABLE TRIGGER {name}"}[how])
        return name

    # -- altering, deleting, forging (with the guard dropped) ----------------------------------

    def break_access_log(self) -> None:
        """The access log refuses rows from now on (a full disk, a revoked grant)."""
        if self.postgres:
            self.run(f"CREATE FUNCTION {self.schema}.access_log_down() RETURNS trigger "
                     "LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'access log down'; END $$")
            self.run(f"CREATE TRIGGER access_log_down BEFORE INSERT ON {self.schema}."
                     f"{ACCESS_LOG} FOR EACH ROW EXECUTE FUNCTION "
                     f"{self.schema}.access_log_down()")
        else:
            self.run(f"CREATE TRIGGER access_log_down BEFORE INSERT ON {ACCESS_LOG} "
                     "BEGIN SELECT RAISE(ABORT, 'access log down'); END")

    def mend_access_log(self) -> None:
        self.run(f"DROP TRIGGER access_log_down ON {self.schema}.{ACCESS_LOG}" if self.postgres
                 else "DROP TRIGGER access_log_down")
        if self.postgres:
            self.run(f"DROP FUNCTION {self.schema}.access_log_down()")

    def set(self, position: int, column: str, value: Any) -> None:
        self.run(f"UPDATE {self.events} SET {column} = ? WHERE {self.id} = ?", value, position)

    def rewrite(self, position: int, old: bytes, new: bytes) -> None:
        """Replace `old` by `new` in the stored state of the event, leaving its link as it was."""
        state = self.event(position)[3]
        assert old in state, (old, state)
        self.set(position, "state", state.replace(old, new))

    def delete(self, position: int, *, link_too: bool = True) -> None:
        """Delete the event, and its chain link unless `link_too` is false."""
        self.run(f"DELETE FROM {self.events} WHERE {self.id} = ?", position)
        if link_too:
            self.run(f"DELETE FROM {self.chain} WHERE notification_id = ?", position)

    def insert_event(self, position: int, originator_id: UUID, version: int, topic: str,
                     state: bytes) -> None:
        self.run(f"INSERT INTO {self.events} ({self.id}, originator_id, originator_version, "
                 "topic, state) VALUES (?, ?, ?, ?, ?)", position,
                 originator_id if self.postgres else originator_id.hex, version, topic, state)

    def rechain_from(self, position: int) -> None:
        """Recompute every link from `position` on with the public formula, as a forger who
        knows it would, so that the walk of the live log alone passes again."""
        links = self.links()
        previous = links[max((p for p in links if p < position), default=0)] \
            if any(p < position for p in links) else bytes(32)
        committed = dict(self.run(f"SELECT notification_id, committed_at FROM {self.chain}"))
        for n in sorted(p for p in links if p >= position):
            previous = link(previous, n, *self.event(n), committed.get(n))
            self.run(f"UPDATE {self.chain} SET link = ? WHERE notification_id = ?", previous, n)
