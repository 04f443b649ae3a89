"""Exactly one leader among several server processes: a PostgreSQL advisory lock elects it.

The deadline scheduler has one lock per desk (its schema); each read model has its own
(`AdvisoryLock(..., name=...)`), so that exactly one process runs its projection runner.
A lock lives as long as the leader's session: if the leader dies, PostgreSQL drops the
connection and the lock with it, and a standby takes over at its next attempt. A lock has a
connection of its own, or shares a `LockSession` with the other locks of its process (the
read models' locks do: one connection per process, whether it leads or stands by). On SQLite
there is one process, so it always leads.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import zlib
from collections.abc import Callable
from typing import Any

import psycopg

log = logging.getLogger("civicdesk.leadership")



def lock_key(schema: str, name: str | None = None) -> int:
    """A 64-bit key the desk's processes agree on: "civi" and a checksum of the schema for the
    scheduler, so two desks in one database (each in its own schema) elect their schedulers
    independently; "proj" and a checksum of the schema and `name` for a read model."""
    if name is None:
        return (0x63697669 << 32) | zlib.crc32(schema.encode())
    return (0x70726F6A << 32) | zlib.crc32(f"{schema}.{name}".encode())


class LockSession:
    """One connection holding several advisory locks of a process. Each reconnection starts a
    new `epoch`: locks taken in an earlier one went with its connection."""

    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo
        self.epoch = 0
        self._connection: psycopg.Connection[Any] | None = None
        self._mutex = threading.Lock()

    def ask(self, query: str, *params: Any) -> tuple[Any, int]:
        """The first column of `query`'s row, and the epoch it was asked in. Raises
        psycopg.Error if PostgreSQL cannot be reached or went away (the next call
        reconnects)."""
        with self._mutex:
            if self._connection is None or self._connection.closed:
                self._connection = psycopg.connect(self.conninfo, autocommit=True,
                                                   connect_timeout=5)
                self.epoch += 1
            try:
                row = self._connection.execute(query, params).fetchone()
            except psycopg.Error:
                self._connection.close()
                raise
            return (row[0] if row else None), self.epoch

    def close(self) -> None:
        with self._mutex:
            if self._connection is not None:
                self._connection.close()
                self._connection = None


class AdvisoryLock:
    """A session-level advisory lock: on a connection of its own (closed to release it), or
    in a shared `session` (unlocked to release it)."""

    def __init__(self, conninfo: str, schema: str = "public", *, name: str | None = None,
                 session: LockSession | None = None) -> None:
        self.conninfo = conninfo
        self.key = lock_key(schema, name)
        self.what = "the scheduler" if name is None else f"read model {name}"
        self.session = session
        self._connection: psycopg.Connection[Any] | None = None
        self._epoch: int | None = None  # the session's epoch this lock was taken in

    def try_acquire(self) -> bool:
        if self.session is not None:
            return self._try_acquire_in_session(self.session)
        if self._connection is not None and not self._connection.closed:
            return self.still_held()
        try:
            connection = psycopg.connect(self.conninfo, autocommit=True, connect_timeout=5)
        except psycopg.OperationalError:
            log.warning("cannot reach PostgreSQL to contend for %s", self.what)
            return False
        try:
            row = connection.execute("SELECT pg_try_advisory_lock(%s)",
                                     (self.key,)).fetchone()
        except psycopg.Error:  # the server went away between connecting and asking
            log.warning("lost PostgreSQL while contending for %s", self.what)
            connection.close()
            return False
        if row and row[0]:
            self._connection = connection
            return True
        connection.close()
        return False

    def _try_acquire_in_session(self, session: LockSession) -> bool:
        if self._epoch is not None:
            return self.still_held()
        try:
            # Only asked while not held: a session that holds a lock may take it again, and
            # would then need two unlocks to let it go.
            acquired, epoch = session.ask("SELECT pg_try_advisory_lock(%s)", self.key)
        except psycopg.Error:
            log.warning("cannot reach PostgreSQL to contend for %s", self.what)
            return False
        if acquired:
            self._epoch = epoch
        return bool(acquired)

    def still_held(self) -> bool:
        if self.session is not None:
            try:
                _, epoch = self.session.ask("SELECT 1")
            except psycopg.Error:
                epoch = None
            if epoch is not None and epoch == self._epoch:
                return True
            self._epoch = None  # the connection it was taken in is gone, and the lock with it
            return False
        try:
            assert self._connection is not None
            self._connection.execute("SELECT 1")
            return True
        except (psycopg.Error, AssertionError):
            self.release()
            return False

    def release(self) -> None:
        if self.session is not None:
            epoch, self._epoch = self._epoch, None
            if epoch is not None and epoch == self.session.epoch:
                with contextlib.suppress(psycopg.Error):
                    self.session.ask("SELECT pg_advisory_unlock(%s)", self.key)
            return
        if self._connection is not None:
            try:
                self._connection.close()
            finally:
                self._connection = None


class Election:
    """Runs `lead()` while this process holds the lock and `stand_down()` when it loses it.

    `on_change(is_leader)` hears this process's role: once after the first attempt (leader or
    standby), then at every change. `what` names what the leader runs, in the log.
    """

    def __init__(self, lock: AdvisoryLock | None, lead: Callable[[], None],
                 stand_down: Callable[[], None], interval: float = 2.0,
                 on_change: Callable[[bool], None] | None = None,
                 what: str = "the deadline scheduler") -> None:
        self.what = what
        self.lock = lock
        self.lead = lead
        self.stand_down = stand_down
        self.interval = interval
        self.on_change = on_change
        self.is_leader = False
        self._announced: bool | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, *, first_attempt_here: bool = False) -> None:
        """Contend for the lock in a thread of its own; with `first_attempt_here`, the first
        attempt (and `lead()` if it wins) runs in the caller's thread before `start` returns."""
        if first_attempt_here or self.lock is None:
            self._attempt()
            first_attempt_here = True
        if self.lock is None and self.is_leader:
            return  # nobody to contend with, and it runs: no thread needed
        self._thread = threading.Thread(
            target=self._contend, args=(first_attempt_here,), daemon=True,
            name=f"election: {self.what}")
        self._thread.start()

    def _become_leader(self) -> None:
        self.is_leader = True
        try:
            self.lead()
            log.info("this process runs %s", self.what)
        except Exception as error:
            # Holding the lock without running it would starve every standby; the next
            # attempt (every `interval`) tries again, here or in another process.
            if isinstance(error, TimeoutError):  # e.g. a read model it needs is rebuilding
                log.warning("cannot start %s yet (%s); trying again", self.what, error)
            else:
                log.exception("could not start %s; giving up the lock", self.what)
            self.is_leader = False
            self._safely(self.stand_down)
            if self.lock is not None:
                self.lock.release()

    def _announce(self) -> None:
        role, on_change = self.is_leader, self.on_change
        if on_change is not None and self._announced is not role:
            self._announced = role
            self._safely(lambda: on_change(role))

    @staticmethod
    def _safely(call: Callable[[], None]) -> None:
        try:
            call()
        except Exception:
            log.exception("election hook failed")

    def _contend(self, attempted: bool = False) -> None:
        while not (attempted and self._stopping.wait(self.interval)):
            if self._stopping.is_set():
                return
            self._attempt()
            attempted = True
            if self.lock is None and self.is_leader:
                return  # without a lock, once it runs nothing can take it away

    def _attempt(self) -> None:
        # Without a lock (SQLite: one process per file) this process always leads.
        held = True if self.lock is None else self.lock.try_acquire()
        if self._stopping.is_set():
            return
        if held and not self.is_leader:
            self._become_leader()
        elif not held and self.is_leader:
            log.warning("lost the lock of %s; standing by", self.what)
            self.is_leader = False
            self._safely(self.stand_down)
        self._announce()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self.is_leader:
            self.is_leader = False
            self.stand_down()
        if self.lock is not None:
            self.lock.release()
