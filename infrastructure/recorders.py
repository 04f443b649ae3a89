"""Event recorders that refuse UPDATE and DELETE and link every stored event into a hash chain.

The chain link of notification n is sha256(link(n-1) || n || originator id || version ||
sha256(topic) || sha256(state) || commit time), written in the same transaction as the event,
so no event is ever stored unchained. The commit time (microseconds since the epoch) is taken
under the chain's lock, which is held until the transaction commits: the clock, or one
microsecond after the previous event's if the clock stepped back, so it is strictly monotonic
in log order. SQLite computes both here in Python (the process's clock); PostgreSQL in a
trigger (the database server's clock) whose arithmetic `infrastructure.chain.link` repeats
byte for byte.

Only the demo loader (infrastructure.demo.recording) gives the events it appends commit times
of its simulated year (`simulated_commit_times`): each is still raised to one microsecond
after the previous event's and lowered to the real clock, so commit times stay strictly
monotonic and never run ahead of real time. Nothing in the environment or settings sets them.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, Notification, StoredEvent, Subscription
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteDatastore
from psycopg.sql import SQL, Identifier

from infrastructure.access_log import write_pending_disclosures
from infrastructure.chain import GENESIS, link
from infrastructure.database_roles import RecordTables, set_up_by_another_role
from infrastructure.event_signatures import (
    batch_setting,
    chain_signature,
    sign_batch,
    sign_link,
    stored_rows,
)
from infrastructure.signed_note import Signer

# "civicset": the key of the lock that serialises table set-up across processes.
SETUP_LOCK_KEY = 0x6369766963736574
APPEND_ONLY_MESSAGE = "the civicdesk event log is append-only"


# Writes, inside the transaction that inserts events, what waits for the first event of an
# aggregate among them (a new customer's data key and search tokens:
# infrastructure.personal_vault.PersonalVault.write_staged), given the cursor and those
# aggregates' ids.
StagedWriter = Callable[[Any, list[UUID | str]], None]


def _first_events(stored_events: Sequence[StoredEvent]) -> list[UUID | str]:
    return [e.originator_id for e in stored_events if e.originator_version == 1]


# The polling subscriptions of each SQLite file in this process, woken when this process
# appends to it, so an idle poll can back off far without delaying this process's own events.
_pollers: dict[str, set[threading.Event]] = {}
_pollers_lock = threading.Lock()


def _wake_pollers(db_name: str) -> None:
    with _pollers_lock:
        for woken in _pollers.get(db_name, ()):
            woken.set()


class ChainedSQLiteApplicationRecorder(SQLiteApplicationRecorder):
    # The key that signs each appended batch (infrastructure.event_signatures), set by
    # whoever builds the desk with one; None: batches are appended unsigned.
    signer: Signer | None = None
    # Set by whoever builds the desk with a personal vault (see StagedWriter).
    staged_writer: StagedWriter | None = None
    # The clock commit times are taken from (nanoseconds since the epoch); a test steps it.
    commit_clock: Callable[[], int] = staticmethod(time.time_ns)
    # Demo only: the commit time (microseconds since the epoch) to give each event appended
    # next, one value per event, set by the demo loader while it records its simulated year.
    simulated_commit_times: Iterator[int] | None = None

    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name)
        self.chain_table_name = f"{events_table_name}_chain"

    def construct_create_table_statements(self) -> list[str]:
        events, chain = self.events_table_name, f"{self.events_table_name}_chain"
        statements = super().construct_create_table_statements()
        tree, checkpoints = f"{events}_merkle", f"{events}_checkpoints"
        signatures = f"{events}_signatures"
        statements += [
            # `signature`: the application's signature of the batch this row ends, if it ends
            # one (infrastructure.event_signatures); on no other row.
            f"CREATE TABLE IF NOT EXISTS {chain} ("
            "notification_id INTEGER PRIMARY KEY, link BLOB NOT NULL, committed_at INTEGER, "
            "signature BLOB)",
            # The Merkle tree's perfect subtrees (infrastructure.merkle_store) and the signed
            # checkpoints over it (infrastructure.checkpoints): append-only like the log.
            f"CREATE TABLE IF NOT EXISTS {tree} (level INTEGER NOT NULL, idx INTEGER NOT NULL, "
            "hash BLOB NOT NULL, notification_id INTEGER, PRIMARY KEY (level, idx))",
            f"CREATE UNIQUE INDEX IF NOT EXISTS {tree}_position ON {tree} (notification_id)",
            f"CREATE TABLE IF NOT EXISTS {checkpoints} (id INTEGER PRIMARY KEY, "
            "tree_size INTEGER NOT NULL, note TEXT NOT NULL)",
            f"CREATE INDEX IF NOT EXISTS {checkpoints}_size ON {checkpoints} (tree_size, id)",
            # Where batches were signed before signatures moved into the chain row: kept, and
            # checked, for the rows it holds; nothing is appended to it any more.
            f"CREATE TABLE IF NOT EXISTS {signatures} (first_id INTEGER PRIMARY KEY, "
            "last_id INTEGER NOT NULL, signature BLOB NOT NULL)",
        ]
        for table in (events, chain, tree, checkpoints, signatures):
            for operation in ("UPDATE", "DELETE"):
                statements.append(
                    f"CREATE TRIGGER IF NOT EXISTS {table}_refuse_{operation.lower()} "
                    f"BEFORE {operation} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
                )
        # INSERT OR REPLACE deletes the old row without firing DELETE triggers.
        refuse = f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
        statements += [
            f"CREATE TRIGGER IF NOT EXISTS {events}_refuse_replace BEFORE INSERT ON {events} "
            f"WHEN EXISTS (SELECT 1 FROM {events} WHERE rowid = NEW.rowid) OR EXISTS ("
            f"SELECT 1 FROM {events} WHERE originator_id = NEW.originator_id "
            f"AND originator_version = NEW.originator_version) {refuse}",
            f"CREATE TRIGGER IF NOT EXISTS {chain}_refuse_replace BEFORE INSERT ON {chain} "
            f"WHEN EXISTS (SELECT 1 FROM {chain} WHERE notification_id = NEW.notification_id) "
            f"{refuse}",
            f"CREATE TRIGGER IF NOT EXISTS {tree}_refuse_replace BEFORE INSERT ON {tree} "
            f"WHEN EXISTS (SELECT 1 FROM {tree} WHERE level = NEW.level AND idx = NEW.idx) "
            f"{refuse}",
            f"CREATE TRIGGER IF NOT EXISTS {checkpoints}_refuse_replace BEFORE INSERT ON "
            f"{checkpoints} WHEN EXISTS (SELECT 1 FROM {checkpoints} WHERE id = NEW.id) "
            f"{refuse}",
            f"CREATE TRIGGER IF NOT EXISTS {signatures}_refuse_replace BEFORE INSERT ON "
            f"{signatures} WHEN EXISTS (SELECT 1 FROM {signatures} "
            f"WHERE first_id = NEW.first_id) {refuse}",
        ]
        return statements

    def create_table(self) -> None:
        super().create_table()
        chain = self.chain_table_name
        with self.datastore.transaction(commit=True) as cursor:
            # SQLite has no ADD COLUMN IF NOT EXISTS: a chain from before commit times gets
            # its column here (its rows keep none).
            cursor.execute(f"PRAGMA table_info({chain})")
            columns = {row[1] for row in cursor.fetchall()}
            if "committed_at" not in columns:
                cursor.execute(f"ALTER TABLE {chain} ADD COLUMN committed_at INTEGER")
            # Likewise a chain from before signatures moved into it: its batches stay signed
            # in the signatures table.
            if "signature" not in columns:
                cursor.execute(f"ALTER TABLE {chain} ADD COLUMN signature BLOB")
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {chain}_committed ON {chain} "
                           "(committed_at)")

    def _insert_events(self, c: SQLiteCursor, stored_events: Sequence[StoredEvent],
                       **kwargs: Any) -> Sequence[int] | None:
        notification_ids = super()._insert_events(c, stored_events, **kwargs)
        assert notification_ids is not None
        # The INSERT above holds SQLite's write lock until the commit, so the head read here
        # cannot move, and no later event can be given an earlier commit time.
        c.execute(f"SELECT link, committed_at FROM {self.chain_table_name} "
                  "ORDER BY notification_id DESC LIMIT 1")
        row = c.fetchone()
        previous = bytes(row[0]) if row else GENESIS
        real = self.commit_clock() // 1000
        committed = (row[1] or 0) if row else 0
        links: list[tuple[int, bytes, int, bytes | None]] = []
        for notification_id, stored in zip(notification_ids, stored_events, strict=True):
            clock = real if self.simulated_commit_times is None else min(
                next(self.simulated_commit_times), real)
            committed = max(clock, committed + 1)
            previous = link(previous, notification_id, _as_uuid(stored.originator_id),
                            stored.originator_version, stored.topic, stored.state, committed)
            links.append((notification_id, previous, committed, None))
        if self.signer is not None and links:
            # The batch's signature rides in its last chain row: no second table, so a commit
            # writes no more pages than an unsigned one, and no more statements.
            first, last = notification_ids[0], notification_ids[-1]
            links[-1] = (*links[-1][:3], chain_signature(
                len(links), sign_link(self.signer, first, last, previous)))
        c.executemany(f"INSERT INTO {self.chain_table_name} (notification_id, link, "
                      "committed_at, signature) VALUES (?, ?, ?, ?)", links)
        write_pending_disclosures(c, [e.originator_id for e in stored_events],
                                  [e.topic for e in stored_events])
        if self.staged_writer is not None:
            self.staged_writer(c, _first_events(stored_events))
        return notification_ids

    def insert_events(self, stored_events: Sequence[StoredEvent],
                      **kwargs: Any) -> Sequence[int] | None:
        notification_ids = super().insert_events(stored_events, **kwargs)
        _wake_pollers(self.datastore.pool.db_name)  # committed: followers here look now
        return notification_ids

    def subscribe(self, gt: int | None = None,
                  topics: Sequence[str] = ()) -> Subscription[ApplicationRecorder]:
        """Follow the log after `gt` by polling: SQLite has no LISTEN/NOTIFY."""
        return PollingSubscription(self, gt=gt, topics=topics)


class PollingSubscription(Subscription[SQLiteApplicationRecorder]):
    """Yields every notification after `gt`, then polls for new ones until stopped.

    SQLite serialises writers and a reader never sees an uncommitted row, so notification
    ids become visible in order and reading "after the last one seen" never skips an event.
    An idle poll backs off from MIN_INTERVAL to MAX_INTERVAL seconds; an append by this process
    wakes it at once, so MAX_INTERVAL is the worst-case lag only for events another process
    appends (a command-line import, say). `stop()` wakes a sleeping poll at once.
    """

    BATCH = 500
    MIN_INTERVAL = 0.005
    MAX_INTERVAL = 1.0

    def __init__(self, recorder: SQLiteApplicationRecorder, gt: int | None = None,
                 topics: Sequence[str] = ()) -> None:
        super().__init__(recorder=recorder, gt=gt, topics=topics)
        self._pending: deque[Notification] = deque()
        self._woken = threading.Event()
        self._db_name = recorder.datastore.pool.db_name
        with _pollers_lock:
            _pollers.setdefault(self._db_name, set()).add(self._woken)

    def stop(self) -> None:
        super().stop()
        with _pollers_lock:
            _pollers.get(self._db_name, set()).discard(self._woken)
        self._woken.set()

    def __next__(self) -> Notification:
        interval = self.MIN_INTERVAL
        while not self._has_been_stopped:
            if self._pending:
                return self._pending.popleft()
            found = self._recorder.select_notifications(
                start=self._last_notification_id or 0, limit=self.BATCH,
                topics=self._topics, inclusive_of_start=False)
            if found:
                self._pending.extend(found)
                self._last_notification_id = found[-1].id
                interval = self.MIN_INTERVAL
            else:
                if self._woken.wait(interval):
                    self._woken.clear()
                    interval = self.MIN_INTERVAL
                else:
                    interval = min(interval * 2, self.MAX_INTERVAL)
        raise StopIteration


def _as_uuid(originator_id: UUID | str) -> UUID:
    return originator_id if isinstance(originator_id, UUID) else UUID(originator_id)


class ChainedPostgresApplicationRecorder(PostgresApplicationRecorder):
    signer: Signer | None = None  # as ChainedSQLiteApplicationRecorder.signer
    staged_writer: StagedWriter | None = None  # as ChainedSQLiteApplicationRecorder's
    signs_in_chain = True  # the chain has its signature column (see create_table)
    simulated_commit_times: Iterator[int] | None = None  # as in ChainedSQLiteApplicationRecorder

    def __init__(self, datastore: PostgresDatastore, *,
                 events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        self.chain_table_name = f"{events_table_name}_chain"
        self._locked = threading.local()  # this thread's append took the lock already
        names = {
            "schema": Identifier(datastore.schema),
            "events": Identifier(events_table_name),
            "chain": Identifier(self.chain_table_name),
            "chain_committed": Identifier(f"{self.chain_table_name}_committed"),
            "checkpoints_size": Identifier(f"{events_table_name}_checkpoints_size"),
            "tree": Identifier(f"{events_table_name}_merkle"),
            "tree_position": Identifier(f"{events_table_name}_merkle_position"),
            "checkpoints": Identifier(f"{events_table_name}_checkpoints"),
            "signatures": Identifier(f"{events_table_name}_signatures"),
            "link_fn": Identifier(f"{events_table_name}_link"),
            "lock_fn": Identifier(f"{events_table_name}_lock"),
            "refuse_fn": Identifier(f"{events_table_name}_refuse"),
            "message": SQL(APPEND_ONLY_MESSAGE),
        }
        statements = [
            "CREATE TABLE IF NOT EXISTS {schema}.{chain} ("
            "notification_id bigint PRIMARY KEY, link bytea NOT NULL, committed_at bigint, "
            "signature bytea)",
            # A chain from before commit times gets the column (its rows keep none), and one
            # from before signatures moved into it its own (its batches stay signed in the
            # signatures table).
            "ALTER TABLE {schema}.{chain} ADD COLUMN IF NOT EXISTS committed_at bigint",
            "ALTER TABLE {schema}.{chain} ADD COLUMN IF NOT EXISTS signature bytea",
            "CREATE INDEX IF NOT EXISTS {chain_committed} ON {schema}.{chain} (committed_at)",
            # The Merkle tree's perfect subtrees (infrastructure.merkle_store) and the signed
            # checkpoints over it (infrastructure.checkpoints): append-only like the log.
            "CREATE TABLE IF NOT EXISTS {schema}.{tree} (level smallint NOT NULL, "
            "idx bigint NOT NULL, hash bytea NOT NULL, notification_id bigint, "
            "PRIMARY KEY (level, idx))",
            "CREATE UNIQUE INDEX IF NOT EXISTS {tree_position} ON {schema}.{tree} "
            "(notification_id)",
            "CREATE TABLE IF NOT EXISTS {schema}.{checkpoints} (id bigserial PRIMARY KEY, "
            "tree_size bigint NOT NULL, note text NOT NULL)",
            "CREATE INDEX IF NOT EXISTS {checkpoints_size} ON {schema}.{checkpoints} "
            "(tree_size, id)",
            "CREATE TABLE IF NOT EXISTS {schema}.{signatures} (first_id bigint PRIMARY KEY, "
            "last_id bigint NOT NULL, signature bytea NOT NULL)",
            # SECURITY DEFINER: the link is written as the owner, so the runtime role needs no
            # INSERT on the chain (and cannot forge a link); search_path pinned against
            # look-alike functions in a schema it may create in.
            "CREATE OR REPLACE FUNCTION {schema}.{link_fn}() RETURNS trigger "
            "LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp "
            "AS $$ DECLARE previous bytea; previous_time bigint; committed bigint; "
            "simulated text; batch text; signature bytea; BEGIN "
            # Serialise chain appenders here too, not only by the library's table lock; held
            # until the commit, so no later event can be given an earlier commit time.
            "LOCK TABLE {schema}.{chain} IN EXCLUSIVE MODE; "
            "SELECT c.link, c.committed_at INTO previous, previous_time FROM {schema}.{chain} c "
            "ORDER BY c.notification_id DESC LIMIT 1; "
            "IF previous IS NULL THEN previous := decode(repeat('00', 32), 'hex'); END IF; "
            "committed := floor(extract(epoch FROM clock_timestamp()) * 1000000)::bigint; "
            # Demo only: the simulated commit times the demo loader put in the transaction
            # (`_insert_stored_events`), taken one per row and never later than the clock.
            "simulated := COALESCE(current_setting('civicdesk.simulated_commit_times', true),"
            " ''); "
            "IF simulated <> '' THEN "
            "committed := LEAST(split_part(simulated, ',', 1)::bigint, committed); "
            "PERFORM set_config('civicdesk.simulated_commit_times', "
            "substr(simulated, length(split_part(simulated, ',', 1)) + 2), true); END IF; "
            "committed := GREATEST(committed, COALESCE(previous_time, 0) + 1); "
            # The batch's signature, which the recorder put in the transaction before the
            # insert (`_insert_stored_events`), rides in the chain row of its last event.
            "batch := COALESCE(current_setting('civicdesk.batch_signature', true), ''); "
            "IF batch <> '' AND split_part(batch, ',', 1) = NEW.originator_id::text "
            "AND split_part(batch, ',', 2) = NEW.originator_version::text THEN "
            "signature := decode(split_part(batch, ',', 3), 'hex'); "
            "PERFORM set_config('civicdesk.batch_signature', '', true); END IF; "
            "INSERT INTO {schema}.{chain} (notification_id, link, committed_at, signature) "
            "VALUES (NEW.notification_id, sha256(previous || int8send(NEW.notification_id) || "
            "uuid_send(NEW.originator_id) || int8send(NEW.originator_version) || "
            "sha256(convert_to(NEW.topic, 'UTF8')) || sha256(NEW.state) || "
            "int8send(committed)), committed, signature); "
            "RETURN NULL; END $$",
            "CREATE OR REPLACE TRIGGER link_into_chain AFTER INSERT ON {schema}.{events} "
            "FOR EACH ROW EXECUTE FUNCTION {schema}.{link_fn}()",
            # The library locks the event table IN EXCLUSIVE MODE before each insert, which
            # needs UPDATE, DELETE or TRUNCATE on it; the runtime role has none, so it locks
            # through this function, which runs as the owner and may be granted alone.
            "CREATE OR REPLACE FUNCTION {schema}.{lock_fn}() RETURNS void "
            "LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp "
            "AS $$ BEGIN LOCK TABLE {schema}.{events} IN EXCLUSIVE MODE; END $$",
            "REVOKE ALL ON FUNCTION {schema}.{lock_fn}() FROM PUBLIC",
            "CREATE OR REPLACE FUNCTION {schema}.{refuse_fn}() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION '{message}: % on % refused', TG_OP, TG_TABLE_NAME; END $$",
        ]
        for table in ("events", "chain", "tree", "checkpoints", "signatures"):
            statements += [
                "CREATE OR REPLACE TRIGGER refuse_update_delete BEFORE UPDATE OR DELETE "
                f"ON {{schema}}.{{{table}}} FOR EACH ROW "
                "EXECUTE FUNCTION {schema}.{refuse_fn}()",
                "CREATE OR REPLACE TRIGGER refuse_truncate BEFORE TRUNCATE "
                f"ON {{schema}}.{{{table}}} FOR EACH STATEMENT "
                "EXECUTE FUNCTION {schema}.{refuse_fn}()",
                # ALWAYS: `SET session_replication_role = replica` must not silence them.
                f"ALTER TABLE {{schema}}.{{{table}}} ENABLE ALWAYS TRIGGER refuse_update_delete",
                f"ALTER TABLE {{schema}}.{{{table}}} ENABLE ALWAYS TRIGGER refuse_truncate",
            ]
        statements.append(
            "ALTER TABLE {schema}.{events} ENABLE ALWAYS TRIGGER link_into_chain")
        self.sql_create_statements += [SQL(s).format(**names) for s in statements]  # type: ignore[arg-type]
        self.lock_table_statements = [
            self.lock_table_statements[0],  # SET LOCAL lock_timeout
            SQL("SELECT {schema}.{lock_fn}()").format(**names),  # type: ignore[arg-type]
        ]

    def create_table(self) -> None:
        # Once the owner has set the tables up (`civicdesk migrate`), the runtime role leaves
        # them alone: it may not replace the owner's functions and triggers.
        with self.datastore.transaction(commit=False) as cursor:
            tables = RecordTables(schema=self.datastore.schema, events=self.events_table_name)
            owned_elsewhere = set_up_by_another_role(cursor, tables.qualified(tables.events))
        if owned_elsewhere:
            self.datastore.register_type_adapters()
        else:
            super().create_table()
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute("SELECT 1 FROM information_schema.columns WHERE table_schema = %s "
                           "AND table_name = %s AND column_name = 'signature'",
                           (self.datastore.schema, self.chain_table_name))
            # Not yet migrated (the owner has not run `civicdesk migrate` since the upgrade):
            # batches are signed in the signatures table, as before.
            self.signs_in_chain = cursor.fetchone() is not None

    def _insert_events(self, curs: Any, stored_events: Sequence[StoredEvent],
                       **kwargs: Any) -> None:
        # In the transaction (and pipeline) that inserts the events; synced at once, so a
        # failure is known as the access log's and rolls the events back with it. Synced on
        # the library's own pipeline: a nested `pipeline()` block would sync once more on
        # entering and once more on leaving, two round trips per save for nothing.
        super()._insert_events(curs, stored_events, **kwargs)
        pipeline = curs.connection._pipeline  # psycopg 3.3: the open pipeline, if any
        write_pending_disclosures(curs, [e.originator_id for e in stored_events],
                                  [e.topic for e in stored_events],
                                  flush=pipeline.sync if pipeline is not None else None)
        if self.staged_writer is not None:
            # Pipelined with the events' insert and synced with it: no round trip of its
            # own (a failure rolls the events back and is raised as theirs would be).
            self.staged_writer(curs, _first_events(stored_events))

    def _insert_stored_events(self, curs: Any, stored_events: Sequence[StoredEvent],
                              **kwargs: Any) -> None:
        locked = self.signer is not None and self.signs_in_chain and bool(stored_events)
        if locked:
            assert self.signer is not None
            # Signed before the insert, so the chain's trigger writes the signature with the
            # last event's link: over the link at the head (read under the lock, taken here
            # rather than by the library) and the events' content, in order; their positions
            # follow from that link.
            super()._lock_table(curs)
            self._locked.held = True  # the library's own _lock_table need not lock again
            curs.execute(SQL("SELECT link FROM {}.{} ORDER BY notification_id DESC LIMIT 1")
                         .format(Identifier(self.datastore.schema),
                                 Identifier(self.chain_table_name)))
            head = curs.fetchone()
            previous = GENESIS if head is None else bytes(head["link"])
            curs.execute("SELECT set_config('civicdesk.batch_signature', %s, true)",
                         (batch_setting(self.signer, stored_events, previous),))
        if self.simulated_commit_times is not None and stored_events:
            # Local to the transaction: the trigger consumes one value per inserted row.
            times = [next(self.simulated_commit_times) for _ in stored_events]
            curs.execute("SELECT set_config('civicdesk.simulated_commit_times', %s, true)",
                         (",".join(str(t) for t in times),))
        self._locked.held = locked  # the library's own _lock_table need not lock again
        try:
            super()._insert_stored_events(curs, stored_events, **kwargs)
        finally:
            self._locked.held = False

    def _lock_table(self, curs: Any) -> None:
        if not getattr(self._locked, "held", False):
            super()._lock_table(curs)

    def _fetch_ids_after_insert_events(self, curs: Any, stored_events: Sequence[StoredEvent],
                                       **kwargs: Any) -> Sequence[int] | None:
        # The ids are known only once the events are in; the signature joins them in the
        # same transaction.
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        if self.signer is not None and ids and not self.signs_in_chain:
            curs.execute(SQL("INSERT INTO {}.{} (first_id, last_id, signature) "
                             "VALUES (%s, %s, %s)").format(
                Identifier(self.datastore.schema),
                Identifier(f"{self.events_table_name}_signatures")),
                (ids[0], ids[-1], sign_batch(self.signer, stored_rows(ids, stored_events))))
        return ids

    def _create_table(self, curs: Any) -> None:
        # Every process sets the tables up at start; two doing it at once would deadlock on
        # CREATE OR REPLACE TRIGGER, so they take turns.
        curs.execute("SELECT pg_advisory_xact_lock(%s)", (SETUP_LOCK_KEY,))
        super()._create_table(curs)
