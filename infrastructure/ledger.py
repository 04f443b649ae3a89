"""Reads the event log and its hash chain straight from the database, to prove them intact.

`chain_rows` walks every event beside its stored link in notification order: a full outer join
of the events and chain tables, so a missing event or a missing link shows up as a half row. It
reads one window of notification ids per query (keyset pagination, using each table's primary
key), so a log of millions of events is never held in memory. `verify_log` recomputes the chain
over that walk and checks that the append-only triggers are still as the recorder made them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from psycopg.sql import SQL, Identifier

from infrastructure.access_log import POSTGRES_GUARD_BODY as ACCESS_GUARD_BODY
from infrastructure.access_log import POSTGRES_GUARD_FUNCTION as ACCESS_GUARD_FUNCTION
from infrastructure.access_log import POSTGRES_GUARDS as POSTGRES_ACCESS_GUARDS
from infrastructure.access_log import SQLITE_GUARDS as SQLITE_ACCESS_GUARDS
from infrastructure.chain import ChainRow, Verdict, verify
from infrastructure.database_roles import (
    ACCESS_LOG_TABLE,
    RUNTIME_PRIVILEGES,
    RecordTables,
    qualified,
)
from infrastructure.recorders import (
    ChainedPostgresApplicationRecorder,
    ChainedSQLiteApplicationRecorder,
)

WINDOW = 10_000
# A stored id that is no UUID can only have been tampered with: any UUID then fails its link.
UNREADABLE_ID = UUID(int=0)
# The recorders' own DDL is the reference the triggers found in the database must match.
SQLITE_TRIGGER_DDL = re.compile(r"CREATE TRIGGER (?:IF NOT EXISTS )?(\w+) ")
TRIGGER_DDL = re.compile(r'CREATE OR REPLACE TRIGGER (\w+) .*? ON "[^"]+"\."([^"]+)" '
                         r'.*EXECUTE FUNCTION "[^"]+"\."([^"]+)"\(\)')
FUNCTION_DDL = re.compile(r'CREATE OR REPLACE FUNCTION "[^"]+"\."([^"]+)"\(\) '
                          r'RETURNS trigger .*? AS \$\$(.*)\$\$', re.DOTALL)


def chain_rows(desk: Application[Any], start: int | None = None, stop: int | None = None,
               *, window: int = WINDOW) -> Iterator[ChainRow]:
    """Rows from `start` to `stop` (inclusive); `stop` defaults to the head when the walk begins,
    so events appended during a long walk are left for the next one."""
    log = log_of(desk)
    last = log.head() if stop is None else stop
    after = 0 if start is None else start - 1
    while (first := log.next_id(after)) is not None and first <= last:
        after = min(first - 1 + window, last)  # a jump over any gap in the ids
        yield from log.window(first - 1, after)


def verify_log(desk: Application[Any]) -> Verdict:
    problems = log_of(desk).guard_problems()
    verdict = verify(chain_rows(desk))
    return replace(verdict, guard_ok=not problems, guard_problem="; ".join(problems) or None)


def log_of(desk: Application[Any]) -> _Log:
    recorder = desk.recorder
    if isinstance(recorder, ChainedSQLiteApplicationRecorder):
        return _SQLiteLog(recorder)
    if isinstance(recorder, ChainedPostgresApplicationRecorder):
        return _PostgresLog(recorder)
    raise TypeError(f"{type(recorder).__name__} keeps no hash chain")


class _Log:
    """The walk's reads and the guard check on one database; subclasses write the SQL."""

    head_sql: Any  # the largest notification id in either table (NULL when both are empty)
    next_sql: Any  # the smallest id in either table after :after
    window_sql: Any  # the full outer join of both tables for ids in (:after, :last]

    def __init__(self, datastore: Any) -> None:
        self.datastore = datastore

    def _query(self, sql: Any, params: dict[str, Any] | None = None) -> list[Any]:
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(sql, params or {})
            return list(cursor.fetchall())

    def head(self) -> int:
        return self._query(self.head_sql)[0]["id"] or 0

    def next_id(self, after: int) -> int | None:
        found: int | None = self._query(self.next_sql, {"after": after})[0]["id"]
        return found

    def window(self, after: int, last: int) -> Sequence[ChainRow]:
        return [chain_row(r) for r in self._query(self.window_sql, {"after": after, "last": last})]

    def guard_problems(self) -> list[str]:
        raise NotImplementedError


def chain_row(row: Any) -> ChainRow:
    originator_id = row["originator_id"]
    if originator_id is not None and not isinstance(originator_id, UUID):
        try:
            originator_id = UUID(originator_id)
        except (TypeError, ValueError, AttributeError):
            originator_id = UNREADABLE_ID
    state, stored_link, committed = row["state"], row["link"], row["committed_at"]
    signature = row["signature"]
    return ChainRow(notification_id=row["id"], originator_id=originator_id,
                    originator_version=row["version"], topic=row["topic"],
                    state=None if state is None else bytes(state),
                    stored_link=None if stored_link is None else bytes(stored_link),
                    committed=None if committed is None else int(committed),
                    signature=None if signature is None else bytes(signature))


class _SQLiteLog(_Log):
    def __init__(self, recorder: ChainedSQLiteApplicationRecorder) -> None:
        super().__init__(recorder.datastore)
        self.recorder = recorder
        events, chain = recorder.events_table_name, recorder.chain_table_name
        both = (f"(SELECT {{0}}(rowid) AS id FROM {events} {{1}} UNION ALL "
                f"SELECT {{0}}(notification_id) FROM {chain} {{2}}) AS ids")
        self.head_sql = "SELECT MAX(id) AS id FROM " + both.format("MAX", "", "")
        self.next_sql = "SELECT MIN(id) AS id FROM " + both.format(
            "MIN", "WHERE rowid > :after", "WHERE notification_id > :after")
        # SQLite plans a FULL OUTER JOIN of two ranges as a nested loop, so this is its
        # equivalent by primary-key lookups: every event with its link, then every orphan link.
        # Its columns take values of any type: casting reads a retyped value, which then fails
        # its link, instead of crashing the walk.
        self.window_sql = (
            "SELECT e.rowid AS id, e.originator_id, "
            "CAST(e.originator_version AS INTEGER) AS version, CAST(e.topic AS TEXT) AS topic, "
            "CAST(e.state AS BLOB) AS state, c.link, CAST(c.committed_at AS INTEGER) "
            f"AS committed_at, CAST(c.signature AS BLOB) AS signature FROM {events} AS e "
            f"LEFT JOIN {chain} AS c ON c.notification_id = e.rowid "
            "WHERE e.rowid > :after AND e.rowid <= :last UNION ALL "
            "SELECT c.notification_id, NULL, NULL, NULL, NULL, c.link, "
            "CAST(c.committed_at AS INTEGER), CAST(c.signature AS BLOB) "
            f"FROM {chain} AS c WHERE c.notification_id > :after AND c.notification_id <= :last "
            f"AND NOT EXISTS (SELECT 1 FROM {events} AS e WHERE e.rowid = c.notification_id) "
            "ORDER BY 1")

    def guard_problems(self) -> list[str]:
        # SQLite keeps each trigger's CREATE statement as written, less "IF NOT EXISTS".
        expected = {m.group(1): statement.replace("IF NOT EXISTS ", "", 1)
                    for statement in self.recorder.create_table_statements
                    if (m := SQLITE_TRIGGER_DDL.match(statement))}
        rows = self._query("SELECT name, tbl_name, sql FROM sqlite_master "
                           "WHERE type = 'trigger'")
        if self._query("SELECT 1 AS one FROM sqlite_master WHERE type = 'table' AND "
                       "name = :name", {"name": ACCESS_LOG_TABLE}):  # its guards, if set up
            expected |= {name: statement.replace("IF NOT EXISTS ", "", 1)
                         for name, statement in SQLITE_ACCESS_GUARDS.items()}
        actual = {row["name"]: row["sql"] for row in rows}
        problems = [f"trigger {name} is missing" if name not in actual
                    else f"trigger {name} was altered"
                    for name, sql in expected.items() if actual.get(name) != sql]
        # Anything else on the record's tables (a trigger that rewrites or drops what is
        # appended) was not made by civicdesk: the access log's own guards are the only others.
        events = self.recorder.events_table_name
        record = {events, f"{events}_chain", f"{events}_merkle", f"{events}_checkpoints",
                  f"{events}_signatures", ACCESS_LOG_TABLE}
        known = set(expected)
        return problems + [f"trigger {row['name']} on {row['tbl_name']} was not made by "
                           "civicdesk" for row in rows
                           if row["tbl_name"] in record and row["name"] not in known]


class _PostgresLog(_Log):
    def __init__(self, recorder: ChainedPostgresApplicationRecorder) -> None:
        super().__init__(recorder.datastore)
        self.recorder = recorder
        schema = recorder.datastore.schema
        names = {"events": Identifier(schema, recorder.events_table_name),
                 "chain": Identifier(schema, recorder.chain_table_name)}
        both = ("(SELECT {0}(notification_id) AS id FROM {{events}} {1} UNION ALL "
                "SELECT {0}(notification_id) FROM {{chain}} {1}) AS ids")
        self.head_sql = SQL("SELECT MAX(id) AS id FROM " + both.format("MAX", "")).format(**names)
        self.next_sql = SQL("SELECT MIN(id) AS id FROM " + both.format(
            "MIN", "WHERE notification_id > %(after)s")).format(**names)
        self.window_sql = SQL(
            "SELECT COALESCE(e.notification_id, c.notification_id) AS id, e.originator_id, "
            "e.originator_version AS version, e.topic, e.state, c.link, c.committed_at, "
            + ("c.signature " if recorder.signs_in_chain else "NULL::bytea AS signature ") +
            "FROM (SELECT * FROM {events} WHERE notification_id > %(after)s "
            "AND notification_id <= %(last)s) AS e FULL OUTER JOIN (SELECT * FROM {chain} "
            "WHERE notification_id > %(after)s AND notification_id <= %(last)s) AS c "
            "ON c.notification_id = e.notification_id ORDER BY 1").format(**names)

    def guard_problems(self) -> list[str]:
        schema = self.recorder.datastore.schema
        ddl = [statement.as_string(None) for statement in self.recorder.sql_create_statements]
        triggers = [m.groups() for s in ddl if (m := TRIGGER_DDL.match(s))]
        if self._query("SELECT to_regclass(%(table)s) IS NOT NULL AS found",
                       {"table": qualified(schema, ACCESS_LOG_TABLE)})[0]["found"]:
            triggers += [(name, ACCESS_LOG_TABLE, ACCESS_GUARD_FUNCTION)
                         for name in sorted(POSTGRES_ACCESS_GUARDS)]
        bodies = {m[1]: m[2] for s in ddl if (m := FUNCTION_DDL.match(s))}
        bodies[ACCESS_GUARD_FUNCTION] = ACCESS_GUARD_BODY
        actual = {(row["name"], row["relation"]): row for row in self._query(
            "SELECT t.tgname AS name, c.relname AS relation, t.tgenabled AS enabled, "
            "pn.nspname AS function_schema, p.proname AS function_name, p.prosrc AS body "
            "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_proc p ON p.oid = t.tgfoid "
            "JOIN pg_namespace pn ON pn.oid = p.pronamespace "
            "WHERE n.nspname = %(schema)s AND NOT t.tgisinternal", {"schema": schema})}
        problems = self._foreign_objects(schema, {(name, table) for name, table, _ in triggers},
                                         actual)
        for name, table, function in triggers:
            row = actual.get((name, table))
            if row is None:
                problems.append(f"trigger {name} on {table} is missing")
            elif row["enabled"] not in {"O", "A"}:  # "D" is disabled, "R" fires on replicas only
                problems.append(f"trigger {name} on {table} is disabled")
            elif (row["function_schema"], row["function_name"], row["body"]) != (
                    schema, function, bodies.get(function)):
                problems.append(f"trigger {name} on {table} runs an altered function")
        return problems

    def _foreign_objects(self, schema: str, expected: set[tuple[str, str]],
                         actual: dict[tuple[str, str], Any]) -> list[str]:
        """Every trigger, rule and row-level security policy on the record's tables that
        civicdesk did not make (the access log's own guard is the only other trigger)."""
        events = self.recorder.events_table_name
        record = [events, f"{events}_chain", f"{events}_merkle", f"{events}_checkpoints",
                  f"{events}_signatures", ACCESS_LOG_TABLE]
        problems = [f"trigger {name} on {table} was not made by civicdesk"
                    for name, table in sorted(actual) if table in record
                    and (name, table) not in expected]
        params = {"schema": schema, "tables": record}
        problems += [f"rule {row['name']} on {row['relation']} was not made by civicdesk"
                     for row in self._query(
                         "SELECT rulename AS name, tablename AS relation FROM pg_rules "
                         "WHERE schemaname = %(schema)s AND tablename = ANY(%(tables)s) "
                         "ORDER BY 2, 1", params)]
        problems += [f"policy {row['name']} on {row['relation']} was not made by civicdesk"
                     for row in self._query(
                         "SELECT policyname AS name, tablename AS relation FROM pg_policies "
                         "WHERE schemaname = %(schema)s AND tablename = ANY(%(tables)s) "
                         "ORDER BY 2, 1", params)]
        problems += [f"row-level security is enabled on {row['relation']}"
                     for row in self._query(
                         "SELECT c.relname AS relation FROM pg_class c JOIN pg_namespace n "
                         "ON n.oid = c.relnamespace WHERE n.nspname = %(schema)s "
                         "AND c.relname = ANY(%(tables)s) AND c.relrowsecurity ORDER BY 1",
                         params)]
        return problems + self._foreign_grants(schema)

    def _foreign_grants(self, schema: str) -> list[str]:
        """Every privilege on the record's tables held by a role that does not own them
        beyond what `civicdesk migrate --grant-to` grants (RUNTIME_PRIVILEGES); to PUBLIC,
        none at all."""
        kinds = {table: kind for kind, table in RecordTables(
            schema=schema, events=self.recorder.events_table_name).by_kind().items()}
        rows = self._query(
            "SELECT c.relname AS relation, COALESCE(r.rolname, 'PUBLIC') AS grantee, "
            "a.privilege_type AS privilege, a.grantee = 0 AS public "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "CROSS JOIN LATERAL aclexplode(c.relacl) AS a "
            "LEFT JOIN pg_roles r ON r.oid = a.grantee "
            "WHERE n.nspname = %(schema)s AND c.relname = ANY(%(tables)s) "
            "AND a.grantee <> c.relowner ORDER BY 1, 2, 3",
            {"schema": schema, "tables": list(kinds)})
        return [f"grant of {row['privilege']} on {row['relation']} to {row['grantee']} was "
                "not made by civicdesk" for row in rows
                if row["public"] or row["privilege"]
                not in RUNTIME_PRIVILEGES[kinds[row["relation"]]]]
