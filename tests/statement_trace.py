"""What a block of a test sends to the database, grouped into transactions: psycopg's
statements and transaction commands, and sqlite3's trace callback for connections opened
inside the block. It watches the real drivers and changes nothing they do."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import _connection_base

READS = ("SELECT", "SHOW", "SET", "LOCK", "LISTEN", "DEALLOCATE", "PRAGMA", "SAVEPOINT",
         "RELEASE")
ENDS = ("COMMIT", "END", "ROLLBACK")


def _text(sql: Any, connection: Any = None) -> str:
    if isinstance(sql, bytes | bytearray | memoryview):
        return bytes(sql).decode(errors="replace")
    if isinstance(sql, str):
        return sql
    try:
        return str(sql.as_string(connection))
    except Exception:
        return str(sql)


@dataclass
class Transaction:
    """One transaction of one connection: its statements and how it ended (COMMIT,
    ROLLBACK, or "autocommit" for a statement outside BEGIN ... END)."""

    statements: list[str] = field(default_factory=list)
    ended: str = ""

    @property
    def wrote(self) -> bool:
        return any(s.split(None, 1)[0].upper() not in READS for s in self.statements if s)

    def touches(self, table: str) -> bool:
        return any(table in s for s in self.statements)


@dataclass
class Trace:
    transactions: list[Transaction] = field(default_factory=list)
    _open: dict[int, Transaction] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def clear(self) -> None:
        with self._lock:
            self.transactions.clear()

    def commits_that_wrote(self) -> list[Transaction]:
        return [t for t in self.transactions if t.ended != "ROLLBACK" and t.wrote]

    def saw(self, connection: int, sql: str) -> None:
        sql = " ".join(sql.split())
        word = sql.split(None, 1)[0].upper() if sql else ""
        with self._lock:
            if word == "BEGIN":
                self._open[connection] = Transaction()
            elif word in ENDS and connection in self._open:
                transaction = self._open.pop(connection)
                transaction.ended = "ROLLBACK" if word == "ROLLBACK" else "COMMIT"
                self.transactions.append(transaction)
            elif connection in self._open:
                self._open[connection].statements.append(sql)
            elif word not in ENDS:
                self.transactions.append(Transaction([sql], "autocommit"))


@contextmanager
def traced() -> Iterator[Trace]:
    """Every transaction sent within the block (sqlite3: on connections opened in it)."""
    trace = Trace()
    execute, executemany = psycopg.Cursor.execute, psycopg.Cursor.executemany
    command = _connection_base.BaseConnection._exec_command
    connect = sqlite3.connect

    def traced_execute(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        trace.saw(id(self.connection), _text(query, self.connection))
        return execute(self, query, *args, **kwargs)

    def traced_executemany(self: Any, query: Any, params: Any, *args: Any,
                           **kwargs: Any) -> Any:
        trace.saw(id(self.connection), _text(query, self.connection))
        return executemany(self, query, params, *args, **kwargs)

    def traced_command(self: Any, sql: Any, *args: Any, **kwargs: Any) -> Any:
        trace.saw(id(self), _text(sql, self))
        return command(self, sql, *args, **kwargs)

    def traced_connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        connection = connect(*args, **kwargs)
        key = id(connection)
        connection.set_trace_callback(lambda sql: trace.saw(key, sql))
        return connection

    psycopg.Cursor.execute = traced_execute  # type: ignore[method-assign]
    psycopg.Cursor.executemany = traced_executemany  # type: ignore[method-assign]
    _connection_base.BaseConnection._exec_command = traced_command  # type: ignore[method-assign]
    sqlite3.connect = traced_connect  # type: ignore[assignment]
    try:
        yield trace
    finally:
        psycopg.Cursor.execute = execute  # type: ignore[method-assign]
        psycopg.Cursor.executemany = executemany  # type: ignore[method-assign]
        _connection_base.BaseConnection._exec_command = command  # type: ignore[method-assign]
        sqlite3.connect = connect
