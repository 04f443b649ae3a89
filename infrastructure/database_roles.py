"""PostgreSQL least privilege: which tables belong to the owner role (`civicdesk migrate`), what
it grants the runtime role that `serve` uses, and how `serve` tells that it runs as an owner.

The owner owns the record: the event log, its hash chain and the access log, with their
append-only triggers. The runtime role may only read and append to those (SELECT and INSERT;
the chain only SELECT, since its trigger writes it as the owner), so it cannot UPDATE, DELETE,
TRUNCATE, ALTER them or touch their triggers. It has CREATE on the schema for the read models,
which it makes, owns, rebuilds into new tables and drops (see README "Decisions").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg.sql import SQL, Identifier

ACCESS_LOG_TABLE = "personal_information_access"  # infrastructure.access_log.TABLE


# What `grant_runtime_role` grants on each record table, and so all the guard check
# (infrastructure.ledger) accepts granted to a role that does not own it. The tree and the
# checkpoints are written by the elected checkpointer in `serve`; what it writes is checked
# against the log and the signatures (`civicdesk verify`). The chain only its trigger writes,
# batch signatures included (infrastructure.event_signatures); the signatures table keeps the
# batches signed before they moved into the chain, so it is only read.
RUNTIME_PRIVILEGES = {
    "events": ("SELECT", "INSERT"), "access": ("SELECT", "INSERT"),
    "tree": ("SELECT", "INSERT"), "checkpoints": ("SELECT", "INSERT"),
    "signatures": ("SELECT",), "chain": ("SELECT",),
}


@dataclass(frozen=True)
class RecordTables:
    """The owner's tables in one schema, and the function that serialises appends."""

    schema: str
    events: str

    @property
    def chain(self) -> str:
        return f"{self.events}_chain"

    @property
    def tree(self) -> str:
        return f"{self.events}_merkle"

    @property
    def checkpoints(self) -> str:
        return f"{self.events}_checkpoints"

    @property
    def signatures(self) -> str:
        return f"{self.events}_signatures"

    @property
    def access_log(self) -> str:
        return ACCESS_LOG_TABLE

    @property
    def lock_function(self) -> str:
        return f"{self.events}_lock"

    def qualified(self, table: str) -> str:
        return qualified(self.schema, table)

    def by_kind(self) -> dict[str, str]:
        """Each table's name, by its key in RUNTIME_PRIVILEGES."""
        return {"events": self.events, "chain": self.chain, "access": self.access_log,
                "tree": self.tree, "checkpoints": self.checkpoints,
                "signatures": self.signatures}


def qualified(schema: str, table: str) -> str:
    """`table` of `schema` as a quoted, schema-qualified name (for to_regclass and friends)."""
    return ".".join('"' + part.replace('"', '""') + '"' for part in (schema, table))


class NoSuchRole(LookupError):
    """The runtime role to grant to does not exist (create it first: README, Operating it)."""


def record_tables(desk: Any) -> RecordTables:
    return RecordTables(schema=desk.recorder.datastore.schema,
                        events=desk.recorder.events_table_name)


def set_up_by_another_role(cursor: Any, qualified_table: str) -> bool:
    """True if `qualified_table` exists and the current role does not own it: the owner has
    set it up (`civicdesk migrate`), and re-running its CREATE statements would fail here
    (even `CREATE INDEX IF NOT EXISTS` and `CREATE OR REPLACE TRIGGER` need ownership)."""
    cursor.execute("SELECT pg_has_role(current_user, c.relowner, 'USAGE') AS ours "
                   "FROM pg_class c WHERE c.oid = to_regclass(%s)", [qualified_table])
    row = cursor.fetchone()
    return row is not None and not row["ours"]


def grant_runtime_role(desk: Any, role: str) -> None:
    """Give `role` exactly what `serve` needs (and revoke anything else it had on the record).

    Raises NoSuchRole if `role` does not exist."""
    tables = record_tables(desk)
    names = {
        "schema": Identifier(tables.schema), "role": Identifier(role),
        "events": Identifier(tables.schema, tables.events),
        "chain": Identifier(tables.schema, tables.chain),
        "access": Identifier(tables.schema, tables.access_log),
        "tree": Identifier(tables.schema, tables.tree),
        "checkpoints": Identifier(tables.schema, tables.checkpoints),
        "signatures": Identifier(tables.schema, tables.signatures),
        "lock": Identifier(tables.schema, tables.lock_function),
    }
    statements = [
        "GRANT USAGE, CREATE ON SCHEMA {schema} TO {role}",
        "REVOKE ALL ON TABLE {events}, {chain}, {access}, {tree}, {checkpoints}, {signatures} "
        "FROM {role}",
        *(f"GRANT {', '.join(privileges)} ON TABLE {{{table}}} TO {{role}}"
          for table, privileges in RUNTIME_PRIVILEGES.items()),
        "GRANT EXECUTE ON FUNCTION {lock}() TO {role}",
    ]
    with desk.recorder.datastore.transaction(commit=True) as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None:
            raise NoSuchRole(role)
        for statement in statements:
            cursor.execute(SQL(statement).format(**names))  # type: ignore[arg-type]
        # The customers' keys and search tokens (infrastructure.personal_vault), if set up:
        # a key is destroyed by overwriting it, a token by deleting it.
        for table, privileges in (("customer_keys", "SELECT, INSERT, UPDATE"),
                                  ("customer_tokens", "SELECT, INSERT, DELETE"),
                                  ("master_key_check", "SELECT")):
            cursor.execute("SELECT to_regclass(%s) AS found", [tables.qualified(table)])
            if cursor.fetchone()["found"] is not None:
                cursor.execute(SQL(f"GRANT {privileges} ON TABLE {{}} TO {{}}").format(
                    Identifier(tables.schema, table), Identifier(role)))  # type: ignore[arg-type]
        for table, column in ((tables.events, "notification_id"), (tables.access_log, "id"),
                              (tables.checkpoints, "id")):
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s) AS sequence",
                           [tables.qualified(table), column])
            sequence = cursor.fetchone()["sequence"]
            cursor.execute(SQL("GRANT USAGE ON SEQUENCE {} TO {}").format(
                SQL(sequence), Identifier(role)))  # type: ignore[arg-type]


def owner_level_reasons(desk: Any) -> list[str]:
    """Why the role `desk` connects as is more than the runtime role (empty if it is not):
    it is a superuser, owns the event log, or may UPDATE, DELETE or TRUNCATE it."""
    tables = record_tables(desk)
    with desk.recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute(
            "SELECT current_user AS role, r.rolsuper AS superuser, "
            "pg_has_role(current_user, c.relowner, 'USAGE') AS owner, "
            "has_table_privilege(c.oid, 'UPDATE') OR has_table_privilege(c.oid, 'DELETE') "
            "OR has_table_privilege(c.oid, 'TRUNCATE') AS alters "
            "FROM pg_roles r, pg_class c "
            "WHERE r.rolname = current_user AND c.oid = to_regclass(%s)",
            [tables.qualified(tables.events)])
        row = cursor.fetchone()
    if row is None:
        return []
    reasons = []
    if row["superuser"]:
        reasons.append(f"role {row['role']} is a superuser")
    if row["owner"]:
        reasons.append(f"role {row['role']} owns the event log {tables.events}")
    if row["alters"] and not row["superuser"]:
        reasons.append(f"role {row['role']} may UPDATE, DELETE or TRUNCATE the event log")
    return reasons
