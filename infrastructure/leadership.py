"""Exactly one scheduler among several server processes: a PostgreSQL advisory lock elects it.

The lock lives as long as the leader's connection: if the leader dies, PostgreSQL drops the
connection and the lock with it, and a standby takes over at its next attempt. On SQLite there
is one process, so it always leads.
"""

from __future__ import annotations

import logging
import threading
import zlib
from collections.abc import Callable
from typing import Any

import psycopg

log = logging.getLogger("civicdesk.leadership")



def lock_key(schema: str) -> int:
    """A 64-bit key the desk's processes agree on: "civi" and a checksum of the schema, so two
    desks in one database (each in its own schema) elect their schedulers independently."""
    return (0x63697669 << 32) | zlib.crc32(schema.encode())


class AdvisoryLock:
    def __init__(self, conninfo: str, schema: str = "public") -> None:
        self.conninfo = conninfo
        self.key = lock_key(schema)
        self._connection: psycopg.Connection[Any] | None = None

    def try_acquire(self) -> bool:
        if self._connection is not None and not self._connection.closed:
            return self.still_held()
        try:
            connection = psycopg.connect(self.conninfo, autocommit=True, connect_timeout=5)
        except psycopg.OperationalError:
            log.warning("cannot reach PostgreSQL to contend for the scheduler")
            return False
        try:
            row = connection.execute("SELECT pg_try_advisory_lock(%s)",
                                     (self.key,)).fetchone()
        except psycopg.Error:  # the server went away between connecting and asking
            log.warning("lost PostgreSQL while contending for the scheduler")
            connection.close()
            return False
        if row and row[0]:
            self._connection = connection
            return True
        connection.close()
        return False

    def still_held(self) -> bool:
        try:
            assert self._connection is not None
            self._connection.execute("SELECT 1")
            return True
        except (psycopg.Error, AssertionError):
            self.release()
            return False

    def release(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            finally:
                self._connection = None


class Election:
    """Runs `lead()` while this process holds the lock and `stand_down()` when it loses it.

    `on_change(is_leader)` hears this process's role: once after the first attempt (leader or
    standby), then at every change.
    """

    def __init__(self, lock: AdvisoryLock | None, lead: Callable[[], None],
                 stand_down: Callable[[], None], interval: float = 2.0,
                 on_change: Callable[[bool], None] | None = None) -> None:
        self.lock = lock
        self.lead = lead
        self.stand_down = stand_down
        self.interval = interval
        self.on_change = on_change
        self.is_leader = False
        self._announced: bool | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.lock is None:
            self._become_leader()
            self._announce()
            return
        self._thread = threading.Thread(target=self._contend, name="scheduler-election",
                                        daemon=True)
        self._thread.start()

    def _become_leader(self) -> None:
        self.is_leader = True
        log.info("this process runs the deadline scheduler")
        try:
            self.lead()
        except Exception:
            # Holding the lock without running the scheduler would starve every standby.
            log.exception("could not start the deadline scheduler; giving up the lock")
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
            log.exception("scheduler election hook failed")

    def _contend(self) -> None:
        assert self.lock is not None
        while not self._stopping.is_set():
            held = self.lock.try_acquire()
            if self._stopping.is_set():
                break
            if held and not self.is_leader:
                self._become_leader()
            elif not held and self.is_leader:
                log.warning("lost the scheduler lock; standing by")
                self.is_leader = False
                self._safely(self.stand_down)
            self._announce()
            self._stopping.wait(self.interval)

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self.is_leader:
            self.is_leader = False
            self.stand_down()
        if self.lock is not None:
            self.lock.release()
