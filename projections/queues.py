"""Work queues: open cases per department, assignee and channel, and the desk's intake queue.

One projection (`queues`) with two tables, which the SLA board reads too (`projections.sla_board`):
- `queues`: a row per case. A resolved or closed case leaves every queue (`in_queue` false)
  but keeps its row, so a reopening (or an escalation of a resolved complaint) brings it back
  without reading the log; partial indexes cover only the rows in a queue. `due_key` is the
  soonest due time among the case's live, unpaused targets (or a far-future key when nothing
  is due), the first column of every queue's order.
- `queues_targets`: a row per target with the inputs of `domain.targets.status`. Events change
  it exactly as the `Case` aggregate changes its targets (planned, rescheduled, measured,
  paused, met, breached), by single write statements, so no transaction reads before it writes.
States are judged at query time; see `application.work_queues` for the order and the intake rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from application.queries import DEFAULT_PAGE
from application.work_queues import QUEUES_NAME, QueueEntry, worst_state
from domain.actors import Role
from domain.calendar import BusinessCalendar
from domain.cases import WAIT_TARGETS, Case
from domain.targets import MET_BY, Target, status
from domain.values import Channel, Classification, Direction, Status, parse_enum
from projections.case_index import Sql
from projections.keyset import decode_cursor, encode_cursor
from projections.runner import PostgresView, ProjectionSpec, SQLiteView
from projections.sla_board import CASES, TARGETS, SlaBoardView, check_limit, live

NAME = QUEUES_NAME
NEVER = datetime(9999, 1, 1, tzinfo=UTC)  # the due key of a case with nothing due: last
FRONT_DESK = {Role.CSR.value, Role.SYSTEM.value}  # a CSR, or the public through an Open311 app
CASE_COLUMNS = ("id", "reference", "status", "department", "assignee", "channel", "complaint",
                "received_at", "transfers", "version", "in_queue", "intake", "due_key",
                "next_target")
TARGET_COLUMNS = ("case_id", "target", "standard_code", "standard_version", "title",
                  "started_at", "due_at", "seconds", "basis", "pausable", "at_risk_share",
                  "paused_seconds", "paused_at", "met_at", "breached_at")
TIMES = {"received_at", "due_key", "started_at", "due_at", "paused_at", "met_at", "breached_at"}
Events: Any = Case  # the event classes are made at import time; see projections.case_index
OPEN, WAITING = Status.OPEN.value, Status.WAITING_ON_CUSTOMER.value


@dataclass
class Change:
    """What one case event does to its queue row and its targets."""

    row: dict[str, Any] = field(default_factory=dict)
    targets: list[Target] | None = None  # these replace the targets of the same names
    replace_all: bool = False  # ... or every target of the case
    paused_at: datetime | None = None
    met: frozenset[str] = frozenset()
    at: datetime | None = None  # when the targets in `met` were met
    breached: str | None = None
    breached_at: datetime | None = None

    @property
    def touches_targets(self) -> bool:
        return bool(self.targets is not None or self.paused_at or self.met or self.breached)


def _met(fact: str, at: datetime, **row: Any) -> Change:
    return Change(row=row, met=frozenset(kind.value for kind in MET_BY[fact]), at=at)


def change_of(event: Any) -> Change:
    """What a case event (other than Received) changes; mirrors the `Case` aggregate."""
    match event:
        case Events.TargetsSet():
            return Change(targets=[Target.from_data(t) for t in event.targets],
                          replace_all=True)
        case Events.TargetsRescheduled():
            return Change(targets=[Target.from_data(t) for t in event.targets])
        case Events.WaitMeasured():
            return Change(targets=[Target.from_data(event.target)])
        case Events.WaitingOnCustomer():
            return Change(row={"status": WAITING}, paused_at=event.occurred_at)
        case Events.CustomerResponded():
            return Change(row={"status": OPEN})
        case Events.DeadlineMissed():
            return Change(breached=event.target, breached_at=event.due_at)
        case Events.Acknowledged() | Events.InterimResponseSent():
            return _met(type(event).__name__, event.occurred_at)
        case Events.InteractionLogged() if event.direction == Direction.OUTBOUND.value:
            return _met("OutboundContact", event.occurred_at)
        case Events.Resolved():
            return _met("Resolved", event.occurred_at, status=Status.RESOLVED.value,
                        in_queue=False)
        case Events.Reopened():
            return Change(row={"status": OPEN, "in_queue": True})
        case Events.Closed():
            return Change(row={"status": Status.CLOSED.value, "in_queue": False})
        case Events.Classified():
            return Change(row={"complaint": event.classification ==
                               Classification.COMPLAINT.value})
        case Events.ComplaintEscalated():  # a resolved complaint escalated is open again
            return Change(row={"status": Sql(f"CASE WHEN status = '{Status.RESOLVED.value}' "
                                             f"THEN '{OPEN}' ELSE status END"),
                               "in_queue": True})
        case Events.Assigned():
            return Change(row={"assignee": event.assignee, "intake": False})
        case Events.Transferred():
            return Change(row={"department": event.to_department, "assignee": None,
                               "transfers": Sql("transfers + 1"), "intake": False})
    return Change()


class QueuesProjection(Projection["QueuesView"]):
    name = NAME
    topics = ()  # every event, so the position reaches whatever a command reported

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.apply(tracking, None, 0, Change())

    @process_event.register(Events.Received)
    def _received(self, event: Any, tracking: Tracking) -> None:
        self.view.insert_case(tracking, {
            "id": event.originator_id, "reference": event.reference, "status": OPEN,
            "department": event.department, "assignee": None, "channel": event.channel,
            "complaint": False, "received_at": event.occurred_at, "transfers": 0,
            "version": event.originator_version, "in_queue": True,
            "intake": event.actor_role in FRONT_DESK, "due_key": NEVER, "next_target": None})

    @process_event.register(Events.Event)
    def _changed(self, event: Any, tracking: Tracking) -> None:
        self.view.apply(tracking, event.originator_id, event.originator_version,
                        change_of(event))


class QueuesView(SlaBoardView):
    """The queues' tables, writes and query (and, inherited, the SLA board's), either database."""

    name = NAME

    def view_statements(self) -> list[str]:
        cases, targets, t, u = self.table(CASES), self.table(TARGETS), self.time_type, \
            self.uuid_type
        order = "due_key, received_at, id"
        return [
            f"CREATE TABLE IF NOT EXISTS {cases} (id {u} PRIMARY KEY, reference TEXT NOT NULL, "
            "status TEXT NOT NULL, department TEXT NOT NULL, assignee TEXT, "
            f"channel TEXT NOT NULL, complaint BOOLEAN NOT NULL, received_at {t} NOT NULL, "
            "transfers INTEGER NOT NULL, version BIGINT NOT NULL, in_queue BOOLEAN NOT NULL, "
            f"intake BOOLEAN NOT NULL, due_key {t} NOT NULL, next_target TEXT)",
            f"CREATE TABLE IF NOT EXISTS {targets} (case_id {u} NOT NULL, "
            "target TEXT NOT NULL, standard_code TEXT NOT NULL, "
            f"standard_version INTEGER NOT NULL, title TEXT NOT NULL, started_at {t} NOT NULL, "
            f"due_at {t} NOT NULL, seconds BIGINT NOT NULL, basis TEXT NOT NULL, "
            "pausable BOOLEAN NOT NULL, at_risk_share DOUBLE PRECISION NOT NULL, "
            f"paused_seconds BIGINT NOT NULL, paused_at {t}, met_at {t}, breached_at {t}, "
            "PRIMARY KEY (case_id, target))",
            *(f"CREATE INDEX IF NOT EXISTS {self.table(f'{CASES}_by_{column}')} ON {cases} "
              f"({column}, {order}) WHERE in_queue"
              for column in ("department", "assignee", "channel")),
            f"CREATE INDEX IF NOT EXISTS {self.table(f'{CASES}_intake')} ON {cases} ({order}) "
            "WHERE in_queue AND intake",
            f"CREATE INDEX IF NOT EXISTS {self.table(f'{TARGETS}_open_by_due')} ON {targets} "
            "(due_at) WHERE met_at IS NULL",
        ]

    def _db(self, column: str, value: Any) -> Any:
        if value is None or isinstance(value, Sql):
            return value
        if column in {"id", "case_id"}:
            return self.id_in(value)
        return self.time_in(value) if column in TIMES else value

    def insert_case(self, tracking: Tracking, row: dict[str, Any]) -> None:
        with self.writing(tracking) as cursor:
            self._insert(cursor, CASES, CASE_COLUMNS, row)

    def _insert(self, cursor: Any, table: str, columns: tuple[str, ...],
                row: dict[str, Any]) -> None:
        cursor.execute(f"INSERT INTO {self.table(table)} ({', '.join(columns)}) VALUES "
                       f"({', '.join(self.placeholder for _ in columns)})",
                       [self._db(column, row[column]) for column in columns])

    def apply(self, tracking: Tracking, case_id: UUID | None, version: int,
              change: Change) -> None:
        """Apply a case event's change (`case_id` None: not a case's event, track only)."""
        with self.writing(tracking) as cursor:
            if case_id is None:
                return
            key, mark = self.id_in(case_id), self.placeholder
            values = {**change.row, "version": version}
            assignments = [f"{c} = {v}" if isinstance(v, Sql) else f"{c} = {mark}"
                           for c, v in values.items()]
            cursor.execute(f"UPDATE {self.table(CASES)} SET {', '.join(assignments)} "
                           f"WHERE id = {mark}", [*(self._db(c, v) for c, v in values.items()
                                                    if not isinstance(v, Sql)), key])
            if change.touches_targets:
                self._change_targets(cursor, case_id, change)
                self._refresh_next_due(cursor, key)

    def _change_targets(self, cursor: Any, case_id: UUID, change: Change) -> None:
        table, mark, key = self.table(TARGETS), self.placeholder, self.id_in(case_id)
        if change.targets is not None:
            if change.replace_all:
                cursor.execute(f"DELETE FROM {table} WHERE case_id = {mark}", [key])
            for target in change.targets:
                if not change.replace_all:
                    cursor.execute(f"DELETE FROM {table} WHERE case_id = {mark} AND target = "
                                   f"{mark}", [key, target.name])
                self._insert(cursor, TARGETS, TARGET_COLUMNS,
                             {**target.as_data(), "case_id": case_id, "target": target.name})
        if change.paused_at is not None:  # `domain.targets.pause`, row by row
            cursor.execute(f"UPDATE {table} SET paused_at = {mark} WHERE case_id = {mark} "
                           "AND pausable AND met_at IS NULL AND breached_at IS NULL "
                           f"AND paused_at IS NULL AND due_at >= {mark}",
                           [self.time_in(change.paused_at), key,
                            self.time_in(change.paused_at)])
        if change.met and change.at is not None:
            names = sorted(change.met)
            cursor.execute(f"UPDATE {table} SET met_at = {mark} WHERE case_id = {mark} AND "
                           f"met_at IS NULL AND target IN ({', '.join(mark for _ in names)})",
                           [self.time_in(change.at), key, *names])
        if change.breached is not None and change.breached_at is not None:
            cursor.execute(f"UPDATE {table} SET breached_at = {mark} WHERE case_id = {mark} "
                           f"AND target = {mark}",
                           [self.time_in(change.breached_at), key, change.breached])

    def _refresh_next_due(self, cursor: Any, key: Any) -> None:
        targets, mark = self.table(TARGETS), self.placeholder
        due = f"FROM {targets} WHERE case_id = {mark} AND {live()} AND paused_at IS NULL"
        cursor.execute(f"UPDATE {self.table(CASES)} SET "
                       f"due_key = COALESCE((SELECT MIN(due_at) {due}), {mark}), "
                       f"next_target = (SELECT target {due} ORDER BY due_at, target LIMIT 1) "
                       f"WHERE id = {mark}", [key, self.time_in(NEVER), key, key])

    def queue(self, visible_departments: frozenset[str] | None, *, now: datetime,
              calendar: BusinessCalendar, department: str | None = None,
              assignee: str | None = None, channel: str | None = None, intake: bool = False,
              after: str | None = None,
              limit: int = DEFAULT_PAGE) -> tuple[list[QueueEntry], str | None]:
        """See `application.work_queues.QueueQuery.queue`."""
        named = [department, assignee, channel, True if intake else None]
        if sum(value is not None for value in named) != 1:
            raise ValueError("name exactly one queue: department, assignee, channel or intake")
        check_limit(limit)
        if channel is not None:
            parse_enum(Channel, channel, "channel")
        mark = self.placeholder
        where, parameters = ["in_queue", *(["intake"] if intake else [])], []
        for column, value in (("department", department), ("assignee", assignee),
                              ("channel", channel)):
            if value is not None:
                where.append(f"{column} = {mark}")
                parameters.append(value)
        if visible_departments is not None:
            if not visible_departments:
                return [], None
            where.append(f"department IN ({', '.join(mark for _ in visible_departments)})")
            parameters += sorted(visible_departments)
        if after is not None:
            due_key, received_at, case_id = decode_cursor(after, datetime, datetime, UUID)
            where.append(f"(due_key, received_at, id) > ({mark}, {mark}, {mark})")
            parameters += [self.time_in(due_key), self.time_in(received_at),
                           self.id_in(case_id)]
        with self.reading() as cursor:
            cursor.execute(f"SELECT {', '.join(CASE_COLUMNS)} FROM {self.table(CASES)} "
                           f"WHERE {' AND '.join(where)} ORDER BY due_key, received_at, id "
                           f"LIMIT {mark}", [*parameters, limit + 1])
            rows = cursor.fetchall()
            more, rows = len(rows) > limit, rows[:limit]
            targets = self._targets_of(cursor, [row["id"] for row in rows])
        entries = [self._entry(row, targets.get(self.id_out(row["id"]), []), now, calendar)
                   for row in rows]
        if not more:
            return entries, None
        last = entries[-1]
        return entries, encode_cursor(last.next_due_at or NEVER, last.received_at, last.id)

    def _targets_of(self, cursor: Any, keys: list[Any]) -> dict[UUID, list[Target]]:
        found: dict[UUID, list[Target]] = {}
        if not keys:
            return found
        cursor.execute(f"SELECT {', '.join(TARGET_COLUMNS)} FROM {self.table(TARGETS)} "
                       f"WHERE case_id IN ({', '.join(self.placeholder for _ in keys)})", keys)
        for row in cursor.fetchall():
            found.setdefault(self.id_out(row["case_id"]), []).append(self.target_of(row))
        return found

    def _entry(self, row: Any, targets: list[Target], now: datetime,
               calendar: BusinessCalendar) -> QueueEntry:
        received_at, due_key = self.time_out(row["received_at"]), self.time_out(row["due_key"])
        judged = tuple(sorted((status(t, now, calendar) for t in targets),
                              key=lambda s: (s.due_at, s.name)))
        live_ones = tuple(s for s in judged if s.met_at is None and s.name not in WAIT_TARGETS)
        return QueueEntry(
            id=self.id_out(row["id"]), reference=row["reference"], status=row["status"],
            department=row["department"], assignee=row["assignee"], channel=row["channel"],
            complaint=bool(row["complaint"]), received_at=received_at,
            age_business_seconds=round(calendar.elapsed(received_at, now).total_seconds()),
            transfers=int(row["transfers"]), version=int(row["version"]),
            next_target=row["next_target"], next_due_at=None if due_key == NEVER else due_key,
            sla_state=worst_state(live_ones), targets=judged)


class SQLiteQueuesView(QueuesView, SQLiteView):
    pass


class PostgresQueuesView(QueuesView, PostgresView):
    pass


QUEUES = ProjectionSpec(projection=QueuesProjection, sqlite_view=SQLiteQueuesView,
                        postgres_view=PostgresQueuesView)
