"""Pending deadlines: every target still to be met and not paused, with its due time.

The scheduler loads this at start instead of replaying the log. A row exists exactly while the
Case aggregate's `Target.watched_due_at` is set: planned and rescheduled targets bring rows,
and whatever meets, pauses or breaches a target removes its row.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from domain.cases import Case
from domain.targets import MET_BY, Target
from domain.values import Direction
from engine import PostgresView, ProjectionSpec, SQLiteView

NAME = "pending_deadlines"


class PendingDeadlinesProjection(Projection["PendingDeadlinesView"]):
    name = NAME
    topics = ()

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.apply(tracking, domain_event.originator_id if isinstance(
            domain_event, Case.Event) else None)

    @process_event.register(Case.TargetsSet)
    def _set(self, event: Any, tracking: Tracking) -> None:
        self.view.apply(tracking, event.originator_id, replace_all=True,
                        upsert=_watched(event.targets))

    @process_event.register(Case.TargetsRescheduled)
    def _rescheduled(self, event: Any, tracking: Tracking) -> None:
        self.view.apply(tracking, event.originator_id, upsert=_watched(event.targets))

    @process_event.register(Case.WaitingOnCustomer)
    def _paused(self, event: Any, tracking: Tracking) -> None:
        self.view.apply(tracking, event.originator_id, drop_pausable=True)

    @process_event.register(Case.DeadlineMissed)
    def _missed(self, event: Any, tracking: Tracking) -> None:
        self.view.apply(tracking, event.originator_id, drop=frozenset({event.target}))

    @process_event.register(Case.Acknowledged)
    @process_event.register(Case.InterimResponseSent)
    @process_event.register(Case.Resolved)
    def _met(self, event: Any, tracking: Tracking) -> None:
        self.view.apply(tracking, event.originator_id,
                        drop=frozenset(k.value for k in MET_BY[type(event).__name__]))

    @process_event.register(Case.InteractionLogged)
    def _interaction(self, event: Any, tracking: Tracking) -> None:
        met = (frozenset(k.value for k in MET_BY["OutboundContact"])
               if event.direction == Direction.OUTBOUND.value else frozenset())
        self.view.apply(tracking, event.originator_id, drop=met)


def _watched(targets: list[dict[str, Any]]) -> list[Target]:
    return [t for t in map(Target.from_data, targets) if t.watched_due_at is not None]


class PendingDeadlinesView:
    """The view's SQL, mixed into a dialect base (`SQLiteView` or `PostgresView`)."""

    name = NAME

    def view_statements(self) -> list[str]:
        table = self.table(NAME)
        return [
            f"CREATE TABLE IF NOT EXISTS {table} (case_id {self.uuid_type} NOT NULL, "
            f"target TEXT NOT NULL, due_at {self.time_type} NOT NULL, "
            "pausable BOOLEAN NOT NULL, PRIMARY KEY (case_id, target))",
            f"CREATE INDEX IF NOT EXISTS {self.table(NAME + '_by_due')} ON {table} (due_at)",
        ]

    def apply(self, tracking: Tracking, case_id: UUID | None, *, replace_all: bool = False,
              upsert: list[Target] = (), drop: frozenset[str] = frozenset(),  # type: ignore[assignment]
              drop_pausable: bool = False) -> None:
        with self.writing(tracking) as cursor:
            if case_id is None:
                return
            table, mark = self.table(NAME), self.placeholder
            key = self.id_in(case_id)
            if replace_all:
                cursor.execute(f"DELETE FROM {table} WHERE case_id = {mark}", [key])
            for name in sorted(drop | {t.name for t in upsert}):
                cursor.execute(f"DELETE FROM {table} WHERE case_id = {mark} AND target = {mark}",
                               [key, name])
            if drop_pausable:
                cursor.execute(f"DELETE FROM {table} WHERE case_id = {mark} AND pausable",
                               [key])
            for target in upsert:
                cursor.execute(f"INSERT INTO {table} (case_id, target, due_at, pausable) "
                               f"VALUES ({mark}, {mark}, {mark}, {mark})",
                               [key, target.name, self.time_in(target.due_at), target.pausable])

    def pending(self, batch: int = 5000) -> tuple[int, Iterator[tuple[UUID, str, datetime]]]:
        """The position the rows are as of, and every row, soonest first."""
        with self.reading() as cursor:
            tracking = self.tracking_table
            cursor.execute(f"SELECT notification_id FROM {tracking}")
            row = cursor.fetchone()
            position = int(row["notification_id"]) if row else 0
            cursor.execute(f"SELECT case_id, target, due_at FROM {self.table(NAME)} "
                           "ORDER BY due_at, case_id, target")
            rows = [(self.id_out(r["case_id"]), r["target"], self.time_out(r["due_at"]))
                    for r in cursor.fetchall()]
        return position, iter(rows)

    def count(self) -> int:
        with self.reading() as cursor:
            cursor.execute(f"SELECT COUNT(*) AS n FROM {self.table(NAME)}")
            row = cursor.fetchone()
        return int(row["n"])

    def count_due_before(self, moment: datetime) -> int:
        """How many pending deadlines fell due before `moment`: the scheduler records each as
        missed at once, so more than a few for long means no scheduler is running."""
        with self.reading() as cursor:
            cursor.execute(f"SELECT COUNT(*) AS n FROM {self.table(NAME)} "
                           f"WHERE due_at < {self.placeholder}", [self.time_in(moment)])
            row = cursor.fetchone()
        return int(row["n"])


class SQLitePendingDeadlinesView(PendingDeadlinesView, SQLiteView):
    pass


class PostgresPendingDeadlinesView(PendingDeadlinesView, PostgresView):
    pass


PENDING_DEADLINES = ProjectionSpec(projection=PendingDeadlinesProjection,
                                   sqlite_view=SQLitePendingDeadlinesView,
                                   postgres_view=PostgresPendingDeadlinesView)
