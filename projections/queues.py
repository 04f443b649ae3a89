"""Work queues: open cases per department, assignee and channel, and the desk's intake queue.

One projection (`queues`) with two tables, which the SLA board reads too (`projections.sla_board`):
- `queues`: a row per case. A resolved or closed case leaves every queue (`in_queue` false)
  but keeps its row, so a reopening (or an escalation of a resolved complaint) brings it back
  without reading the log; partial indexes cover only the rows in a queue. `due_key` is the
  soonest due time among the case's live, unpaused targets (or a far-future key when nothing
  is due), the first column of every queue's order.
- `queues_targets`: a row per target with the inputs of `domain.targets.status`, kept as
  `projections.target_rows` says.
States are judged at query time; see `application.work_queues` for the order and the intake rule.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from application.queries import DEFAULT_PAGE
from application.work_queues import (
    BY_DUE,
    BY_PRIORITY,
    QUEUE_ORDERS,
    QUEUES_NAME,
    QueueEntry,
    worst_state,
)
from domain.actors import Role
from domain.cases import WAIT_TARGETS, Case
from domain.closures import DeskCalendars
from domain.errors import InvalidValue
from domain.routing import priority_rank
from domain.targets import Target, status
from domain.values import Channel, Classification, Status, parse_enum
from engine import PostgresView, ProjectionSpec, SQLiteView
from projections.case_rows import changed_row, received_row
from projections.keyset import decode_cursor, encode_cursor
from projections.sla_board import CASES, SlaBoardView, check_limit
from projections.target_rows import NEVER, TARGET_TIMES, TargetChange, target_change_of

NAME = QUEUES_NAME
FRONT_DESK = {Role.CSR.value, Role.SYSTEM.value}  # a CSR, or the public through an Open311 app
CASE_COLUMNS = ("id", "reference", "status", "department", "assignee", "channel", "complaint",
                "received_at", "transfers", "version", "in_queue", "intake", "due_key",
                "next_target", "desk", "priority", "priority_rank")
Events: Any = Case  # the event classes are made at import time; see projections.case_index
OPEN, WAITING = Status.OPEN.value, Status.WAITING_ON_CUSTOMER.value


def row_change_of(event: Any) -> dict[str, Any]:
    """What a case event (other than Received) changes in its queue row: the columns shared
    with the case index (`projections.case_rows`, whether it is in a queue with its status),
    and the queue's own; its targets change by `projections.target_rows.target_change_of`."""
    values = changed_row(event, active="in_queue")
    match event:
        case Events.Classified():
            values["complaint"] = event.classification == Classification.COMPLAINT.value
        case Events.Assigned() | Events.Transferred():
            values["intake"] = False
        case Events.RoutedByRule() if event.priority is not None:
            values["priority"] = event.priority
            values["priority_rank"] = priority_rank(event.priority)
    return values


class QueuesProjection(Projection["QueuesView"]):
    name = NAME
    topics = ()  # every event, so the position reaches whatever a command reported

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.apply(tracking, None, {}, TargetChange())

    @process_event.register(Events.Received)
    def _received(self, event: Any, tracking: Tracking) -> None:
        self.view.insert_case(tracking, {
            **received_row(event), "complaint": False, "in_queue": True,
            "intake": event.actor_role in FRONT_DESK, "desk": event.desk,
            "priority": None, "priority_rank": priority_rank(None)})

    @process_event.register(Events.Event)
    def _changed(self, event: Any, tracking: Tracking) -> None:
        self.view.apply(tracking, event.originator_id, row_change_of(event),
                        target_change_of(event))


class QueuesView(SlaBoardView):
    """The queues' tables, writes and query (and, inherited, the SLA board's), either database."""

    name = NAME

    TIME_COLUMNS = frozenset({"received_at", "due_key", *TARGET_TIMES})

    def view_statements(self) -> list[str]:
        cases, t, u = self.table(CASES), self.time_type, self.uuid_type
        order = "due_key, received_at, id"
        windows, targets, *targets_indexes = self.target_statements()
        return [
            f"CREATE TABLE IF NOT EXISTS {cases} (id {u} PRIMARY KEY, reference TEXT NOT NULL, "
            "status TEXT NOT NULL, department TEXT NOT NULL, assignee TEXT, "
            f"channel TEXT NOT NULL, complaint BOOLEAN NOT NULL, received_at {t} NOT NULL, "
            "transfers INTEGER NOT NULL, version BIGINT NOT NULL, in_queue BOOLEAN NOT NULL, "
            f"intake BOOLEAN NOT NULL, due_key {t} NOT NULL, next_target TEXT, desk TEXT, "
            # (a row written without a priority ranks as a normal one)
            f"priority TEXT, priority_rank INTEGER NOT NULL DEFAULT {priority_rank(None)})",
            targets,
            windows,
            *(f"CREATE INDEX IF NOT EXISTS {self.table(f'{CASES}_by_{column}')} ON {cases} "
              f"({column}, {order}) WHERE in_queue"
              for column in ("department", "assignee", "channel")),
            f"CREATE INDEX IF NOT EXISTS {self.table(f'{CASES}_intake')} ON {cases} ({order}) "
            "WHERE in_queue AND intake",
            *targets_indexes,
        ]

    def insert_case(self, tracking: Tracking, row: dict[str, Any]) -> None:
        with self.writing(tracking) as cursor:
            self.insert_row(cursor, CASES, CASE_COLUMNS, row)

    def apply(self, tracking: Tracking, case_id: UUID | None, row: dict[str, Any],
              targets: TargetChange) -> None:
        """Apply a case event's changes (`case_id` None: not a case's event, track only)."""
        with self.writing(tracking) as cursor:
            if case_id is None:
                return
            self.update_row(cursor, CASES, case_id, row)
            self.change_targets(cursor, case_id, targets)

    def queue(self, visible_departments: frozenset[str] | None, *, now: datetime,
              calendars: DeskCalendars, department: str | None = None,
              assignee: str | None = None, channel: str | None = None, intake: bool = False,
              after: str | None = None, limit: int = DEFAULT_PAGE,
              order: str = BY_DUE) -> tuple[list[QueueEntry], str | None]:
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
        if order not in QUEUE_ORDERS:
            raise InvalidValue(f"order must be one of {', '.join(QUEUE_ORDERS)}", "order")
        by_priority = order == BY_PRIORITY
        keys = ("priority_rank, " if by_priority else "") + "due_key, received_at, id"
        if after is not None:
            kinds: tuple[Any, ...] = (str,) if by_priority else ()
            *rank, due_key, received_at, case_id = decode_cursor(
                after, *kinds, datetime, datetime, UUID)
            if by_priority and not rank[0].isdigit():
                raise InvalidValue("after is not a cursor this list handed out", "after")
            where.append(f"({keys}) > ({', '.join(mark for _ in keys.split(','))})")
            parameters += [*(int(r) for r in rank), self.time_in(due_key),
                           self.time_in(received_at), self.id_in(case_id)]
        with self.reading() as cursor:
            cursor.execute(f"SELECT {', '.join(CASE_COLUMNS)} FROM {self.table(CASES)} "
                           f"WHERE {' AND '.join(where)} ORDER BY {keys} "
                           f"LIMIT {mark}", [*parameters, limit + 1])
            rows = cursor.fetchall()
            more, rows = len(rows) > limit, rows[:limit]
            targets = self.targets_of(cursor, [row["id"] for row in rows])
        entries = [self._entry(row, targets.get(self.id_out(row["id"]), []), now, calendars)
                   for row in rows]
        if not more:
            return entries, None
        last = entries[-1]
        rank = (str(priority_rank(last.priority)),) if by_priority else ()
        return entries, encode_cursor(*rank, last.next_due_at or NEVER, last.received_at,
                                      last.id)

    def open_cases_of(self, assignees: Collection[str]) -> dict[str, int]:
        """See `application.queries.OpenWorkQuery`: a case in a queue is open work."""
        if not assignees:
            return {}
        mark = self.placeholder
        with self.reading() as cursor:
            cursor.execute(f"SELECT assignee, COUNT(*) AS n FROM {self.table(CASES)} "
                           f"WHERE in_queue AND assignee IN ({', '.join(mark for _ in assignees)}) "
                           "GROUP BY assignee", sorted(assignees))
            return {row["assignee"]: int(row["n"]) for row in cursor.fetchall()}

    def _entry(self, row: Any, targets: list[Target], now: datetime,
               calendars: DeskCalendars) -> QueueEntry:
        received_at, due_key = self.time_out(row["received_at"]), self.time_out(row["due_key"])
        judged = tuple(sorted((status(t, now, calendars.of(t.desk)) for t in targets),
                              key=lambda s: (s.due_at, s.name)))
        live_ones = tuple(s for s in judged if s.met_at is None and s.name not in WAIT_TARGETS)
        return QueueEntry(
            id=self.id_out(row["id"]), reference=row["reference"], status=row["status"],
            department=row["department"], assignee=row["assignee"], channel=row["channel"],
            complaint=bool(row["complaint"]), received_at=received_at,
            age_business_seconds=round(calendars.of(row["desk"]).elapsed(
                received_at, now).total_seconds()),
            transfers=int(row["transfers"]), version=int(row["version"]),
            next_target=row["next_target"], next_due_at=None if due_key == NEVER else due_key,
            sla_state=worst_state(live_ones), targets=judged, priority=row["priority"])


class SQLiteQueuesView(QueuesView, SQLiteView):
    pass


class PostgresQueuesView(QueuesView, PostgresView):
    pass


QUEUES = ProjectionSpec(projection=QueuesProjection, sqlite_view=SQLiteQueuesView,
                        postgres_view=PostgresQueuesView)
