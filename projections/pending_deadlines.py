"""Pending deadlines: every target still to be met and not paused, with its due time.

The scheduler loads this at start instead of replaying the log. A row exists exactly while the
Case aggregate's `Target.watched_due_at` is set: planned and rescheduled targets bring rows,
and whatever meets, pauses or breaches a target removes its row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import singledispatch
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from domain.cases import Case
from domain.targets import MET_BY, Target
from domain.values import Direction
from engine import PostgresView, ProjectionSpec, SQLiteView

NAME = "pending_deadlines"


@dataclass(frozen=True)
class Change:
    """What one event does to a case's rows: first drop them all (`replace_all`), the named
    targets (`drop`, and those in `upsert`) and the pausable ones (`drop_pausable`), then
    insert `upsert`. `case_id` None: not a case's event, nothing changes."""

    case_id: UUID | None
    replace_all: bool = False
    upsert: tuple[Target, ...] = ()
    drop: frozenset[str] = frozenset()
    drop_pausable: bool = False


NOTHING = Change(None)


class PendingDeadlinesProjection(Projection["PendingDeadlinesView"]):
    """Each event becomes a `Change` (`change_of`); one event is applied alone, a batch of
    them at once (`process_batch`: folded in memory, written with bulk statements)."""

    name = NAME
    topics = ()

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.apply(tracking, [change_of(domain_event)])

    def process_batch(self, batch: Sequence[tuple[Any, Tracking]]) -> None:
        self.view.apply(batch[-1][1], [change_of(event) for event, _ in batch])


@singledispatch
def change_of(event: Any) -> Change:
    return NOTHING


@change_of.register(Case.TargetsSet)
def _set(event: Any) -> Change:
    return Change(event.originator_id, replace_all=True, upsert=_watched(event.targets))


@change_of.register(Case.TargetsRescheduled)
def _rescheduled(event: Any) -> Change:
    return Change(event.originator_id, upsert=_watched(event.targets))


@change_of.register(Case.WaitingOnCustomer)
def _paused(event: Any) -> Change:
    return Change(event.originator_id, drop_pausable=True)


@change_of.register(Case.DeadlineMissed)
def _missed(event: Any) -> Change:
    return Change(event.originator_id, drop=frozenset({event.target}))


@change_of.register(Case.Acknowledged)
@change_of.register(Case.InterimResponseSent)
@change_of.register(Case.Resolved)
def _met(event: Any) -> Change:
    return Change(event.originator_id,
                  drop=frozenset(k.value for k in MET_BY[type(event).__name__]))


@change_of.register(Case.MergedInto)
def _merged(event: Any) -> Change:
    return Change(event.originator_id, drop=frozenset(event.withdrawn_targets))


@change_of.register(Case.InteractionLogged)
def _interaction(event: Any) -> Change:
    met = (frozenset(k.value for k in MET_BY["OutboundContact"])
           if event.direction == Direction.OUTBOUND.value else frozenset())
    return Change(event.originator_id, drop=met)


def _watched(targets: list[dict[str, Any]]) -> tuple[Target, ...]:
    return tuple(t for t in map(Target.from_data, targets) if t.watched_due_at is not None)


def due_at_of(target: Target) -> datetime | None:
    return target.due_at


def fold(rows: dict[str, tuple[Any, bool]], change: Change,
         instant_of: Callable[[Target], datetime | None] = due_at_of) -> None:
    """Apply `change` to one case's `rows` (target -> (instant, pausable)), in memory; a
    target's instant is `instant_of` it (its due time here), and one without is left out."""
    if change.replace_all:
        rows.clear()
    for name in change.drop | {t.name for t in change.upsert}:
        rows.pop(name, None)
    if change.drop_pausable:
        for name in [name for name, (_, pausable) in rows.items() if pausable]:
            del rows[name]
    for target in change.upsert:
        instant = instant_of(target)
        if instant is not None:
            rows[target.name] = (instant, target.pausable)


class PendingInstantsView:
    """The SQL of a view of one instant per pending target (`instant`, its column, taken from
    each target by `instant_of`), mixed into a dialect base (`SQLiteView` or `PostgresView`):
    pending deadlines, and the pending at-risk instants (projections.pending_at_risk)."""

    name: str
    instant: str
    CHUNK = 500  # case ids per `IN (...)` list

    @staticmethod
    def instant_of(target: Target) -> datetime | None:
        return target.due_at

    def apply(self, tracking: Tracking, changes: list[Change]) -> None:
        """Apply `changes` in order: read the rows of the cases they touch, fold them in
        memory, and write back those cases' rows (delete, then one multi-row insert)."""
        with self.writing(tracking) as cursor:
            touched = list(dict.fromkeys(c.case_id for c in changes
                                         if c.case_id is not None and c != Change(c.case_id)))
            if not touched:
                return
            table, mark, column = self.table(self.name), self.placeholder, self.instant
            rows: dict[UUID, dict[str, tuple[Any, bool]]] = {case: {} for case in touched}
            keys = {case: self.id_in(case) for case in touched}
            for start in range(0, len(touched), self.CHUNK):
                chunk = [keys[case] for case in touched[start:start + self.CHUNK]]
                cursor.execute(f"SELECT case_id, target, {column}, pausable FROM {table} "
                               f"WHERE case_id IN ({', '.join(mark for _ in chunk)})", chunk)
                for row in cursor.fetchall():
                    rows[self.id_out(row["case_id"])][row["target"]] = (
                        self.time_out(row[column]), bool(row["pausable"]))
                cursor.execute(f"DELETE FROM {table} "
                               f"WHERE case_id IN ({', '.join(mark for _ in chunk)})", chunk)
            for change in changes:
                if change.case_id in rows:
                    fold(rows[change.case_id], change, self.instant_of)
            values = [(keys[case], name, self.time_in(at), pausable)
                      for case, targets in rows.items()
                      for name, (at, pausable) in sorted(targets.items())]
            if values:
                cursor.executemany(f"INSERT INTO {table} (case_id, target, {column}, pausable) "
                                   f"VALUES ({mark}, {mark}, {mark}, {mark})", values)

    def pending(self) -> tuple[int, Iterator[tuple[UUID, str, datetime]]]:
        """The position the rows are as of, and every row, soonest first."""
        with self.reading() as cursor:
            cursor.execute(f"SELECT notification_id FROM {self.tracking_table}")
            row = cursor.fetchone()
            position = int(row["notification_id"]) if row else 0
            column = self.instant
            cursor.execute(f"SELECT case_id, target, {column} FROM {self.table(self.name)} "
                           f"ORDER BY {column}, case_id, target")
            rows = [(self.id_out(r["case_id"]), r["target"], self.time_out(r[column]))
                    for r in cursor.fetchall()]
        return position, iter(rows)


class PendingDeadlinesView(PendingInstantsView):
    name = NAME
    instant = "due_at"

    def view_statements(self) -> list[str]:
        table = self.table(NAME)
        return [
            f"CREATE TABLE IF NOT EXISTS {table} (case_id {self.uuid_type} NOT NULL, "
            f"target TEXT NOT NULL, due_at {self.time_type} NOT NULL, "
            "pausable BOOLEAN NOT NULL, PRIMARY KEY (case_id, target))",
            f"CREATE INDEX IF NOT EXISTS {self.table(NAME + '_by_due')} ON {table} (due_at)",
        ]

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
