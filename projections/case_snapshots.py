"""Case snapshots: every case's whole state as of its latest event, and when each event of the
log was recorded. The case view and the accountability report read them instead of replaying.

Tables:
- `case_snapshots`: a row per case with its state (projections.case_state, exact), its
  version, the Toronto day it was received (the report's period bucket), its department now,
  the measured waits the report needs (`Case.WaitMeasured` is not kept by the aggregate), and
  when its first event and the latest of its events were recorded (`first_recorded`,
  `last_recorded`: the largest recording time so far, should a clock step back). A report as
  of T takes a row as it stands only when `last_recorded` <= T; a case recorded into after T
  is replayed from its own events up to T (application.accountability.read_models).
- `case_snapshots_recorded`: a row per event of the log (any aggregate): its position, its
  aggregate and version, when it was recorded, and whether it is a catalogue event the report
  replays (departments, standards, calendar, desks). A report as of T finds the last position
  recorded by T there (`head_at`), and the catalogue events up to it.

Writes: a case event reads the case's row (or the copy this view keeps of the cases it wrote
lately, checked by version, so a batch rolled back and applied again reads the table), applies
the event with the aggregate's own `mutate`, and writes the row back; in a batch (rebuilds and
the live runner's backlogs) each changed row is written once, at the batch's end, and the
batch's events' recording times in one bulk statement.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from application.accountability.arithmetic import local_day
from application.accountability.read_models import CASE_SNAPSHOTS_NAME, CaseSnapshot
from application.accountability.replay import CATALOGUE_EVENTS
from domain.cases import Case
from engine import PostgresView, ProjectionSpec, SQLiteView, View
from projections import case_state

NAME = CASE_SNAPSHOTS_NAME
RECORDED = f"{NAME}_recorded"
COLUMNS = ("id", "version", "received_day", "department", "first_recorded", "last_recorded",
           "last_position", "waits", "state")
KEPT = 20_000  # cases whose latest row a writing view keeps in memory
Events: Any = Case  # the event classes are made at import time; see projections.case_index


@dataclass
class _Kept:
    """A case as this view last wrote it."""

    case: Case
    received_day: str
    first_recorded: datetime
    last_recorded: datetime
    last_position: int
    waits: dict[str, int] = field(default_factory=dict)
    fresh: bool = False  # received in the batch at hand: its row is still to be inserted


@dataclass
class _Staged:
    """What a batch changed, written at its end."""

    recorded: list[tuple[Any, ...]] = field(default_factory=list)
    cases: dict[UUID, _Kept] = field(default_factory=dict)


class CaseSnapshotsProjection(Projection["CaseSnapshotsView"]):
    name = NAME
    topics = ()  # every event: each one's recording time is kept

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.apply(domain_event, tracking)


class CaseSnapshotsView(View):
    """The snapshots' tables, writes and reads, on either database."""

    name = NAME
    TIME_COLUMNS = frozenset({"first_recorded", "last_recorded", "recorded_at"})
    ID_COLUMNS = frozenset({"id", "aggregate"})

    def view_statements(self) -> list[str]:
        table, recorded, t = self.table(NAME), self.table(RECORDED), self.time_type
        return [
            f"CREATE TABLE IF NOT EXISTS {table} (id {self.uuid_type} PRIMARY KEY, "
            "version BIGINT NOT NULL, received_day TEXT NOT NULL, department TEXT NOT NULL, "
            f"first_recorded {t} NOT NULL, last_recorded {t} NOT NULL, "
            "last_position BIGINT NOT NULL, waits TEXT NOT NULL, state TEXT NOT NULL)",
            f"CREATE INDEX IF NOT EXISTS {self.table(NAME + '_by_day')} ON {table} "
            "(received_day, id)",
            f"CREATE TABLE IF NOT EXISTS {recorded} (position BIGINT PRIMARY KEY, "
            f"aggregate {self.uuid_type} NOT NULL, version BIGINT NOT NULL, "
            f"recorded_at {t} NOT NULL, catalogue BOOLEAN NOT NULL)",
            f"CREATE INDEX IF NOT EXISTS {self.table(RECORDED + '_by_aggregate')} "
            f"ON {recorded} (aggregate, version)",
            f"CREATE INDEX IF NOT EXISTS {self.table(RECORDED + '_catalogue')} "
            f"ON {recorded} (position) WHERE catalogue",
        ]

    # -- writes -------------------------------------------------------------------------------

    @contextmanager
    def batch(self, last: Tracking | Callable[[], Tracking]) -> Iterator[Any]:
        """The base class's batch, with the rows its events change written once each at its
        end (a case's several events in one batch make one row write), in bulk statements."""
        staged = _Staged()
        self._local.staged = staged
        try:
            with super().batch(last) as cursor:
                yield cursor
                self._flush(cursor, staged)
        finally:
            self._local.staged = None

    def apply(self, event: Any, tracking: Tracking) -> None:
        with self.writing(tracking) as cursor:
            staged: _Staged | None = getattr(self._local, "staged", None)
            recorded = (tracking.notification_id, self.id_in(event.originator_id),
                        event.originator_version, self.time_in(event.timestamp),
                        isinstance(event, CATALOGUE_EVENTS))
            kept: _Kept | None = None
            if isinstance(event, Events.Received):
                kept = _Kept(event.mutate(None), local_day(event.occurred_at).isoformat(),
                             event.timestamp, event.timestamp, tracking.notification_id,
                             fresh=True)
            elif isinstance(event, Events.Event):
                kept = self._kept_before(cursor, event, staged)
                event.mutate(kept.case)
                if isinstance(event, Events.WaitMeasured):
                    kept.waits[event.target["name"]] = event.wait_seconds
                kept.last_recorded = max(kept.last_recorded, event.timestamp)
                kept.last_position = tracking.notification_id
            if staged is None:
                self._flush(cursor, _Staged([recorded], {} if kept is None
                                            else {kept.case.id: kept}))
            else:
                staged.recorded.append(recorded)
                if kept is not None:
                    staged.cases[kept.case.id] = kept
            if kept is not None:
                self._remember(kept)

    def _flush(self, cursor: Any, staged: _Staged) -> None:
        mark = self.placeholder
        if staged.recorded:
            cursor.executemany(f"INSERT INTO {self.table(RECORDED)} (position, aggregate, "
                               "version, recorded_at, catalogue) VALUES "
                               f"({', '.join(mark for _ in range(5))})", staged.recorded)
        inserts, updates = [], []
        for kept in staged.cases.values():
            case = kept.case
            changed = (case.version, case.department, self.time_in(kept.last_recorded),
                       kept.last_position, case_state.waits_encode(kept.waits),
                       case_state.encode(case).decode())
            if kept.fresh:
                inserts.append((self.id_in(case.id), kept.received_day,
                                self.time_in(kept.first_recorded), *changed))
            else:
                updates.append((*changed, self.id_in(case.id)))
            kept.fresh = False
        if inserts:
            cursor.executemany(f"INSERT INTO {self.table(NAME)} (id, received_day, "
                               "first_recorded, version, department, last_recorded, "
                               "last_position, waits, state) VALUES "
                               f"({', '.join(mark for _ in range(9))})", inserts)
        if updates:
            cursor.executemany(f"UPDATE {self.table(NAME)} SET version = {mark}, department = "
                               f"{mark}, last_recorded = {mark}, last_position = {mark}, "
                               f"waits = {mark}, state = {mark} WHERE id = {mark}", updates)

    def _memory(self) -> OrderedDict[UUID, _Kept]:
        kept: OrderedDict[UUID, _Kept] | None = getattr(self, "_kept", None)
        if kept is None:
            kept = OrderedDict()
            self._kept = kept
        return kept

    def _remember(self, kept: _Kept) -> None:
        memory = self._memory()
        memory[kept.case.id] = kept
        memory.move_to_end(kept.case.id)
        if len(memory) > KEPT:
            memory.popitem(last=False)

    def _kept_before(self, cursor: Any, event: Any, staged: _Staged | None) -> _Kept:
        """The case as it stood just before `event`: as this batch left it, or from memory
        if this view last wrote exactly that version, else from its row."""
        kept = staged.cases.get(event.originator_id) if staged is not None else None
        if kept is None:
            kept = self._memory().get(event.originator_id)
        if kept is not None and kept.case.version == event.originator_version - 1:
            return kept
        cursor.execute(f"SELECT {', '.join(COLUMNS)} FROM {self.table(NAME)} "
                       f"WHERE id = {self.placeholder}", [self.id_in(event.originator_id)])
        row = cursor.fetchone()
        if row is None:
            raise LookupError(f"no snapshot of case {event.originator_id} to apply version "
                              f"{event.originator_version} to")
        return _Kept(case_state.decode(row["state"]), row["received_day"],
                     self.time_out(row["first_recorded"]), self.time_out(row["last_recorded"]),
                     int(row["last_position"]), case_state.waits_decode(row["waits"]))

    # -- reads --------------------------------------------------------------------------------

    def latest(self, case_id: UUID) -> Case | None:
        """The case as of the latest of its events this read model applied, or None."""
        with self.reading() as cursor:
            cursor.execute(f"SELECT state FROM {self.table(NAME)} WHERE id = {self.placeholder}",
                           [self.id_in(case_id)])
            row = cursor.fetchone()
        return None if row is None else case_state.decode(row["state"])

    def latest_and_since(self, case_id: UUID, events_table: str
                         ) -> tuple[Case, list[tuple[int, str, bytes]]] | None:
        """The case's latest snapshot and the (version, topic, state) of every event of it
        stored since in `events_table` (the desk's, in this database), in one statement; None
        if it has no snapshot. For the case view, which must cost less than a replay: the
        table is named by the generation live at most REFRESH_SECONDS ago (see `table`), and
        no fingerprint is checked, so a caller falls back to replaying on any error."""
        events = self._qualify(events_table)
        with self._begin(write=False) as cursor:
            cursor.execute(
                f"SELECT s.state AS snapshot, e.originator_version AS version, e.topic AS "
                f"topic, e.state AS state FROM {self.table(NAME)} s LEFT JOIN {events} e ON "
                f"e.originator_id = {self.placeholder} AND e.originator_version > s.version "
                f"WHERE s.id = {self.placeholder} ORDER BY e.originator_version",
                [self.event_id_in(case_id), self.id_in(case_id)])
            rows = cursor.fetchall()
        if not rows:
            return None
        since = [(int(row["version"]), row["topic"], bytes(row["state"])) for row in rows
                 if row["version"] is not None]
        return case_state.decode(rows[0]["snapshot"]), since

    def head_at(self, as_of: datetime, stop: int) -> int:
        """See `application.accountability.read_models.ReportReadModel`."""
        mark, recorded = self.placeholder, self.table(RECORDED)
        moment = self.time_in(as_of)
        with self.reading() as cursor:
            cursor.execute(
                f"SELECT r.position FROM {recorded} r WHERE r.position <= {mark} AND "
                f"r.recorded_at <= {mark} AND NOT EXISTS (SELECT 1 FROM {recorded} e WHERE "
                f"e.aggregate = r.aggregate AND e.version < r.version AND "
                f"e.recorded_at > {mark}) ORDER BY r.position DESC LIMIT 1",
                [stop, moment, moment])
            row = cursor.fetchone()
        return 0 if row is None else int(row["position"])

    def catalogue_positions(self, stop: int) -> list[int]:
        """See `application.accountability.read_models.ReportReadModel`."""
        with self.reading() as cursor:
            cursor.execute(f"SELECT position FROM {self.table(RECORDED)} WHERE catalogue AND "
                           f"position <= {self.placeholder} ORDER BY position", [stop])
            return [int(row["position"]) for row in cursor.fetchall()]

    def positions_of(self, case_ids: list[UUID], stop: int) -> list[int]:
        """See `application.accountability.read_models.ReportReadModel`."""
        positions: list[int] = []
        mark = self.placeholder
        with self.reading() as cursor:
            for start in range(0, len(case_ids), 500):
                chunk = case_ids[start:start + 500]
                cursor.execute(f"SELECT position FROM {self.table(RECORDED)} WHERE aggregate IN "
                               f"({', '.join(mark for _ in chunk)}) AND position <= {mark}",
                               [*(self.id_in(i) for i in chunk), stop])
                positions += [int(row["position"]) for row in cursor.fetchall()]
        return sorted(positions)

    def received_between(self, first: date, last: date, department: str | None,
                         as_of: datetime | None, stop: int) -> Iterator[CaseSnapshot]:
        """See `application.accountability.read_models.ReportReadModel`."""
        mark = self.placeholder
        where = [f"received_day >= {mark}", f"received_day <= {mark}"]
        parameters: list[Any] = [first.isoformat(), last.isoformat()]
        if as_of is not None:
            where.append(f"first_recorded <= {mark}")
            parameters.append(self.time_in(as_of))
        if department is not None:
            moved = f"last_position > {mark}" if as_of is None else \
                f"last_recorded > {mark} OR last_position > {mark}"
            where.append(f"(department = {mark} OR {moved})")
            parameters += [department, *([] if as_of is None else [self.time_in(as_of)]),
                           stop]
        with self.reading() as cursor:
            cursor.execute(f"SELECT id, last_recorded, last_position, waits, state "
                           f"FROM {self.table(NAME)} WHERE {' AND '.join(where)}", parameters)
            rows = cursor.fetchall()
        for row in rows:
            if int(row["last_position"]) > stop or (
                    as_of is not None and self.time_out(row["last_recorded"]) > as_of):
                yield CaseSnapshot(self.id_out(row["id"]), None, {})
            else:
                case = case_state.decode(row["state"])  # its id decoded with it, as a UUID
                yield CaseSnapshot(case.id, case, case_state.waits_decode(row["waits"]))

    def event_id_in(self, value: UUID) -> Any:
        """An aggregate id as the desk's events table stores it."""
        return self.id_in(value)


class SQLiteCaseSnapshotsView(CaseSnapshotsView, SQLiteView):
    def event_id_in(self, value: UUID) -> Any:
        return value.hex  # eventsourcing's SQLite recorder: 32 hex digits, no dashes


class PostgresCaseSnapshotsView(CaseSnapshotsView, PostgresView):
    pass


CASE_SNAPSHOTS = ProjectionSpec(projection=CaseSnapshotsProjection,
                                sqlite_view=SQLiteCaseSnapshotsView,
                                postgres_view=PostgresCaseSnapshotsView)
