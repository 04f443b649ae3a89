"""Who saw whose personal information: an append-only log of every disclosure of a case's
contact details or description (MFIPPA makes the Town answer "who saw my information").

It is a table beside the event log, not events in it: reads are far more frequent than
changes, and a read is not a fact about the case. The table refuses UPDATE and DELETE the
same way the event log does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from application.desk import ServiceDesk
from domain.actors import Actor
from infrastructure.database_roles import (
    ACCESS_LOG_TABLE,
    qualified,
    set_up_by_another_role,
)

TABLE = ACCESS_LOG_TABLE
MESSAGE = "the civicdesk access log is append-only"


@dataclass(frozen=True)
class Disclosure:
    at: datetime
    actor_id: str
    actor_role: str
    case_id: UUID
    route: str


class AccessLog:
    """Writes and queries the access log in the desk's own database."""

    def __init__(self, desk: ServiceDesk) -> None:
        self.datastore: Any = desk.recorder.datastore
        self.postgres = hasattr(self.datastore, "schema")
        self.mark = "%s" if self.postgres else "?"
        self.table = f'"{self.datastore.schema}".{TABLE}' if self.postgres else TABLE
        self.clock = desk.clock
        self._create()

    def _create(self) -> None:
        if self.postgres:
            guard = f'"{self.datastore.schema}".{TABLE}_refuse'
            statements = [
                f"CREATE TABLE IF NOT EXISTS {self.table} (id bigserial PRIMARY KEY, "
                "at timestamptz NOT NULL, actor_id text NOT NULL, actor_role text NOT NULL, "
                "case_id uuid NOT NULL, route text NOT NULL)",
                f"CREATE INDEX IF NOT EXISTS {TABLE}_by_case ON {self.table} (case_id, id)",
                f"CREATE OR REPLACE FUNCTION {guard}() RETURNS trigger LANGUAGE plpgsql AS "
                f"$$ BEGIN RAISE EXCEPTION '{MESSAGE}: % refused', TG_OP; END $$",
                f"CREATE OR REPLACE TRIGGER refuse_update_delete BEFORE UPDATE OR DELETE ON "
                f"{self.table} FOR EACH ROW EXECUTE FUNCTION {guard}()",
            ]
        else:
            statements = [
                f"CREATE TABLE IF NOT EXISTS {TABLE} (id INTEGER PRIMARY KEY AUTOINCREMENT, "
                "at TEXT NOT NULL, actor_id TEXT NOT NULL, actor_role TEXT NOT NULL, "
                "case_id TEXT NOT NULL, route TEXT NOT NULL)",
                f"CREATE INDEX IF NOT EXISTS {TABLE}_by_case ON {TABLE} (case_id, id)",
                *(f"CREATE TRIGGER IF NOT EXISTS {TABLE}_refuse_{op.lower()} BEFORE {op} ON "
                  f"{TABLE} BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
                  for op in ("UPDATE", "DELETE")),
            ]
        with self.datastore.transaction(commit=True) as cursor:
            if self.postgres and set_up_by_another_role(
                    cursor, qualified(self.datastore.schema, TABLE)):
                return  # the owner made it (`civicdesk migrate`); this role may only append
            for statement in statements:
                cursor.execute(statement)

    def record(self, actor: Actor, case_id: UUID, route: str) -> None:
        at = self.clock().astimezone(UTC)
        values = [at if self.postgres else at.isoformat(timespec="microseconds"), actor.id,
                  actor.role.value, case_id if self.postgres else str(case_id), route]
        marks = ", ".join([self.mark] * 5)
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(f"INSERT INTO {self.table} (at, actor_id, actor_role, case_id, "
                           f"route) VALUES ({marks})", values)

    def disclosures(self, *, case_id: UUID | None = None, actor_id: str | None = None,
                    after_id: int = 0, limit: int = 100) -> list[tuple[int, Disclosure]]:
        where, values = [f"id > {self.mark}"], [after_id]
        if case_id is not None:
            where.append(f"case_id = {self.mark}")
            values.append(case_id if self.postgres else str(case_id))  # type: ignore[arg-type]
        if actor_id is not None:
            where.append(f"actor_id = {self.mark}")
            values.append(actor_id)  # type: ignore[arg-type]
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(f"SELECT id, at, actor_id, actor_role, case_id, route FROM "
                           f"{self.table} WHERE {' AND '.join(where)} ORDER BY id "
                           f"LIMIT {self.mark}", [*values, limit])
            rows = cursor.fetchall()
        return [(int(r["id"]), Disclosure(
            at=r["at"].astimezone(UTC) if isinstance(r["at"], datetime)
            else datetime.fromisoformat(r["at"]),
            actor_id=r["actor_id"], actor_role=r["actor_role"],
            case_id=r["case_id"] if isinstance(r["case_id"], UUID) else UUID(r["case_id"]),
            route=r["route"])) for r in rows]
