"""Pending at-risk instants: every watched target with the instant it becomes at risk, for the
scheduler that records `TargetAtRisk` (as `pending_deadlines` is for missed deadlines).

A row exists while the target is watched (not met, paused or recorded missed) and its at-risk
instant not yet recorded; the rows follow `pending_deadlines`' changes, holding each target's
`at_risk_from` instead of its due time, and a `TargetAtRisk` removes its target's row. A row
may outlive its use (a target re-planned to the instant already recorded): the scheduler asks
the case, which records nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from domain.cases import Case
from engine import PostgresView, ProjectionSpec, SQLiteView
from projections.pending_deadlines import Change
from projections.pending_deadlines import change_of as deadline_change_of

NAME = "pending_at_risk"


def change_of(event: Any) -> Change:
    if isinstance(event, Case.TargetAtRisk):
        return Change(event.originator_id, drop=frozenset({event.target}))
    return deadline_change_of(event)


def fold(rows: dict[str, tuple[datetime, bool]], change: Change) -> None:
    """Apply `change` to one case's `rows` (target -> (at_risk_from, pausable)), in memory."""
    if change.replace_all:
        rows.clear()
    for name in change.drop | {t.name for t in change.upsert}:
        rows.pop(name, None)
    if change.drop_pausable:
        for name in [name for name, (_, pausable) in rows.items() if pausable]:
            del rows[name]
    for target in change.upsert:
        if target.at_risk_from is not None and target.at_risk_from < target.due_at:
            rows[target.name] = (target.at_risk_from, target.pausable)


class PendingAtRiskProjection(Projection["PendingAtRiskView"]):
    name = NAME
    topics = ()

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.apply(tracking, [change_of(domain_event)])

    def process_batch(self, batch: Sequence[tuple[Any, Tracking]]) -> None:
        self.view.apply(batch[-1][1], [change_of(event) for event, _ in batch])


class PendingAtRiskView:
    """The view's SQL, mixed into a dialect base (`SQLiteView` or `PostgresView`)."""

    name = NAME
    CHUNK = 500  # case ids per `IN (...)` list

    def view_statements(self) -> list[str]:
        table = self.table(NAME)
        return [
            f"CREATE TABLE IF NOT EXISTS {table} (case_id {self.uuid_type} NOT NULL, "
            f"target TEXT NOT NULL, at_risk_from {self.time_type} NOT NULL, "
            "pausable BOOLEAN NOT NULL, PRIMARY KEY (case_id, target))",
        ]

    def apply(self, tracking: Tracking, changes: list[Change]) -> None:
        """As `pending_deadlines` does: read the touched cases' rows, fold, write back."""
        with self.writing(tracking) as cursor:
            touched = list(dict.fromkeys(c.case_id for c in changes
                                         if c.case_id is not None and c != Change(c.case_id)))
            if not touched:
                return
            table, mark = self.table(NAME), self.placeholder
            rows: dict[UUID, dict[str, tuple[datetime, bool]]] = {case: {} for case in touched}
            keys = {case: self.id_in(case) for case in touched}
            for start in range(0, len(touched), self.CHUNK):
                chunk = [keys[case] for case in touched[start:start + self.CHUNK]]
                marks = ", ".join(mark for _ in chunk)
                cursor.execute(f"SELECT case_id, target, at_risk_from, pausable FROM {table} "
                               f"WHERE case_id IN ({marks})", chunk)
                for row in cursor.fetchall():
                    rows[self.id_out(row["case_id"])][row["target"]] = (
                        self.time_out(row["at_risk_from"]), bool(row["pausable"]))
                cursor.execute(f"DELETE FROM {table} WHERE case_id IN ({marks})", chunk)
            for change in changes:
                if change.case_id in rows:
                    fold(rows[change.case_id], change)
            values = [(keys[case], name, self.time_in(at), pausable)
                      for case, targets in rows.items()
                      for name, (at, pausable) in sorted(targets.items())]
            if values:
                cursor.executemany(f"INSERT INTO {table} (case_id, target, at_risk_from, "
                                   f"pausable) VALUES ({mark}, {mark}, {mark}, {mark})", values)

    def pending(self) -> tuple[int, Iterator[tuple[UUID, str, datetime]]]:
        """The position the rows are as of, and every row, soonest first."""
        with self.reading() as cursor:
            cursor.execute(f"SELECT notification_id FROM {self.tracking_table}")
            row = cursor.fetchone()
            position = int(row["notification_id"]) if row else 0
            cursor.execute(f"SELECT case_id, target, at_risk_from FROM {self.table(NAME)} "
                           "ORDER BY at_risk_from, case_id, target")
            rows = [(self.id_out(r["case_id"]), r["target"], self.time_out(r["at_risk_from"]))
                    for r in cursor.fetchall()]
        return position, iter(rows)


class SQLitePendingAtRiskView(PendingAtRiskView, SQLiteView):
    pass


class PostgresPendingAtRiskView(PendingAtRiskView, PostgresView):
    pass


PENDING_AT_RISK = ProjectionSpec(projection=PendingAtRiskProjection,
                                 sqlite_view=SQLitePendingAtRiskView,
                                 postgres_view=PostgresPendingAtRiskView)
