"""What one receipt costs the database, counted rather than timed: SQL round trips,
statements, transactions and writing commits (each a WAL flush or an fsync), and the CPU of
this process, per `POST /api/v1/cases`, beside one raw single-row autocommit insert.

Wall-clock figures on a shared machine move with its load; these counts do not. The desk is
served in this process (Litestar's test client, the app `civicdesk serve` builds), on a fresh
PostgreSQL schema (`--database postgres`, from CIVICDESK_DATABASE_URL or
CIVICDESK_TEST_DATABASE_URL) or SQLite file, with or without its read models
(`--read-models`), for `--receipts N` receipts one after another, each a new customer with
name, email and phone (sealed, blind-indexed, matched), as a CSR sends them. Every statement of
every thread of the process is traced (psycopg's waits and statements; sqlite3's trace
callback) and counted per receipt, split into the request's own thread(s) and the background
(read models, their supervisor); the background is also counted per second while idle.

    .venv/bin/python bench/receipt_cost.py [--database postgres|sqlite|both]
        [--receipts 200] [--read-models] [--idle 3]
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import sqlite3
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg
from psycopg import _connection_base
from psycopg.waiting import Ready

READS = ("SELECT", "SHOW", "LOCK", "LISTEN", "UNLISTEN", "SET", "DEALLOCATE", "FETCH",
         "DECLARE", "CLOSE", "PRAGMA", "SAVEPOINT", "RELEASE", "EXPLAIN")


def _first_word(sql: Any) -> str:
    if isinstance(sql, bytes | bytearray | memoryview):
        text = bytes(sql).decode(errors="replace")
    elif isinstance(sql, str):
        text = sql
    else:  # psycopg.sql.Composed: its first literal part
        text = " ".join(re.findall(r"SQL\('([^']*)'\)", str(sql))) or str(sql)
    words = text.strip().split(None, 1)
    return words[0].upper() if words else ""


def _writes(sql: Any) -> bool:
    """Whether a statement may change data (a SELECT of a function may, too: the lock
    function and the chain's trigger run inside INSERTs, so a plain SELECT is counted as a
    read)."""
    return _first_word(sql) not in (*READS, "BEGIN", "COMMIT", "ROLLBACK", "END")


@dataclass
class Tally:
    round_trips: int = 0
    statements: int = 0
    transactions: int = 0  # BEGIN ... COMMIT/ROLLBACK, and autocommit statements
    commits: int = 0  # writing commits
    synced: int = 0  # of those, the ones that wait for the disk (WAL flush, or SQLite's sync)
    kinds: Counter[str] = field(default_factory=Counter)

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.round_trips + other.round_trips, self.statements + other.statements,
                     self.transactions + other.transactions, self.commits + other.commits,
                     self.synced + other.synced, self.kinds + other.kinds)


def family(thread: str) -> str:
    """The request threads, or the background thread's kind (digits dropped)."""
    if thread == "MainThread" or "AnyIO" in thread or "asyncio" in thread:
        return "request"
    return re.sub(r"[-_ ]*\d+", "", thread) or "background"


class Trace:
    """Counts, per thread, what every database connection of this process does."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.tallies: dict[str, Tally] = {}
        self._open: dict[int, bool] = {}  # connection id -> wrote in its open transaction
        self._in_transaction: set[int] = set()
        self.unsynced: set[int] = set()  # connections whose commits do not wait for the disk
        self.on = False
        self.log: list[str] | None = None  # when set, every statement: "thread: sql"

    def _tally(self) -> Tally:
        return self.tallies.setdefault(family(threading.current_thread().name), Tally())

    def reset(self) -> dict[str, Tally]:
        with self._lock:
            tallies, self.tallies = self.tallies, {}
        return tallies

    def round_trip(self) -> None:
        if self.on:
            with self._lock:
                self._tally().round_trips += 1
                if self.log is not None:
                    self.log.append(f"{threading.current_thread().name[:24]:<24}   "
                                    "<- round trip")

    def statement(self, connection: int, sql: Any) -> None:
        word = _first_word(sql)
        with self._lock:
            tally = self._tally()
            if word == "BEGIN":
                self._in_transaction.add(connection)
                self._open[connection] = False
            elif word in ("COMMIT", "END", "ROLLBACK"):
                if connection in self._in_transaction:
                    self._in_transaction.discard(connection)
                    wrote = self._open.pop(connection, False)
                    if self.on:
                        tally.transactions += 1
                        tally.commits += word != "ROLLBACK" and wrote
                        tally.synced += (word != "ROLLBACK" and wrote
                                         and connection not in self.unsynced)
            else:
                if connection in self._in_transaction:
                    self._open[connection] = self._open.get(connection, False) or _writes(sql)
                elif self.on:  # autocommit: a transaction of its own
                    tally.transactions += 1
                    tally.commits += _writes(sql)
                    tally.synced += _writes(sql) and connection not in self.unsynced
            if self.on and self.log is not None:
                text = sql if isinstance(sql, str) else (
                    bytes(sql).decode(errors="replace")
                    if isinstance(sql, bytes | bytearray | memoryview) else
                    " ".join(re.findall(r"SQL\('([^']*)'\)", str(sql))))
                self.log.append(f"{threading.current_thread().name[:24]:<24} "
                                f"{' '.join(text.split())[:150]}")
            if self.on:
                tally.statements += 1
                tally.kinds[word] += 1

    # -- hooks -----------------------------------------------------------------------------

    def install(self) -> None:
        trace = self
        wait = psycopg.Connection.wait

        def exchanges(gen: Any) -> Any:
            """`gen` (psycopg's I/O generator), counting each answer read after something
            was sent: a round trip, however many statements a pipeline sent in it."""
            sent = True  # a generator usually sends before its first wait
            try:
                state = next(gen)
                while True:
                    ready = yield state
                    if ready is not None and ready & Ready.W:
                        sent = True
                    if ready is not None and ready & Ready.R and sent:
                        trace.round_trip()
                        sent = False
                    state = gen.send(ready)
            except StopIteration as done:
                return done.value

        def counted_wait(self: Any, gen: Any, *args: Any, **kwargs: Any) -> Any:
            return wait(self, exchanges(gen) if trace.on else gen, *args, **kwargs)

        psycopg.Connection.wait = counted_wait  # type: ignore[method-assign]
        execute, executemany = psycopg.Cursor.execute, psycopg.Cursor.executemany

        def counted_execute(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
            trace.statement(id(self.connection), query)
            return execute(self, query, *args, **kwargs)

        def counted_executemany(self: Any, query: Any, params: Any, *args: Any,
                                **kwargs: Any) -> Any:
            rows = list(params)
            for _ in rows or [None]:
                trace.statement(id(self.connection), query)
            return executemany(self, query, rows, *args, **kwargs)

        psycopg.Cursor.execute = counted_execute  # type: ignore[method-assign]
        psycopg.Cursor.executemany = counted_executemany  # type: ignore[method-assign]
        exec_command = _connection_base.BaseConnection._exec_command

        def counted_command(self: Any, command: Any, *args: Any, **kwargs: Any) -> Any:
            if "synchronous_commit=off" in str(self.info.get_parameters().get("options")):
                trace.unsynced.add(id(self))
            trace.statement(id(self), command)
            return exec_command(self, command, *args, **kwargs)

        _connection_base.BaseConnection._exec_command = counted_command  # type: ignore[method-assign]
        connect = sqlite3.connect

        def traced_connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
            connection = connect(*args, **kwargs)
            key = id(connection)

            def callback(sql: str) -> None:
                if " ".join(sql.split()).upper() == "PRAGMA SYNCHRONOUS = NORMAL":
                    trace.unsynced.add(key)  # WAL mode: a commit is not synced to the disk
                trace.statement(key, sql)
                trace.round_trip()  # in-process: a call into SQLite, not a network trip

            connection.set_trace_callback(callback)
            return connection

        sqlite3.connect = traced_connect  # type: ignore[assignment]


TRACE = Trace()
TRACE.install()

import httpx  # noqa: E402
from litestar.testing import TestClient  # noqa: E402

from api.app import create_app  # noqa: E402
from api.auth import issue_token  # noqa: E402
from infrastructure.master_key import new_master_key  # noqa: E402
from infrastructure.settings import Settings  # noqa: E402
from infrastructure.signed_note import Signer  # noqa: E402


def postgres_url() -> str | None:
    return (os.environ.get("CIVICDESK_DATABASE_URL")
            or os.environ.get("CIVICDESK_TEST_DATABASE_URL"))


@contextmanager
def database(kind: str) -> Iterator[Settings]:
    common: dict[str, Any] = dict(
        jwt_secret=secrets.token_hex(32), run_scheduler=False,
        checkpoint_key=str(Signer.generate("civicdesk.bench/log")),
        master_key=new_master_key())
    with tempfile.TemporaryDirectory(prefix="receipt-cost-") as data_dir:
        if kind == "sqlite":
            yield Settings(data_dir=Path(data_dir), **common)
            return
        url = postgres_url()
        if url is None:
            raise SystemExit("set CIVICDESK_DATABASE_URL for --database postgres")
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        try:
            yield Settings(data_dir=Path(data_dir), database_url=url, database_schema=schema,
                           **common)
        finally:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA {schema} CASCADE")


def body(i: int) -> dict[str, Any]:
    tag = secrets.token_hex(4)
    return {"channel": "email", "purpose": "issue_or_complaint", "department": "public-works",
            "subject": "Pothole", "description": "Deep hole on King St",
            "contact": {"name": f"Ann Example {tag}", "email": f"ann.{tag}@example.org",
                        "phone": f"613-{secrets.randbelow(10**7):07d}"}}


@dataclass
class Cost:
    what: str
    per: int
    tallies: dict[str, Tally]
    cpu_seconds: float
    wall_seconds: float

    def row(self, group: str) -> str:
        t = self.tallies.get(group, Tally())
        return (f"{self.what:<22} {group:<34} {t.round_trips / self.per:8.2f} "
                f"{t.statements / self.per:8.2f} {t.transactions / self.per:8.2f} "
                f"{t.commits / self.per:8.2f} {t.synced / self.per:8.2f}")


def measured(what: str, per: int, run: Callable[[], None]) -> Cost:
    TRACE.reset()
    TRACE.on = True
    cpu, wall = time.process_time(), time.perf_counter()
    run()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    TRACE.on = False
    return Cost(what, per, TRACE.reset(), cpu, wall)


def raw_insert(settings: Settings, n: int) -> Cost:
    """One single-row autocommit insert per row (the issue's ceiling), on the same database."""
    if settings.database_url is None:
        path = settings.data_dir / "raw.sqlite"
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("CREATE TABLE raw (id INTEGER PRIMARY KEY, body TEXT)")

        def run_sqlite() -> None:
            for i in range(n):
                conn.execute("INSERT INTO raw (body) VALUES (?)", [f"row {i}"])

        try:
            return measured("raw INSERT", n, run_sqlite)
        finally:
            conn.close()
    with psycopg.connect(settings.database_url, autocommit=True) as pg:
        pg.execute(f"CREATE TABLE {settings.database_schema}.raw (id bigserial PRIMARY KEY, "
                   "body text)")

        def run_postgres() -> None:
            for i in range(n):
                pg.execute(f"INSERT INTO {settings.database_schema}.raw (body) VALUES (%s)",
                           [f"row {i}"])

        return measured("raw INSERT", n, run_postgres)


def lag(client: TestClient[Any], admin: str) -> int:
    """The largest read-model lag, asked untraced (the question is not the receipt's)."""
    was, TRACE.on = TRACE.on, False
    try:
        answer = client.get("/api/v1/admin/projections",
                            headers={"Authorization": f"Bearer {admin}"})
        return max((p["lag"] for p in answer.json()["projections"]), default=0)
    finally:
        TRACE.on = was


def caught_up(client: TestClient[Any], admin: str, limit: float = 120.0) -> None:
    deadline = time.monotonic() + limit
    while lag(client, admin) and time.monotonic() < deadline:
        time.sleep(0.1)


def receipts(kind: str, n: int, read_models: bool, idle: float,
             show: bool = False, settle: float = 3.0) -> list[Cost]:
    with database(kind) as base:
        settings = Settings(**{**base.__dict__, "run_projections": read_models})
        raw = raw_insert(settings, n)
        app = create_app(settings)
        csr = issue_token(settings, sub="bench-csr", role="csr", departments=[])
        admin = issue_token(settings, sub="bench-admin", role="admin", departments=[])
        headers = {"Authorization": f"Bearer {csr}"}
        with TestClient(app, timeout=httpx.Timeout(60)) as client:
            for i in range(5):  # warm-up: pools, plans, caches, the year's lane
                assert client.post("/api/v1/cases", json=body(i), headers=headers
                                   ).status_code == 201
            if read_models:
                caught_up(client, admin)
            time.sleep(0.5)

            def run() -> None:
                for i in range(n):
                    answer = client.post("/api/v1/cases", json=body(i), headers=headers)
                    assert answer.status_code == 201, answer.text
                if read_models:
                    time.sleep(settle)  # the read models apply what came (lag checked after)

            if show:
                TRACE.log = []
                TRACE.on = True
                client.post("/api/v1/cases", json=body(0), headers=headers)
                if read_models:
                    caught_up(client, admin)
                TRACE.on = False
                print("\n".join(TRACE.log))
                TRACE.log = None
                TRACE.reset()
            idle_cost = None
            if idle > 0:
                def wait() -> None:
                    time.sleep(idle)
                idle_cost = measured("idle, per second", 1, wait)
                idle_cost.per = max(1, round(idle))
            cost = measured("receipt", n, run)
            if read_models:
                print(f"(read-model lag after settling: {lag(client, admin)} events)")
            if idle_cost is not None:
                # The background's polling goes on whether or not receipts come: take what
                # it does idle over the same time off, leaving what the receipts made it do.
                seconds = cost.wall_seconds
                cost.cpu_seconds -= idle_cost.cpu_seconds * seconds / idle_cost.wall_seconds
                for name, tally in idle_cost.tallies.items():
                    if name == "request" or name not in cost.tallies:
                        continue
                    rate = seconds / idle_cost.per
                    busy = cost.tallies[name]
                    cost.tallies[name] = Tally(
                        max(0, round(busy.round_trips - tally.round_trips * rate)),
                        max(0, round(busy.statements - tally.statements * rate)),
                        max(0, round(busy.transactions - tally.transactions * rate)),
                        max(0, round(busy.commits - tally.commits * rate)),
                        max(0, round(busy.synced - tally.synced * rate)), busy.kinds)
        return [raw, cost] + ([idle_cost] if idle_cost is not None else [])


def report(kind: str, read_models: bool, costs: list[Cost]) -> None:
    where = "PostgreSQL" if kind == "postgres" else "SQLite"
    print(f"\n{where}, read models {'on' if read_models else 'off'}; per receipt (per second "
          "when idle)")
    print(f"{'':<22} {'threads':<34} {'round':>8} {'stmts':>8} {'xacts':>8} {'commits':>8} "
          f"{'synced':>8}")
    for cost in costs:
        groups = sorted(cost.tallies) or ["request"]
        for group in groups:
            print(cost.row(group))
        if len(groups) > 1:
            total = Cost(cost.what, cost.per, {"all": sum(cost.tallies.values(), Tally())},
                         0, 0)
            print(total.row("all"))
        if "idle" not in cost.what:
            print(f"{'':<22} CPU {1000 * cost.cpu_seconds / cost.per:.2f} ms of this process "
                  f"(wall {1000 * cost.wall_seconds / cost.per:.2f} ms, load "
                  f"{os.getloadavg()[0]:.1f})")
    request = costs[1].tallies.get("request", Tally())
    print("request statements by kind, per receipt: " + ", ".join(
        f"{k} {v / costs[1].per:.2f}" for k, v in request.kinds.most_common()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["postgres", "sqlite", "both"], default="both")
    parser.add_argument("--receipts", type=int, default=200)
    parser.add_argument("--read-models", action="store_true",
                        help="run the read models in the process too (as `serve` does)")
    parser.add_argument("--idle", type=float, default=3.0,
                        help="seconds of idling to count the background's polling")
    parser.add_argument("--show", action="store_true",
                        help="print every statement of one receipt first")
    args = parser.parse_args(argv)
    kinds = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    for kind in kinds:
        report(kind, args.read_models, receipts(kind, args.receipts, args.read_models,
                                                args.idle, args.show))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
